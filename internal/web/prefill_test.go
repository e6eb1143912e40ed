package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/form"
	"github.com/kluis/kluis/internal/oidc/oidctest"
	"github.com/kluis/kluis/internal/register"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
	"github.com/kluis/kluis/internal/tenant"
)

// prefillForm is a one-page form whose national register number
// (read-only), name and address are prefilled from the register, with an
// e-mail address the citizen types.
func prefillForm() form.Form {
	f := form.DemoForm("toelage")
	f.Key = "inschrijving"
	f.Title = register.Text{"nl": "Inschrijving", "fr": "Inscription", "en": "Registration"}
	f.Pages = f.Pages[:1]
	fs := f.Pages[0].Fields
	fs[0].Prefill = &form.Prefill{Source: form.PrefillSource, Data: form.PrefillINSZ, ReadOnly: true}
	fs[1].Prefill = &form.Prefill{Source: form.PrefillSource, Data: form.PrefillFullName}
	fs[4].Prefill = &form.Prefill{Source: form.PrefillSource, Data: form.PrefillAddress}
	return f
}

// publishForm saves, approves and publishes f for tn under the demo
// register (already saved by publishForms).
func publishForm(t *testing.T, env *storetest.Env, tn tenant.Tenant, f form.Form) {
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

// prefillEnv is gent with the demo forms and prefillForm published, FAS
// eID and itsme at a real OpenID provider.
func newPrefillEnv(t *testing.T, env *storetest.Env) *oidcEnv {
	t.Helper()
	o := newOIDCEnv(t, env)
	publishForms(t, env, o.gent)
	publishForm(t, env, o.gent, prefillForm())
	return o
}

var hiddenPrefillRE = regexp.MustCompile(`name="prefill-[a-z_]+"`)

// TestPrefillOfferAndFailureLeavesFormUsable: a form with prefilled
// fields offers to sign in with eID or itsme (a form without prefill does
// not); signing in asks FAS for the national register number; when the
// register cannot be asked, the form opens empty with a clear message,
// is fully usable, and its answers are not marked as the register's.
func TestPrefillOfferAndFailureLeavesFormUsable(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		o := newPrefillEnv(t, env)
		b := newBrowser(o.app.Handler())
		page := bodyOf(t, b.get(t, "/gent/inschrijving"))
		for _, want := range []string{`href="/gent/prefill/inschrijving/fas-eid"`, "Aanmelden met eID om vooraf in te vullen",
			"Aanmelden met itsme om vooraf in te vullen"} {
			if !strings.Contains(page, want) {
				t.Fatalf("the form page lacks %s:\n%s", want, page)
			}
		}
		if fr := bodyOf(t, newBrowser(o.app.Handler()).get(t, "/gent/inschrijving?lang=fr")); !strings.Contains(fr, "Se connecter avec eID pour préremplir") {
			t.Error("the offer is not in French")
		}
		if vraag := bodyOf(t, b.get(t, "/gent/vraag")); strings.Contains(vraag, "/prefill/vraag") {
			t.Error("a form without prefilled fields offers a prefill")
		}
		if resp := b.get(t, "/gent/prefill/vraag/fas-eid"); resp.StatusCode != http.StatusNotFound {
			t.Errorf("prefill of a form without prefilled fields: %d", resp.StatusCode)
		}
		resp := b.get(t, "/gent/prefill/inschrijving/fas-eid")
		loc, _ := url.Parse(resp.Header.Get("Location"))
		if resp.StatusCode != http.StatusSeeOther || !strings.Contains(loc.Query().Get("scope"), "egovnrn") {
			t.Fatalf("start: %d %s", resp.StatusCode, loc)
		}
		resp = o.through(t, b, "/gent/prefill/inschrijving/fas-eid", oidctest.User{Subject: "fas-sub", ACR: acr500, Number: "85073003328"}, nil)
		page = bodyOf(t, resp)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("callback: %d %q", resp.StatusCode, resp.Header.Get("Cache-Control"))
		}
		if !strings.Contains(page, "U kunt het formulier gewoon zelf invullen.") || !strings.Contains(page, `<form method="post" id="eloket"`) ||
			strings.Contains(page, "85073003328") || hiddenPrefillRE.MatchString(page) || strings.Contains(page, " readonly") {
			t.Fatalf("the form after a failed prefill:\n%s", page)
		}
	})
}
