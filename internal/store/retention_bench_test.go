package store_test

import (
	"encoding/json"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/form"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

// BenchmarkRetentionSweep1M measures one retention run over a million
// expired submissions of the demo question form (every category expired:
// contact and web forms anonymised, attachments deleted), as the nightly
// job would meet them after a long outage (issue target: ≥ 50,000 rows/s
// on SQLite, peak RSS ≤ 150 MB). The rows are bulk-loaded first (sealed,
// without audit events); the peak RSS is reset after loading, so it is the
// sweep's. KLUIS_BENCH_ROWS sets the count (default 1,000,000). One run:
//
//	go test ./internal/store -run '^$' -bench RetentionSweep1M -benchtime 1x -timeout 60m
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
