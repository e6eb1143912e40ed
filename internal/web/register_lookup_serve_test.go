package web

import (
	"encoding/json"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/storetest"
)

// TestRegisterLookupServeForBrowser serves the look-up and the monthly
// overview, with a simulator behind them, for the browser test
// e2e/lookup.test.mjs (there is no simulator in the demo yet). It runs
// only when KLUIS_LOOKUP_SERVE names the file to write the address and
// the sessions to, and serves until a file of that name plus ".done"
// appears, or five minutes pass.
func TestRegisterLookupServeForBrowser(t *testing.T) {
	out := os.Getenv("KLUIS_LOOKUP_SERVE")
	if out == "" {
		t.Skip("only for e2e/lookup.test.mjs (KLUIS_LOOKUP_SERVE)")
	}
	env := storetest.SQLite(t)
	e := newRREnv(t, env)
	startMagdaSim(t, env.DB, e.gent)
	e.grant(t)
	srv := httptest.NewTLSServer(e.app.Handler()) // HTTPS: the session cookie is __Host-
	defer srv.Close()
	value := func(cookie string) string { _, v, _ := strings.Cut(cookie, "="); return v }
	info, _ := json.Marshal(map[string]string{"baseURL": srv.URL, "cookie": sessionCookie, "clerk": value(e.clerk), "admin": value(e.admin),
		"lookup": e.path(), "calls": "/gent/admin/audit/register"})
	if err := os.WriteFile(out, info, 0o600); err != nil {
		t.Fatal(err)
	}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(5 * time.Minute)
	for {
		select {
		case <-deadline:
			return
		case <-tick.C:
			if _, err := os.Stat(out + ".done"); err == nil {
				return
			}
		}
	}
}
