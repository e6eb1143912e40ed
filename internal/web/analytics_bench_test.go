package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/analytics"
	"github.com/kluis/kluis/internal/storetest"
)

// BenchmarkCount measures what counting adds to a public request (the
// budget is 5 µs, and no database write on the request path): the same
// page through the same middleware with and without Options.Analytics in
// one run, and the count alone (classify, reduce, add under the lock).
// Besides wall time it reports the process's CPU time per operation
// (cpu-ns/op), which a machine shared with other work does not inflate.
func BenchmarkCount(b *testing.B) {
	storetest.EachDialectB(b, func(b *testing.B, env *storetest.Env) {
		benchTenant(b, env)
		without := New(Options{Store: env.DB}).Handler()
		withApp := New(Options{Store: env.DB, Analytics: analytics.NewCounter()})
		with := withApp.Handler()
		const ua = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36"
		request := func() *http.Request {
			r := httptest.NewRequest(http.MethodGet, "/gent/lookup?utm_source=x", nil)
			r.Header.Set("User-Agent", ua)
			r.Header.Set("Referer", "https://www.google.com/search?q=gent")
			r.Header.Set("Accept-Language", "nl-BE")
			return r
		}
		per := map[string]time.Duration{}
		page := func(name string, h http.Handler) {
			b.Run(name, func(b *testing.B) {
				cpu := cpuTime()
				for b.Loop() {
					rec := httptest.NewRecorder()
					h.ServeHTTP(rec, request())
					if rec.Code != http.StatusOK {
						b.Fatalf("status %d", rec.Code)
					}
				}
				per[name] = (cpuTime() - cpu) / time.Duration(b.N)
				b.ReportMetric(float64(per[name].Nanoseconds()), "cpu-ns/op")
			})
		}
		page("page-without", without)
		page("page-with", with)
		b.Run("count-only", func(b *testing.B) {
			t, err := env.DB.TenantBySlug(context.Background(), "gent")
			if err != nil {
				b.Fatal(err)
			}
			r := request()
			ctx := context.WithValue(r.Context(), stateKey{}, &requestState{status: http.StatusOK, lang: "nl"})
			r = r.WithContext(context.WithValue(ctx, tenantKey{}, t))
			cpu := cpuTime()
			for b.Loop() {
				withApp.countView(r)
			}
			per["count-only"] = (cpuTime() - cpu) / time.Duration(b.N)
			b.ReportMetric(float64(per["count-only"].Nanoseconds()), "cpu-ns/op")
		})
		if len(per) == 3 {
			fmt.Printf("BenchmarkCount/%s: page without counting %v CPU/op, with %v CPU/op, difference %v; the count alone %v CPU/op\n", env.Dialect,
				per["page-without"], per["page-with"], per["page-with"]-per["page-without"], per["count-only"])
		}
	})
}

// cpuTime is the CPU time (user and system) the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
