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
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/storetest"
	"github.com/kluis/kluis/internal/tenant"
)

// BenchmarkFormPostPersonKeys measures the e-loket's intake with per-person
// keys off and on (DSR-1) in the same run, on two tenants of the same
// database and handler, in eight pairs of rounds, alternating which
// goes first so that drift of a shared machine falls on both; for new
// citizens (a new person key each post, the worst case) and returning ones.
// It reports the median rate of each and the median of the pairs' ratios,
// and the process's CPU time per submission of each (with their ratio: on a
// shared machine the steadier figure) (target: on ≥ 0.9 ×
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
		const roundFor, pairs = time.Second, 8
		// cpu is the process's CPU time per submission of each mode, summed
		// over the rounds: less at the mercy of other processes on a
		// shared machine than the rate.
		cpu := map[string]time.Duration{}
		count := map[string]int64{}
		rate := func(slug string, citizens int) float64 {
			var n atomic.Int64
			var wg sync.WaitGroup
			deadline := time.Now().Add(roundFor)
			start := time.Now()
			cpu0 := processCPU()
			defer func() {
				cpu[slug] += processCPU() - cpu0
				count[slug] += n.Load()
			}()
			for w := 0; w < 8; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for time.Now().Before(deadline) {
						req := httptest.NewRequest(http.MethodPost, "/"+slug+"/vraag", strings.NewReader(citizenPost(citizens)))
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
		// new: every post from a citizen never seen (a new key each time,
		// the worst case); returning: 500 citizens posting again and again.
		for _, sc := range []struct {
			name     string
			citizens int
		}{{"new", 0}, {"returning", 500}} {
			b.Run(sc.name, func(b *testing.B) {
				rate("gent", sc.citizens) // warm up both
				rate("brugge", sc.citizens)
				clear(cpu)
				clear(count)
				var off, on []float64
				var ratios []float64
				for i := 0; i < b.N*pairs; i++ {
					// Alternate which goes first, so that drift falls on both.
					if i%2 == 0 {
						off, on = append(off, rate("gent", sc.citizens)), append(on, rate("brugge", sc.citizens))
					} else {
						on, off = append(on, rate("brugge", sc.citizens)), append(off, rate("gent", sc.citizens))
					}
					ratios = append(ratios, on[i]/off[i])
					b.Logf("pair %d: off %.0f/s, on %.0f/s, on/off %.3f", i+1, off[i], on[i], on[i]/off[i])
				}
				median := func(v []float64) float64 {
					s := slices.Clone(v)
					slices.Sort(s)
					return (s[(len(s)-1)/2] + s[len(s)/2]) / 2
				}
				b.ReportMetric(median(off), "off-submissions/s")
				b.ReportMetric(median(on), "on-submissions/s")
				// The median of the pairs' ratios: each pair ran back to back.
				b.ReportMetric(median(ratios), "on/off")
				offCPU := float64(cpu["gent"].Microseconds()) / float64(max(1, count["gent"]))
				onCPU := float64(cpu["brugge"].Microseconds()) / float64(max(1, count["brugge"]))
				b.ReportMetric(offCPU, "off-cpu-µs/op")
				b.ReportMetric(onCPU, "on-cpu-µs/op")
				b.ReportMetric(offCPU/onCPU, "cpu-off/on")
			})
		}
	})
}

// processCPU is the CPU time (user and system) this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// citizenPost is a valid post of the demo question form by one of
// citizens people (0: a citizen never seen before).
func citizenPost(citizens int) string {
	var tok [32]byte
	rand.Read(tok[:])
	who := hex.EncodeToString(tok[:6])
	if citizens > 0 {
		who = strconv.Itoa((int(tok[0])<<8 | int(tok[1])) % citizens)
	}
	return url.Values{"token": {base64.RawURLEncoding.EncodeToString(tok[:])}, "name": {"Bench"},
		"email": {"p" + who + "@example.be"},
		"topic": {"street"}, "message": {"De straatverlichting brandt niet."}}.Encode()
}
