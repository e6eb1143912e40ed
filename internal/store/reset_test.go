package store_test

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

func resetMail(u account.User, token string) *store.OutgoingMail {
	return &store.OutgoingMail{To: u.Email, Lang: u.Lang, Kind: "account.password-reset", Subject: "Reset",
		Body: "https://kluis.test/gent/password/reset/" + token}
}

func changedMail(u account.User) *store.OutgoingMail {
	return &store.OutgoingMail{To: u.Email, Lang: u.Lang, Kind: "account.password-changed", Subject: "Changed", Body: "changed"}
}

// requestReset asks for a reset of email and returns the token from the
// queued mail ("" when none was queued).
func requestReset(t *testing.T, env *storetest.Env, tenantID, email string) string {
	t.Helper()
	var token string
	err := env.DB.RequestPasswordReset(ctx, tenantID, email, "req-reset", func(u account.User, tok string) *store.OutgoingMail {
		token = tok
		return resetMail(u, tok)
	})
	if err != nil {
		t.Fatal(err)
	}
	return token
}

// TestClauseUSR4_PasswordResetByEmail: a reset link goes by mail, works
// once, sets the new password, revokes every session, tells the user, and
// expires after 30 minutes.
func TestClauseUSR4_PasswordResetByEmail(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		tn := newTenant(t, env, "gent")
		h := fastHasher()
		u := activeUser(t, env, tn, "an@gent.be", account.RoleUser, h)
		_, s1, err := login(env, tn.ID, "an@gent.be", goodPassword, h)
		if err != nil {
			t.Fatal(err)
		}
		_, s2, err := login(env, tn.ID, "an@gent.be", goodPassword, h)
		if err != nil {
			t.Fatal(err)
		}
		claimNone(t, env)

		token := requestReset(t, env, tn.ID, "AN@gent.be ")
		if token == "" {
			t.Fatal("no reset mail composed")
		}
		m := claimOne(t, env)
		if m.To != "an@gent.be" || m.Kind != "account.password-reset" || !strings.Contains(m.Body, "/password/reset/"+token) {
			t.Fatalf("reset mail: %+v", m)
		}
		if auditCount(t, env, tn.ID, "password.reset.request", "password reset") != 1 {
			t.Fatal("request not audited")
		}
		// Only the hash is stored.
		var n int
		if err := env.Raw(t).QueryRow(`SELECT count(*) FROM password_resets WHERE token_hash = $1`, []byte(token)).Scan(&n); err != nil || n != 0 {
			t.Fatalf("token stored in plain: %d %v", n, err)
		}

		if got, err := env.DB.ResetUser(ctx, tn.ID, token); err != nil || got.ID != u.ID {
			t.Fatalf("reset user: %+v %v", got, err)
		}
		if _, err := env.DB.ResetUser(ctx, "other-tenant", token); !errors.Is(err, account.ErrTokenInvalid) {
			t.Fatalf("other tenant: %v", err)
		}
		const newPassword = "zonnebloem eikenboom rivier"
		hash, _ := h.Hash(ctx, newPassword)
		got, err := env.DB.ResetPassword(ctx, tn.ID, token, hash, "req-reset", changedMail)
		if err != nil || got.ID != u.ID {
			t.Fatalf("reset: %+v %v", got, err)
		}
		if m := claimOne(t, env); m.Kind != "account.password-changed" || m.To != "an@gent.be" {
			t.Fatalf("notice mail: %+v", m)
		}
		for _, s := range []store.SessionToken{s1, s2} {
			if _, _, err := env.DB.Session(ctx, tn.ID, string(s)); !errors.Is(err, store.ErrSessionInvalid) {
				t.Fatalf("session survived the reset: %v", err)
			}
		}
		if _, _, err := login(env, tn.ID, "an@gent.be", goodPassword, h); !errors.Is(err, account.ErrLoginFailed) {
			t.Fatalf("old password: %v", err)
		}
		if _, _, err := login(env, tn.ID, "an@gent.be", newPassword, h); err != nil {
			t.Fatalf("new password: %v", err)
		}
		if auditCount(t, env, tn.ID, "password.reset", "") != 1 {
			t.Fatal("reset not audited")
		}
		// The link works once.
		if _, err := env.DB.ResetPassword(ctx, tn.ID, token, hash, "r", changedMail); !errors.Is(err, account.ErrTokenInvalid) {
			t.Fatalf("second use: %v", err)
		}
		if _, err := env.DB.ResetUser(ctx, tn.ID, token); !errors.Is(err, account.ErrTokenInvalid) {
			t.Fatalf("used link shown: %v", err)
		}

		// A new request spends the earlier link.
		first := requestReset(t, env, tn.ID, "an@gent.be")
		second := requestReset(t, env, tn.ID, "an@gent.be")
		if _, err := env.DB.ResetUser(ctx, tn.ID, first); !errors.Is(err, account.ErrTokenInvalid) {
			t.Fatalf("earlier link still works: %v", err)
		}
		// Expiry: still valid just before 30 minutes, not at 30.
		env.Clock.Advance(store.PasswordResetTTL - time.Second)
		if _, err := env.DB.ResetUser(ctx, tn.ID, second); err != nil {
			t.Fatalf("before expiry: %v", err)
		}
		env.Clock.Advance(time.Second)
		if _, err := env.DB.ResetPassword(ctx, tn.ID, second, hash, "r", changedMail); !errors.Is(err, account.ErrTokenInvalid) {
			t.Fatalf("expired link: %v", err)
		}
	})
}

// TestASVS_6_3_8_ResetNoEnumeration: unknown and inactive addresses get no
// link, no mail and no error, and their audit event names nobody.
func TestASVS_6_3_8_ResetNoEnumeration(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		tn := newTenant(t, env, "gent")
		h := fastHasher()
		dis := activeUser(t, env, tn, "dis@gent.be", account.RoleUser, h)
		if _, err := env.Raw(t).Exec(`UPDATE users SET status = 'disabled' WHERE id = $1`, dis.ID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := env.DB.InviteUser(ctx, operator, tn.ID, account.Invite{Email: "inv@gent.be", Name: "I", Role: account.RoleUser}); err != nil {
			t.Fatal(err)
		}
		for _, email := range []string{"nobody@gent.be", "dis@gent.be", "inv@gent.be"} {
			// The mail is composed (for a decoy, see below) but its link
			// opens nothing.
			tok := requestReset(t, env, tn.ID, email)
			if _, err := env.DB.ResetUser(ctx, tn.ID, tok); !errors.Is(err, account.ErrTokenInvalid) {
				t.Fatalf("%s: a reset was made: %v", email, err)
			}
		}
		claimNone(t, env)
		if n := auditCount(t, env, tn.ID, "password.reset.request", "password reset: no active account"); n != 3 {
			t.Fatalf("%d anonymous request events, want 3", n)
		}
	})
}

// TestASVS_6_3_8_ResetRequestSameWorkForUnknownAddress: a reset request
// for an address without an active account composes and seals the mail
// just as for an existing one (for a decoy user, then drops it), so the
// answer takes as long either way; nothing is queued or stored for it.
func TestASVS_6_3_8_ResetRequestSameWorkForUnknownAddress(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		tn := newTenant(t, env, "gent")
		activeUser(t, env, tn, "an@gent.be", account.RoleUser, fastHasher())
		request := func(email string) (composed []account.User, sealed int64) {
			t.Helper()
			before := env.DB.ResetDecoys()
			err := env.DB.RequestPasswordReset(ctx, tn.ID, email, "req-reset", func(u account.User, tok string) *store.OutgoingMail {
				composed = append(composed, u)
				return resetMail(u, tok)
			})
			if err != nil {
				t.Fatal(err)
			}
			return composed, env.DB.ResetDecoys() - before
		}
		known, decoys := request("an@gent.be")
		if len(known) != 1 || known[0].ID == "" || decoys != 0 {
			t.Fatalf("existing address: composed %+v, decoys sealed %d", known, decoys)
		}
		claimOne(t, env)
		unknown, decoys := request("nobody@gent.be")
		if len(unknown) != 1 || unknown[0].ID != "" || decoys != 1 {
			t.Fatalf("unknown address: composed %+v, decoys sealed %d; want the mail composed and sealed once", unknown, decoys)
		}
		claimNone(t, env)
		var n int
		if err := env.Raw(t).QueryRow(`SELECT count(*) FROM password_resets`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("reset tokens stored: %d %v", n, err)
		}
	})
}

// TestPasswordResetRace: two resets with one token at once, exactly one
// wins.
func TestPasswordResetRace(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		tn := newTenant(t, env, "gent")
		h := fastHasher()
		activeUser(t, env, tn, "an@gent.be", account.RoleUser, h)
		token := requestReset(t, env, tn.ID, "an@gent.be")
		hash, _ := h.Hash(ctx, "zonnebloem eikenboom rivier")
		const n = 8
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = env.DB.ResetPassword(ctx, tn.ID, token, hash, "r", changedMail)
			}()
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, account.ErrTokenInvalid):
				t.Fatalf("unexpected error: %v", err)
			}
		}
		if ok != 1 {
			t.Fatalf("%d resets succeeded, want exactly 1", ok)
		}
		if c := auditCount(t, env, tn.ID, "password.reset", ""); c != 1 {
			t.Fatalf("%d reset events", c)
		}
	})
}
