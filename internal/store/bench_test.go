package store_test

import (
	"bytes"
	"runtime"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/compliance"
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
		seedAudit(b, env, tn.ID, events)
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

// BenchmarkSignCheckpoint measures signing a checkpoint of a log of
// 100,000 events that just grew by one (the periodic job's work per
// tenant; target ≤ 50 ms), and, in the same run, the bare audited append
// that grew it: the ratio says what signing costs next to one write.
func BenchmarkSignCheckpoint(b *testing.B) {
	const events = 100_000
	storetest.EachDialectB(b, func(b *testing.B, env *storetest.Env) {
		tn := benchTenant(b, env)
		seedAudit(b, env, tn.ID, events)
		signer, _ := testSigner(b)
		ev := audit.Event{TenantID: tn.ID, Actor: clerk("u1"), Action: "submission.read",
			ObjectType: "submission", ObjectID: "0123456789abcdef0123456789abcdef", Purpose: "behandeling"}
		var appendTime, signTime time.Duration
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			t0 := time.Now()
			if err := env.DB.Audit(ctx, ev); err != nil {
				b.Fatal(err)
			}
			t1 := time.Now()
			if _, created, err := env.DB.SignCheckpoint(ctx, tn.ID, signer, nil); err != nil || !created {
				b.Fatalf("sign: %v (created %v)", err, created)
			}
			appendTime += t1.Sub(t0)
			signTime += time.Since(t1)
		}
		b.ReportMetric(float64(signTime.Microseconds())/1000/float64(b.N), "ms/sign")
		b.ReportMetric(float64(appendTime.Microseconds())/1000/float64(b.N), "ms/append")
		b.ReportMetric(float64(signTime)/float64(appendTime), "sign/append")
	})
}

// seedAudit appends n events to tenant's log from 64 writers at once.
func seedAudit(b *testing.B, env *storetest.Env, tenantID string, n int) {
	b.Helper()
	done := make(chan error, 64)
	for w := 0; w < 64; w++ {
		go func() {
			for i := 0; i < n/64; i++ {
				if err := env.DB.Audit(ctx, audit.Event{TenantID: tenantID, Actor: clerk("u1"), Action: "submission.read",
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
}

// BenchmarkComplianceReport measures the compliance report a DPO opens
// (ADT-1: compliance.Collect and Build, which verify the whole audit chain
// live) on a log of 100,000 events, and in the same run the bare chain
// verification it contains: the ratio says what the report adds to it.
func BenchmarkComplianceReport(b *testing.B) {
	const events = 100_000
	storetest.EachDialectB(b, func(b *testing.B, env *storetest.Env) {
		tn := benchTenant(b, env)
		seedAudit(b, env, tn.ID, events)
		reader := audit.Actor{Kind: audit.KindUser, ID: "dpo-bench", Role: "dpo", RequestID: "req-bench"}
		var verifyTime, reportTime time.Duration
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			t0 := time.Now()
			if _, err := env.DB.VerifyAudit(ctx, tn.ID); err != nil {
				b.Fatal(err)
			}
			t1 := time.Now()
			f, err := compliance.Collect(ctx, env.DB, tn.ID, env.DB.Now(), compliance.Options{Actor: reader})
			if err != nil {
				b.Fatal(err)
			}
			if r := compliance.Build(f); len(r.Items) != len(compliance.Clauses) {
				b.Fatalf("%d clauses answered", len(r.Items))
			}
			verifyTime += t1.Sub(t0)
			reportTime += time.Since(t1)
		}
		b.ReportMetric(float64(reportTime.Microseconds())/1000/float64(b.N), "ms/report")
		b.ReportMetric(float64(verifyTime.Microseconds())/1000/float64(b.N), "ms/verify")
		b.ReportMetric(float64(reportTime)/float64(verifyTime), "report/verify")
	})
}
