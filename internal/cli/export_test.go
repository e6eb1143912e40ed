package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
)

// TestClauseEND3_ExportAndImportCommands: kluis export under the tenant's
// grant writes an age-encrypted file for the controller; a recipient that
// does not parse and a path that exists are refused with nothing written
// or recorded; kluis import puts the tenant into a new instance with the
// controller's identity, and refuses an instance that has it.
func TestClauseEND3_ExportAndImportCommands(t *testing.T) {
	s := newSandbox(t)
	s.setup()
	grant := s.grant("gent")
	id, _ := age.GenerateX25519Identity()
	out := filepath.Join(s.dir, "gent.tar.age")
	headBefore := s.auditHead("gent")
	s.fails("does not parse", "export", "--tenant", "gent", "--grant", grant, "--to", out, "--age-recipient", "age1nonsense")
	existing := filepath.Join(s.dir, "taken")
	os.Mkdir(existing, 0o700)
	s.fails("exists and is not an unfinished export", "export", "--tenant", "gent", "--grant", grant, "--to", existing)
	if _, err := os.Stat(out); err == nil {
		t.Fatal("a refused export wrote its file")
	}
	if entries, _ := os.ReadDir(existing); len(entries) != 0 {
		t.Fatal("a refused export wrote into the existing directory")
	}
	if s.auditHead("gent") != headBefore {
		t.Fatal("a refused export was recorded")
	}
	if msg := s.ok("export", "--tenant", "gent", "--grant", grant, "--to", out, "--age-recipient", id.Recipient().String()); !strings.Contains(msg, "exported to") {
		t.Fatalf("export: %s", msg)
	}
	keyFile := filepath.Join(s.dir, "controller.key")
	os.WriteFile(keyFile, []byte(id.String()+"\n"), 0o600)

	s.fails("already in this instance", "import", "--tenant", "gent", "--from", out, "--age-identity", keyFile)

	other := newSandbox(t)
	other.ok("keys", "init")
	other.ok("migrate")
	other.fails("is encrypted", "import", "--tenant", "gent", "--from", out)
	other.fails("the export is of gent", "import", "--tenant", "brugge", "--from", out, "--age-identity", keyFile)
	other.fails("--lang", "import", "--tenant", "gent", "--from", out, "--age-identity", keyFile, "--lang", "de")
	// The summary (END-3): rows per entity, what was skipped and why, the
	// keys made again; in the operator's language.
	msg := other.ok("import", "--tenant", "gent", "--from", out, "--age-identity", keyFile, "--lang", "nl")
	for _, want := range []string{"Import van gent", "ingelezen", "submissions", "oidc_identities", "operator_grants", "maintenance_notices",
		"operator accounts", "zoeksleutels herberekend"} {
		if !strings.Contains(msg, want) {
			t.Fatalf("import summary lacks %q:\n%s", want, msg)
		}
	}
	if msg := other.ok("tenant", "list"); !strings.Contains(msg, "gent") {
		t.Fatalf("the imported tenant is not listed: %s", msg)
	}
	other.ok("audit", "verify", "--tenant", "gent")
}

func (s *sandbox) auditHead(slug string) int64 {
	s.t.Helper()
	db := s.openDB()
	defer db.Close()
	tn, err := db.Tenant(context.Background(), slug)
	if err != nil {
		s.t.Fatal(err)
	}
	n, err := db.VerifyAudit(context.Background(), tn.ID)
	if err != nil {
		s.t.Fatal(err)
	}
	return n
}
