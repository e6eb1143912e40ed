package metrics_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/jobs"
	"github.com/kluis/kluis/internal/metrics"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
	"github.com/kluis/kluis/internal/tenant"
)

// TestClauseAUD2_BrokenChainAndFailedJobsShowInMetrics: the daily audit
// verification reports each tenant's chain by id (1 whole, 0 broken) and
// counts the results; job runs and failures are counted by kind; the
// single writer's batches are measured; and no tenant name or slug is in
// the output.
func TestClauseAUD2_BrokenChainAndFailedJobsShowInMetrics(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		op := audit.Actor{Kind: audit.KindOperator, ID: "op"}
		var ids []string
		for _, slug := range []string{"gent", "brugge"} {
			tn, err := env.DB.CreateTenant(ctx, op, tenant.New{Slug: slug, LegalName: "Stad " + slug, EnterpriseNumber: "0207451227",
				DPOName: "D", DPOEmail: "d@" + slug + ".be"})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, tn.ID)
		}
		m := metrics.New(env.DB, nil)
		env.DB.ObserveBatches(m.Batch)
		defer env.DB.ObserveBatches(nil)
		// Brugge's chain head moves past its last event: the check fails.
		if _, err := env.Raw(t).Exec(`UPDATE audit_heads SET seq = seq + 5 WHERE tenant_id = $1`, ids[1]); err != nil {
			t.Fatal(err)
		}
		handlers := jobs.Handlers()
		handlers["flaky"] = func(context.Context, *store.DB, store.Job) error { return errors.New("remote down") }
		r := &jobs.Runner{DB: env.DB, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Node: "n1", Handlers: handlers,
			Schedule: []jobs.Periodic{{Kind: jobs.KindAuditVerify, Every: 24 * time.Hour}}, Observer: m}
		if err := r.EnqueueDue(ctx); err != nil {
			t.Fatal(err)
		}
		if _, _, err := env.DB.EnqueueJob(ctx, store.NewJob{Kind: "flaky", DedupeKey: "flaky-1", MaxAttempts: 1}); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if did, err := r.RunOne(ctx); !did || err != nil {
				t.Fatalf("did=%v err=%v", did, err)
			}
		}

		rec := httptest.NewRecorder()
		m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		out := rec.Body.String()
		for _, want := range []string{
			`kluis_audit_chain_ok{tenant_id="` + ids[0] + `"} 1`,
			`kluis_audit_chain_ok{tenant_id="` + ids[1] + `"} 0`,
			`kluis_audit_verifications_total{result="broken"} 1`,
			// The check fails as a job when a chain is broken.
			`kluis_job_runs_total{job="audit.verify"} 1`,
			`kluis_job_failures_total{job="audit.verify"} 1`,
			`kluis_job_failures_total{job="flaky"} 1`,
			`kluis_mail_outbox_messages{state="pending"} 0`,
			`kluis_webhook_outbox_deliveries{state="failed"} 0`,
			"kluis_writer_queue_length 0",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("metrics lack %s", want)
			}
		}
		if strings.Contains(out, `kluis_job_last_success_timestamp_seconds{job="flaky"}`) {
			t.Error("a job that only failed has a last success")
		}
		if n := regexp.MustCompile(`(?m)^kluis_writer_batch_size_count (\d+)$`).FindStringSubmatch(out); n == nil || n[1] == "0" {
			t.Errorf("no writer batch measured: %v", n)
		} else if c, _ := strconv.Atoi(n[1]); c < 3 {
			t.Errorf("%d batches measured, want at least the enqueue, claims and finishes", c)
		}
		for _, name := range []string{"gent", "brugge", "Stad "} {
			if strings.Contains(out, name) {
				t.Errorf("metrics name the tenant %q", name)
			}
		}
		if t.Failed() {
			t.Log(out)
		}
	})
}

// TestRoutesAreLabelledByPatternAndStatusClass: an unmatched request is
// "unmatched", never its path; statuses are classes.
func TestRoutesAreLabelledByPatternAndStatusClass(t *testing.T) {
	env := storetest.SQLite(t)
	m := metrics.New(env.DB, nil)
	m.Request("GET /{tenant}/privacy", 200, time.Millisecond)
	m.Request("-", 404, time.Millisecond)
	m.Request("", 503, time.Millisecond)
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	out := rec.Body.String()
	for _, want := range []string{
		`kluis_http_requests_total{route="GET /{tenant}/privacy",status="2xx"} 1`,
		`kluis_http_requests_total{route="unmatched",status="4xx"} 1`,
		`kluis_http_requests_total{route="unmatched",status="5xx"} 1`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}
