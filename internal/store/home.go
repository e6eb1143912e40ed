package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// HomeFacts is what the staff home page shows about a tenant beside the
// inbox (InboxSummary): none of it is personal data (counts, times,
// outcomes), so reading it is not audited.
type HomeFacts struct {
	// ActiveGrants counts supplier grants, and maintenance notices inside
	// their window, in force now (AUD-4);
	// NextGrantEnd is when the first of them ends (zero when none).
	ActiveGrants int
	NextGrantEnd time.Time
	// PlannedNotices counts maintenance notices announced and not yet
	// begun (not objected to); NextNoticeStart is the first one's start.
	PlannedNotices  int
	NextNoticeStart time.Time
	// LastVerify is the last integrity check of the tenant's audit chain
	// (the daily audit.verify job, AUD-2); nil when none is in the recent
	// log.
	LastVerify *VerifyFact
}

// VerifyFact is one recorded check of the audit chain.
type VerifyFact struct {
	At time.Time
	OK bool
}

// verifyLookback bounds the search for the last audit.verify event to the
// newest events of the log (a primary-key range, no extra index that every
// audited write would pay for). The job runs daily, so a tenant that writes
// fewer events than this per day always finds it; one that does not is told
// no recent check was found, which is the honest answer for the page.
const verifyLookback = 200_000

// HomeFacts gathers the tenant's home page figures.
func (db *DB) HomeFacts(ctx context.Context, tenantID string) (HomeFacts, error) {
	var f HomeFacts
	now := micros(db.now())
	var next sql.NullInt64
	// Supplier access in force: grants, and maintenance notices inside
	// their window (AUD-4).
	if err := db.sql.QueryRowContext(ctx, `SELECT count(*), MIN(a.until) FROM (
			SELECT expires_at AS until FROM operator_grants WHERE tenant_id = $1 AND revoked_at IS NULL AND expires_at > $2
			UNION ALL
			SELECT ends_at FROM maintenance_notices
			WHERE tenant_id = $1 AND objected_at IS NULL AND starts_at <= $2 AND ends_at > $2) a`,
		tenantID, now).Scan(&f.ActiveGrants, &next); err != nil {
		return f, fmt.Errorf("home facts: grants: %w", err)
	}
	if next.Valid {
		f.NextGrantEnd = fromMicros(next.Int64)
	}
	var start sql.NullInt64
	if err := db.sql.QueryRowContext(ctx, `SELECT count(*), MIN(starts_at) FROM maintenance_notices
		WHERE tenant_id = $1 AND objected_at IS NULL AND starts_at > $2`, tenantID, now).Scan(&f.PlannedNotices, &start); err != nil {
		return f, fmt.Errorf("home facts: notices: %w", err)
	}
	if start.Valid {
		f.NextNoticeStart = fromMicros(start.Int64)
	}
	var at int64
	var outcome string
	err := db.sql.QueryRowContext(ctx, `SELECT at, outcome FROM audit_events
		WHERE tenant_id = $1 AND action = 'audit.verify'
		  AND seq > (SELECT COALESCE(MAX(seq), 0) FROM audit_events WHERE tenant_id = $1) - $2
		ORDER BY seq DESC LIMIT 1`, tenantID, verifyLookback).Scan(&at, &outcome)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return f, fmt.Errorf("home facts: last verification: %w", err)
	default:
		f.LastVerify = &VerifyFact{At: fromMicros(at), OK: outcome == "success"}
	}
	return f, nil
}
