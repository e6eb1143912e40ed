package cli

import (
	"context"
	"strings"
	"testing"
)

// TestClauseAUD3_PlatformCommandsGoToThePlatformLog: a migration, a key
// rotation and the making of the checkpoint key are in the platform log,
// and tenant gent sees them (its rotation, and those for every tenant).
func TestClauseAUD3_PlatformCommandsGoToThePlatformLog(t *testing.T) {
	s := newSandbox(t)
	s.setup()
	s.ok("keys", "rotate", "--tenant", "gent")
	s.ok("audit", "key")
	s.ok("audit", "key") // the key exists: nothing new
	db := s.openDB()
	defer db.Close()
	gent, err := db.Tenant(context.Background(), "gent")
	if err != nil {
		t.Fatal(err)
	}
	es, err := db.PlatformEvents(context.Background(), gent.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range es {
		got = append(got, e.Action)
	}
	if strings.Join(got, " ") != "platform.checkpoint_key platform.keys.rotate platform.migrate" {
		t.Fatalf("gent's platform entries: %v", got)
	}
	if es[1].ObjectID != gent.ID || es[1].Purpose != "2" || !strings.Contains(es[2].Purpose, "24") {
		t.Fatalf("entries: %+v", es)
	}
}
