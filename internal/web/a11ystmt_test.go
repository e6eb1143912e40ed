package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/accessibility"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/storetest"
)

// TestAccessibilityStatement_EditorPublishesCitizenReads: before a publish
// the public page says there is none, and every public page of the tenant
// links it from its footer; publishing without a contact, a bad contact and
// an exception without description or ground are refused (422) field by
// field with the error summary linking each field and nothing saved; the
// editor saves the contact (the Vlaamse Ombudsdienst proposed), publishes
// (fully compliant after a clean audit), adds an exception and publishes
// again (partially compliant); the public page shows the latest in nl and
// fr, and version 1 stays readable as it was.
func TestAccessibilityStatement_EditorPublishesCitizenReads(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fe := newFormsEnv(t, env)
		_, pub := fe.get(t, "/gent/toegankelijkheid", "")
		if !strings.Contains(pub, "nog geen toegankelijkheidsverklaring gepubliceerd") || !strings.Contains(pub, `href="/gent/toegankelijkheid"`) {
			t.Fatalf("before a publish:\n%s", pub)
		}
		_, admin := fe.get(t, "/gent/admin/site/accessibility", fe.admin)
		if !strings.Contains(admin, "Vlaamse Ombudsdienst") || !strings.Contains(admin, "niet in overeenstemming") {
			t.Fatalf("the staff page lacks the proposed route or the status:\n%s", admin)
		}
		page := fe.post(t, "/gent/admin/site/accessibility/publish", url.Values{"x": {"1"}}, http.StatusUnprocessableEntity)
		if !strings.Contains(page, `href="#email"`) || !strings.Contains(page, "Sla eerst een e-mailadres") {
			t.Fatalf("publish without a contact:\n%s", page)
		}
		page = fe.post(t, "/gent/admin/site/accessibility/contact", url.Values{"email": {"geen adres"}, "phone": {"12"}, "complaint-nl": {" "}}, http.StatusUnprocessableEntity)
		for _, want := range []string{`href="#email"`, `href="#phone"`, `href="#complaint-nl"`, `aria-describedby="email-hint email-error"`, `value="geen adres"`} {
			if !strings.Contains(page, want) {
				t.Fatalf("bad contact lacks %s:\n%s", want, page)
			}
		}
		page = fe.post(t, "/gent/admin/site/accessibility/exceptions", url.Values{"description-fr": {"Des PDF"}, "planned-fix": {"31/12"}}, http.StatusUnprocessableEntity)
		for _, want := range []string{`href="#description-nl"`, `href="#ground"`, `href="#planned-fix"`, "Des PDF", "dd.mm.jjjj"} {
			if !strings.Contains(page, want) {
				t.Fatalf("bad exception lacks %s:\n%s", want, page)
			}
		}
		if s, _ := env.DB.AccessibilitySettings(t.Context(), fe.gent.ID); s.Set {
			t.Fatal("a refused contact was saved")
		}
		if es, _ := env.DB.AccessibilityExceptions(t.Context(), fe.gent.ID); len(es) != 0 {
			t.Fatal("a refused exception was saved")
		}

		if err := env.DB.RecordAccessibilityAudit(t.Context(), audit.Actor{Kind: audit.KindOperator, ID: "cli:op", Role: "operator"},
			accessibility.Audit{At: env.Clock.Now().Add(-time.Hour), PagesChecked: 12, Tool: "axe-core 4.10.2"}); err != nil {
			t.Fatal(err)
		}
		fe.post(t, "/gent/admin/site/accessibility/contact", url.Values{"email": {"toegankelijkheid@gent.example"}, "phone": {"09 123 45 67"},
			"complaint-nl": {"Klacht? De Vlaamse Ombudsdienst."}, "complaint-fr": {"Plainte ? Le Vlaamse Ombudsdienst."}}, http.StatusSeeOther)
		fe.post(t, "/gent/admin/site/accessibility/publish", url.Values{"x": {"1"}}, http.StatusSeeOther)
		if _, pub := fe.get(t, "/gent/toegankelijkheid", ""); !strings.Contains(pub, "volledig in overeenstemming") ||
			!strings.Contains(pub, `href="mailto:toegankelijkheid@gent.example"`) || !strings.Contains(pub, "12 pagina") {
			t.Fatalf("version 1:\n%s", pub)
		}
		fe.post(t, "/gent/admin/site/accessibility/exceptions", url.Values{"description-nl": {"Oude pdf-documenten zijn niet toegankelijk."},
			"ground": {accessibility.GroundBurden}, "planned-fix": {"31.12.2027"}}, http.StatusSeeOther)
		fe.post(t, "/gent/admin/site/accessibility/publish", url.Values{"x": {"1"}}, http.StatusSeeOther)
		_, pub = fe.get(t, "/gent/toegankelijkheid", "")
		if !strings.Contains(pub, "gedeeltelijk in overeenstemming") || !strings.Contains(pub, "Oude pdf-documenten") ||
			!strings.Contains(pub, "31.12.2027") || !strings.Contains(pub, "onevenredige last") {
			t.Fatalf("version 2:\n%s", pub)
		}
		if _, fr := fe.get(t, "/gent/toegankelijkheid?lang=fr", ""); !strings.Contains(fr, "partiellement conforme") ||
			!strings.Contains(fr, `<span lang="nl">Oude pdf-documenten`) || !strings.Contains(fr, "Le Vlaamse Ombudsdienst") {
			t.Fatalf("version 2 in French:\n%s", fr)
		}
		_, admin = fe.get(t, "/gent/admin/site/accessibility", fe.admin)
		if !strings.Contains(admin, "Versie 2 lezen") || !strings.Contains(admin, "Versie 1 lezen") {
			t.Fatalf("the history:\n%s", admin)
		}
		if _, v1 := fe.get(t, "/gent/admin/site/accessibility/versions/1", fe.admin); !strings.Contains(v1, "volledig in overeenstemming") ||
			strings.Contains(v1, "Oude pdf-documenten") {
			t.Fatalf("version 1 is not as published:\n%s", v1)
		}
		if resp, _ := fe.get(t, "/brugge/admin/site/accessibility/versions/1", fe.admin); resp.StatusCode == http.StatusOK {
			t.Fatal("gent's editor reads brugge's statement")
		}
	})
}

// TestAccessibilityStatement_SitePageLanguageOfParts: a site page with a
// passage marked in an unknown language is refused (422) with the line and
// nothing saved; marked "fr" it is published and the passage carries
// lang="fr" for visitors (WCAG 3.1.2).
func TestAccessibilityStatement_SitePageLanguageOfParts(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fe := newFormsEnv(t, env)
		form := url.Values{"slug": {"welkom"}, "position": {"1"}, "version": {"0"}, "nl-title": {"Welkom"},
			"nl-body": {"## Welkom\n\n:::lang xx\nBienvenue.\n:::\n"}}
		resp, page := fe.submit(t, "/gent/admin/site/new", fe.admin, form)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "Regel 3: de taalcode xx is onbekend") {
			t.Fatalf("unknown language: %d\n%s", resp.StatusCode, page)
		}
		if ps, _ := env.DB.SitePages(t.Context(), fe.gent.ID); len(ps) != 0 {
			t.Fatal("a refused page was saved")
		}
		form.Set("nl-body", "## Welkom\n\n:::lang fr\nBienvenue.\n:::\n")
		resp, _ = fe.submit(t, "/gent/admin/site/new", fe.admin, form)
		edit, _, _ := strings.Cut(resp.Header.Get("Location"), "?")
		fe.post(t, edit+"/publish", url.Values{"version": {"1"}}, http.StatusSeeOther)
		if _, pub := fe.get(t, "/gent/site/welkom", ""); !strings.Contains(pub, `<div lang="fr"><p>Bienvenue.</p>`) {
			t.Fatalf("the passage lacks its lang:\n%s", pub)
		}
	})
}
