package accessibility

import (
	"strings"
	"testing"
	"time"
)

var now = time.Date(2026, 11, 2, 9, 30, 0, 0, time.UTC)

// TestAccessibilityStatement_StatusFromFacts: no audit or an old one is
// not compliant; findings, an exception or a low contrast make it partial;
// a clean recent audit with nothing else is fully compliant.
func TestAccessibilityStatement_StatusFromFacts(t *testing.T) {
	clean := &Audit{At: now.Add(-24 * time.Hour), PagesChecked: 20, Tool: "axe"}
	ok := Contrast{Accent: "#0a4a8a", Ratio: 8, Min: 4.5}
	for name, tc := range map[string]struct {
		f    Facts
		want Status
		code string
	}{
		"no audit":     {Facts{Contrast: ok}, None, ReasonNoAudit},
		"old audit":    {Facts{Contrast: ok, Audit: &Audit{At: now.AddDate(-2, 0, 0), PagesChecked: 3, Tool: "axe"}}, None, ReasonAuditOld},
		"most failed":  {Facts{Contrast: ok, Audit: &Audit{At: now, PagesChecked: 4, PagesFailed: 3, Violations: 5, Tool: "axe"}}, None, ReasonAuditMost},
		"some failed":  {Facts{Contrast: ok, Audit: &Audit{At: now, PagesChecked: 4, PagesFailed: 1, Violations: 2, Tool: "axe"}}, Partial, ReasonAuditFail},
		"an exception": {Facts{Contrast: ok, Audit: clean, Exceptions: []Exception{{Ground: GroundBurden}}}, Partial, ReasonExceptions},
		"low contrast": {Facts{Contrast: Contrast{Accent: "#aaaaaa", Ratio: 2.3, Min: 4.5}, Audit: clean}, Partial, ReasonContrast},
		"clean":        {Facts{Contrast: ok, Audit: clean}, Full, ""},
	} {
		st, rs := Evaluate(tc.f, now)
		var codes []string
		for _, r := range rs {
			codes = append(codes, r.Code)
		}
		// A clean audit is no reason for the status: a fully compliant
		// site has none, and a partial one lists only what holds it back.
		if strings.Contains(strings.Join(codes, " "), ReasonAuditClean) {
			t.Errorf("%s: a clean audit listed among the reasons %v", name, codes)
		}
		if tc.code == "" && len(codes) > 0 {
			t.Errorf("%s: reasons %v, want none", name, codes)
		}
		if st != tc.want || !strings.Contains(strings.Join(codes, " "), tc.code) {
			t.Errorf("%s: %s %v, want %s with %s", name, st, codes, tc.want, tc.code)
		}
	}
}

// TestAccessibilityStatement_AuditLogParsed: a well-formed log sums up;
// a malformed or empty one is refused as a whole.
func TestAccessibilityStatement_AuditLogParsed(t *testing.T) {
	good := `{"at":"2026-11-01T10:00:00Z","page":"/demo nl desktop","violations":0,"tool":"axe-core 4.10.2"}
{"at":"2026-11-01T10:05:00Z","page":"/demo fr phone","violations":2,"tool":"axe-core 4.10.2"}
`
	a, err := ParseAuditLog(strings.NewReader(good))
	if err != nil || a.PagesChecked != 2 || a.PagesFailed != 1 || a.Violations != 2 || a.At.Format(time.RFC3339) != "2026-11-01T10:05:00Z" {
		t.Fatalf("good log: %+v %v", a, err)
	}
	for name, bad := range map[string]string{
		"empty":        "\n",
		"not json":     good + "pages: 3\n",
		"no count":     `{"at":"2026-11-01T10:00:00Z","page":"/demo","tool":"axe"}`,
		"negative":     `{"at":"2026-11-01T10:00:00Z","page":"/demo","violations":-1,"tool":"axe"}`,
		"no time":      `{"page":"/demo","violations":0,"tool":"axe"}`,
		"unknown key":  `{"at":"2026-11-01T10:00:00Z","page":"/demo","violations":0,"tool":"axe","pass":true}`,
		"summary only": `{"pages_checked": 40, "violations": 0}`,
	} {
		if a, err := ParseAuditLog(strings.NewReader(bad)); err == nil {
			t.Errorf("%s: accepted as %+v", name, a)
		}
	}
}
