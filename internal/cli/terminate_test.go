package cli

import (
	"bytes"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
)

// TestClauseEND5_TerminateFromTheCommandLine runs the whole procedure with
// the CLI: a step out of order is refused with exit status 2, the receipt
// waits for its deadline, the certificate is written as JSON and PDF and
// verifies offline, pinned to the platform key; a tampered copy does not.
func TestClauseEND5_TerminateFromTheCommandLine(t *testing.T) {
	s := newSandbox(t)
	s.setup()
	s.fails("freeze comes next", "tenant", "terminate", "--tenant", "gent", "--step", "delete")
	s.fails("unknown step", "tenant", "terminate", "--tenant", "gent", "--step", "explode")
	if out := s.ok("tenant", "terminate", "--tenant", "gent"); !strings.Contains(out, "next: freeze") {
		t.Fatalf("state:\n%s", out)
	}
	// A backup the platform knows, at two targets, taken before the freeze.
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	site1, site2 := filepath.Join(s.dir, "backups1"), filepath.Join(s.dir, "backups2")
	s.ok("backup", "--to", site1, "--to", site2, "--recipient", id.Recipient().String())
	tenantKeys := func(site string) int { // one keyring object per tenant, the operators' realm included
		found, _ := filepath.Glob(filepath.Join(site, "keyring", "tenants", "*.age"))
		return len(found)
	}
	before := tenantKeys(site1)
	if before == 0 || tenantKeys(site2) != before {
		t.Fatalf("the backup holds %d and %d tenant keyring objects", before, tenantKeys(site2))
	}
	s.ok("tenant", "terminate", "--tenant", "gent", "--step", "freeze", "--receipt-days", "1")
	s.fails("--received-by is needed", "tenant", "terminate", "--tenant", "gent", "--step", "export", "--manifest-sha256", strings.Repeat("0", 64))
	s.ok("tenant", "terminate", "--tenant", "gent", "--step", "export", "--manifest-sha256", strings.Repeat("0a", 32),
		"--files", "12", "--received-by", "Algemeen directeur, Stad Gent")
	s.fails("deadline has not passed", "tenant", "terminate", "--tenant", "gent", "--step", "receipt")
	// The CLI runs on the wall clock (the deadline itself is tested with the
	// injectable clock in package termination): the hand-over is dated back
	// a day so that the deadline has passed.
	raw, err := sql.Open("sqlite", "file:"+filepath.Join(s.dir, "data", "kluis.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`UPDATE termination_steps SET done_at = done_at - 86400000000 WHERE step = 'export'`); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	for _, step := range []string{"receipt", "stop", "delete", "keys", "check"} {
		s.ok("tenant", "terminate", "--tenant", "gent", "--step", step, "--backups", site1+","+site2)
	}
	if tenantKeys(site1) != before-1 || tenantKeys(site2) != before-1 {
		t.Fatalf("keyring objects after the keys step: %d and %d, want %d", tenantKeys(site1), tenantKeys(site2), before-1)
	}
	out := s.ok("tenant", "terminate", "--tenant", "gent", "--step", "certificate", "--out", s.dir)
	if !strings.Contains(out, "complete") {
		t.Fatalf("not complete:\n%s", out)
	}
	// The audit log, kept by legal obligation, still verifies.
	if out := s.ok("audit", "verify", "--tenant", "gent"); !strings.Contains(out, "chain intact") {
		t.Fatalf("audit verify after termination:\n%s", out)
	}
	s.fails("already terminated", "tenant", "terminate", "--tenant", "gent", "--step", "freeze")
	file := filepath.Join(s.dir, "destruction-certificate-gent.json")
	var pdf []byte
	pdf, err = os.ReadFile(filepath.Join(s.dir, "destruction-certificate-gent.pdf"))
	if err != nil || !bytes.HasPrefix(pdf, []byte("%PDF")) {
		t.Fatalf("PDF: %v", err)
	}
	key := strings.SplitN(s.ok("audit", "key"), "\n", 2)[0]
	if out := s.ok("certificate", "verify", "--key", key, file); !strings.HasPrefix(out, "VALID") || !strings.Contains(out, "Stad Gent") ||
		!strings.Contains(out, "keyring backups: 2; data backups checked: 1") {
		t.Fatalf("verify:\n%s", out)
	}
	b, _ := os.ReadFile(file)
	bad := filepath.Join(s.dir, "tampered.json")
	os.WriteFile(bad, bytes.Replace(b, []byte("Stad Gent"), []byte("Stad Brugge"), 1), 0o600)
	code, out, _ := s.run(t.Context(), "certificate", "verify", bad)
	if code == 0 || !strings.HasPrefix(out, "INVALID") {
		t.Fatalf("tampered certificate: exit %d\n%s", code, out)
	}
}
