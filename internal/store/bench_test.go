package store_test

import (
	"bytes"
	"runtime"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
	"github.com/kluis/kluis/internal/tenant"
)

func benchTenant(b *testing.B, env *storetest.Env) tenant.Tenant {
	b.Helper()
	tn, err := env.DB.CreateTenant(ctx, operator, tenant.New{Slug: "bench", LegalName: "Bench", EnterpriseNumber: "0207451227",
		DPOName: "D", DPOEmail: "d@bench.be"})
	if err != nil {
		b.Fatal(err)
	}
	return tn
}

// BenchmarkAuditedInsert1KiB measures durable, audited inserts of a sealed
// 1 KiB record by 8 goroutines on one tenant (target on SQLite: ≥ 5,000/s
// on a 2-core machine, which needs the writer's group commit).
func BenchmarkAuditedInsert1KiB(b *testing.B) {
	storetest.EachDialectB(b, func(b *testing.B, env *storetest.Env) {
		tn := benchTenant(b, env)
		payload := bytes.Repeat([]byte("x"), 1024)
		// RunParallel starts GOMAXPROCS × parallelism goroutines: make it 8.
		b.SetParallelism(max(1, 8/runtime.GOMAXPROCS(0)))
		b.ResetTimer()
		start := time.Now()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := env.DB.CreateSubmission(ctx, clerk("bench"), tn.ID, store.NewSubmission{FormKey: "f", Subject: "85073100343", Data: payload}); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "inserts/s")
		if st := env.DB.WriterStats(); st.Commits > 0 {
			b.ReportMetric(float64(st.Writes)/float64(st.Commits), "writes/commit")
		}
	})
}

// BenchmarkAuditVerify measures `kluis audit verify` over a chain of 100,000
// events read from the database (target ≥ 1M events/s).
func BenchmarkAuditVerify(b *testing.B) {
	const events = 100_000
	storetest.EachDialectB(b, func(b *testing.B, env *storetest.Env) {
		tn := benchTenant(b, env)
		done := make(chan error, 64)
		for w := 0; w < 64; w++ {
			go func() {
				for i := 0; i < events/64; i++ {
					if err := env.DB.Audit(ctx, audit.Event{TenantID: tn.ID, Actor: clerk("u1"), Action: "submission.read",
						ObjectType: "submission", ObjectID: "0123456789abcdef0123456789abcdef", Purpose: "behandeling"}); err != nil {
						done <- err
						return
					}
				}
				done <- nil
			}()
		}
		for w := 0; w < 64; w++ {
			if err := <-done; err != nil {
				b.Fatal(err)
			}
		}
		b.ResetTimer()
		start := time.Now()
		var total int64
		for i := 0; i < b.N; i++ {
			n, err := env.DB.VerifyAudit(ctx, tn.ID)
			if err != nil {
				b.Fatal(err)
			}
			total += n
		}
		b.ReportMetric(float64(total)/time.Since(start).Seconds(), "events/s")
	})
}
