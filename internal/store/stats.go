package store

import (
	"context"
	"fmt"
	"time"
)

// brussels is the day boundary of the statistics: a Belgian office's day.
var brussels = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Brussels")
	if err != nil {
		return time.UTC
	}
	return loc
}()

// statsDay is the day of t in Brussels, as the statistics key it.
func statsDay(t time.Time) string { return t.In(brussels).Format(time.DateOnly) }

// countStat adds delta to a form's count of submissions received on day
// and now in status. The statistics hold no personal data and no link to
// a submission, so they outlive the submissions retention removes.
func (tx *Tx) countStat(tenantID, formKey, day, status string, delta int) error {
	_, err := tx.exec(`INSERT INTO form_stats (tenant_id, form_key, day, status, count) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (tenant_id, form_key, day, status) DO UPDATE SET count = form_stats.count + $5`,
		tenantID, formKey, day, status, delta)
	return err
}

// FormStat is one figure: submissions of a form received on Day that are
// now in Status.
type FormStat struct {
	FormKey string
	Day     string // YYYY-MM-DD, Europe/Brussels
	Status  string
	Count   int64
}

// FormStats lists a tenant's figures for days from..to (inclusive,
// YYYY-MM-DD), by form, day and status. They hold no personal data, so
// reading them is not audited.
func (db *DB) FormStats(ctx context.Context, tenantID, from, to string) ([]FormStat, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT form_key, day, status, count FROM form_stats
		WHERE tenant_id = $1 AND day >= $2 AND day <= $3 AND count <> 0 ORDER BY form_key, day, status`, tenantID, from, to)
	if err != nil {
		return nil, fmt.Errorf("form stats: %w", err)
	}
	defer rows.Close()
	var out []FormStat
	for rows.Next() {
		var s FormStat
		if err := rows.Scan(&s.FormKey, &s.Day, &s.Status, &s.Count); err != nil {
			return nil, fmt.Errorf("form stats: %w", err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("form stats: %w", err)
	}
	return out, nil
}
