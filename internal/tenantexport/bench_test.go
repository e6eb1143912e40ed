package tenantexport_test

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/storetest"
	"github.com/kluis/kluis/internal/tenantexport"
)

// BenchmarkTenantExport exports a seeded tenant (KLUIS_BENCH_EXPORT_SUBMISSIONS
// submissions, default 2000, every other one with a 64 KiB file) and
// reports the throughput over every byte written (MB/s) and the peak heap
// in use while it ran (peak-heap-MB), sampled every 10 ms: the export
// streams, so the peak must not grow with the tenant.
func BenchmarkTenantExport(b *testing.B) {
	n := 2000
	if v := os.Getenv("KLUIS_BENCH_EXPORT_SUBMISSIONS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			b.Fatal(err)
		}
	}
	attachmentPad = 64 << 10
	defer func() { attachmentPad = 0 }()
	storetest.EachDialectB(b, func(b *testing.B, env *storetest.Env) {
		tn := seed(b, env, "gent", n)
		runtime.GC()
		var total int64
		var elapsed time.Duration
		var peak uint64
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			var ms runtime.MemStats
			t := time.NewTicker(10 * time.Millisecond)
			defer t.Stop()
			for {
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapInuse)
				select {
				case <-stop:
					return
				case <-t.C:
				}
			}
		}()
		i := 0
		for b.Loop() {
			dir := filepath.Join(b.TempDir(), fmt.Sprint(i))
			i++
			start := time.Now()
			m, err := tenantexport.Export(ctx, env.DB, tn.ID, dir, tenantexport.Options{Actor: operator})
			if err != nil {
				b.Fatal(err)
			}
			elapsed += time.Since(start)
			for _, f := range m.Files {
				total += f.Bytes
			}
		}
		close(stop)
		wg.Wait()
		b.ReportMetric(float64(total)/1e6/elapsed.Seconds(), "MB/s")
		b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
		b.ReportMetric(float64(total)/float64(i)/1e6, "MB/export")
	})
}
