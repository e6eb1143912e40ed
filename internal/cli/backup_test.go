package cli

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/jobs"
	"github.com/kluis/kluis/internal/store"
)

// END-2, SEC-4: kluis backup writes an encrypted, signed backup while the
// database is in use; kluis restore brings it back into new directories
// and the restored instance answers (kluis tenant list); a bad recipient,
// a missing identity and a used data directory are refused.
func TestClauseEND2_BackupAndRestoreFromTheCommandLine(t *testing.T) {
	s := newSandbox(t)
	s.setup()
	id, idFile := backupIdentity(t, s)
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

// SEC-5: a failed restore test fails the "backup" check of /readyz, which
// monitoring watches, while the rest of the service stays up.
func TestClauseSEC5_ReadyzFailsAfterAFailedRestoreTest(t *testing.T) {
	s := newSandbox(t)
	s.setup()
	db := s.openDB()
	now := db.Now()
	if _, err := db.RecordBackupRun(context.Background(), audit.System(jobs.KindRestoreTest), store.BackupRun{Kind: store.RunRestoreTest,
		BackupID: "20261102T033000Z-abcdef", Location: "dir:/site1", StartedAt: now, FinishedAt: now,
		Detail: "backup 20261102T033000Z-abcdef refused: its data object is truncated"}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	s.env["KLUIS_WORKER"] = "false"
	base, _ := s.serving(t, "serve")
	resp, err := http.Get(base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), `"backup":"fail"`) ||
		!strings.Contains(string(body), `"database":"ok"`) {
		t.Fatalf("/readyz: %d %s", resp.StatusCode, body)
	}
}

// SEC-5: kluis backup --restore-test runs the restore test of the latest
// backup now and records it as the scheduled one does; without a backup
// it fails, and that failure is recorded too.
func TestClauseSEC5_RestoreTestFromTheCommandLine(t *testing.T) {
	s := newSandbox(t)
	s.setup()
	id, idFile := backupIdentity(t, s)
	s.env["KLUIS_BACKUP_TARGETS"] = filepath.Join(s.dir, "target")
	s.env["KLUIS_BACKUP_RECIPIENTS"] = id.Recipient().String()
	s.env["KLUIS_BACKUP_IDENTITY_FILE"] = idFile
	s.fails("no backup in", "backup", "--restore-test")
	s.ok("backup")
	out := s.ok("backup", "--restore-test")
	if !strings.Contains(out, "restore test passed: backup ") || !strings.Contains(out, "audit events") {
		t.Fatalf("restore test: %s", out)
	}
	db := s.openDB()
	defer db.Close()
	f, err := db.BackupFacts(context.Background(), 10)
	if err != nil {
		t.Fatal(err)
	}
	if !f.LastTest.OK || f.LastGoodTest.ID != f.LastTest.ID || len(f.Recent) != 3 || f.Recent[2].OK {
		t.Errorf("recorded: %+v", f)
	}
}

// backupIdentity makes an age identity for the sandbox's backups and
// writes it to a file there.
func backupIdentity(t *testing.T, s *sandbox) (*age.X25519Identity, string) {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	idFile := filepath.Join(s.dir, "backup.key")
	if err := os.WriteFile(idFile, []byte(id.String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return id, idFile
}
