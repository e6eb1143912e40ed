package tenantexport_test

import (
	"bufio"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kluis/kluis/internal/storetest"
	"github.com/kluis/kluis/internal/tenant"
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

// BenchmarkTenantExportBulk exports a large tenant seeded straight into
// the tables (storetest.SeedBulk: KLUIS_BENCH_BULK_SUBMISSIONS, default
// 20,000, and KLUIS_BENCH_BULK_ATTACHMENT_BYTES of 64 KiB files, default
// 1 MB per 1,000 submissions), and measures in the same run a bare
// baseline: the same tables read raw (ciphertext, no opening, no JSON or
// CSV) and as many bytes written to as many files, then synced. The
// machine is shared, so the ratio export/bare is the figure that travels;
// it is printed with both rates and the peak RSS of the export (VmHWM,
// reset before it runs) and its peak heap.
func BenchmarkTenantExportBulk(b *testing.B) {
	n := envInt(b, "KLUIS_BENCH_BULK_SUBMISSIONS", 20_000)
	bytes := int64(envInt(b, "KLUIS_BENCH_BULK_ATTACHMENT_BYTES", n*1000))
	storetest.EachDialectB(b, func(b *testing.B, env *storetest.Env) {
		tn, err := env.DB.CreateTenant(ctx, operator, tenant.New{Slug: "groot", LegalName: "Gemeente Groot",
			EnterpriseNumber: "0207.451.227", DPOName: "DPO", DPOEmail: "dpo@groot.example", DefaultLang: "nl"})
		if err != nil {
			b.Fatal(err)
		}
		t0 := time.Now()
		storetest.SeedBulk(b, env, storetest.BulkSeed{TenantID: tn.ID, Submissions: n, AttachmentBytes: bytes})
		fmt.Fprintf(os.Stderr, "%s: seeded %d submissions and %d MB of files in %.1f s\n", env.Dialect, n, bytes/1e6, time.Since(t0).Seconds())
		var total int64
		var files int
		var exportTime, bareTime time.Duration
		var peakRSS, peakHeap uint64
		i := 0
		for b.Loop() {
			dir := filepath.Join(b.TempDir(), fmt.Sprint(i))
			i++
			runtime.GC()
			resetPeakRSS()
			stop := sampleHeap(&peakHeap)
			start := time.Now()
			m, err := tenantexport.Export(ctx, env.DB, tn.ID, dir, tenantexport.Options{Actor: operator})
			if err != nil {
				b.Fatal(err)
			}
			exportTime += time.Since(start)
			stop()
			peakRSS = max(peakRSS, readPeakRSS())
			var size int64
			files = 0
			for _, f := range m.Files {
				size += f.Bytes
				files += max(1, int(f.Rows*boolInt(f.Path == "files/")))
			}
			total += size
			os.RemoveAll(dir)
			start = time.Now()
			bareExport(b, env, tn.ID, filepath.Join(b.TempDir(), "bare"), size, files)
			bareTime += time.Since(start)
		}
		mbs := float64(total) / 1e6 / exportTime.Seconds()
		bare := float64(total) / 1e6 / bareTime.Seconds()
		b.ReportMetric(mbs, "MB/s")
		b.ReportMetric(bare, "bare-MB/s")
		b.ReportMetric(mbs/bare, "ratio")
		b.ReportMetric(float64(peakRSS)/(1<<20), "peak-RSS-MB")
		b.ReportMetric(float64(peakHeap)/(1<<20), "peak-heap-MB")
		b.ReportMetric(float64(total)/float64(i)/1e6, "MB/export")
		fmt.Fprintf(os.Stderr, "%s: %d submissions, %.0f MB per export in %d files: export %.1f MB/s, bare read+write %.1f MB/s, ratio %.2f; peak RSS %.0f MB, peak heap %.0f MB\n",
			env.Dialect, n, float64(total)/float64(i)/1e6, files, mbs, bare, mbs/bare, float64(peakRSS)/(1<<20), float64(peakHeap)/(1<<20))
	})
}

// bareExport is the floor under an export: read the tenant's submissions
// and attachments as stored (no opening), write size bytes over files
// files (the attachments' ciphertext each to a file, the rest to one
// buffered file), sync the file system.
func bareExport(b *testing.B, env *storetest.Env, tenantID, dir string, size int64, files int) {
	raw := env.Raw(b)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		b.Fatal(err)
	}
	defer os.RemoveAll(dir)
	out, err := os.Create(filepath.Join(dir, "rows"))
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(out, 64<<10)
	var written int64
	rows, err := raw.Query(`SELECT * FROM submissions WHERE tenant_id = $1 ORDER BY id`, tenantID)
	if err != nil {
		b.Fatal(err)
	}
	cols, _ := rows.Columns()
	vals := make([]sql.RawBytes, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			b.Fatal(err)
		}
		for _, v := range vals {
			n, _ := w.Write(v)
			written += int64(n)
		}
	}
	rows.Close()
	made := 1
	rows, err = raw.Query(`SELECT id, data FROM attachments WHERE tenant_id = $1 ORDER BY id`, tenantID)
	if err != nil {
		b.Fatal(err)
	}
	for rows.Next() {
		var id string
		var data sql.RawBytes
		if err := rows.Scan(&id, &data); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, id), data, 0o600); err != nil {
			b.Fatal(err)
		}
		written += int64(len(data))
		made++
	}
	rows.Close()
	for ; made < files; made++ { // the small files of the other entities
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprint("f", made)), []byte("{}\n"), 0o600); err != nil {
			b.Fatal(err)
		}
	}
	if pad := size - written; pad > 0 { // the JSON, CSV and plaintext are larger than the rows
		chunk := make([]byte, 64<<10)
		for ; pad > 0; pad -= int64(len(chunk)) {
			w.Write(chunk[:min(int64(len(chunk)), pad)])
		}
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	out.Close()
	d, _ := os.Open(dir)
	defer d.Close()
	if err := unix.Syncfs(int(d.Fd())); err != nil {
		b.Fatal(err)
	}
}

func boolInt(v bool) int64 {
	if v {
		return 1
	}
	return 0
}

func envInt(b *testing.B, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		b.Fatalf("%s: %v", name, err)
	}
	return n
}

// sampleHeap records the peak HeapInuse every 10 ms until stop is called.
func sampleHeap(peak *uint64) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		var ms runtime.MemStats
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&ms)
			*peak = max(*peak, ms.HeapInuse)
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	return func() { close(done); wg.Wait() }
}

// resetPeakRSS resets this process's VmHWM (Linux: "5" to clear_refs), so
// that the peak read after the export is the export's, not the seeding's.
func resetPeakRSS() { os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

func readPeakRSS() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			kb, _ := strconv.ParseUint(strings.Fields(l)[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}
