package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

// BenchmarkPublicPages measures the citizen's public pages in process (no
// network): the empty form, the privacy statement, the tenant home and a
// published site page. `kluis bench pages` measures them over HTTP.
func BenchmarkPublicPages(b *testing.B) {
	storetest.EachDialectB(b, func(b *testing.B, env *storetest.Env) {
		benchTenant(b, env)
		benchSitePage(b, env)
		h := New(Options{Store: env.DB, FormRateLimit: 1 << 30}).Handler()
		for _, page := range []struct{ name, target string }{{"form", "/gent/vraag"}, {"privacy", "/gent/privacy"},
			{"home", "/gent/"}, {"site", "/gent/site/openingsuren"}} {
			target := page.target
			b.Run(page.name, func(b *testing.B) {
				b.ReportAllocs()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						rec := &discardWriter{header: http.Header{}}
						h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
						if rec.code != http.StatusOK {
							b.Errorf("GET %s: %d", target, rec.code)
							return
						}
					}
				})
			})
		}
	})
}

// benchSitePage publishes gent's site page "openingsuren".
func benchSitePage(b *testing.B, env *storetest.Env) {
	tn, err := env.DB.TenantBySlug(context.Background(), "gent")
	if err != nil {
		b.Fatal(err)
	}
	publishSitePage(b, env, tn.ID, "openingsuren", map[string]store.SiteText{"nl": {Title: "Openingsuren", Summary: "Wanneer het loket open is",
		Body: "## Loket\n\nOpen van **9 tot 12** en van 14 tot 16 uur.\n\n## Telefoon\n\nBel ons op werkdagen."}})
}

// publishSitePage saves and publishes a site page of the tenant.
func publishSitePage(t testing.TB, env *storetest.Env, tenantID, slug string, text map[string]store.SiteText) {
	t.Helper()
	ctx := context.Background()
	op := audit.Actor{Kind: audit.KindOperator, ID: "op"}
	id, v, err := env.DB.SaveSitePage(ctx, op, tenantID, "", store.SiteDraft{Slug: slug, Position: 1, Text: text}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := env.DB.PublishSitePage(ctx, op, tenantID, id, v); err != nil {
		t.Fatal(err)
	}
}

// discardWriter is a ResponseWriter that keeps only the status, so that
// the benchmark measures the handler, not a recorder's buffer.
type discardWriter struct {
	header http.Header
	code   int
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
	return len(b), nil
}
