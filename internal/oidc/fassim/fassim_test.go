package fassim

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/magda/magdasim"
	"github.com/kluis/kluis/internal/oidc"
)

// TestFASSimulatorIssuesPersonaNumber: the chooser lists the personas;
// the persona chosen signs in at the eID level and Kluis's own OpenID
// client reads their national register number from the ID token, as
// from FAS.
func TestFASSimulatorIssuesPersonaNumber(t *testing.T) {
	s, err := Start("127.0.0.1:0", "kluis-test", "secret-of-the-test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ctx := context.Background()
	c := oidc.NewClient(nil)
	prov := oidc.Provider{Name: "fas-eid", Preset: oidc.FASeID, Issuer: s.Issuer(), ClientID: "kluis-test", ClientSecret: "secret-of-the-test"}
	const redirect = "http://127.0.0.1:1/demo/login/oidc/callback"
	st, err := c.Begin(ctx, prov, redirect, oidc.NumberScope)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(st.URL)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"Anouk Maria Testelmans (85073003328)", "Onbekende persoon (60010199746)", "niet de echte federale authenticatiedienst",
		`name="state" value="` + st.State + `"`} {
		if !strings.Contains(string(b), want) {
			t.Fatalf("the chooser lacks %q:\n%s", want, b)
		}
	}
	chosen, err := AuthorizeURL(st.URL, magdasim.INSZCamille)
	if err != nil {
		t.Fatal(err)
	}
	nc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err = nc.Get(chosen)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	back, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || resp.StatusCode != http.StatusFound || !strings.HasPrefix(back.String(), redirect) {
		t.Fatalf("authorize: %d %s", resp.StatusCode, back)
	}
	id, err := c.Finish(ctx, prov, redirect, back.Query().Get("code"), st.Verifier, oidc.Hash(st.Nonce))
	if err != nil {
		t.Fatal(err)
	}
	if id.Number != magdasim.INSZCamille || !id.MFA || id.Subject == magdasim.INSZCamille {
		t.Fatalf("identity %+v", id)
	}
	if _, err := Start("0.0.0.0:0", "x", "y"); err == nil {
		t.Fatal("the simulator listens beyond the loopback interface")
	}
}
