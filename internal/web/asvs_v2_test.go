package web

// ASVS 5.0.0 V2 (validation) and V1 (output encoding) through a public
// form, posted the way a script would, without the browser's checks.

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/scan/scantest"
	"github.com/kluis/kluis/internal/storetest"
	"github.com/kluis/kluis/internal/tenant"
)

// contactForm publishes the demo forms on tenant gent and returns the
// handler and a fresh form token for /gent/vraag.
func contactForm(t *testing.T, env *storetest.Env) (http.Handler, string) {
	t.Helper()
	tn, err := env.DB.CreateTenant(context.Background(), audit.Actor{Kind: audit.KindOperator, ID: "op"},
		tenant.New{Slug: "gent", LegalName: "Stad Gent", EnterpriseNumber: "0207451227", DPOName: "D", DPOEmail: "dpo@gent.be"})
	if err != nil {
		t.Fatal(err)
	}
	publishForms(t, env, tn)
	a, _ := newTestApp(t, Options{Store: env.DB, FormRateLimit: 1000})
	page := bodyOf(t, request{target: "/gent/vraag"}.do(t, a.Handler()))
	m := tokenRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no form token")
	}
	return a.Handler(), m[1]
}

func postPublic(t *testing.T, h http.Handler, target string, v url.Values) (*http.Response, string) {
	t.Helper()
	resp := request{method: http.MethodPost, target: target, body: v.Encode(),
		header: map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Accept-Language": "nl-BE"}}.do(t, h)
	return resp, bodyOf(t, resp)
}

func submissions(t *testing.T, env *storetest.Env) int {
	t.Helper()
	var n int
	if err := env.Raw(t).QueryRow(`SELECT count(*) FROM submissions`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestASVS_2_2_2_ServerRefusesWhatOnlyTheBrowserWouldStop: what the
// page's required, type and option constraints stop in a browser is
// refused again by the server when posted directly: 422, every field
// named, nothing stored.
func TestASVS_2_2_2_ServerRefusesWhatOnlyTheBrowserWouldStop(t *testing.T) {
	env := storetest.SQLite(t)
	h, token := contactForm(t, env)
	for name, v := range map[string]url.Values{
		"missing required":    {"token": {token}, "email": {"a@b.be"}, "topic": {"other"}, "message": {"x"}},
		"not an address":      {"token": {token}, "name": {"A"}, "email": {"not-an-address"}, "topic": {"other"}, "message": {"x"}},
		"option not offered":  {"token": {token}, "name": {"A"}, "email": {"a@b.be"}, "topic": {"<script>"}, "message": {"x"}},
		"two lines in a line": {"token": {token}, "name": {"A\r\nB"}, "email": {"a@b.be"}, "topic": {"other"}, "message": {"x"}},
	} {
		resp, body := postPublic(t, h, "/gent/vraag", v)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `aria-describedby=`) {
			t.Errorf("%s: %d", name, resp.StatusCode)
		}
	}
	if n := submissions(t, env); n != 0 {
		t.Fatalf("%d submissions stored from refused posts", n)
	}
	// The control: the same post, valid, is taken.
	resp, _ := postPublic(t, h, "/gent/vraag", url.Values{"token": {token}, "name": {"A"}, "email": {"a@b.be"}, "topic": {"other"}, "message": {"x"}})
	if resp.StatusCode != http.StatusSeeOther || submissions(t, env) != 1 {
		t.Fatalf("a valid post: %d, %d stored", resp.StatusCode, submissions(t, env))
	}
}

// TestASVS_1_2_1_TypedValueEscapedWhenShownBack: what a citizen typed is
// shown back in the error page escaped for its context (an attribute
// value), never as markup.
func TestASVS_1_2_1_TypedValueEscapedWhenShownBack(t *testing.T) {
	env := storetest.SQLite(t)
	h, token := contactForm(t, env)
	hostile := `"><script>alert(1)</script><img src=x onerror=alert(2)>`
	resp, body := postPublic(t, h, "/gent/vraag", url.Values{"token": {token}, "name": {hostile}, "email": {"nope"}, "topic": {"other"}, "message": {"</textarea><script>alert(3)</script>"}})
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("status %d", resp.StatusCode)
	}
	for _, bad := range []string{"<script>alert", "<img src=x", "</textarea><script>"} {
		if strings.Contains(body, bad) {
			t.Errorf("the page carries %q unescaped", bad)
		}
	}
	if !strings.Contains(body, `value="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;`) {
		t.Errorf("the typed name is not kept, escaped, in its field")
	}
}

// TestASVS_2_3_1_FormStepsCannotBeSkipped: a form in steps is sent only
// when every page is good, however the posts are forged: "send" from the
// first page, or a hidden step number moved past a page, end on that page
// with 422 and nothing submitted; the pages in order go through.
func TestASVS_2_3_1_FormStepsCannotBeSkipped(t *testing.T) {
	clamd := scantest.Start(t)
	env := storetest.SQLite(t)
	se := newStepsEnv(t, env, clamd)
	first := bodyOf(t, request{target: "/gent/parkeervergunning"}.do(t, se.h))

	resp, _ := se.step(t, first, parkingPage1, "send", "", "")
	if resp.StatusCode != http.StatusUnprocessableEntity || se.count(t, "submissions") != 0 {
		t.Fatalf("send from the first page: %d, %d submitted", resp.StatusCode, se.count(t, "submissions"))
	}
	skip := url.Values{"step": {"2"}}
	for k, v := range parkingPage1 {
		skip[k] = v
	}
	resp, page := se.step(t, first, skip, "next", "inschrijving.pdf", "")
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `href="#address_street"`) {
		t.Fatalf("page 2 skipped by a forged step: %d", resp.StatusCode)
	}
	resp, _ = se.step(t, page, nil, "send", "", "")
	if resp.StatusCode == http.StatusSeeOther || se.count(t, "submissions") != 0 {
		t.Fatalf("sent with page 2 skipped: %d, %d submitted", resp.StatusCode, se.count(t, "submissions"))
	}
	// The control: the pages in order, then send.
	review := se.throughTwoPages(t, "next")
	if resp, _ := se.step(t, review, nil, "send", "", ""); resp.StatusCode != http.StatusSeeOther || se.count(t, "submissions") != 1 {
		t.Fatalf("the pages in order: %d, %d submitted", resp.StatusCode, se.count(t, "submissions"))
	}
}

// TestASVS_15_3_7_QueryStringCannotFillOrOverrideAField: a form post reads
// its fields from the body only; the same names in the query string are
// neither used to fill a missing field nor to replace a posted one.
func TestASVS_15_3_7_QueryStringCannotFillOrOverrideAField(t *testing.T) {
	env := storetest.SQLite(t)
	h, token := contactForm(t, env)
	q := "?name=FromQuery&email=query%40example.be&topic=other&message=q"
	resp, body := postPublic(t, h, "/gent/vraag"+q, url.Values{"token": {token}, "email": {"a@b.be"}, "topic": {"other"}, "message": {"x"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || strings.Contains(body, "FromQuery") {
		t.Fatalf("a missing field filled from the query string: %d", resp.StatusCode)
	}
	// Posted with the body's own name (and a mistake, so the page comes
	// back showing what it read): the body's value, not the query's.
	resp, body = postPublic(t, h, "/gent/vraag"+q, url.Values{"token": {token}, "name": {"FromBody"}, "email": {"nope"}, "topic": {"other"}, "message": {"x"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `value="FromBody"`) || strings.Contains(body, "FromQuery") ||
		strings.Contains(body, "query@example.be") {
		t.Fatalf("the query string replaced a posted field: %d", resp.StatusCode)
	}
	if n := submissions(t, env); n != 0 {
		t.Fatalf("%d stored", n)
	}
}
