package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/seal"
	"github.com/kluis/kluis/internal/tenant"
)

func (db *DB) requireKeys() error {
	if db.keys == nil {
		return errors.New("no keyring: personal data cannot be sealed or opened")
	}
	return nil
}

// CreateTenant creates the tenant's keys in the keyring, then the tenant
// row with its sealed DPO contact, its audit chain and its first audit
// event, in one transaction. It returns a *tenant.ValidationError for bad
// input and ErrConflict when the slug is taken; on any failure nothing is
// left behind (the new keys are destroyed again).
func (db *DB) CreateTenant(ctx context.Context, actor audit.Actor, in tenant.New) (tenant.Tenant, error) {
	in = in.Normalize()
	if err := in.Validate(); err != nil {
		return tenant.Tenant{}, err
	}
	if err := db.requireKeys(); err != nil {
		return tenant.Tenant{}, err
	}
	var taken bool
	if err := db.sql.QueryRowContext(ctx, `SELECT count(*) > 0 FROM tenants WHERE slug = $1`, in.Slug).Scan(&taken); err != nil {
		return tenant.Tenant{}, fmt.Errorf("create tenant: %w", err)
	}
	if taken {
		return tenant.Tenant{}, fmt.Errorf("tenant slug %q is already taken: %w", in.Slug, ErrConflict)
	}
	now := db.now()
	t := tenant.Tenant{
		ID: newID(now), Slug: in.Slug, LegalName: in.LegalName, EnterpriseNumber: in.EnterpriseNumber,
		DPOName: in.DPOName, DPOEmail: in.DPOEmail, DefaultLang: in.DefaultLang,
		Status: tenant.StatusActive, CreatedAt: fromMicros(micros(now)),
	}
	if err := db.keys.CreateTenant(t.ID); err != nil {
		return tenant.Tenant{}, fmt.Errorf("create tenant keys: %w", err)
	}
	err := db.write(ctx, func(tx *Tx) error {
		name, err := db.keys.Seal(t.ID, seal.AD{Tenant: t.ID, Table: "tenants", Column: "dpo_name", Row: t.ID}, []byte(t.DPOName))
		if err != nil {
			return err
		}
		email, err := db.keys.Seal(t.ID, seal.AD{Tenant: t.ID, Table: "tenants", Column: "dpo_email", Row: t.ID}, []byte(t.DPOEmail))
		if err != nil {
			return err
		}
		if _, err := tx.exec(`INSERT INTO tenants (id, slug, legal_name, enterprise_number, dpo_name, dpo_email,
			default_lang, status, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			t.ID, t.Slug, t.LegalName, t.EnterpriseNumber, name, email, t.DefaultLang, t.Status, micros(t.CreatedAt)); err != nil {
			if isUniqueViolation(err) {
				return fmt.Errorf("tenant slug %q is already taken: %w", in.Slug, ErrConflict)
			}
			return err
		}
		if err := tx.createAuditHead(t.ID); err != nil {
			return err
		}
		return tx.appendAudit(audit.Event{TenantID: t.ID, Actor: actor, Action: "tenant.create",
			ObjectType: "tenant", ObjectID: t.ID, Purpose: "onboarding"})
	})
	if err != nil {
		if derr := db.keys.DestroyTenant(t.ID); derr != nil {
			err = fmt.Errorf("%w (and removing the new keys failed: %v)", err, derr)
		}
		if errors.Is(err, ErrConflict) {
			return tenant.Tenant{}, err
		}
		return tenant.Tenant{}, fmt.Errorf("create tenant: %w", err)
	}
	return t, nil
}

// The last column is the tenant's primary host name ("" for none), so that
// every mail a store method composes for the tenant links there
// (tenant.Tenant.Link).
const tenantColumns = `id, slug, legal_name, enterprise_number, default_lang, status, created_at, suspended_at, realm,
	COALESCE((SELECT h.host FROM tenant_hosts h WHERE h.tenant_id = tenants.id AND h.is_primary = 1), '')`

func scanTenant(row interface{ Scan(...any) error }) (tenant.Tenant, error) {
	var t tenant.Tenant
	var created int64
	var suspended sql.NullInt64
	if err := row.Scan(&t.ID, &t.Slug, &t.LegalName, &t.EnterpriseNumber, &t.DefaultLang, &t.Status, &created, &suspended, &t.Realm, &t.PrimaryHost); err != nil {
		return t, err
	}
	t.CreatedAt = fromMicros(created)
	if suspended.Valid {
		s := fromMicros(suspended.Int64)
		t.SuspendedAt = &s
	}
	return t, nil
}

// Tenant returns the tenant with the given id or slug, without its sealed
// contact details (see TenantContact). ErrNotFound when there is none.
func (db *DB) Tenant(ctx context.Context, idOrSlug string) (tenant.Tenant, error) {
	t, err := scanTenant(db.sql.QueryRowContext(ctx, `SELECT `+tenantColumns+` FROM tenants WHERE id = $1 OR slug = $1`, idOrSlug))
	if errors.Is(err, sql.ErrNoRows) {
		return t, fmt.Errorf("tenant %q: %w", idOrSlug, ErrNotFound)
	}
	if err != nil {
		return t, fmt.Errorf("read tenant: %w", err)
	}
	return t, nil
}

// Tenants lists every controller (a platform-level query for operators);
// the operators' own realm is not one of them (see AuditChains).
func (db *DB) Tenants(ctx context.Context) ([]tenant.Tenant, error) {
	return db.listTenants(ctx, `WHERE realm = 'controller' `)
}

// AuditChains lists every tenant with an audit chain: the controllers and,
// once an operator exists, the operators' realm.
func (db *DB) AuditChains(ctx context.Context) ([]tenant.Tenant, error) {
	return db.listTenants(ctx, ``)
}

func (db *DB) listTenants(ctx context.Context, where string) ([]tenant.Tenant, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT `+tenantColumns+` FROM tenants `+where+`ORDER BY slug`)
	if err != nil {
		return nil, fmt.Errorf("list tenants: %w", err)
	}
	defer rows.Close()
	var ts []tenant.Tenant
	for rows.Next() {
		t, err := scanTenant(rows)
		if err != nil {
			return nil, fmt.Errorf("list tenants: %w", err)
		}
		ts = append(ts, t)
	}
	return ts, rows.Err()
}

// TenantContact opens the tenant's sealed DPO contact, recording the read in
// the tenant's audit log. ErrUnreadable when the keys are gone.
func (db *DB) TenantContact(ctx context.Context, actor audit.Actor, tenantID, purpose string) (tenant.Tenant, error) {
	if err := db.requireKeys(); err != nil {
		return tenant.Tenant{}, err
	}
	var t tenant.Tenant
	err := db.write(ctx, func(tx *Tx) error {
		var err error
		t, err = tx.openContact(tenantID, actor, purpose)
		return err
	})
	return t, err
}

// tenantContact opens the tenant's DPO contact (name, address), recorded
// as tenant.contact.read for purpose; when it does not open, the failed
// read is recorded and the error is kept ErrUnreadable.
func (tx *Tx) tenantContact(tenantID string, actor audit.Actor, purpose string) (name, email string, err error) {
	var sealedName, sealedEmail []byte
	if err := tx.queryRow(`SELECT dpo_name, dpo_email FROM tenants WHERE id = $1`, tenantID).Scan(&sealedName, &sealedEmail); err != nil {
		return "", "", err
	}
	ev := audit.Event{TenantID: tenantID, Actor: actor, Action: "tenant.contact.read", ObjectType: "tenant", ObjectID: tenantID, Purpose: purpose}
	n, err1 := tx.db.keys.Open(tenantID, seal.AD{Tenant: tenantID, Table: "tenants", Column: "dpo_name", Row: tenantID}, sealedName)
	e, err2 := tx.db.keys.Open(tenantID, seal.AD{Tenant: tenantID, Table: "tenants", Column: "dpo_email", Row: tenantID}, sealedEmail)
	if err := errors.Join(err1, err2); err != nil {
		ev.Outcome = audit.OutcomeFailure
		if aerr := tx.appendAudit(ev); aerr != nil {
			return "", "", aerr
		}
		return "", "", keep(fmt.Errorf("tenant contact: %w", ErrUnreadable))
	}
	return string(n), string(e), tx.appendAudit(ev)
}

// SetTenantStatus suspends or reactivates a tenant, audited.
func (db *DB) SetTenantStatus(ctx context.Context, actor audit.Actor, tenantID, status string) error {
	if status != tenant.StatusActive && status != tenant.StatusSuspended {
		return fmt.Errorf("unknown tenant status %q", status)
	}
	return db.write(ctx, func(tx *Tx) error {
		var suspended any
		if status == tenant.StatusSuspended {
			suspended = micros(db.now())
		}
		res, err := tx.exec(`UPDATE tenants SET status = $1, suspended_at = $2 WHERE id = $3`, status, suspended, tenantID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("tenant %q: %w", tenantID, ErrNotFound)
		}
		action := "tenant.suspend"
		if status == tenant.StatusActive {
			action = "tenant.reactivate"
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: action, ObjectType: "tenant", ObjectID: tenantID, Purpose: "contract"})
	})
}

// TenantBySlug returns the tenant with the given slug, without its sealed
// contact details. ErrNotFound when there is none. It reads through the
// statement cache: the API resolves the tenant on every call.
func (db *DB) TenantBySlug(ctx context.Context, slug string) (tenant.Tenant, error) {
	t, err := scanTenant(db.readRow(ctx, `SELECT `+tenantColumns+` FROM tenants WHERE slug = $1`, slug))
	if errors.Is(err, sql.ErrNoRows) {
		return t, fmt.Errorf("tenant %q: %w", slug, ErrNotFound)
	}
	if err != nil {
		return t, fmt.Errorf("read tenant: %w", err)
	}
	return t, nil
}
