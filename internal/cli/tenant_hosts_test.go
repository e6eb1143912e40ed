package cli

import (
	"strings"
	"testing"
)

// TestTenantHostsCommand: kluis tenant hosts adds, lists and removes a
// tenant's host names; a bad name is refused in one sentence and nothing
// is saved.
func TestTenantHostsCommand(t *testing.T) {
	s := newSandbox(t)
	s.setup()
	if out := s.ok("tenant", "hosts", "--tenant", "gent", "--add", "WWW.Gent.be"); !strings.Contains(out, "tenant gent now has host name www.gent.be") {
		t.Fatalf("add: %s", out)
	}
	s.fails("A wildcard (*) is not possible", "tenant", "hosts", "--tenant", "gent", "--add", "*.gent.be")
	if out := s.ok("tenant", "hosts", "gent"); strings.TrimSpace(out) != "www.gent.be" {
		t.Fatalf("list: %q", out)
	}
	s.ok("tenant", "hosts", "--tenant", "gent", "--remove", "www.gent.be")
	if out := s.ok("tenant", "hosts", "gent"); strings.TrimSpace(out) != "" {
		t.Fatalf("after remove: %q", out)
	}
}
