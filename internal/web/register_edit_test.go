package web

import (
	"bytes"
	"context"
	"html"
	"mime/multipart"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/form"
	"github.com/kluis/kluis/internal/locale"
	"github.com/kluis/kluis/internal/register"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
	"github.com/kluis/kluis/internal/webhook"
)

// regEditCase is one change made in a section's edit form: the values it
// posts, built from the item it starts from (none: an addition).
type regEditCase struct {
	name    string
	section string
	item    string // the key changed; "" adds
	set     map[string][]string
	// check looks at the saved register (valid cases); wantInput is the
	// input a broken rule is reported at (invalid cases).
	check     func(t *testing.T, r register.Register)
	wantInput string
}

// values are what the edit form of c posts: the item as the form shows
// it, with c.set applied.
func (c regEditCase) values(t *testing.T, cur register.Register, base int) url.Values {
	t.Helper()
	s, ok := sectionBySlug(c.section)
	if !ok {
		t.Fatalf("no section %s", c.section)
	}
	v := url.Values{"op": {"add"}, "base": {strconv.Itoa(base)}}
	if s.Doc == "" {
		v = s.encodeItem(reflect.ValueOf(cur))
		v.Set("op", "change")
		v.Set("base", strconv.Itoa(base))
	} else if c.item != "" {
		i := s.index(&cur, c.item)
		if i < 0 {
			t.Fatalf("no %s %s", c.section, c.item)
		}
		v = s.encodeItem(s.list(reflect.ValueOf(&cur)).Index(i))
		v.Set("op", "change")
		v.Set("item", c.item)
		v.Set("base", strconv.Itoa(base))
	}
	for k, vs := range c.set {
		v[k] = vs
	}
	return v
}

func (re *registerEnv) versions(t *testing.T) int {
	t.Helper()
	hist, err := re.env.DB.RegisterHistory(context.Background(), re.gent.ID)
	if err != nil {
		t.Fatal(err)
	}
	return len(hist)
}

// TestClauseREG1_EditFormsSaveNewVersion: every section's edit form — add,
// change — goes through the comparison, and "Opslaan" saves the change as
// the next version, audited as a YAML upload is ("register.save").
func TestClauseREG1_EditFormsSaveNewVersion(t *testing.T) {
	cases := []regEditCase{
		{name: "the DPO contact", section: "general", set: map[string][]string{"dpo_contact": {"https://demo.example/privacy"}},
			check: func(t *testing.T, r register.Register) {
				if r.DPOContact != "https://demo.example/privacy" || r.Subject["fr"] == "" {
					t.Errorf("general: %q %+v", r.DPOContact, r.Subject)
				}
			}},
		{name: "add a purpose", section: "purposes", set: map[string][]string{"name_nl": {"Enquêtes"}, "name_fr": {"Enquêtes"},
			"legal_basis": {"consent"}},
			check: func(t *testing.T, r register.Register) {
				if p, ok := r.Purpose("enquetes"); !ok || p.LegalBasis != "consent" || p.Name["fr"] != "Enquêtes" {
					t.Errorf("purpose: %+v %v", p, ok)
				}
			}},
		{name: "shorten a category's retention", section: "categories", item: "contact",
			set: map[string][]string{"retention_days": {"365"}, "expiry": {"delete"}, "retention_start": {"case_closed"}},
			check: func(t *testing.T, r register.Register) {
				c, _ := r.Category("contact")
				if c.RetentionDays != 365 || c.Expiry != "delete" || c.RetentionStart != register.StartCaseClosed || len(c.Purposes) != 2 {
					t.Errorf("category: %+v", c)
				}
			}},
		{name: "add a data subject", section: "data-subjects", set: map[string][]string{"name_nl": {"Leerlingen"}},
			check: func(t *testing.T, r register.Register) {
				if n := len(r.DataSubjects); n != 4 || r.DataSubjects[3].Key != "leerlingen" {
					t.Errorf("data subjects: %+v", r.DataSubjects)
				}
			}},
		{name: "change a recipient's country, with a mechanism", section: "recipients", item: "services",
			set: map[string][]string{"country": {"ch"}, "transfer_mechanism": {"adequacy_decision"}},
			check: func(t *testing.T, r register.Register) {
				if rc := r.Recipients[0]; rc.Country != "CH" || rc.TransferMechanism != "adequacy_decision" {
					t.Errorf("recipient: %+v", rc)
				}
			}},
		{name: "add a sub-processor", section: "sub-processors", set: map[string][]string{"name": {"Mailservice BV"},
			"head_office": {"Kaai 3, 2000 Antwerpen"}, "country": {"BE"}, "service_nl": {"Verzenden van e-mails"},
			"measures_nl": {"TLS; ISO 27001"}, "endpoints": {"https://mail.example\r\n\r\n"}},
			check: func(t *testing.T, r register.Register) {
				s := r.SubProcessors[len(r.SubProcessors)-1]
				if s.Key != "mailservice-bv" || s.HeadOffice != "Kaai 3, 2000 Antwerpen" || len(s.Endpoints) != 1 {
					t.Errorf("sub-processor: %+v", s)
				}
			}},
		{name: "change an application", section: "applications", item: "survey",
			set: map[string][]string{"categories": {"contact", "address"}, "storage_nl": {"Bij de hostingpartner"}},
			check: func(t *testing.T, r register.Register) {
				a := r.Applications[2]
				if a.Storage["nl"] != "Bij de hostingpartner" || a.Storage["fr"] == "" || len(a.Categories) != 2 {
					t.Errorf("application: %+v", a)
				}
			}},
	}
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		re := newRegisterEnv(t, env, Options{})
		for i, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				cur, err := env.DB.CurrentRegister(context.Background(), re.gent.ID)
				if err != nil {
					t.Fatal(err)
				}
				target := "/gent/admin/register/edit/" + c.section
				if c.item != "" {
					target += "?item=" + c.item
				}
				if resp, _ := re.get(t, target, re.admin); resp.StatusCode != http.StatusOK {
					t.Fatalf("form: %d", resp.StatusCode)
				}
				v := c.values(t, cur.Register, cur.Version)
				v.Set("step", "preview")
				resp, body := re.submit(t, "/gent/admin/register/edit/"+c.section, re.admin, v)
				if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Kijk de wijzigingen na") {
					t.Fatalf("preview: %d", resp.StatusCode)
				}
				if re.versions(t) != i+1 {
					t.Fatal("the preview saved")
				}
				before := auditActions(t, env, re.gent.ID)["register.save"]
				v.Set("step", "save")
				resp, _ = re.submit(t, "/gent/admin/register/edit/"+c.section, re.admin, v)
				wantRedirect(t, "save", resp, "/gent/admin/register?saved="+strconv.Itoa(i+2))
				if got := auditActions(t, env, re.gent.ID)["register.save"]; got != before+1 {
					t.Errorf("register.save events: %d, want %d", got, before+1)
				}
				saved, err := env.DB.CurrentRegister(context.Background(), re.gent.ID)
				if err != nil || saved.Version != i+2 || saved.CreatedBy != "user:"+re.adminUser.ID {
					t.Fatalf("saved: v%d by %s, %v", saved.Version, saved.CreatedBy, err)
				}
				c.check(t, saved.Register)
				if ch := register.Diff(cur.Register, saved.Register); len(ch) != 1 {
					t.Errorf("the save changed %d items, want 1: %+v", len(ch), ch)
				}
			})
		}
	})
}

// TestClauseREG1_EditFormBrokenRuleSavesNothing: a change that breaks a
// register rule is refused with 422 at the input it concerns, in the
// reader's language, from the preview and from the save alike; nothing is
// saved.
func TestClauseREG1_EditFormBrokenRuleSavesNothing(t *testing.T) {
	cases := []regEditCase{
		{name: "no duration", section: "general", set: map[string][]string{"duration_nl": {""}}, wantInput: "duration_nl"},
		{name: "a DPO contact that is a person's name", section: "general", set: map[string][]string{"dpo_contact": {"Jan Peeters"}},
			wantInput: "dpo_contact"},
		{name: "public task without its law", section: "purposes", item: "social-support",
			set:       map[string][]string{"legal_basis": {"public_task"}, "legal_reference_nl": {""}, "legal_reference_fr": {""}, "legal_reference_en": {""}},
			wantInput: "legal_reference_nl"},
		{name: "purpose without a name", section: "purposes", set: map[string][]string{"legal_basis": {"consent"}}, wantInput: "name_nl"},
		{name: "no retention", section: "categories", item: "contact", set: map[string][]string{"retention_days": {"0"}},
			wantInput: "retention_days"},
		{name: "retention that is no number", section: "categories", item: "contact", set: map[string][]string{"retention_days": {"twee jaar"}},
			wantInput: "retention_days"},
		{name: "a special class without an art. 9 exception", section: "categories", item: "contact",
			set: map[string][]string{"class": {"4.02"}}, wantInput: "purposes"},
		{name: "no class", section: "categories", item: "contact", set: map[string][]string{"class": {""}}, wantInput: "class"},
		{name: "data subject without a name", section: "data-subjects", item: "staff",
			set: map[string][]string{"name_nl": {""}}, wantInput: "name_nl"},
		{name: "outside the EEA without a mechanism", section: "recipients", item: "case-system",
			set: map[string][]string{"country": {"US"}}, wantInput: "transfer_mechanism"},
		{name: "an endpoint that is not https", section: "recipients", item: "case-system",
			set: map[string][]string{"endpoints": {"http://zaken.demo.example"}}, wantInput: "endpoints"},
		{name: "sub-processor without head office", section: "sub-processors", item: "hosting",
			set: map[string][]string{"head_office": {" "}}, wantInput: "head_office"},
		{name: "application without data", section: "applications", item: "statistics",
			set: map[string][]string{"categories": nil}, wantInput: "categories"},
	}
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		re := newRegisterEnv(t, env, Options{})
		cur, err := env.DB.CurrentRegister(context.Background(), re.gent.ID)
		if err != nil {
			t.Fatal(err)
		}
		before := auditActions(t, env, re.gent.ID)["register.save"]
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				for _, lang := range []locale.Lang{locale.NL, locale.FR} {
					for _, step := range []string{"preview", "save"} {
						v := c.values(t, cur.Register, cur.Version)
						v.Set("step", step)
						resp, body := re.submit(t, "/gent/admin/register/edit/"+c.section+"?lang="+string(lang), re.admin, v)
						if resp.StatusCode != http.StatusUnprocessableEntity {
							t.Fatalf("%s %s: %d, want 422", lang, step, resp.StatusCode)
						}
						wantAll(t, string(lang)+" "+step, body, locale.T(lang, "form.error_summary"), `<a href="#`+c.wantInput+`">`,
							`id="`+c.wantInput+`-error"`)
						if strings.Contains(body, "register.problem.") || strings.Contains(body, "regedit.") {
							t.Errorf("%s: a message key is shown", lang)
						}
					}
				}
			})
		}
		// Removing a purpose that categories still use names them.
		v := url.Values{"op": {"remove"}, "item": {"social-support"}, "base": {"1"}, "step": {"preview"}}
		resp, body := re.submit(t, "/gent/admin/register/edit/purposes", re.admin, v)
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("remove a used purpose: %d", resp.StatusCode)
		}
		wantAll(t, "remove a used purpose", body, `<a href="#register-other">`,
			escaped("Bij gegevenscategorie «Inkomensgegevens en gezinssamenstelling»: doel «Aanvragen van sociale tegemoetkomingen» staat niet meer in het register"),
			`value="Aanvragen van sociale tegemoetkomingen"`, `<a href="/gent/admin/register/edit/categories?item=income">`)
		if n := re.versions(t); n != 1 {
			t.Errorf("%d versions after refused changes, want 1", n)
		}
		if got := auditActions(t, env, re.gent.ID)["register.save"]; got != before {
			t.Errorf("register.save events: %d, want %d", got, before)
		}
	})
}

// TestClauseREG2_EditPreviewShowsWhatItAffects: the comparison says what
// changes in sentences (no codes) and what it affects: the published forms
// that use a changed category, which forms' data a new retention applies
// to, and the webhooks that stop receiving. "Terug" brings the form back as
// typed; a version saved in between is a conflict (409), nothing saved.
func TestClauseREG2_EditPreviewShowsWhatItAffects(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		re := newRegisterEnv(t, env, Options{})
		ctx := context.Background()
		op := audit.Actor{Kind: audit.KindOperator, ID: "op"}
		for _, f := range form.DemoForms() {
			d, err := env.DB.SaveFormDraft(ctx, op, re.gent.ID, f)
			if err != nil {
				t.Fatal(err)
			}
			if err := env.DB.ApproveNotice(ctx, op, re.gent.ID, f.Key, d.Version, store.NoticeDigest(form.NoticeFor(f, register.Demo()).JSON())); err != nil {
				t.Fatal(err)
			}
			if _, err := env.DB.PublishForm(ctx, op, re.gent.ID, f.Key, d.Version); err != nil {
				t.Fatal(err)
			}
		}
		if _, _, err := env.DB.CreateWebhook(ctx, op, re.gent.ID, store.NewWebhook{URL: "https://zaken.demo.example/kluis",
			Events: webhook.Events}); err != nil {
			t.Fatal(err)
		}
		cur, _ := env.DB.CurrentRegister(ctx, re.gent.ID)

		c := regEditCase{section: "categories", item: "contact", set: map[string][]string{"retention_days": {"365"}, "expiry": {"delete"}}}
		v := c.values(t, cur.Register, 1)
		v.Set("step", "preview")
		resp, body := re.submit(t, "/gent/admin/register/edit/categories", re.admin, v)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("preview: %d", resp.StatusCode)
		}
		wantAll(t, "the comparison", body, escaped("Gewijzigd: gegevenscategorie «Contactgegevens: naam, e-mail, telefoon»"),
			escaped("Bewaartermijn in dagen: 730 dagen → 365 dagen"), escaped("Na de bewaartermijn: anonimiseren → wissen"),
			escaped("De bewaartermijn van «Contactgegevens: naam, e-mail, telefoon» wordt korter: van 730 naar 365 dagen."),
			escaped("Dit geldt voor de gegevens van: Parkeervergunning voor bewoners, Aanvraag sociale toelage, Vraag of melding."), escaped("«Vraag of melding» vraagt «Contactgegevens"),
			`name="retention_days" value="365"`, `value="save"`, `value="back"`)
		if strings.Contains(body, "Webhooks") {
			t.Error("a retention change stops a webhook")
		}
		for _, code := range []string{">anonymise", ">delete", "retention_days:", "contact»"} {
			if strings.Contains(body, code) {
				t.Errorf("the comparison shows the code %q", code)
			}
		}
		// In French too.
		_, body = re.submit(t, "/gent/admin/register/edit/categories?lang=fr", re.admin, v)
		wantAll(t, "the French comparison", body, escaped("Délai de conservation en jours : 730 jours → 365 jours"),
			escaped("Après le délai de conservation : anonymiser → effacer"))

		// Back: the form as it was typed.
		v.Set("step", "back")
		resp, body = re.submit(t, "/gent/admin/register/edit/categories", re.admin, v)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, `id="retention_days" name="retention_days" value="365"`) {
			t.Fatalf("back: %d", resp.StatusCode)
		}

		// The language switch posts the page's form: the same page, in
		// French, with what it holds.
		v.Del("step")
		v.Set("switch_lang", "fr")
		resp, body = re.submit(t, "/gent/admin/register/edit/categories?lang=fr", re.admin, v)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Délai de conservation en jours") ||
			!strings.Contains(body, `id="retention_days" name="retention_days" value="365"`) {
			t.Fatalf("switching the form's language: %d", resp.StatusCode)
		}
		v.Set("shown", "preview")
		_, body = re.submit(t, "/gent/admin/register/edit/categories?lang=fr", re.admin, v)
		wantAll(t, "switching the comparison's language", body, escaped("Délai de conservation en jours : 730 jours → 365 jours"))
		v.Del("switch_lang")
		v.Del("shown")

		// Taking the case system's endpoint away stops the webhook.
		hook := regEditCase{section: "recipients", item: "case-system", set: map[string][]string{"endpoints": {""}}}
		hv := hook.values(t, cur.Register, 1)
		hv.Set("step", "preview")
		_, body = re.submit(t, "/gent/admin/register/edit/recipients", re.admin, hv)
		wantAll(t, "the webhook impact", body, "Webhooks", escaped("https://zaken.demo.example (geregistreerd onder «Het zaaksysteem van Gemeente Demo»)"),
			escaped("Adressen waar gegevens naartoe mogen (webhooks): https://zaken.demo.example weggehaald"))

		// No change: the comparison says so and offers no save; a save
		// anyway saves nothing.
		same := regEditCase{section: "data-subjects", item: "staff"}.values(t, cur.Register, 1)
		for _, step := range []string{"preview", "save"} {
			same.Set("step", step)
			resp, body := re.submit(t, "/gent/admin/register/edit/data-subjects", re.admin, same)
			if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Er is geen verschil.") || strings.Contains(body, `value="save"`) {
				t.Errorf("no change, %s: %d", step, resp.StatusCode)
			}
		}
		if n := re.versions(t); n != 1 {
			t.Errorf("%d versions after saving no change, want 1", n)
		}

		// Someone else saves in between: the save is refused.
		if _, err := env.DB.SaveRegister(ctx, op, re.gent.ID, register.Demo()); err != nil {
			t.Fatal(err)
		}
		v.Set("step", "save")
		resp, body = re.submit(t, "/gent/admin/register/edit/categories", re.admin, v)
		if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "nu versie 2") || !strings.Contains(body, `name="base" value="2"`) {
			t.Fatalf("save over a newer version: %d", resp.StatusCode)
		}
		if n := re.versions(t); n != 2 {
			t.Errorf("%d versions, want 2", n)
		}
	})
}

// TestClauseREG1_CompareVersions: any two saved versions compare in
// sentences; a version that does not exist is refused at its input.
func TestClauseREG1_CompareVersions(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		re := newRegisterEnv(t, env, Options{})
		_, body := re.get(t, "/gent/admin/register/compare", re.user)
		wantAll(t, "one version", body, "Er is nog maar één versie")
		changed := register.Demo()
		changed.SubProcessors = changed.SubProcessors[:1]
		changed.Categories[0].Class = "3.00"
		if _, err := env.DB.SaveRegister(context.Background(), audit.Actor{Kind: audit.KindOperator, ID: "op"}, re.gent.ID, changed); err != nil {
			t.Fatal(err)
		}
		for _, lang := range []locale.Lang{locale.NL, locale.FR} {
			resp, body := re.get(t, "/gent/admin/register/compare?from=1&to=2&lang="+string(lang), re.dpo)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("compare: %d", resp.StatusCode)
			}
			want := map[locale.Lang][]string{
				locale.NL: {"Verwijderd: subverwerker «Voorbeeld Backup BV»", "Informatieklasse: 3.01 Identificatiegegevens → 3.00 Persoonlijke contactgegevens"},
				locale.FR: {"Suppression : le sous-traitant ultérieur « Voorbeeld Backup BV »",
					"Classe d'information : 3.01 Données d'identification → 3.00 Coordonnées personnelles"},
			}[lang]
			for _, w := range want {
				wantAll(t, "compare "+string(lang), body, escaped(w))
			}
		}
		// The other way round, and the page's own link from the register.
		_, body = re.get(t, "/gent/admin/register/compare?from=2&to=1", re.admin)
		wantAll(t, "reverse", body, escaped("Toegevoegd: subverwerker «Voorbeeld Backup BV»"))
		_, body = re.get(t, "/gent/admin/register", re.user)
		wantAll(t, "the register page", body, `href="/gent/admin/register/compare"`)
		resp, body := re.get(t, "/gent/admin/register/compare?from=9&to=x", re.admin)
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("unknown versions: %d", resp.StatusCode)
		}
		wantAll(t, "unknown versions", body, `<a href="#from">`, `<a href="#to">`)
	})
}

// confirmUpload posts the comparison page of an upload (body) as its
// "Opslaan" button does: the document and the version it was compared with.
func (re *registerEnv) confirmUpload(t *testing.T, target, cookie, body string) (*http.Response, string) {
	t.Helper()
	field := func(name string) string {
		m := regexp.MustCompile(`name="` + name + `" value="([^"]*)"`).FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("the comparison page has no %s", name)
		}
		return html.UnescapeString(m[1])
	}
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	mw.WriteField("base", field("base"))
	mw.WriteField("document", field("document"))
	mw.Close()
	resp := request{method: http.MethodPost, target: target, body: b.String(),
		header: map[string]string{"Content-Type": mw.FormDataContentType(), "Cookie": cookie}}.do(t, re.app.Handler())
	return resp, bodyOf(t, resp)
}

// TestClauseREG1_UploadGoesThroughComparison: a valid YAML upload is not
// saved at once: the comparison shows what it changes and what it
// affects; "Opslaan" saves it, audited; a document tampered with on the
// way is checked again (422) and one compared with an older version is
// refused (409); nothing is saved then.
func TestClauseREG1_UploadGoesThroughComparison(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		re := newRegisterEnv(t, env, Options{})
		changed := register.Demo()
		changed.Categories[5].RetentionDays = 365
		changed.SubProcessors = changed.SubProcessors[:1]
		resp, body := re.upload(t, "/gent/admin/register", re.admin, "register.yaml", changed.MarshalYAMLDocument())
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("upload: %d", resp.StatusCode)
		}
		wantAll(t, "the upload's comparison", body, "Kijk de wijzigingen na", escaped("Bewaartermijn in dagen: 730 dagen → 365 dagen"),
			escaped("Verwijderd: subverwerker «Voorbeeld Backup BV»"), escaped("wordt korter: van 730 naar 365 dagen"),
			`enctype="multipart/form-data"`, `href="/gent/admin/register#upload"`)
		if n := re.versions(t); n != 1 {
			t.Fatalf("the upload saved before the comparison: %d versions", n)
		}
		// Tampered with: every rule is checked again.
		tampered := strings.Replace(body, `&#34;retention_days&#34;:365`, `&#34;retention_days&#34;:0`, 1)
		if tampered == body {
			t.Fatal("the comparison page does not carry the retention")
		}
		if resp, _ := re.confirmUpload(t, "/gent/admin/register/save", re.admin, tampered); resp.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("a tampered document: %d, want 422", resp.StatusCode)
		}
		if resp, _ := re.confirmUpload(t, "/gent/admin/register/save", re.user, body); resp.StatusCode != http.StatusForbidden {
			t.Errorf("a user's save: %d, want 403", resp.StatusCode)
		}
		before := auditActions(t, env, re.gent.ID)["register.save"]
		resp, _ = re.confirmUpload(t, "/gent/admin/register/save", re.admin, body)
		wantRedirect(t, "save", resp, "/gent/admin/register?saved=2")
		if got := auditActions(t, env, re.gent.ID)["register.save"]; got != before+1 {
			t.Errorf("register.save events: %d, want %d", got, before+1)
		}
		cur, _ := env.DB.CurrentRegister(context.Background(), re.gent.ID)
		if len(register.Diff(changed, cur.Register)) != 0 || cur.CreatedBy != "user:"+re.adminUser.ID {
			t.Errorf("saved: %+v by %s", register.Diff(changed, cur.Register), cur.CreatedBy)
		}
		// The same comparison again: compared with version 1, now stale.
		resp, body = re.confirmUpload(t, "/gent/admin/register/save", re.admin, body)
		if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "nu versie 2") {
			t.Errorf("a stale comparison: %d", resp.StatusCode)
		}
		if n := re.versions(t); n != 2 {
			t.Errorf("%d versions, want 2", n)
		}
	})
}
