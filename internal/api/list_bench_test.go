package api

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/form"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
	"github.com/kluis/kluis/internal/tenant"
)

// cpuNow is the process's user and system CPU time so far. The API and
// SQLite run in this process, so on SQLite it is the server's CPU; on
// PostgreSQL the database server's own CPU is not in it.
func cpuNow(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkAPIList measures the staff list of the API: GET
// /api/v1/{tenant}/submissions with 50 rows, each opened (AES-GCM,
// authenticated) and the read recorded in the same transaction through the
// single writer (AUD-1), encoded as JSON. It reports process CPU per call
// (cpu-µs/op) and, as the bare baseline, the same SELECT with no opening,
// no audit event and no JSON ("bare-cpu-µs/op"), and their ratio.
//
//	go test ./internal/api -run '^$' -bench 'APIList/sqlite' -benchtime 2000x
func BenchmarkAPIList(b *testing.B) {
	storetest.EachDialectB(b, func(b *testing.B, env *storetest.Env) {
		gent := newTenant(b, env, "gent")
		k, token := newKey(b, env, gent, "bench", []string{store.ScopeSubmissionsRead}, []string{"toelage", "vraag"}, time.Time{})
		seedQuestions(b, env, gent, 60)
		h := New(Options{Store: env.DB, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), RateLimit: 1 << 30}).Handler()
		target := "/api/v1/gent/submissions?limit=50"
		call := func() {
			rec := &discardWriter{header: http.Header{}}
			req := httptest.NewRequest(http.MethodGet, target, nil)
			req.Header.Set("Authorization", "Bearer "+token)
			h.ServeHTTP(rec, req)
			if rec.code != http.StatusOK || rec.n < 50*500 {
				b.Fatalf("GET %s: %d, %d bytes", target, rec.code, rec.n)
			}
		}
		raw := env.Raw(b)
		bare := func() {
			rows, err := raw.Query(`SELECT s.id, s.reference, s.form_key, s.form_version, s.status, s.assignee_id, s.created_at, s.due_at,
				s.lang, s.data FROM submissions s
				JOIN api_key_forms fa ON fa.tenant_id = s.tenant_id AND fa.form_key = s.form_key AND fa.key_id = $2
				JOIN api_keys ak ON ak.id = fa.key_id AND ak.tenant_id = s.tenant_id AND ak.revoked_at IS NULL
				WHERE s.tenant_id = $1 ORDER BY s.created_at DESC, s.id DESC LIMIT 51`, gent.ID, k.ID)
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			for rows.Next() {
				var id, form, status string
				var ref, assignee *string
				var ver int
				var created, due int64
				var lang, data []byte
				if err := rows.Scan(&id, &ref, &form, &ver, &status, &assignee, &created, &due, &lang, &data); err != nil {
					b.Fatal(err)
				}
				n++
			}
			if err := rows.Close(); err != nil || n != 51 {
				b.Fatalf("bare list: %d rows, %v", n, err)
			}
		}
		for range 20 { // warm the caches and the connection pool
			call()
			bare()
		}
		b.ReportAllocs()
		b.ResetTimer()
		start := cpuNow(b)
		for b.Loop() {
			call()
		}
		listCPU := cpuNow(b) - start
		b.StopTimer()
		start = cpuNow(b)
		for range b.N {
			bare()
		}
		bareCPU := cpuNow(b) - start
		perCall := float64(listCPU.Microseconds()) / float64(b.N)
		perBare := float64(bareCPU.Microseconds()) / float64(b.N)
		b.ReportMetric(perCall, "cpu-µs/op")
		b.ReportMetric(perBare, "bare-cpu-µs/op")
		b.ReportMetric(perCall/perBare, "ratio")
		b.Logf("%d calls: list %.0f µs CPU/call, bare query %.0f µs CPU/call, ratio %.2f", b.N, perCall, perBare, perCall/perBare)
	})
}

// seedQuestions stores n questions as the e-loket does (SubmitForm: sealed
// answers, contact and language), with answers of a realistic size.
func seedQuestions(b *testing.B, env *storetest.Env, tn tenant.Tenant, n int) {
	fv, err := env.DB.FormByStatus(ctx, tn.ID, "vraag", store.FormPublished)
	if err != nil {
		b.Fatal(err)
	}
	for i := range n {
		answers, _ := json.Marshal(form.Answers{"name": {Value: fmt.Sprintf("Burger Bench %d", i)},
			"email": {Value: fmt.Sprintf("burger%d@example.be", i)}, "phone": {Value: "+32 9 123 45 67"}, "topic": {Value: "street"},
			"message": {Value: "De straatverlichting in de Kerkstraat brandt niet sinds maandag. Het is er 's avonds erg donker en " +
				"kinderen fietsen daar naar school. Kunnen jullie dit nakijken en laten weten wanneer het hersteld wordt?"}})
		in := store.NewFormSubmission{FormKey: "vraag", FormVersion: fv.Version, RegisterVersion: fv.RegisterVersion, Answers: answers,
			Contact: fmt.Sprintf("burger%d@example.be", i), Lang: "nl", Idempotency: fmt.Sprintf("bench-%d", i), Receipt: fmt.Sprintf("rc-%d", i)}
		if _, _, err := env.DB.SubmitForm(ctx, audit.Actor{Kind: audit.KindCitizen, ID: "anonymous"}, tn.ID, in); err != nil {
			b.Fatal(err)
		}
		env.Clock.Advance(time.Second)
	}
}

// discardWriter is a ResponseWriter that keeps only the status and the
// length, so that the benchmark measures the handler, not a recorder.
type discardWriter struct {
	header http.Header
	code   int
	n      int
}

func (d *discardWriter) Header() http.Header { return d.header }
func (d *discardWriter) WriteHeader(code int) {
	if d.code == 0 {
		d.code = code
	}
}
func (d *discardWriter) Write(b []byte) (int, error) {
	if d.code == 0 {
		d.code = http.StatusOK
	}
	d.n += len(b)
	return len(b), nil
}
