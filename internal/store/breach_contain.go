package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/tenant"
)

// Containment of a breach (BRE-2): the processor stops further harm and
// tells the controller what it did. From a breach's page an admin ends
// what the breach points at — an API key, a supplier's access grant, a
// user's sessions, a webhook — with the store operation that ends it
// anywhere else (its own audit event), and in the same transaction the
// measure is written into the annex's "measures taken" field as the
// breach's next version, sent to the controller's admins and DPO as every
// update is. Nothing ends without the measure on the breach, and no
// measure is recorded for something that did not end.

// The containment actions.
const (
	ContainAPIKey   = "api_key"  // revoke a key
	ContainGrant    = "grant"    // end a supplier's access grant
	ContainSessions = "sessions" // end every session of a user
	ContainWebhook  = "webhook"  // disable a webhook
)

// ContainKinds are the actions in the order the page offers them.
var ContainKinds = []string{ContainAPIKey, ContainGrant, ContainSessions, ContainWebhook}

// Measure is one containment as taken, for the sentence the measures
// field gets: what, on which thing (its name: a key's name, the grant's
// operator address, the user's name, the hook's origin), when and how
// many sessions ended.
type Measure struct {
	Kind   string
	Target string
	Label  string
	At     time.Time
	Ended  int
}

// MeasureText words a measure in the tenant's language for the annex.
type MeasureText func(t tenant.Tenant, m Measure) string

// ErrAlreadyEnded: the thing to end has already ended (a revoked key, an
// ended grant, a hook no longer active). Nothing was saved.
var ErrAlreadyEnded = errors.New("already ended")

// ContainBreach ends target of kind for breach id of tenantID, audits the
// end as its own operation does plus "breach.contain", and saves the
// breach's next version with the measure appended to its measures field,
// notifying the controller (notify). ErrNotFound when the breach or the
// target is not the tenant's (tenant isolation: another tenant's key is
// "not found", never ended), ErrAlreadyEnded when it already ended,
// *BreachValidationError when the measures field would grow past its
// limit.
func (db *DB) ContainBreach(ctx context.Context, actor audit.Actor, tenantID, id, kind, target string, word MeasureText,
	notify BreachMail) (Breach, Measure, error) {
	if err := db.requireKeys(); err != nil {
		return Breach{}, Measure{}, err
	}
	if !mayContain(actor, kind) {
		return Breach{}, Measure{}, fmt.Errorf("contain breach: actor kind %q may not end a %s", actor.Kind, kind)
	}
	var b Breach
	var m Measure
	err := db.write(ctx, func(tx *Tx) error {
		var err error
		if b, err = tx.breachRowFor(actor, tenantID, id); err != nil {
			return err
		}
		if err := tx.openBreachVersions(tenantID, &b, false); err != nil {
			return err
		}
		m = Measure{Kind: kind, Target: target, At: tx.db.now()}
		if m.Label, err = tx.containTarget(actor, tenantID, kind, target, &m.Ended); err != nil {
			return err
		}
		t, err := scanTenant(tx.queryRow(`SELECT `+tenantColumns+` FROM tenants WHERE id = $1`, tenantID))
		if err != nil {
			return err
		}
		r := b.Report
		line := word(t, m)
		if r.Measures == "" {
			r.Measures = line
		} else {
			r.Measures += "\n" + line
		}
		r.Normalize()
		if bad := r.Validate(m.At); len(bad) > 0 {
			return &BreachValidationError{bad}
		}
		b.Version++
		b.UpdatedAt, b.Report = m.At, r
		if _, err := tx.exec(`UPDATE breaches SET version = $1, updated_at = $2 WHERE tenant_id = $3 AND id = $4`,
			b.Version, micros(m.At), tenantID, id); err != nil {
			return err
		}
		if err := tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "breach.contain", ObjectType: "breach", ObjectID: id,
			Purpose: fmt.Sprintf("%s %s ended, version %d", kind, target, b.Version)}); err != nil {
			return err
		}
		return tx.saveBreachVersion(actor, tenantID, &b, "breach.update", notify)
	})
	if err != nil {
		return Breach{}, Measure{}, fmt.Errorf("contain breach: %w", err)
	}
	return b, m, nil
}

// mayContain: the controller's own users take every action; supplier
// staff (from the operators' realm) end only the supplier's own access to
// the controller, a grant — never the controller's keys, hooks or users.
func mayContain(actor audit.Actor, kind string) bool {
	return actor.Kind == audit.KindUser && actor.OnBehalfOf == "" || actor.Kind == audit.KindOperator && kind == ContainGrant
}

// containTarget ends the tenant's target of kind with its own operation
// and returns its name for the measure; ended counts the sessions ended.
func (tx *Tx) containTarget(actor audit.Actor, tenantID, kind, target string, ended *int) (string, error) {
	switch kind {
	case ContainAPIKey:
		var name string
		var revoked sql.NullInt64
		err := tx.queryRow(`SELECT name, revoked_at FROM api_keys WHERE tenant_id = $1 AND id = $2`, tenantID, target).Scan(&name, &revoked)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return "", fmt.Errorf("API key %q: %w", target, ErrNotFound)
		case err != nil:
			return "", err
		case revoked.Valid:
			return "", fmt.Errorf("API key %q: %w", target, ErrAlreadyEnded)
		}
		return name, tx.revokeAPIKey(actor, tenantID, target)
	case ContainGrant:
		g, err := tx.db.scanGrant(tx.queryRow(`SELECT `+grantColumns+` FROM operator_grants WHERE tenant_id = $1 AND id = $2`, tenantID, target), true)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return "", fmt.Errorf("grant %q: %w", target, ErrNotFound)
		case err != nil:
			return "", err
		case g.RevokedAt != nil || !g.ExpiresAt.After(tx.db.now()):
			return "", fmt.Errorf("grant %q: %w", target, ErrAlreadyEnded)
		}
		return g.Label, tx.revokeOperatorGrant(actor, tenantID, target)
	case ContainSessions:
		// Not one's own: ending them would sign the actor out in the middle
		// of the work; another admin ends them, or the account page.
		if target == actor.ID {
			return "", fmt.Errorf("own sessions: %w", ErrNotFound)
		}
		u, err := tx.db.scanUser(tenantID, tx.queryRow(`SELECT `+userColumns+` FROM users WHERE tenant_id = $1 AND id = $2 AND removed_at IS NULL`,
			tenantID, target))
		if errors.Is(err, sql.ErrNoRows) {
			return "", fmt.Errorf("user %q: %w", target, ErrNotFound)
		} else if err != nil {
			return "", err
		}
		if *ended, err = tx.revokeAllSessions(actor, tenantID, target, ""); err != nil {
			return "", err
		}
		return u.Name, nil
	case ContainWebhook:
		var origin, status string
		err := tx.queryRow(`SELECT origin, status FROM webhooks WHERE tenant_id = $1 AND id = $2`, tenantID, target).Scan(&origin, &status)
		switch {
		case errors.Is(err, sql.ErrNoRows) || status == WebhookDeleted:
			return "", fmt.Errorf("webhook %q: %w", target, ErrNotFound)
		case err != nil:
			return "", err
		case status != WebhookActive:
			return "", fmt.Errorf("webhook %q: %w", target, ErrAlreadyEnded)
		}
		return origin, tx.endWebhook(actor, tenantID, target, WebhookDisabled)
	}
	return "", fmt.Errorf("containment %q: %w", strings.TrimSpace(kind), ErrNotFound)
}

// ContainTarget is one thing a breach's page offers to end.
type ContainTarget struct {
	Kind, ID, Label string
}

// ContainTargets lists what actor can end of the tenant's now, by kind in
// ContainKinds order: active keys, grants, users with a live session (not
// the actor), active hooks; for supplier staff only the grants. Reading the names of grants and users is recorded
// ("breach.contain_targets"): they are personal data of staff.
func (db *DB) ContainTargets(ctx context.Context, actor audit.Actor, tenantID string) ([]ContainTarget, error) {
	if err := db.requireKeys(); err != nil {
		return nil, err
	}
	var out []ContainTarget
	err := db.write(ctx, func(tx *Tx) error {
		out = nil
		now := micros(tx.db.now())
		add := func(kind, q string, args []any, scan func(rows *sql.Rows) (ContainTarget, error)) error {
			if !mayContain(actor, kind) {
				return nil
			}
			rows, err := tx.query(q, args...)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				c, err := scan(rows)
				if err != nil {
					return err
				}
				c.Kind = kind
				out = append(out, c)
			}
			return rows.Err()
		}
		if err := add(ContainAPIKey, `SELECT id, name FROM api_keys WHERE tenant_id = $1 AND revoked_at IS NULL
			AND (expires_at IS NULL OR expires_at > $2) ORDER BY name, id`, []any{tenantID, now}, func(rows *sql.Rows) (ContainTarget, error) {
			var c ContainTarget
			return c, rows.Scan(&c.ID, &c.Label)
		}); err != nil {
			return err
		}
		if err := add(ContainGrant, `SELECT `+grantColumns+` FROM operator_grants WHERE tenant_id = $1 AND revoked_at IS NULL
			AND expires_at > $2 ORDER BY created_at, id`, []any{tenantID, now}, func(rows *sql.Rows) (ContainTarget, error) {
			g, err := tx.db.scanGrant(rows, true)
			return ContainTarget{ID: g.ID, Label: g.Label}, err
		}); err != nil {
			return err
		}
		if err := add(ContainSessions, `SELECT `+userColumns+` FROM users u WHERE tenant_id = $1 AND removed_at IS NULL AND id <> $2 AND EXISTS (
			SELECT 1 FROM sessions s WHERE s.tenant_id = u.tenant_id AND s.user_id = u.id AND s.revoked_at IS NULL) ORDER BY id`,
			[]any{tenantID, actor.ID}, func(rows *sql.Rows) (ContainTarget, error) {
				u, err := tx.db.scanUser(tenantID, rows)
				return ContainTarget{ID: u.ID, Label: u.Name}, err
			}); err != nil {
			return err
		}
		if err := add(ContainWebhook, `SELECT id, origin FROM webhooks WHERE tenant_id = $1 AND status = $2 ORDER BY created_at, id`,
			[]any{tenantID, WebhookActive}, func(rows *sql.Rows) (ContainTarget, error) {
				var c ContainTarget
				return c, rows.Scan(&c.ID, &c.Label)
			}); err != nil {
			return err
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "breach.contain_targets", ObjectType: "breach",
			Purpose: fmt.Sprintf("%d things that can be ended", len(out))})
	})
	if err != nil {
		return nil, fmt.Errorf("containment targets: %w", err)
	}
	return out, nil
}
