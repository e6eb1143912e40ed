package web

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/register"
	"github.com/kluis/kluis/internal/storetest"
	"github.com/kluis/kluis/internal/tenant"
)

func TestTenantPages(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		op := audit.Actor{Kind: audit.KindOperator, ID: "op"}
		mk := func(slug, name string) tenant.Tenant {
			tn, err := env.DB.CreateTenant(ctx, op, tenant.New{Slug: slug, LegalName: name, EnterpriseNumber: "0207451227",
				DPOName: "Secret DPO Name", DPOEmail: "dpo@" + slug + ".be"})
			if err != nil {
				t.Fatal(err)
			}
			return tn
		}
		gent := mk("gent", "Stad Gent")
		if _, err := env.DB.SaveRegister(ctx, op, gent.ID, register.Demo()); err != nil {
			t.Fatal(err)
		}
		mk("leeg", "Gemeente Leeg")
		// A register written in Dutch only: other languages fall back to it.
		nl := register.Demo()
		for i := range nl.Categories {
			nl.Categories[i].Name = register.Text{"nl": nl.Categories[i].Name["nl"]}
		}
		for i := range nl.DataSubjects {
			nl.DataSubjects[i].Name = register.Text{"nl": nl.DataSubjects[i].Name["nl"]}
		}
		if _, err := env.DB.SaveRegister(ctx, op, mk("nlonly", "Gemeente Nl").ID, nl); err != nil {
			t.Fatal(err)
		}
		closed := mk("dicht", "Gemeente Dicht")
		if err := env.DB.SetTenantStatus(ctx, op, closed.ID, tenant.StatusSuspended); err != nil {
			t.Fatal(err)
		}
		a, _ := newTestApp(t, Options{Store: env.DB})
		tests := []struct {
			name       string
			req        request
			wantStatus int
			want       []string
			notWant    []string
		}{
			{"tenant home", request{target: "/gent/"}, 200, []string{"E-loket van Stad Gent", `href="/gent/privacy"`}, nil},
			{"tenant home without slash redirects", request{target: "/gent"}, http.StatusMovedPermanently, nil, nil},
			{"privacy statement from the register (DSR-4)", request{target: "/gent/privacy"}, 200,
				[]string{"Privacyverklaring van Stad Gent", "0207.451.227", "Identificatiegegevens", "730 dagen", "taak van algemeen belang",
					"Gegevensbeschermingsautoriteit", "versie 1"},
				// The sealed DPO contact is never opened for a public page.
				[]string{"Secret DPO Name"}},
			{"privacy statement in French", request{target: "/gent/privacy?lang=fr"}, 200, []string{"Déclaration de confidentialité", "730 jours",
				// The register's own French texts, and the class labels in
				// French too, each marked with its language (WCAG 3.1.2, REG-7).
				`<span lang="fr-BE">Données d&#39;identité`, `<li lang="fr-BE">Habitants et demandeurs`,
				`<span lang="fr-BE">Données d&#39;identification`, "Décret du 22 décembre 2017"}, []string{`<span lang="nl-BE">Identiteitsgegevens`}},
			{"privacy statement in French of a Dutch-only register", request{target: "/nlonly/privacy?lang=fr"}, 200,
				[]string{"Déclaration de confidentialité", `<span lang="nl-BE">Identiteitsgegevens`, `<li lang="nl-BE">Inwoners`}, nil},
			{"tenant without register", request{target: "/leeg/privacy"}, 200, []string{"nog niet ingevuld"}, nil},
			{"unknown tenant", request{target: "/nergens/"}, 404, []string{"Pagina niet gevonden"}, nil},
			{"unknown tenant without slash", request{target: "/nergens"}, 404, nil, nil},
			{"unknown tenant page", request{target: "/gent/nope"}, 404, []string{"Pagina niet gevonden"}, nil},
			{"suspended tenant", request{target: "/dicht/"}, 503, nil, []string{"Gemeente Dicht"}},
			{"tenant by id is not a public address", request{target: "/" + gent.ID + "/"}, 404, nil, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				resp := tt.req.do(t, a.Handler())
				body := bodyOf(t, resp)
				if resp.StatusCode != tt.wantStatus {
					t.Fatalf("status %d, want %d", resp.StatusCode, tt.wantStatus)
				}
				for _, w := range tt.want {
					if !strings.Contains(body, w) {
						t.Errorf("body lacks %q", w)
					}
				}
				for _, w := range tt.notWant {
					if strings.Contains(body, w) {
						t.Errorf("body contains %q", w)
					}
				}
			})
		}
	})
}

func TestDatetimeInBelgianTime(t *testing.T) {
	for in, want := range map[string]string{
		"2026-11-22T09:19:00Z": "22.11.2026 10:19", // winter: UTC+1
		"2026-07-01T09:19:00Z": "01.07.2026 11:19", // summer: UTC+2
	} {
		tm, _ := time.Parse(time.RFC3339, in)
		if got := datetime(tm); got != want {
			t.Errorf("datetime(%s) = %s, want %s", in, got, want)
		}
	}
}

// TestClauseDSR4_PrivacyStatementFromRegister: the tenant's public privacy
// statement is generated from its current register: controller and KBO,
// the DPO's public contact, every category with its purposes, legal basis
// and retention, the data subjects, the rights and the GBA; a new register
// version shows at once, and it speaks the reader's language.
func TestClauseDSR4_PrivacyStatementFromRegister(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		op := audit.Actor{Kind: audit.KindOperator, ID: "op"}
		tn, err := env.DB.CreateTenant(ctx, op, tenant.New{Slug: "gent", LegalName: "Stad Gent", EnterpriseNumber: "0207451227",
			DPOName: "D", DPOEmail: "dpo@gent.be"})
		if err != nil {
			t.Fatal(err)
		}
		reg := register.Demo()
		if _, err := env.DB.SaveRegister(ctx, op, tn.ID, reg); err != nil {
			t.Fatal(err)
		}
		a, _ := newTestApp(t, Options{Store: env.DB})
		body := bodyOf(t, request{target: "/gent/privacy"}.do(t, a.Handler()))
		want := []string{"Stad Gent", "0207.451.227", `href="mailto:privacy@demo.example"`, "Gegevensbeschermingsautoriteit", "versie 1"}
		for _, c := range reg.Categories {
			want = append(want, c.Name["nl"])
		}
		for _, s := range reg.DataSubjects {
			want = append(want, s.Name["nl"])
		}
		for _, w := range want {
			if !strings.Contains(strings.ReplaceAll(body, "&#39;", "'"), w) {
				t.Errorf("privacy statement lacks %q", w)
			}
		}
		reg.Categories[0].RetentionDays = 123
		if _, err := env.DB.SaveRegister(ctx, op, tn.ID, reg); err != nil {
			t.Fatal(err)
		}
		body = bodyOf(t, request{target: "/gent/privacy?lang=en"}.do(t, a.Handler()))
		// The information class too is read in the page's language (REG-7).
		for _, w := range []string{"123 days", "version 2", "Identity data", `<span lang="en">National register number / social security identification number</span>`} {
			if !strings.Contains(body, w) {
				t.Errorf("updated English statement lacks %q", w)
			}
		}
	})
}
