package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/tenant"
)

// The platform log (AUD-3): what the supplier does to the platform itself,
// without a tenant of its own — a migration, the first start of a new
// version, making the checkpoint-signing key, a tenant's key rotation — is
// recorded in the operators' realm's own audit log (its own hash chain,
// checkpointed like every tenant's). Each event names whom it concerns in
// its object: a tenant id, or PlatformAll for every tenant. A controller
// sees the entries that concern it on its log's "Platform" page.

// PlatformAll is the object of a platform event that concerns every tenant.
const PlatformAll = "*"

// PlatformLog records a platform event in the realm's log (made the first
// time). concerns is a tenant id or PlatformAll; detail is the event's one
// value (a version, schema numbers, a key number, a fingerprint), which a
// tenant's page shows in a sentence of its language.
func (db *DB) PlatformLog(ctx context.Context, actor audit.Actor, action, concerns, detail string) error {
	realm, err := db.OperatorRealm(ctx, actor)
	if err != nil {
		return fmt.Errorf("platform log: %w", err)
	}
	return db.Audit(ctx, audit.Event{TenantID: realm.ID, Actor: actor, Action: action, ObjectType: "platform",
		ObjectID: concerns, Purpose: detail})
}

// PlatformStarted records the first start of version ("platform.start")
// unless the last start recorded was of the same version: an upgrade (or
// a roll-back) is in every tenant's view of the platform log. It reports
// whether it recorded one.
func (db *DB) PlatformStarted(ctx context.Context, actor audit.Actor, version string) (bool, error) {
	realm, err := db.OperatorRealm(ctx, actor)
	if err != nil {
		return false, fmt.Errorf("platform log: %w", err)
	}
	var last string
	err = db.sql.QueryRowContext(ctx, `SELECT purpose FROM audit_events WHERE tenant_id = $1 AND action = 'platform.start'
		ORDER BY seq DESC LIMIT 1`, realm.ID).Scan(&last)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return false, err
	}
	if last == version {
		return false, nil
	}
	return true, db.Audit(ctx, audit.Event{TenantID: realm.ID, Actor: actor, Action: "platform.start", ObjectType: "platform",
		ObjectID: PlatformAll, Purpose: version})
}

// PlatformEvents lists the newest platform events (at most limit) that
// concern tenantID: its own and those of every tenant. Nothing in them is
// personal data (the actor is left out).
func (db *DB) PlatformEvents(ctx context.Context, tenantID string, limit int) ([]audit.Event, error) {
	realm, err := db.TenantBySlug(ctx, tenant.OperatorSlug)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT seq, at, action, object_id, purpose, outcome FROM audit_events
		WHERE tenant_id = $1 AND action LIKE 'platform.%' AND object_id IN ($2, $3) ORDER BY seq DESC LIMIT $4`,
		realm.ID, tenantID, PlatformAll, limit)
	if err != nil {
		return nil, fmt.Errorf("platform events: %w", err)
	}
	defer rows.Close()
	var out []audit.Event
	for rows.Next() {
		e := audit.Event{TenantID: realm.ID, Actor: audit.Actor{Kind: audit.KindOperator}}
		var at int64
		if err := rows.Scan(&e.Seq, &at, &e.Action, &e.ObjectID, &e.Purpose, &e.Outcome); err != nil {
			return nil, err
		}
		e.Time = fromMicros(at)
		out = append(out, e)
	}
	return out, rows.Err()
}
