package objstore_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/objstore"
	"github.com/kluis/kluis/internal/objstore/objstoretest"
)

func TestDirStore(t *testing.T) {
	s, err := objstore.Open("file:" + t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	objstoretest.Run(t, s)
}

func TestDirStoreLeavesNoTemporaryFileOnAShortWrite(t *testing.T) {
	dir := t.TempDir()
	s, _ := objstore.Dir(dir)
	if err := s.Put(t.Context(), "x/y", strings.NewReader("abc"), 10); err == nil {
		t.Fatal("short write accepted")
	}
	left, _ := filepath.Glob(filepath.Join(dir, "x", "*"))
	if len(left) != 0 {
		t.Fatalf("left behind: %v", left)
	}
	if _, err := os.Stat(filepath.Join(dir, "x", "y")); !os.IsNotExist(err) {
		t.Fatalf("half object visible: %v", err)
	}
}

func TestOpenRefusesAnUnknownScheme(t *testing.T) {
	if _, err := objstore.Open("ftp://x/y"); err == nil || !strings.Contains(err.Error(), "ftp") {
		t.Fatalf("Open ftp = %v", err)
	}
}

func TestSubStoreKeepsItsObjectsUnderItsPrefix(t *testing.T) {
	base, _ := objstore.Dir(t.TempDir())
	s := objstore.Sub(base, "exports")
	objstoretest.Run(t, s)
	if err := s.Put(t.Context(), "t1/e1.kx", strings.NewReader("x"), 1); err != nil {
		t.Fatal(err)
	}
	if _, err := base.Stat(t.Context(), "exports/t1/e1.kx"); err != nil {
		t.Fatalf("not under the prefix: %v", err)
	}
}
