package backup

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/kluis/kluis/internal/objstore"
)

// Retention says how many backups are kept (END-2, SEC-4): the newest of
// each of the Daily most recent days that have a backup, of each of the
// Weekly most recent ISO weeks, and of each of the Monthly most recent
// months (UTC). A backup kept by any rule is kept.
type Retention struct{ Daily, Weekly, Monthly int }

// Expired returns the ids of the backups the retention no longer keeps,
// oldest first. It is pure: the clock is now. The newest backup is always
// kept, and so is any backup dated after now (a clock set back must not
// delete the backups it cannot place).
func Expired(ms []Manifest, now time.Time, r Retention) []string {
	sorted := make([]Manifest, len(ms))
	copy(sorted, ms)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Created.After(sorted[j].Created) })
	keep := map[string]bool{}
	rules := []struct {
		n      int
		bucket func(time.Time) string
	}{
		{r.Daily, func(t time.Time) string { return t.Format("2006-01-02") }},
		{r.Weekly, func(t time.Time) string { y, w := t.ISOWeek(); return fmt.Sprintf("%d-W%02d", y, w) }},
		{r.Monthly, func(t time.Time) string { return t.Format("2006-01") }},
	}
	for _, rule := range rules {
		last, count := "", 0
		for _, m := range sorted {
			if count >= rule.n {
				break
			}
			b := rule.bucket(m.Created.UTC())
			if b == last {
				continue
			}
			last = b
			count++
			keep[m.ID] = true
		}
	}
	if len(sorted) > 0 {
		keep[sorted[0].ID] = true
	}
	var out []string
	for i := len(sorted) - 1; i >= 0; i-- {
		m := sorted[i]
		if !keep[m.ID] && !m.Created.After(now) {
			out = append(out, m.ID)
		}
	}
	return out
}

// Prune deletes from every store the backups the retention no longer
// keeps, and returns them as "location id".
func Prune(ctx context.Context, stores []objstore.Store, now time.Time, r Retention) (removed []string, err error) {
	var errs []error
	for _, st := range stores {
		ms, err := List(ctx, st)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", st.Location(), err))
			continue
		}
		for _, id := range Expired(ms, now, r) {
			if err := Delete(ctx, st, id); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", st.Location(), err))
				continue
			}
			removed = append(removed, st.Location()+" "+id)
		}
	}
	return removed, errors.Join(errs...)
}
