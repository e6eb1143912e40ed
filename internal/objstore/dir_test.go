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

// TestASVS_5_3_2_KeysCannotLeaveTheStore: objects are named by keys Kluis
// makes (tenant id / generated id, never a file name someone sent); a key
// with a parent step, an absolute path, a backslash, a NUL or any other
// character outside the plain set is refused before the file system is
// touched, so nothing is read or written outside the store's directory.
func TestASVS_5_3_2_KeysCannotLeaveTheStore(t *testing.T) {
	root := t.TempDir()
	st, err := objstore.Open("dir:" + filepath.Join(root, "store"))
	if err != nil {
		t.Fatal(err)
	}
	outside := filepath.Join(root, "secret")
	if err := os.WriteFile(outside, []byte("outside"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"../secret", "t/../../secret", "/etc/passwd", `t\..\..\secret`, "t/a\x00b", "t//a", "./a", "t/a b",
		"t/%2e%2e/secret", "t/ü", ""} {
		if err := objstore.ValidKey(key); err == nil {
			t.Errorf("key %q accepted", key)
		}
		if err := st.Put(t.Context(), key, strings.NewReader("x"), 1); err == nil {
			t.Errorf("Put %q succeeded", key)
		}
		if rc, err := st.Get(t.Context(), key); err == nil {
			rc.Close()
			t.Errorf("Get %q succeeded", key)
		}
	}
	if b, _ := os.ReadFile(outside); string(b) != "outside" {
		t.Fatal("the file outside the store changed")
	}
	if err := objstore.ValidKey("01JD8Z/01JD8ZQ4F0K5N7W2X9Y3A6B8C0.sealed"); err != nil {
		t.Fatalf("a generated key refused: %v", err)
	}
}
