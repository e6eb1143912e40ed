package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/register"
)

// TestClauseSEC1_RetentionCommand: `kluis retention run` says when a
// tenant has no register, runs dry without a trace, runs for real with a
// run id, and refuses an unknown tenant or a missing verb.
func TestClauseSEC1_RetentionCommand(t *testing.T) {
	s := newSandbox(t)
	s.setup()
	if out := s.ok("retention", "run", "--tenant", "gent"); !strings.Contains(out, "gent: no processing register yet") {
		t.Fatalf("without register: %q", out)
	}
	file := filepath.Join(s.dir, "register.yaml")
	os.WriteFile(file, register.Demo().MarshalYAMLDocument(), 0o644)
	s.ok("register", "import", "--tenant", "gent", "--grant", s.grant("gent"), "--file", file)
	if out := s.ok("retention", "run", "--dry-run"); !strings.Contains(out, "gent: dry run, nothing changed; would apply: nothing has expired; 0 on legal hold") {
		t.Fatalf("dry run: %q", out)
	}
	if out := s.ok("retention", "run", "gent"); !strings.Contains(out, "gent: applied (run ") {
		t.Fatalf("run: %q", out)
	}
	s.fails(`no tenant "nope"`, "retention", "run", "--tenant", "nope")
	s.fails("say what to do: kluis retention run", "retention")
	s.fails(`unknown retention command "sweep"`, "retention", "sweep")
}
