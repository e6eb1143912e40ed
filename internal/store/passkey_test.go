package store_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/passkey"
	"github.com/kluis/kluis/internal/passkey/passkeytest"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

const pkOrigin = "https://loket.example.be"

func newRP(t *testing.T) *passkey.RP {
	t.Helper()
	rp, err := passkey.New(pkOrigin, "Kluis")
	if err != nil {
		t.Fatal(err)
	}
	return rp
}

// passkeyEvents lists the tenant's passkey.* and login.* audit events as
// "action outcome purpose [actor]".
func passkeyEvents(t *testing.T, env *storetest.Env, tenantID string) []string {
	t.Helper()
	var out []string
	if err := env.DB.EachAuditEvent(ctx, tenantID, func(e *audit.Event) error {
		if strings.HasPrefix(e.Action, "passkey.") || strings.HasPrefix(e.Action, "login.") {
			out = append(out, e.Action+" "+e.Outcome+" "+e.Purpose+" ["+e.Actor.ID+"]")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// registerPasskey adds a passkey of auth to u through the store's
// ceremony, for the session sess.
func registerPasskey(t *testing.T, env *storetest.Env, rp *passkey.RP, auth *passkeytest.Authenticator, u account.User,
	sess, name string) store.Passkey {
	t.Helper()
	opts, err := env.DB.BeginPasskeyRegistration(ctx, rp, u.TenantID, u.ID, sess, u.Email, u.Name)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(opts), u.ID) {
		t.Fatal("the options carry the user id: the user handle must be random")
	}
	body, err := auth.Create(opts)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := passkey.ParseRegistration(body)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := env.DB.FinishPasskeyRegistration(ctx, rp, self(u), u.TenantID, u.ID, sess, name, reg)
	if err != nil {
		t.Fatal(err)
	}
	return pk
}

func loginAssertion(t *testing.T, env *storetest.Env, rp *passkey.RP, auth *passkeytest.Authenticator, tenantID string) *passkey.Assertion {
	t.Helper()
	opts, err := env.DB.BeginPasskeyLogin(ctx, rp, tenantID)
	if err != nil {
		t.Fatal(err)
	}
	body, err := auth.Get(opts)
	if err != nil {
		t.Fatal(err)
	}
	a, err := passkey.ParseAssertion(body)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestClauseUSR2_PasskeyRegisterAndLogin: a passkey made by a software
// authenticator is registered (named, the name sealed at rest), then
// proves the second factor of a session and signs in without a password,
// opening an MFA-verified session; each use moves the counter and is
// audited.
func TestClauseUSR2_PasskeyRegisterAndLogin(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		rp := newRP(t)
		tn := newTenant(t, env, "gent")
		u := mfaUser(t, env, tn, "an@gent.be")
		auth := passkeytest.New(pkOrigin)
		if has, _ := env.DB.HasSecondFactor(ctx, tn.ID, u.ID); has {
			t.Fatal("a second factor before any was added")
		}
		pk := registerPasskey(t, env, rp, auth, u, "sess-1", "Werklaptop Zeewolde")
		list, err := env.DB.Passkeys(ctx, tn.ID, u.ID)
		if err != nil || len(list) != 1 || list[0].Name != "Werklaptop Zeewolde" || list[0].ID != pk.ID || !list[0].LastUsedAt.IsZero() {
			t.Fatalf("passkeys: %+v %v", list, err)
		}
		if has, _ := env.DB.HasSecondFactor(ctx, tn.ID, u.ID); !has {
			t.Fatal("a passkey does not count as a second factor")
		}
		if found := storetest.FindPlaintext(t, env, tn.Slug, "Werklaptop Zeewolde"); len(found["Werklaptop Zeewolde"]) > 0 {
			t.Fatalf("the passkey's name is stored in plaintext: %v", found)
		}

		// Second factor after a password.
		opts, err := env.DB.BeginPasskeySecondFactor(ctx, rp, tn.ID, u.ID, "sess-2")
		if err != nil {
			t.Fatal(err)
		}
		body, err := auth.Get(opts)
		if err != nil {
			t.Fatal(err)
		}
		a, err := passkey.ParseAssertion(body)
		if err != nil {
			t.Fatal(err)
		}
		if err := env.DB.FinishPasskeySecondFactor(ctx, rp, tn.ID, u.ID, "sess-2", "req-2fa", a); err != nil {
			t.Fatalf("second factor: %v", err)
		}

		// Passwordless.
		env.Clock.Advance(time.Minute)
		got, tok, err := env.DB.PasskeyLogin(ctx, rp, tn.ID, "req-login", loginAssertion(t, env, rp, auth, tn.ID))
		if err != nil || got.ID != u.ID {
			t.Fatalf("passkey login: %v %v", got.ID, err)
		}
		_, info, err := env.DB.Session(ctx, tn.ID, string(tok))
		if err != nil || !info.MFAVerified {
			t.Fatalf("session after passkey login: %+v %v", info, err)
		}
		list, _ = env.DB.Passkeys(ctx, tn.ID, u.ID)
		if list[0].LastUsedAt.IsZero() {
			t.Fatal("last use not recorded")
		}
		events := passkeyEvents(t, env, tn.ID)
		for _, want := range []string{
			"passkey.add success mfa: passkey added [" + u.ID + "]",
			"passkey.use success mfa: passkey as second factor [" + u.ID + "]",
			"passkey.use success login: passkey with user verification [" + u.ID + "]",
			"login.success success login: passkey [" + u.ID + "]",
		} {
			if countEvents(events, want) != 1 {
				t.Errorf("want one %q in %q", want, events)
			}
		}
	})
}

// TestClauseUSR2_PasskeyRefusals: an answer from the wrong origin, to a
// challenge never issued, to a ceremony answered already (a replay), to an
// expired one or to another session's, and a passwordless answer without
// user verification are all refused, audited with their reason, and
// change nothing.
func TestClauseUSR2_PasskeyRefusals(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		rp := newRP(t)
		tn := newTenant(t, env, "gent")
		u := mfaUser(t, env, tn, "an@gent.be")
		auth := passkeytest.New(pkOrigin)
		registerPasskey(t, env, rp, auth, u, "sess-1", "sleutel")

		refused := func(what string, err error) {
			t.Helper()
			if !errors.Is(err, store.ErrPasskeyFailed) {
				t.Fatalf("%s: %v, want ErrPasskeyFailed", what, err)
			}
		}
		second := func(sess string, opts []byte, a *passkeytest.Authenticator, answerSess string) error {
			t.Helper()
			body, err := a.Get(opts)
			if err != nil {
				t.Fatal(err)
			}
			as, err := passkey.ParseAssertion(body)
			if err != nil {
				t.Fatal(err)
			}
			return env.DB.FinishPasskeySecondFactor(ctx, rp, tn.ID, u.ID, answerSess, "req", as)
		}

		// Wrong origin (a phishing site relaying the ceremony).
		phish := auth.Clone()
		phish.Origin = "https://loket.example.be.evil.example"
		opts, _ := env.DB.BeginPasskeySecondFactor(ctx, rp, tn.ID, u.ID, "s")
		refused("wrong origin", second("s", opts, phish, "s"))
		// The ceremony is spent even by a wrong answer.
		refused("after a wrong answer", second("s", opts, auth, "s"))

		// A challenge the server never issued.
		env.DB.BeginPasskeySecondFactor(ctx, rp, tn.ID, u.ID, "s")
		refused("unknown challenge", second("s", passkeytest.WithChallenge(opts), auth, "s"))

		// A replayed answer.
		opts, _ = env.DB.BeginPasskeySecondFactor(ctx, rp, tn.ID, u.ID, "s")
		body, _ := auth.Get(opts)
		as, _ := passkey.ParseAssertion(body)
		if err := env.DB.FinishPasskeySecondFactor(ctx, rp, tn.ID, u.ID, "s", "req", as); err != nil {
			t.Fatal(err)
		}
		refused("replay", env.DB.FinishPasskeySecondFactor(ctx, rp, tn.ID, u.ID, "s", "req", as))

		// Another session's ceremony.
		opts, _ = env.DB.BeginPasskeySecondFactor(ctx, rp, tn.ID, u.ID, "s-victim")
		refused("other session", second("s-attacker", opts, auth, "s-attacker"))

		// Expired.
		opts, _ = env.DB.BeginPasskeySecondFactor(ctx, rp, tn.ID, u.ID, "s")
		env.Clock.Advance(passkey.CeremonyTimeout + time.Second)
		refused("expired", second("s", opts, auth, "s"))

		// Passwordless without user verification.
		noUV := auth.Clone()
		noUV.NoUserVerification = true
		_, _, err := env.DB.PasskeyLogin(ctx, rp, tn.ID, "req", loginAssertion(t, env, rp, noUV, tn.ID))
		refused("no user verification", err)

		events := passkeyEvents(t, env, tn.ID)
		for _, reason := range []string{passkey.ReasonOrigin, passkey.ReasonChallenge, passkey.ReasonExpired, passkey.ReasonUserVerification} {
			if countEvents(events, "passkey.refused failure "+reason) == 0 {
				t.Errorf("no refusal %q audited in %q", reason, events)
			}
		}
		if n := countEvents(events, "passkey.refused failure"); n != 7 {
			t.Errorf("%d refusals audited, want 7: %q", n, events)
		}
		if n := countEvents(events, "login.success"); n != 0 {
			t.Errorf("a refused passkey signed in: %q", events)
		}
	})
}

// TestClauseUSR2_PasskeySignCountRegression: a cloned authenticator gives
// itself away when its counter falls behind the original's; its assertion
// is refused and audited, and the stored counter stays.
func TestClauseUSR2_PasskeySignCountRegression(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		rp := newRP(t)
		tn := newTenant(t, env, "gent")
		u := mfaUser(t, env, tn, "an@gent.be")
		auth := passkeytest.New(pkOrigin)
		registerPasskey(t, env, rp, auth, u, "sess-1", "sleutel")
		clone := auth.Clone()
		for range 2 {
			if _, _, err := env.DB.PasskeyLogin(ctx, rp, tn.ID, "req", loginAssertion(t, env, rp, auth, tn.ID)); err != nil {
				t.Fatal(err)
			}
		}
		_, _, err := env.DB.PasskeyLogin(ctx, rp, tn.ID, "req-clone", loginAssertion(t, env, rp, clone, tn.ID))
		if !errors.Is(err, store.ErrPasskeyFailed) {
			t.Fatalf("clone: %v", err)
		}
		events := passkeyEvents(t, env, tn.ID)
		if countEvents(events, "passkey.refused failure "+passkey.ReasonCounter+" ["+u.ID+"]") != 1 {
			t.Fatalf("counter regression not audited: %q", events)
		}
		// The original goes on.
		if _, _, err := env.DB.PasskeyLogin(ctx, rp, tn.ID, "req", loginAssertion(t, env, rp, auth, tn.ID)); err != nil {
			t.Fatalf("original after the clone: %v", err)
		}
	})
}

// TestClauseUSR2_PasskeyRemoveAndLastFactor: a user removes a passkey; an
// admin cannot remove their last second factor, but can once another one
// (TOTP) exists; another user's passkey id is not found. The admin's MFA
// reset removes passkeys too.
func TestClauseUSR2_PasskeyRemoveAndLastFactor(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		rp := newRP(t)
		tn := newTenant(t, env, "gent")
		admin := mfaUser(t, env, tn, "admin@gent.be") // mfaUser makes admins
		other := mfaUser(t, env, tn, "other@gent.be")
		auth := passkeytest.New(pkOrigin)
		a1 := registerPasskey(t, env, rp, auth, admin, "s", "een")
		a2 := registerPasskey(t, env, rp, passkeytest.New(pkOrigin), admin, "s", "twee") // one passkey per authenticator and user
		if err := env.DB.RemovePasskey(ctx, self(other), tn.ID, other.ID, a1.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("another user's passkey: %v", err)
		}
		if err := env.DB.RemovePasskey(ctx, self(admin), tn.ID, admin.ID, a1.ID); err != nil {
			t.Fatal(err)
		}
		if err := env.DB.RemovePasskey(ctx, self(admin), tn.ID, admin.ID, a2.ID); !errors.Is(err, store.ErrLastSecondFactor) {
			t.Fatalf("admin's last second factor: %v", err)
		}
		if list, _ := env.DB.Passkeys(ctx, tn.ID, admin.ID); len(list) != 1 {
			t.Fatalf("passkeys left: %+v", list)
		}
		enrolTOTP(t, env, admin)
		if err := env.DB.RemovePasskey(ctx, self(admin), tn.ID, admin.ID, a2.ID); err != nil {
			t.Fatalf("with TOTP left: %v", err)
		}
		events := passkeyEvents(t, env, tn.ID)
		if n := countEvents(events, "passkey.remove success mfa: passkey removed ["+admin.ID+"]"); n != 2 {
			t.Fatalf("%d removals audited: %q", n, events)
		}
		// The removed passkey no longer signs in.
		_, _, err := env.DB.PasskeyLogin(ctx, rp, tn.ID, "req", loginAssertion(t, env, rp, auth, tn.ID))
		if !errors.Is(err, store.ErrPasskeyFailed) {
			t.Fatalf("removed passkey: %v", err)
		}
		// The admin's reset takes passkeys too.
		registerPasskey(t, env, rp, auth, other, "s2", "x")
		if err := env.DB.RemoveTOTP(ctx, operator, tn.ID, other.ID); err != nil {
			t.Fatal(err)
		}
		if has, _ := env.DB.HasSecondFactor(ctx, tn.ID, other.ID); has {
			t.Fatal("MFA reset left a passkey")
		}
	})
}

// TestClauseUSR2_PasskeyOtherTenant: tenants share the relying party, so
// a browser offers a passkey of tenant A on tenant B's login page; B
// refuses it as unknown, and A's ceremonies cannot be answered on B.
func TestClauseUSR2_PasskeyOtherTenant(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		rp := newRP(t)
		gent, brugge := newTenant(t, env, "gent"), newTenant(t, env, "brugge")
		u := mfaUser(t, env, gent, "an@gent.be")
		auth := passkeytest.New(pkOrigin)
		registerPasskey(t, env, rp, auth, u, "s", "sleutel")
		_, _, err := env.DB.PasskeyLogin(ctx, rp, brugge.ID, "req", loginAssertion(t, env, rp, auth, brugge.ID))
		if !errors.Is(err, store.ErrPasskeyFailed) {
			t.Fatalf("gent's passkey on brugge: %v", err)
		}
		// A ceremony begun on gent, answered on brugge.
		_, _, err = env.DB.PasskeyLogin(ctx, rp, brugge.ID, "req", loginAssertion(t, env, rp, auth, gent.ID))
		if !errors.Is(err, store.ErrPasskeyFailed) {
			t.Fatalf("gent's ceremony on brugge: %v", err)
		}
		events := passkeyEvents(t, env, brugge.ID)
		if countEvents(events, "passkey.refused failure "+passkey.ReasonUnknown) != 1 ||
			countEvents(events, "passkey.refused failure "+passkey.ReasonChallenge) != 1 || countEvents(events, "login.success") != 0 {
			t.Fatalf("brugge's log: %q", events)
		}
		if events := passkeyEvents(t, env, gent.ID); countEvents(events, "passkey.use") != 0 {
			t.Fatalf("gent's log: %q", events)
		}
	})
}
