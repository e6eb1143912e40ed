package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/oidc"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
	"github.com/kluis/kluis/internal/tenant"
)

const (
	testIssuer       = "https://idp.iamfas.int.belgium.be/fas/oauth2"
	testClientSecret = "geheim-client-secret-7f3a9c"
	testSubject      = "85073003328-fas-subject"
)

func addProvider(t *testing.T, env *storetest.Env, tn tenant.Tenant, preset oidc.Preset) oidc.Provider {
	t.Helper()
	p, err := env.DB.AddOIDCProvider(ctx, operator, tn.ID, oidc.Settings{Preset: preset, Issuer: testIssuer,
		ClientID: "kluis-" + tn.Slug, ClientSecret: testClientSecret})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// startFlow begins a flow and returns its state.
func startFlow(t *testing.T, env *storetest.Env, tn tenant.Tenant, p oidc.Provider, in store.OIDCFlowStart) oidc.Start {
	t.Helper()
	st := oidc.Start{State: "state-" + time.Now().Format(time.RFC3339Nano), Nonce: "nonce-1", Verifier: "verifier-1"}
	if err := env.DB.BeginOIDCFlow(ctx, tn.ID, p, st, in); err != nil {
		t.Fatal(err)
	}
	return st
}

func TestClauseUSR2_OIDCProvidersPerTenant(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		gent, brugge := newTenant(t, env, "gent"), newTenant(t, env, "brugge")
		p := addProvider(t, env, gent, oidc.FASeID)
		if p.Name != "fas-eid" || p.Issuer != testIssuer {
			t.Fatalf("provider %+v", p)
		}
		if _, err := env.DB.AddOIDCProvider(ctx, operator, gent.ID, oidc.Settings{Preset: oidc.FASeID, ClientID: "x", ClientSecret: "y"}); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("same name twice: %v", err)
		}
		var ve *oidc.ValidationError
		if _, err := env.DB.AddOIDCProvider(ctx, operator, gent.ID, oidc.Settings{Preset: "saml", ClientID: "x"}); !errors.As(err, &ve) {
			t.Fatalf("bad settings: %v", err)
		}
		list, err := env.DB.OIDCProviders(ctx, gent.ID)
		if err != nil || len(list) != 1 || list[0].ClientSecret != "" {
			t.Fatalf("list %+v (secrets must stay sealed), %v", list, err)
		}
		got, err := env.DB.OIDCProvider(ctx, gent.ID, "fas-eid")
		if err != nil || got.ClientSecret != testClientSecret || !got.Enabled {
			t.Fatalf("get %+v, %v", got, err)
		}
		if _, err := env.DB.OIDCProvider(ctx, brugge.ID, "fas-eid"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("another tenant's provider: %v", err)
		}
		if n := auditCount(t, env, gent.ID, "oidc.provider.add", ""); n != 1 {
			t.Fatalf("%d oidc.provider.add events", n)
		}
	})
}

func TestASVS_10_1_2_ClauseUSR2_OIDCFlowIsSingleUseBoundAndShortLived(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		gent, brugge := newTenant(t, env, "gent"), newTenant(t, env, "brugge")
		p := addProvider(t, env, gent, oidc.FASeID)
		badState := func(state, binding, tenantID string) {
			t.Helper()
			if _, err := env.DB.TakeOIDCFlow(ctx, tenantID, state, binding, "req"); oidc.ReasonOf(err) != oidc.ReasonBadState {
				t.Fatalf("got %v, want bad_state", err)
			}
		}
		st := startFlow(t, env, gent, p, store.OIDCFlowStart{Purpose: store.OIDCPurposeLogin, Binding: "browser-1", Next: "/gent/x"})
		badState("not-a-state", "browser-1", gent.ID)
		badState(st.State, "browser-2", gent.ID) // another browser
		badState(st.State, "", gent.ID)
		badState(st.State, "browser-1", brugge.ID) // another tenant
		f, err := env.DB.TakeOIDCFlow(ctx, gent.ID, st.State, "browser-1", "req")
		if err != nil {
			t.Fatal(err)
		}
		if f.Verifier != "verifier-1" || string(f.NonceHash) != string(oidc.Hash("nonce-1")) || f.Provider.ClientSecret != testClientSecret ||
			f.Purpose != store.OIDCPurposeLogin || f.Next != "/gent/x" {
			t.Fatalf("flow %+v", f)
		}
		badState(st.State, "browser-1", gent.ID) // used
		if n := auditCount(t, env, gent.ID, "login.failure", "oidc: bad_state"); n != 4 {
			t.Fatalf("%d bad_state events in gent, want 4", n)
		}

		st = startFlow(t, env, gent, p, store.OIDCFlowStart{Purpose: store.OIDCPurposeLogin, Binding: "browser-1"})
		env.Clock.Advance(store.OIDCFlowTTL + time.Second)
		badState(st.State, "browser-1", gent.ID) // expired
	})
}

func TestASVS_6_8_1_ClauseUSR2_OIDCIdentityMatchedByIssuerAndSubjectOnly(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		h := fastHasher()
		gent := newTenant(t, env, "gent")
		p := addProvider(t, env, gent, oidc.FASeID)
		an := activeUser(t, env, gent, "an@gent.be", account.RoleUser, h)
		id := oidc.Identity{Issuer: testIssuer, Subject: testSubject, ACR: "urn:be:fedict:iam:fas:Level500", MFA: true}
		if err := env.DB.LinkOIDCIdentity(ctx, self(an), gent.ID, an.ID, p, id); err != nil {
			t.Fatal(err)
		}
		u, tok, err := env.DB.OIDCLogin(ctx, gent.ID, p, id, "req")
		if err != nil || u.ID != an.ID {
			t.Fatalf("login: %+v %v", u, err)
		}
		_, info, err := env.DB.Session(ctx, gent.ID, string(tok))
		if err != nil || !info.MFAVerified {
			t.Fatalf("an eID login is the second factor: %+v %v", info, err)
		}
		// Without MFA (a generic provider without acr) the session is
		// password-like: the TOTP step follows.
		_, tok, err = env.DB.OIDCLogin(ctx, gent.ID, p, oidc.Identity{Issuer: testIssuer, Subject: testSubject}, "req")
		if err != nil {
			t.Fatal(err)
		}
		if _, info, _ := env.DB.Session(ctx, gent.ID, string(tok)); info.MFAVerified {
			t.Fatal("a login without acr requirement marked the session MFA-verified")
		}
		for name, other := range map[string]oidc.Identity{
			"other subject": {Issuer: testIssuer, Subject: "someone-else"},
			"other issuer":  {Issuer: "https://evil.example", Subject: testSubject},
		} {
			if _, _, err := env.DB.OIDCLogin(ctx, gent.ID, p, other, "req"); oidc.ReasonOf(err) != oidc.ReasonUnknownIdentity {
				t.Fatalf("%s: %v, want unknown_identity", name, err)
			}
		}
		if n := auditCount(t, env, gent.ID, "login.failure", "oidc fas-eid: unknown_identity"); n != 2 {
			t.Fatalf("%d unknown_identity events", n)
		}
		// Another user cannot link the same identity.
		bo := activeUser(t, env, gent, "bo@gent.be", account.RoleUser, h)
		if err := env.DB.LinkOIDCIdentity(ctx, self(bo), gent.ID, bo.ID, p, id); oidc.ReasonOf(err) != oidc.ReasonIdentityTaken {
			t.Fatalf("second link: %v", err)
		}
		// A disabled user cannot sign in with it.
		if err := env.DB.DisableUser(ctx, operator, gent.ID, an.ID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := env.DB.OIDCLogin(ctx, gent.ID, p, id, "req"); oidc.ReasonOf(err) != oidc.ReasonAccountInactive {
			t.Fatalf("disabled: %v", err)
		}
		ids, err := env.DB.OIDCIdentities(ctx, gent.ID, an.ID)
		if err != nil || len(ids) != 1 || ids[0].ProviderName != "fas-eid" {
			t.Fatalf("identities %+v %v", ids, err)
		}
		if err := env.DB.UnlinkOIDCIdentity(ctx, self(bo), gent.ID, bo.ID, ids[0].ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unlink another user's identity: %v", err)
		}
		if err := env.DB.UnlinkOIDCIdentity(ctx, self(an), gent.ID, an.ID, ids[0].ID); err != nil {
			t.Fatal(err)
		}
		if ids, _ := env.DB.OIDCIdentities(ctx, gent.ID, an.ID); len(ids) != 0 {
			t.Fatalf("still linked: %+v", ids)
		}
		if n := auditCount(t, env, gent.ID, "oidc.unlink", ""); n != 1 {
			t.Fatalf("%d unlink events", n)
		}
	})
}

func TestClauseUSR2_OIDCActivationLinksInsteadOfPassword(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		gent := newTenant(t, env, "gent")
		p := addProvider(t, env, gent, oidc.FASItsme)
		invited, tok, err := env.DB.InviteUser(ctx, operator, gent.ID, account.Invite{Email: "cis@gent.be", Name: "Cis", Role: account.RoleUser})
		if err != nil {
			t.Fatal(err)
		}
		if err := env.DB.BeginOIDCFlow(ctx, gent.ID, p, oidc.Start{State: "s0"}, store.OIDCFlowStart{Purpose: store.OIDCPurposeActivate,
			InvitationToken: "not-the-token", Binding: "b"}); !errors.Is(err, account.ErrTokenInvalid) {
			t.Fatalf("activation flow with a bad token: %v", err)
		}
		st := startFlow(t, env, gent, p, store.OIDCFlowStart{Purpose: store.OIDCPurposeActivate, InvitationToken: tok.Plain, Binding: "b"})
		f, err := env.DB.TakeOIDCFlow(ctx, gent.ID, st.State, "b", "req")
		if err != nil || f.UserID != invited.ID {
			t.Fatalf("flow %+v %v", f, err)
		}
		id := oidc.Identity{Issuer: testIssuer, Subject: testSubject, MFA: true}
		u, err := env.DB.ActivateWithOIDC(ctx, gent.ID, f, id, "req")
		if err != nil || u.Status != account.StatusActive {
			t.Fatalf("activate: %+v %v", u, err)
		}
		if _, err := env.DB.ActivateWithOIDC(ctx, gent.ID, f, id, "req"); !errors.Is(err, account.ErrTokenInvalid) {
			t.Fatalf("second activation: %v", err)
		}
		if _, err := env.DB.Invitation(ctx, gent.ID, tok.Plain); !errors.Is(err, account.ErrTokenInvalid) {
			t.Fatalf("the invitation is not spent: %v", err)
		}
		if got, _, err := env.DB.OIDCLogin(ctx, gent.ID, p, id, "req"); err != nil || got.ID != invited.ID {
			t.Fatalf("login after activation: %v", err)
		}

		// An identity someone else linked: refused, audited, and the
		// invitation stays usable.
		_, tok2, err := env.DB.InviteUser(ctx, operator, gent.ID, account.Invite{Email: "dirk@gent.be", Name: "Dirk", Role: account.RoleUser})
		if err != nil {
			t.Fatal(err)
		}
		st = startFlow(t, env, gent, p, store.OIDCFlowStart{Purpose: store.OIDCPurposeActivate, InvitationToken: tok2.Plain, Binding: "b"})
		f, err = env.DB.TakeOIDCFlow(ctx, gent.ID, st.State, "b", "req")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := env.DB.ActivateWithOIDC(ctx, gent.ID, f, id, "req"); oidc.ReasonOf(err) != oidc.ReasonIdentityTaken {
			t.Fatalf("taken identity: %v", err)
		}
		if _, err := env.DB.Invitation(ctx, gent.ID, tok2.Plain); err != nil {
			t.Fatalf("a refused activation spent the invitation: %v", err)
		}
		if n := auditCount(t, env, gent.ID, "oidc.link", "oidc fas-itsme: identity_linked_other"); n != 1 {
			t.Fatalf("%d refusal events", n)
		}
	})
}

// TestClauseUSR7_OIDCSecretsNotInPlaintext: the client secret, the subject
// and the PKCE verifier are sealed; the state, nonce and browser binding
// are stored as hashes.
func TestClauseUSR7_OIDCSecretsNotInPlaintext(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		gent := newTenant(t, env, "gent")
		p := addProvider(t, env, gent, oidc.FASeID)
		u := activeUser(t, env, gent, "an@gent.be", account.RoleUser, fastHasher())
		if err := env.DB.LinkOIDCIdentity(ctx, self(u), gent.ID, u.ID, p, oidc.Identity{Issuer: testIssuer, Subject: testSubject}); err != nil {
			t.Fatal(err)
		}
		st := oidc.Start{State: "state-plaintext-5e1d", Nonce: "nonce-plaintext-9a2b", Verifier: "verifier-plaintext-77c3"}
		if err := env.DB.BeginOIDCFlow(ctx, gent.ID, p, st, store.OIDCFlowStart{Purpose: store.OIDCPurposeLogin,
			Binding: "binding-plaintext-4f0e"}); err != nil {
			t.Fatal(err)
		}
		if found := storetest.FindPlaintext(t, env, "kluis-gent", testClientSecret, testSubject, st.State, st.Nonce, st.Verifier,
			"binding-plaintext-4f0e"); len(found) > 0 {
			t.Fatalf("plaintext at rest: %v", found)
		}
	})
}
