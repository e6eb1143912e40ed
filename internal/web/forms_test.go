package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/form"
	"github.com/kluis/kluis/internal/register"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

// formsEnv is a loginEnv whose tenants have the demo register, with an
// admin and a DPO of gent signed in.
type formsEnv struct {
	*loginEnv
	admin, dpo, clerk string // Cookie headers
}

func newFormsEnv(t *testing.T, env *storetest.Env) *formsEnv {
	t.Helper()
	le := newLoginEnv(t, env, Options{BaseURL: "https://loket.gent.be", LoginRateLimit: 1000})
	op := audit.Actor{Kind: audit.KindOperator, ID: "op"}
	for _, id := range []string{le.gent.ID, le.brugge.ID} {
		if _, err := env.DB.SaveRegister(context.Background(), op, id, register.Demo()); err != nil {
			t.Fatal(err)
		}
	}
	fe := &formsEnv{loginEnv: le}
	_, fe.admin = le.signIn(t, "admin@gent.be", account.RoleAdmin)
	_, fe.dpo = le.signIn(t, "dpo@gent.be", account.RoleDPO)
	_, fe.clerk = le.signIn(t, "clerk@gent.be", account.RoleUser)
	return fe
}

func (fe *formsEnv) get(t *testing.T, target, cookie string) (*http.Response, string) {
	t.Helper()
	resp := request{target: target, header: map[string]string{"Cookie": cookie}}.do(t, fe.app.Handler())
	return resp, bodyOf(t, resp)
}

// post submits form as the admin and expects status.
func (fe *formsEnv) post(t *testing.T, target string, form url.Values, want int) string {
	t.Helper()
	resp, body := fe.submit(t, target, fe.admin, form)
	if resp.StatusCode != want {
		t.Fatalf("POST %s: status %d, want %d\n%s", target, resp.StatusCode, want, body)
	}
	return body
}

// draft is gent's draft of key.
func (fe *formsEnv) draft(t *testing.T, key string) store.FormVersion {
	t.Helper()
	fv, err := fe.env.DB.FormByStatus(context.Background(), fe.gent.ID, key, store.FormDraft)
	if err != nil {
		t.Fatal(err)
	}
	return fv
}

// digestOn is the notice digest the form's page offers for approval.
func digestOn(t *testing.T, page string) string {
	t.Helper()
	m := regexp.MustCompile(`name="digest" value="([0-9a-f]{64})"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no notice to approve on the page:\n%s", page)
	}
	return m[1]
}

// sameForm fails t when got is not want, showing both as JSON.
func sameForm(t *testing.T, what string, want, got form.Form) {
	t.Helper()
	if w, g := string(want.JSON()), string(got.JSON()); w != g {
		t.Fatalf("%s:\nwant %s\ngot  %s", what, w, g)
	}
}

// importDefinition posts a definition file to the import as the admin.
func (fe *formsEnv) importDefinition(t *testing.T, name, contentType string, doc []byte) (*http.Response, string) {
	t.Helper()
	return fe.postFile(t, "/gent/admin/forms/import", nil, "definition", name, contentType, doc)
}

// postFile posts a multipart form as the admin: fields, and one file
// under field with the name and Content-Type a browser would claim.
func (fe *formsEnv) postFile(t *testing.T, target string, fields map[string]string, field, name, contentType string, data []byte) (*http.Response, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	part, err := mw.CreatePart(map[string][]string{
		"Content-Disposition": {fmt.Sprintf(`form-data; name=%q; filename=%q`, field, name)},
		"Content-Type":        {contentType}})
	if err != nil {
		t.Fatal(err)
	}
	part.Write(data)
	mw.Close()
	resp := request{method: http.MethodPost, target: target, body: buf.String(),
		header: map[string]string{"Cookie": fe.admin, "Content-Type": mw.FormDataContentType()}}.do(t, fe.app.Handler())
	return resp, bodyOf(t, resp)
}

// TestFormBuilderRoundTrip: an admin builds a form without JavaScript —
// creates it, adds pages and fields (a choice with its answers), edits,
// moves and deletes fields — every step a SaveFormDraft; the export is the
// definition form.ParseJSON reads back, and imports again unchanged.
func TestFormBuilderRoundTrip(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fe := newFormsEnv(t, env)
		fe.post(t, "/gent/admin/forms", url.Values{"key": {"parkeerkaart"}, "title": {"Bewonerskaart parkeren"}}, http.StatusSeeOther)
		fe.post(t, "/gent/admin/forms/parkeerkaart/pages", url.Values{"page_title": {"Over u"}}, http.StatusSeeOther)
		fe.post(t, "/gent/admin/forms/parkeerkaart/pages", url.Values{"page_title": {"Uw wagen"}, "page_key": {"wagen"}}, http.StatusSeeOther)
		resp, _ := fe.submit(t, "/gent/admin/forms/parkeerkaart/pages/over-u/fields", fe.admin,
			url.Values{"field_label": {"E-mailadres"}, "field_type": {"email"}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/gent/admin/forms/parkeerkaart/fields/e_mailadres" {
			t.Fatalf("add field: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		fe.post(t, "/gent/admin/forms/parkeerkaart/pages/over-u/fields", url.Values{"field_label": {"Soort wagen"}, "field_type": {"choice"},
			"field_key": {"soort"}}, http.StatusSeeOther)
		fe.post(t, "/gent/admin/forms/parkeerkaart/pages/wagen/fields", url.Values{"field_label": {"Nummerplaat"}, "field_type": {"text"},
			"field_key": {"plaat"}}, http.StatusSeeOther)
		fe.post(t, "/gent/admin/forms/parkeerkaart/pages/wagen/fields", url.Values{"field_label": {"Weg ermee"}, "field_type": {"text"},
			"field_key": {"weg"}}, http.StatusSeeOther)

		// The field's own page: labels in three languages, answers one a
		// line, the register's category and purpose.
		_, page := fe.get(t, "/gent/admin/forms/parkeerkaart/fields/soort", fe.admin)
		for _, want := range []string{`id="label_fr"`, `id="options"`, `id="category"`, `Andere persoonsgegevens doorgegeven via de website`} {
			if !strings.Contains(page, want) {
				t.Fatalf("field page lacks %s:\n%s", want, page)
			}
		}
		fe.post(t, "/gent/admin/forms/parkeerkaart/fields/soort", url.Values{"key": {"soort"}, "type": {"choice"},
			"label_nl": {"Soort wagen"}, "label_fr": {"Type de voiture"}, "label_en": {"Kind of car"}, "help_nl": {"Zoals op het inschrijvingsbewijs."},
			"required": {"on"}, "category": {"web-forms"}, "purpose": {"online-services"},
			"options": {"personenwagen | Personenwagen | Voiture | Car\r\nbestel | Bestelwagen\r\n\r\nmoto"}}, http.StatusSeeOther)
		fe.post(t, "/gent/admin/forms/parkeerkaart/fields/plaat", url.Values{"key": {"nummerplaat"}, "type": {"text"},
			"label_nl": {"Nummerplaat"}, "max_length": {"12"}, "category": {"web-forms"}, "purpose": {"online-services"}}, http.StatusSeeOther)
		fe.post(t, "/gent/admin/forms/parkeerkaart/fields/e_mailadres", url.Values{"key": {"email"}, "type": {"email"},
			"label_nl": {"E-mailadres"}, "required": {"on"}, "category": {"contact"}, "purpose": {"online-services"}}, http.StatusSeeOther)
		fe.post(t, "/gent/admin/forms/parkeerkaart/settings", url.Values{"title_nl": {"Bewonerskaart parkeren"},
			"title_fr": {"Carte de stationnement riverain"}, "intro_nl": {"Vraag een bewonerskaart aan."}, "done_nl": {"We antwoorden binnen vijf werkdagen."},
			"confirmation_mail": {"on"}, "confirmation_field": {"email"}}, http.StatusSeeOther)
		// Moving the first field of page 2 up puts it last on page 1;
		// deleting removes one.
		fe.post(t, "/gent/admin/forms/parkeerkaart/fields/nummerplaat/move", url.Values{"direction": {"up"}}, http.StatusSeeOther)
		fe.post(t, "/gent/admin/forms/parkeerkaart/fields/email/move", url.Values{"direction": {"down"}}, http.StatusSeeOther)
		fe.post(t, "/gent/admin/forms/parkeerkaart/fields/weg/delete", url.Values{"x": {"1"}}, http.StatusSeeOther)

		fv := fe.draft(t, "parkeerkaart")
		if fv.Version != 1 {
			t.Fatalf("every step edits draft 1 in place; version %d", fv.Version)
		}
		t3 := func(nl, fr, en string) register.Text {
			tx := register.Text{"nl": nl}
			if fr != "" {
				tx["fr"] = fr
			}
			if en != "" {
				tx["en"] = en
			}
			return tx
		}
		want := form.Form{Key: "parkeerkaart", Title: t3("Bewonerskaart parkeren", "Carte de stationnement riverain", ""),
			Intro: t3("Vraag een bewonerskaart aan.", "", ""), Done: t3("We antwoorden binnen vijf werkdagen.", "", ""),
			ConfirmationMail: true, ConfirmationField: "email",
			Pages: []form.Page{
				{Key: "over-u", Title: t3("Over u", "", ""), Fields: []form.Field{
					{Key: "soort", Type: form.TypeChoice, Label: t3("Soort wagen", "Type de voiture", "Kind of car"),
						Help: t3("Zoals op het inschrijvingsbewijs.", "", ""), Required: true, Category: "web-forms", Purpose: "online-services",
						Options: []form.Option{{Value: "personenwagen", Label: t3("Personenwagen", "Voiture", "Car")},
							{Value: "bestel", Label: t3("Bestelwagen", "", "")}, {Value: "moto", Label: t3("moto", "", "")}}},
					{Key: "email", Type: form.TypeEmail, Label: t3("E-mailadres", "", ""), Required: true, Category: "contact", Purpose: "online-services"},
					{Key: "nummerplaat", Type: form.TypeText, Label: t3("Nummerplaat", "", ""), MaxLength: 12, Category: "web-forms", Purpose: "online-services"},
				}},
				{Key: "wagen", Title: t3("Uw wagen", "", ""), Fields: []form.Field{}},
			}}
		sameForm(t, "the built form", want, fv.Form)

		// Export: the draft, and version 1 by number, as ParseJSON reads it.
		resp, body := fe.get(t, "/gent/admin/forms/parkeerkaart.json", fe.admin)
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") ||
			!strings.Contains(resp.Header.Get("Content-Disposition"), `attachment; filename="parkeerkaart-v1.json"`) {
			t.Fatalf("export: %d %v", resp.StatusCode, resp.Header)
		}
		back, ps := form.ParseJSON([]byte(body))
		if len(ps) > 0 {
			t.Fatalf("the export does not read back: %v", ps)
		}
		sameForm(t, "the export read back", fv.Form, back)
		if _, v1 := fe.get(t, "/gent/admin/forms/parkeerkaart.json?version=1", fe.admin); v1 != body {
			t.Fatal("?version=1 differs from the draft's export")
		}
		if resp, _ := fe.get(t, "/gent/admin/forms/parkeerkaart.json?version=9", fe.admin); resp.StatusCode != 404 {
			t.Fatalf("export of a version that does not exist: %d", resp.StatusCode)
		}
		// The export imports again as the same draft.
		if resp, body := fe.importDefinition(t, "parkeerkaart-v1.json", "application/json", []byte(body)); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("re-import: %d\n%s", resp.StatusCode, body)
		}
		sameForm(t, "the re-imported form", fv.Form, fe.draft(t, "parkeerkaart").Form)

		// The form's page and the list show what was built.
		_, page = fe.get(t, "/gent/admin/forms/parkeerkaart", fe.admin)
		for _, want := range []string{"Soort wagen", "Eén keuze uit een lijst", "Contactgegevens: naam, e-mail, telefoon",
			"Online dienstverlening via webformulieren", `href="/gent/admin/forms/parkeerkaart.json?version=1"`} {
			if !strings.Contains(page, want) {
				t.Errorf("form page lacks %q", want)
			}
		}
		_, list := fe.get(t, "/gent/admin/forms", fe.admin)
		if !strings.Contains(list, `href="/gent/admin/forms/parkeerkaart"`) || !strings.Contains(list, "concept, nog niet gepubliceerd") {
			t.Errorf("list:\n%s", list)
		}
		// The hub links the forms for admins and the DPO (who reads them).
		for who, h := range map[string]string{"admin": fe.admin, "DPO": fe.dpo} {
			if _, hub := fe.get(t, "/gent/signed-in", h); !strings.Contains(hub, `href="/gent/admin/forms"`) {
				t.Errorf("the %s's hub does not link the forms", who)
			}
		}
	})
}

// TestFormBuilderRefusesFieldByField: a field saved with several broken
// rules comes back with a message at each input, in the reader's
// language, and nothing is saved; so do a duplicate form, a bad key and
// deleting a page that has questions.
func TestFormBuilderRefusesFieldByField(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fe := newFormsEnv(t, env)
		fe.post(t, "/gent/admin/forms", url.Values{"key": {"melding"}, "title": {"Melding"}}, http.StatusSeeOther)
		body := fe.post(t, "/gent/admin/forms", url.Values{"key": {"melding"}, "title": {"Nog een"}}, http.StatusConflict)
		if !strings.Contains(body, "Er bestaat al een formulier met het adres melding") {
			t.Fatalf("duplicate form:\n%s", body)
		}
		body = fe.post(t, "/gent/admin/forms", url.Values{"key": {"Privacy!"}, "title": {""}}, http.StatusUnprocessableEntity)
		if !strings.Contains(body, `href="#key"`) || !strings.Contains(body, `href="#title"`) {
			t.Fatalf("bad new form:\n%s", body)
		}
		fe.post(t, "/gent/admin/forms/melding/pages", url.Values{"page_title": {"Melding"}}, http.StatusSeeOther)
		fe.post(t, "/gent/admin/forms/melding/pages/melding/fields", url.Values{"field_label": {"Aantal"}, "field_type": {"number"}},
			http.StatusSeeOther)
		before := fe.draft(t, "melding")

		resp, body := fe.submit(t, "/gent/admin/forms/melding/fields/aantal?lang=fr", fe.admin, url.Values{"key": {"Aantal"},
			"type": {"number"}, "label_nl": {""}, "label_fr": {"Nombre"}, "min": {"tien"}, "max": {"5"}, "category": {"geen"}})
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("bad field: %d", resp.StatusCode)
		}
		for _, want := range []string{`href="#key"`, `href="#label_nl"`, `href="#min"`, `href="#category"`, `id="label_nl-error"`,
			`aria-invalid="true"`, `value="Nombre"`, `value="tien"`, "Indiquez un nombre", "<title>"} {
			if !strings.Contains(body, want) {
				t.Errorf("the refused field page lacks %s", want)
			}
		}
		if after := fe.draft(t, "melding"); !after.UpdatedAt.Equal(before.UpdatedAt) {
			t.Fatal("a refused field was saved")
		}
		// A page with questions stays.
		fe.post(t, "/gent/admin/forms/melding/pages/melding/delete", url.Values{"x": {"1"}}, http.StatusConflict)
		fe.post(t, "/gent/admin/forms/melding/pages", url.Values{"page_title": {"Leeg"}}, http.StatusSeeOther)
		fe.post(t, "/gent/admin/forms/melding/pages/leeg/delete", url.Values{"x": {"1"}}, http.StatusSeeOther)
		if n := len(fe.draft(t, "melding").Form.Pages); n != 1 {
			t.Fatalf("pages after deleting the empty one: %d", n)
		}
		fe.post(t, "/gent/admin/forms/melding/fields/aantal/move", url.Values{"direction": {"sideways"}}, http.StatusBadRequest)
	})
}

// TestClauseREG1_FieldWithoutCategoryBlocksPublishing: a field that names
// no register category keeps the form from being published: the checklist
// names the field and links to its edit page, the publish button stays
// disabled, and a forced publish is refused by the store (REG-1).
func TestClauseREG1_FieldWithoutCategoryBlocksPublishing(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fe := newFormsEnv(t, env)
		fe.post(t, "/gent/admin/forms", url.Values{"key": {"vraag"}, "title": {"Vraag"}}, http.StatusSeeOther)
		fe.post(t, "/gent/admin/forms/vraag/pages", url.Values{"page_title": {"Vraag"}}, http.StatusSeeOther)
		fe.post(t, "/gent/admin/forms/vraag/pages/vraag/fields", url.Values{"field_label": {"Uw vraag"}, "field_type": {"textarea"},
			"field_key": {"vraag"}}, http.StatusSeeOther)

		_, page := fe.get(t, "/gent/admin/forms/vraag", fe.admin)
		for _, want := range []string{
			`<a href="/gent/admin/forms/vraag/fields/vraag#category"><span lang="nl-BE">Uw vraag</span></a>: kies de categorie uit het verwerkingsregister`,
			`<a href="/gent/admin/forms/vraag/fields/vraag#purpose"><span lang="nl-BE">Uw vraag</span></a>: kies het doel`,
			`aria-describedby="publish-state" disabled`,
		} {
			if !strings.Contains(page, want) {
				t.Fatalf("the checklist lacks %s:\n%s", want, page)
			}
		}
		// In French for a French reader.
		if _, fr := fe.get(t, "/gent/admin/forms/vraag?lang=fr", fe.admin); !strings.Contains(fr, "Prêt à publier") {
			t.Error("the checklist is not in French")
		}
		// Approving the notice does not make it publishable.
		fe.post(t, "/gent/admin/forms/vraag/notice", url.Values{"version": {"1"}, "digest": {digestOn(t, page)}}, http.StatusSeeOther)
		body := fe.post(t, "/gent/admin/forms/vraag/publish", url.Values{"version": {"1"}}, http.StatusConflict)
		if !strings.Contains(body, "los eerst de problemen in de controlelijst op") {
			t.Fatalf("forced publish:\n%s", body)
		}
		if _, err := env.DB.FormByStatus(context.Background(), fe.gent.ID, "vraag", store.FormPublished); err == nil {
			t.Fatal("a form with a field without category was published")
		}
		// The field's page says what it still needs.
		if _, fp := fe.get(t, "/gent/admin/forms/vraag/fields/vraag", fe.admin); !strings.Contains(fp, "Nog te doen voor publicatie") {
			t.Error("the field page does not list what blocks publishing")
		}
		// The DPO sees the checklist and the notice, without buttons.
		_, dpo := fe.get(t, "/gent/admin/forms/vraag", fe.dpo)
		if !strings.Contains(dpo, "kies de categorie uit het verwerkingsregister") || strings.Contains(dpo, "/publish") ||
			strings.Contains(dpo, `name="digest"`) || !strings.Contains(dpo, "Wat gebeurt er met uw gegevens?") {
			t.Fatalf("the DPO's view:\n%s", dpo)
		}
	})
}

// buildPublishable makes gent's form "vraag" with one field that the demo
// register allows; it returns the form page as the admin sees it.
func (fe *formsEnv) buildPublishable(t *testing.T) string {
	t.Helper()
	fe.post(t, "/gent/admin/forms", url.Values{"key": {"vraag"}, "title": {"Vraag"}}, http.StatusSeeOther)
	fe.post(t, "/gent/admin/forms/vraag/pages", url.Values{"page_title": {"Vraag"}}, http.StatusSeeOther)
	fe.post(t, "/gent/admin/forms/vraag/pages/vraag/fields", url.Values{"field_label": {"Uw vraag"}, "field_type": {"textarea"},
		"field_key": {"vraag"}}, http.StatusSeeOther)
	fe.post(t, "/gent/admin/forms/vraag/fields/vraag", url.Values{"key": {"vraag"}, "type": {"textarea"}, "label_nl": {"Uw vraag"},
		"required": {"on"}, "category": {"web-forms"}, "purpose": {"online-services"}}, http.StatusSeeOther)
	_, page := fe.get(t, "/gent/admin/forms/vraag", fe.admin)
	return page
}

// TestClauseDSR3_PublishOnlyAfterNoticeApproved: the art. 13 notice is
// shown on the form's page; publishing is refused until the admin approves
// it; approving a text that changed since it was shown is refused; once
// the approved text is current the form publishes, and an edit afterwards
// makes a new draft whose notice needs approving again (DSR-3).
func TestClauseDSR3_PublishOnlyAfterNoticeApproved(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fe := newFormsEnv(t, env)
		page := fe.buildPublishable(t)
		if !strings.Contains(page, "Wat gebeurt er met uw gegevens?") || !strings.Contains(page, "Online dienstverlening via webformulieren") ||
			!strings.Contains(page, "In orde: elke vraag noemt") || !strings.Contains(page, "Nog niet goedgekeurd.") {
			t.Fatalf("the checklist before approval:\n%s", page)
		}
		shown := digestOn(t, page)
		body := fe.post(t, "/gent/admin/forms/vraag/publish", url.Values{"version": {"1"}}, http.StatusConflict)
		if !strings.Contains(body, "Keur eerst de privacyverklaring goed") {
			t.Fatalf("publish before approval:\n%s", body)
		}
		// The form changes after the page was shown: the text shown then is
		// not the text now.
		fe.post(t, "/gent/admin/forms/vraag/pages/vraag/fields", url.Values{"field_label": {"E-mail"}, "field_type": {"email"},
			"field_key": {"email"}}, http.StatusSeeOther)
		fe.post(t, "/gent/admin/forms/vraag/fields/email", url.Values{"key": {"email"}, "type": {"email"}, "label_nl": {"E-mail"},
			"category": {"contact"}, "purpose": {"online-services"}}, http.StatusSeeOther)
		body = fe.post(t, "/gent/admin/forms/vraag/notice", url.Values{"version": {"1"}, "digest": {shown}}, http.StatusConflict)
		if !strings.Contains(body, "De privacyverklaring is gewijzigd sinds deze pagina geladen werd") {
			t.Fatalf("approving a stale notice:\n%s", body)
		}
		if fe.draft(t, "vraag").Notice != nil {
			t.Fatal("a stale notice was recorded as approved")
		}
		_, page = fe.get(t, "/gent/admin/forms/vraag", fe.admin)
		fe.post(t, "/gent/admin/forms/vraag/notice", url.Values{"version": {"1"}, "digest": {digestOn(t, page)}}, http.StatusSeeOther)
		_, page = fe.get(t, "/gent/admin/forms/vraag?done=approved", fe.admin)
		if !strings.Contains(page, "U keurde de privacyverklaring goed.") || !strings.Contains(page, "Goedgekeurd op") ||
			strings.Contains(page, `aria-describedby="publish-state" disabled`) || strings.Contains(page, `name="digest"`) {
			t.Fatalf("after approval:\n%s", page)
		}
		resp, _ := fe.submit(t, "/gent/admin/forms/vraag/publish", fe.admin, url.Values{"version": {"1"}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/gent/admin/forms/vraag?done=published" {
			t.Fatalf("publish: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		pub, err := env.DB.FormByStatus(context.Background(), fe.gent.ID, "vraag", store.FormPublished)
		if err != nil || pub.Version != 1 {
			t.Fatalf("published: %v %v", pub.Version, err)
		}
		// An edit of the published form is a new draft, not yet approved.
		fe.post(t, "/gent/admin/forms/vraag/fields/email/delete", url.Values{"x": {"1"}}, http.StatusSeeOther)
		if d := fe.draft(t, "vraag"); d.Version != 2 || d.Notice != nil {
			t.Fatalf("the edit after publishing: version %d, notice %s", d.Version, d.Notice)
		}
		_, page = fe.get(t, "/gent/admin/forms/vraag", fe.admin)
		if !strings.Contains(page, "Versie 2 publiceren") || !strings.Contains(page, "Versie 1 intrekken") {
			t.Fatalf("page with a published version and a new draft:\n%s", page)
		}
		// Withdrawing: the published version goes, the draft stays.
		fe.post(t, "/gent/admin/forms/vraag/withdraw", url.Values{"x": {"1"}}, http.StatusSeeOther)
		if _, err := env.DB.FormByStatus(context.Background(), fe.gent.ID, "vraag", store.FormPublished); err == nil {
			t.Fatal("still published after withdrawing")
		}
		fe.post(t, "/gent/admin/forms/vraag/withdraw", url.Values{"x": {"1"}}, http.StatusConflict)
		var approved, published int
		env.DB.EachAuditEvent(context.Background(), fe.gent.ID, func(e *audit.Event) error {
			switch e.Action {
			case "form.notice.approve":
				approved++
			case "form.publish":
				published++
			}
			return nil
		})
		if approved != 1 || published != 1 {
			t.Fatalf("audit: %d approvals, %d publications", approved, published)
		}
	})
}

// TestFormPublishNeedsStepUp: publishing and withdrawing are sensitive:
// with a login older than StepUpMaxAge the admin confirms first, and
// nothing happens before.
func TestFormPublishNeedsStepUp(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fe := newFormsEnv(t, env)
		page := fe.buildPublishable(t)
		fe.post(t, "/gent/admin/forms/vraag/notice", url.Values{"version": {"1"}, "digest": {digestOn(t, page)}}, http.StatusSeeOther)
		env.Clock.Advance(StepUpMaxAge + 1)
		resp, body := fe.submit(t, "/gent/admin/forms/vraag/publish", fe.admin, url.Values{"version": {"1"}})
		pendingOn(t, "stale publish", resp, body)
		if !strings.Contains(body, `name="next" value="/gent/admin/forms/vraag"`) {
			t.Fatalf("stale publish: not back to the form's page\n%s", body)
		}
		if _, err := env.DB.FormByStatus(context.Background(), fe.gent.ID, "vraag", store.FormPublished); err == nil {
			t.Fatal("published without the step-up")
		}
	})
}

// TestClauseREG4_PurposeOnlyOfTheCategory: a field's purpose select offers
// only the purposes the register gives its category, and a purpose of
// another category is refused with nothing saved; a category the register
// does not have is refused too (REG-4: only what the purposes need).
func TestClauseREG4_PurposeOnlyOfTheCategory(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fe := newFormsEnv(t, env)
		fe.buildPublishable(t)
		_, page := fe.get(t, "/gent/admin/forms/vraag/fields/vraag", fe.admin)
		sel := regexp.MustCompile(`(?s)<select id="purpose".*?</select>`).FindString(page)
		values := regexp.MustCompile(`value="([^"]*)"`).FindAllStringSubmatch(sel, -1)
		var got []string
		for _, v := range values {
			got = append(got, v[1])
		}
		// web-forms serves online-services only in the demo register.
		if strings.Join(got, ",") != ",online-services" {
			t.Fatalf("purposes offered for web-forms: %q\n%s", got, sel)
		}
		if !strings.Contains(regexp.MustCompile(`(?s)<select id="category".*?</select>`).FindString(page), `value="income"`) {
			t.Fatal("the category select does not list the register's categories")
		}
		before := fe.draft(t, "vraag")
		body := fe.post(t, "/gent/admin/forms/vraag/fields/vraag", url.Values{"key": {"vraag"}, "type": {"textarea"},
			"label_nl": {"Uw vraag"}, "category": {"web-forms"}, "purpose": {"social-support"}}, http.StatusUnprocessableEntity)
		if !strings.Contains(body, `href="#purpose"`) || !strings.Contains(body, "Het register verwerkt ‘Andere persoonsgegevens") {
			t.Fatalf("a purpose of another category:\n%s", body)
		}
		body = fe.post(t, "/gent/admin/forms/vraag/fields/vraag", url.Values{"key": {"vraag"}, "type": {"textarea"},
			"label_nl": {"Uw vraag"}, "category": {"nope"}, "purpose": {"nope"}}, http.StatusUnprocessableEntity)
		if !strings.Contains(body, `href="#category"`) || !strings.Contains(body, `href="#purpose"`) {
			t.Fatalf("unknown category and purpose:\n%s", body)
		}
		if after := fe.draft(t, "vraag"); !after.UpdatedAt.Equal(before.UpdatedAt) || after.Form.Fields()[0].Purpose != "online-services" {
			t.Fatal("a refused purpose was saved")
		}
		// Choosing income, whose purpose is social support, offers that.
		body = fe.post(t, "/gent/admin/forms/vraag/fields/vraag", url.Values{"key": {"vraag"}, "type": {"textarea"},
			"label_nl": {"Uw vraag"}, "category": {"income"}, "purpose": {"online-services"}}, http.StatusUnprocessableEntity)
		sel = regexp.MustCompile(`(?s)<select id="purpose".*?</select>`).FindString(body)
		if !strings.Contains(sel, `value="social-support"`) || strings.Contains(sel, `value="online-services"`) {
			t.Fatalf("purposes after choosing income:\n%s", sel)
		}
	})
}

// TestFormImportListsProblems: an imported definition with problems is
// refused with every problem and its path, nothing saved; a file that is
// not JSON is 415, one that is too large 413.
func TestFormImportListsProblems(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fe := newFormsEnv(t, env)
		bad := `{"key":"privacy","title":{"nl":""},"pages":[{"key":"p","title":{"nl":"P"},"fields":[` +
			`{"key":"Naam","type":"colour","label":{"nl":"N"},"category":"","purpose":""}]}]}`
		resp, body := fe.importDefinition(t, "bad.json", "application/json", []byte(bad))
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("bad definition: %d", resp.StatusCode)
		}
		for _, want := range []string{"De definitie heeft 4 problemen", "key: &#34;privacy&#34; is een vaste pagina", "title.nl: vul de Nederlandse tekst in",
			"pages[0].fields[0].key: veldsleutel", "pages[0].fields[0].type: &#34;colour&#34; is geen veldtype", `href="#definition"`} {
			if !strings.Contains(body, want) {
				t.Errorf("import problems lack %s", want)
			}
		}
		if vs, _ := env.DB.AllFormVersions(context.Background(), fe.gent.ID); len(vs) != 0 {
			t.Fatal("a refused import saved something")
		}
		if resp, body := fe.importDefinition(t, "x.json", "application/json", []byte(`{"key":`)); resp.StatusCode != 422 ||
			!strings.Contains(body, "geen geldige formulierdefinitie") {
			t.Fatalf("broken JSON: %d", resp.StatusCode)
		}
		if resp, _ := fe.importDefinition(t, "form.pdf", "application/pdf", []byte("%PDF-1.7")); resp.StatusCode != http.StatusUnsupportedMediaType {
			t.Fatalf("a PDF: %d", resp.StatusCode)
		}
		resp = request{method: http.MethodPost, target: "/gent/admin/forms/import", body: "definition=x",
			header: map[string]string{"Cookie": fe.admin}}.do(t, fe.app.Handler())
		if resp.StatusCode != http.StatusUnsupportedMediaType {
			t.Fatalf("not multipart: %d", resp.StatusCode)
		}
		big := append([]byte(`{"key":"x","title":{"nl":"`), bytes.Repeat([]byte("a"), form.MaxDefinition)...)
		if resp, body := fe.importDefinition(t, "big.json", "application/json", big); resp.StatusCode != http.StatusRequestEntityTooLarge ||
			!strings.Contains(body, "hoogstens 512 KB") {
			t.Fatalf("too large: %d", resp.StatusCode)
		}
		// A good one, also when the browser calls it octet-stream.
		good := form.DemoForms()[0].JSON()
		if resp, _ := fe.importDefinition(t, "vraag.json", "application/octet-stream", good); resp.StatusCode != http.StatusSeeOther ||
			resp.Header.Get("Location") != "/gent/admin/forms?imported=vraag" {
			t.Fatalf("good import: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		if _, list := fe.get(t, "/gent/admin/forms?imported=vraag", fe.admin); !strings.Contains(list, "Formulier vraag is als concept bewaard.") {
			t.Fatal("no notice after the import")
		}
	})
}

// TestFormsOfAnotherTenant404: a tenant's admin reaches no form of
// another tenant by its key, to read, export, edit or publish.
func TestFormsOfAnotherTenant404(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fe := newFormsEnv(t, env)
		if _, err := env.DB.SaveFormDraft(context.Background(), audit.Actor{Kind: audit.KindOperator, ID: "op"}, fe.brugge.ID,
			form.DemoForms()[0]); err != nil {
			t.Fatal(err)
		}
		for _, target := range []string{"/gent/admin/forms/vraag", "/gent/admin/forms/vraag.json", "/gent/admin/forms/vraag/fields/name",
			"/gent/admin/forms/vraag/settings"} {
			if resp, body := fe.get(t, target, fe.admin); resp.StatusCode != 404 || strings.Contains(body, "Vraag of melding") {
				t.Errorf("GET %s: %d", target, resp.StatusCode)
			}
		}
		for _, target := range []string{"/gent/admin/forms/vraag/fields/name", "/gent/admin/forms/vraag/fields/name/delete",
			"/gent/admin/forms/vraag/pages/vraag/fields", "/gent/admin/forms/vraag/notice", "/gent/admin/forms/vraag/publish",
			"/gent/admin/forms/vraag/settings"} {
			if resp, _ := fe.submit(t, target, fe.admin, url.Values{"version": {"1"}, "label_nl": {"x"}}); resp.StatusCode != 404 {
				t.Errorf("POST %s: %d", target, resp.StatusCode)
			}
		}
		if _, list := fe.get(t, "/gent/admin/forms", fe.admin); strings.Contains(list, "Vraag of melding") {
			t.Error("gent's list shows brugge's form")
		}
		if d, _ := env.DB.FormByStatus(context.Background(), fe.brugge.ID, "vraag", store.FormDraft); d.Form.Fields()[0].Label["nl"] != "Naam en voornaam" {
			t.Error("brugge's form was changed")
		}
	})
}

// TestFormBuilderRefusesLostUpdates: two admins edit the same draft; the
// one whose page was made before the other's save gets 409 and saves
// nothing — the other's change stays. The store refuses a stale base too,
// whatever the page said.
func TestFormBuilderRefusesLostUpdates(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fe := newFormsEnv(t, env)
		fe.post(t, "/gent/admin/forms", url.Values{"key": {"melding"}, "title": {"Melding"}}, http.StatusSeeOther)
		fe.post(t, "/gent/admin/forms/melding/pages", url.Values{"page_title": {"Uw melding"}, "page_key": {"melding"}}, http.StatusSeeOther)
		_, page := fe.get(t, "/gent/admin/forms/melding/settings", fe.admin)
		m := regexp.MustCompile(`name="base" value="([0-9]+-[0-9]+)"`).FindStringSubmatch(page)
		if m == nil {
			t.Fatal("the settings page carries no base version")
		}
		seen := m[1]
		// The other admin saves first (the draft moves on).
		fe.post(t, "/gent/admin/forms/melding/settings", url.Values{"base": {seen}, "title_nl": {"Melding van de ander"}}, http.StatusSeeOther)
		// This admin's page is stale now.
		body := fe.post(t, "/gent/admin/forms/melding/settings", url.Values{"base": {seen}, "title_nl": {"Mijn titel"}}, http.StatusConflict)
		if !strings.Contains(body, "Het formulier werd intussen gewijzigd") {
			t.Fatalf("conflict page:\n%s", body)
		}
		if got := fe.draft(t, "melding").Form.Title["nl"]; got != "Melding van de ander" {
			t.Fatalf("the other admin's title was overwritten: %q", got)
		}
		fe.post(t, "/gent/admin/forms/melding/pages", url.Values{"base": {seen}, "page_title": {"Te laat"}}, http.StatusConflict)
		if n := len(fe.draft(t, "melding").Form.Pages); n != 1 {
			t.Fatalf("a stale page added a page: %d pages", n)
		}
		d := fe.draft(t, "melding")
		if _, err := env.DB.SaveFormDraftOver(context.Background(), audit.Actor{Kind: audit.KindUser, ID: "x"}, fe.gent.ID, d.Form, seen); !errors.Is(err, store.ErrFormEdited) {
			t.Fatalf("store with a stale base: %v", err)
		}
		if _, err := env.DB.SaveFormDraftOver(context.Background(), audit.Actor{Kind: audit.KindUser, ID: "x"}, fe.gent.ID, d.Form, store.FormBase(d)); err != nil {
			t.Fatalf("store with the current base: %v", err)
		}
	})
}

// TestFormBuilderPageTitlesAndOrder: an admin gives a page its French and
// English titles and moves pages (with their fields) up and down; an empty
// Dutch title is refused at the page, nothing saved; a direction that is
// not up or down is a 400; the DPO changes nothing.
func TestFormBuilderPageTitlesAndOrder(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fe := newFormsEnv(t, env)
		fe.post(t, "/gent/admin/forms", url.Values{"key": {"parkeerkaart"}, "title": {"Bewonerskaart parkeren"}}, http.StatusSeeOther)
		fe.post(t, "/gent/admin/forms/parkeerkaart/pages", url.Values{"page_title": {"Over u"}, "page_key": {"u"}}, http.StatusSeeOther)
		fe.post(t, "/gent/admin/forms/parkeerkaart/pages", url.Values{"page_title": {"Uw wagen"}, "page_key": {"wagen"}}, http.StatusSeeOther)
		fe.post(t, "/gent/admin/forms/parkeerkaart/pages/wagen/fields", url.Values{"field_label": {"Nummerplaat"}, "field_type": {"text"},
			"field_key": {"plaat"}}, http.StatusSeeOther)

		fe.post(t, "/gent/admin/forms/parkeerkaart/pages/wagen", url.Values{"title_nl": {"Uw wagen"}, "title_fr": {"Votre voiture"},
			"title_en": {"Your car"}}, http.StatusSeeOther)
		fe.post(t, "/gent/admin/forms/parkeerkaart/pages/wagen/move", url.Values{"direction": {"up"}}, http.StatusSeeOther)
		d := fe.draft(t, "parkeerkaart")
		if len(d.Form.Pages) != 2 || d.Form.Pages[0].Key != "wagen" || d.Form.Pages[0].Title["fr"] != "Votre voiture" ||
			d.Form.Pages[0].Title["en"] != "Your car" || len(d.Form.Pages[0].Fields) != 1 || d.Form.Pages[1].Key != "u" {
			t.Fatalf("pages after edit and move: %+v", d.Form.Pages)
		}
		// Already at the top: up changes nothing.
		fe.post(t, "/gent/admin/forms/parkeerkaart/pages/wagen/move", url.Values{"direction": {"up"}}, http.StatusSeeOther)
		if d := fe.draft(t, "parkeerkaart"); d.Form.Pages[0].Key != "wagen" {
			t.Fatal("moving the first page up moved it")
		}
		rev := fe.draft(t, "parkeerkaart").Revision
		body := fe.post(t, "/gent/admin/forms/parkeerkaart/pages/u", url.Values{"title_nl": {" "}, "title_fr": {"Vous"}}, http.StatusUnprocessableEntity)
		if !strings.Contains(body, `href="#page-u"`) {
			t.Fatalf("an empty Dutch title is not refused at its page:\n%s", body)
		}
		if d := fe.draft(t, "parkeerkaart"); d.Revision != rev || d.Form.Pages[1].Title["nl"] != "Over u" {
			t.Fatal("a refused title was saved")
		}
		fe.post(t, "/gent/admin/forms/parkeerkaart/pages/u/move", url.Values{"direction": {"sideways"}}, http.StatusBadRequest)
		fe.post(t, "/gent/admin/forms/parkeerkaart/pages/nope", url.Values{"title_nl": {"x"}}, http.StatusNotFound)
		if resp, _ := fe.submit(t, "/gent/admin/forms/parkeerkaart/pages/u/move", fe.dpo, url.Values{"direction": {"down"}}); resp.StatusCode != 403 {
			t.Fatalf("the DPO moved a page: %d", resp.StatusCode)
		}
		// The builder page's edit form shows the titles as saved.
		if _, page := fe.get(t, "/gent/admin/forms/parkeerkaart", fe.admin); !strings.Contains(page, `value="Votre voiture"`) {
			t.Fatal("the page edit form does not show the French title")
		}
	})
}
