package web

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/storetest"
	"github.com/kluis/kluis/internal/tenant"
)

// BenchmarkFormPost measures the e-loket's intake in process (no network):
// a valid post of the demo question form, checked, sealed, audited and
// committed durably. `kluis bench intake` measures it over HTTP.
func BenchmarkFormPost(b *testing.B) {
	storetest.EachDialectB(b, func(b *testing.B, env *storetest.Env) {
		benchTenant(b, env)
		a := New(Options{Store: env.DB, FormRateLimit: 1 << 30})
		h := a.Handler()
		b.SetParallelism(4)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				body := benchPost()
				req := httptest.NewRequest(http.MethodPost, "/gent/vraag", strings.NewReader(body))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusSeeOther {
					b.Errorf("status %d", rec.Code)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "submissions/s")
	})
}

// BenchmarkFormPostHTTP is BenchmarkFormPost over a real loopback HTTP
// connection per client (8 clients), like `kluis bench intake`.
func BenchmarkFormPostHTTP(b *testing.B) {
	storetest.EachDialectB(b, func(b *testing.B, env *storetest.Env) {
		benchTenant(b, env)
		srv := httptest.NewServer(New(Options{Store: env.DB, FormRateLimit: 1 << 30}).Handler())
		defer srv.Close()
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		b.SetParallelism(4)
		before := env.DB.WriterStats()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				body := benchPost()
				resp, err := client.Post(srv.URL+"/gent/vraag", "application/x-www-form-urlencoded", strings.NewReader(body))
				if err != nil || resp.StatusCode != http.StatusSeeOther {
					b.Errorf("post: %v", err)
					return
				}
				resp.Body.Close()
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "submissions/s")
		after := env.DB.WriterStats()
		b.ReportMetric(float64(after.Writes-before.Writes)/float64(max(1, after.Commits-before.Commits)), "writes/commit")
	})
}

// benchTenant makes tenant "gent" with the demo register and forms.
func benchTenant(b *testing.B, env *storetest.Env) {
	tn, err := env.DB.CreateTenant(context.Background(), audit.Actor{Kind: audit.KindOperator, ID: "op"}, tenant.New{Slug: "gent",
		LegalName: "Stad Gent", EnterpriseNumber: "0207451227", DPOName: "D", DPOEmail: "dpo@gent.be"})
	if err != nil {
		b.Fatal(err)
	}
	publishForms(b, env, tn)
}

// benchPost is a valid post of the demo question form with a fresh page token.
func benchPost() string {
	var tok [32]byte
	rand.Read(tok[:])
	return url.Values{"token": {base64.RawURLEncoding.EncodeToString(tok[:])}, "name": {"Bench"}, "email": {"b@example.be"},
		"topic": {"street"}, "message": {"De straatverlichting brandt niet."}}.Encode()
}
