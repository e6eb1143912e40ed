package web

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/pdftest"
	"github.com/kluis/kluis/internal/storetest"
)

// measuresAnswer is the "OK?" answer pdftotext reads in a measures PDF for
// the row whose clause ids are clauses: the line after them starts with it.
func measuresAnswer(t *testing.T, pdf []byte, clauses string) string {
	t.Helper()
	lines := strings.Split(strings.Join(pdftest.Raw(t, pdf), "\n"), "\n")
	for i, l := range lines {
		if strings.HasSuffix(l, "("+clauses+")") && i+1 < len(lines) {
			for _, w := range []string{"Gedeeltelijk", "Neen", "Verklaring leverancier", "Ja"} {
				if strings.HasPrefix(lines[i+1], w+" ") || lines[i+1] == w {
					return w
				}
			}
			t.Fatalf("no answer after %q: %q", l, lines[i+1])
		}
	}
	t.Fatalf("no row (%s) in the PDF", clauses)
	return ""
}

// TestClauseADT1_MeasuresPDFAnswersFromTheReport: the measures checklist a
// controller downloads answers its MFA row from the live report — "Ja"
// while every admin has a second factor; once an admin without one is
// added, the same download reads "Gedeeltelijk" and names the gap, and the
// page says the same. Reading the report is audited (it opens admins'
// names). On SQLite and PostgreSQL.
func TestClauseADT1_MeasuresPDFAnswersFromTheReport(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		le := newLoginEnv(t, env, Options{LoginRateLimit: 1000})
		_, cookie := le.signIn(t, "admin@gent.be", account.RoleAdmin)
		h := map[string]string{"Cookie": cookie}
		download := func() []byte {
			t.Helper()
			resp, body := le.get(t, "/gent/admin/register/measures.pdf?lang=nl", h)
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/pdf" {
				t.Fatalf("measures.pdf: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			if cd := resp.Header.Get("Content-Disposition"); !strings.Contains(cd, "bijlage-1-maatregelen-gent.pdf") {
				t.Errorf("Content-Disposition %q", cd)
			}
			return []byte(body)
		}
		before := download()
		if got := measuresAnswer(t, before, "USR-2"); got != "Ja" {
			t.Fatalf("USR-2 with every admin enrolled: %q, want Ja", got)
		}
		all := strings.Join(pdftest.Text(t, before), " ")
		for _, want := range []string{"Bijlage 1 – Checklist beveiligingsmaatregelen", "Fysieke maatregelen",
			"Organisatorische maatregelen", "Technische maatregelen", "/gent/admin/users"} {
			if !strings.Contains(all, want) {
				t.Errorf("the PDF lacks %q", want)
			}
		}

		le.addRoleUser(t, le.gent, "tweede@gent.be", account.RoleAdmin) // no second factor
		after := download()
		if got := measuresAnswer(t, after, "USR-2"); got != "Gedeeltelijk" {
			t.Errorf("USR-2 with an admin without MFA: %q, want Gedeeltelijk", got)
		}
		resp, page := le.get(t, "/gent/admin/register/measures", h)
		row := page[strings.Index(page, `id="measure-mfa"`):]
		row = row[:strings.Index(row, "</tr>")]
		if resp.StatusCode != http.StatusOK || !strings.Contains(row, `answer-partly">Gedeeltelijk<`) ||
			!strings.Contains(row, `href="/gent/admin/users"`) {
			t.Errorf("the page's MFA row: %d %s", resp.StatusCode, row)
		}

		reads := 0
		env.DB.EachAuditEvent(context.Background(), le.gent.ID, func(e *audit.Event) error {
			if e.Action == "compliance.read" {
				reads++
			}
			return nil
		})
		if reads != 3 {
			t.Errorf("%d compliance reads audited, want 3", reads)
		}
	})
}
