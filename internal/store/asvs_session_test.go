package store_test

import (
	"encoding/base64"
	"errors"
	"math/bits"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

// sessionValid says whether tok still opens a session of tenantID.
func sessionValid(t *testing.T, env *storetest.Env, tenantID string, tok store.SessionToken) bool {
	t.Helper()
	_, _, err := env.DB.Session(ctx, tenantID, string(tok))
	if err != nil && !errors.Is(err, store.ErrSessionInvalid) {
		t.Fatal(err)
	}
	return err == nil
}

func mustLogin(t *testing.T, env *storetest.Env, tenantID, email, pw string) store.SessionToken {
	t.Helper()
	_, tok, err := login(env, tenantID, email, pw, fastHasher())
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// randomBits checks that tokens are base64url of 32 bytes, all distinct,
// with about half their bits set (a counter or a timestamp is not).
func randomBits(t *testing.T, what string, tokens []string) {
	t.Helper()
	seen := map[string]bool{}
	ones, total := 0, 0
	for _, tok := range tokens {
		raw, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil || len(raw) < 32 {
			t.Fatalf("%s %q: %d bytes, %v; want 256 bits", what, tok, len(raw), err)
		}
		if seen[tok] {
			t.Fatalf("%s %q issued twice", what, tok)
		}
		seen[tok] = true
		for _, b := range raw {
			ones += bits.OnesCount8(b)
		}
		total += 8 * len(raw)
	}
	if f := float64(ones) / float64(total); f < 0.45 || f > 0.55 {
		t.Errorf("%s: %.3f of bits set, not random", what, f)
	}
}

func TestASVS_7_2_3_SessionTokensAre256RandomBits(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		tn := newTenant(t, env, "gent")
		activeUser(t, env, tn, "an@gent.be", account.RoleUser, fastHasher())
		var toks []string
		for i := 0; i < 40; i++ {
			toks = append(toks, string(mustLogin(t, env, tn.ID, "an@gent.be", goodPassword)))
		}
		randomBits(t, "session token", toks)
	})
}

// The token is checked against the server's session table: a well-formed
// token the server did not issue, or one whose row is gone, opens nothing.
func TestASVS_7_2_1_SessionTokenVerifiedAgainstTheServersTable(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		tn := newTenant(t, env, "gent")
		activeUser(t, env, tn, "an@gent.be", account.RoleUser, fastHasher())
		tok := mustLogin(t, env, tn.ID, "an@gent.be", goodPassword)
		if !sessionValid(t, env, tn.ID, tok) {
			t.Fatal("fresh session invalid")
		}
		forged := base64.RawURLEncoding.EncodeToString(make([]byte, 32))
		if sessionValid(t, env, tn.ID, store.SessionToken(forged)) {
			t.Fatal("a token the server never issued opened a session")
		}
		if _, err := env.Raw(t).Exec(`DELETE FROM sessions`); err != nil {
			t.Fatal(err)
		}
		if sessionValid(t, env, tn.ID, tok) {
			t.Fatal("a session deleted on the server still opens")
		}
	})
}

// However active, a session ends 12 hours after login.
func TestASVS_7_3_2_SessionAbsoluteLifetime(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		tn := newTenant(t, env, "gent")
		activeUser(t, env, tn, "an@gent.be", account.RoleUser, fastHasher())
		tok := mustLogin(t, env, tn.ID, "an@gent.be", goodPassword)
		for elapsed := time.Duration(0); elapsed < 12*time.Hour-10*time.Minute; elapsed += 10 * time.Minute {
			env.Clock.Advance(10 * time.Minute)
			if !sessionValid(t, env, tn.ID, tok) {
				t.Fatalf("ended at %s although used every 10 minutes", elapsed+10*time.Minute)
			}
		}
		env.Clock.Advance(10 * time.Minute)
		if sessionValid(t, env, tn.ID, tok) {
			t.Fatal("still valid after 12 hours")
		}
	})
}

// Disabling ends the sessions (enabling again does not revive them);
// removing ends them too.
func TestASVS_7_4_2_DisabledOrRemovedUsersSessionsEnd(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		h := fastHasher()
		tn := newTenant(t, env, "gent")
		an := activeUser(t, env, tn, "an@gent.be", account.RoleUser, h)
		bo := activeUser(t, env, tn, "bo@gent.be", account.RoleUser, h)
		a1, a2 := mustLogin(t, env, tn.ID, "an@gent.be", goodPassword), mustLogin(t, env, tn.ID, "an@gent.be", goodPassword)
		b1 := mustLogin(t, env, tn.ID, "bo@gent.be", goodPassword)
		if err := env.DB.DisableUser(ctx, operator, tn.ID, an.ID); err != nil {
			t.Fatal(err)
		}
		if err := env.DB.EnableUser(ctx, operator, tn.ID, an.ID); err != nil {
			t.Fatal(err)
		}
		if sessionValid(t, env, tn.ID, a1) || sessionValid(t, env, tn.ID, a2) {
			t.Fatal("a disabled (and enabled again) user's session still opens")
		}
		if !sessionValid(t, env, tn.ID, b1) {
			t.Fatal("another user's session ended too")
		}
		if err := env.DB.RemoveUser(ctx, operator, tn.ID, bo.ID); err != nil {
			t.Fatal(err)
		}
		if sessionValid(t, env, tn.ID, b1) {
			t.Fatal("a removed user's session still opens")
		}
	})
}

// A password change ends every other session of the user (the one that
// made the change stays); a reset ends all of them.
func TestASVS_7_4_3_PasswordChangeAndResetEndOtherSessions(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		h := fastHasher()
		tn := newTenant(t, env, "gent")
		an := activeUser(t, env, tn, "an@gent.be", account.RoleUser, h)
		here, other := mustLogin(t, env, tn.ID, "an@gent.be", goodPassword), mustLogin(t, env, tn.ID, "an@gent.be", goodPassword)
		const next = "een ander lang wachtwoord voor an"
		hash, err := h.Hash(ctx, next)
		if err != nil {
			t.Fatal(err)
		}
		if n, err := env.DB.ChangePassword(ctx, self(an), tn.ID, an.ID, hash, string(here)); err != nil || n != 1 {
			t.Fatalf("change: %d sessions ended, %v", n, err)
		}
		if !sessionValid(t, env, tn.ID, here) || sessionValid(t, env, tn.ID, other) {
			t.Fatal("after a password change: the changing session must stay, the other must end")
		}
		token := requestReset(t, env, tn.ID, "an@gent.be")
		if _, err := env.DB.ResetPassword(ctx, tn.ID, token, hash, "req", changedMail); err != nil {
			t.Fatal(err)
		}
		if sessionValid(t, env, tn.ID, here) {
			t.Fatal("a session survived a password reset")
		}
	})
}

// An admin ends all sessions of one user of their tenant; nobody else's.
func TestASVS_7_4_5_AdminEndsAUsersSessions(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		h := fastHasher()
		tn := newTenant(t, env, "gent")
		admin := activeUser(t, env, tn, "admin@gent.be", account.RoleAdmin, h)
		an := activeUser(t, env, tn, "an@gent.be", account.RoleUser, h)
		activeUser(t, env, tn, "bo@gent.be", account.RoleUser, h)
		a1, a2 := mustLogin(t, env, tn.ID, "an@gent.be", goodPassword), mustLogin(t, env, tn.ID, "an@gent.be", goodPassword)
		b1 := mustLogin(t, env, tn.ID, "bo@gent.be", goodPassword)
		actor := audit.Actor{Kind: audit.KindUser, ID: admin.ID, Role: string(account.RoleAdmin), RequestID: "req-admin"}
		if n, err := env.DB.RevokeUserSessions(ctx, actor, tn.ID, an.ID, ""); err != nil || n != 2 {
			t.Fatalf("revoke: %d, %v", n, err)
		}
		if sessionValid(t, env, tn.ID, a1) || sessionValid(t, env, tn.ID, a2) || !sessionValid(t, env, tn.ID, b1) {
			t.Fatal("the admin's revocation must end an's sessions and only those")
		}
		if n := auditCount(t, env, tn.ID, "session.revoke_all", ""); n != 1 {
			t.Errorf("%d session.revoke_all events", n)
		}
	})
}

// An activation link is 256 random bits, expires after 24 hours, works
// once, and the person chooses the password (the link is not one).
func TestASVS_6_4_1_ActivationLinkRandomShortLivedSingleUse(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		h := fastHasher()
		tn := newTenant(t, env, "gent")
		var toks []string
		var first account.Token
		for i := 0; i < 20; i++ {
			_, tok, err := env.DB.InviteUser(ctx, operator, tn.ID, account.Invite{Email: "u" + string(rune('a'+i)) + "@gent.be", Name: "U", Role: account.RoleUser})
			if err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				first = tok
			}
			toks = append(toks, tok.Plain)
		}
		randomBits(t, "activation token", toks)
		hash, _ := h.Hash(ctx, goodPassword)
		if _, err := env.DB.ActivateUser(ctx, tn.ID, first.Plain, hash, "r"); err != nil {
			t.Fatal(err)
		}
		if _, err := env.DB.ActivateUser(ctx, tn.ID, first.Plain, hash, "r"); !errors.Is(err, account.ErrTokenInvalid) {
			t.Fatalf("second use: %v", err)
		}
		if _, _, err := login(env, tn.ID, "ua@gent.be", first.Plain, h); err == nil {
			t.Fatal("the activation token works as a password")
		}
		env.Clock.Advance(account.InvitationTTL + time.Second)
		if _, err := env.DB.ActivateUser(ctx, tn.ID, toks[1], hash, "r"); !errors.Is(err, account.ErrTokenInvalid) {
			t.Fatalf("expired: %v", err)
		}
	})
}

// A password does not expire: three years on it still signs in, and no
// policy field asks for rotation.
func TestASVS_6_2_10_NoPeriodicPasswordRotation(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		tn := newTenant(t, env, "gent")
		activeUser(t, env, tn, "an@gent.be", account.RoleUser, fastHasher())
		env.Clock.Advance(3 * 365 * 24 * time.Hour)
		u, tok, err := login(env, tn.ID, "an@gent.be", goodPassword, fastHasher())
		if err != nil || tok == "" {
			t.Fatalf("a three-year-old password: %v", err)
		}
		if _, info, err := env.DB.Session(ctx, tn.ID, string(tok)); err != nil || u.Email != "an@gent.be" {
			t.Fatalf("session after three years: %+v %v", info, err)
		}
	})
}

// A new tenant has no accounts at all: the first admin is invited by the
// supplier and chooses their own password.
func TestASVS_6_3_2_NoDefaultAccounts(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		tn := newTenant(t, env, "gent")
		users, err := env.DB.Users(ctx, operator, tn.ID)
		if err != nil || len(users) != 0 {
			t.Fatalf("a new tenant has users %+v (%v)", users, err)
		}
		for _, name := range []string{"admin", "root", "admin@gent.be", "beheerder"} {
			for _, pw := range []string{"admin", "root", "password", "wachtwoord", name} {
				if _, _, err := login(env, tn.ID, name, pw, fastHasher()); err == nil {
					t.Fatalf("%s / %s signs in", name, pw)
				}
			}
		}
	})
}

// Every login makes its own token: two logins of one person are two
// sessions, ended one at a time.
func TestASVS_7_2_2_EveryLoginGetsItsOwnToken(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		tn := newTenant(t, env, "gent")
		an := activeUser(t, env, tn, "an@gent.be", account.RoleUser, fastHasher())
		a, b := mustLogin(t, env, tn.ID, "an@gent.be", goodPassword), mustLogin(t, env, tn.ID, "an@gent.be", goodPassword)
		if a == b {
			t.Fatal("two logins share a token")
		}
		if err := env.DB.RevokeSession(ctx, self(an), tn.ID, string(a)); err != nil {
			t.Fatal(err)
		}
		if sessionValid(t, env, tn.ID, a) || !sessionValid(t, env, tn.ID, b) {
			t.Fatal("the two logins are not separate sessions")
		}
	})
}
