package web

import (
	"context"
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/storetest"
)

// TestClauseAUD1_AuditCSVHasEveryEvent: the audit page's CSV download
// holds every event of its filter, past the 10,000 it used to stop at,
// newest first, each once.
func TestClauseAUD1_AuditCSVHasEveryEvent(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		fe := newFormsEnv(t, env)
		const n, writers = 10_100, 20
		var wg sync.WaitGroup
		errs := make(chan error, writers)
		for w := range writers {
			wg.Add(1)
			go func() { // concurrent appends share commits: quick to seed
				defer wg.Done()
				for i := w; i < n; i += writers {
					if err := env.DB.Audit(ctx, audit.Event{TenantID: fe.gent.ID, Actor: audit.Actor{Kind: audit.KindSystem, ID: "mail"},
						Action: "mail.sent", ObjectType: "mail", ObjectID: fmt.Sprintf("mail-%d", i)}); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		resp, body := fe.get(t, "/gent/admin/audit?format=csv&action=mail.sent", fe.dpo)
		if resp.StatusCode != 200 {
			t.Fatalf("download: %d", resp.StatusCode)
		}
		r := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff")))
		r.Comma = ';'
		records, err := r.ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(records) != n+1 {
			t.Fatalf("the download holds %d events, want %d", len(records)-1, n)
		}
		seen := map[string]bool{}
		last := int64(1 << 62)
		for _, rec := range records[1:] {
			seq, err := strconv.ParseInt(rec[0], 10, 64)
			if err != nil || seq >= last || rec[10] != "mail.sent" || seen[rec[12]] {
				t.Fatalf("row %v after %d: not newest first, not the filter, or twice", rec[:1], last)
			}
			last, seen[rec[12]] = seq, true
		}
	})
}
