package web

import (
	"archive/zip"
	"context"
	"encoding/csv"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/register"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

// subprocForm is the operators' form for a sub-processor outside the EEA.
func subprocForm() url.Values {
	return url.Values{"name": {"Cloudy Inc."}, "head_office": {"Seattle, Verenigde Staten"}, "location": {"Dublin, Ierland"},
		"eea": {"no"}, "transfer_mechanism": {"Modelcontractbepalingen (art. 46 AVG)"}, "measures": {"ISO 27001, versleuteling in rust"},
		"services": {"Back-ups"}, "agreement_ref": {"SVO-2026-011"}, "agreement_date": {"01.03.2026"}, "hosts": {"backup.cloudy.example"}}
}

// subprocOnRealm has operator h add Cloudy Inc. and announce it to gent,
// effective in 30 days; it returns the sub-processor's id.
func subprocOnRealm(t *testing.T, le *loginEnv, h map[string]string, effective time.Time) string {
	t.Helper()
	resp, body := le.postForm(t, "/operator/subprocessors", h, subprocForm())
	wantRedirect(t, "create "+body, resp, "/operator/subprocessors?done=created")
	_, body = le.get(t, "/operator/subprocessors", h)
	m := regexp.MustCompile(`href="/operator/subprocessors/([0-9a-z]+)">Cloudy Inc\.`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no link to the new sub-processor in %s", body)
	}
	resp, body = le.postForm(t, "/operator/subprocessors/"+m[1], h, url.Values{"kind": {"add"},
		"effective": {effective.In(brussels).Format("02.01.2006")}, "tenant": {le.gent.ID}})
	wantRedirect(t, "announce "+body, resp, "/operator/subprocessors?done=announced")
	return m[1]
}

// TestClauseSUB2_OperatorAnnouncesAdminObjectsOnThePages: on the
// operators' realm an empty form is refused field by field; a complete one
// adds Cloudy Inc., announced to gent with an effective date; gent's admins
// and DPO get the mail with the link; the admin's objection without a
// reason is refused (422, linked to the field), with one it is recorded and
// its 3-month window is shown to the controller and on the realm. The DPO
// sees but cannot decide; the overview downloads as CSV with the
// agreement's reference (SUB-3).
func TestClauseSUB2_OperatorAnnouncesAdminObjectsOnThePages(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		le := newLoginEnv(t, env, Options{BaseURL: "https://loket.example.be", LoginRateLimit: 1000})
		_, admin := le.signIn(t, "admin@gent.be", account.RoleAdmin)
		_, dpo := le.signIn(t, "dpo@gent.be", account.RoleDPO)
		_, secret := activeOperator(t, le, env, "piet@leverancier.be")
		h := operatorSignIn(t, le, env, "piet@leverancier.be", secret)
		if _, err := env.DB.ClaimMail(ctx, 100); err != nil {
			t.Fatal(err)
		}

		resp, body := le.postForm(t, "/operator/subprocessors", h, url.Values{"eea": {"no"}, "agreement_date": {"maart"}})
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("empty form: %d", resp.StatusCode)
		}
		for _, want := range []string{`href="#name">Vul de naam in.`, `href="#transfer_mechanism">Buiten de EER is een doorgiftemechanisme verplicht.`,
			`href="#agreement_date">Vul de datum in als dd.mm.jjjj`, `aria-describedby="agreement_date-hint agreement_date-error"`} {
			if !strings.Contains(body, want) {
				t.Errorf("refused form lacks %q", want)
			}
		}
		effective := env.Clock.Now().AddDate(0, 0, 30)
		id := subprocOnRealm(t, le, h, effective)
		dayStart := effective.In(brussels)
		ms, err := env.DB.ClaimMail(ctx, 100)
		if err != nil {
			t.Fatal(err)
		}
		var to []string
		for _, m := range ms {
			if m.Kind != "subprocessor.announce" || !strings.Contains(m.Body, "https://loket.example.be/gent/admin/subprocessors") ||
				!strings.Contains(m.Body, "Cloudy Inc.") || !strings.Contains(m.Body, dayStart.Format("02.01.2006")) {
				t.Fatalf("mail %s: %s", m.Kind, m.Body)
			}
			to = append(to, m.To)
		}
		slices.Sort(to)
		if strings.Join(to, " ") != "admin@gent.be dpo@gent.be" {
			t.Fatalf("announced to %v", to)
		}

		_, body = le.get(t, "/gent/admin/subprocessors", map[string]string{"Cookie": admin})
		if !strings.Contains(body, "Aangekondigd, gaat in op "+dayStart.Format("02.01.2006")) || !strings.Contains(body, "SVO-2026-011 van 01.03.2026") {
			t.Fatalf("the controller's page: %s", body)
		}
		resp, body = le.submit(t, "/gent/admin/subprocessors/"+id+"/decide", admin, url.Values{"decision": {"object"}, "reason": {" "}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `href="#reason-`+id+`">Geef de reden van uw bezwaar.`) ||
			!strings.Contains(body, `aria-invalid="true"`) {
			t.Fatalf("objection without a reason: %d", resp.StatusCode)
		}
		if resp, _ := le.submit(t, "/gent/admin/subprocessors/"+id+"/decide", dpo, url.Values{"decision": {"accept"}}); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("the DPO decided: %d", resp.StatusCode)
		}
		resp, _ = le.submit(t, "/gent/admin/subprocessors/"+id+"/decide", admin, url.Values{"decision": {"object"}, "reason": {"Back-ups buiten de EU"}})
		wantRedirect(t, "object", resp, "/gent/admin/subprocessors?done=objected")
		ends := datetime(env.Clock.Now().AddDate(0, 3, 0))
		_, body = le.get(t, "/gent/admin/subprocessors?done=objected", map[string]string{"Cookie": dpo})
		for _, want := range []string{"Uw bezwaar is vastgelegd.", "Loopt tot " + ends, "Back-ups buiten de EU"} {
			if !strings.Contains(body, want) {
				t.Errorf("the controller's page lacks %q", want)
			}
		}
		_, body = le.get(t, "/operator/subprocessors", h)
		if !strings.Contains(body, "termijn tot "+ends) || strings.Contains(body, "Back-ups buiten de EU") {
			t.Errorf("the realm does not show the window (or shows the reason): %s", body)
		}

		// The supplier's overview of the whole platform (SUB-3).
		resp, body = le.get(t, "/operator/subprocessors.csv", h)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "SVO-2026-011") || !strings.Contains(body, "Stad gent: Bezwaar gemaakt") {
			t.Fatalf("the platform's overview: %d %s", resp.StatusCode, body)
		}
		resp, body = le.get(t, "/gent/admin/subprocessors.csv", map[string]string{"Cookie": dpo})
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
			t.Fatalf("csv: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		cr := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff")))
		cr.Comma = ';'
		rows, err := cr.ReadAll()
		if err != nil || len(rows) != 2 {
			t.Fatalf("csv rows %v %v", rows, err)
		}
		if rows[0][0] != "Naam" || rows[1][0] != "Cloudy Inc." || !slices.Contains(rows[1], "SVO-2026-011") || !slices.Contains(rows[1], "01.03.2026") ||
			!slices.Contains(rows[1], "Modelcontractbepalingen (art. 46 AVG)") || !slices.Contains(rows[1], "Bezwaar gemaakt") {
			t.Fatalf("csv %v", rows)
		}
		if resp, _ := le.get(t, "/gent/admin/subprocessors.xlsx", map[string]string{"Cookie": admin}); resp.StatusCode != http.StatusOK {
			t.Fatalf("xlsx: %d", resp.StatusCode)
		}
	})
}

// TestClauseSUB2_ObjectionAfterEffectiveDateRefusedOnThePage: once the
// change took effect an objection is refused with a message linked from
// the summary, nothing saved; accepting still works.
func TestClauseSUB2_ObjectionAfterEffectiveDateRefusedOnThePage(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		le := newLoginEnv(t, env, Options{LoginRateLimit: 1000})
		_, secret := activeOperator(t, le, env, "piet@leverancier.be")
		h := operatorSignIn(t, le, env, "piet@leverancier.be", secret)
		id := subprocOnRealm(t, le, h, env.Clock.Now().AddDate(0, 0, 2))
		env.Clock.Advance(72 * time.Hour)
		_, admin := le.signIn(t, "admin@gent.be", account.RoleAdmin) // the earlier session timed out
		resp, body := le.submit(t, "/gent/admin/subprocessors/"+id+"/decide", admin, url.Values{"decision": {"object"}, "reason": {"Te laat"}})
		if resp.StatusCode != http.StatusUnprocessableEntity ||
			!strings.Contains(body, `href="#decide-`+id+`">De ingangsdatum is voorbij: bezwaar is niet meer mogelijk.`) {
			t.Fatalf("late objection: %d", resp.StatusCode)
		}
		all, err := env.DB.SubProcessors(context.Background())
		if err != nil || all[0].Tenants[0].Status != store.SubPending || all[0].Tenants[0].DecidedAt != nil {
			t.Fatalf("half-saved: %+v %v", all, err)
		}
		resp, _ = le.submit(t, "/gent/admin/subprocessors/"+id+"/decide", admin, url.Values{"decision": {"accept"}})
		wantRedirect(t, "accept", resp, "/gent/admin/subprocessors?done=accepted")
		if _, body := le.get(t, "/gent/admin/subprocessors", map[string]string{"Cookie": admin}); !strings.Contains(body, "Aanvaard") {
			t.Fatal("not shown as accepted")
		}
		// Accepted, it is part of annex 1 (SUB-1).
		if _, err := env.DB.SaveRegister(context.Background(), audit.Actor{Kind: audit.KindUser, ID: "admin", Role: "admin"}, le.gent.ID,
			register.Demo()); err != nil {
			t.Fatal(err)
		}
		resp, body = le.get(t, "/gent/admin/register/annex", map[string]string{"Cookie": admin})
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Cloudy Inc.") || !strings.Contains(body, "Modelcontractbepalingen (art. 46 AVG)") {
			t.Fatalf("annex 1: %d without the accepted sub-processor", resp.StatusCode)
		}
	})
}

// TestClauseSUB3_OverviewDownloadsWithAgreementReferences: the current
// overview — the sub-processors agreed in annex 1 and the announced ones —
// downloads as XLSX with each agreement's reference and date, in the
// reader's language; each download is recorded.
func TestClauseSUB3_OverviewDownloadsWithAgreementReferences(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		le := newLoginEnv(t, env, Options{LoginRateLimit: 1000})
		_, admin := le.signIn(t, "admin@gent.be", account.RoleAdmin)
		op := audit.Actor{Kind: audit.KindOperator, ID: "op", Role: "operator"}
		s, err := env.DB.CreateSubProcessor(ctx, op, store.SubProcessorInput{Name: "Hosting BV", HeadOffice: "Gent", Location: "Gent",
			EEA: "yes", Measures: "ISO 27001", AgreementRef: "SVO-2024-001", AgreementDate: "2024-05-02", Services: "Hosting"})
		if err != nil {
			t.Fatal(err)
		}
		if err := env.DB.AnnounceSubProcessor(ctx, op, s.ID, store.SubAnnouncement{Kind: store.SubKindAgreed, TenantIDs: []string{le.gent.ID}}, nil); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct{ lang, header, status string }{{"nl", "Referentie van de overeenkomst", "Aanvaard"},
			{"fr", "Référence du contrat", "Accepté"}} {
			resp, body := le.get(t, "/gent/admin/subprocessors.xlsx?lang="+c.lang, map[string]string{"Cookie": admin})
			zr, err := zip.NewReader(strings.NewReader(body), int64(len(body)))
			if resp.StatusCode != http.StatusOK || err != nil {
				t.Fatalf("xlsx: %d %v", resp.StatusCode, err)
			}
			if cd := resp.Header.Get("Content-Disposition"); !strings.Contains(cd, "subverwerkers.xlsx") {
				t.Fatalf("disposition %q", cd)
			}
			sheet, err := zr.Open("xl/worksheets/sheet1.xml")
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(sheet)
			for _, want := range []string{c.header, "Hosting BV", "SVO-2024-001", "02.05.2024", c.status} {
				if !strings.Contains(string(b), want) {
					t.Errorf("%s workbook lacks %q", c.lang, want)
				}
			}
		}
		exports := 0
		env.DB.EachAuditEvent(ctx, le.gent.ID, func(e *audit.Event) error {
			if e.Action == "subprocessor.export" {
				exports++
			}
			return nil
		})
		if exports != 2 {
			t.Fatalf("%d downloads recorded, want 2", exports)
		}
	})
}
