package store_test

import (
	"crypto/sha256"
	"errors"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

// TestASVS_7_3_1_SessionIdleTimeout: a session ends after 30 idle minutes
// (15 for admins and DPOs); activity keeps it alive. The absolute lifetime
// is TestASVS_7_3_2_SessionAbsoluteLifetime.
func TestASVS_7_3_1_SessionIdleTimeout(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		h := fastHasher()
		tn := newTenant(t, env, "gent")
		activeUser(t, env, tn, "an@gent.be", account.RoleUser, h)
		activeUser(t, env, tn, "admin@gent.be", account.RoleAdmin, h)
		activeUser(t, env, tn, "dpo@gent.be", account.RoleDPO, h)

		for _, c := range []struct {
			email string
			idle  time.Duration
		}{{"an@gent.be", 30 * time.Minute}, {"admin@gent.be", 15 * time.Minute}, {"dpo@gent.be", 15 * time.Minute}} {
			_, tok, err := env.DB.Login(ctx, tn.ID, c.email, goodPassword, h, account.DefaultLockout, "req",
				store.WithUserAgentHint("Firefox on Linux"))
			if err != nil {
				t.Fatal(err)
			}
			env.Clock.Advance(c.idle - time.Second)
			u, info, err := env.DB.Session(ctx, tn.ID, string(tok))
			if err != nil || u.Email != c.email || info.IdleTimeout != c.idle || info.UserAgentHint != "Firefox on Linux" {
				t.Fatalf("%s just before idle timeout: %+v %+v %v", c.email, u, info, err)
			}
			env.Clock.Advance(c.idle - time.Second) // the use above reset the idle clock
			if _, _, err := env.DB.Session(ctx, tn.ID, string(tok)); err != nil {
				t.Fatalf("%s kept alive: %v", c.email, err)
			}
			env.Clock.Advance(c.idle)
			if _, _, err := env.DB.Session(ctx, tn.ID, string(tok)); !errors.Is(err, store.ErrSessionInvalid) {
				t.Fatalf("%s idle: %v", c.email, err)
			}
		}

	})
}

// TestSessionTouchesAtMostOncePerMinute: checking a session every second
// writes last_seen_at once a minute, not each time.
func TestSessionTouchesAtMostOncePerMinute(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		h := fastHasher()
		tn := newTenant(t, env, "gent")
		activeUser(t, env, tn, "an@gent.be", account.RoleUser, h)
		_, tok, err := env.DB.Login(ctx, tn.ID, "an@gent.be", goodPassword, h, account.DefaultLockout, "req")
		if err != nil {
			t.Fatal(err)
		}
		before := env.DB.WriterStats().Writes
		for i := 0; i < 120; i++ {
			env.Clock.Advance(time.Second)
			if _, _, err := env.DB.Session(ctx, tn.ID, string(tok)); err != nil {
				t.Fatal(err)
			}
		}
		if w := env.DB.WriterStats().Writes - before; w < 1 || w > 2 {
			t.Fatalf("%d writes for 120 checks in 2 minutes, want 1 or 2", w)
		}
	})
}

// TestASVS_7_4_1_SessionRevocation: logout ends the session; revoking a
// user's sessions ends all but the one kept; a disabled user's session
// ends at once; a session of one tenant gives nothing on another; the
// database holds only the token's hash.
func TestASVS_7_4_1_SessionRevocation(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		h := fastHasher()
		gent, brugge := newTenant(t, env, "gent"), newTenant(t, env, "brugge")
		u := activeUser(t, env, gent, "an@gent.be", account.RoleUser, h)
		activeUser(t, env, brugge, "an@gent.be", account.RoleUser, h)
		open := func() store.SessionToken {
			t.Helper()
			_, tok, err := env.DB.Login(ctx, gent.ID, "an@gent.be", goodPassword, h, account.DefaultLockout, "req")
			if err != nil {
				t.Fatal(err)
			}
			return tok
		}
		valid := func(tok store.SessionToken) bool {
			_, _, err := env.DB.Session(ctx, gent.ID, string(tok))
			if err != nil && !errors.Is(err, store.ErrSessionInvalid) {
				t.Fatal(err)
			}
			return err == nil
		}
		a, b, c := open(), open(), open()
		if a == b || len(a) != 43 {
			t.Fatalf("tokens %q %q", a, b)
		}
		// Tenant binding: the same person's session of gent is nothing on brugge.
		if _, _, err := env.DB.Session(ctx, brugge.ID, string(a)); !errors.Is(err, store.ErrSessionInvalid) {
			t.Fatalf("gent session on brugge: %v", err)
		}
		if _, _, err := env.DB.Session(ctx, gent.ID, ""); !errors.Is(err, store.ErrSessionInvalid) {
			t.Fatalf("empty token: %v", err)
		}
		// Only the hash is stored.
		var stored []byte
		if err := env.Raw(t).QueryRow(`SELECT id_hash FROM sessions LIMIT 1`).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		var n int
		sa := sha256.Sum256([]byte(a))
		if err := env.Raw(t).QueryRow(`SELECT count(*) FROM sessions WHERE id_hash = $1`, sa[:]).Scan(&n); err != nil || n != 1 {
			t.Fatalf("hash of token a stored %d times: %v", n, err)
		}
		if string(stored) == string(a) || string(stored) == string(b) || string(stored) == string(c) {
			t.Fatal("token stored in plain")
		}

		self := audit.Actor{Kind: audit.KindUser, ID: u.ID, Role: "user", RequestID: "req-logout"}
		if err := env.DB.RevokeSession(ctx, self, brugge.ID, string(a)); !errors.Is(err, store.ErrSessionInvalid) {
			t.Fatalf("revoke through another tenant: %v", err)
		}
		if err := env.DB.RevokeSession(ctx, self, gent.ID, string(a)); err != nil {
			t.Fatal(err)
		}
		if valid(a) || !valid(b) || !valid(c) {
			t.Fatal("logout of a")
		}
		if err := env.DB.RevokeSession(ctx, self, gent.ID, string(a)); !errors.Is(err, store.ErrSessionInvalid) {
			t.Fatalf("second logout: %v", err)
		}
		if n, err := env.DB.RevokeUserSessions(ctx, self, gent.ID, u.ID, string(b)); err != nil || n != 1 {
			t.Fatalf("revoke others: %d %v", n, err)
		}
		if !valid(b) || valid(c) {
			t.Fatal("revoke all but b")
		}
		// A disabled user's session is worthless at once.
		if _, err := env.Raw(t).Exec(`UPDATE users SET status = 'disabled' WHERE id = $1`, u.ID); err != nil {
			t.Fatal(err)
		}
		if valid(b) {
			t.Fatal("disabled user's session still valid")
		}
		if n := auditCount(t, env, gent.ID, "session.revoke", ""); n != 1 {
			t.Errorf("session.revoke events: %d", n)
		}
		if n := auditCount(t, env, gent.ID, "session.revoke_all", ""); n != 1 {
			t.Errorf("session.revoke_all events: %d", n)
		}
	})
}
