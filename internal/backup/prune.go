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
		if err := pruneFiles(ctx, st); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", st.Location(), err))
		}
	}
	return removed, errors.Join(errs...)
}

// pruneFiles deletes the attachment objects that no backup left at the
// target lists (a file goes with the last backup that holds it), once
// they are a day old.
func pruneFiles(ctx context.Context, st objstore.Store) error {
	fs := objstore.Sub(st, filesPrefix)
	have, err := fs.List(ctx, "")
	if err != nil || len(have) == 0 {
		return err
	}
	ms, err := List(ctx, st)
	if err != nil {
		return err
	}
	keep := map[string]bool{}
	for _, m := range ms {
		if m.Files.Objects == 0 {
			continue
		}
		files, err := ListedFiles(ctx, st, m)
		if err != nil {
			return err // keep everything rather than delete what a backup may need
		}
		for k := range files {
			keep[k] = true
		}
	}
	for _, o := range have {
		// A day's grace: a backup going on now copies its files before it
		// writes the manifest that lists them.
		if !keep[o.Key] && time.Since(o.Modified) > 24*time.Hour {
			if err := fs.Delete(ctx, o.Key); err != nil {
				return err
			}
		}
	}
	return nil
}
