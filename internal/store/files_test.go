package store_test

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/kluis/kluis/internal/store"
)

// TestClauseSEC2_SQLiteFilesAreOwnerOnly: the database file and the WAL and
// shared-memory files SQLite makes beside it are readable by their owner
// only, whatever the umask lets other files be.
func TestClauseSEC2_SQLiteFilesAreOwnerOnly(t *testing.T) {
	old := syscall.Umask(0o022) // the usual umask, which gives 0644
	defer syscall.Umask(old)
	path := filepath.Join(t.TempDir(), "kluis.db")
	db, err := store.Open(ctx, "sqlite:"+path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil { // writes, so the WAL and SHM exist
		t.Fatal(err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatalf("%s: %v", filepath.Base(p), err)
		}
		if mode := st.Mode().Perm(); mode != 0o600 {
			t.Errorf("%s: mode %04o, want 0600", filepath.Base(p), mode)
		}
	}
}
