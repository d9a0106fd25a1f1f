package resource

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/mail"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // IANA zones on machines without /usr/share/zoneinfo
	"unicode/utf8"

	"golang.org/x/text/currency"

	"github.com/cirqll/core/internal/apierr"
	"github.com/cirqll/core/internal/i18n"
	"github.com/cirqll/core/internal/schema"
	"github.com/cirqll/core/internal/store"
)

// Body is a decoded JSON object: its members in the order sent.
type Body struct {
	Keys []string
	Raw  map[string]json.RawMessage
}

// DecodeBody parses a request body that must be one JSON object. Malformed
// JSON, invalid UTF-8 (an unpaired \u surrogate escape included), a key
// given twice (at any depth) or a non-object is a 400, as the contract
// says; the detail is translated like every message.
func DecodeBody(b []byte) (*Body, error) {
	if len(bytes.TrimSpace(b)) == 0 {
		return &Body{Raw: map[string]json.RawMessage{}}, nil
	}
	if !utf8.Valid(b) || loneSurrogate(b) {
		return nil, malformed(i18n.N("mj_utf8"))
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := checkValue(dec, 0); err != nil {
		return nil, malformed(jsonDetail(err, dec))
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, malformed(i18n.N("mj_trailing"))
	}
	trim := bytes.TrimSpace(b)
	if trim[0] != '{' {
		return nil, malformed(i18n.N("mj_not_object"))
	}
	body := &Body{Raw: map[string]json.RawMessage{}}
	dec = json.NewDecoder(bytes.NewReader(trim))
	if _, err := dec.Token(); err != nil {
		return nil, malformed(jsonDetail(err, dec))
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, malformed(jsonDetail(err, dec))
		}
		k := t.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, malformed(jsonDetail(err, dec))
		}
		body.Keys = append(body.Keys, k)
		body.Raw[k] = raw
	}
	return body, nil
}

func malformed(detail i18n.Nested) error {
	return apierr.New(http.StatusBadRequest, "malformed_json", detail)
}

// errDuplicateKey and errTooDeep are checkValue's own refusals.
type errDuplicateKey string

func (e errDuplicateKey) Error() string { return fmt.Sprintf("the key %q is given twice", string(e)) }

var errTooDeep = errors.New("nested too deeply")

// jsonDetail turns a decoding error into a translatable detail.
func jsonDetail(err error, dec *json.Decoder) i18n.Nested {
	var dup errDuplicateKey
	var syn *json.SyntaxError
	switch {
	case errors.As(err, &dup):
		return i18n.N("mj_duplicate", string(dup))
	case errors.Is(err, errTooDeep):
		return i18n.N("mj_deep", 64)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return i18n.N("mj_truncated")
	case errors.As(err, &syn):
		return i18n.N("mj_syntax", syn.Offset)
	}
	return i18n.N("mj_syntax", dec.InputOffset())
}

// loneSurrogate reports a \u escape of a UTF-16 surrogate that is not part
// of a pair: encoding/json would quietly store U+FFFD instead.
func loneSurrogate(b []byte) bool {
	if !bytes.Contains(b, []byte(`\u`)) {
		return false
	}
	hex4 := func(i int) (int, bool) {
		if i+4 > len(b) {
			return 0, false
		}
		n, err := strconv.ParseUint(string(b[i:i+4]), 16, 32)
		return int(n), err == nil
	}
	inString := false
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case c == '"':
			inString = !inString
		case c == '\\' && inString && i+1 < len(b):
			if b[i+1] != 'u' {
				i++ // \", \\ and the like
				continue
			}
			u, ok := hex4(i + 2)
			if !ok {
				continue // the decoder reports it
			}
			i += 5
			switch {
			case u >= 0xDC00 && u <= 0xDFFF:
				return true
			case u >= 0xD800 && u <= 0xDBFF:
				if i+6 >= len(b) || b[i+1] != '\\' || b[i+2] != 'u' {
					return true
				}
				if lo, ok := hex4(i + 3); !ok || lo < 0xDC00 || lo > 0xDFFF {
					return true
				}
				i += 6
			}
		}
	}
	return false
}

// checkValue walks one JSON value, refusing duplicate keys and deep nesting.
func checkValue(dec *json.Decoder, depth int) error {
	if depth > 64 {
		return errTooDeep
	}
	t, err := dec.Token()
	if err != nil {
		return err
	}
	d, ok := t.(json.Delim)
	if !ok {
		return nil
	}
	switch d {
	case '{':
		seen := map[string]bool{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return err
			}
			k, _ := kt.(string)
			if seen[k] {
				return errDuplicateKey(k)
			}
			seen[k] = true
			if err := checkValue(dec, depth+1); err != nil {
				return err
			}
		}
	case '[':
		for dec.More() {
			if err := checkValue(dec, depth+1); err != nil {
				return err
			}
		}
	}
	_, err = dec.Token() // closing delimiter
	return err
}

var (
	emailRe    = regexp.MustCompile(`^[^\s@<>(),;:"\[\]]+@[^\s@<>(),;:"\[\]]+\.[A-Za-z0-9-]{2,}$`)
	decimalRe  = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)
	dateLayout = "2006-01-02"
)

// convert validates raw against f and returns the Go value to store
// (see store.Row for the kinds). path names the field in errors.
func convert(v *apierr.Validation, path string, f *schema.Field, raw json.RawMessage) (any, bool) {
	if isNull(raw) {
		if f.Required || f.NotNull || f.Default != nil {
			v.Add(path, "v_required", path)
			return nil, false
		}
		if f.Type == schema.Bool {
			v.Add(path, "v_boolean", path)
			return nil, false
		}
		return nil, true
	}
	switch f.Type {
	case schema.Int, schema.Ref:
		n, ok := asInt(raw)
		if !ok {
			v.Add(path, "v_integer", path)
			return nil, false
		}
		if f.Min != nil && n < *f.Min {
			v.Add(path, "v_min", path, *f.Min)
			return nil, false
		}
		if f.Max != nil && n > *f.Max {
			v.Add(path, "v_max", path, *f.Max)
			return nil, false
		}
		if f.Type == schema.Ref && n <= 0 {
			v.Add(path, "v_exists", path)
			return nil, false
		}
		return n, true
	case schema.Bool:
		var b bool
		if json.Unmarshal(raw, &b) != nil {
			v.Add(path, "v_boolean", path)
			return nil, false
		}
		return b, true
	case schema.Decimal:
		s, ok := asString(raw)
		if !ok {
			v.Add(path, "v_decimal", path)
			return nil, false
		}
		c, key := ParseCents(s)
		if key != "" {
			v.Add(path, key, path)
			return nil, false
		}
		if f.Min != nil && c < *f.Min {
			v.Add(path, "v_negative", path)
			return nil, false
		}
		return c, true
	case schema.StringList:
		var items []json.RawMessage
		if json.Unmarshal(raw, &items) != nil || raw[0] != '[' {
			v.Add(path, "v_array", path)
			return nil, false
		}
		l := make([]string, len(items))
		for i, it := range items {
			s, ok := asString(it)
			if !ok {
				item := fmt.Sprintf("%s.%d", path, i)
				v.Add(item, "v_string", item)
				return nil, false
			}
			l[i] = s
		}
		for i, s := range l {
			if utf8.RuneCountInString(s) > 255 {
				v.Add(fmt.Sprintf("%s.%d", path, i), "v_max_length", path, 255)
				return nil, false
			}
			if strings.ContainsRune(s, 0) {
				v.Add(fmt.Sprintf("%s.%d", path, i), "v_string", path)
				return nil, false
			}
			if f.Elem == schema.Email && !ValidEmail(s) {
				item := fmt.Sprintf("%s.%d", path, i)
				v.Add(item, "v_email", item)
				return nil, false
			}
		}
		if l == nil {
			l = []string{}
		}
		return l, true
	}
	s, ok := asString(raw)
	if !ok {
		v.Add(path, "v_string", path)
		return nil, false
	}
	if f.Trim {
		s = strings.TrimSpace(s)
		if s == "" {
			v.Add(path, "v_required", path)
			return nil, false
		}
	}
	max := 255
	if f.Type == schema.Text {
		max = 65535
	}
	if utf8.RuneCountInString(s) > max {
		v.Add(path, "v_max_length", path, max)
		return nil, false
	}
	switch f.Type {
	case schema.Enum:
		for _, e := range f.Enum {
			if s == e {
				return s, true
			}
		}
		v.Add(path, "v_enum", path, strings.Join(f.Enum, ", "))
		return nil, false
	case schema.Email:
		if !ValidEmail(s) {
			v.Add(path, "v_email", path)
			return nil, false
		}
		if f.Unique {
			s = strings.ToLower(s)
		}
	case schema.URL:
		if !ValidURL(s) {
			v.Add(path, "v_url", path)
			return nil, false
		}
	case schema.Country:
		if !iso3166[s] {
			v.Add(path, "v_country", path)
			return nil, false
		}
	case schema.Currency:
		if u, err := currency.ParseISO(s); err != nil || u.String() != s {
			v.Add(path, "v_currency", path)
			return nil, false
		}
	case schema.Locale:
		if s != "nl" && s != "en" {
			v.Add(path, "v_locale", path)
			return nil, false
		}
	case schema.Timezone:
		if s == "" || s == "Local" {
			v.Add(path, "v_timezone", path)
			return nil, false
		}
		if _, err := time.LoadLocation(s); err != nil {
			v.Add(path, "v_timezone", path)
			return nil, false
		}
	case schema.Date:
		t, err := time.Parse(dateLayout, s)
		if err != nil || t.Format(dateLayout) != s || t.Year() < 1 {
			v.Add(path, "v_date", path)
			return nil, false
		}
	case schema.DateTime:
		t, err := time.Parse(time.RFC3339Nano, rfc3339Upper(s))
		if u := t.UTC(); err != nil || u.Year() < 1 || u.Year() > 9999 {
			// years 1-9999 in UTC: what RFC 3339 can write and both
			// databases store (PostgreSQL has no year 0)
			v.Add(path, "v_datetime", path)
			return nil, false
		}
		return t.UTC().Truncate(time.Microsecond), true
	case schema.Password:
		if utf8.RuneCountInString(s) < 12 {
			v.Add(path, "v_min_length", path, 12)
			return nil, false
		}
	}
	return s, true
}

// ValidEmail reports an address like a@b.nl.
func ValidEmail(s string) bool {
	if len(s) > 255 || !emailRe.MatchString(s) {
		return false
	}
	local, domain, _ := strings.Cut(s, "@")
	if len(local) > 64 { // RFC 5321 §4.5.3.1.1
		return false
	}
	for _, label := range strings.Split(domain, ".") {
		// RFC 1035: 1-63 octets, no hyphen at either end
		if label == "" || len(label) > 63 || strings.HasPrefix(label, "-") || strings.HasSuffix(label, "-") {
			return false
		}
	}
	_, err := mail.ParseAddress(s)
	return err == nil
}

// ValidURL reports an absolute http(s) URL.
func ValidURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && !strings.ContainsAny(s, " \t\n")
}

// ParseCents parses "1250.00" (at most two decimals, no sign) into cents;
// key is the validation message on failure.
func ParseCents(s string) (int64, string) {
	if !decimalRe.MatchString(s) {
		return 0, "v_decimal"
	}
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(s, ".")
	if len(frac) > 2 {
		return 0, "v_decimal"
	}
	if len(strings.TrimLeft(whole, "0")) > 15 {
		return 0, "v_decimal_max"
	}
	for len(frac) < 2 {
		frac += "0"
	}
	n, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil {
		return 0, "v_decimal"
	}
	if neg {
		if n == 0 {
			return 0, ""
		}
		return -n, "v_negative"
	}
	return n, ""
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// asString decodes a JSON string. A NUL character is refused (the wrong
// type for the field, a 422): no text column holds it and PostgreSQL
// rejects it.
func asString(raw json.RawMessage) (string, bool) {
	if len(raw) == 0 || raw[0] != '"' {
		return "", false
	}
	var s string
	return s, json.Unmarshal(raw, &s) == nil && !strings.ContainsRune(s, 0)
}

func asInt(raw json.RawMessage) (int64, bool) {
	s := string(bytes.TrimSpace(raw))
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// EncodeFieldValue validates a custom field value against its definition
// and returns its canonical stored text.
func EncodeFieldValue(v *apierr.Validation, path string, def store.FieldDef, raw json.RawMessage) (string, bool) {
	str := func() (string, bool) {
		s, ok := asString(raw)
		if !ok {
			v.Add(path, "v_string", path)
		}
		return s, ok
	}
	switch def.Type {
	case "text", "phone":
		s, ok := str()
		if ok && utf8.RuneCountInString(s) > 255 {
			v.Add(path, "v_max_length", path, 255)
			return "", false
		}
		return s, ok
	case "textarea":
		s, ok := str()
		if ok && utf8.RuneCountInString(s) > 65535 {
			v.Add(path, "v_max_length", path, 65535)
			return "", false
		}
		return s, ok
	case "email":
		s, ok := str()
		if ok && !ValidEmail(s) {
			v.Add(path, "v_email", path)
			return "", false
		}
		return s, ok
	case "url":
		s, ok := str()
		if ok && !ValidURL(s) {
			v.Add(path, "v_url", path)
			return "", false
		}
		return s, ok
	case "number":
		// a JSON number (integer or not); "40" is the wrong JSON type
		var n json.Number
		d := json.NewDecoder(bytes.NewReader(raw))
		d.UseNumber()
		if raw[0] == '"' || d.Decode(&n) != nil {
			v.Add(path, "v_number", path)
			return "", false
		}
		if _, err := n.Float64(); err != nil {
			v.Add(path, "v_number", path)
			return "", false
		}
		return n.String(), true
	case "decimal":
		// a decimal is a string with at most two places, as money is
		// ("1250.50"); a JSON number is the wrong type
		s, ok := asString(raw)
		c, key := ParseCents(s)
		if key == "v_negative" {
			key = ""
		}
		if !ok {
			key = "v_decimal"
		}
		if key != "" {
			v.Add(path, key, path)
			return "", false
		}
		return store.FormatCents(c), true
	case "boolean":
		var b bool
		if json.Unmarshal(raw, &b) != nil {
			v.Add(path, "v_boolean", path)
			return "", false
		}
		return strconv.FormatBool(b), true
	case "date":
		s, ok := str()
		if !ok {
			return "", false
		}
		if t, err := time.Parse(dateLayout, s); err != nil || t.Format(dateLayout) != s {
			v.Add(path, "v_date", path)
			return "", false
		}
		return s, true
	case "datetime":
		s, ok := str()
		if !ok {
			return "", false
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			v.Add(path, "v_datetime", path)
			return "", false
		}
		return t.UTC().Format(time.RFC3339), true
	case "select":
		s, ok := str()
		if ok && !contains(def.Options, s) {
			v.Add(path, "v_option", path)
			return "", false
		}
		return s, ok
	case "multiselect":
		var l []string
		if json.Unmarshal(raw, &l) != nil || raw[0] != '[' {
			v.Add(path, "v_array", path)
			return "", false
		}
		seen := map[string]bool{}
		for _, s := range l {
			if !contains(def.Options, s) {
				v.Add(path, "v_option", path)
				return "", false
			}
			if seen[s] {
				v.Add(path, "v_distinct", path)
				return "", false
			}
			seen[s] = true
		}
		if l == nil {
			l = []string{}
		}
		b, _ := json.Marshal(l)
		return string(b), true
	}
	v.Add(path, "v_string", path)
	return "", false
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// iso3166 holds the 249 officially assigned ISO 3166-1 alpha-2 codes:
// CLDR's region list (golang.org/x/text) also takes reserved ones (UK,
// XK) and withdrawn ones (AN), which are not country codes.
var iso3166 = func() map[string]bool {
	m := map[string]bool{}
	for _, c := range strings.Fields(`AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR
		BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM
		FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE
		KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX
		MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH
		SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN
		VU WF WS YE YT ZA ZM ZW`) {
		m[c] = true
	}
	return m
}()

// rfc3339Upper upper-cases the T and Z that RFC 3339 §5.6 lets a date-time
// write in lower case (Go's parser wants them upper case).
func rfc3339Upper(s string) string {
	if len(s) > 10 && s[10] == 't' {
		s = s[:10] + "T" + s[11:]
	}
	if strings.HasSuffix(s, "z") {
		s = s[:len(s)-1] + "Z"
	}
	return s
}
