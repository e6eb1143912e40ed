package api

import (
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/storetest"
)

// TestFault_DatabaseGone_APIAnswersUnavailable: with the database taken
// away for real (storetest's TakeAway), an integration reading a
// submission gets problem "unavailable" (503, Retry-After, in the
// documented shape, no driver detail); once the database is back the same
// handler answers again.
func TestFault_DatabaseGone_APIAnswersUnavailable(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fx := newFixture(t, env, Options{})
		read := call{method: "GET", target: "/api/v1/gent/submissions/" + fx.sub, token: fx.full}
		back := env.TakeAway(t)
		resp := fx.do(t, read)
		p := resp.json(t)
		if resp.StatusCode != 503 || p["type"] != problemTypePrefix+"unavailable" || resp.Header.Get("Retry-After") == "" {
			t.Fatalf("with the database gone: %d %s", resp.StatusCode, resp.body)
		}
		for _, leak := range []string{"SQLSTATE", "sqlite", "pgx", "locked", "postgres"} {
			if strings.Contains(string(resp.body), leak) {
				t.Fatalf("the problem shows %q", leak)
			}
		}
		back()
		if resp := fx.do(t, read); resp.StatusCode != 200 {
			t.Fatalf("after the database is back: %d %s", resp.StatusCode, resp.body)
		}
	})
}
