package web

import (
	"bytes"
	"context"
	"html"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/register"
	"github.com/kluis/kluis/internal/scan/scantest"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
	"github.com/kluis/kluis/internal/tenant"
)

// stepsEnv is gent with the demo forms published (the parking permit is the
// form in three steps with an attachment) and an app with a real clamd.
type stepsEnv struct {
	env *storetest.Env
	h   http.Handler
}

func newStepsEnv(t *testing.T, env *storetest.Env, scanner Scanner) stepsEnv {
	t.Helper()
	tn, err := env.DB.CreateTenant(context.Background(), audit.Actor{Kind: audit.KindOperator, ID: "op"}, tenant.New{Slug: "gent",
		LegalName: "Stad Gent", EnterpriseNumber: "0207451227", DPOName: "D", DPOEmail: "dpo@gent.be"})
	if err != nil {
		t.Fatal(err)
	}
	publishForms(t, env, tn)
	opts := Options{Store: env.DB, FormRateLimit: 1000}
	if scanner != nil {
		opts.Scanner = scanner
	}
	a, _ := newTestApp(t, opts)
	return stepsEnv{env: env, h: a.Handler()}
}

var (
	inputRE    = regexp.MustCompile(`<input [^>]*>`)
	attrRE     = regexp.MustCompile(`\b(type|name|value)="([^"]*)"`)
	textareaRE = regexp.MustCompile(`(?s)<textarea [^>]*name="([^"]+)"[^>]*>(.*?)</textarea>`)
)

// carriedOn is what a browser posts back of the e-loket form on a page:
// its hidden and text inputs, ticked boxes and text areas as they are.
func carriedOn(page string) url.Values {
	v := url.Values{}
	if i := strings.Index(page, `id="eloket"`); i >= 0 {
		page = page[i:]
	}
	for _, in := range inputRE.FindAllString(page, -1) {
		a := map[string]string{}
		for _, m := range attrRE.FindAllStringSubmatch(in, -1) {
			a[m[1]] = html.UnescapeString(m[2])
		}
		switch {
		case a["name"] == "" || a["type"] == "file" || a["name"] == "website":
		case (a["type"] == "radio" || a["type"] == "checkbox") && !strings.Contains(in, " checked"):
		case a["value"] == "" && a["type"] != "hidden":
		default:
			v.Add(a["name"], a["value"])
		}
	}
	for _, m := range textareaRE.FindAllStringSubmatch(page, -1) {
		if m[2] != "" {
			v.Add(m[1], html.UnescapeString(m[2]))
		}
	}
	return v
}

// step posts page's hidden inputs plus typed and the button nav, with a
// file for the registration field when name is set (the EICAR test file
// when it starts with "eicar"), as a browser would;
// lang is the page's language.
func (se stepsEnv) step(t *testing.T, page string, typed url.Values, nav, name string, lang string) (*http.Response, string) {
	t.Helper()
	v := carriedOn(page)
	for k, vs := range typed {
		v[k] = vs
	}
	if nav != "" {
		v.Set("nav", nav)
	}
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, vs := range v {
		for _, x := range vs {
			mw.WriteField(k, x)
		}
	}
	fw, _ := mw.CreateFormFile("registration", name)
	switch {
	case strings.HasPrefix(name, "eicar"):
		fw.Write([]byte("%PDF-1.4\nX5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"))
	case name != "":
		fw.Write([]byte("%PDF-1.4\n1 0 obj << >> endobj\n%%EOF\n"))
	}
	mw.Close()
	target := "/gent/parkeervergunning"
	if lang != "" {
		target += "?lang=" + lang
	}
	resp := post(t, se.h, target, mw.FormDataContentType(), &b, "")
	return resp, bodyOf(t, resp)
}

func (se stepsEnv) count(t *testing.T, table string) int {
	t.Helper()
	var n int
	if err := se.env.Raw(t).QueryRow(`SELECT count(*) FROM ` + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func wantStep(t *testing.T, what string, resp *http.Response, page string, status int, wants ...string) {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("%s: status %d, want %d\n%s", what, resp.StatusCode, status, page)
	}
	for _, w := range wants {
		if !strings.Contains(page, w) {
			t.Fatalf("%s: page lacks %q\n%s", what, w, page)
		}
	}
}

// throughTwoPages fills the parking permit's first two pages and then, with
// the file chosen on the third, presses nav; it returns the page reached.
func (se stepsEnv) throughTwoPages(t *testing.T, nav string) string {
	t.Helper()
	page := bodyOf(t, request{target: "/gent/parkeervergunning"}.do(t, se.h))
	_, page = se.step(t, page, parkingPage1, "next", "", "")
	_, page = se.step(t, page, parkingPage2, "next", "", "")
	_, page = se.step(t, page, nil, nav, "inschrijving.pdf", "")
	return page
}

var parkingPage1 = url.Values{"name": {"MARKER-PARK-NAME"}, "email": {"park@example.be"}, "phone": {"0470 12 34 56"}}
var parkingPage2 = url.Values{"address_street": {"Veldstraat"}, "address_number": {"3"}, "address_postcode": {"9000"},
	"address_municipality": {"Gent"}, "plate": {"1-ABC-123"}}

// TestFormInStepsJudgesEachPageKeepsEverythingAndSendsOnce: a form with
// three pages is shown one page at a time with an accessible step
// indicator; "next" judges only its page; "previous" judges nothing and
// keeps what was typed and the attachment chosen (scanned by a real clamd,
// kept sealed in a draft, never chosen again); the review reads every
// answer back per page with a change button that returns to that step,
// then the short notice with the full one a click away; only the send
// creates a submission — exactly one, with its attachment, also when send
// is pressed twice — and the draft is gone after it (DSR-3, SEC-2).
func TestFormInStepsJudgesEachPageKeepsEverythingAndSendsOnce(t *testing.T) {
	clamd := scantest.Start(t)
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		se := newStepsEnv(t, env, clamd)
		resp := request{target: "/gent/parkeervergunning"}.do(t, se.h)
		page := bodyOf(t, resp)
		wantStep(t, "first page", resp, page, 200, `<nav class="steps" aria-label="Stappen van het formulier">`, `<ol>`,
			`class="step-current" aria-current="step"><span lang="nl-BE">Uw gegevens</span>`, "Stap 1 van 3:", `id="name"`,
			`name="nav" value="next"`, "Nakijken en verzenden")
		if strings.Contains(page, `id="plate"`) || strings.Contains(page, `value="prev"`) || strings.Contains(page, "notice-short") {
			t.Fatal("the first page shows another page's field, a previous button or the notice")
		}

		// Next with mistakes: only this page's fields are judged.
		resp, page = se.step(t, page, url.Values{"email": {"not-an-address"}}, "next", "", "")
		wantStep(t, "first page judged", resp, page, 422, `href="#name"`, `href="#email"`, "Stap 1 van 3:")
		if strings.Contains(page, `href="#plate"`) || strings.Contains(page, `href="#registration"`) {
			t.Fatal("next judged another page")
		}
		resp, page = se.step(t, page, parkingPage1, "next", "", "")
		wantStep(t, "second page", resp, page, 200, "Stap 2 van 3:", `id="plate"`, `name="name" value="MARKER-PARK-NAME"`,
			`name="nav" value="prev"`, `class="step-done"`)
		resp, page = se.step(t, page, url.Values{"plate": {"1-ABC-123"}}, "next", "", "")
		wantStep(t, "second page judged", resp, page, 422, `href="#address_street"`, "Stap 2 van 3:")
		resp, page = se.step(t, page, parkingPage2, "next", "", "")
		wantStep(t, "third page", resp, page, 200, "Stap 3 van 3:", `type="file" id="registration"`)

		// Previous from the third page with a file chosen: kept, nothing judged.
		resp, page = se.step(t, page, url.Values{"remarks": {"MARKER-REMARK"}}, "prev", "inschrijving.pdf", "")
		wantStep(t, "back to the second page", resp, page, 200, "Stap 2 van 3:", `value="Veldstraat"`, `value="1-ABC-123"`,
			`name="draft" value="`, `name="files" value="registration"`, `name="remarks" value="MARKER-REMARK"`)
		if se.count(t, "submission_drafts") != 1 || se.count(t, "submissions") != 0 {
			t.Fatal("the attachment is not kept in one draft, or something was submitted")
		}
		resp, page = se.step(t, page, nil, "next", "", "")
		wantStep(t, "third page again", resp, page, 200, "Al toegevoegd: inschrijving.pdf (1 kB)", `>MARKER-REMARK</textarea>`)
		if strings.Contains(page, "error-summary") {
			t.Fatal("the kept file was asked for again")
		}

		// The review.
		resp, page = se.step(t, page, nil, "next", "", "")
		wantStep(t, "review", resp, page, 200, "Kijk uw antwoorden na", `aria-current="step">Nakijken en verzenden`,
			"MARKER-PARK-NAME", "&#43;32470123456", "Veldstraat 3, 9000 Gent", "1-ABC-123", "inschrijving.pdf (1 kB)", "MARKER-REMARK",
			`name="nav" value="step-0"`, `name="nav" value="step-1"`, `name="nav" value="step-2"`, `aria-label="Wijzigen: Adres en wagen"`,
			"Uw gegevens in het kort", "Wie: Stad Gent verwerkt uw gegevens.", "<details class=\"notice-full\">",
			"Wat gebeurt er met uw gegevens?", `name="nav" value="send"`)
		if i, j := strings.Index(page, "notice-short"), strings.Index(page, `value="send"`); i < 0 || i > j {
			t.Fatal("the notice is not before the send button")
		}
		// Change: back to the second page, everything kept.
		resp, page = se.step(t, page, nil, "step-1", "", "")
		wantStep(t, "change", resp, page, 200, "Stap 2 van 3:", `value="1-ABC-123"`, `name="name" value="MARKER-PARK-NAME"`, `name="draft" value="`)
		resp, page = se.step(t, page, url.Values{"plate": {"2-XYZ-987"}}, "next", "", "")
		wantStep(t, "the third page after the change", resp, page, 200, "Stap 3 van 3:")
		resp, page = se.step(t, page, nil, "next", "", "")
		wantStep(t, "review after the change", resp, page, 200, "2-XYZ-987", "inschrijving.pdf")
		if se.count(t, "submissions") != 0 {
			t.Fatal("a step submitted the form")
		}

		// Send: exactly one submission, with its attachment; the draft gone.
		resp, _ = se.step(t, page, url.Values{"confirm_mail": {"on"}}, "send", "", "")
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/gent/receipt/parkeervergunning" {
			t.Fatalf("send: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		if se.count(t, "submissions") != 1 || se.count(t, "attachments") != 1 || se.count(t, "submission_drafts") != 0 {
			t.Fatalf("after send: %d submissions, %d attachments, %d draft rows", se.count(t, "submissions"),
				se.count(t, "attachments"), se.count(t, "submission_drafts"))
		}
		rc := resp.Cookies()[0]
		// A second click on send (the draft is gone): the same receipt, still one submission.
		again, _ := se.step(t, page, url.Values{"confirm_mail": {"on"}}, "send", "", "")
		if again.StatusCode != http.StatusSeeOther || again.Header.Get("Location") != "/gent/receipt/parkeervergunning" ||
			again.Cookies()[0].Value != rc.Value || se.count(t, "submissions") != 1 {
			t.Fatalf("second send: %d %s, %d submissions", again.StatusCode, again.Header.Get("Location"), se.count(t, "submissions"))
		}
		resp = request{target: "/gent/receipt/parkeervergunning", header: map[string]string{"Cookie": rc.Name + "=" + rc.Value}}.do(t, se.h)
		wantStep(t, "receipt", resp, bodyOf(t, resp), 200, "inschrijving.pdf", "2-XYZ-987", "MARKER-REMARK")
	})
}

// TestFormInStepsRefusesForgedOrExpiredDraft: a draft token that names
// nothing — forged, or expired after store.DraftTTL — is refused cleanly:
// the page with the kept file comes back (422) asking for that file again
// in words, everything typed still there, nothing submitted.
func TestFormInStepsRefusesForgedOrExpiredDraft(t *testing.T) {
	clamd := scantest.Start(t)
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		se := newStepsEnv(t, env, clamd)
		review := se.throughTwoPages(t, "next")
		wantStep(t, "review", &http.Response{StatusCode: 200}, review, 200, "inschrijving.pdf")

		for name, draft := range map[string]string{"forged": strings.Repeat("A", 43), "malformed": "nope"} {
			resp, page := se.step(t, review, url.Values{"draft": {draft}}, "send", "", "")
			wantStep(t, name, resp, page, 422, "Voeg het bestand opnieuw toe", `href="#registration"`, "Stap 3 van 3:",
				`name="name" value="MARKER-PARK-NAME"`, `name="plate" value="1-ABC-123"`)
			if strings.Contains(page, `name="draft"`) {
				t.Fatalf("%s: the bad token is posted on", name)
			}
		}
		env.Clock.Advance(store.DraftTTL + 1)
		resp, page := se.step(t, review, nil, "send", "", "")
		wantStep(t, "expired", resp, page, 422, "Voeg het bestand opnieuw toe", `name="name" value="MARKER-PARK-NAME"`)
		if se.count(t, "submissions") != 0 {
			t.Fatal("submitted without the attachment")
		}
		// Chosen again, the form goes through.
		resp, page = se.step(t, page, nil, "next", "opnieuw.pdf", "")
		wantStep(t, "chosen again", resp, page, 200, "Kijk uw antwoorden na", "opnieuw.pdf")
		resp, _ = se.step(t, page, nil, "send", "", "")
		if resp.StatusCode != http.StatusSeeOther || se.count(t, "submissions") != 1 {
			t.Fatalf("send after choosing again: %d", resp.StatusCode)
		}
	})
}

// TestFormInStepsLanguageSwitchKeepsEverything: the language switch on a
// page of a form in steps keeps the page, what was typed on every page and
// the kept attachment, and judges nothing.
func TestFormInStepsLanguageSwitchKeepsEverything(t *testing.T) {
	clamd := scantest.Start(t)
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		se := newStepsEnv(t, env, clamd)
		page := se.throughTwoPages(t, "prev")
		resp, page := se.step(t, page, url.Values{"switch_lang": {"fr"}, "plate": {"9-TYP-999"}}, "", "", "fr")
		wantStep(t, "switched", resp, page, 200, `<html lang="fr`, "Étape 2 sur 3 :", `value="9-TYP-999"`,
			`name="name" value="MARKER-PARK-NAME"`, `name="draft" value="`, "Adresse et véhicule")
		if strings.Contains(page, "error-summary") {
			t.Fatal("a switch judged the page")
		}
		resp, page = se.step(t, page, nil, "next", "", "fr")
		wantStep(t, "next in French", resp, page, 200, "Déjà ajouté : inschrijving.pdf")
	})
}

// TestFormPublishRefusesMissingTranslations: a draft with some French
// but not all is refused at publishing, text by text in the checklist,
// and nothing is published; a form in Dutch only publishes and its French
// page says it is shown in Dutch, the form's texts marked lang="nl".
func TestFormPublishRefusesMissingTranslations(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		fe := newFormsEnv(t, env)
		fe.buildPublishable(t)
		f := fe.draft(t, "vraag").Form
		f.Title = register.Text{"nl": "Vraag", "fr": "Question"}
		d, err := env.DB.SaveFormDraft(ctx, audit.Actor{Kind: audit.KindOperator, ID: "op"}, fe.gent.ID, f)
		if err != nil {
			t.Fatal(err)
		}
		version := url.Values{"version": {strconv.Itoa(d.Version)}}
		_, page := fe.get(t, "/gent/admin/forms/vraag", fe.admin)
		fe.post(t, "/gent/admin/forms/vraag/notice", url.Values{"version": version["version"], "digest": {digestOn(t, page)}}, http.StatusSeeOther)
		body := fe.post(t, "/gent/admin/forms/vraag/publish", version, http.StatusConflict)
		for _, want := range []string{"Franse vertaling ontbreekt: label van het veld", "Franse vertaling ontbreekt: titel van de pagina",
			`href="/gent/admin/forms/vraag/fields/vraag#label_fr"`} {
			if !strings.Contains(body, want) {
				t.Fatalf("checklist lacks %q\n%s", want, body)
			}
		}
		if strings.Contains(body, "Engelse vertaling ontbreekt") {
			t.Fatal("English is not offered, yet asked for")
		}
		if _, err := env.DB.FormByStatus(ctx, fe.gent.ID, "vraag", store.FormPublished); err == nil {
			t.Fatal("published with missing translations")
		}

		// Dutch only: published, and the French page says so.
		f.Title = register.Text{"nl": "Vraag"}
		if d, err = env.DB.SaveFormDraft(ctx, audit.Actor{Kind: audit.KindOperator, ID: "op"}, fe.gent.ID, f); err != nil {
			t.Fatal(err)
		}
		version.Set("version", strconv.Itoa(d.Version))
		_, page = fe.get(t, "/gent/admin/forms/vraag", fe.admin)
		fe.post(t, "/gent/admin/forms/vraag/notice", url.Values{"version": version["version"], "digest": {digestOn(t, page)}}, http.StatusSeeOther)
		fe.post(t, "/gent/admin/forms/vraag/publish", version, http.StatusSeeOther)
		resp := request{target: "/gent/vraag?lang=fr"}.do(t, fe.app.Handler())
		page = bodyOf(t, resp)
		wantStep(t, "French page of a Dutch form", resp, page, 200, "Ce formulaire n’existe pas en français : il est affiché en néerlandais.",
			`<h1 lang="nl-BE">Vraag</h1>`, `<span lang="nl-BE">Uw vraag</span>`, `<html lang="fr`)
		if _, page := fe.get(t, "/gent/?lang=fr", ""); !strings.Contains(page, `lang="nl-BE">Vraag</a> <span class="optional">(uniquement en néerlandais)</span>`) {
			t.Fatalf("the French list of forms does not say the form is in Dutch only:\n%s", page)
		}
		if _, page := fe.get(t, "/gent/vraag", ""); strings.Contains(page, "n’existe pas") || strings.Contains(page, "bestaat niet in deze taal") {
			t.Fatal("the Dutch page says the form is not in its language")
		}
	})
}

// TestASVS_5_4_3_FormInStepsRefusesInfectedFile: an infected file chosen on a page is
// refused on that page, whichever button was pressed — "previous" too —
// and nothing of it is kept.
func TestASVS_5_4_3_FormInStepsRefusesInfectedFile(t *testing.T) {
	clamd := scantest.Start(t)
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		se := newStepsEnv(t, env, clamd)
		page := bodyOf(t, request{target: "/gent/parkeervergunning"}.do(t, se.h))
		_, page = se.step(t, page, parkingPage1, "next", "", "")
		_, page = se.step(t, page, parkingPage2, "next", "", "")
		for _, nav := range []string{"prev", "next"} {
			resp, body := se.step(t, page, nil, nav, "eicar.pdf", "")
			wantStep(t, nav, resp, body, 422, "Stap 3 van 3:", `href="#registration"`, `id="registration-error"`)
			if strings.Contains(body, `name="draft"`) || se.count(t, "submission_drafts") != 0 {
				t.Fatalf("%s: the infected file was kept", nav)
			}
		}
	})
}
