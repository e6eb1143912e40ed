package password

import (
	"context"
	"runtime"
	"testing"
)

func BenchmarkHashDefault(b *testing.B) {
	h := NewHasher(DefaultParams, 0)
	ctx := context.Background()
	for b.Loop() {
		if _, err := h.Hash(ctx, "paardenbloem kastanjeboom vijver"); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "hashes/s")
}

func BenchmarkVerifyDefault(b *testing.B) {
	h := NewHasher(DefaultParams, 0)
	ctx := context.Background()
	enc, err := h.Hash(ctx, "paardenbloem kastanjeboom vijver")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if ok, _, err := h.Verify(ctx, "paardenbloem kastanjeboom vijver", enc); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "hashes/s")
}

// BenchmarkVerifyParallel16 runs 16 goroutines of logins against the default
// slot count (2 × GOMAXPROCS): the excess queue on the semaphore.
func BenchmarkVerifyParallel16(b *testing.B) {
	h := NewHasher(DefaultParams, 0)
	ctx := context.Background()
	enc, err := h.Hash(ctx, "paardenbloem kastanjeboom vijver")
	if err != nil {
		b.Fatal(err)
	}
	procs := runtime.GOMAXPROCS(0)
	b.SetParallelism((16 + procs - 1) / procs)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if ok, _, err := h.Verify(ctx, "paardenbloem kastanjeboom vijver", enc); !ok || err != nil {
				b.Error(ok, err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "logins/s")
	b.ReportMetric(float64(h.peak.Load()), "peak-in-flight")
}
