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
