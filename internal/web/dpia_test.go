package web

import (
	"context"
	"html"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/breach"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
	"github.com/kluis/kluis/internal/tenant"
)

// TestClauseBRE4_DraftsInTheControllersLanguage: the prepared texts for
// the GBA and for the people affected are filled from the breach — its
// nature, the kinds of data, how many people, the measures taken, the
// contact — in the controller's language (a French-speaking municipality
// gets French drafts), never sent by Kluis (BRE-3).
func TestClauseBRE4_DraftsInTheControllersLanguage(t *testing.T) {
	disc := time.Date(2026, 12, 4, 16, 0, 0, 0, time.UTC)
	b := store.Breach{ID: "b1", DiscoveredAt: disc, ReportAt: disc.Add(time.Hour), Report: breach.Report{
		ContactName: "Ilse Intern", ContactEmail: "ilse@leverancier.be", DiscoveredAt: disc,
		Description: "Back-up met formulierantwoorden onbeveiligd bereikbaar", Classes: []string{"B", "G", "Q"}, ClassOther: "Kenteken",
		People: breach.PeopleRange, PeopleMin: ptr(10), PeopleMax: ptr(40), Measures: "Toegang afgesloten, sleutels vernieuwd"}}
	for _, c := range []struct {
		lang     string
		gba      []string
		subjects []string
	}{
		{"nl", []string{"1. Interne contactpersoon", "Ilse Intern", "ilse@leverancier.be", "Back-up met formulierantwoorden", "G. rijksregisternummer",
			"minstens 10 en hoogstens 40", "Toegang afgesloten, sleutels vernieuwd"},
			[]string{"Stad Namen informeert u", "Om welke gegevens het gaat: identificatiegegevens, rijksregisternummer, Kenteken",
				"Wat wij deden om verdere schade te voorkomen: Toegang afgesloten, sleutels vernieuwd", "Dirk DPO (dpo@namen.be)"}},
		{"fr", []string{"Ilse Intern", "G. numéro de registre national", "au moins 10 et au plus 40", "Toegang afgesloten, sleutels vernieuwd"},
			[]string{"Stad Namen vous informe", "Les données concernées : ", "numéro de registre national, Kenteken",
				"Ce que nous avons fait pour éviter d’autres dommages : Toegang afgesloten", "Dirk DPO (dpo@namen.be)"}},
	} {
		gba, subjects := breachDrafts(tenant.Tenant{LegalName: "Stad Namen", DefaultLang: c.lang, DPOName: "Dirk DPO", DPOEmail: "dpo@namen.be"}, b)
		for _, w := range c.gba {
			if !strings.Contains(gba, w) {
				t.Errorf("%s: the GBA draft lacks %q:\n%s", c.lang, w, gba)
			}
		}
		for _, w := range c.subjects {
			if !strings.Contains(subjects, w) {
				t.Errorf("%s: the message to the people affected lacks %q:\n%s", c.lang, w, subjects)
			}
		}
	}
}

func ptr(n int) *int { return &n }

// TestClauseBRE4_DraftsOnTheBreachPageFollowTheForm: on the page the
// drafts are in the controller's language whatever the reader's, and a
// containment measure (BRE-2) is in them once taken.
func TestClauseBRE4_DraftsOnTheBreachPageFollowTheForm(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		le := newLoginEnv(t, env, Options{LoginRateLimit: 1000})
		_, admin := le.signIn(t, "admin@gent.be", account.RoleAdmin)
		clerk, _ := le.signIn(t, "clerk@gent.be", account.RoleUser)
		b, err := env.DB.OpenBreach(ctx, audit.Actor{Kind: audit.KindOperator, ID: "op"}, le.gent.ID, breach.Report{
			Description: "Gebruiker deelde zijn wachtwoord", DiscoveredAt: env.Clock.Now().Add(-time.Hour), Classes: []string{"E"}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, _ := le.submit(t, "/gent/admin/breaches/"+b.ID+"/contain", admin, map[string][]string{"kind": {store.ContainSessions},
			"target": {clerk.ID}, "confirm": {"1"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("contain: %d", resp.StatusCode)
		}
		_, body := le.get(t, "/gent/admin/breaches/"+b.ID+"?lang=fr", map[string]string{"Cookie": admin})
		body = html.UnescapeString(body)
		for _, w := range []string{"Projet de notification à l’APD", "Om welke gegevens het gaat: gebruikersnamen",
			"alle sessies van Naam clerk@gent.be beëindigd (1) door Naam admin@gent.be om verdere schade te voorkomen.", "Gebruiker deelde zijn wachtwoord"} {
			if !strings.Contains(body, w) {
				t.Errorf("page lacks %q", w)
			}
		}
	})
}

// TestClauseBRE4_DPIAInformationFromFacts: the DPIA and art. 32 page
// states what Kluis knows — the register's data with retention and
// countermeasures, the sub-processors, the tenant's security policy, the
// log, the supplier's declarations (or that they are missing) — in the
// reader's language, and the same as a text file.
func TestClauseBRE4_DPIAInformationFromFacts(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		fe := newFormsEnv(t, env)
		if _, err := env.DB.DeclareOrgFact(ctx, audit.Actor{Kind: audit.KindOperator, ID: "op-1"}, store.OrgFact{Kind: store.OrgRiskAnalysis,
			Date: env.Clock.Now().Add(-48 * time.Hour), Text: "Jaarlijkse risicoanalyse ISO 27005"}, nil); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			lang string
			want []string
		}{
			{"nl", []string{"<h1>Informatie voor uw DPIA en uw beoordeling van de beveiliging</h1>", "versie 1, bewaard op",
				"Identiteitsgegevens: naam, voornaam", "bewaring: ", "Waar de gegevens staan: subverwerkers", "AES-GCM",
				"verplicht voor beheerders en de DPO", "Jaarlijkse risicoanalyse ISO 27005", "niet aangegeven door de leverancier"}},
			{"fr", []string{"<h1>Informations pour votre AIPD et votre évaluation de la sécurité</h1>", "version 1, enregistrée le",
				"conservation : ", "obligatoire pour les administrateurs et le DPO", "non déclaré par le fournisseur"}},
		} {
			resp, body := fe.get(t, "/gent/admin/dpia?lang="+c.lang, fe.dpo)
			body = html.UnescapeString(body)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("%s: %d", c.lang, resp.StatusCode)
			}
			for _, w := range c.want {
				if !strings.Contains(body, w) {
					t.Errorf("%s: page lacks %q", c.lang, w)
				}
			}
		}
		resp, text := fe.get(t, "/gent/admin/dpia.txt", fe.admin)
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") ||
			!strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("text: %d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition"))
		}
		for _, w := range []string{"Informatie voor uw DPIA", "Stad gent", "4. Technische maatregelen in Kluis (art. 32)", "   Versleuteling: ",
			"Jaarlijkse risicoanalyse ISO 27005"} {
			if !strings.Contains(text, w) {
				t.Errorf("text lacks %q:\n%s", w, text)
			}
		}
	})
}
