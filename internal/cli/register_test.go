package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/register"
)

// TestClauseREG1_RegisterImportExportVersions: a register document with
// broken rules is refused with every problem named and nothing saved; a
// valid one becomes version 1, a second import version 2, and both stay
// exportable.
func TestClauseREG1_RegisterImportExportVersions(t *testing.T) {
	s := newSandbox(t)
	s.setup()
	s.fails("tenant gent has no register yet", "register", "export", "--tenant", "gent", "--grant", s.grant("gent"))

	bad := register.Demo()
	bad.SubProcessors[0].Country = "US"
	bad.Categories[0].RetentionDays = 0
	bad.Categories[1].Class = "9.99"
	bad.Categories[2].Class = "4.02" // analytics serves a purpose without art. 9 basis
	file := filepath.Join(s.dir, "register.yaml")
	if err := os.WriteFile(file, bad.MarshalYAMLDocument(), 0o644); err != nil {
		t.Fatal(err)
	}
	s.fails("register not saved, 4 problem(s): categories[0].retention_days", "register", "import", "--tenant", "gent", "--grant", s.grant("gent"), "--file", file)
	_, _, errs := s.run(t.Context(), "register", "import", "--tenant", "gent", "--grant", s.grant("gent"), "--file", file)
	for _, want := range []string{"categories[0].retention_days: give a retention period in days",
		`categories[1].class: "9.99" is not an information class`, "sub_processors[0].transfer_mechanism: US is outside the EEA", `categories[2].purposes[0]: class 4.02 holds special data: purpose "analytics" needs an art. 9 GDPR exception`} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errs)
		}
	}
	if out := s.ok("register", "history", "--tenant", "gent", "--grant", s.grant("gent")); strings.Count(out, "\n") != 1 {
		t.Fatalf("a refused import saved something: %q", out)
	}
	os.WriteFile(filepath.Join(s.dir, "broken.yaml"), []byte("subject:\n  nl: x\n  colour: [\n"), 0o644)
	s.fails("register not saved, 1 problem(s): line ", "register", "import", "--tenant", "gent", "--grant", s.grant("gent"), "--file", filepath.Join(s.dir, "broken.yaml"))

	good := register.Demo()
	os.WriteFile(file, good.MarshalYAMLDocument(), 0o644)
	if out := s.ok("register", "import", "--tenant", "gent", "--grant", s.grant("gent"), "--file", file); !strings.Contains(out, "saved as version 1") {
		t.Fatalf("import: %q", out)
	}
	good.Duration = register.Text{"nl": "Tot 31 december 2030"}
	os.WriteFile(file, good.MarshalYAMLDocument(), 0o644)
	s.ok("register", "import", "--tenant", "gent", "--grant", s.grant("gent"), "--file", file)
	v1 := s.ok("register", "export", "--tenant", "gent", "--grant", s.grant("gent"), "--version", "1")
	v2 := s.ok("register", "export", "--tenant", "gent", "--grant", s.grant("gent"))
	if !strings.Contains(v1, "version 1") || strings.Contains(v1, "Tot 31 december 2030") || !strings.Contains(v2, "Tot 31 december 2030") {
		t.Fatalf("versions mixed up:\n%s\n---\n%s", v1, v2)
	}
	if r, ps := register.ParseYAML([]byte(v2)); len(ps) > 0 || r.Duration["nl"] != "Tot 31 december 2030" {
		t.Fatalf("export does not import back: %v", ps)
	}
	if out := s.ok("register", "history", "--grant", s.grant("gent"), "gent"); strings.Count(out, "\n") != 3 {
		t.Fatalf("history: %q", out)
	}
	s.fails("tenant gent has no register version 9", "register", "export", "--tenant", "gent", "--grant", s.grant("gent"), "--version", "9")
	s.fails("name the document", "register", "import", "--tenant", "gent", "--grant", s.grant("gent"))
}
