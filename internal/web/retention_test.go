package web

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/form"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

// TestClauseSEC1_RetentionPage: the admin and the DPO see per register
// category what expires at the next run and within 30 days, and the runs;
// a hold is refused field by field (in Dutch, linked from the summary,
// nothing saved), set by a submission's reference, listed with its reason
// and lifted; the held submission then counts as held in the outlook.
func TestClauseSEC1_RetentionPage(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		fe := newFormsEnv(t, env)
		publishForms(t, env, fe.gent)
		fv, err := env.DB.FormByStatus(ctx, fe.gent.ID, "vraag", store.FormPublished)
		if err != nil {
			t.Fatal(err)
		}
		answers, _ := json.Marshal(form.Answers{"name": {Value: "MARKER-NAME"}, "topic": {Value: "street"}})
		ref, _, err := env.DB.SubmitForm(ctx, audit.Actor{Kind: audit.KindCitizen, ID: "anonymous"}, fe.gent.ID, store.NewFormSubmission{
			FormKey: "vraag", FormVersion: fv.Version, RegisterVersion: fv.RegisterVersion, Answers: answers, Idempotency: "tok", Receipt: "rc"})
		if err != nil {
			t.Fatal(err)
		}
		env.Clock.Advance(710 * 24 * time.Hour)                   // the demo's contact and web-forms: 730 days
		_, fe.dpo = fe.signIn(t, "dpo2@gent.be", account.RoleDPO) // sessions do not last that long
		_, fe.admin = fe.signIn(t, "admin2@gent.be", account.RoleAdmin)
		page := "/gent/admin/register/retention"
		resp, body := fe.get(t, page, fe.dpo)
		text := textOf(body)
		if resp.StatusCode != 200 || !strings.Contains(text, "Contactgegevens: naam, e-mail, telefoon") ||
			!strings.Contains(text, "Contactgegevens: naam, e-mail, telefoon 730 dagen vanaf de ontvangst anonimiseren 0 1 01.11.2028") ||
			!strings.Contains(text, "365 dagen vanaf de ontvangst wissen 0 0 geen gegevens") || !strings.Contains(text, "Er is nog geen verwerking geweest.") {
			t.Fatalf("page: %d\n%s", resp.StatusCode, text)
		}
		if strings.Contains(body, "MARKER") {
			t.Fatal("the page shows personal data")
		}
		// The fixed periods name every table with one, the supplier's
		// evidence by the audit log's retention (24 months by default).
		for _, want := range []string{"Verzoeken van betrokkenen 1826 dagen vanaf de afsluiting anonimiseren",
			"Eenmalige codes van burgers 7 dagen vanaf het verlopen of gebruik wissen",
			"Uitnodigingen 30 dagen vanaf het verlopen of gebruik wissen",
			"Links voor wachtwoordherstel 30 dagen", "Aanmeldingen via eID of itsme 30 dagen",
			"Toegangen van de leverancier 731 dagen vanaf het einde van de toegang (de bewaartermijn van het logboek) wissen",
			"Onderhoudsmeldingen van de leverancier 731 dagen"} { // 24 months back from late 2028 cross 29.02.2028
			if !strings.Contains(text, want) {
				t.Errorf("the fixed periods lack %q", want)
			}
		}
		// A shorter period is shown with what it makes expire tonight,
		// before it is saved.
		cur, err := env.DB.CurrentRegister(ctx, fe.gent.ID)
		if err != nil {
			t.Fatal(err)
		}
		v := regEditCase{section: "categories", item: "contact", set: map[string][]string{"retention_days": {"700"}}}.values(t, cur.Register, cur.Version)
		v.Set("step", "preview")
		resp, body = fe.submit(t, "/gent/admin/register/edit/categories", fe.dpo, v)
		if resp.StatusCode != 200 || !strings.Contains(body, "Deze wijziging laat vannacht gegevens van 1 inzendingen vervallen.") {
			t.Fatalf("register preview: %d\n%s", resp.StatusCode, textOf(body))
		}
		// Refused field by field, nothing saved.
		resp, body = fe.submit(t, page+"/holds", fe.dpo, url.Values{"reference": {ref}, "form": {"vraag"}, "reason": {""}, "until": {"31.02.2030"}})
		for _, want := range []string{"Geef een referentie of kies een formulier, niet allebei.", "Geef de reden van de bewaarplicht.",
			"Schrijf de datum als dd.mm.jjjj", `href="#reference"`, `href="#reason"`, `href="#until"`} {
			if resp.StatusCode != 422 || !strings.Contains(body, want) {
				t.Errorf("bad hold: %d lacks %q", resp.StatusCode, want)
			}
		}
		resp, body = fe.submit(t, page+"/holds", fe.dpo, url.Values{"reference": {"ZZZZZ-ZZZZZ"}, "reason": {"Geschil"}, "until": {"01.01.2020"}})
		if resp.StatusCode != 422 || !strings.Contains(body, "Die datum is voorbij") {
			t.Fatalf("a past date: %d\n%s", resp.StatusCode, textOf(body))
		}
		if hs, _ := env.DB.LegalHolds(ctx, audit.System("test"), fe.gent.ID, ""); len(hs) != 0 {
			t.Fatal("a refused hold was saved")
		}
		resp, _ = fe.submit(t, page+"/holds", fe.dpo, url.Values{"reference": {strings.ToLower(ref)}, "reason": {"Geschil bij de rechtbank"},
			"until": {"31.12.2099"}})
		if resp.StatusCode != 303 {
			t.Fatalf("set: %d", resp.StatusCode)
		}
		_, body = fe.get(t, page+"?done=set", fe.admin)
		text = textOf(body)
		if !strings.Contains(text, "De bewaarplicht is ingesteld.") || !strings.Contains(text, "Geschil bij de rechtbank") ||
			!strings.Contains(text, "Inzending "+ref) || !strings.Contains(text, "31.12.2099") {
			t.Fatalf("after set:\n%s", text)
		}
		// The case's page says it is held, and links admins and the DPO to
		// the holds with its reference filled in.
		hs, _ := env.DB.LegalHolds(ctx, audit.System("test"), fe.gent.ID, "")
		if len(hs) != 1 {
			t.Fatal("no hold")
		}
		op := audit.Actor{Kind: audit.KindOperator, ID: "op"}
		users, err := env.DB.Users(ctx, op, fe.gent.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range users {
			if u.Role == account.RoleAdmin {
				if err := env.DB.SetFormAccess(ctx, op, fe.gent.ID, u.ID, []string{"vraag"}); err != nil {
					t.Fatal(err)
				}
			}
		}
		_, body = fe.get(t, "/gent/inbox/submissions/"+hs[0].SubmissionID, fe.admin)
		if text := textOf(body); !strings.Contains(text, "Onder bewaarplicht tot en met 31.12.2099") ||
			!strings.Contains(body, "/gent/admin/register/retention?reference="+ref+"#new-hold") {
			t.Fatalf("case page:\n%s", text)
		}
		_, body = fe.get(t, page+"?reference="+ref, fe.admin)
		if !strings.Contains(body, `name="reference" autocomplete="off" spellcheck="false" value="`+ref+`"`) {
			t.Fatal("the reference is not filled in from the case page's link")
		}
		env.Clock.Advance(30 * 24 * time.Hour)
		_, fe.admin = fe.signIn(t, "admin3@gent.be", account.RoleAdmin)
		_, body = fe.get(t, page, fe.admin)
		if !strings.Contains(textOf(body), "1 inzendingen zouden nu vervallen, maar staan onder bewaarplicht.") {
			t.Fatalf("held count:\n%s", textOf(body))
		}
		if resp, _ := fe.submit(t, page+"/holds/"+hs[0].ID+"/lift", fe.admin, url.Values{"x": {"1"}}); resp.StatusCode != 303 {
			t.Fatalf("lift: %d", resp.StatusCode)
		}
		if _, err := env.DB.RunRetention(ctx, audit.System("test"), fe.gent.ID, store.RetentionOptions{}); err != nil {
			t.Fatal(err)
		}
		_, body = fe.get(t, page+"?done=lifted", fe.admin)
		text = textOf(body)
		if !strings.Contains(text, "De bewaarplicht is opgeheven.") || !strings.Contains(text, "beëindigd") || !strings.Contains(text, "klaar") ||
			!strings.Contains(text, "geanonimiseerd bij 1") {
			t.Fatalf("after lift and a run:\n%s", text)
		}
	})
}
