package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/scan/scantest"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

// wantCleanFailure checks a refused request's page: the given status, the
// localized error page with its reference, no driver or SQL detail.
func wantCleanFailure(t *testing.T, what string, resp *http.Response, body string, status int, wantText string) {
	t.Helper()
	if resp.StatusCode != status || !strings.Contains(body, wantText) || !strings.Contains(body, "Referentie") {
		t.Fatalf("%s: %d, want %d with %q\n%s", what, resp.StatusCode, status, wantText, body)
	}
	for _, leak := range []string{"audit store down", "goroutine", "panic", "SQLSTATE", "sqlite", "pgx", "postgres", ".go:"} {
		if strings.Contains(body, leak) {
			t.Fatalf("%s: the page shows %q", what, leak)
		}
	}
}

// TestFault_AuditInsertFails_NothingWritten: with the database refusing
// every audit event (a real trigger, on both databases), a citizen's form
// post and an admin's role change both fail with the generic error page,
// and neither the submission, its confirmation mail nor the new role is
// stored: an operation without its audit event does not happen (AUD-1).
// With the trigger gone the same requests succeed.
func TestFault_AuditInsertFails_NothingWritten(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		le := newLoginEnv(t, env, Options{LoginRateLimit: 1000, FormRateLimit: 1000})
		publishForms(t, env, le.gent)
		_, admin := le.adminSession(t, "admin@gent.be")
		clerk := le.addRoleUser(t, le.gent, "clerk@gent.be", account.RoleUser)
		h := le.app.Handler()
		raw := env.Raw(t)
		count := func(q string, args ...any) int {
			t.Helper()
			var n int
			if err := raw.QueryRow(q, args...).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		audits, mails := count(`SELECT count(*) FROM audit_events`), count(`SELECT count(*) FROM mail_outbox`)

		restore := storetest.RefuseAuditInserts(t, env)
		ask := func() *http.Response {
			req := request{method: http.MethodPost, target: "/gent/vraag", body: benchPost(),
				header: map[string]string{"Accept-Language": "nl-BE"}}
			return req.do(t, h)
		}
		resp := ask()
		wantCleanFailure(t, "form post", resp, bodyOf(t, resp), http.StatusInternalServerError, "Interne fout")
		resp, body := le.postForm(t, "/gent/admin/users/"+clerk.ID+"/role", admin, url.Values{"role": {"dpo"}})
		wantCleanFailure(t, "role change", resp, body, http.StatusInternalServerError, "Interne fout")

		if n := count(`SELECT count(*) FROM submissions`); n != 0 {
			t.Fatalf("%d submissions stored without their audit event", n)
		}
		if n := count(`SELECT count(*) FROM mail_outbox`); n != mails {
			t.Fatalf("mails queued without their audit event: %d → %d", mails, n)
		}
		if n := count(`SELECT count(*) FROM users WHERE id = $1 AND role = 'user'`, clerk.ID); n != 1 {
			t.Fatal("the role changed without its audit event")
		}
		if n := count(`SELECT count(*) FROM audit_events`); n != audits {
			t.Fatalf("audit events %d → %d", audits, n)
		}

		restore()
		if resp := ask(); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("form post after the audit store is back: %d", resp.StatusCode)
		}
		if resp, body := le.postForm(t, "/gent/admin/users/"+clerk.ID+"/role", admin, url.Values{"role": {"dpo"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("role change after the audit store is back: %d\n%s", resp.StatusCode, body)
		}
		if count(`SELECT count(*) FROM submissions`) != 1 || count(`SELECT count(*) FROM users WHERE id = $1 AND role = 'dpo'`, clerk.ID) != 1 {
			t.Fatal("the retried requests did not land")
		}
	})
}

// TestFault_ClamdDown_UploadsRefused: with the real clamd killed after it
// served one upload, a citizen's post with an attachment is answered with
// the field's message in their language (422, the form kept), nothing of
// it is stored, and the refusal is audited; a form without attachments is
// still taken. An unscanned file is never stored (DSR-3's scan rule).
func TestFault_ClamdDown_UploadsRefused(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		clamd, stopClamd := scantest.StartStoppable(t)
		le := newLoginEnv(t, env, Options{Scanner: clamd, FormRateLimit: 1000})
		publishForms(t, env, le.gent)
		h := le.app.Handler()
		pdf := []byte("%PDF-1.4\n1 0 obj << >> endobj\n%%EOF\n")
		posts := 0
		upload := func(lang string) (*http.Response, string) {
			posts++ // a fresh token per post: the same token twice is one submission
			ct, body := multipartPost(t, allowanceAnswers(strings.Repeat(string(rune('a'+posts)), 43)), "attest.pdf", pdf)
			resp := post(t, h, "/gent/toelage?lang="+lang, ct, body, "")
			return resp, bodyOf(t, resp)
		}
		count := func(table string) int {
			t.Helper()
			var n int
			if err := env.Raw(t).QueryRow(`SELECT count(*) FROM ` + table).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		if resp, body := upload("nl"); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("upload with clamd up: %d\n%s", resp.StatusCode, body)
		}

		stopClamd()
		for lang, want := range map[string]string{"nl": "niet op virussen controleren", "fr": "vérifier les fichiers contre les virus"} {
			resp, body := upload(lang)
			if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, want) ||
				!strings.Contains(body, `href="#certificate"`) || !strings.Contains(body, `value="MARKER-CITIZEN-77a"`) {
				t.Fatalf("upload with clamd down (%s): %d\n%s", lang, resp.StatusCode, body)
			}
		}
		if s, a := count("submissions"), count("attachments"); s != 1 || a != 1 {
			t.Fatalf("with clamd down: %d submissions, %d attachments stored, want the first only", s, a)
		}
		if refused := len(env.Events(t, le.gent.ID, "attachment.refused")); refused != 2 {
			t.Fatalf("refusals audited: %d, want 2", refused)
		}
		resp := request{method: http.MethodPost, target: "/gent/vraag", body: benchPost()}.do(t, h)
		if resp.StatusCode != http.StatusSeeOther || count("submissions") != 2 {
			t.Fatalf("text-only form with clamd down: %d", resp.StatusCode)
		}
	})
}

// TestFault_DatabaseGone_CleanServiceUnavailable: with the database taken
// away under a running Kluis, a citizen's form post is answered with the
// 503 page in their language (no stack, no driver detail, a Retry-After),
// nothing of it is stored, and on PostgreSQL /readyz fails; when the
// database is back the same Kluis, not restarted, takes the post again
// and is ready.
func TestFault_DatabaseGone_CleanServiceUnavailable(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		le := newLoginEnv(t, env, Options{FormRateLimit: 1000, Checks: []Check{{"database", env.DB.Ping}}})
		publishForms(t, env, le.gent)
		h := le.app.Handler()
		ask := func(lang string) (*http.Response, string) {
			resp := request{method: http.MethodPost, target: "/gent/vraag?lang=" + lang, body: benchPost()}.do(t, h)
			return resp, bodyOf(t, resp)
		}
		if resp, body := ask("nl"); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("post before: %d\n%s", resp.StatusCode, body)
		}

		back := env.TakeAway(t)
		resp, body := ask("nl")
		wantCleanFailure(t, "post with the database gone", resp, body, http.StatusServiceUnavailable, "Tijdelijk niet beschikbaar")
		if resp.Header.Get("Retry-After") == "" {
			t.Error("503 without Retry-After")
		}
		if env.Dialect == store.Postgres {
			resp, body = ask("fr")
			wantCleanFailure(t, "French post with the database gone", resp, strings.ReplaceAll(body, "Référence", "Referentie"),
				http.StatusServiceUnavailable, "Temporairement indisponible")
			if resp := (request{target: "/readyz"}.do(t, h)); resp.StatusCode != http.StatusServiceUnavailable {
				t.Fatalf("readyz with the database gone: %d", resp.StatusCode)
			}
		}
		back()

		var n int
		if err := env.Raw(t).QueryRow(`SELECT count(*) FROM submissions`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("submissions after the outage: %d (%v), want the one from before", n, err)
		}
		if resp, body := ask("nl"); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("post after the database is back: %d\n%s", resp.StatusCode, body)
		}
		if resp := (request{target: "/readyz"}.do(t, h)); resp.StatusCode != http.StatusOK {
			t.Fatalf("readyz after: %d", resp.StatusCode)
		}
	})
}

// TestFault_ClockJumpsBack_BreachPageShowsNoMoreThanTheWindow: a breach
// discovered 19 hours ago, then the clock set back a day, before its
// discovery: the register shows the full 24 and 72 hours left, never more
// and never a negative time (BRE-1, BRE-3); the jobs' side of this fault
// is in the jobs package's test of the same name.
func TestFault_ClockJumpsBack_BreachPageShowsNoMoreThanTheWindow(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		le := newLoginEnv(t, env, Options{LoginRateLimit: 1000})
		_, admin := le.signIn(t, "admin@gent.be", account.RoleAdmin)
		_, secret := activeOperator(t, le, env, "piet@leverancier.be")
		h := operatorSignIn(t, le, env, "piet@leverancier.be", secret)
		resp, body := le.postForm(t, "/operator/breaches/new", h, url.Values{"tenant": {"gent"},
			"discovered_at": {datetime(env.Clock.Now().Add(-19 * time.Hour))}, "description": {"Poging tot inbraak"}})
		wantRedirect(t, "draft "+body, resp, "/operator/breaches?done=saved")

		env.Clock.Advance(-24 * time.Hour)
		resp, body = le.get(t, "/gent/admin/breaches", map[string]string{"Cookie": admin})
		for _, want := range []string{"nog 24 uur om de verwerkingsverantwoordelijke te melden", "nog 72 uur om de GBA te melden"} {
			if resp.StatusCode != http.StatusOK || !strings.Contains(body, want) {
				t.Fatalf("breach register with the clock set back: %d, want %q\n%s", resp.StatusCode, want, body)
			}
		}
		if strings.Contains(body, "verstreken") || strings.Contains(body, "nog -") {
			t.Fatal("the register shows a breach overdue or a negative time")
		}
	})
}
