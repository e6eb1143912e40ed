package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
	"github.com/kluis/kluis/internal/tenant"
)

// TestClauseREG5_DeadlineNearAndOverdueOnThePages: on both sides' pages an
// authority's request whose deadline is far shows nothing of it, one due
// within three working days "Termijn nadert", one past its deadline
// "Termijn verstreken"; a disclosed one neither, however late.
func TestClauseREG5_DeadlineNearAndOverdueOnThePages(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		le, admin, h := instrEnv(t, env)
		op := audit.Actor{Kind: audit.KindOperator, ID: "op", Role: "operator"}
		now := env.Clock.Now()
		tell := func(tenant.Tenant, string, string) store.OutgoingMail {
			return store.OutgoingMail{Lang: "nl", Subject: "Verzoek", Body: "Zie Kluis."}
		}
		deadlines := map[string]time.Time{"Far": now.AddDate(0, 0, 20), "Near": now.Add(24 * time.Hour), "Late": now.Add(-24 * time.Hour),
			"Done": now.Add(-48 * time.Hour)}
		for name, deadline := range deadlines {
			ar, err := env.DB.RecordAuthorityRequest(ctx, op, le.gent.ID, store.AuthorityInput{Authority: "Politie " + name, LegalBasis: "art. 46bis Sv.",
				Asked: "Dossier 31", ReceivedAt: now.AddDate(0, 0, -30), Deadline: deadline})
			if err != nil {
				t.Fatal(err)
			}
			steps := []string{store.AuthorityAssess, store.AuthorityNotify}
			if name == "Done" {
				steps = append(steps, store.AuthorityDisclose)
			}
			for _, s := range steps {
				if err := env.DB.AuthorityStep(ctx, op, le.gent.ID, ar.ID, s, "Tekst", tell); err != nil {
					t.Fatal(err)
				}
			}
		}
		for _, p := range []struct{ url, cookie string }{{"/operator/authority?tenant=gent", h["Cookie"]}, {"/gent/admin/authority-requests", admin}} {
			_, body := le.get(t, p.url, map[string]string{"Cookie": p.cookie})
			near := "Termijn nadert: antwoord uiterlijk op " + dayText(deadlines["Near"])
			late := "Termijn verstreken op " + dayText(deadlines["Late"])
			if !strings.Contains(body, "Politie Far") || strings.Count(body, "Termijn nadert") != 1 || strings.Count(body, "Termijn verstreken") != 1 ||
				!strings.Contains(body, near) || !strings.Contains(body, late) {
				t.Fatalf("%s: want one %q and one %q", p.url, near, late)
			}
			if i, j := strings.Index(body, "Politie Near"), strings.Index(body, near); j < i {
				t.Fatalf("%s: the near deadline is not shown on its request", p.url)
			}
		}
	})
}

// TestClauseORG1_ChangeShownWithPreviousVersion: the supplier declares its
// DPO on the realm's page and then another; the controller's page of
// declarations says "Gewijzigd op <date>" under the current one with the
// previous version, and its admin and DPO (and the other tenant's) were mailed about the change
// (not about the first declaration).
func TestClauseORG1_ChangeShownWithPreviousVersion(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		le, admin, h := instrEnv(t, env)
		if _, err := env.DB.ClaimMail(ctx, 100); err != nil {
			t.Fatal(err)
		}
		today := dayText(env.Clock.Now())
		for i, name := range []string{"Bart Eerste", "Carla Tweede"} {
			resp, body := le.postForm(t, "/operator/organisation", h, url.Values{"kind": {"dpo"}, "name": {name}, "email": {"dpo@lev.example"},
				"date": {today}})
			wantRedirect(t, "declare "+body, resp, "/operator/organisation?done=saved#dpo")
			ms, err := env.DB.ClaimMail(ctx, 100)
			if err != nil {
				t.Fatal(err)
			}
			var kinds []string
			for _, m := range ms {
				kinds = append(kinds, m.Kind+" "+m.To)
			}
			slices.Sort(kinds)
			if want := []string{"org.changed admin@gent.be", "org.changed dpo@brugge.be", "org.changed dpo@gent.be"}; i == 0 && len(kinds) != 0 || i == 1 && !slices.Equal(kinds, want) {
				t.Fatalf("declaration %d mailed %v", i, kinds)
			}
		}
		_, body := le.get(t, "/gent/admin/organisation", map[string]string{"Cookie": admin})
		cur, changed, prev := strings.Index(body, "Carla Tweede"), strings.Index(body, "Gewijzigd op "+today), strings.Index(body, "Vorige versie, verklaard op")
		if cur < 0 || changed < cur || prev < changed || !strings.Contains(body[prev:], "Bart Eerste") {
			t.Fatalf("the change is not shown under the current declaration: %d %d %d", cur, changed, prev)
		}
	})
}

// TestClauseSUB2_OperatorChangesAndEndsOnThePages: on the operators' realm
// the edit form comes filled in; a material change without a readable
// effective date or with an empty name is refused field by field (422,
// linked from the summary, nothing saved); with a date it is saved and
// announced to the controller, whose page shows the pending change. The
// retire form refuses a missing or future end date and a missing reason;
// a good one ends the entry: it moves to the ended ones on both sides with
// its date, leaves the controller's CSV overview, and is no longer edited.
func TestClauseSUB2_OperatorChangesAndEndsOnThePages(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		le := newLoginEnv(t, env, Options{BaseURL: "https://loket.example.be", LoginRateLimit: 1000})
		_, admin := le.signIn(t, "admin@gent.be", account.RoleAdmin)
		_, secret := activeOperator(t, le, env, "piet@leverancier.be")
		h := operatorSignIn(t, le, env, "piet@leverancier.be", secret)
		id := subprocOnRealm(t, le, h, env.Clock.Now().AddDate(0, 0, 30))
		resp, _ := le.submit(t, "/gent/admin/subprocessors/"+id+"/decide", admin, url.Values{"decision": {"accept"}})
		wantRedirect(t, "accept", resp, "/gent/admin/subprocessors?done=accepted")
		if _, err := env.DB.ClaimMail(ctx, 100); err != nil {
			t.Fatal(err)
		}
		edit := "/operator/subprocessors/" + id + "/edit"
		resp, body := le.get(t, edit, h)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, `value="Cloudy Inc."`) || !strings.Contains(body, `value="01.03.2026"`) ||
			!strings.Contains(body, "backup.cloudy.example</textarea>") {
			t.Fatalf("edit form %d", resp.StatusCode)
		}
		form := subprocForm()
		form.Set("location", "Amsterdam, Nederland")
		form.Set("name", " ")
		resp, body = le.postForm(t, edit, h, form)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `href="#name">Vul de naam in.`) ||
			!strings.Contains(body, `href="#effective">Vul de ingangsdatum in.`) || !strings.Contains(body, `aria-describedby="effective-hint effective-error"`) {
			t.Fatalf("no name, no date: %d", resp.StatusCode)
		}
		form.Set("name", "Cloudy Inc.")
		form.Set("effective", "31.02.2027")
		resp, body = le.postForm(t, edit, h, form)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `href="#effective">Vul de ingangsdatum in als dd.mm.jjjj`) {
			t.Fatalf("unreadable date: %d", resp.StatusCode)
		}
		if s, _ := env.DB.SubProcessor(ctx, id); s.Location != "Dublin, Ierland" {
			t.Fatalf("half saved: %+v", s)
		}
		effective := dayText(env.Clock.Now().AddDate(0, 0, 40))
		form.Set("effective", effective)
		resp, body = le.postForm(t, edit, h, form)
		wantRedirect(t, "change "+body, resp, "/operator/subprocessors/"+id+"?done=changed")
		ms, err := env.DB.ClaimMail(ctx, 100)
		if err != nil || len(ms) != 2 || !strings.Contains(ms[0].Subject, "Wijziging van een subverwerker aangekondigd") ||
			!strings.Contains(ms[0].Body, "Amsterdam, Nederland") || !strings.Contains(ms[0].Body, effective) {
			t.Fatalf("change mails %+v %v", ms, err)
		}
		_, body = le.get(t, "/gent/admin/subprocessors", map[string]string{"Cookie": admin})
		if !strings.Contains(body, "Wijziging aangekondigd, gaat in op "+effective) || !strings.Contains(body, "Amsterdam, Nederland") {
			t.Fatal("the controller's page does not show the pending change")
		}

		retire := "/operator/subprocessors/" + id + "/retire"
		resp, body = le.postForm(t, retire, h, url.Values{"ended": {""}, "reason": {" "}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `href="#ended">Vul de einddatum in.`) ||
			!strings.Contains(body, `href="#reason">Vul de reden in.`) {
			t.Fatalf("empty retire form: %d", resp.StatusCode)
		}
		resp, body = le.postForm(t, retire, h, url.Values{"ended": {dayText(env.Clock.Now().AddDate(0, 0, 2))}, "reason": {"Contract opgezegd"}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `href="#ended">De einddatum mag niet na vandaag liggen.`) ||
			!strings.Contains(body, ">Contract opgezegd</textarea>") {
			t.Fatalf("future end: %d", resp.StatusCode)
		}
		today := dayText(env.Clock.Now())
		resp, body = le.postForm(t, retire, h, url.Values{"ended": {today}, "reason": {"Contract opgezegd"}})
		wantRedirect(t, "retire "+body, resp, "/operator/subprocessors?done=retired")
		_, body = le.get(t, "/operator/subprocessors?done=retired", h)
		if !strings.Contains(body, "De subverwerker is beëindigd.") || !strings.Contains(body, "Beëindigde subverwerkers") ||
			!strings.Contains(body, "beëindigd op "+today+" (Contract opgezegd)") {
			t.Fatal("the realm does not list it as ended")
		}
		_, body = le.get(t, "/gent/admin/subprocessors", map[string]string{"Cookie": admin})
		if !strings.Contains(body, "Beëindigde subverwerkers") || !strings.Contains(body, "Cloudy Inc.: beëindigd op "+today) ||
			strings.Contains(body, "Wijziging aangekondigd") {
			t.Fatal("the controller's page still shows it as current")
		}
		if _, body = le.get(t, "/gent/admin/subprocessors.csv", map[string]string{"Cookie": admin}); strings.Contains(body, "Cloudy") {
			t.Fatal("an ended sub-processor in the current overview")
		}
		if resp, _ := le.get(t, edit, h); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("an ended one's edit form: %d", resp.StatusCode)
		}
		if resp, _ := le.postForm(t, retire, h, url.Values{"ended": {today}, "reason": {"x"}}); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("ended twice: %d", resp.StatusCode)
		}
	})
}
