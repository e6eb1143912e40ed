package cli

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/config"
)

// TestClauseSEC2_AttachmentStoreOnlyWithSharedStorage: without
// KLUIS_STORAGE no attachment goes anywhere but the database; with it,
// large attachments go under "attachments/" of the shared store, apart
// from the export files under "exports/".
func TestClauseSEC2_AttachmentStoreOnlyWithSharedStorage(t *testing.T) {
	if s, err := attachmentStore(config.Config{}); s != nil || err != nil {
		t.Fatalf("without KLUIS_STORAGE: %v %v", s, err)
	}
	root := t.TempDir()
	cfg := config.Config{Storage: root}
	a, err := attachmentStore(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e, err := exportStore(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := a.Put(ctx, "t1/a1", strings.NewReader("sealed"), 6); err != nil {
		t.Fatal(err)
	}
	if objs, err := e.List(ctx, ""); err != nil || len(objs) != 0 {
		t.Fatalf("an attachment among the exports: %v %v", objs, err)
	}
	if m, _ := filepath.Glob(filepath.Join(root, "attachments", "t1", "a1")); len(m) != 1 {
		t.Fatalf("object not under attachments/: %v", m)
	}
}
