package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/seal"
	"github.com/kluis/kluis/internal/tenant"
)

// The supplier's staff (platform operators) are the users of one tenant of
// realm "platform" (see migration 0008). They sign in at /operator/ with
// the same password, lockout, MFA and session rules as controller users,
// but their sessions belong to that realm: no controller query ever sees
// them. A controller's admin may grant one operator access for a limited
// time (OperatorGrant); only then does the operator reach that controller's
// pages, read-only, as an audited "operator" actor.

// OperatorRealm returns the operators' realm, creating it (with its keys and
// audit chain) the first time.
func (db *DB) OperatorRealm(ctx context.Context, actor audit.Actor) (tenant.Tenant, error) {
	if t, err := db.TenantBySlug(ctx, tenant.OperatorSlug); err == nil {
		return t, nil
	} else if !errors.Is(err, ErrNotFound) {
		return t, err
	}
	if err := db.requireKeys(); err != nil {
		return tenant.Tenant{}, err
	}
	now := db.now()
	t := tenant.Tenant{ID: newID(now), Slug: tenant.OperatorSlug, LegalName: "Kluis", DefaultLang: "nl",
		Status: tenant.StatusActive, CreatedAt: fromMicros(micros(now)), Realm: tenant.RealmPlatform}
	if err := db.keys.CreateTenant(t.ID); err != nil {
		return tenant.Tenant{}, fmt.Errorf("create operator realm keys: %w", err)
	}
	err := db.write(ctx, func(tx *Tx) error {
		// The realm has no DPO contact of its own: the supplier's is in the
		// contract. The columns are sealed empty values.
		var sealed [2][]byte
		for i, col := range []string{"dpo_name", "dpo_email"} {
			b, err := db.keys.Seal(t.ID, seal.AD{Tenant: t.ID, Table: "tenants", Column: col, Row: t.ID}, nil)
			if err != nil {
				return err
			}
			sealed[i] = b
		}
		if _, err := tx.exec(`INSERT INTO tenants (id, slug, legal_name, enterprise_number, dpo_name, dpo_email,
			default_lang, status, created_at, realm) VALUES ($1, $2, $3, '', $4, $5, $6, $7, $8, $9)`,
			t.ID, t.Slug, t.LegalName, sealed[0], sealed[1], t.DefaultLang, t.Status, micros(t.CreatedAt), t.Realm); err != nil {
			if isUniqueViolation(err) {
				return ErrConflict
			}
			return err
		}
		if err := tx.createAuditHead(t.ID); err != nil {
			return err
		}
		return tx.appendAudit(audit.Event{TenantID: t.ID, Actor: actor, Action: "realm.create", ObjectType: "tenant",
			ObjectID: t.ID, Purpose: "operations"})
	})
	if err != nil {
		_ = db.keys.DestroyTenant(t.ID)
		if errors.Is(err, ErrConflict) { // created concurrently by another process
			return db.TenantBySlug(ctx, tenant.OperatorSlug)
		}
		return tenant.Tenant{}, fmt.Errorf("create operator realm: %w", err)
	}
	return t, nil
}

// AddOperator invites a member of the supplier's staff into the operators'
// realm and returns the one-time activation token. Operators all have the
// same rights (stored as the realm's "admin" role, so MFA is mandatory).
func (db *DB) AddOperator(ctx context.Context, actor audit.Actor, email, name, lang string) (account.User, account.Token, tenant.Tenant, error) {
	realm, err := db.OperatorRealm(ctx, actor)
	if err != nil {
		return account.User{}, account.Token{}, realm, err
	}
	u, tok, err := db.InviteUser(ctx, actor, realm.ID, account.Invite{Email: email, Name: name, Role: account.RoleAdmin, Lang: lang})
	return u, tok, realm, err
}

// OperatorGrantMax is the longest access a controller may grant at once.
const OperatorGrantMax = 72 * time.Hour

// OperatorGrant is a controller's time-boxed permission for one operator.
type OperatorGrant struct {
	ID         string
	TenantID   string
	OperatorID string
	Label      string // the operator's address as the admin typed it
	Reason     string
	GrantedBy  string
	CreatedAt  time.Time
	ExpiresAt  time.Time
	RevokedAt  *time.Time
	Unreadable bool // label and reason did not open; listed without them
}

// markUnreadable keeps a listed grant whose label and reason do not open
// (openedList).
func (g *OperatorGrant) markUnreadable() string { g.Unreadable = true; return g.ID }

// ActiveAt reports whether the grant allows access at now.
func (g OperatorGrant) ActiveAt(now time.Time) bool {
	return g.RevokedAt == nil && now.Before(g.ExpiresAt)
}

// GrantInput is what a controller's admin fills in to grant access.
type GrantInput struct {
	Email    string
	Reason   string
	Duration time.Duration
}

// GrantValidationError maps a field (email, reason, duration) to a message key.
type GrantValidationError struct{ Fields map[string]string }

func (e *GrantValidationError) Error() string {
	var parts []string
	for _, f := range []string{"email", "reason", "duration"} {
		if m, ok := e.Fields[f]; ok {
			parts = append(parts, f+": "+m)
		}
	}
	return "invalid operator grant: " + strings.Join(parts, "; ")
}

func (in GrantInput) validate() error {
	f := map[string]string{}
	if in.Email == "" {
		f["email"] = "grant.error.email_required"
	} else if !account.ValidEmail(in.Email) {
		f["email"] = "grant.error.email_invalid"
	}
	if in.Reason == "" {
		f["reason"] = "grant.error.reason_required"
	} else if utf8.RuneCountInString(in.Reason) > 500 {
		f["reason"] = "grant.error.reason_too_long"
	}
	if in.Duration <= 0 || in.Duration > OperatorGrantMax {
		f["duration"] = "grant.error.duration"
	}
	if len(f) > 0 {
		return &GrantValidationError{Fields: f}
	}
	return nil
}

// ErrNoSuchOperator: the address given for a grant is no active operator.
var ErrNoSuchOperator = errors.New("no active supplier operator has this e-mail address")

func grantAD(tenantID, id, column string) seal.AD {
	return seal.AD{Tenant: tenantID, Table: "operator_grants", Column: column, Row: id}
}

// GrantOperatorAccess lets the operator with the given address into the
// tenant's pages until now+Duration, audited in the tenant's log (and the
// operator learns of it in the realm's log). *GrantValidationError for bad
// input, ErrNoSuchOperator when the address is no active operator.
func (db *DB) GrantOperatorAccess(ctx context.Context, actor audit.Actor, tenantID string, in GrantInput) (OperatorGrant, error) {
	in.Email = strings.TrimSpace(in.Email)
	in.Reason = strings.TrimSpace(in.Reason)
	if err := in.validate(); err != nil {
		return OperatorGrant{}, err
	}
	if err := db.requireKeys(); err != nil {
		return OperatorGrant{}, err
	}
	realm, err := db.TenantBySlug(ctx, tenant.OperatorSlug)
	if errors.Is(err, ErrNotFound) {
		return OperatorGrant{}, ErrNoSuchOperator
	} else if err != nil {
		return OperatorGrant{}, err
	}
	index, err := db.emailIndex(realm.ID, in.Email)
	if err != nil {
		return OperatorGrant{}, err
	}
	now := db.now()
	g := OperatorGrant{ID: newID(now), TenantID: tenantID, Label: in.Email, Reason: in.Reason, GrantedBy: actor.ID,
		CreatedAt: fromMicros(micros(now)), ExpiresAt: fromMicros(micros(now.Add(in.Duration)))}
	label, err := db.keys.Seal(tenantID, grantAD(tenantID, g.ID, "label"), []byte(g.Label))
	if err != nil {
		return g, err
	}
	reason, err := db.keys.Seal(tenantID, grantAD(tenantID, g.ID, "reason"), []byte(g.Reason))
	if err != nil {
		return g, err
	}
	err = db.write(ctx, func(tx *Tx) error {
		var status string
		err := tx.queryRow(`SELECT id, status FROM users WHERE tenant_id = $1 AND email_index = $2`, realm.ID, index).Scan(&g.OperatorID, &status)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && status != account.StatusActive) {
			return ErrNoSuchOperator
		} else if err != nil {
			return err
		}
		if _, err := tx.exec(`INSERT INTO operator_grants (id, tenant_id, operator_id, label, reason, granted_by, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, g.ID, tenantID, g.OperatorID, label, reason, g.GrantedBy,
			micros(g.CreatedAt), micros(g.ExpiresAt)); err != nil {
			return err
		}
		purpose := "until " + g.ExpiresAt.UTC().Format(time.RFC3339)
		if err := tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "operator.grant", ObjectType: "operator",
			ObjectID: g.OperatorID, Purpose: purpose}); err != nil {
			return err
		}
		return tx.appendAudit(audit.Event{TenantID: realm.ID, Actor: actor, Action: "operator.grant.received", ObjectType: "tenant",
			ObjectID: tenantID, Subject: g.OperatorID, Purpose: purpose})
	})
	if err != nil {
		return OperatorGrant{}, err
	}
	return g, nil
}

// RevokeOperatorGrant ends a grant at once, audited. ErrNotFound for an
// unknown id or another tenant's grant.
func (db *DB) RevokeOperatorGrant(ctx context.Context, actor audit.Actor, tenantID, grantID string) error {
	return db.write(ctx, func(tx *Tx) error { return tx.revokeOperatorGrant(actor, tenantID, grantID) })
}

// revokeOperatorGrant ends a grant inside a write, with its audit event;
// also the containment of a breach (BRE-2).
func (tx *Tx) revokeOperatorGrant(actor audit.Actor, tenantID, grantID string) error {
	var operatorID string
	if err := tx.queryRow(`SELECT operator_id FROM operator_grants WHERE tenant_id = $1 AND id = $2`, tenantID, grantID).
		Scan(&operatorID); errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("grant %q: %w", grantID, ErrNotFound)
	} else if err != nil {
		return err
	}
	now := micros(tx.db.now())
	if _, err := tx.exec(`UPDATE operator_grants SET revoked_at = $1, revoked_by = $2
		WHERE tenant_id = $3 AND id = $4 AND revoked_at IS NULL`, now, actor.ID, tenantID, grantID); err != nil {
		return err
	}
	return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "operator.revoke", ObjectType: "operator",
		ObjectID: operatorID, Purpose: "grant " + grantID})
}

const grantColumns = `id, tenant_id, operator_id, label, reason, granted_by, created_at, expires_at, revoked_at`

func (db *DB) scanGrant(row interface{ Scan(...any) error }, open bool) (OperatorGrant, error) {
	var g OperatorGrant
	var label, reason []byte
	var created, expires int64
	var revoked sql.NullInt64
	if err := row.Scan(&g.ID, &g.TenantID, &g.OperatorID, &label, &reason, &g.GrantedBy, &created, &expires, &revoked); err != nil {
		return g, err
	}
	g.CreatedAt, g.ExpiresAt = fromMicros(created), fromMicros(expires)
	if revoked.Valid {
		r := fromMicros(revoked.Int64)
		g.RevokedAt = &r
	}
	if open {
		l, err1 := db.keys.Open(g.TenantID, grantAD(g.TenantID, g.ID, "label"), label)
		r, err2 := db.keys.Open(g.TenantID, grantAD(g.TenantID, g.ID, "reason"), reason)
		if err1 != nil {
			return g, &openError{sealed: label, err: err1}
		}
		if err2 != nil {
			return g, &openError{sealed: reason, err: err2}
		}
		g.Label, g.Reason = string(l), string(r)
	}
	return g, nil
}

// OperatorGrants lists the tenant's grants of the last 90 days, newest
// first, opened for display; the read is audited in the tenant's log.
func (db *DB) OperatorGrants(ctx context.Context, actor audit.Actor, tenantID string) ([]OperatorGrant, error) {
	return reviewedList(ctx, db, actor, tenantID, "operator.grants.read", "operator_grant", "operator_grants",
		func(row interface{ Scan(...any) error }) (OperatorGrant, error) { return db.scanGrant(row, true) },
		`SELECT `+grantColumns+` FROM operator_grants WHERE tenant_id = $1 AND created_at >= $2
		ORDER BY created_at DESC, id`, tenantID, micros(db.now().Add(-90*24*time.Hour)))
}

// ActiveOperatorGrant returns the grant that lets operatorID into tenantID
// now (the one that lasts longest), or ErrNotFound.
func (db *DB) ActiveOperatorGrant(ctx context.Context, tenantID, operatorID string) (OperatorGrant, error) {
	g, err := db.scanGrant(db.sql.QueryRowContext(ctx, `SELECT `+grantColumns+` FROM operator_grants
		WHERE tenant_id = $1 AND operator_id = $2 AND revoked_at IS NULL AND expires_at > $3
		ORDER BY expires_at DESC LIMIT 1`, tenantID, operatorID, micros(db.now())), false)
	if errors.Is(err, sql.ErrNoRows) {
		return g, fmt.Errorf("operator grant: %w", ErrNotFound)
	}
	return g, err
}

// GrantedTenants lists the controllers whose active grants or open
// maintenance notices (AUD-4) let operatorID in now, for the operator's own
// page (no sealed field is opened: the label and reason are the controller's).
func (db *DB) GrantedTenants(ctx context.Context, operatorID string) ([]OperatorGrantSummary, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT t.slug, t.legal_name, MAX(a.until) FROM (
			SELECT tenant_id, expires_at AS until FROM operator_grants
			WHERE operator_id = $1 AND revoked_at IS NULL AND expires_at > $2
			UNION ALL
			SELECT tenant_id, ends_at FROM maintenance_notices
			WHERE operator_id = $1 AND objected_at IS NULL AND starts_at <= $2 AND ends_at > $2) a
		JOIN tenants t ON t.id = a.tenant_id
		WHERE t.status = 'active'
		GROUP BY t.slug, t.legal_name ORDER BY t.slug`, operatorID, micros(db.now()))
	if err != nil {
		return nil, fmt.Errorf("granted tenants: %w", err)
	}
	defer rows.Close()
	var out []OperatorGrantSummary
	for rows.Next() {
		var s OperatorGrantSummary
		var until int64
		if err := rows.Scan(&s.Slug, &s.LegalName, &until); err != nil {
			return nil, err
		}
		s.Until = fromMicros(until)
		out = append(out, s)
	}
	return out, rows.Err()
}

// OperatorGrantSummary is one controller an operator may currently enter.
type OperatorGrantSummary struct {
	Slug, LegalName string
	Until           time.Time
}
