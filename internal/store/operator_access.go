package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
)

// Supplier staff reach a controller's data only under the controller's own
// permission (AUD-4): today an operator grant the controller's admin gave
// and has not ended, or a maintenance notice whose window is open.
// OperatorAccess is the one check every operator path outside the web
// pages (the kluis command line) goes through.

// AccessError says why an operator may not reach a tenant's data now. Its
// message names the permission and the reason, never personal data.
type AccessError struct{ Reason string }

func (e *AccessError) Error() string { return "no access: " + e.Reason }

// OperatorPermission is what lets an operator reach one tenant's data now.
type OperatorPermission struct {
	Kind       string // "grant" or "notice"
	ID         string // the grant's or notice's id: recorded as on-behalf-of
	TenantID   string
	OperatorID string // the operator's user id in the realm
	Until      time.Time
}

// Actor is the audit actor of the operator acting under p (AUD-3, AUD-4):
// the operator's account, on behalf of the controller's permission.
func (p OperatorPermission) Actor(requestID string) audit.Actor {
	return audit.Actor{Kind: audit.KindOperator, ID: p.OperatorID, Role: "operator", OnBehalfOf: p.ID, RequestID: requestID}
}

// OperatorAccess checks that permission id lets the active operator with
// the given address reach tenantID's data now. *AccessError when it does
// not: no id, no such operator, no such permission, another tenant's or
// another operator's, revoked or expired.
func (db *DB) OperatorAccess(ctx context.Context, tenantID, operatorEmail, id string) (OperatorPermission, error) {
	if id == "" {
		return OperatorPermission{}, &AccessError{"no grant given"}
	}
	opID, realmID, err := db.operatorByEmail(ctx, operatorEmail)
	if errors.Is(err, ErrNoSuchOperator) {
		return OperatorPermission{}, &AccessError{"you are no supplier operator: KLUIS_OPERATOR (or your login) must be the e-mail address of your operator account"}
	} else if err != nil {
		return OperatorPermission{}, err
	}
	var status string
	if err := db.sql.QueryRowContext(ctx, `SELECT status FROM users WHERE tenant_id = $1 AND id = $2`, realmID, opID).Scan(&status); err != nil {
		return OperatorPermission{}, err
	}
	if status != account.StatusActive {
		return OperatorPermission{}, &AccessError{"your operator account is not active"}
	}
	// Only the grant's plain columns: its label and reason stay sealed.
	var g OperatorGrant
	var expires int64
	var revoked sql.NullInt64
	err = db.sql.QueryRowContext(ctx, `SELECT id, tenant_id, operator_id, expires_at, revoked_at FROM operator_grants WHERE id = $1`, id).
		Scan(&g.ID, &g.TenantID, &g.OperatorID, &expires, &revoked)
	g.ExpiresAt = fromMicros(expires)
	if revoked.Valid {
		r := fromMicros(revoked.Int64)
		g.RevokedAt = &r
	}
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return db.noticeAccess(ctx, tenantID, opID, id)
	case err != nil:
		return OperatorPermission{}, err
	case g.TenantID != tenantID:
		return OperatorPermission{}, &AccessError{fmt.Sprintf("grant %s is another tenant's", id)}
	case g.OperatorID != opID:
		return OperatorPermission{}, &AccessError{fmt.Sprintf("grant %s was given to another operator", id)}
	case g.RevokedAt != nil:
		return OperatorPermission{}, &AccessError{fmt.Sprintf("grant %s was revoked at %s", id, g.RevokedAt.UTC().Format(time.RFC3339))}
	case !g.ActiveAt(db.now()):
		return OperatorPermission{}, &AccessError{fmt.Sprintf("grant %s expired at %s", id, g.ExpiresAt.UTC().Format(time.RFC3339))}
	}
	return OperatorPermission{Kind: "grant", ID: g.ID, TenantID: tenantID, OperatorID: opID, Until: g.ExpiresAt}, nil
}

// noticeAccess is OperatorAccess for a maintenance notice (AUD-4): the
// announced window, as the controller left it, must be open now and not
// objected to. Only the notice's plain columns are read.
func (db *DB) noticeAccess(ctx context.Context, tenantID, opID, id string) (OperatorPermission, error) {
	var n MaintenanceNotice
	var starts, ends int64
	var objected sql.NullInt64
	err := db.sql.QueryRowContext(ctx, `SELECT tenant_id, operator_id, starts_at, ends_at, objected_at FROM maintenance_notices WHERE id = $1`, id).
		Scan(&n.TenantID, &n.OperatorID, &starts, &ends, &objected)
	n.StartsAt, n.EndsAt = fromMicros(starts), fromMicros(ends)
	now := db.now()
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return OperatorPermission{}, &AccessError{fmt.Sprintf("there is no grant or maintenance notice %q", id)}
	case err != nil:
		return OperatorPermission{}, err
	case n.TenantID != tenantID:
		return OperatorPermission{}, &AccessError{fmt.Sprintf("maintenance notice %s is another tenant's", id)}
	case n.OperatorID != opID:
		return OperatorPermission{}, &AccessError{fmt.Sprintf("maintenance notice %s was announced by another operator", id)}
	case objected.Valid:
		return OperatorPermission{}, &AccessError{fmt.Sprintf("the controller objected to maintenance notice %s", id)}
	case now.Before(n.StartsAt):
		return OperatorPermission{}, &AccessError{fmt.Sprintf("maintenance notice %s opens at %s", id, n.StartsAt.UTC().Format(time.RFC3339))}
	case !now.Before(n.EndsAt):
		return OperatorPermission{}, &AccessError{fmt.Sprintf("maintenance notice %s ended at %s", id, n.EndsAt.UTC().Format(time.RFC3339))}
	}
	return OperatorPermission{Kind: "notice", ID: id, TenantID: tenantID, OperatorID: opID, Until: n.EndsAt}, nil
}

// HasActiveAdmin reports whether tenantID has an active administrator:
// while it has none, the supplier may invite its first one without a
// grant (onboarding; nobody could give one yet).
func (db *DB) HasActiveAdmin(ctx context.Context, tenantID string) (bool, error) {
	var n int
	err := db.sql.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE tenant_id = $1 AND role = 'admin' AND status = 'active'
		AND removed_at IS NULL`, tenantID).Scan(&n)
	return n > 0, err
}
