package jobs

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/form"
	"github.com/kluis/kluis/internal/seal"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

// BenchmarkExportXLSX100k exports 100,000 sealed submissions of one form
// to an encrypted XLSX file through the real build job and reports rows/s,
// the peak live heap and the process's peak RSS during the export (the
// 100,000 rows are stored before the clock starts). Memory must stay flat:
// the target is at most 200 MB.
//
//	go test -run '^$' -bench BenchmarkExportXLSX100k -benchtime 1x ./internal/jobs/
//
// KLUIS_BENCH_EXPORT_ROWS sets another size, to show that memory does not
// grow with the export.
func BenchmarkExportXLSX100k(b *testing.B) {
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("KLUIS_BENCH_EXPORT_ROWS")); err == nil && v > 0 {
		n = v
	}
	storetest.EachDialectB(b, func(b *testing.B, env *storetest.Env) {
		tn, userID, actor := exportSetup(b, env)
		fv, err := env.DB.FormByStatus(context.Background(), tn.ID, "vraag", store.FormPublished)
		if err != nil {
			b.Fatal(err)
		}
		seedSubmissions(b, env, tn.ID, fv, n)
		dir := b.TempDir()
		build := ExportBuildHandler(dir)
		b.ResetTimer()
		var peakHeap, rows atomic.Int64
		for i := 0; i < b.N; i++ {
			runtime.GC()
			os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) // reset VmHWM (Linux); best effort
			stop := make(chan struct{})
			done := make(chan struct{})
			go sampleHeap(stop, done, &peakHeap)
			start := time.Now()
			e, err := env.DB.CreateExport(ctx, actor, tn.ID, userID, store.ExportRequest{FormKey: "vraag", Format: store.ExportXLSX,
				Reason: "benchmark", Lang: "nl"})
			if err != nil {
				b.Fatal(err)
			}
			j, err := env.DB.ClaimJob(ctx, "bench", time.Hour)
			if err != nil {
				b.Fatal(err)
			}
			if err := build(ctx, env.DB, j); err != nil {
				b.Fatal(err)
			}
			elapsed := time.Since(start)
			close(stop)
			<-done
			got, err := env.DB.Export(ctx, tn.ID, userID, e.ID)
			if err != nil || got.Done < int64(n) {
				b.Fatalf("export: %+v %v", got, err)
			}
			rows.Store(got.Done)
			b.ReportMetric(float64(got.Done)/elapsed.Seconds(), "rows/s")
			b.ReportMetric(float64(got.Size)/1e6, "file-MB")
			env.DB.FinishJob(ctx, j, nil)
		}
		b.ReportMetric(float64(peakHeap.Load())/1e6, "peak-heap-MB")
		if hwm := vmHWM(); hwm > 0 {
			b.ReportMetric(float64(hwm)/1e6, "peak-RSS-MB")
		}
	})
}

// sampleHeap records the largest live heap seen until stop closes.
func sampleHeap(stop <-chan struct{}, done chan<- struct{}, peak *atomic.Int64) {
	defer close(done)
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for {
		metrics.Read(s)
		if v := int64(s[0].Value.Uint64()); v > peak.Load() {
			peak.Store(v)
		}
		select {
		case <-stop:
			return
		case <-t.C:
		}
	}
}

// vmHWM is the process's peak resident set size in bytes (0 when unknown).
func vmHWM() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb * 1000
		}
	}
	return 0
}

// seedSubmissions stores n sealed submissions of fv directly (sealed with
// the tenant's key exactly as SubmitForm seals them), in one transaction:
// intake speed is another benchmark's business.
func seedSubmissions(b *testing.B, env *storetest.Env, tenantID string, fv store.FormVersion, n int) {
	b.Helper()
	raw := env.Raw(b)
	tx, err := raw.Begin()
	if err != nil {
		b.Fatal(err)
	}
	var st *sql.Stmt
	if st, err = tx.Prepare(`INSERT INTO submissions (id, tenant_id, form_key, data, created_at, form_version, register_version, reference)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`); err != nil {
		b.Fatal(err)
	}
	at := env.Clock.Now().Add(-time.Hour).UnixMicro()
	for i := range n {
		id := fmt.Sprintf("bench%027d", i)
		answers, _ := json.Marshal(form.Answers{"name": {Value: fmt.Sprintf("Burger %d met een redelijk lange naam", i)},
			"email": {Value: fmt.Sprintf("burger%d@example.be", i)}, "phone": {Value: "+32470123456"}, "topic": {Value: "street"},
			"message": {Value: strings.Repeat("Een gewone vraag over de straatverlichting. ", 6)}})
		sealed, err := env.Keys.Seal(tenantID, seal.AD{Tenant: tenantID, Table: "submissions", Column: "data", Row: id}, answers)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := st.Exec(id, tenantID, fv.Key, sealed, at+int64(i), fv.Version, fv.RegisterVersion, fmt.Sprintf("B%010d", i)); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
}
