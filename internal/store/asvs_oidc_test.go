package store_test

import (
	"errors"
	"testing"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/oidc"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

// The provider's subject, exactly, says who signs in: two users linked
// with two subjects each get their own account, and a subject that only
// resembles one (another case, a space) is nobody.
func TestASVS_10_5_2_SubjectIdentifiesTheUser(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		h := fastHasher()
		gent := newTenant(t, env, "gent")
		p := addProvider(t, env, gent, oidc.FASeID)
		an := activeUser(t, env, gent, "an@gent.be", account.RoleUser, h)
		bo := activeUser(t, env, gent, "bo@gent.be", account.RoleUser, h)
		for u, sub := range map[account.User]string{an: "Subject-A", bo: "Subject-B"} {
			if err := env.DB.LinkOIDCIdentity(ctx, self(u), gent.ID, u.ID, p, oidc.Identity{Issuer: testIssuer, Subject: sub}); err != nil {
				t.Fatal(err)
			}
		}
		for sub, want := range map[string]string{"Subject-A": an.ID, "Subject-B": bo.ID} {
			u, _, err := env.DB.OIDCLogin(ctx, gent.ID, p, oidc.Identity{Issuer: testIssuer, Subject: sub}, "req")
			if err != nil || u.ID != want {
				t.Fatalf("%s signed in as %s (%v), want %s", sub, u.ID, err, want)
			}
		}
		for _, sub := range []string{"subject-a", "Subject-A ", " Subject-B", ""} {
			if _, _, err := env.DB.OIDCLogin(ctx, gent.ID, p, oidc.Identity{Issuer: testIssuer, Subject: sub}, "req"); oidc.ReasonOf(err) != oidc.ReasonUnknownIdentity {
				t.Errorf("subject %q: %v, want unknown_identity", sub, err)
			}
		}
	})
}

// A citizen's mailed sign-in code opens only the request it was made for:
// not an earlier or a later one of the same address.
func TestASVS_6_6_2_MailedCodeBoundToItsRequest(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fx, _, _ := personOnThreeForms(t, env)
		claimed(t, env)
		first, firstCode := portalCode(t, env, fx.tn.ID, fx.tn.LegalName, anAddress)
		second, secondCode := portalCode(t, env, fx.tn.ID, fx.tn.LegalName, anAddress)
		if _, err := env.DB.OpenPortalWithCode(ctx, fx.tn.ID, second, firstCode, "r"); !errors.Is(err, store.ErrWrongCode) {
			t.Fatalf("the earlier code on the later request: %v", err)
		}
		if _, err := env.DB.OpenPortalWithCode(ctx, fx.tn.ID, first, secondCode, "r"); !errors.Is(err, store.ErrWrongCode) {
			t.Fatalf("the later code on the earlier request: %v", err)
		}
		if _, err := env.DB.OpenPortalWithCode(ctx, fx.tn.ID, second, secondCode, "r"); err != nil {
			t.Fatalf("its own code: %v", err)
		}
	})
}

// Guessing is bounded: after CitizenCodeAttempts wrong tries the code is
// dead, the right one included.
func TestASVS_6_6_3_MailedCodeDiesAfterFewWrongTries(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fx, _, _ := personOnThreeForms(t, env)
		claimed(t, env)
		if store.CitizenCodeAttempts > 10 {
			t.Fatalf("%d tries per code", store.CitizenCodeAttempts)
		}
		id, code := portalCode(t, env, fx.tn.ID, fx.tn.LegalName, anAddress)
		for i := 0; i < store.CitizenCodeAttempts; i++ {
			if _, err := env.DB.OpenPortalWithCode(ctx, fx.tn.ID, id, "000000x", "r"); !errors.Is(err, store.ErrWrongCode) {
				t.Fatalf("wrong code: %v", err)
			}
		}
		if _, err := env.DB.OpenPortalWithCode(ctx, fx.tn.ID, id, code, "r"); !errors.Is(err, store.ErrWrongCode) {
			t.Fatalf("the right code after the wrong ones: %v", err)
		}
	})
}
