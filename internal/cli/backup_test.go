package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
)

// END-2, SEC-4: kluis backup writes an encrypted, signed backup while the
// database is in use; kluis restore brings it back into new directories
// and the restored instance answers (kluis tenant list); a bad recipient,
// a missing identity and a used data directory are refused.
func TestClauseEND2_BackupAndRestoreFromTheCommandLine(t *testing.T) {
	s := newSandbox(t)
	s.setup()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	idFile := filepath.Join(s.dir, "backup.key")
	os.WriteFile(idFile, []byte(id.String()+"\n"), 0o600)
	target := filepath.Join(s.dir, "target")

	s.fails("does not parse", "backup", "--to", target, "--recipient", "age1nonsense")
	out := s.ok("backup", "--to", target, "--recipient", id.Recipient().String())
	if !strings.Contains(out, "manifest signed") || !strings.Contains(out, "keyring backed up apart") {
		t.Fatalf("backup: %s", out)
	}
	list := s.ok("backup", "--to", target, "--list")
	if !strings.Contains(list, "sqlite schema") {
		t.Fatalf("list: %s", list)
	}
	bid := strings.Fields(list)[0]

	// The same master key, new directories.
	master, _ := os.ReadFile(filepath.Join(s.dir, "master.key"))
	s.env["KLUIS_MASTER_KEY"] = strings.TrimSpace(string(master))
	s.fails("--identity", "restore", "--from", target, "--backup", bid)
	s.fails("not empty", "restore", "--from", target, "--backup", bid, "--identity", idFile)
	s.env["KLUIS_DATA_DIR"] = filepath.Join(s.dir, "data2")
	s.env["KLUIS_KEYS_DIR"] = filepath.Join(s.dir, "keys2")
	out = s.ok("restore", "--from", target, "--backup", bid, "--identity", idFile)
	if !strings.Contains(out, "row counts match the signed manifest") {
		t.Fatalf("restore: %s", out)
	}
	if out := s.ok("tenant", "list"); !strings.Contains(out, "gent") {
		t.Fatalf("the restored instance: %s", out)
	}
	if out := s.ok("audit", "verify", "--all"); !strings.Contains(out, "chain intact") {
		t.Fatalf("the restored instance's logs: %s", out)
	}
}
