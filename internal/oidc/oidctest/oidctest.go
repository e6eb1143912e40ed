// Package oidctest starts a real OpenID provider inside a test
// (github.com/oauth2-proxy/mockoidc: discovery, JWKS, authorize and token
// endpoints, RSA-signed ID tokens) whose users carry the subject, e-mail
// address and acr the test chooses. Tests drive it as a browser would:
// follow Kluis's redirect to the authorize endpoint, take the provider's
// redirect back. No token is made by hand.
package oidctest

import (
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/oauth2-proxy/mockoidc"
)

// FAS offers the national register number as the scope "egovnrn"
// (oidc.NumberScope); the test provider accepts it as FAS does. Set once,
// before any provider runs.
func init() { mockoidc.ScopesSupported = append(mockoidc.ScopesSupported, "egovnrn") }

// OP is a running provider.
type OP struct {
	*mockoidc.MockOIDC
}

// Start runs a provider on 127.0.0.1 until the test ends.
func Start(t testing.TB) *OP {
	t.Helper()
	m, err := mockoidc.Run()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Shutdown() })
	return &OP{m}
}

// User is who signs in at the provider next.
type User struct {
	Subject string
	Email   string
	ACR     string // "" leaves the claim out
	Number  string // the FAS national register number claim; "" leaves it out
}

// ID is the subject.
func (u User) ID() string { return u.Subject }

// Userinfo is the userinfo document (not used by Kluis).
func (u User) Userinfo([]string) ([]byte, error) {
	return json.Marshal(map[string]string{"sub": u.Subject})
}

type claims struct {
	*mockoidc.IDTokenClaims
	Email string `json:"email,omitempty"`
	ACR   string `json:"acr,omitempty"`
	NRN   string `json:"egovNRN,omitempty"`
}

// Claims are the ID token's claims: the registered ones and the nonce
// (from the authentication request), the e-mail address and acr.
func (u User) Claims(_ []string, base *mockoidc.IDTokenClaims) (jwt.Claims, error) {
	return &claims{IDTokenClaims: base, Email: u.Email, ACR: u.ACR, NRN: u.Number}, nil
}

// SignIn queues u as the person who signs in at the next authentication
// request.
func (op *OP) SignIn(u User) { op.QueueUser(u) }

// Authorize follows an authentication request as the browser would (with
// edit, when not nil, changing its parameters first, as an attacker
// could) and returns the address the provider sends the browser back to.
func (op *OP) Authorize(t testing.TB, authURL string, edit func(q url.Values)) *url.URL {
	t.Helper()
	u, err := url.Parse(authURL)
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		q := u.Query()
		edit(q)
		u.RawQuery = q.Encode()
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(u.String())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("authorize: status %d", resp.StatusCode)
	}
	back, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return back
}

// Impostor serves, on its own address, a discovery document that names
// that address as issuer but hands out op's endpoints and keys: a provider
// configured with the impostor's issuer receives ID tokens signed
// correctly but issued by op. It returns the impostor's issuer.
func (op *OP) Impostor(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	issuer := "http://" + ln.Addr().String() + "/oidc"
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/oidc/.well-known/openid-configuration" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"issuer":                                issuer,
			"authorization_endpoint":                op.AuthorizationEndpoint(),
			"token_endpoint":                        op.TokenEndpoint(),
			"jwks_uri":                              op.JWKSEndpoint(),
			"userinfo_endpoint":                     op.UserinfoEndpoint(),
			"response_types_supported":              []string{"code"},
			"subject_types_supported":               []string{"public"},
			"id_token_signing_alg_values_supported": []string{"RS256"},
		})
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return issuer
}

// Forger is a hostile provider for the tests of the ID token checks: its
// discovery document and JWKS are those of a provider, but its token
// endpoint answers any code with the ID token IDToken returns — unsigned,
// signed by another key, for another audience, expired. Tests call Begin
// against it, set IDToken (knowing the flow's nonce) and call Finish.
type Forger struct {
	Issuer   string
	ClientID string
	Key      *mockoidc.Keypair // the key its JWKS publishes
	IDToken  func() string
}

// StartForger runs a Forger on 127.0.0.1 until the test ends.
func StartForger(t testing.TB) *Forger {
	t.Helper()
	key, err := mockoidc.RandomKeypair(2048)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &Forger{Issuer: "http://" + ln.Addr().String() + "/oidc", ClientID: "forged-client", Key: key}
	mux := http.NewServeMux()
	mux.HandleFunc("/oidc/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"issuer":                                f.Issuer,
			"authorization_endpoint":                f.Issuer + "/authorize",
			"token_endpoint":                        f.Issuer + "/token",
			"jwks_uri":                              f.Issuer + "/jwks",
			"response_types_supported":              []string{"code"},
			"subject_types_supported":               []string{"public"},
			"id_token_signing_alg_values_supported": []string{"RS256"},
		})
	})
	mux.HandleFunc("/oidc/jwks", func(w http.ResponseWriter, r *http.Request) {
		b, _ := key.JWKS()
		w.Header().Set("Content-Type", "application/json")
		w.Write(b)
	})
	mux.HandleFunc("/oidc/token", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"access_token": "forged", "token_type": "Bearer", "expires_in": 600, "id_token": f.IDToken()})
	})
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return f
}

// Claims are the claims of a valid ID token for nonce: this issuer and
// client, valid from a minute ago for ten minutes. Tests change one.
func (f *Forger) Claims(nonce string) jwt.MapClaims {
	now := time.Now()
	return jwt.MapClaims{"iss": f.Issuer, "aud": f.ClientID, "sub": "forged-subject", "nonce": nonce,
		"iat": now.Add(-time.Minute).Unix(), "nbf": now.Add(-time.Minute).Unix(), "exp": now.Add(10 * time.Minute).Unix()}
}

// Sign signs claims with the published key (RS256, its kid), adding
// header's entries to the JOSE header.
func (f *Forger) Sign(t testing.TB, claims jwt.MapClaims, header map[string]any) string {
	t.Helper()
	return SignWith(t, f.Key, claims, header)
}

// SignWith signs claims RS256 with key.
func SignWith(t testing.TB, key *mockoidc.Keypair, claims jwt.MapClaims, header map[string]any) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	kid, err := key.KeyID()
	if err != nil {
		t.Fatal(err)
	}
	tok.Header["kid"] = kid
	for k, v := range header {
		tok.Header[k] = v
	}
	s, err := tok.SignedString(key.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
