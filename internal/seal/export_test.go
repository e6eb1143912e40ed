package seal

import (
	"errors"
	"path/filepath"
	"testing"
)

// END-2, END-4: a tenant's keys exported from one keyring open its data in
// a fresh keyring under the same master key, and only there; the platform
// keys travel apart; an export under another master key is refused as
// foreign.
func TestExportedTenantKeysOpenItsDataInAFreshKeyring(t *testing.T) {
	m, _ := GenerateMasterKey()
	open := func(dir string, m MasterKey) *Keyring {
		t.Helper()
		if err := Init(dir, m); err != nil {
			t.Fatal(err)
		}
		k, err := OpenKeyring(dir, m)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	src := open(filepath.Join(t.TempDir(), "a"), m)
	for _, tn := range []string{"gent", "brussel"} {
		if err := src.CreateTenant(tn); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := src.Rotate("gent"); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := src.BackupKey("test/backup"); err != nil {
		t.Fatal(err)
	}
	ad := AD{Tenant: "gent", Table: "t", Column: "c", Row: "1"}
	ct, err := src.Seal("gent", ad, []byte("secret"))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := src.ExportTenant("gent")
	if err != nil {
		t.Fatal(err)
	}
	plat, err := src.ExportPlatform()
	if err != nil {
		t.Fatal(err)
	}

	dst := open(filepath.Join(t.TempDir(), "b"), m)
	if err := dst.ImportPlatform(plat); err != nil {
		t.Fatal(err)
	}
	if name, _, _, err := dst.BackupKey(""); err != nil || name != "test/backup" {
		t.Fatalf("backup key after import: %q %v", name, err)
	}
	if tn, err := dst.ImportTenant(doc); err != nil || tn != "gent" {
		t.Fatalf("import: %q %v", tn, err)
	}
	if pt, err := dst.Open("gent", ad, ct); err != nil || string(pt) != "secret" {
		t.Fatalf("open after import: %q %v", pt, err)
	}
	if dst.HasTenant("brussel") {
		t.Error("a tenant that was not imported has keys")
	}
	if _, err := dst.ImportTenant(doc); !errors.Is(err, ErrTenantExists) {
		t.Errorf("second import: %v", err)
	}
	other, _ := GenerateMasterKey()
	foreign := open(filepath.Join(t.TempDir(), "c"), other)
	if _, err := foreign.ImportTenant(doc); !errors.Is(err, ErrForeignKeyring) {
		t.Errorf("import under another master key: %v", err)
	}
	if err := foreign.ImportPlatform(plat); !errors.Is(err, ErrForeignKeyring) {
		t.Errorf("platform import under another master key: %v", err)
	}
}
