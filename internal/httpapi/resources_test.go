package httpapi_test

import (
	"strings"
	"testing"
	"time"

	"github.com/cirqll/core/internal/apitest"
)

// crudCase drives the five operations of one resource.
type crudCase struct {
	res      string
	minimal  func(f *fx) obj
	defaults func(f *fx) obj // expected in the minimal record
	full     func(f *fx) obj // every field echoed back except noEcho
	noEcho   []string        // write-only or special fields of full
	update   func(f *fx) obj
	clear    string // a nullable field set in full that null clears
}

func crudCases() []crudCase {
	dt := "2026-05-01T09:30:00Z"
	return []crudCase{
		{res: "customer",
			minimal: func(f *fx) obj { return obj{"name": "Min BV"} },
			defaults: func(f *fx) obj {
				return obj{"type": "company", "status": "lead", "user_id": f.a.OwnerID, "origin_id": nil, "address_id": nil, "email": nil}
			},
			full: func(f *fx) obj {
				return obj{"name": "Full BV", "type": "person", "status": "prospect", "user_id": f.user, "origin_id": f.origin,
					"coc_number": "12345678", "vat_number": "NL123456789B01", "email": "info@full.nl", "phone": "+31 20 123 4567", "website": "https://full.nl/"}
			},
			update: func(f *fx) obj { return obj{"status": "customer", "phone": "010-1234567"} },
			clear:  "email"},
		{res: "contact",
			minimal: func(f *fx) obj { return obj{"first_name": "Jan", "customer_id": f.customer} },
			defaults: func(f *fx) obj {
				return obj{"user_id": f.a.OwnerID, "last_name": nil, "address_id": nil, "customer_id": f.customer}
			},
			full: func(f *fx) obj {
				return obj{"first_name": "Piet", "last_name": "de Vries", "customer_id": f.customer, "user_id": f.user,
					"email": "piet@full.nl", "phone": "020-1234567", "mobile": "06-12345678", "job_title": "Inkoper"}
			},
			update: func(f *fx) obj { return obj{"last_name": "Jansen"} },
			clear:  "job_title"},
		{res: "task",
			minimal: func(f *fx) obj { return obj{"title": "Call back"} },
			defaults: func(f *fx) obj {
				return obj{"priority": "normal", "status": "open", "user_id": f.a.OwnerID, "completed_at": nil, "due_at": nil}
			},
			full: func(f *fx) obj {
				return obj{"title": "Send quote", "description": "With discount", "user_id": f.user, "customer_id": f.customer,
					"contact_id": f.contact, "chance_id": f.chance, "due_at": dt, "priority": "high", "status": "in_progress"}
			},
			update: func(f *fx) obj { return obj{"priority": "low"} },
			clear:  "due_at"},
		{res: "todo",
			minimal:  func(f *fx) obj { return obj{"title": "Buy milk"} },
			defaults: func(f *fx) obj { return obj{"done": false, "position": 0, "user_id": f.a.OwnerID, "task_id": nil} },
			full: func(f *fx) obj {
				return obj{"title": "Check list", "done": true, "task_id": f.task, "user_id": f.user, "due_at": dt, "position": 3}
			},
			update: func(f *fx) obj { return obj{"done": false} },
			clear:  "task_id"},
		{res: "appointment",
			minimal: func(f *fx) obj {
				return obj{"title": "Meeting", "starts_at": "2026-05-01T09:00:00Z", "ends_at": "2026-05-01T10:00:00Z"}
			},
			defaults: func(f *fx) obj { return obj{"all_day": false, "user_id": f.a.OwnerID, "location": nil} },
			full: func(f *fx) obj {
				return obj{"title": "Visit", "starts_at": "2026-05-02T09:00:00Z", "ends_at": "2026-05-02T09:00:00Z", "all_day": true,
					"description": "Bring coffee", "location": "Utrecht", "user_id": f.user, "customer_id": f.customer, "contact_id": f.contact}
			},
			update: func(f *fx) obj { return obj{"ends_at": "2026-05-02T11:00:00Z"} },
			clear:  "location"},
		{res: "chance",
			minimal: func(f *fx) obj { return obj{"title": "Deal", "customer_id": f.customer} },
			defaults: func(f *fx) obj {
				return obj{"currency": "EUR", "stage": "new", "amount": nil, "closed_at": nil, "probability": nil, "user_id": f.a.OwnerID}
			},
			full: func(f *fx) obj {
				return obj{"title": "Big deal", "customer_id": f.customer, "amount": "1250.00", "currency": "USD", "probability": 40,
					"stage": "proposal", "expected_close_date": "2026-06-30", "user_id": f.user, "contact_id": f.contact, "origin_id": f.origin}
			},
			update: func(f *fx) obj { return obj{"amount": "99.95", "probability": 100} },
			clear:  "amount"},
		{res: "assignment",
			minimal: func(f *fx) obj { return obj{"title": "Job", "customer_id": f.customer} },
			defaults: func(f *fx) obj {
				return obj{"status": "open", "currency": "EUR", "amount": nil, "user_id": f.a.OwnerID}
			},
			full: func(f *fx) obj {
				return obj{"title": "Big job", "customer_id": f.customer, "chance_id": f.chance, "description": "Paint", "amount": "0.50",
					"currency": "GBP", "status": "in_progress", "start_date": "2026-01-01", "end_date": "2026-12-31", "user_id": f.user}
			},
			update: func(f *fx) obj { return obj{"status": "completed"} },
			clear:  "end_date"},
		{res: "contract",
			minimal: func(f *fx) obj { return obj{"title": "SLA", "customer_id": f.customer} },
			defaults: func(f *fx) obj {
				return obj{"status": "draft", "billing_interval": "monthly", "currency": "EUR", "user_id": f.a.OwnerID}
			},
			full: func(f *fx) obj {
				return obj{"title": "Support", "customer_id": f.customer, "assignment_id": f.assignment, "amount": "12000.00", "currency": "EUR",
					"billing_interval": "yearly", "start_date": "2026-01-01", "end_date": "2027-01-01", "status": "active", "signed_at": dt, "user_id": f.user}
			},
			update: func(f *fx) obj { return obj{"billing_interval": "quarterly"} },
			clear:  "signed_at"},
		{res: "email",
			minimal:  func(f *fx) obj { return obj{"subject": "Hello"} },
			defaults: func(f *fx) obj { return obj{"direction": "outbound", "user_id": f.a.OwnerID, "customer_id": nil} },
			full: func(f *fx) obj {
				return obj{"subject": "Offer", "direction": "inbound", "from": "klant@full.nl", "to": []string{"a@b.nl", "c@d.nl"},
					"cc": []string{"e@f.nl"}, "body": "See attachment", "sent_at": dt, "customer_id": f.customer, "contact_id": f.contact, "user_id": f.user}
			},
			update: func(f *fx) obj { return obj{"to": []string{"x@y.nl"}} },
			clear:  "body"},
		{res: "note",
			minimal:  func(f *fx) obj { return obj{"body": "Called", "customer_id": f.customer} },
			defaults: func(f *fx) obj { return obj{"pinned": false, "user_id": f.a.OwnerID, "contact_id": nil} },
			full: func(f *fx) obj {
				return obj{"body": "Long talk", "pinned": true, "user_id": f.user, "customer_id": f.customer, "contact_id": f.contact, "chance_id": f.chance}
			},
			update: func(f *fx) obj { return obj{"pinned": false} },
			clear:  "chance_id"},
		{res: "field",
			minimal:  func(f *fx) obj { return obj{"name": "Industry Type", "model": "customer", "type": "text"} },
			defaults: func(f *fx) obj { return obj{"key": "industry_type", "required": false, "position": 0} },
			full: func(f *fx) obj {
				return obj{"name": "Contract size", "model": "contract", "type": "select", "key": "size", "required": true, "position": 2,
					"options": []string{"S", "M", "L"}}
			},
			noEcho: []string{"options"},
			update: func(f *fx) obj { return obj{"name": "Size"} }},
		{res: "template",
			minimal:  func(f *fx) obj { return obj{"name": "Welcome"} },
			defaults: func(f *fx) obj { return obj{"type": "email", "user_id": f.a.OwnerID, "subject": nil} },
			full: func(f *fx) obj {
				return obj{"name": "Quote", "type": "quote", "subject": "Your quote", "body": "Dear {{name}}", "user_id": f.user,
					"items": []obj{{"description": "Work", "quantity": "2.00", "unit_price": "50.00", "vat_rate": "21.00", "position": 0}}}
			},
			noEcho: []string{"items"},
			update: func(f *fx) obj { return obj{"type": "document"} },
			clear:  "subject"},
		{res: "origin",
			minimal:  func(f *fx) obj { return obj{"name": "Fair"} },
			defaults: func(f *fx) obj { return obj{} },
			full:     func(f *fx) obj { return obj{"name": "Referral"} },
			update:   func(f *fx) obj { return obj{"name": "Trade fair"} }},
		{res: "user",
			minimal: func(f *fx) obj { return obj{"name": "Min User", "email": "min.user@crud.test"} },
			defaults: func(f *fx) obj {
				return obj{"locale": nil, "timezone": "Europe/Amsterdam", "active": true, "role_id": roleID(f.e.T, f.a, "company_user"), "phone": nil}
			},
			full: func(f *fx) obj {
				return obj{"name": "Full User", "email": "full.user@crud.test", "password": "a-long-password-1", "role_id": roleID(f.e.T, f.a, "company_viewer"),
					"phone": "06-87654321", "locale": "en", "timezone": "Europe/London", "active": false}
			},
			noEcho: []string{"password"},
			update: func(f *fx) obj { return obj{"locale": "nl"} },
			clear:  "phone"},
		{res: "role",
			minimal:  func(f *fx) obj { return obj{"name": "Sales"} },
			defaults: func(f *fx) obj { return obj{"description": nil, "builtin": false} },
			full: func(f *fx) obj {
				return obj{"name": "Support", "description": "Helpdesk", "permissions": []string{"customer.read.all", "task.update.own"}}
			},
			noEcho: []string{"permissions"},
			update: func(f *fx) obj { return obj{"name": "Support desk"} },
			clear:  "description"},
	}
}

// TestResourceCRUD runs create (minimal and full), show, update, clear,
// list and delete for every resource with the five operations.
func TestResourceCRUD(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		f := newFx(t, e, "Crud")
		for _, c := range crudCases() {
			t.Run(c.res, func(t *testing.T) {
				base := "/api/" + c.res
				// minimal create: defaults
				r := f.do(t, "POST", base, c.minimal(f)).Status(201)
				minID := r.ID()
				if loc := r.Header.Get("Location"); loc != p("%s/%d", base, minID) {
					t.Errorf("Location = %q", loc)
				}
				if r.Header.Get("ETag") == "" {
					t.Error("create without ETag")
				}
				m := r.JSON()
				for k, want := range c.defaults(f) {
					wantEq(t, "minimal "+k, m[k], want)
				}
				for k, want := range c.minimal(f) {
					wantEq(t, "minimal "+k, m[k], want)
				}
				checkCommon(t, m)

				// full create: every field echoed
				full := c.full(f)
				r = f.do(t, "POST", base, full).Status(201)
				id := r.ID()
				fullETag := r.Header.Get("ETag")
				created := r.JSON()
				for k, want := range full {
					if contains(c.noEcho, k) {
						if has(created, k) {
							t.Errorf("write-only %s is rendered: %v", k, created[k])
						}
						continue
					}
					wantEq(t, "full "+k, created[k], want)
				}

				// show = create answer
				r = f.do(t, "GET", p("%s/%d", base, id), nil).Status(200)
				if r.Header.Get("ETag") == "" {
					t.Error("show without ETag")
				}
				wantEq(t, "show", r.JSON(), created)
				etag := r.Header.Get("ETag")
				if createdETag := fullETag; createdETag != etag {
					t.Errorf("ETag of create %s, of show %s", createdETag, etag)
				}

				// update: absent fields untouched
				patch := c.update(f)
				r = f.do(t, "PATCH", p("%s/%d", base, id), patch).Status(200)
				updated := r.JSON()
				if r.Header.Get("ETag") == "" {
					t.Error("update without ETag")
				}
				for k, v := range created {
					if k == "updated_at" {
						continue
					}
					if want, ok := patch[k]; ok {
						wantEq(t, "updated "+k, updated[k], want)
					} else {
						wantEq(t, "untouched "+k, updated[k], v)
					}
				}
				if r.Header.Get("ETag") == etag {
					t.Errorf("ETag did not change on update: %s", etag)
				}

				// null clears a nullable field
				if c.clear != "" {
					r = f.do(t, "PATCH", p("%s/%d", base, id), obj{c.clear: nil}).Status(200)
					if v := r.JSON()[c.clear]; v != nil {
						t.Errorf("%s after null = %v", c.clear, v)
					}
				}

				// list envelope holds both
				r = f.do(t, "GET", base+"?filter="+q(p("id:in:%d;%d", minID, id)), nil).Status(200)
				envelope(t, r.JSON(), 100, 2, 0)
				wantEq(t, "listed ids", ids(r), []int64{minID, id})

				// delete
				f.do(t, "DELETE", p("%s/%d", base, id), nil).Status(204)
				f.do(t, "GET", p("%s/%d", base, id), nil).Status(404)
				f.do(t, "PATCH", p("%s/%d", base, id), obj{}).Status(404)
				f.do(t, "DELETE", p("%s/%d", base, id), nil).Status(404)
			})
		}
	})
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// checkCommon checks id, created_at and updated_at.
func checkCommon(t testing.TB, m map[string]any) {
	t.Helper()
	if num(m["id"]) <= 0 {
		t.Errorf("id = %v", m["id"])
	}
	for _, k := range []string{"created_at", "updated_at"} {
		s, _ := m[k].(string)
		ts, err := time.Parse(time.RFC3339, s)
		if err != nil || !strings.HasSuffix(s, "Z") || ts.IsZero() {
			t.Errorf("%s = %q, want RFC 3339 UTC", k, s)
		}
	}
	if has(m, "company_id") {
		t.Errorf("company_id is rendered")
	}
}

// TestCompanySettingPermission: the caller's own company, the settings
// object, and the routes that do not exist.
func TestCompanySetting(t *testing.T) {
	t.Parallel()
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		f := newFx(t, e, "Acme")
		other := e.Company("Other")
		viewerTok := f.a.TokenFor(f.a.User("company_viewer"), "customer.read.all")

		// company: show and update own only
		own := p("/api/company/%d", f.a.CompanyID)
		m := f.do(t, "GET", own, nil).Status(200).JSON()
		wantEq(t, "company", pick(m, "id", "name", "address_id"), obj{"id": f.a.CompanyID, "name": "Acme", "address_id": nil})
		checkCommon(t, m)
		// any valid token reads its company, also through with
		on(t, f.a.Do("GET", own, viewerTok, nil)).Status(200)
		u := on(t, f.a.Do("GET", p("/api/user/%d?with=company", f.a.OwnerID), f.a.Token, nil)).Status(200).JSON()
		wantEq(t, "user.company.name", at(u, "company.name"), "Acme")
		on(t, f.a.Do("PATCH", own, viewerTok, obj{"name": "Hacked"})).Status(403)
		m = f.do(t, "PATCH", own, obj{"name": " Acme BV ", "coc_number": "87654321", "website": "https://acme.nl"}).Status(200).JSON()
		wantEq(t, "updated company", pick(m, "name", "coc_number", "website"), obj{"name": "Acme BV", "coc_number": "87654321", "website": "https://acme.nl"})
		f.do(t, "GET", p("/api/company/%d", other.CompanyID), nil).Status(404)
		f.do(t, "PATCH", p("/api/company/%d", other.CompanyID), obj{"name": "Mine"}).Status(404)
		f.do(t, "GET", "/api/company/abc", nil).Status(404)
		f.do(t, "DELETE", own, nil).Status(405)
		f.do(t, "POST", "/api/company", obj{"name": "New"}).Status(404) // no collection route
		wantEq(t, "other company untouched", on(t, other.Do("GET", p("/api/company/%d", other.CompanyID), other.Token, nil)).Status(200).JSON()["name"], "Other")

		// setting: one object
		s := f.do(t, "GET", "/api/setting", nil).Status(200).JSON()
		wantEq(t, "settings", pick(s, "locale", "timezone", "currency", "date_format", "fiscal_year_start_month", "customer_number_prefix"),
			obj{"locale": "en", "timezone": "Europe/Amsterdam", "currency": "EUR", "date_format": "DD-MM-YYYY", "fiscal_year_start_month": 1, "customer_number_prefix": ""})
		if has(s, "data") {
			t.Errorf("setting is a list: %s", js(s))
		}
		s2 := f.do(t, "PATCH", "/api/setting", obj{"currency": "USD", "fiscal_year_start_month": 4}).Status(200).JSON()
		for k, v := range s {
			switch k {
			case "currency":
				wantEq(t, k, s2[k], "USD")
			case "fiscal_year_start_month":
				wantEq(t, k, s2[k], 4)
			case "updated_at":
			default:
				wantEq(t, "untouched "+k, s2[k], v)
			}
		}
		wantEq(t, "settings after patch", f.do(t, "GET", "/api/setting", nil).Status(200).JSON()["currency"], "USD")
		wantEq(t, "other company's settings", on(t, other.Do("GET", "/api/setting", other.Token, nil)).Status(200).JSON()["currency"], "EUR")
		on(t, f.a.Do("PATCH", "/api/setting", viewerTok, obj{"currency": "GBP"})).Status(403)
		on(t, f.a.Do("GET", "/api/setting", viewerTok, nil)).Status(403)
		f.do(t, "POST", "/api/setting", obj{"currency": "GBP"}).Status(405)
		f.do(t, "GET", "/api/setting/1", nil).Status(404)
		f.do(t, "GET", "/api/nothing", nil).Status(404)
	})
}
