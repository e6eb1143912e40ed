package web

import (
	"archive/zip"
	"context"
	"encoding/csv"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/pdftest"
	"github.com/kluis/kluis/internal/storetest"
)

// breachForm is the annex-2 form filled in completely, discovered at disc.
func breachForm(disc time.Time) url.Values {
	return url.Values{"contact_name": {"Ilse Intern"}, "contact_email": {"ilse@leverancier.be"}, "contact_phone": {"+32 9 123 45 67"},
		"company_name": {"Leverancier NV"}, "company_address": {"Kerkstraat 1, 9000 Gent"}, "company_vat": {"BE0123.456.789"},
		"discoverer_name": {"Dirk Ontdekker"}, "discoverer_title": {"Systeembeheerder"}, "discovered_at": {datetime(disc)},
		"description": {"Back-up met formulierantwoorden onbeveiligd bereikbaar"}, "occurred": {"B"},
		"occurred_from": {datetime(disc.Add(-48 * time.Hour))}, "occurred_until": {datetime(disc.Add(-time.Hour))},
		"classes": {"B", "G", "Q"}, "class_other": {"Kenteken"}, "people": {"C"}, "people_min": {"10"}, "people_max": {"40"},
		"group": {"Aanvragers van een parkeerkaart"}, "circumstances": {"A", "B"}, "encrypted": {"partly"},
		"encrypted_how": {"Bijlagen versleuteld, metadata niet"}, "measures": {"Toegang afgesloten, sleutels vernieuwd"}}
}

// TestClauseBRE1_OperatorOpensTheControllerCompletes: supplier staff open
// a breach for gent on the operators' realm with only a description and
// the discovery time; gent's admins and DPO get the mail at once with a
// link to it; a draft opened 19 hours after discovery shows "nog 5 uur";
// the admin completes the form (a new version, mailed again with its
// proof), records the GBA notification, and exports the form as PDF and
// the register as CSV.
func TestClauseBRE1_OperatorOpensTheControllerCompletes(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		le := newLoginEnv(t, env, Options{BaseURL: "https://loket.example.be", LoginRateLimit: 1000})
		_, admin := le.signIn(t, "admin@gent.be", account.RoleAdmin)
		_, clerk := le.signIn(t, "clerk@gent.be", account.RoleUser)
		_, secret := activeOperator(t, le, env, "piet@leverancier.be")
		h := operatorSignIn(t, le, env, "piet@leverancier.be", secret)
		if _, err := env.DB.ClaimMail(ctx, 100); err != nil {
			t.Fatal(err)
		}
		now := env.Clock.Now()

		resp, body := le.postForm(t, "/operator/breaches/new", h, url.Values{"tenant": {"gent"}, "notify": {"1"},
			"discovered_at": {datetime(now.Add(-2 * time.Hour))}, "description": {"Verkeerde bijlage naar een burger gestuurd"}})
		wantRedirect(t, "open "+body, resp, "/operator/breaches?done=saved")
		ms, err := env.DB.ClaimMail(ctx, 100)
		if err != nil {
			t.Fatal(err)
		}
		var to []string
		var id string
		for _, m := range ms {
			if m.Kind != "breach.notify" {
				t.Fatalf("mail %s", m.Kind)
			}
			to = append(to, m.To)
			if l := regexp.MustCompile(`https://loket\.example\.be/gent/admin/breaches/([0-9a-z]+)`).FindStringSubmatch(m.Body); l != nil {
				id = l[1]
			}
		}
		slices.Sort(to)
		if strings.Join(to, " ") != "admin@gent.be dpo@gent.be" || id == "" {
			t.Fatalf("notified %v, link to %q", to, id)
		}
		// A draft, 19 hours after discovery: the clock runs in words.
		resp, _ = le.postForm(t, "/operator/breaches/new", h, url.Values{"tenant": {"gent"},
			"discovered_at": {datetime(now.Add(-19 * time.Hour))}, "description": {"Poging tot inbraak"}})
		wantRedirect(t, "draft", resp, "/operator/breaches?done=saved")
		for _, c := range []struct{ lang, want string }{
			{"nl", "<strong>nog 5 uur om de verwerkingsverantwoordelijke te melden</strong>"},
			{"fr", "encore 5 heures pour notifier le responsable du traitement"},
		} {
			resp, body := le.get(t, "/gent/admin/breaches?lang="+c.lang, map[string]string{"Cookie": admin})
			if resp.StatusCode != http.StatusOK || !strings.Contains(body, c.want) || !strings.Contains(body, "Verkeerde bijlage") {
				t.Fatalf("%s list: %d, want %q", c.lang, resp.StatusCode, c.want)
			}
		}
		if resp, _ := le.get(t, "/gent/admin/breaches", map[string]string{"Cookie": clerk}); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("a clerk sees the register: %d", resp.StatusCode)
		}

		// The admin completes the form.
		resp, body = le.submit(t, "/gent/admin/breaches/"+id+"/edit", admin, breachForm(now.Add(-2*time.Hour)))
		wantRedirect(t, "complete "+body, resp, "/gent/admin/breaches/"+id+"?done=saved")
		_, body = le.get(t, "/gent/admin/breaches/"+id+"?done=saved", map[string]string{"Cookie": admin})
		for _, want := range []string{"Het datalek is bewaard.", "Meldingsformulier (versie 2)", "G. rijksregisternummer", "minstens 10 en hoogstens 40",
			"medewerker van de leverancier", "op " + datetime(now) + " aan 2 adressen", "Ontwerp voor de melding aan de GBA"} {
			if !strings.Contains(body, want) {
				t.Errorf("breach page lacks %q", want)
			}
		}
		for _, c := range []struct{ at, want string }{
			{"01.01.2020 10:00", `href="#gba_at">Dit moment ligt voor de ontdekking van het datalek.`},
			{"morgen", `href="#gba_at">Vul een datum en uur in zoals 04.12.2026 17:00.`},
		} {
			resp, body := le.submit(t, "/gent/admin/breaches/"+id+"/notice", admin, url.Values{"notice": {"gba"}, "gba_at": {c.at}})
			if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, c.want) || !strings.Contains(body, `aria-invalid="true"`) {
				t.Errorf("GBA notice %q: %d, want 422 with %q", c.at, resp.StatusCode, c.want)
			}
		}
		resp, _ = le.submit(t, "/gent/admin/breaches/"+id+"/notice", admin, url.Values{"notice": {"gba"}, "gba_at": {datetime(now)}})
		wantRedirect(t, "gba", resp, "/gent/admin/breaches/"+id+"?done=gba")
		if _, body := le.get(t, "/gent/admin/breaches/"+id, map[string]string{"Cookie": admin}); !strings.Contains(body, "GBA gemeld op "+datetime(now)) {
			t.Error("the GBA notice is not shown")
		}

		// The PDF, read back, has every annex-2 field in order.
		resp, pdfBody := le.get(t, "/gent/admin/breaches/"+id+"/pdf", map[string]string{"Cookie": admin})
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/pdf" {
			t.Fatalf("pdf: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		text := strings.ReplaceAll(strings.Join(pdftest.Text(t, []byte(pdfBody)), "\n"), id, "{id}")
		golden(t, "breach_annex.golden", text)

		// The register as CSV: a header of the annex's fields, a row each.
		resp, csvBody := le.get(t, "/gent/admin/breaches.csv", map[string]string{"Cookie": admin})
		cr := csv.NewReader(strings.NewReader(strings.TrimPrefix(csvBody, "\ufeff")))
		cr.Comma = ';'
		rows, err := cr.ReadAll()
		if resp.StatusCode != http.StatusOK || err != nil || len(rows) != 3 {
			t.Fatalf("csv: %d %v %d rows", resp.StatusCode, err, len(rows))
		}
		if rows[0][2] != "1. Naam" || !strings.Contains(strings.Join(append(rows[1], rows[2]...), "|"), "Leverancier NV") {
			t.Fatalf("csv header %v", rows[0][:3])
		}
		resp, xlsx := le.get(t, "/gent/admin/breaches.xlsx", map[string]string{"Cookie": admin})
		zr, err := zip.NewReader(strings.NewReader(xlsx), int64(len(xlsx)))
		if resp.StatusCode != http.StatusOK || err != nil {
			t.Fatalf("xlsx: %d %v", resp.StatusCode, err)
		}
		sheet, err := zr.Open("xl/worksheets/sheet1.xml")
		if err != nil {
			t.Fatal(err)
		}
		if b, _ := io.ReadAll(sheet); !strings.Contains(string(b), "Leverancier NV") || !strings.Contains(string(b), "1. Naam") {
			t.Fatal("the workbook lacks the register")
		}
		exports := 0
		env.DB.EachAuditEvent(ctx, le.gent.ID, func(e *audit.Event) error {
			if e.Action == "breach.export" {
				exports++
			}
			return nil
		})
		if exports != 2 {
			t.Fatalf("%d exports recorded", exports)
		}
	})
}

// golden compares got with testdata/name; KLUIS_UPDATE_GOLDEN=1 (or
// go test -update) rewrites it.
func golden(t *testing.T, name, got string) {
	t.Helper()
	pdftest.Golden(t, filepath.Join("testdata", name), got)
}

// TestClauseBRE5_FormRefusesFieldByField: an end before its start, a
// count "at least 10, at most 3", an unknown class letter and a date that
// is no date are each named on their own field, in the error summary
// linking to it, in the reader's language, with status 422; nothing is
// saved.
func TestClauseBRE5_FormRefusesFieldByField(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		le := newLoginEnv(t, env, Options{LoginRateLimit: 1000})
		_, admin := le.signIn(t, "admin@gent.be", account.RoleAdmin)
		bad := breachForm(env.Clock.Now().Add(-time.Hour))
		bad.Set("occurred_until", datetime(env.Clock.Now().Add(-50*time.Hour)))
		bad.Set("people_min", "10")
		bad.Set("people_max", "3")
		bad["classes"] = []string{"B", "R"}
		bad.Set("contact_email", "geen-adres")
		for _, c := range []struct {
			lang string
			want []string
		}{
			{"nl", []string{`href="#contact_email">Vul een geldig e-mailadres in`, `href="#occurred_until">Het einde ligt voor het begin.`,
				`href="#classes-A">Kies alleen soorten gegevens uit de lijst A tot Q.`,
				`href="#people_max">Hoogstens moet minstens even groot zijn als minstens.`, `aria-describedby="people_max-error"`,
				`aria-describedby="classes-error"`, `value="Ilse Intern"`}},
			{"fr", []string{`href="#occurred_until">La fin précède le début.`, `href="#people_max">Le maximum doit être au moins égal au minimum.`,
				`href="#classes-A">Choisissez uniquement des types de données de la liste A à Q.`}},
		} {
			resp, body := le.submit(t, "/gent/admin/breaches/new?lang="+c.lang, admin, bad)
			if resp.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("%s: %d", c.lang, resp.StatusCode)
			}
			for _, w := range c.want {
				if !strings.Contains(body, w) {
					t.Errorf("%s: page lacks %q", c.lang, w)
				}
			}
		}
		resp, body := le.submit(t, "/gent/admin/breaches/new", admin, url.Values{"discovered_at": {"gisteren"}, "people": {"C"}, "people_min": {"tien"}})
		for _, w := range []string{`href="#discovered_at">Vul een datum en uur in zoals 04.12.2026 17:00.`, `href="#description">Beschrijf het incident`,
			`href="#people_min">Vul een aantal in als een geheel getal`} {
			if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, w) {
				t.Errorf("unreadable input: %d, lacks %q", resp.StatusCode, w)
			}
		}
		if list, err := env.DB.Breaches(ctx, audit.System("test"), le.gent.ID); err != nil || len(list) != 0 {
			t.Fatalf("a refused form saved: %d %v", len(list), err)
		}
		if ms, _ := env.DB.ClaimMail(ctx, 100); len(ms) != 0 {
			for _, m := range ms {
				if strings.HasPrefix(m.Kind, "breach.") {
					t.Fatalf("a refused form mailed %s", m.Kind)
				}
			}
		}
	})
}
