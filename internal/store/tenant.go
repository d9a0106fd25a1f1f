package store

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/cirqll/core/internal/auth"
	"github.com/cirqll/core/internal/schema"
)

// BuiltinPermissions returns the permissions of a built-in role:
// company_owner everything, company_user read all and create/update/delete
// own, company_viewer read all.
func BuiltinPermissions(role string) []string {
	var out []string
	for _, s := range schema.Scopes() {
		parts := strings.Split(s, ".")
		action, extent := parts[1], parts[2]
		switch role {
		case "company_owner":
			out = append(out, s)
		case "company_user":
			if (action == "read" && extent == "all") || (action != "read" && extent == "own") {
				out = append(out, s)
			}
		case "company_viewer":
			if action == "read" && extent == "all" {
				out = append(out, s)
			}
		}
	}
	sort.Strings(out)
	return out
}

// NewCompany is what `company create` and the first start need.
type NewCompany struct {
	Name          string
	OwnerName     string
	OwnerEmail    string
	OwnerPassword string
	Locale        string
}

// CreateCompany creates a company with its built-in roles, settings and an
// owner, in one transaction.
func (db *DB) CreateCompany(ctx context.Context, in NewCompany) (companyID, userID int64, err error) {
	if in.Locale == "" {
		in.Locale = "nl"
	}
	if in.OwnerName == "" {
		in.OwnerName = "Owner"
	}
	now := db.Dialect.Time(Now())
	err = db.Tx(ctx, func(tx Conn) error {
		var err error
		companyID, err = tx.InsertSQL(ctx, `INSERT INTO companies (name, created_at, updated_at) VALUES (?, ?, ?)`, in.Name, now, now)
		if err != nil {
			return fmt.Errorf("insert company: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO settings (company_id, locale, timezone, currency, date_format, fiscal_year_start_month, customer_number_prefix, created_at, updated_at)
			VALUES (?, ?, 'Europe/Amsterdam', 'EUR', 'DD-MM-YYYY', 1, '', ?, ?)`, companyID, in.Locale, now, now); err != nil {
			return fmt.Errorf("insert settings: %w", err)
		}
		var ownerRole int64
		for _, name := range schema.BuiltinRoles {
			id, err := tx.InsertSQL(ctx, `INSERT INTO roles (company_id, name, description, permissions, builtin, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
				companyID, name, builtinDescriptions[name], strings.Join(BuiltinPermissions(name), " "), db.Dialect.Bool(true), now, now)
			if err != nil {
				return fmt.Errorf("insert role: %w", err)
			}
			if name == "company_owner" {
				ownerRole = id
			}
		}
		// The owner's locale is NULL: they follow the company setting.
		userID, err = tx.InsertSQL(ctx, `INSERT INTO users (company_id, name, email, password_hash, role_id, locale, timezone, active, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, NULL, 'Europe/Amsterdam', ?, ?, ?)`,
			companyID, in.OwnerName, strings.ToLower(strings.TrimSpace(in.OwnerEmail)), auth.HashPassword(in.OwnerPassword), ownerRole, db.Dialect.Bool(true), now, now)
		if err != nil {
			if IsUnique(err) {
				return fmt.Errorf("a user with e-mail %s already exists", in.OwnerEmail)
			}
			return fmt.Errorf("insert owner: %w", err)
		}
		return nil
	})
	return companyID, userID, err
}

var builtinDescriptions = map[string]string{
	"company_owner":  "Everything, including OAuth clients and roles.",
	"company_user":   "Read everything; create, change and delete own records.",
	"company_viewer": "Read everything.",
}

// IsUnique reports a unique-constraint violation on either dialect.
func IsUnique(err error) bool {
	if err == nil {
		return false
	}
	s := err.Error()
	return strings.Contains(s, "UNIQUE constraint failed") || strings.Contains(s, "SQLSTATE 23505") ||
		strings.Contains(s, "duplicate key value")
}

// HasCompany reports whether any company exists (first start).
func (db *DB) HasCompany(ctx context.Context) (bool, error) {
	var n int
	err := db.Reader().QueryRow(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM companies LIMIT 1) x`).Scan(&n)
	return n > 0, err
}

// FirstOwner returns the company's first user with the company_owner role.
func (db *DB) FirstOwner(ctx context.Context, companyID int64) (int64, error) {
	var id int64
	err := db.Reader().QueryRow(ctx, `SELECT u.id FROM users u JOIN roles r ON r.id = u.role_id
		WHERE u.company_id = ? AND r.name = 'company_owner' ORDER BY u.id LIMIT 1`, companyID).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("company %d has no owner (does it exist?)", companyID)
	}
	return id, nil
}
