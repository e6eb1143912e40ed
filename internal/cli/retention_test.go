package cli

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
	// While another process (the daily job) holds the tenant's lease, the
	// command says so, does nothing and exits 1.
	raw, err := sql.Open("sqlite", filepath.Join(s.dir, "data", "kluis.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`INSERT INTO retention_runs (id, tenant_id, started_at, status, started_by, lease_until, lease_holder)
		SELECT 'held-run', id, $1, 'running', 'system:retention.run', $2, 'other-process' FROM tenants WHERE slug = 'gent'`,
		time.Now().UnixMicro(), time.Now().Add(time.Minute).UnixMicro()); err != nil {
		t.Fatal(err)
	}
	code, out, errs := s.run(context.Background(), "retention", "run", "--tenant", "gent")
	if code != 1 || !strings.Contains(out, "gent: not run: another retention run of this tenant is in progress (started ") ||
		!strings.Contains(out, "by system:retention.run); nothing was done twice") || !strings.Contains(errs, "another run was in progress") {
		t.Fatalf("while another run holds the lease: exit %d\n%s%s", code, out, errs)
	}
	s.fails(`no tenant "nope"`, "retention", "run", "--tenant", "nope")
	s.fails("say what to do: kluis retention run", "retention")
	s.fails(`unknown retention command "sweep"`, "retention", "sweep")
}
