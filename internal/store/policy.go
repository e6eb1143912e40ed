package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/policy"
)

// PolicyVersion is one stored version of a tenant's security policy.
type PolicyVersion struct {
	Version   int
	CreatedAt time.Time
	CreatedBy string // the actor's id, never a name
}

const policyColumns = `version, password_min_length, password_max_length, breach_check, lockout_max_failures, lockout_window_s,
	lockout_lock1_s, lockout_lock2_s, lockout_lock3_s, lockout_admin_unlock_after, mfa_max_failures, session_idle_s,
	session_admin_idle_s, session_absolute_s, mfa_required`

func scanPolicy(row interface{ Scan(...any) error }) (policy.Policy, int, error) {
	var p policy.Policy
	var version, breach, mfaRequired int
	var window, l1, l2, l3, idle, adminIdle, absolute int64
	if err := row.Scan(&version, &p.PasswordMinLength, &p.PasswordMaxLength, &breach, &p.LockoutMaxFailures, &window,
		&l1, &l2, &l3, &p.LockoutAdminUnlockAfter, &p.MFAMaxFailures, &idle, &adminIdle, &absolute, &mfaRequired); err != nil {
		return p, 0, err
	}
	s := func(v int64) time.Duration { return time.Duration(v) * time.Second }
	p.BreachCheck, p.MFARequired = breach != 0, mfaRequired != 0
	p.LockoutWindow, p.LockoutLocks = s(window), [3]time.Duration{s(l1), s(l2), s(l3)}
	p.SessionIdle, p.SessionAdminIdle, p.SessionAbsolute = s(idle), s(adminIdle), s(absolute)
	return p, version, nil
}

const currentPolicyQuery = `SELECT ` + policyColumns + ` FROM tenant_policies WHERE tenant_id = $1
	ORDER BY version DESC LIMIT 1`

// TenantPolicy returns a tenant's current security policy and its version:
// policy.Default and version 0 when the tenant has set none (also for an
// unknown tenant). The policy holds no personal data, so reading it is not
// audited.
func (db *DB) TenantPolicy(ctx context.Context, tenantID string) (policy.Policy, int, error) {
	p, v, err := scanPolicy(db.sql.QueryRowContext(ctx, currentPolicyQuery, tenantID))
	if errors.Is(err, sql.ErrNoRows) {
		return policy.Default, 0, nil
	}
	if err != nil {
		return policy.Policy{}, 0, fmt.Errorf("tenant policy: %w", err)
	}
	return p, v, nil
}

// tenantPolicy is TenantPolicy inside a write.
func (tx *Tx) tenantPolicy(tenantID string) (policy.Policy, int, error) {
	p, v, err := scanPolicy(tx.queryRow(currentPolicyQuery, tenantID))
	if errors.Is(err, sql.ErrNoRows) {
		return policy.Default, 0, nil
	}
	return p, v, err
}

// SetTenantPolicy stores p as the tenant's new policy version, when it
// differs from the current one, and records "policy.update" in the tenant's
// audit log in the same transaction with every changed field's old and new
// value (values only: no personal data). base is the version the change
// was made from: when another change was stored since, nothing is saved
// and ErrConflict returned, so no one overwrites a change they did not see.
// A *policy.ValidationError when any field is invalid; nothing is saved
// then either. It returns the current version after the call. The handler
// checks that actor may edit settings.
func (db *DB) SetTenantPolicy(ctx context.Context, actor audit.Actor, tenantID string, p policy.Policy, base int) (int, error) {
	if err := p.Validate(); err != nil {
		return 0, err
	}
	var version int
	err := db.write(ctx, func(tx *Tx) error {
		if err := tx.lockTenant(tenantID); err != nil {
			return err
		}
		old, current, err := tx.tenantPolicy(tenantID)
		if err != nil {
			return err
		}
		version = current
		if current != base {
			return fmt.Errorf("policy changed meanwhile (version %d, edited from %d): %w", current, base, ErrConflict)
		}
		changes := p.Diff(old)
		if len(changes) == 0 {
			return nil
		}
		version = current + 1
		sec := func(d time.Duration) int64 { return int64(d / time.Second) }
		b := func(v bool) int {
			if v {
				return 1
			}
			return 0
		}
		if _, err := tx.exec(`INSERT INTO tenant_policies (tenant_id, `+policyColumns+`, created_at, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`,
			tenantID, version, p.PasswordMinLength, p.PasswordMaxLength, b(p.BreachCheck), p.LockoutMaxFailures, sec(p.LockoutWindow),
			sec(p.LockoutLocks[0]), sec(p.LockoutLocks[1]), sec(p.LockoutLocks[2]), p.LockoutAdminUnlockAfter, p.MFAMaxFailures,
			sec(p.SessionIdle), sec(p.SessionAdminIdle), sec(p.SessionAbsolute), b(p.MFARequired),
			micros(db.now()), actor.ID); err != nil {
			if isUniqueViolation(err) {
				return fmt.Errorf("policy version %d stored meanwhile: %w", version, ErrConflict)
			}
			return err
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "policy.update", ObjectType: "policy",
			ObjectID: fmt.Sprint(version), Outcome: audit.OutcomeSuccess,
			Purpose: fmt.Sprintf("security policy v%d: %s", version, strings.Join(changes, ", "))})
	})
	if err != nil {
		if errors.Is(err, ErrConflict) || errors.Is(err, ErrNotFound) {
			return version, err
		}
		return 0, fmt.Errorf("set tenant policy: %w", err)
	}
	return version, nil
}

// TenantPolicyVersions lists the tenant's stored policy versions, newest
// first, at most limit of them.
func (db *DB) TenantPolicyVersions(ctx context.Context, tenantID string, limit int) ([]PolicyVersion, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT version, created_at, created_by FROM tenant_policies WHERE tenant_id = $1
		ORDER BY version DESC LIMIT $2`, tenantID, limit)
	if err != nil {
		return nil, fmt.Errorf("policy versions: %w", err)
	}
	defer rows.Close()
	var vs []PolicyVersion
	for rows.Next() {
		var v PolicyVersion
		var at int64
		if err := rows.Scan(&v.Version, &at, &v.CreatedBy); err != nil {
			return nil, fmt.Errorf("policy versions: %w", err)
		}
		v.CreatedAt = fromMicros(at)
		vs = append(vs, v)
	}
	return vs, rows.Err()
}

// SessionPolicyOf returns the session lifetimes of a tenant policy.
func SessionPolicyOf(p policy.Policy) SessionPolicy {
	return SessionPolicy{Idle: p.SessionIdle, PrivilegedIdle: p.SessionAdminIdle, Absolute: p.SessionAbsolute}
}

// lockTenant locks the tenant's row for the rest of the transaction, which
// serialises changes to one tenant's settings across nodes on PostgreSQL.
// ErrNotFound for an unknown tenant.
func (tx *Tx) lockTenant(tenantID string) error {
	var id string
	err := tx.queryRow(`SELECT id FROM tenants WHERE id = $1`+tx.forUpdate(), tenantID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("tenant %q: %w", tenantID, ErrNotFound)
	}
	return err
}
