package cli

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/store"
)

// TestAccessibilityStatement_RecordCommandRefusesMalformedLog: kluis
// accessibility record refuses a malformed log with one line and records
// nothing; a good log is recorded with its date and counts.
func TestAccessibilityStatement_RecordCommandRefusesMalformedLog(t *testing.T) {
	s := newSandbox(t)
	s.setup()
	bad := filepath.Join(s.dir, "bad.jsonl")
	os.WriteFile(bad, []byte(`{"at":"2026-11-01T10:00:00Z","page":"/demo","violations":0,"tool":"axe"}`+"\n{\"pages\": 3\n"), 0o600)
	s.fails("nothing recorded", "accessibility", "record", "--from", bad)
	s.fails("say which audit log", "accessibility", "record")
	db := s.openDB()
	if _, err := db.LatestAccessibilityAudit(context.Background()); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a malformed log was recorded: %v", err)
	}
	db.Close()
	good := filepath.Join(s.dir, "good.jsonl")
	os.WriteFile(good, []byte(`{"at":"2026-11-01T10:00:00Z","page":"/demo nl desktop","violations":0,"tool":"axe-core 4.10.2"}
{"at":"2026-11-01T10:01:00Z","page":"/demo fr phone","violations":0,"tool":"axe-core 4.10.2"}
`), 0o600)
	if out := s.ok("accessibility", "record", "--from", good); !strings.Contains(out, "2 pages checked, 0 with violations") {
		t.Fatalf("record: %s", out)
	}
	db = s.openDB()
	defer db.Close()
	a, err := db.LatestAccessibilityAudit(context.Background())
	if err != nil || a.PagesChecked != 2 || a.At.Format("2006-01-02 15:04") != "2026-11-01 10:01" {
		t.Fatalf("recorded: %+v %v", a, err)
	}
}
