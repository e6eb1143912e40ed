package store_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/password"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
	"github.com/kluis/kluis/internal/tenant"
)

// fastHasher keeps argon2 cheap in tests; what is tested is the counting.
func fastHasher() *password.Hasher {
	return password.NewHasher(password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}, 4)
}

const goodPassword = "paardenbloem kastanjeboom vijver"

// activeUser invites and activates a user with goodPassword.
func activeUser(t testing.TB, env *storetest.Env, tn tenant.Tenant, email string, role account.Role, h *password.Hasher) account.User {
	t.Helper()
	_, tok, err := env.DB.InviteUser(ctx, operator, tn.ID, account.Invite{Email: email, Name: "Naam " + email, Role: role})
	if err != nil {
		t.Fatal(err)
	}
	hash, err := h.Hash(ctx, goodPassword)
	if err != nil {
		t.Fatal(err)
	}
	u, err := env.DB.ActivateUser(ctx, tn.ID, tok.Plain, hash, "req-activate")
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// auditCount counts the tenant's events with action and, when purpose is
// not "", that purpose.
func auditCount(t *testing.T, env *storetest.Env, tenantID, action, purpose string) int {
	t.Helper()
	n := 0
	err := env.DB.EachAuditEvent(ctx, tenantID, func(e *audit.Event) error {
		if e.Action == action && (purpose == "" || e.Purpose == purpose) {
			n++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func login(env *storetest.Env, tenantID, email, pw string, h *password.Hasher) (account.User, store.SessionToken, error) {
	return env.DB.Login(ctx, tenantID, email, pw, h, account.DefaultLockout, "req-login")
}

// TestASVS_6_3_1_ClauseUSR6_LockoutAfterFailedLogins: 5 failures in 15 minutes lock
// the account for 15 minutes, even for the right password; the next locks
// last 30 and 60 minutes; after 3 locks only an admin's Unlock helps.
func TestASVS_6_3_1_ClauseUSR6_LockoutAfterFailedLogins(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		h := fastHasher()
		tn := newTenant(t, env, "gent")
		u := activeUser(t, env, tn, "an@gent.be", account.RoleUser, h)
		fail := func(n int) {
			t.Helper()
			for i := 0; i < n; i++ {
				if _, _, err := login(env, tn.ID, "an@gent.be", "wrong password here", h); !errors.Is(err, account.ErrLoginFailed) {
					t.Fatalf("wrong password %d: %v", i, err)
				}
			}
		}
		mustLock := func(d time.Duration) {
			t.Helper()
			fail(5)
			if _, _, err := login(env, tn.ID, "an@gent.be", goodPassword, h); !errors.Is(err, account.ErrLoginFailed) {
				t.Fatalf("right password while locked: %v", err)
			}
			env.Clock.Advance(d - time.Second)
			if _, _, err := login(env, tn.ID, "an@gent.be", goodPassword, h); !errors.Is(err, account.ErrLoginFailed) {
				t.Fatalf("right password a second before the lock ends: %v", err)
			}
			env.Clock.Advance(time.Second)
		}

		// Four failures do not lock; a success clears them.
		fail(4)
		if _, _, err := login(env, tn.ID, "An@Gent.be", goodPassword, h); err != nil {
			t.Fatalf("login after 4 failures: %v", err)
		}
		// Failures spread over more than the window do not add up.
		fail(4)
		env.Clock.Advance(16 * time.Minute)
		fail(4)
		if st, _ := env.DB.UserLockState(ctx, tn.ID, u.ID); st.Locked(env.Clock.Now()) {
			t.Fatalf("locked by failures outside one window: %+v", st)
		}
		env.Clock.Advance(16 * time.Minute)

		mustLock(15 * time.Minute)
		st, err := env.DB.UserLockState(ctx, tn.ID, u.ID)
		if err != nil || st.Locks != 1 {
			t.Fatalf("after first lock: %+v %v", st, err)
		}
		mustLock(30 * time.Minute)
		mustLock(60 * time.Minute)
		if st, _ := env.DB.UserLockState(ctx, tn.ID, u.ID); st.Locks != 3 || st.NeedsAdmin {
			t.Fatalf("after three locks: %+v", st)
		}
		// The fourth lock holds until an admin unlocks.
		fail(5)
		env.Clock.Advance(48 * time.Hour)
		if _, _, err := login(env, tn.ID, "an@gent.be", goodPassword, h); !errors.Is(err, account.ErrLoginFailed) {
			t.Fatalf("right password two days into an admin lock: %v", err)
		}
		if st, _ := env.DB.UserLockState(ctx, tn.ID, u.ID); !st.NeedsAdmin {
			t.Fatalf("no admin lock: %+v", st)
		}
		if err := env.DB.Unlock(ctx, clerk("admin-1"), tn.ID, "no-such-user"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unlock unknown user: %v", err)
		}
		if err := env.DB.Unlock(ctx, clerk("admin-1"), tn.ID, u.ID); err != nil {
			t.Fatal(err)
		}
		got, tok, err := login(env, tn.ID, "an@gent.be", goodPassword, h)
		if err != nil || got.ID != u.ID || tok == "" || got.LastLoginAt == nil {
			t.Fatalf("login after unlock: %+v %q %v", got, tok, err)
		}

		if n := auditCount(t, env, tn.ID, "login.locked", ""); n != 4 {
			t.Errorf("login.locked events: %d, want 4", n)
		}
		if n := auditCount(t, env, tn.ID, "user.unlock", ""); n != 1 {
			t.Errorf("user.unlock events: %d, want 1", n)
		}
		if n := auditCount(t, env, tn.ID, "login.success", ""); n != 2 {
			t.Errorf("login.success events: %d, want 2", n)
		}
		// Every login event names the request and the user, never the
		// address or a password.
		env.DB.EachAuditEvent(ctx, tn.ID, func(e *audit.Event) error {
			if !strings.HasPrefix(e.Action, "login.") {
				return nil
			}
			all := strings.ToLower(strings.Join([]string{e.Actor.ID, e.ObjectID, e.Subject, e.Purpose}, " "))
			if e.Actor.RequestID != "req-login" || e.Subject != u.ID || strings.Contains(all, "gent.be") ||
				strings.Contains(all, "wrong password here") || strings.Contains(all, "paardenbloem") {
				t.Errorf("event %d %s: %+v", e.Seq, e.Action, *e)
			}
			return nil
		})
	})
}

// TestClauseUSR6_ConcurrentWrongPasswordsEvaluateAtMostMax fires 200 wrong
// passwords at one account at once: at most MaxFailures of them get their
// password checked, the rest are refused as locked, and the lock holds.
func TestClauseUSR6_ConcurrentWrongPasswordsEvaluateAtMostMax(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		h := fastHasher()
		tn := newTenant(t, env, "gent")
		u := activeUser(t, env, tn, "an@gent.be", account.RoleUser, h)
		const n = 200
		var wg sync.WaitGroup
		errs := make(chan error, n)
		start := make(chan struct{})
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, _, err := env.DB.Login(context.Background(), tn.ID, "an@gent.be", "not the password", h, account.DefaultLockout, "req-flood")
				errs <- err
			}()
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			if !errors.Is(err, account.ErrLoginFailed) {
				t.Fatalf("attempt: %v", err)
			}
		}
		evaluated := auditCount(t, env, tn.ID, "login.failure", store.LoginFailurePassword)
		refused := auditCount(t, env, tn.ID, "login.failure", store.LoginFailureLocked)
		if evaluated > account.DefaultLockout.MaxFailures || evaluated == 0 {
			t.Fatalf("%d passwords evaluated, want 1…%d", evaluated, account.DefaultLockout.MaxFailures)
		}
		if evaluated+refused != n {
			t.Fatalf("evaluated %d + refused %d != %d", evaluated, refused, n)
		}
		if locks := auditCount(t, env, tn.ID, "login.locked", ""); locks != 1 {
			t.Fatalf("login.locked events: %d, want 1", locks)
		}
		st, err := env.DB.UserLockState(ctx, tn.ID, u.ID)
		if err != nil || !st.Locked(env.Clock.Now()) || st.Locks != 1 {
			t.Fatalf("lock state: %+v %v", st, err)
		}
		if _, _, err := login(env, tn.ID, "an@gent.be", goodPassword, h); !errors.Is(err, account.ErrLoginFailed) {
			t.Fatalf("right password after the flood: %v", err)
		}
	})
}

// TestClauseUSR6_ConcurrentCorrectLoginsDoNotLock: ten correct logins of
// one person at once (several tabs, a flaky network) all succeed and leave
// no failure and no lock: only evaluated failures count, not attempts in
// flight.
func TestClauseUSR6_ConcurrentCorrectLoginsDoNotLock(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		h := fastHasher()
		tn := newTenant(t, env, "gent")
		u := activeUser(t, env, tn, "an@gent.be", account.RoleUser, h)
		const n = 10
		var wg sync.WaitGroup
		errs := make(chan error, n)
		start := make(chan struct{})
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, tok, err := env.DB.Login(context.Background(), tn.ID, "an@gent.be", goodPassword, h, account.DefaultLockout, "req-tabs")
				if err == nil && tok == "" {
					err = errors.New("no session token")
				}
				errs <- err
			}()
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Errorf("correct login: %v", err)
			}
		}
		if got := auditCount(t, env, tn.ID, "login.success", ""); got != n {
			t.Errorf("login.success events: %d, want %d", got, n)
		}
		if got := auditCount(t, env, tn.ID, "login.locked", ""); got != 0 {
			t.Errorf("login.locked events: %d, want 0", got)
		}
		st, err := env.DB.UserLockState(ctx, tn.ID, u.ID)
		if err != nil || st != (account.LockState{}) {
			t.Fatalf("lock state after correct logins: %+v %v", st, err)
		}
		// The account still works, and still locks after five failures.
		for i := 0; i < account.DefaultLockout.MaxFailures; i++ {
			login(env, tn.ID, "an@gent.be", "wrong password here", h)
		}
		if _, _, err := login(env, tn.ID, "an@gent.be", goodPassword, h); !errors.Is(err, account.ErrLoginFailed) {
			t.Fatalf("right password after five failures: %v", err)
		}
	})
}

// TestClauseUSR6_AbandonedAttemptDoesNotBlock: an attempt reserved by a
// node that died before recording its outcome stops counting after
// account.InFlightTTL.
func TestClauseUSR6_AbandonedAttemptDoesNotBlock(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		h := fastHasher()
		tn := newTenant(t, env, "gent")
		u := activeUser(t, env, tn, "an@gent.be", account.RoleUser, h)
		if _, err := env.Raw(t).Exec(`UPDATE users SET login_inflight = 5, login_inflight_at = $1 WHERE id = $2`,
			env.Clock.Now().UnixMicro(), u.ID); err != nil {
			t.Fatal(err)
		}
		env.Clock.Advance(account.InFlightTTL)
		if _, _, err := login(env, tn.ID, "an@gent.be", goodPassword, h); err != nil {
			t.Fatalf("login after abandoned attempts: %v", err)
		}
	})
}

// TestASVS_6_3_8_NoAccountEnumeration: unknown address, wrong password,
// invited, disabled and locked accounts all give the one ErrLoginFailed.
func TestASVS_6_3_8_NoAccountEnumeration(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		h := fastHasher()
		tn := newTenant(t, env, "gent")
		activeUser(t, env, tn, "an@gent.be", account.RoleUser, h)
		activeUser(t, env, tn, "locked@gent.be", account.RoleUser, h)
		dis := activeUser(t, env, tn, "disabled@gent.be", account.RoleUser, h)
		if _, err := env.Raw(t).Exec(`UPDATE users SET status = 'disabled' WHERE id = $1`, dis.ID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := env.DB.InviteUser(ctx, operator, tn.ID, account.Invite{Email: "invited@gent.be", Name: "I", Role: account.RoleUser}); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 5; i++ {
			login(env, tn.ID, "locked@gent.be", "wrong", h)
		}
		cases := map[string][2]string{
			"unknown address": {"nobody@gent.be", goodPassword},
			"wrong password":  {"an@gent.be", "wrong"},
			"invited":         {"invited@gent.be", goodPassword},
			"disabled":        {"disabled@gent.be", goodPassword},
			"locked":          {"locked@gent.be", goodPassword},
		}
		var msgs []string
		for name, c := range cases {
			_, tok, err := login(env, tn.ID, c[0], c[1], h)
			if err != account.ErrLoginFailed || tok != "" {
				t.Errorf("%s: %q %v", name, tok, err)
			}
			if err != nil {
				msgs = append(msgs, err.Error())
			}
		}
		for _, m := range msgs {
			if m != msgs[0] {
				t.Errorf("messages differ: %q", msgs)
			}
		}
		// Another tenant does not know the address at all.
		other := newTenant(t, env, "brugge")
		if _, _, err := login(env, other.ID, "an@gent.be", goodPassword, h); err != account.ErrLoginFailed {
			t.Errorf("other tenant: %v", err)
		}
		if n := auditCount(t, env, tn.ID, "login.failure", store.LoginFailureUnknown); n != 1 {
			t.Errorf("unknown-address failures audited: %d", n)
		}
	})
}

// TestLoginRehashesOldParameters: a password stored with other argon2
// parameters is rehashed with the current ones at login.
func TestLoginRehashesOldParameters(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		old := password.NewHasher(password.Params{Memory: 32, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}, 2)
		h := fastHasher()
		tn := newTenant(t, env, "gent")
		activeUser(t, env, tn, "an@gent.be", account.RoleUser, old)
		if _, _, err := login(env, tn.ID, "an@gent.be", goodPassword, h); err != nil {
			t.Fatal(err)
		}
		var stored string
		if err := env.Raw(t).QueryRow(`SELECT password_hash FROM users`).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(stored, "m=64,") {
			t.Fatalf("not rehashed: %s", stored)
		}
		if _, _, err := login(env, tn.ID, "an@gent.be", goodPassword, h); err != nil {
			t.Fatalf("login with the new hash: %v", err)
		}
	})
}
