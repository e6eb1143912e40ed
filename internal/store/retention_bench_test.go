package store_test

import (
	"encoding/json"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/form"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

// BenchmarkRetentionSweep1M measures one retention run over a million
// expired submissions of the demo question form (every category expired:
// contact and web forms anonymised, attachments deleted), as the nightly
// job would meet them after a long outage (issue target: ≥ 50,000 rows/s
// on SQLite, peak RSS ≤ 150 MB, the inbox's p95 during the sweep ≤ 2 × idle,
// measured with a clerk opening the first page every 20 ms). The rows are
// bulk-loaded first (sealed,
// without audit events); the peak RSS is reset after loading, so it is the
// sweep's. KLUIS_BENCH_ROWS sets the count (default 1,000,000). One run:
//
//	go test ./internal/store -run '^$' -bench RetentionSweep1M -benchtime 1x -timeout 60m
//
// PostgreSQL too (a throwaway cluster), and back-to-back pairs at 100,000
// rows to compare two versions on this noisy machine:
//
//	scripts/pg-throwaway.sh go test ./internal/store -run '^$' -bench 'RetentionSweep1M/postgres' -benchtime 1x
//	KLUIS_BENCH_ROWS=100000 go test ./internal/store -run '^$' -bench 'RetentionSweep1M/sqlite' -benchtime 1x
func BenchmarkRetentionSweep1M(b *testing.B) {
	storetest.EachDialectB(b, func(b *testing.B, env *storetest.Env) {
		n := benchRows()
		if s := os.Getenv("KLUIS_BENCH_ROWS"); s != "" {
			n, _ = strconv.Atoi(s)
		}
		tn := benchTenant(b, env)
		fv := publishDemo(b, env, tn.ID, form.DemoForms()[0])
		start := env.Clock.Now().AddDate(-3, 0, 0)
		t0 := time.Now()
		err := env.DB.BulkSubmissions(ctx, tn.ID, n, func(i int) store.BenchSubmission {
			a, _ := json.Marshal(form.Answers{"name": {Value: "Burger " + strconv.Itoa(i)}, "email": {Value: "burger" + strconv.Itoa(i) + "@example.be"},
				"topic": {Value: "street"}, "message": {Value: "De straatverlichting in de Kerkstraat brandt niet sinds maandag."}})
			return store.BenchSubmission{FormKey: fv.Key, FormVersion: fv.Version, Answers: a, Subject: subjectOf(i), Status: store.StatusNew,
				CreatedAt: start.Add(time.Duration(i) * time.Second)}
		})
		if err != nil {
			b.Fatal(err)
		}
		b.Logf("%s: loaded %d submissions in %s", env.Dialect, n, time.Since(t0).Round(time.Second))
		// The inbox's first page, idle and while the sweep runs (issue
		// target: p95 during the sweep ≤ 2 × idle).
		u := activeUser(b, env, tn, "clerk@bench.be", account.RoleUser, fastHasher())
		if err := env.DB.SetFormAccess(ctx, operator, tn.ID, u.ID, []string{fv.Key}); err != nil {
			b.Fatal(err)
		}
		clerkActor := audit.Actor{Kind: audit.KindUser, ID: u.ID, Role: "user", RequestID: "bench"}
		page := func() time.Duration {
			t := time.Now()
			if _, err := inbox(env, clerkActor, tn.ID, store.InboxQuery{Viewer: store.UserViewer(u.ID), Limit: 50}); err != nil {
				b.Error(err)
			}
			return time.Since(t)
		}
		var idle []time.Duration
		for range 100 {
			idle = append(idle, page())
		}
		stop := make(chan struct{})
		during := make(chan []time.Duration)
		go func() {
			var ds []time.Duration
			for {
				select {
				case <-stop:
					during <- ds
					return
				default:
					ds = append(ds, page())
					time.Sleep(20 * time.Millisecond) // a clerk's pace, not a load test
				}
			}
		}()
		// Reset the peak RSS (VmHWM) so that it is the sweep's own.
		os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
		b.ResetTimer()
		t0 = time.Now()
		for range b.N {
			rep, err := env.DB.RunRetention(ctx, operator, tn.ID, store.RetentionOptions{Chunk: benchChunk()})
			if err != nil {
				b.Fatal(err)
			}
			if b.N == 1 && (countOf(rep, "contact", "anonymise") != int64(n) || countOf(rep, "web-forms", "anonymise") != int64(n)) {
				b.Fatalf("swept: %+v", rep.Counts)
			}
		}
		elapsed := time.Since(t0)
		b.StopTimer()
		close(stop)
		busy := <-during
		b.ReportMetric(float64(p95(idle).Microseconds())/1000, "inbox-idle-p95-ms")
		b.ReportMetric(float64(p95(busy).Microseconds())/1000, "inbox-sweep-p95-ms")
		b.ReportMetric(float64(n)/elapsed.Seconds(), "rows/s")
		b.ReportMetric(peakRSSMB(), "peak-RSS-MB")
		b.Logf("%s: swept %d submissions in %s", env.Dialect, n, elapsed.Round(time.Millisecond))
	})
}

// benchChunk is the chunk size: KLUIS_BENCH_CHUNK, else the engine's.
func benchChunk() int {
	n, _ := strconv.Atoi(os.Getenv("KLUIS_BENCH_CHUNK"))
	return n
}

func p95(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)*95/100]
}
