package web

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/storetest"
	"github.com/kluis/kluis/internal/tenant"
)

// BenchmarkFormPostPersonKeys measures the e-loket's intake with per-person
// keys off and on (DSR-1) in the same run, on two tenants of the same
// database and handler, alternating off, on, off, on, off, on so that
// drift of a shared machine falls on both; every post is from a new
// citizen (a fresh address: a new person key each time, the worst case).
// It reports the median rate of each and their ratio (target: on ≥ 0.9 ×
// off). Run it with -benchtime=1x: each round lasts roundFor.
func BenchmarkFormPostPersonKeys(b *testing.B) {
	storetest.EachDialectB(b, func(b *testing.B, env *storetest.Env) {
		ctx := context.Background()
		op := audit.Actor{Kind: audit.KindOperator, ID: "op"}
		admin := audit.Actor{Kind: audit.KindUser, ID: "admin", Role: "admin"}
		for _, slug := range []string{"gent", "brugge"} {
			tn, err := env.DB.CreateTenant(ctx, op, tenant.New{Slug: slug, LegalName: "Stad " + slug, EnterpriseNumber: "0207451227",
				DPOName: "D", DPOEmail: "dpo@" + slug + ".be"})
			if err != nil {
				b.Fatal(err)
			}
			publishForms(b, env, tn)
			if slug == "brugge" {
				if err := env.DB.SetPersonKeys(ctx, admin, tn.ID, true); err != nil {
					b.Fatal(err)
				}
			}
		}
		h := New(Options{Store: env.DB, FormRateLimit: 1 << 30}).Handler()
		const roundFor = 2 * time.Second
		rate := func(slug string) float64 {
			var n atomic.Int64
			var wg sync.WaitGroup
			deadline := time.Now().Add(roundFor)
			start := time.Now()
			for w := 0; w < 8; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for time.Now().Before(deadline) {
						req := httptest.NewRequest(http.MethodPost, "/"+slug+"/vraag", strings.NewReader(newCitizenPost()))
						req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
						rec := httptest.NewRecorder()
						h.ServeHTTP(rec, req)
						if rec.Code != http.StatusSeeOther {
							b.Errorf("status %d", rec.Code)
							return
						}
						n.Add(1)
					}
				}()
			}
			wg.Wait()
			return float64(n.Load()) / time.Since(start).Seconds()
		}
		rate("gent") // warm up
		var off, on []float64
		for i := 0; i < b.N*3; i++ {
			off = append(off, rate("gent"))
			on = append(on, rate("brugge"))
			b.Logf("round %d: off %.0f/s, on %.0f/s, on/off %.3f", i+1, off[i], on[i], on[i]/off[i])
		}
		median := func(v []float64) float64 { s := slices.Clone(v); slices.Sort(s); return s[len(s)/2] }
		b.ReportMetric(median(off), "off-submissions/s")
		b.ReportMetric(median(on), "on-submissions/s")
		b.ReportMetric(median(on)/median(off), "on/off")
	})
}

// newCitizenPost is a valid post of the demo question form by a citizen
// never seen before.
func newCitizenPost() string {
	var tok [32]byte
	rand.Read(tok[:])
	return url.Values{"token": {base64.RawURLEncoding.EncodeToString(tok[:])}, "name": {"Bench"},
		"email": {"p" + hex.EncodeToString(tok[:6]) + "@example.be"},
		"topic": {"street"}, "message": {"De straatverlichting brandt niet."}}.Encode()
}
