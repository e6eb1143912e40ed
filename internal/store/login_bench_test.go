package store_test

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/password"
	"github.com/kluis/kluis/internal/storetest"
)

// BenchmarkLogin16 measures successful logins at the default argon2id cost
// with 16 concurrent clients (issue target: peak RSS under 300 MB, no login
// waiting longer than 2 s). It reports logins/s, the slowest login and the
// process's peak RSS (VmHWM).
func BenchmarkLogin16(b *testing.B) {
	storetest.EachDialectB(b, func(b *testing.B, env *storetest.Env) {
		tn := benchTenant(b, env)
		hasher := password.NewHasher(password.DefaultParams, 0)
		const pw = "paardenbloem kastanjeboom vijver"
		hash, err := hasher.Hash(ctx, pw)
		if err != nil {
			b.Fatal(err)
		}
		// 16 clients are 16 people: concurrent attempts on one account count
		// against its lockout until they finish.
		const clients = 16
		for i := 0; i < clients; i++ {
			_, tok, err := env.DB.InviteUser(ctx, operator, tn.ID, account.Invite{Email: "bench" + strconv.Itoa(i) + "@gent.be", Name: "Bench", Role: account.RoleUser})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := env.DB.ActivateUser(ctx, tn.ID, tok.Plain, hash, "r"); err != nil {
				b.Fatal(err)
			}
		}
		var next atomic.Int64
		var mu sync.Mutex
		var slowest time.Duration
		b.SetParallelism(max(1, clients/runtime.GOMAXPROCS(0)))
		b.ResetTimer()
		start := time.Now()
		b.RunParallel(func(pb *testing.PB) {
			email := "bench" + strconv.Itoa(int(next.Add(1)-1)%clients) + "@gent.be"
			for pb.Next() {
				t0 := time.Now()
				if _, _, err := env.DB.Login(ctx, tn.ID, email, pw, hasher, account.DefaultLockout, "bench"); err != nil {
					b.Error(err)
					return
				}
				d := time.Since(t0)
				mu.Lock()
				slowest = max(slowest, d)
				mu.Unlock()
			}
		})
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "logins/s")
		b.ReportMetric(float64(slowest.Milliseconds()), "max-ms")
		b.ReportMetric(peakRSSMB(), "peak-RSS-MB")
	})
}

// peakRSSMB reads the process's peak resident set size from /proc.
func peakRSSMB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			f := strings.Fields(l)
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}
