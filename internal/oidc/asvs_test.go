package oidc_test

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/oauth2-proxy/mockoidc"

	"github.com/kluis/kluis/internal/oidc"
	"github.com/kluis/kluis/internal/oidc/oidctest"
)

const forgedRedirect = "http://kluis.test/gent/login/oidc/callback"

// forged runs a flow against a hostile provider whose token endpoint
// answers with the ID token make builds from the flow's nonce, and returns
// Finish's result.
func forged(t *testing.T, f *oidctest.Forger, make func(nonce string) string) (oidc.Identity, error) {
	t.Helper()
	ctx := context.Background()
	c := oidc.NewClient(nil)
	prov := oidc.Provider{Name: "generic", Preset: oidc.Generic, Issuer: f.Issuer, ClientID: f.ClientID, ClientSecret: "s"}
	st, err := c.Begin(ctx, prov, forgedRedirect)
	if err != nil {
		t.Fatal(err)
	}
	f.IDToken = func() string { return make(st.Nonce) }
	return c.Finish(ctx, prov, forgedRedirect, "any-code", st.Verifier, oidc.Hash(st.Nonce))
}

// acceptsValid is the control: the hostile provider's correctly made
// token is accepted, so a refusal below is the check under test.
func acceptsValid(t *testing.T, f *oidctest.Forger) {
	t.Helper()
	id, err := forged(t, f, func(n string) string { return f.Sign(t, f.Claims(n), nil) })
	if err != nil || id.Subject != "forged-subject" || id.Issuer != f.Issuer {
		t.Fatalf("a valid token was refused: %+v %v", id, err)
	}
}

func refused(t *testing.T, what string, want oidc.Reason, err error) {
	t.Helper()
	if got := oidc.ReasonOf(err); got != want {
		t.Errorf("%s: got %v, want %s", what, err, want)
	}
}

func b64(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

func TestASVS_6_8_2_UnsignedOrWronglySignedIDTokenRefused(t *testing.T) {
	f := oidctest.StartForger(t)
	acceptsValid(t, f)
	_, err := forged(t, f, func(n string) string {
		return b64(map[string]string{"alg": "none", "typ": "JWT"}) + "." + b64(f.Claims(n)) + "."
	})
	refused(t, "unsigned (alg none)", oidc.ReasonToken, err)
	_, err = forged(t, f, func(n string) string {
		valid := f.Sign(t, f.Claims(n), nil)
		return valid[:strings.LastIndexByte(valid, '.')+1]
	})
	refused(t, "signature stripped", oidc.ReasonToken, err)
	other, err := mockoidc.RandomKeypair(2048)
	if err != nil {
		t.Fatal(err)
	}
	_, err = forged(t, f, func(n string) string { return oidctest.SignWith(t, other, f.Claims(n), nil) })
	refused(t, "signed by a key the provider does not publish", oidc.ReasonToken, err)
}

func TestASVS_9_1_1_TamperedIDTokenRefused(t *testing.T) {
	f := oidctest.StartForger(t)
	acceptsValid(t, f)
	_, err := forged(t, f, func(n string) string {
		parts := strings.Split(f.Sign(t, f.Claims(n), nil), ".")
		c := f.Claims(n)
		c["sub"] = "someone-else"
		return parts[0] + "." + b64(c) + "." + parts[2]
	})
	refused(t, "claims changed after signing", oidc.ReasonToken, err)
}

func TestASVS_9_1_2_OnlyTheProvidersAsymmetricAlgorithmAccepted(t *testing.T) {
	f := oidctest.StartForger(t)
	acceptsValid(t, f)
	// Key confusion: HMAC keyed with the provider's public key.
	pub, err := x509.MarshalPKIXPublicKey(f.Key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	kid, _ := f.Key.KeyID()
	_, err = forged(t, f, func(n string) string {
		tok := jwt.NewWithClaims(jwt.SigningMethodHS256, f.Claims(n))
		tok.Header["kid"] = kid
		s, err := tok.SignedString(pub)
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
	refused(t, "HS256 keyed with the public key", oidc.ReasonToken, err)
	_, err = forged(t, f, func(n string) string {
		tok := jwt.NewWithClaims(jwt.SigningMethodNone, f.Claims(n))
		s, err := tok.SignedString(jwt.UnsafeAllowNoneSignatureType)
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
	refused(t, "alg none", oidc.ReasonToken, err)
	// The right key, an algorithm the provider's discovery does not list.
	_, err = forged(t, f, func(n string) string {
		tok := jwt.NewWithClaims(jwt.SigningMethodRS512, f.Claims(n))
		tok.Header["kid"] = kid
		s, err := tok.SignedString(f.Key.PrivateKey)
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
	refused(t, "RS512 where the provider announces RS256", oidc.ReasonToken, err)
}

func TestASVS_9_1_3_KeysComeOnlyFromTheIssuersJWKS(t *testing.T) {
	f := oidctest.StartForger(t)
	acceptsValid(t, f)
	attacker, err := mockoidc.RandomKeypair(2048)
	if err != nil {
		t.Fatal(err)
	}
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	raw, _ := attacker.JWKS()
	if err := json.Unmarshal(raw, &set); err != nil || len(set.Keys) != 1 {
		t.Fatalf("attacker JWKS: %s %v", raw, err)
	}
	_, err = forged(t, f, func(n string) string {
		return oidctest.SignWith(t, attacker, f.Claims(n), map[string]any{"jwk": set.Keys[0], "jku": "http://127.0.0.1:1/attacker-jwks", "x5u": "http://127.0.0.1:1/attacker.pem"})
	})
	refused(t, "signed by a key the token names in jwk/jku/x5u", oidc.ReasonToken, err)
}

func TestASVS_9_2_1_ExpiredOrNotYetValidIDTokenRefused(t *testing.T) {
	f := oidctest.StartForger(t)
	acceptsValid(t, f)
	now := time.Now()
	for name, edit := range map[string]func(jwt.MapClaims){
		"expired an hour ago": func(c jwt.MapClaims) {
			c["iat"], c["nbf"], c["exp"] = now.Add(-2*time.Hour).Unix(), now.Add(-2*time.Hour).Unix(), now.Add(-time.Hour).Unix()
		},
		"valid from in an hour": func(c jwt.MapClaims) { c["nbf"], c["exp"] = now.Add(time.Hour).Unix(), now.Add(2*time.Hour).Unix() },
		"without exp":           func(c jwt.MapClaims) { delete(c, "exp") },
	} {
		_, err := forged(t, f, func(n string) string {
			c := f.Claims(n)
			edit(c)
			return f.Sign(t, c, nil)
		})
		refused(t, name, oidc.ReasonToken, err)
	}
}

// An access token of the same provider (same issuer, audience and key,
// no nonce) is no ID token: only the token response's id_token is read, and
// it must carry this flow's nonce.
func TestASVS_9_2_2_AccessTokenNotTakenForAnIDToken(t *testing.T) {
	f := oidctest.StartForger(t)
	acceptsValid(t, f)
	_, err := forged(t, f, func(n string) string {
		c := f.Claims(n)
		delete(c, "nonce")
		c["scope"] = "openid"
		return f.Sign(t, c, map[string]any{"typ": "at+jwt"})
	})
	refused(t, "access token in the id_token field", oidc.ReasonNonce, err)
}

func TestASVS_9_2_3_IDTokenForAnotherAudienceRefused(t *testing.T) {
	f := oidctest.StartForger(t)
	acceptsValid(t, f)
	for name, aud := range map[string]any{
		"another client":   "another-client",
		"no audience":      nil,
		"audience prefix":  f.ClientID + "-x",
		"audience missing": []string{},
	} {
		_, err := forged(t, f, func(n string) string {
			c := f.Claims(n)
			if aud == nil {
				delete(c, "aud")
			} else {
				c["aud"] = aud
			}
			return f.Sign(t, c, nil)
		})
		refused(t, name, oidc.ReasonToken, err)
	}
}

// With several audiences the token must name Kluis as its authorised party.
func TestASVS_10_5_4_AudienceAndAuthorisedPartyAreOurClient(t *testing.T) {
	f := oidctest.StartForger(t)
	acceptsValid(t, f)
	multi := func(azp string) func(string) string {
		return func(n string) string {
			c := f.Claims(n)
			c["aud"] = []string{"another-client", f.ClientID}
			if azp != "" {
				c["azp"] = azp
			}
			return f.Sign(t, c, nil)
		}
	}
	_, err := forged(t, f, multi("another-client"))
	refused(t, "several audiences, azp another client", oidc.ReasonToken, err)
	_, err = forged(t, f, multi(""))
	refused(t, "several audiences, no azp", oidc.ReasonToken, err)
	if _, err := forged(t, f, multi(f.ClientID)); err != nil {
		t.Errorf("several audiences with azp our client: %v", err)
	}
}

// A token made for an earlier flow (its nonce) is refused in a new one.
func TestASVS_10_5_1_IDTokenReplayRefusedByNonce(t *testing.T) {
	f := oidctest.StartForger(t)
	acceptsValid(t, f)
	var earlier string
	if _, err := forged(t, f, func(n string) string { earlier = f.Sign(t, f.Claims(n), nil); return earlier }); err != nil {
		t.Fatal(err)
	}
	_, err := forged(t, f, func(string) string { return earlier })
	refused(t, "the previous flow's ID token", oidc.ReasonNonce, err)
	_, err = forged(t, f, func(n string) string {
		c := f.Claims(n)
		delete(c, "nonce")
		return f.Sign(t, c, nil)
	})
	refused(t, "no nonce", oidc.ReasonNonce, err)
}

// A token issued by another provider (the mix-up: a code or token of one
// provider presented in a flow begun with another) is refused.
func TestASVS_10_2_2_TokenOfAnotherIssuerRefused(t *testing.T) {
	f := oidctest.StartForger(t)
	acceptsValid(t, f)
	_, err := forged(t, f, func(n string) string {
		c := f.Claims(n)
		c["iss"] = "https://idp.iamfas.belgium.be/fas/oauth2"
		return f.Sign(t, c, nil)
	})
	refused(t, "ID token of another issuer", oidc.ReasonIssuer, err)
}

func TestASVS_10_5_3_DiscoveryNamingAnotherIssuerRefused(t *testing.T) {
	op := oidctest.StartForger(t)
	c := oidc.NewClient(nil)
	ok := oidc.Provider{Name: "generic", Preset: oidc.Generic, Issuer: op.Issuer, ClientID: op.ClientID, ClientSecret: "s"}
	if _, err := c.Begin(context.Background(), ok, forgedRedirect); err != nil {
		t.Fatal(err)
	}
	// The same document read through another configured issuer: the
	// document's issuer is not exactly the configured one.
	for _, issuer := range []string{op.Issuer + "/", strings.Replace(op.Issuer, "127.0.0.1", "localhost", 1)} {
		p := ok
		p.Issuer = issuer
		_, err := c.Begin(context.Background(), p, forgedRedirect)
		refused(t, issuer, oidc.ReasonIssuer, err)
	}
}

func TestASVS_10_2_1_PKCEAndStateInEveryAuthenticationRequest(t *testing.T) {
	op := oidctest.Start(t)
	c := oidc.NewClient(nil)
	ctx := context.Background()
	p := oidc.Provider{Name: "generic", Preset: oidc.Generic, Issuer: op.Issuer(), ClientID: op.ClientID, ClientSecret: op.ClientSecret}
	a, err := c.Begin(ctx, p, forgedRedirect)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := c.Begin(ctx, p, forgedRedirect)
	u, _ := url.Parse(a.URL)
	q := u.Query()
	if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("state") != a.State || q.Get("nonce") != a.Nonce {
		t.Fatalf("authentication request %v", q)
	}
	// Fresh, unguessable (256-bit) values per flow.
	for _, v := range []string{a.State, a.Nonce} {
		if raw, err := base64.RawURLEncoding.DecodeString(v); err != nil || len(raw) < 32 {
			t.Errorf("%q is not 256 random bits", v)
		}
	}
	if a.State == b.State || a.Nonce == b.Nonce || a.Verifier == b.Verifier {
		t.Error("two flows share a state, nonce or verifier")
	}
	// The provider enforces the challenge: a code is redeemed only with
	// this flow's verifier.
	op.SignIn(oidctest.User{Subject: "sub-1"})
	back := op.Authorize(t, b.URL, nil)
	_, err = c.Finish(ctx, p, forgedRedirect, back.Query().Get("code"), a.Verifier, oidc.Hash(b.Nonce))
	refused(t, "another flow's verifier", oidc.ReasonExchange, err)
}

func TestASVS_6_8_4_AuthenticationLevelBelowRequirementRefused(t *testing.T) {
	op := oidctest.Start(t)
	c := oidc.NewClient(nil)
	p := oidc.Provider{Name: "fas-eid", Preset: oidc.FASeID, Issuer: op.Issuer(), ClientID: op.ClientID, ClientSecret: op.ClientSecret}
	for acr, ok := range map[string]bool{"urn:be:fedict:iam:fas:Level500": true, "urn:be:fedict:iam:fas:Level450": false, "": false} {
		op.SignIn(oidctest.User{Subject: "sub-1", ACR: acr})
		id, err := flow(t, c, op, p, nil)
		if ok && (err != nil || !id.MFA) {
			t.Errorf("acr %q: %+v %v", acr, id, err)
		}
		if !ok {
			refused(t, "acr "+acr, oidc.ReasonACR, err)
		}
	}
}
