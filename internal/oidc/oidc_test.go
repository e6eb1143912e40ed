package oidc_test

import (
	"context"
	"net/url"
	"testing"

	"github.com/kluis/kluis/internal/oidc"
	"github.com/kluis/kluis/internal/oidc/oidctest"
)

func TestClauseUSR2_OIDCFASLevelsAreOrdered(t *testing.T) {
	for _, tt := range []struct {
		preset oidc.Preset
		acr    string
		ok     bool
	}{
		{oidc.FASeID, "urn:be:fedict:iam:fas:Level500", true},
		{oidc.FASeID, "urn:be:fedict:iam:fas:Level450", false},
		{oidc.FASeID, "", false},
		{oidc.FASItsme, "urn:be:fedict:iam:fas:Level450", true},
		{oidc.FASItsme, "urn:be:fedict:iam:fas:Level500", true}, // higher satisfies lower
		{oidc.FASItsme, "urn:be:fedict:iam:fas:Level400", false},
		{oidc.FASItsme, "urn:be:fedict:iam:fas:Level45O", false},
		{oidc.FASItsme, "urn:be:fedict:iam:fas:Level-500", false},
		{oidc.FASItsme, "urn:evil:Level500", false},
		{oidc.ACM, "urn:be:vlaanderen:authmech:eid", true},
		{oidc.ACM, "urn:be:vlaanderen:authmech:itsme", true},
		{oidc.ACM, "urn:be:vlaanderen:authmech:csamtotp", false},
		{oidc.ACM, "urn:be:vlaanderen:authmech:password", false},
		{oidc.Generic, "", true},
	} {
		req := oidc.RequirementOf(tt.preset, nil)
		if got := req.Satisfied(tt.acr); got != tt.ok {
			t.Errorf("%s with acr %q: satisfied %v, want %v", tt.preset, tt.acr, got, tt.ok)
		}
	}
	if r := oidc.RequirementOf(oidc.FASeID, nil); len(r.ACRValues) != 1 || r.ACRValues[0] != "urn:be:fedict:iam:fas:Level500" || !r.MFA {
		t.Errorf("fas-eid asks for %v (MFA %v)", r.ACRValues, r.MFA)
	}
	if r := oidc.RequirementOf(oidc.FASItsme, nil); len(r.ACRValues) != 1 || r.ACRValues[0] != "urn:be:fedict:iam:fas:Level450" {
		t.Errorf("fas-itsme asks for %v", r.ACRValues)
	}
	if r := oidc.RequirementOf(oidc.Generic, nil); r.MFA || len(r.ACRValues) != 0 {
		t.Errorf("generic without acr: %+v", r)
	}
	g := oidc.RequirementOf(oidc.Generic, []string{"urn:x:high"})
	if !g.MFA || g.Satisfied("") || g.Satisfied("urn:x:low") || !g.Satisfied("urn:x:high") {
		t.Errorf("generic with acr: %+v", g)
	}
}

func TestOIDCSettingsValidation(t *testing.T) {
	ok := oidc.Settings{Preset: "fas-eid", ClientID: "c", ClientSecret: "s"}.Normalize()
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	if ok.Name != "fas-eid" || ok.Issuer != "https://idp.iamfas.belgium.be/fas/oauth2" {
		t.Fatalf("defaults: %+v", ok)
	}
	for name, s := range map[string]oidc.Settings{
		"preset":        {Preset: "saml", Issuer: "https://x.be", ClientID: "c", ClientSecret: "s"},
		"issuer":        {Preset: "generic", Issuer: "http://op.example.be", ClientID: "c", ClientSecret: "s"},
		"client_id":     {Preset: "acm", ClientSecret: "s"},
		"client_secret": {Preset: "acm", ClientID: "c"},
		"name":          {Preset: "generic", Name: "callback", Issuer: "https://x.be", ClientID: "c", ClientSecret: "s"},
		"acr":           {Preset: "fas-eid", ClientID: "c", ClientSecret: "s", RequiredACR: []string{"x"}},
	} {
		err := s.Normalize().Validate()
		ve, isVE := err.(*oidc.ValidationError)
		if !isVE || ve.Fields[name] == "" {
			t.Errorf("%s: got %v", name, err)
		}
	}
}

// flow runs Begin, the provider's authorize step (edit may tamper with
// it) and Finish.
func flow(t *testing.T, c *oidc.Client, op *oidctest.OP, prov oidc.Provider, edit func(url.Values)) (oidc.Identity, error) {
	t.Helper()
	ctx := context.Background()
	const redirect = "http://kluis.test/gent/login/oidc/callback"
	st, err := c.Begin(ctx, prov, redirect)
	if err != nil {
		return oidc.Identity{}, err
	}
	back := op.Authorize(t, st.URL, edit)
	if back.Query().Get("state") != st.State {
		t.Fatal("the provider did not echo the state")
	}
	return c.Finish(ctx, prov, redirect, back.Query().Get("code"), st.Verifier, oidc.Hash(st.Nonce))
}

func TestClauseUSR2_OIDCTokenChecks(t *testing.T) {
	op := oidctest.Start(t)
	c := oidc.NewClient(nil)
	prov := func(p oidc.Preset) oidc.Provider {
		return oidc.Provider{Name: string(p), Preset: p, Issuer: op.Issuer(), ClientID: op.ClientID, ClientSecret: op.ClientSecret}
	}

	t.Run("fas-eid at Level500", func(t *testing.T) {
		var sawACR string
		op.SignIn(oidctest.User{Subject: "sub-1", ACR: "urn:be:fedict:iam:fas:Level500"})
		id, err := flow(t, c, op, prov(oidc.FASeID), func(q url.Values) { sawACR = q.Get("acr_values") })
		if err != nil {
			t.Fatal(err)
		}
		if sawACR != "urn:be:fedict:iam:fas:Level500" {
			t.Errorf("acr_values sent: %q", sawACR)
		}
		if id.Subject != "sub-1" || id.Issuer != op.Issuer() || !id.MFA {
			t.Fatalf("identity %+v", id)
		}
	})
	t.Run("PKCE S256 and nonce are sent", func(t *testing.T) {
		op.SignIn(oidctest.User{Subject: "sub-1", ACR: "urn:be:fedict:iam:fas:Level450"})
		_, err := flow(t, c, op, prov(oidc.FASItsme), func(q url.Values) {
			if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("nonce") == "" || q.Get("state") == "" {
				t.Errorf("authentication request lacks PKCE, nonce or state: %v", q)
			}
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	t.Run("acr too low", func(t *testing.T) {
		op.SignIn(oidctest.User{Subject: "sub-1", ACR: "urn:be:fedict:iam:fas:Level450"})
		_, err := flow(t, c, op, prov(oidc.FASeID), nil)
		if oidc.ReasonOf(err) != oidc.ReasonACR {
			t.Fatalf("got %v, want acr_too_low", err)
		}
	})
	t.Run("nonce tampered", func(t *testing.T) {
		op.SignIn(oidctest.User{Subject: "sub-1", ACR: "urn:be:fedict:iam:fas:Level500"})
		_, err := flow(t, c, op, prov(oidc.FASeID), func(q url.Values) { q.Set("nonce", "attacker-nonce") })
		if oidc.ReasonOf(err) != oidc.ReasonNonce {
			t.Fatalf("got %v, want nonce_mismatch", err)
		}
	})
	t.Run("wrong issuer in the token", func(t *testing.T) {
		p := prov(oidc.FASeID)
		p.Issuer = op.Impostor(t)
		op.SignIn(oidctest.User{Subject: "sub-1", ACR: "urn:be:fedict:iam:fas:Level500"})
		_, err := flow(t, c, op, p, nil)
		if oidc.ReasonOf(err) != oidc.ReasonIssuer {
			t.Fatalf("got %v, want issuer_mismatch", err)
		}
	})
	t.Run("wrong audience", func(t *testing.T) {
		p := prov(oidc.Generic)
		ctx := context.Background()
		st, err := c.Begin(ctx, p, "http://kluis.test/cb")
		if err != nil {
			t.Fatal(err)
		}
		op.SignIn(oidctest.User{Subject: "sub-1"})
		back := op.Authorize(t, st.URL, nil)
		p.ClientID = "someone-else"
		_, err = c.Finish(ctx, p, "http://kluis.test/cb", back.Query().Get("code"), st.Verifier, oidc.Hash(st.Nonce))
		if r := oidc.ReasonOf(err); r != oidc.ReasonExchange && r != oidc.ReasonToken {
			t.Fatalf("got %v, want a refusal", err)
		}
	})
	t.Run("wrong PKCE verifier", func(t *testing.T) {
		p := prov(oidc.Generic)
		ctx := context.Background()
		st, _ := c.Begin(ctx, p, "http://kluis.test/cb")
		op.SignIn(oidctest.User{Subject: "sub-1"})
		back := op.Authorize(t, st.URL, nil)
		_, err := c.Finish(ctx, p, "http://kluis.test/cb", back.Query().Get("code"), "not-the-verifier-"+st.Verifier, oidc.Hash(st.Nonce))
		if oidc.ReasonOf(err) != oidc.ReasonExchange {
			t.Fatalf("got %v, want code_exchange_failed", err)
		}
	})
	t.Run("generic without acr is no second factor", func(t *testing.T) {
		op.SignIn(oidctest.User{Subject: "sub-2"})
		id, err := flow(t, c, op, prov(oidc.Generic), func(q url.Values) {
			if q.Has("acr_values") {
				t.Error("generic without acr sent acr_values")
			}
		})
		if err != nil || id.MFA {
			t.Fatalf("id %+v, err %v", id, err)
		}
	})
	t.Run("discovery names another issuer", func(t *testing.T) {
		p := prov(oidc.FASeID)
		p.Issuer = op.Issuer() + "/"
		_, err := c.Begin(context.Background(), p, "http://kluis.test/cb")
		if oidc.ReasonOf(err) != oidc.ReasonIssuer {
			t.Fatalf("got %v, want issuer_mismatch", err)
		}
	})
}
