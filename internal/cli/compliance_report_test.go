package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/compliance"
)

// TestClauseADT1_ComplianceReportCommand: under the tenant's grant the
// command writes the report of every clause as JSON or as one HTML file in
// the asked language; --format pdf says plainly it is not in this build;
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
	s.fails("not available in this build yet", "compliance", "report", "--tenant", "gent", "--grant", g, "--format", "pdf")
	s.fails("unknown --format", "compliance", "report", "--tenant", "gent", "--grant", g, "--format", "xml")
}
