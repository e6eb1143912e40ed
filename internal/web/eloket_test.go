package web

import (
	"bytes"
	"context"
	"html/template"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/form"
	"github.com/kluis/kluis/internal/locale"
	"github.com/kluis/kluis/internal/pdftest"
	"github.com/kluis/kluis/internal/register"
	"github.com/kluis/kluis/internal/scan"
	"github.com/kluis/kluis/internal/scan/scantest"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
	"github.com/kluis/kluis/internal/tenant"
)

// publishForms publishes the demo register and forms for tn.
func publishForms(t testing.TB, env *storetest.Env, tn tenant.Tenant) {
	t.Helper()
	ctx := context.Background()
	op := audit.Actor{Kind: audit.KindOperator, ID: "op"}
	if _, err := env.DB.SaveRegister(ctx, op, tn.ID, register.Demo()); err != nil {
		t.Fatal(err)
	}
	for _, f := range form.DemoForms() {
		publishForm(t, env, tn, f)
	}
}

// publishForm saves, approves and publishes f for tn under the demo
// register (saved first by publishForms).
func publishForm(t testing.TB, env *storetest.Env, tn tenant.Tenant, f form.Form) {
	t.Helper()
	ctx := context.Background()
	op := audit.Actor{Kind: audit.KindOperator, ID: "op"}
	d, err := env.DB.SaveFormDraft(ctx, op, tn.ID, f)
	if err != nil {
		t.Fatal(err)
	}
	if err := env.DB.ApproveNotice(ctx, op, tn.ID, f.Key, d.Version, store.NoticeDigest(form.NoticeFor(f, register.Demo()).JSON())); err != nil {
		t.Fatal(err)
	}
	if _, err := env.DB.PublishForm(ctx, op, tn.ID, f.Key, d.Version); err != nil {
		t.Fatal(err)
	}
}

// multipartPost builds the allowance form's post with one file.
func multipartPost(t *testing.T, fields url.Values, file string, content []byte) (string, *bytes.Buffer) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, vs := range fields {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	if file != "" {
		fw, err := mw.CreateFormFile("certificate", file)
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(content)
	}
	mw.Close()
	return mw.FormDataContentType(), &b
}

func post(t *testing.T, h http.Handler, target, contentType string, body *bytes.Buffer, cookie string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, target, body)
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Accept-Language", "nl-BE")
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

var tokenRE = regexp.MustCompile(`name="token" value="([A-Za-z0-9_-]{43})"`)

func allowanceAnswers(token string) url.Values {
	return url.Values{"token": {token}, "insz": {"85.07.15-123.97"}, "name": {"MARKER-CITIZEN-77a"}, "email": {"burger@example.be"},
		"address_street": {"Kerkstraat"}, "address_number": {"1"}, "address_postcode": {"9000"}, "address_municipality": {"Gent"},
		"household": {"2"}, "income": {"1500"}, "iban": {"BE68 5390 0754 7034"}, "truthful": {"on"}, "confirm_mail": {"on"}}
}

// TestClauseDSR3_PublicFormShowsNoticeAndTakesSubmission: a published form
// shows its approved art. 13 notice before the button (DSR-3); a post with
// mistakes is answered field by field in the citizen's language, keeping
// what was typed; a good post with an attachment scanned by a real clamd is
// sealed and stored once even when posted twice, and the receipt shows the
// reference; the EICAR file is refused and audited; without a scanner
// uploads are refused; bots filling the honeypot, wrong content types and
// oversized posts store nothing; an unknown form is 404.
func TestClauseDSR3_PublicFormShowsNoticeAndTakesSubmission(t *testing.T) {
	clamd := scantest.Start(t)
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		op := audit.Actor{Kind: audit.KindOperator, ID: "op"}
		tn, err := env.DB.CreateTenant(ctx, op, tenant.New{Slug: "gent", LegalName: "Stad Gent", EnterpriseNumber: "0207451227",
			DPOName: "D", DPOEmail: "dpo@gent.be"})
		if err != nil {
			t.Fatal(err)
		}
		publishForms(t, env, tn)
		a, _ := newTestApp(t, Options{Store: env.DB, Scanner: clamd, FormRateLimit: 1000})
		h := a.Handler()

		// The notice before the button: on a one-page form's page, on the
		// review page of a form in steps (TestFormInSteps*).
		resp := request{target: "/gent/vraag"}.do(t, h)
		page := bodyOf(t, resp)
		if resp.StatusCode != 200 || !strings.Contains(page, "Wat gebeurt er met uw gegevens?") || !strings.Contains(page, "privacy@demo.example") ||
			strings.Index(page, "notice-heading") > strings.LastIndex(page, `type="submit"`) {
			t.Fatalf("form page without the notice before the button: %d", resp.StatusCode)
		}
		resp = request{target: "/gent/toelage"}.do(t, h)
		page = bodyOf(t, resp)
		if resp := (request{target: "/gent/toelage?lang=fr"}.do(t, h)); !strings.Contains(bodyOf(t, resp), "Demande d&#39;allocation sociale") {
			t.Fatal("French form page")
		}
		token := tokenRE.FindStringSubmatch(page)[1]

		// Mistakes: every one named, in Dutch, what was typed kept.
		bad := allowanceAnswers(token)
		bad.Set("insz", "85.07.15-123.98")
		bad.Set("iban", "BE00")
		ct, body := multipartPost(t, bad, "", nil)
		resp = post(t, h, "/gent/toelage", ct, body, "")
		page = bodyOf(t, resp)
		for _, want := range []string{"Dit rijksregisternummer klopt niet", "Voeg een bestand toe.", `value="85.07.15-123.98"`, `value="MARKER-CITIZEN-77a"`,
			`href="#insz"`, `href="#certificate"`} {
			if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, want) {
				t.Errorf("error page (%d) lacks %q", resp.StatusCode, want)
			}
		}

		// EICAR: refused with a clear message and an audit event; nothing stored.
		ct, body = multipartPost(t, allowanceAnswers(token), "attest.pdf", append([]byte("%PDF-1.4\n"), scan.EICAR...))
		resp = post(t, h, "/gent/toelage", ct, body, "")
		if page = bodyOf(t, resp); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "In dit bestand zit een virus") {
			t.Fatalf("EICAR: %d", resp.StatusCode)
		}

		// A good post, twice (a double click): one submission, one reference.
		pdf := []byte("%PDF-1.4\n1 0 obj << >> endobj\nMARKER-PDF-77a\n%%EOF\n")
		var cookie string
		for i := range 2 {
			ct, body = multipartPost(t, allowanceAnswers(token), "MARKER-FILE-77a.pdf", pdf)
			resp = post(t, h, "/gent/toelage", ct, body, "")
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/gent/receipt/toelage" {
				t.Fatalf("post %d: %d %s\n%s", i, resp.StatusCode, resp.Header.Get("Location"), bodyOf(t, resp))
			}
			for _, c := range resp.Cookies() {
				if c.Name == receiptCookie {
					if !c.HttpOnly || !c.Secure || c.Path != "/" {
						t.Fatalf("receipt cookie: %+v", c)
					}
					cookie = c.Name + "=" + c.Value
				}
			}
		}
		resp = request{target: "/gent/receipt/toelage", header: map[string]string{"Cookie": cookie}}.do(t, h)
		page = bodyOf(t, resp)
		ref := regexp.MustCompile(`reference-number">([0-9A-Z]{5}-[0-9A-Z]{5})<`).FindStringSubmatch(page)
		if resp.StatusCode != 200 || ref == nil || !strings.Contains(page, "85.07.15-123.97") || !strings.Contains(page, "MARKER-FILE-77a.pdf") ||
			!strings.Contains(page, "BE68 5390 0754 7034") {
			t.Fatalf("receipt: %d\n%s", resp.StatusCode, page)
		}
		// The PDF receipt, read back by a real parser.
		resp = request{target: "/gent/receipt/toelage?format=pdf", header: map[string]string{"Cookie": cookie}}.do(t, h)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/pdf" ||
			!strings.Contains(resp.Header.Get("Content-Disposition"), "ontvangstbewijs-"+ref[1]+".pdf") {
			t.Fatalf("PDF receipt: %d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition"))
		}
		text := strings.Join(pdftest.Text(t, []byte(bodyOf(t, resp))), " ")
		for _, want := range []string{ref[1], "85.07.15-123.97", "MARKER-FILE-77a.pdf", "Stad Gent heeft uw aanvraag goed ontvangen", "Aanvraag sociale toelage"} {
			if !strings.Contains(text, want) {
				t.Errorf("PDF receipt lacks %q", want)
			}
		}
		if resp := (request{target: "/gent/receipt/toelage"}.do(t, h)); resp.StatusCode != http.StatusGone {
			t.Fatalf("receipt without the cookie: %d", resp.StatusCode)
		}
		var n int
		env.Raw(t).QueryRow(`SELECT count(*) FROM submissions WHERE reference = $1`, ref[1]).Scan(&n)
		var files int
		env.Raw(t).QueryRow(`SELECT count(*) FROM attachments`).Scan(&files)
		if n != 1 || files != 1 {
			t.Fatalf("double post stored %d submissions, %d files", n, files)
		}
		if found := storetest.FindPlaintext(t, env, "Stad Gent", "MARKER-CITIZEN-77a", "MARKER-PDF-77a", "85071512397",
			"BE68539007547034", "burger@example.be", "MARKER-FILE-77a"); len(found) > 0 {
			t.Fatalf("plaintext at rest: %v", found)
		}

		// Bots, wrong content types, oversized posts, unknown forms.
		next := allowanceAnswers(strings.Repeat("b", 43))
		next.Set("website", "http://spam.example")
		ct, body = multipartPost(t, next, "a.pdf", pdf)
		if resp := post(t, h, "/gent/toelage", ct, body, ""); resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("honeypot: %d", resp.StatusCode)
		}
		if resp := post(t, h, "/gent/toelage", "application/json", bytes.NewBufferString(`{}`), ""); resp.StatusCode != http.StatusUnsupportedMediaType {
			t.Fatalf("JSON post: %d", resp.StatusCode)
		}
		huge := allowanceAnswers(strings.Repeat("c", 43))
		ct, body = multipartPost(t, huge, "big.pdf", bytes.Repeat([]byte("x"), 12<<20))
		if resp := post(t, h, "/gent/toelage", ct, body, ""); resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("oversized post: %d", resp.StatusCode)
		}
		// An unknown form, and gent's form asked of another tenant, answer
		// exactly like any unknown page: nothing says the form exists.
		if _, err := env.DB.CreateTenant(ctx, op, tenant.New{Slug: "brugge", LegalName: "Stad Brugge", EnterpriseNumber: "0207451227",
			DPOName: "D", DPOEmail: "dpo@brugge.be"}); err != nil {
			t.Fatal(err)
		}
		unknown := request{target: "/brugge/geheim"}.do(t, h)
		other := request{target: "/brugge/toelage"}.do(t, h)
		ub, ob := bodyOf(t, unknown), bodyOf(t, other)
		if unknown.StatusCode != http.StatusNotFound || other.StatusCode != http.StatusNotFound ||
			regexp.MustCompile(`Referentie: \S+`).ReplaceAllString(ub, "") != regexp.MustCompile(`Referentie: \S+`).ReplaceAllString(ob, "") {
			t.Fatalf("another tenant's form: %d vs unknown %d, or the pages differ", other.StatusCode, unknown.StatusCode)
		}
		env.Raw(t).QueryRow(`SELECT count(*) FROM submissions`).Scan(&n)
		if n != 1 {
			t.Fatalf("%d submissions after the refusals", n)
		}
		// The confirmation mail was queued, sealed, once.
		var mails int
		env.Raw(t).QueryRow(`SELECT count(*) FROM mail_outbox WHERE kind = 'submission.confirmation'`).Scan(&mails)
		if mails != 1 {
			t.Fatalf("confirmation mails: %d", mails)
		}

		// Without a scanner, uploads are refused rather than stored unscanned.
		noScan, _ := newTestApp(t, Options{Store: env.DB, FormRateLimit: 1000})
		ct, body = multipartPost(t, allowanceAnswers(strings.Repeat("d", 43)), "a.pdf", pdf)
		resp = post(t, noScan.Handler(), "/gent/toelage", ct, body, "")
		if page := bodyOf(t, resp); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "niet op virussen controleren") {
			t.Fatalf("no scanner: %d", resp.StatusCode)
		}
		var refused int
		env.DB.EachAuditEvent(ctx, tn.ID, func(e *audit.Event) error {
			if e.Action == "attachment.refused" {
				refused++
			}
			return nil
		})
		if refused != 2 {
			t.Fatalf("refused attachments audited: %d", refused)
		}
	})
}

// TestFormLanguageSwitchKeepsTypedValues: the language switch on a form page
// posts the form, so a citizen who switches halfway keeps what was typed; the
// switch submits nothing, judges nothing, and does not take the chosen file
// (here no scanner is configured, which would refuse any upload).
func TestFormLanguageSwitchKeepsTypedValues(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		tn, err := env.DB.CreateTenant(ctx, audit.Actor{Kind: audit.KindOperator, ID: "op"}, tenant.New{Slug: "gent",
			LegalName: "Stad Gent", EnterpriseNumber: "0207451227", DPOName: "D", DPOEmail: "dpo@gent.be"})
		if err != nil {
			t.Fatal(err)
		}
		publishForms(t, env, tn)
		a, _ := newTestApp(t, Options{Store: env.DB, FormRateLimit: 1000})
		h := a.Handler()
		page := bodyOf(t, request{target: "/gent/toelage"}.do(t, h))
		if !strings.Contains(page, `form="eloket" formaction="?lang=fr"`) || !strings.Contains(page, `id="eloket"`) {
			t.Fatal("the form page's language switch does not post the form")
		}
		typed := allowanceAnswers(tokenRE.FindStringSubmatch(page)[1])
		typed.Set("insz", "85.07.15-123.98") // wrong, but not judged on a switch
		typed.Set("switch_lang", "fr")
		// From the second page of the form in steps (with the file input);
		// the first page's values travel as hidden inputs.
		typed.Set("step", "1")
		ct, body := multipartPost(t, typed, "attest.pdf", []byte("%PDF-1.4\n"))
		resp := post(t, h, "/gent/toelage?lang=fr", ct, body, "")
		page = bodyOf(t, resp)
		for _, want := range []string{"Demande d&#39;allocation sociale", `value="85.07.15-123.98"`, `value="MARKER-CITIZEN-77a"`,
			`value="BE68 5390 0754 7034"`, `<html lang="fr`} {
			if resp.StatusCode != http.StatusOK || !strings.Contains(page, want) {
				t.Errorf("switched page (%d) lacks %q", resp.StatusCode, want)
			}
		}
		if strings.Contains(page, "error-summary") || strings.Contains(page, `aria-invalid="true"`) {
			t.Error("a language switch judged the form")
		}
		if !strings.Contains(page, template.HTMLEscapeString(locale.T(locale.FR, "form.file_again"))) {
			t.Error("the page does not say the chosen file must be chosen again")
		}
		var n int
		env.Raw(t).QueryRow(`SELECT count(*) FROM submissions`).Scan(&n)
		if n != 0 {
			t.Fatalf("a language switch stored %d submissions", n)
		}
	})
}
