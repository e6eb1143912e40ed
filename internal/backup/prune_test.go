package backup

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/objstore"
)

func daily(from, to time.Time) []Manifest {
	var ms []Manifest
	for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
		ms = append(ms, Manifest{ID: d.Format("2006-01-02"), Created: d})
	}
	return ms
}

func kept(ms []Manifest, expired []string) []string {
	var out []string
	for _, m := range ms {
		if !slices.Contains(expired, m.ID) {
			out = append(out, m.ID)
		}
	}
	slices.Sort(out)
	return out
}

// END-2: the retention keeps 7 daily, 4 weekly and 6 monthly backups, by
// the injectable clock, and deletes the rest oldest first.
func TestClauseEND2_RetentionKeepsDailyWeeklyMonthly(t *testing.T) {
	now := time.Date(2026, 12, 5, 4, 0, 0, 0, time.UTC) // a Saturday
	ms := daily(time.Date(2025, 11, 1, 3, 0, 0, 0, time.UTC), time.Date(2026, 12, 5, 3, 0, 0, 0, time.UTC))
	exp := Expired(ms, now, Retention{7, 4, 6})
	want := []string{"2026-07-31", "2026-08-31", "2026-09-30", "2026-10-31", "2026-11-15", "2026-11-22",
		"2026-11-29", "2026-11-30", "2026-12-01", "2026-12-02", "2026-12-03", "2026-12-04", "2026-12-05"}
	if got := kept(ms, exp); !slices.Equal(got, want) {
		t.Errorf("kept %v\nwant %v", got, want)
	}
	if exp[0] != "2025-11-01" {
		t.Errorf("not oldest first: %v", exp[:3])
	}

	// Days without a backup do not count: the 7 daily are the 7 latest
	// days that have one.
	gappy := append(daily(time.Date(2026, 11, 1, 3, 0, 0, 0, time.UTC), time.Date(2026, 11, 10, 3, 0, 0, 0, time.UTC)),
		Manifest{ID: "late", Created: time.Date(2026, 12, 5, 3, 0, 0, 0, time.UTC)})
	if got := kept(gappy, Expired(gappy, now, Retention{Daily: 7})); len(got) != 7 || got[0] != "2026-11-05" {
		t.Errorf("with a gap: %v", got)
	}
	// The newest is always kept, and one dated after now (a clock set
	// back) is never deleted.
	future := []Manifest{{ID: "a", Created: now.Add(-48 * time.Hour)}, {ID: "b", Created: now.Add(time.Hour)}}
	if exp := Expired(future, now, Retention{}); len(exp) != 1 || exp[0] != "a" {
		t.Errorf("nothing to keep: expired %v", exp)
	}
}

func TestPruneDeletesExpiredBackupsFromEveryStore(t *testing.T) {
	ctx := context.Background()
	st, _ := objstore.Dir(filepath.Join(t.TempDir(), "t"))
	for _, id := range []string{"old", "new"} {
		for _, name := range []string{manifestName, dataName} {
			body := `{"format":"` + Format + `","id":"` + id + `","created":"2026-1` + map[string]string{"old": "0", "new": "2"}[id] + `-01T03:00:00Z"}`
			st.Put(ctx, backupsPrefix+id+"/"+name, strings.NewReader(body), -1)
		}
	}
	removed, err := Prune(ctx, []objstore.Store{st}, time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC), Retention{Daily: 1})
	if err != nil || len(removed) != 1 {
		t.Fatalf("removed %v, %v", removed, err)
	}
	if objs, _ := st.List(ctx, backupsPrefix+"old/"); len(objs) != 0 {
		t.Errorf("left %v", objs)
	}
	if ms, _ := List(ctx, st); len(ms) != 1 || ms[0].ID != "new" {
		t.Errorf("list after prune: %v", ms)
	}
}
