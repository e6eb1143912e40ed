package web

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"text/template"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/locale"
	"github.com/kluis/kluis/internal/pdftest"
	"github.com/kluis/kluis/internal/register"
	"github.com/kluis/kluis/internal/storetest"
)

// upload posts doc as the register page's file upload.
func (le *loginEnv) upload(t *testing.T, target, cookie, filename string, doc []byte) (*http.Response, string) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreateFormFile(registerFileField, filename)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(doc)
	mw.Close()
	resp := request{method: http.MethodPost, target: target, body: body.String(),
		header: map[string]string{"Content-Type": mw.FormDataContentType(), "Cookie": cookie}}.do(t, le.app.Handler())
	return resp, bodyOf(t, resp)
}

// registerEnv is gent with the demo register as version 1, saved by the
// supplier, and an admin, a user and a DPO signed in.
type registerEnv struct {
	*loginEnv
	admin, user, dpo string // Cookie headers
	adminUser        account.User
}

func newRegisterEnv(t *testing.T, env *storetest.Env, opts Options) *registerEnv {
	t.Helper()
	le := newLoginEnv(t, env, opts)
	if _, err := env.DB.SaveRegister(context.Background(), audit.Actor{Kind: audit.KindOperator, ID: "op"}, le.gent.ID,
		register.Demo()); err != nil {
		t.Fatal(err)
	}
	re := &registerEnv{loginEnv: le}
	re.adminUser, re.admin = le.signIn(t, "admin@gent.be", account.RoleAdmin)
	_, re.user = le.signIn(t, "user@gent.be", account.RoleUser)
	_, re.dpo = le.signIn(t, "dpo@gent.be", account.RoleDPO)
	return re
}

func (re *registerEnv) get(t *testing.T, target, cookie string) (*http.Response, string) {
	t.Helper()
	return re.loginEnv.get(t, target, map[string]string{"Cookie": cookie})
}

// escaped is s as html/template writes it in text.
func escaped(s string) string { return template.HTMLEscapeString(s) }

func wantAll(t *testing.T, what, body string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("%s lacks %q", what, w)
		}
	}
}

// TestClauseREG1_UploadWithBrokenRulesSavesNothing: a register document
// that breaks rules is refused with 422, every problem is named (path and
// sentence, in the reader's language) and nothing is saved.
func TestClauseREG1_UploadWithBrokenRulesSavesNothing(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		re := newRegisterEnv(t, env, Options{})
		broken := register.Demo()
		broken.Categories[0].RetentionDays = 0
		broken.Categories[1].Class = "9.99"
		broken.Categories[2].Purposes = []string{"nowhere"}
		broken.SubProcessors[1].Country = "US"
		broken.Applications[0].Storage = nil
		problems := broken.Validate()
		if len(problems) < 5 {
			t.Fatalf("the broken register has only %d problems: %v", len(problems), problems)
		}
		before := auditActions(t, env, re.gent.ID)["register.save"]

		for _, lang := range []locale.Lang{locale.NL, locale.FR} {
			resp, body := re.upload(t, "/gent/admin/register?lang="+string(lang), re.admin, "register.yaml", broken.MarshalYAMLDocument())
			if resp.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("%s: status %d, want 422", lang, resp.StatusCode)
			}
			for _, p := range problems {
				msg := p.Message(func(key string, args ...any) string { return locale.T(lang, key, args...) })
				wantAll(t, "the error summary ("+string(lang)+")", body, `<a href="#register-file">`+escaped(msg)+`</a>`)
			}
			if n := strings.Count(body, `<a href="#register-file">`); n != len(problems) {
				t.Errorf("%s: the summary lists %d problems, want %d", lang, n, len(problems))
			}
			wantAll(t, "the file field", body, `aria-invalid="true"`, locale.T(lang, "register.error.problems", len(problems)))
		}
		// YAML errors name the line in the reader's language; unknown fields
		// are problems too.
		for name, doc := range map[string]string{
			"syntax":        "subject:\n  nl: [unclosed\n",
			"unknown field": "subject:\n  nl: Onderwerp\ncolour: blue\n",
			"empty":         "",
		} {
			resp, body := re.upload(t, "/gent/admin/register", re.admin, "register.yaml", []byte(doc))
			if resp.StatusCode != http.StatusUnprocessableEntity {
				t.Errorf("%s: status %d, want 422", name, resp.StatusCode)
			}
			if name != "empty" && !strings.Contains(body, ">regel ") {
				t.Errorf("%s: the problem does not name the line in Dutch", name)
			}
		}
		// No file chosen: the browser sends an empty part.
		resp, body := re.upload(t, "/gent/admin/register", re.admin, "", nil)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Kies een YAML-bestand") {
			t.Errorf("no file: %d", resp.StatusCode)
		}

		hist, err := env.DB.RegisterHistory(context.Background(), re.gent.ID)
		if err != nil || len(hist) != 1 {
			t.Fatalf("history after refused uploads: %d versions, %v; want 1", len(hist), err)
		}
		if got := auditActions(t, env, re.gent.ID)["register.save"]; got != before {
			t.Errorf("register.save events: %d, want %d", got, before)
		}
	})
}

// TestClauseREG1_UploadSavesNewVersion: a valid document becomes the next
// version, audited; earlier versions stay readable and downloadable, marked
// as not current.
func TestClauseREG1_UploadSavesNewVersion(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		re := newRegisterEnv(t, env, Options{})
		// Round trip: the download of version 1 is what admins edit.
		resp, v1yaml := re.get(t, "/gent/admin/register.yaml", re.user)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Disposition") != `attachment; filename=register-gent-v1.yaml` ||
			!strings.HasPrefix(resp.Header.Get("Content-Type"), "application/yaml") {
			t.Fatalf("download: %d %q %q", resp.StatusCode, resp.Header.Get("Content-Disposition"), resp.Header.Get("Content-Type"))
		}
		edited := strings.Replace(v1yaml, "Looptijd van de hoofdovereenkomst", "Tot 31 december 2030", 1)
		if edited == v1yaml {
			t.Fatal("the download lacks the duration")
		}
		before := auditActions(t, env, re.gent.ID)["register.save"]
		resp, body := re.upload(t, "/gent/admin/register", re.admin, "register-gent-v1.yaml", []byte(edited))
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Tot 31 december 2030") {
			t.Fatalf("valid upload: %d, want the comparison", resp.StatusCode)
		}
		resp, _ = re.confirmUpload(t, "/gent/admin/register/save", re.admin, body)
		wantRedirect(t, "valid upload", resp, "/gent/admin/register?saved=2")
		if got := auditActions(t, env, re.gent.ID)["register.save"]; got != before+1 {
			t.Errorf("register.save events: %d, want %d", got, before+1)
		}
		cur, err := env.DB.CurrentRegister(context.Background(), re.gent.ID)
		if err != nil || cur.Version != 2 || cur.Register.Duration["nl"] != "Tot 31 december 2030" ||
			cur.CreatedBy != "user:"+re.adminUser.ID {
			t.Fatalf("current register: v%d %q by %s, %v", cur.Version, cur.Register.Duration["nl"], cur.CreatedBy, err)
		}

		_, body = re.get(t, "/gent/admin/register?saved=2", re.admin)
		wantAll(t, "the page after saving", body, "opgeslagen als versie 2", "Tot 31 december 2030",
			// The admin may see users: the saver by name.
			"Huidige versie: versie 2", "door Naam admin@gent.be", `href="/gent/admin/register?version=1"`,
			`href="/gent/admin/register.yaml?version=2"`, "huidige versie")
		// A user may not see the tenant's users: a pseudonym.
		_, body = re.get(t, "/gent/admin/register", re.user)
		wantAll(t, "the user's page", body, "medewerker "+account.Pseudonym(re.adminUser.ID), "de leverancier")
		if strings.Contains(body, "Naam admin@gent.be") || strings.Contains(body, `id="register-file"`) {
			t.Error("a user sees the saver's name or the upload form")
		}

		// The earlier version, clearly not current.
		resp, body = re.get(t, "/gent/admin/register?version=1", re.dpo)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("version 1: %d", resp.StatusCode)
		}
		wantAll(t, "version 1", body, "U bekijkt versie 1", "Dit is niet de huidige versie", "Looptijd van de hoofdovereenkomst",
			`<a href="/gent/admin/register">Naar de huidige versie (versie 2)</a>`, "<title>Verwerkingsregister – Versie 1")
		_, body = re.get(t, "/gent/admin/register/annex?version=1", re.dpo)
		wantAll(t, "annex of version 1", body, "niet de huidige versie van het register (versie 2)", "Looptijd van de hoofdovereenkomst")
		resp, old := re.get(t, "/gent/admin/register.yaml?version=1", re.dpo)
		if resp.Header.Get("Content-Disposition") != `attachment; filename=register-gent-v1.yaml` || old != v1yaml {
			t.Errorf("download of version 1 changed: %q", resp.Header.Get("Content-Disposition"))
		}
		for _, target := range []string{"/gent/admin/register?version=3", "/gent/admin/register?version=x", "/gent/admin/register?version=0",
			"/gent/admin/register.yaml?version=9", "/gent/admin/register/annex?version=9", "/gent/admin/register/annex.pdf?version=-1"} {
			if resp, _ := re.get(t, target, re.admin); resp.StatusCode != http.StatusNotFound {
				t.Errorf("%s: %d, want 404", target, resp.StatusCode)
			}
		}
	})
}

// TestRegisterUploadRefusals: a form instead of a file is 415, a file over
// register.MaxYAML 413 (whether the body limit or the handler catches it),
// a user may not upload; nothing is saved.
func TestRegisterUploadRefusals(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		re := newRegisterEnv(t, env, Options{BodyLimit: 4 << 20})
		resp, _ := re.submit(t, "/gent/admin/register", re.admin, nil)
		if resp.StatusCode != http.StatusUnsupportedMediaType {
			t.Errorf("form post: %d, want 415", resp.StatusCode)
		}
		big := append([]byte("# "), bytes.Repeat([]byte("a"), register.MaxYAML)...)
		if resp, _ := re.upload(t, "/gent/admin/register", re.admin, "big.yaml", big); resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("file over MaxYAML: %d, want 413", resp.StatusCode)
		}
		if resp, _ := re.upload(t, "/gent/admin/register", re.user, "r.yaml", register.Demo().MarshalYAMLDocument()); resp.StatusCode != http.StatusForbidden {
			t.Errorf("a user's upload: %d, want 403", resp.StatusCode)
		}
		// With the default body limit, the request itself is too large.
		small := *re.loginEnv
		small.app, _ = newTestApp(t, Options{Store: env.DB, Hasher: re.hasher})
		if resp, _ := small.upload(t, "/gent/admin/register", re.admin, "big.yaml", big); resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("body over the limit: %d, want 413", resp.StatusCode)
		}
		if hist, _ := env.DB.RegisterHistory(context.Background(), re.gent.ID); len(hist) != 1 {
			t.Errorf("%d versions, want 1", len(hist))
		}
	})
}

// TestRegisterPagesStayInTenant: without a session the register pages send
// to the tenant's login; another tenant's admin is as anonymous; a tenant
// without a register says so, and its admin uploads the first version.
func TestRegisterPagesStayInTenant(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		re := newRegisterEnv(t, env, Options{})
		for _, target := range []string{"/gent/admin/register", "/gent/admin/register.yaml", "/gent/admin/register/annex",
			"/gent/admin/register/annex.pdf"} {
			resp, _ := re.get(t, target, "")
			if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/gent/login?next=") {
				t.Errorf("anonymous %s: %d %q", target, resp.StatusCode, resp.Header.Get("Location"))
			}
		}
		// brugge's admin: sent to gent's login, and brugge's own pages show
		// brugge's (empty) register, never gent's.
		var bruggeAdmin string
		{
			le := re.loginEnv
			gent := le.gent
			le.gent = le.brugge
			_, bruggeAdmin = le.signIn(t, "admin@brugge.be", account.RoleAdmin)
			le.gent = gent
		}
		resp, _ := re.get(t, "/gent/admin/register", bruggeAdmin)
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/gent/login") {
			t.Errorf("brugge's admin on gent's register: %d %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		resp, body := re.get(t, "/brugge/admin/register", bruggeAdmin)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Er is nog geen verwerkingsregister") ||
			strings.Contains(body, "Gemeente Demo") {
			t.Errorf("brugge's register page: %d", resp.StatusCode)
		}
		_, body = re.get(t, "/brugge/admin/register/annex", bruggeAdmin)
		wantAll(t, "brugge's annex", body, "er is nog geen bijlage 1")
		for _, target := range []string{"/brugge/admin/register.yaml", "/brugge/admin/register/annex.pdf"} {
			if resp, _ := re.get(t, target, bruggeAdmin); resp.StatusCode != http.StatusNotFound {
				t.Errorf("%s without a register: %d, want 404", target, resp.StatusCode)
			}
		}
		_, body = re.upload(t, "/brugge/admin/register", bruggeAdmin, "r.yaml", register.Demo().MarshalYAMLDocument())
		wantAll(t, "brugge's first comparison", body, "dit wordt de eerste versie", escaped("Toegevoegd: doel «Toegang tot de website voor medewerkers»"))
		resp, _ = re.confirmUpload(t, "/brugge/admin/register/save", bruggeAdmin, body)
		wantRedirect(t, "brugge's first register", resp, "/brugge/admin/register?saved=1")
		if hist, _ := env.DB.RegisterHistory(context.Background(), re.gent.ID); len(hist) != 1 {
			t.Errorf("gent has %d versions after brugge's upload, want 1", len(hist))
		}
		// The signed-in hub links the register for everyone who reads it.
		for _, c := range []string{re.user, re.dpo, re.admin} {
			if _, body := re.get(t, "/gent/signed-in", c); !strings.Contains(body, `href="/gent/admin/register"`) {
				t.Error("the signed-in page does not link the register")
			}
		}
	})
}

// annexPDFText downloads the annex PDF and reads it back with pdftotext.
func (re *registerEnv) annexPDFText(t *testing.T, target string) string {
	t.Helper()
	resp := request{target: target, header: map[string]string{"Cookie": re.user}}.do(t, re.app.Handler())
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/pdf" ||
		!strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment; filename=") || !bytes.HasPrefix(b, []byte("%PDF-")) {
		t.Fatalf("%s: %d %q %q", target, resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition"))
	}
	return strings.Join(pdftest.Text(t, b), "\n")
}

// TestClauseREG6_ApplicationsInAnnex: the software applications, with the
// data they hold, where it is stored, how it is transferred and how access
// works, are in annex 1 as HTML and as PDF, in the reader's language.
func TestClauseREG6_ApplicationsInAnnex(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		re := newRegisterEnv(t, env, Options{})
		resp, body := re.get(t, "/gent/admin/register/annex?lang=fr", re.user)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Language") != "fr-BE" {
			t.Fatalf("annex in French: %d %q", resp.StatusCode, resp.Header.Get("Content-Language"))
		}
		wantAll(t, "the annex page", body, `<body class="wide-page">`, "Applications logicielles", "<th scope=\"row\">Kluis e-loket</th>",
			"Enquêtetool (zelf gehost)", `lang="fr-BE">Uniquement via HTTPS (TLS 1.2 ou plus)`,
			`<li lang="fr-BE">Numéro de registre national ou numéro BIS</li>`, "Lieu de stockage", "Mode de transfert", "Mode d’accès",
			escaped("numéro d’entreprise 0207.451.227"), `href="/gent/admin/register/annex.pdf?version=1&amp;lang=fr"`)
		text := re.annexPDFText(t, "/gent/admin/register/annex.pdf?lang=fr")
		wantAll(t, "the annex PDF", text, "Applications logicielles", "Kluis e-loket", "Enquêtetool (zelf gehost)",
			"Uniquement le service communication", "Numéro de registre national ou numéro BIS", "Mode d’accès",
			"Annexe 1 – Registre des traitements – Stad gent", "version 1", "page 1 sur ")
	})
}

// TestClauseSUB1_SubProcessorTable: the agreed sub-processors in annex 1
// with head office, processing country, whether that is in the EEA and the
// transfer mechanism when it is not.
func TestClauseSUB1_SubProcessorTable(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		re := newRegisterEnv(t, env, Options{})
		reg := register.Demo()
		reg.SubProcessors = append(reg.SubProcessors, register.SubProcessor{Key: "mail", Name: "Voorbeeld Mail Inc.",
			HeadOffice: "1 Example Street, Boston", Country: "US", TransferMechanism: "standard_contractual_clauses",
			Service: register.Text{"nl": "Verzenden van e-mail"}, Measures: register.Text{"nl": "Versleuteld transport"}})
		if _, err := env.DB.SaveRegister(context.Background(), audit.Actor{Kind: audit.KindOperator, ID: "op"}, re.gent.ID, reg); err != nil {
			t.Fatal(err)
		}
		_, body := re.get(t, "/gent/admin/register/annex", re.dpo)
		wantAll(t, "the annex page", body, "Subverwerkers", "<th scope=\"row\">Voorbeeld Mail Inc.</th>",
			`data-label="Land van verwerking">US</td>`, `data-label="EER">nee</td>`,
			`data-label="Doorgiftemechanisme">modelcontractbepalingen (art. 46.2.c AVG)</td>`,
			`data-label="Land van verwerking">NL</td>`, `data-label="EER">ja</td>`, "Voorbeeldweg 2, 1011 Amsterdam")
		text := re.annexPDFText(t, "/gent/admin/register/annex.pdf")
		wantAll(t, "the annex PDF", text, "Subverwerkers", "Voorbeeld Mail Inc.", "Boston", "US", "nee",
			"modelcontractbepalingen", "Voorbeeld Backup BV", "Doorgiftemechanisme", "versie 2")
	})
}

// TestClauseREG7_ClassLabelsShown: every category carries its information
// class, with the contract's Dutch label marked as Dutch on a French page.
func TestClauseREG7_ClassLabelsShown(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		re := newRegisterEnv(t, env, Options{})
		for _, target := range []string{"/gent/admin/register/annex?lang=fr", "/gent/admin/register?lang=fr"} {
			_, body := re.get(t, target, re.user)
			wantAll(t, target, body, `<span class="class-number">3.08</span> <span lang="nl-BE">Rijksregisternummer / identificatienummer van de sociale zekerheid</span>`,
				`<span class="class-number">4.00</span> <span lang="nl-BE">Financiële en fiscale gegevens</span>`,
				`<span lang="nl-BE">Publiek</span>`, "Classe d’information")
		}
		text := re.annexPDFText(t, "/gent/admin/register/annex.pdf?lang=en")
		wantAll(t, "the annex PDF", text, "Information class", "3.08 Rijksregisternummer", "4.00 Financiële en fiscale",
			"3.01 Identificatiegegevens", "1.00 Publiek")
	})
}
