package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/mail/mailtest"
	"github.com/kluis/kluis/internal/storetest"
)

var (
	challengeRE = regexp.MustCompile(`name="challenge" value="([0-9a-f]+)"`)
	sixDigitsRE = regexp.MustCompile(`\b\d{6}\b`)
)

// TestClauseDSR1_CitizenRequestPage: on the public page a citizen gives an
// address and the kind; a bad address is named at its field; an unknown
// address and a known one get the same page, and only the known one a
// code through the real SMTP server. A wrong code is a field error and
// files nothing; the right one files the request and shows the reference,
// the deadline and that the controller decides, in the citizen's language.
func TestClauseDSR1_CitizenRequestPage(t *testing.T) {
	relay := mailtest.Start(t, mailtest.Options{})
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		fe := newFormsEnv(t, env)
		publishForms(t, env, fe.gent)
		var seen int
		submitQuestion(t, fe, "fr", "burger.fr@gent.be", "dsr1", false)
		deliver(t, env, relay, &seen)

		resp, page := fe.get(t, "/gent/privacy/request?lang=fr", "")
		if resp.StatusCode != 200 || !strings.Contains(page, `for="email"`) || !strings.Contains(page, `id="kind-access"`) {
			t.Fatalf("page: %d", resp.StatusCode)
		}
		resp, page = fe.submit(t, "/gent/privacy/request", "lang=fr", url.Values{"email": {"geen-adres"}, "kind": {"access"}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `href="#email">Indiquez une adresse e-mail valide`) ||
			!strings.Contains(page, `aria-describedby="email-hint email-error"`) {
			t.Fatalf("bad address: %d\n%s", resp.StatusCode, page)
		}
		ask := func(address string) string {
			t.Helper()
			resp, page := fe.submit(t, "/gent/privacy/request", "lang=fr", url.Values{"email": {address}, "kind": {"access"}})
			if resp.StatusCode != http.StatusOK || !strings.Contains(page, "Si nous conservons des données sous cette adresse e-mail") {
				t.Fatalf("ask %d\n%s", resp.StatusCode, page)
			}
			m := challengeRE.FindStringSubmatch(page)
			if m == nil {
				t.Fatal("no challenge")
			}
			return m[1]
		}
		unknown := ask("nobody@gent.be")
		if msgs := deliver(t, env, relay, &seen); len(msgs) != 0 {
			t.Fatalf("an unknown address got mail: %s", brief(msgs))
		}
		known := ask("Burger.FR@gent.be")
		msgs := deliver(t, env, relay, &seen)
		if len(msgs) != 1 || msgs[0].To[0] != "burger.fr@gent.be" {
			t.Fatalf("code mail: %s", brief(msgs))
		}
		code := sixDigitsRE.FindString(msgs[0].Body)
		wrong := "000000"
		if code == wrong {
			wrong = "000001"
		}
		for _, ch := range []string{unknown, known} {
			resp, page = fe.submit(t, "/gent/privacy/request/code", "lang=fr", url.Values{"challenge": {ch}, "code": {wrong}})
			if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `href="#code">Ce code est incorrect ou a expiré`) ||
				!strings.Contains(page, `aria-invalid="true"`) {
				t.Fatalf("wrong code: %d\n%s", resp.StatusCode, page)
			}
		}
		if list, _ := env.DB.SubjectRequests(ctx, audit.System("test"), fe.gent.ID, 10); len(list) != 0 {
			t.Fatalf("a wrong code filed: %+v", list)
		}
		resp, page = fe.submit(t, "/gent/privacy/request/code", "lang=fr", url.Values{"challenge": {known}, "code": {code[:3] + " " + code[3:]}})
		list, _ := env.DB.SubjectRequests(ctx, audit.System("test"), fe.gent.ID, 10)
		if resp.StatusCode != http.StatusOK || len(list) != 1 || !strings.Contains(page, list[0].Reference) ||
			!strings.Contains(page, "Réponse au plus tard le") || !strings.Contains(page, "Le responsable du traitement") {
			t.Fatalf("filed: %d %d\n%s", resp.StatusCode, len(list), page)
		}
	})
}
