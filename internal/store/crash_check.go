package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/kluis/kluis/internal/audit"
)

// CrashReport is what CrashCheck finds after a server was killed: which
// acknowledged submissions are missing and which rows are half-written,
// that is, stand without the rows written with them in the same
// transaction (AUD-1: no personal data without its audit event).
type CrashReport struct {
	Found, Lost []string // the references asked about, present or not

	Unaudited     int // submissions without their submission.create event
	Orphaned      int // submission.create events without their submission
	LooseFiles    int // attachments without their submission
	LooseMail     int // submissions naming a confirmation mail that is not in the outbox
	LooseHooks    int // webhook deliveries without their webhook
	StatsOff      int // forms whose counts in form_stats differ from their submissions
	BrokenChains  []string
	ChainsChecked int
	Events        int64
}

// HalfWritten is the number of rows and counts that break an invariant.
func (r CrashReport) HalfWritten() int {
	return r.Unaudited + r.Orphaned + r.LooseFiles + r.LooseMail + r.LooseHooks + r.StatsOff
}

// Problems names what is wrong, or is empty.
func (r CrashReport) Problems() string {
	var p []string
	for _, c := range []struct {
		n    int
		what string
	}{{r.Unaudited, "submissions without their audit event"}, {r.Orphaned, "submission.create events without their submission"},
		{r.LooseFiles, "attachments without their submission"}, {r.LooseMail, "confirmation mails missing from the outbox"},
		{r.LooseHooks, "webhook deliveries without their webhook"}, {r.StatsOff, "forms whose statistics differ from their submissions"}} {
		if c.n > 0 {
			p = append(p, fmt.Sprintf("%d %s", c.n, c.what))
		}
	}
	if len(r.BrokenChains) > 0 {
		p = append(p, "broken audit chain(s): "+strings.Join(r.BrokenChains, "; "))
	}
	return strings.Join(p, ", ")
}

// CrashCheck checks, for the crash harness (`kluis bench crash`), that
// every reference in acked is a submission of tenantID, that no row of
// any tenant stands without the rows its transaction wrote with it, and
// that every tenant's audit chain verifies. It reads ids and references
// only, never sealed data, and writes nothing (so no audit event of its
// own: it reads no personal data). The joins are done here rather than
// in SQL so that they cost one pass over each table on SQLite too.
func (db *DB) CrashCheck(ctx context.Context, tenantID string, acked []string) (CrashReport, error) {
	var r CrashReport
	refs, err := db.stringSet(ctx, `SELECT reference FROM submissions WHERE tenant_id = $1 AND reference IS NOT NULL`, tenantID)
	if err != nil {
		return r, err
	}
	for _, ref := range acked {
		if _, ok := refs[ref]; ok {
			r.Found = append(r.Found, ref)
		} else {
			r.Lost = append(r.Lost, ref)
		}
	}
	subs, err := db.stringSet(ctx, `SELECT tenant_id || '/' || id FROM submissions`)
	if err != nil {
		return r, err
	}
	events, err := db.stringSet(ctx, `SELECT tenant_id || '/' || object_id FROM audit_events WHERE action = 'submission.create'`)
	if err != nil {
		return r, err
	}
	for s := range subs {
		if _, ok := events[s]; !ok {
			r.Unaudited++
		}
	}
	for e := range events {
		if _, ok := subs[e]; !ok {
			r.Orphaned++
		}
	}
	for _, c := range []struct {
		n *int
		q string
	}{
		{&r.LooseFiles, `SELECT count(*) FROM attachments a LEFT JOIN submissions s ON s.id = a.submission_id WHERE s.id IS NULL`},
		{&r.LooseMail, `SELECT count(*) FROM submissions s LEFT JOIN mail_outbox m ON m.id = s.confirmation_mail_id
			WHERE s.confirmation_mail_id IS NOT NULL AND m.id IS NULL`},
		{&r.LooseHooks, `SELECT count(*) FROM webhook_deliveries d LEFT JOIN webhooks w ON w.id = d.webhook_id WHERE w.id IS NULL`},
		// Every submission is counted in form_stats in its own transaction;
		// whatever its status now, the counts of a form add up to its
		// submissions.
		{&r.StatsOff, `SELECT count(*) FROM (SELECT f.tenant_id, f.form_key, sum(f.count) AS n FROM form_stats f GROUP BY f.tenant_id, f.form_key) st
			FULL OUTER JOIN (SELECT tenant_id, form_key, count(*) AS n FROM submissions GROUP BY tenant_id, form_key) su
			ON su.tenant_id = st.tenant_id AND su.form_key = st.form_key
			WHERE coalesce(st.n, 0) <> coalesce(su.n, 0)`},
	} {
		if err := db.sql.QueryRowContext(ctx, c.q).Scan(c.n); err != nil {
			return r, fmt.Errorf("crash check: %w", err)
		}
	}
	chains, err := db.AuditChains(ctx)
	if err != nil {
		return r, err
	}
	for _, t := range chains {
		n, err := db.VerifyAudit(ctx, t.ID)
		var broken *audit.BrokenError
		switch {
		case errors.As(err, &broken):
			r.BrokenChains = append(r.BrokenChains, fmt.Sprintf("%s at event %d: %s", t.Slug, broken.Seq, broken.Reason))
		case err != nil:
			return r, err
		}
		r.ChainsChecked++
		r.Events += n
	}
	return r, nil
}

func (db *DB) stringSet(ctx context.Context, q string, args ...any) (map[string]struct{}, error) {
	rows, err := db.sql.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("crash check: %w", err)
	}
	defer rows.Close()
	set := map[string]struct{}{}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, fmt.Errorf("crash check: %w", err)
		}
		set[s] = struct{}{}
	}
	return set, rows.Err()
}

// JobRun is one row of the jobs table, for the crash harness's check that
// every scheduled slot ran exactly once.
type JobRun struct {
	ID, Kind, DedupeKey, Status string
	Attempts                    int
}

// JobRuns lists the jobs of the given kinds.
func (db *DB) JobRuns(ctx context.Context, kinds ...string) ([]JobRun, error) {
	var out []JobRun
	for _, k := range kinds {
		rows, err := db.sql.QueryContext(ctx, `SELECT id, kind, coalesce(dedupe_key, ''), status, attempts FROM jobs WHERE kind = $1 ORDER BY run_at`, k)
		if err != nil {
			return nil, fmt.Errorf("job runs: %w", err)
		}
		for rows.Next() {
			var j JobRun
			if err := rows.Scan(&j.ID, &j.Kind, &j.DedupeKey, &j.Status, &j.Attempts); err != nil {
				rows.Close()
				return nil, fmt.Errorf("job runs: %w", err)
			}
			out = append(out, j)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("job runs: %w", err)
		}
	}
	return out, nil
}
