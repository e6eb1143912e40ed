package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"

	"github.com/kluis/kluis/internal/audit"
)

// SetFormAccess makes forms the exact set of forms whose submissions userID
// sees (ORG-6), recording each grant and each revocation. Every form must
// exist in the tenant (any status) and the user must be a user of the
// tenant: ErrNotFound otherwise, and nothing changes.
func (db *DB) SetFormAccess(ctx context.Context, actor audit.Actor, tenantID, userID string, forms []string) error {
	forms = slices.Compact(slices.Sorted(slices.Values(forms)))
	err := db.write(ctx, func(tx *Tx) error {
		var n int
		if err := tx.queryRow(`SELECT count(*) FROM users WHERE tenant_id = $1 AND id = $2 AND removed_at IS NULL`,
			tenantID, userID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("user %s: %w", userID, ErrNotFound)
		}
		for _, f := range forms {
			if err := tx.queryRow(`SELECT count(*) FROM forms WHERE tenant_id = $1 AND form_key = $2`, tenantID, f).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return fmt.Errorf("form %q: %w", f, ErrNotFound)
			}
		}
		have, err := tx.formAccess(tenantID, userID)
		if err != nil {
			return err
		}
		now := micros(db.now())
		for _, f := range forms {
			if slices.Contains(have, f) {
				continue
			}
			if _, err := tx.exec(`INSERT INTO form_access (tenant_id, user_id, form_key, granted_by, granted_at) VALUES ($1, $2, $3, $4, $5)`,
				tenantID, userID, f, actorName(actor), now); err != nil {
				return err
			}
			if err := tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "form_access.grant", ObjectType: "user",
				ObjectID: userID, Purpose: "form " + f}); err != nil {
				return err
			}
		}
		for _, f := range have {
			if slices.Contains(forms, f) {
				continue
			}
			if _, err := tx.exec(`DELETE FROM form_access WHERE tenant_id = $1 AND user_id = $2 AND form_key = $3`, tenantID, userID, f); err != nil {
				return err
			}
			if err := tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "form_access.revoke", ObjectType: "user",
				ObjectID: userID, Purpose: "form " + f}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("set form access: %w", err)
	}
	return nil
}

// FormAccess lists the keys of the forms whose submissions userID sees,
// sorted. An unknown user sees none.
func (db *DB) FormAccess(ctx context.Context, tenantID, userID string) ([]string, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT form_key FROM form_access WHERE tenant_id = $1 AND user_id = $2 ORDER BY form_key`,
		tenantID, userID)
	if err != nil {
		return nil, fmt.Errorf("form access: %w", err)
	}
	forms, err := scanStrings(rows)
	if err != nil {
		return nil, fmt.Errorf("form access: %w", err)
	}
	return forms, nil
}

// FormAccessOf maps each user of the tenant with any grant to their forms.
func (db *DB) FormAccessOf(ctx context.Context, tenantID string) (map[string][]string, error) {
	out := map[string][]string{}
	rows, err := db.sql.QueryContext(ctx, `SELECT user_id, form_key FROM form_access WHERE tenant_id = $1 ORDER BY user_id, form_key`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("form access of tenant: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var u, f string
		if err := rows.Scan(&u, &f); err != nil {
			return nil, fmt.Errorf("form access of tenant: %w", err)
		}
		out[u] = append(out[u], f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("form access of tenant: %w", err)
	}
	return out, nil
}

// CanSeeForm reports whether userID has a grant on formKey.
func (db *DB) CanSeeForm(ctx context.Context, tenantID, userID, formKey string) (bool, error) {
	var n int
	err := db.sql.QueryRowContext(ctx, `SELECT count(*) FROM form_access WHERE tenant_id = $1 AND user_id = $2 AND form_key = $3`,
		tenantID, userID, formKey).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("can see form: %w", err)
	}
	return n > 0, nil
}

func (tx *Tx) formAccess(tenantID, userID string) ([]string, error) {
	rows, err := tx.query(`SELECT form_key FROM form_access WHERE tenant_id = $1 AND user_id = $2 ORDER BY form_key`, tenantID, userID)
	if err != nil {
		return nil, err
	}
	return scanStrings(rows)
}

// scanStrings reads a one-column result of strings and closes it.
func scanStrings(rows *sql.Rows) ([]string, error) {
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
