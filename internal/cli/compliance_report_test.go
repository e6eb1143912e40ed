package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/compliance"
	"github.com/kluis/kluis/internal/pdftest"
)

// TestClauseADT1_ComplianceReportCommand: under the tenant's grant the
// command writes the report of every clause as JSON or as one HTML file in
// the asked language, or as pdf the measures annex (VO-B's checklist or
// VO-A's annex 2);
// without a grant it is refused (TestClauseAUD3_EveryTenantCommandNeedsAGrant).
func TestClauseADT1_ComplianceReportCommand(t *testing.T) {
	s := newSandbox(t)
	s.setup()
	g := s.grant("gent")
	out := s.ok("compliance", "report", "--tenant", "gent", "--grant", g)
	var rep compliance.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("JSON: %v\n%s", err, out)
	}
	if len(rep.Items) != 55 || rep.TenantSlug != "gent" {
		t.Fatalf("report: %d clauses, tenant %q", len(rep.Items), rep.TenantSlug)
	}
	if it, _ := rep.Item("USR-2"); it.Status != compliance.NotMet {
		t.Errorf("USR-2 with no admin yet: %s (%s)", it.Status, it.Reason)
	}
	file := filepath.Join(s.dir, "report.html")
	msg := s.ok("compliance", "report", "--tenant", "gent", "--grant", g, "--format", "html", "--lang", "fr", "--out", file)
	if !strings.Contains(msg, "compliance report written to "+file) {
		t.Errorf("message: %q", msg)
	}
	page, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{`<html lang="fr`, "Rapport de conformité", "ORG-6", "Gestion des utilisateurs", "mesuré le"} {
		if !strings.Contains(string(page), w) {
			t.Errorf("HTML lacks %q", w)
		}
	}
	// As pdf: the measures annex, VO-B's checklist or VO-A's annex 2, in the asked language.
	pdf := filepath.Join(s.dir, "measures.pdf")
	s.ok("compliance", "report", "--tenant", "gent", "--grant", g, "--format", "pdf", "--lang", "nl", "--out", pdf)
	b, err := os.ReadFile(pdf)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(pdftest.Text(t, b), " ")
	for _, w := range []string{"Bijlage 1 – Checklist beveiligingsmaatregelen", "Fysieke maatregelen", "Technische maatregelen",
		"Meervoudige authenticatie (USR-2) Neen"} {
		if !strings.Contains(text, w) {
			t.Errorf("measures PDF lacks %q", w)
		}
	}
	s.ok("compliance", "report", "--tenant", "gent", "--grant", g, "--format", "pdf", "--annex", "annex2", "--lang", "fr", "--out", pdf)
	if b, err = os.ReadFile(pdf); err != nil {
		t.Fatal(err)
	}
	if text := strings.Join(pdftest.Text(t, b), " "); !strings.Contains(text, "Annexe 2 – Mesures de l’application web") {
		t.Errorf("annex 2 PDF: %.300s", text)
	}
	s.fails("unknown --annex", "compliance", "report", "--tenant", "gent", "--grant", g, "--format", "pdf", "--annex", "annex3")
	s.fails("unknown --format", "compliance", "report", "--tenant", "gent", "--grant", g, "--format", "xml")
}
