package annex

import (
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/compliance"
	"github.com/kluis/kluis/internal/locale"
)

// TestClauseADT1_FromReportWordsTheEvidence: a report item becomes a
// finding with its status, its reason and evidence as sentences in the
// reader's language, when it was measured and the first evidence page, made
// absolute for a PDF; a sentence the catalogue lacks is left out, never
// shown as a key or a machine value.
func TestClauseADT1_FromReportWordsTheEvidence(t *testing.T) {
	rep := compliance.Report{TenantSlug: "gent", TenantName: "Stad Gent", At: measuredAt, Items: []compliance.Item{{
		Clause: compliance.Clause{ID: "USR-2"}, Status: compliance.Partly,
		Reason: "compliance.reason.admins_without_mfa", ReasonArgs: []any{1, 2},
		Evidence: []compliance.Evidence{
			{Label: "compliance.ev.admin_without_mfa", Args: []any{"An Peeters"}, Value: "An Peeters", MeasuredAt: measuredAt, Link: "/gent/admin/users"},
			{Label: "compliance.ev.no_such_sentence", Value: "2/3", MeasuredAt: measuredAt.Add(-1), Link: "/gent/admin/policy"},
		},
	}}}
	in := FromReport(rep, locale.NL, "0207.451.227", AbsoluteLinks("https://kluis.example/", "gent", ""))
	if len(in.Findings) != 1 || in.Controller != "Stad Gent" || !in.Generated.Equal(measuredAt) {
		t.Fatalf("input %+v", in)
	}
	f := in.Findings[0]
	if f.Clause != "USR-2" || f.Answer != Partly || !f.MeasuredAt.Equal(measuredAt) || f.Link != "/gent/admin/users" {
		t.Errorf("finding %+v", f)
	}
	if !strings.Contains(f.Evidence, "An Peeters") || strings.Contains(f.Evidence, "compliance.") || strings.Contains(f.Evidence, "2/3") {
		t.Errorf("evidence %q", f.Evidence)
	}
	d := Measures(in, locale.NL)
	for _, g := range d.Groups {
		for _, r := range g.Rows {
			if r.ID == "mfa" && (r.Answer != Partly || r.Evidence[0].Link != "https://kluis.example/gent/admin/users") {
				t.Errorf("MFA row %+v", r)
			}
		}
	}
	if got := AbsoluteLinks("https://kluis.example", "gent", "loket.gent.be")("/gent/admin/users"); got != "https://loket.gent.be/admin/users" {
		t.Errorf("on the tenant's own host: %q", got)
	}
}
