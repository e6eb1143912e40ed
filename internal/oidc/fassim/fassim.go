// Package fassim is a local stand-in for FAS (the federal authentication
// service) for the browser tests and the demo: an OpenID provider on the
// loopback interface (github.com/oauth2-proxy/mockoidc: discovery, JWKS,
// authorize and token endpoints, RSA-signed ID tokens) whose authorize
// step lets the tester choose one of the MAGDA simulator's fictitious
// personas (magdasim) and then issues an ID token carrying that persona's
// national register number in FAS's claim (oidc.NumberClaim) at the eID
// level. It is a simulator, not FAS: no certificate, no card, no real
// person. Only cmd/fassim imports it; the kluis binary does not.
package fassim

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"html/template"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/golang-jwt/jwt/v5"
	"github.com/oauth2-proxy/mockoidc"

	"github.com/kluis/kluis/internal/magda/magdasim"
	"github.com/kluis/kluis/internal/oidc"
)

// Persona is one person the tester can sign in as.
type Persona struct {
	INSZ  string
	Name  string // shown on the chooser
	About string // what the register answers for them
}

// Personas are magdasim's personas, and one number the register does not
// know, in a fixed order.
func Personas() []Persona {
	var out []Persona
	for insz, p := range magdasim.Personas() {
		about := "gevonden in het Rijksregister"
		switch {
		case p.NotInRepertory:
			about = "niet in het repertorium van het bestuur"
		case len(p.Warnings) > 0:
			about = "gevonden, met een waarschuwing"
		}
		out = append(out, Persona{INSZ: insz, Name: strings.Join(p.Person.Voornamen, " ") + " " + p.Person.Achternaam, About: about})
	}
	slices.SortFunc(out, func(a, b Persona) int { return strings.Compare(a.Name, b.Name) })
	return append(out, Persona{INSZ: magdasim.INSZUnknown, Name: "Onbekende persoon", About: "onbekend in het Rijksregister"})
}

// Server is a running simulator.
type Server struct {
	m  *mockoidc.MockOIDC
	mu sync.Mutex // pairs a queued persona with the authorize call that takes it
}

// Start runs a simulator on addr, which must be a loopback address
// ("127.0.0.1:0" for any port). clientID and clientSecret are what Kluis
// is configured with (kluis oidc add).
func Start(addr, clientID, clientSecret string) (*Server, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return nil, errors.New("fassim listens on the loopback interface only (127.0.0.1 or ::1)")
	}
	if clientID == "" || clientSecret == "" {
		return nil, errors.New("fassim needs a client id and a client secret")
	}
	if !slices.Contains(mockoidc.ScopesSupported, oidc.NumberScope) {
		// FAS offers the national register number as a scope.
		mockoidc.ScopesSupported = append(mockoidc.ScopesSupported, oidc.NumberScope)
	}
	m, err := mockoidc.NewServer(nil)
	if err != nil {
		return nil, err
	}
	m.ClientID, m.ClientSecret = clientID, clientSecret
	s := &Server{m: m}
	if err := m.AddMiddleware(s.chooser); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	if err := m.Start(ln, nil); err != nil {
		ln.Close()
		return nil, err
	}
	return s, nil
}

// Issuer is the issuer URL to configure in Kluis.
func (s *Server) Issuer() string { return s.m.Issuer() }

// Close stops the simulator.
func (s *Server) Close() error { return s.m.Shutdown() }

// personaField is the chooser's input; it never reaches mockoidc.
const personaField = "fassim_persona"

// chooser shows, at the authorize endpoint, the page where the tester
// chooses a persona (the authentication request's parameters carried in
// hidden inputs); with a persona chosen, it queues them and lets mockoidc
// answer the request.
func (s *Server) chooser(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != mockoidc.AuthorizationEndpoint {
			next.ServeHTTP(w, r)
			return
		}
		q := r.URL.Query()
		insz := q.Get(personaField)
		if insz == "" {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Header().Set("Cache-Control", "no-store")
			w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'")
			var hidden [][2]string
			for k, vs := range q {
				for _, v := range vs {
					hidden = append(hidden, [2]string{k, v})
				}
			}
			slices.SortFunc(hidden, func(a, b [2]string) int { return strings.Compare(a[0], b[0]) })
			_ = page.Execute(w, map[string]any{"Action": mockoidc.AuthorizationEndpoint, "Hidden": hidden, "Personas": Personas(),
				"Field": personaField})
			return
		}
		if !slices.ContainsFunc(Personas(), func(p Persona) bool { return p.INSZ == insz }) {
			http.Error(w, "unknown persona", http.StatusBadRequest)
			return
		}
		q.Del(personaField)
		r2 := r.Clone(r.Context())
		r2.URL.RawQuery = q.Encode()
		r2.RequestURI = r2.URL.RequestURI()
		s.mu.Lock()
		defer s.mu.Unlock()
		s.m.QueueUser(user{insz: insz})
		next.ServeHTTP(w, r2)
	})
}

// user is a persona as mockoidc issues tokens for them.
type user struct{ insz string }

// ID is a pairwise-looking subject derived from the number, as FAS gives
// a subject that is not the number itself.
func (u user) ID() string {
	h := sha256.Sum256([]byte("fassim:" + u.insz))
	return hex.EncodeToString(h[:16])
}

func (u user) Userinfo([]string) ([]byte, error) {
	return json.Marshal(map[string]string{"sub": u.ID()})
}

type claims struct {
	*mockoidc.IDTokenClaims
	ACR string `json:"acr,omitempty"`
	NRN string `json:"egovNRN,omitempty"`
}

// Claims carry the eID level and, when the number was asked for, the
// national register number (oidc.NumberClaim).
func (u user) Claims(scope []string, base *mockoidc.IDTokenClaims) (jwt.Claims, error) {
	c := &claims{IDTokenClaims: base, ACR: oidc.FASLevelACR(oidc.FASLevelEID)}
	if slices.Contains(scope, oidc.NumberScope) {
		c.NRN = u.insz
	}
	return c, nil
}

// AuthorizeURL is the chooser's answer for a persona: the authorize
// address with the persona chosen (for tests that do not click).
func AuthorizeURL(authURL, insz string) (string, error) {
	u, err := url.Parse(authURL)
	if err != nil {
		return "", err
	}
	q := u.Query()
	q.Set(personaField, insz)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

var page = template.Must(template.New("chooser").Parse(`<!doctype html>
<html lang="nl">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>FAS-simulator – kies een testpersoon</title>
<style>body{font-family:sans-serif;max-width:40rem;margin:1rem auto;padding:0 1rem;line-height:1.5}
.warn{border-left:.3rem solid #b35c00;padding:.5rem 1rem;background:#fff4e5}
fieldset{border:0;padding:0}label{display:block;padding:.5rem 0}button{font-size:1rem;padding:.5rem 1rem}</style>
</head>
<body><main>
<h1>FAS-simulator</h1>
<p class="warn">Dit is een simulator voor tests en de demo, niet de echte federale authenticatiedienst. De personen zijn verzonnen.</p>
<form method="get" action="{{.Action}}">
{{range .Hidden}}<input type="hidden" name="{{index . 0}}" value="{{index . 1}}">
{{end}}<fieldset><legend><h2>Aanmelden als testpersoon</h2></legend>
{{range $i, $p := .Personas}}<label><input type="radio" name="{{$.Field}}" value="{{$p.INSZ}}"{{if eq $i 0}} checked{{end}}> {{$p.Name}} ({{$p.INSZ}}) – {{$p.About}}</label>
{{end}}</fieldset>
<button type="submit">Aanmelden met eID (gesimuleerd)</button>
</form>
</main></body></html>
`))
