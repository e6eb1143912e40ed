package seal

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func testMaster(t testing.TB) MasterKey {
	t.Helper()
	m, err := GenerateMasterKey()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// newKeyring makes a keyring in a fresh directory with the given tenants.
func newKeyring(t testing.TB, tenants ...string) (string, MasterKey, *Keyring) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "keys")
	m := testMaster(t)
	if err := Init(dir, m); err != nil {
		t.Fatalf("Init: %v", err)
	}
	k, err := OpenKeyring(dir, m)
	if err != nil {
		t.Fatalf("OpenKeyring: %v", err)
	}
	for _, tn := range tenants {
		if err := k.CreateTenant(tn); err != nil {
			t.Fatalf("CreateTenant(%q): %v", tn, err)
		}
	}
	return dir, m, k
}

func reopen(t testing.TB, dir string, m MasterKey) *Keyring {
	t.Helper()
	k, err := OpenKeyring(dir, m)
	if err != nil {
		t.Fatalf("OpenKeyring: %v", err)
	}
	return k
}

func adFor(tenant string) AD {
	return AD{Tenant: tenant, Table: "person", Column: "bsn", Row: "42"}
}

func mustSeal(t testing.TB, k *Keyring, ad AD, pt []byte) []byte {
	t.Helper()
	ct, err := k.Seal(ad.Tenant, ad, pt)
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	return ct
}

func mustOpen(t testing.TB, k *Keyring, ad AD, ct, want []byte) {
	t.Helper()
	pt, err := k.Open(ad.Tenant, ad, ct)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if !bytes.Equal(pt, want) {
		t.Fatalf("Open = %q, want %q", pt, want)
	}
}

// editFile rewrites the keyring file through a generic JSON view.
func editFile(t *testing.T, dir string, edit func(doc map[string]any)) {
	t.Helper()
	path := filepath.Join(dir, FileName)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	edit(doc)
	if data, err = json.Marshal(doc); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func tenantKeysJSON(doc map[string]any, tenant string) []any {
	return doc["tenants"].(map[string]any)[tenant].(map[string]any)["keys"].([]any)
}

func TestClauseSEC2_SealOpenRoundTrip(t *testing.T) {
	_, _, k := newKeyring(t, "gemeente-a")
	big := bytes.Repeat([]byte("x"), 1<<20)
	tests := []struct {
		name string
		ad   AD
		pt   []byte
	}{
		{"empty", adFor("gemeente-a"), nil},
		{"short", adFor("gemeente-a"), []byte("123456782")},
		{"1KiB", adFor("gemeente-a"), bytes.Repeat([]byte{0xA5}, 1024)},
		{"1MiB", adFor("gemeente-a"), big},
		{"empty row", AD{Tenant: "gemeente-a", Table: "t", Column: "c"}, []byte("v")},
		{"long AD", AD{Tenant: "gemeente-a", Table: strings.Repeat("t", 300), Column: "c", Row: strings.Repeat("r", 300)}, []byte("v")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ct := mustSeal(t, k, tc.ad, tc.pt)
			if len(ct) != len(tc.pt)+Overhead {
				t.Errorf("len(ct) = %d, want %d", len(ct), len(tc.pt)+Overhead)
			}
			if len(tc.pt) >= 8 && bytes.Contains(ct, tc.pt[:8]) {
				t.Errorf("ciphertext contains the plaintext")
			}
			mustOpen(t, k, tc.ad, ct, tc.pt)
			if pt, _ := k.Open(tc.ad.Tenant, tc.ad, ct); pt == nil {
				t.Error("Open returned nil for a valid ciphertext")
			}
		})
	}
}

func TestCiphertextFormat(t *testing.T) {
	_, _, k := newKeyring(t, "a")
	pt := []byte("hello")
	ct1 := mustSeal(t, k, adFor("a"), pt)
	ct2 := mustSeal(t, k, adFor("a"), pt)
	if ct1[0] != 0x01 {
		t.Errorf("version byte = %#x, want 0x01", ct1[0])
	}
	if got := ct1[1:5]; !bytes.Equal(got, []byte{0, 0, 0, 1}) {
		t.Errorf("key id bytes = %x, want 00000001", got)
	}
	if id, err := KeyIDOf(ct1); err != nil || id != 1 {
		t.Errorf("KeyIDOf = %d, %v; want 1", id, err)
	}
	if bytes.Equal(ct1[5:17], ct2[5:17]) {
		t.Error("two seals used the same nonce")
	}
	if bytes.Equal(ct1, ct2) {
		t.Error("sealing is deterministic")
	}
}

func TestKeyIDOf(t *testing.T) {
	valid := append([]byte{1, 0xDE, 0xAD, 0xBE, 0xEF}, make([]byte, 28)...)
	tests := []struct {
		name    string
		ct      []byte
		want    uint32
		wantErr bool
	}{
		{"valid", valid, 0xDEADBEEF, false},
		{"nil", nil, 0, true},
		{"short", valid[:Overhead-1], 0, true},
		{"bad version", append([]byte{2}, valid[1:]...), 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := KeyIDOf(tc.ct)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if err != nil && !errors.Is(err, ErrOpen) {
				t.Errorf("err = %v, want ErrOpen", err)
			}
			if got != tc.want {
				t.Errorf("id = %#x, want %#x", got, tc.want)
			}
		})
	}
}

func TestClauseSEC2_ADBindsTenantTableColumnRow(t *testing.T) {
	_, _, k := newKeyring(t, "a", "b")
	ad := AD{Tenant: "a", Table: "person", Column: "bsn", Row: "42"}
	pt := []byte("123456782")
	ct := mustSeal(t, k, ad, pt)
	mustOpen(t, k, ad, ct, pt)

	tests := []struct {
		name string
		ad   AD
	}{
		{"tenant", AD{Tenant: "b", Table: "person", Column: "bsn", Row: "42"}},
		{"table", AD{Tenant: "a", Table: "persons", Column: "bsn", Row: "42"}},
		{"column", AD{Tenant: "a", Table: "person", Column: "name", Row: "42"}},
		{"row", AD{Tenant: "a", Table: "person", Column: "bsn", Row: "43"}},
		{"row empty", AD{Tenant: "a", Table: "person", Column: "bsn"}},
		{"boundary table/column", AD{Tenant: "a", Table: "personb", Column: "sn", Row: "42"}},
		{"boundary column/row", AD{Tenant: "a", Table: "person", Column: "bsn4", Row: "2"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := k.Open(tc.ad.Tenant, tc.ad, ct)
			if !errors.Is(err, ErrOpen) {
				t.Fatalf("Open with changed %s: err = %v, want ErrOpen", tc.name, err)
			}
		})
	}
}

func TestADEncodingIsUnambiguous(t *testing.T) {
	ads := []AD{
		{"a", "bc", "", ""},
		{"ab", "c", "", ""},
		{"a", "b", "c", ""},
		{"a", "", "bc", ""},
		{"", "a", "b", "c"},
		{"abc", "", "", ""},
		{"", "", "", "abc"},
	}
	seen := map[string]AD{}
	for _, ad := range ads {
		enc := string(appendAD(nil, ad))
		if !strings.HasPrefix(enc, "kluis/seal/v1") {
			t.Errorf("encoding of %+v lacks the prefix", ad)
		}
		if prev, ok := seen[enc]; ok {
			t.Errorf("%+v and %+v encode the same", prev, ad)
		}
		seen[enc] = ad
	}
}

func TestSealOpenRejectADTenantMismatch(t *testing.T) {
	_, _, k := newKeyring(t, "a", "b")
	ct := mustSeal(t, k, adFor("a"), []byte("x"))
	if _, err := k.Seal("a", adFor("b"), []byte("x")); !errors.Is(err, ErrADMismatch) {
		t.Errorf("Seal: err = %v, want ErrADMismatch", err)
	}
	if _, err := k.Open("b", adFor("a"), ct); !errors.Is(err, ErrADMismatch) {
		t.Errorf("Open: err = %v, want ErrADMismatch", err)
	}
}

func TestASVS_11_3_3_OpenRejectsTamperedCiphertext(t *testing.T) {
	_, _, k := newKeyring(t, "a")
	ad := adFor("a")
	pt := []byte("sensitive personal data")
	ct := mustSeal(t, k, ad, pt)
	flip := func(i int) []byte {
		c := slices.Clone(ct)
		c[i] ^= 0x01
		return c
	}
	tests := []struct {
		name string
		ct   []byte
		want error
	}{
		{"version", flip(0), ErrOpen},
		{"key id", flip(4), ErrUnknownKey},
		{"nonce", flip(5), ErrOpen},
		{"nonce end", flip(16), ErrOpen},
		{"body", flip(17), ErrOpen},
		{"tag", flip(len(ct) - 1), ErrOpen},
		{"truncated", ct[:len(ct)-1], ErrOpen},
		{"header only", ct[:5], ErrOpen},
		{"extended", append(slices.Clone(ct), 0), ErrOpen},
		{"empty", nil, ErrOpen},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := k.Open("a", ad, tc.ct)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if got != nil {
				t.Errorf("Open returned data with an error")
			}
			if strings.Contains(err.Error(), string(pt)) {
				t.Errorf("error mentions the plaintext: %v", err)
			}
		})
	}
	mustOpen(t, k, ad, ct, pt) // the original still opens
}

func TestClauseEND4_DestroyTenantShredsOnlyThatTenant(t *testing.T) {
	dir, m, k := newKeyring(t, "a", "b")
	other := reopen(t, dir, m) // a second process that knew tenant a
	other.refreshEvery = 0     // only the explicit reload paths
	ptA, ptB := []byte("citizen of a"), []byte("citizen of b")
	ctA := mustSeal(t, k, adFor("a"), ptA)
	if _, err := k.Rotate("a"); err != nil {
		t.Fatal(err)
	}
	ctA2 := mustSeal(t, k, adFor("a"), ptA)
	ctB := mustSeal(t, k, adFor("b"), ptB)
	mustOpen(t, other, adFor("a"), ctA2, ptA) // other has loaded a's keys
	biA, err := k.BlindIndex("a", "bsn", []byte("1"))
	if err != nil {
		t.Fatal(err)
	}
	// Keep references to a's in-memory keys to check they are zeroed.
	k.mu.RLock()
	ta := k.tenants["a"]
	var raws [][]byte
	for _, ky := range ta.data {
		raws = append(raws, ky.raw)
	}
	raws = append(raws, ta.index.raw)
	k.mu.RUnlock()

	if err := k.DestroyTenant("a"); err != nil {
		t.Fatalf("DestroyTenant: %v", err)
	}
	for i, raw := range raws {
		if !bytes.Equal(raw, make([]byte, len(raw))) {
			t.Errorf("in-memory key %d was not zeroed", i)
		}
	}

	check := func(t *testing.T, k *Keyring) {
		t.Helper()
		for _, ct := range [][]byte{ctA, ctA2} {
			if pt, err := k.Open("a", adFor("a"), ct); !errors.Is(err, ErrUnknownTenant) || pt != nil {
				t.Errorf("Open of destroyed tenant: %q, %v; want ErrUnknownTenant", pt, err)
			}
		}
		if _, err := k.Seal("a", adFor("a"), ptA); !errors.Is(err, ErrUnknownTenant) {
			t.Errorf("Seal for destroyed tenant: err = %v, want ErrUnknownTenant", err)
		}
		if _, err := k.BlindIndex("a", "bsn", []byte("1")); !errors.Is(err, ErrUnknownTenant) {
			t.Errorf("BlindIndex for destroyed tenant: err = %v, want ErrUnknownTenant", err)
		}
		if _, _, err := k.KeyIDs("a"); !errors.Is(err, ErrUnknownTenant) {
			t.Errorf("KeyIDs for destroyed tenant: err = %v, want ErrUnknownTenant", err)
		}
		if k.HasTenant("a") {
			t.Error("HasTenant(a) after destroy")
		}
		mustOpen(t, k, adFor("b"), ctB, ptB)
	}
	t.Run("same keyring", func(t *testing.T) { check(t, k) })
	t.Run("reopened from disk", func(t *testing.T) { check(t, reopen(t, dir, m)) })
	t.Run("other live keyring", func(t *testing.T) {
		// other still holds a's keys in memory until it notices the change.
		if err := other.Ping(); err != nil {
			t.Fatal(err)
		}
		check(t, other)
	})

	data, err := os.ReadFile(filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data, []byte(`"a"`)) {
		t.Error("keyring file still mentions tenant a")
	}
	if err := k.DestroyTenant("a"); !errors.Is(err, ErrUnknownTenant) {
		t.Errorf("second DestroyTenant: err = %v, want ErrUnknownTenant", err)
	}
	// Recreating the tenant gives new keys: the old data stays unreadable.
	if err := k.CreateTenant("a"); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Open("a", adFor("a"), ctA); !errors.Is(err, ErrOpen) {
		t.Errorf("Open with recreated tenant: err = %v, want ErrOpen", err)
	}
	if bi, _ := k.BlindIndex("a", "bsn", []byte("1")); bytes.Equal(bi, biA) {
		t.Error("recreated tenant has the same index key")
	}
}

func TestDestroyByAnotherProcessStopsUse(t *testing.T) {
	dir, m, server := newKeyring(t, "a")
	server.refreshEvery = time.Millisecond
	cli := reopen(t, dir, m)
	if err := cli.DestroyTenant("a"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond)
	if _, err := server.Seal("a", adFor("a"), []byte("x")); !errors.Is(err, ErrUnknownTenant) {
		t.Errorf("server sealed for a tenant destroyed elsewhere: err = %v", err)
	}
}

func TestASVS_11_2_2_RotateKeepsOldKeysReadable(t *testing.T) {
	dir, m, k := newKeyring(t, "a", "b")
	early := reopen(t, dir, m) // opened before the rotation
	early.refreshEvery = 0     // rely on the reload on unknown key id
	pt := []byte("value")
	ct1 := mustSeal(t, k, adFor("a"), pt)
	biBefore, _ := k.BlindIndex("a", "bsn", pt)

	id, err := k.Rotate("a")
	if err != nil {
		t.Fatal(err)
	}
	if id != 2 {
		t.Errorf("Rotate = %d, want 2", id)
	}
	ct2 := mustSeal(t, k, adFor("a"), pt)
	if got, _ := KeyIDOf(ct2); got != 2 {
		t.Errorf("new seal uses key %d, want 2", got)
	}
	ids, primary, err := k.KeyIDs("a")
	if err != nil || !slices.Equal(ids, []uint32{1, 2}) || primary != 2 {
		t.Errorf("KeyIDs = %v, %d, %v; want [1 2], 2", ids, primary, err)
	}
	if ids, primary, _ := k.KeyIDs("b"); !slices.Equal(ids, []uint32{1}) || primary != 1 {
		t.Errorf("KeyIDs(b) = %v, %d; rotation leaked to b", ids, primary)
	}
	if id, _ := k.Rotate("a"); id != 3 {
		t.Errorf("second Rotate = %d, want 3", id)
	}
	ct3 := mustSeal(t, k, adFor("a"), pt)
	if bi, _ := k.BlindIndex("a", "bsn", pt); !bytes.Equal(bi, biBefore) {
		t.Error("rotation changed the blind index (the index key must stay)")
	}

	for name, kr := range map[string]*Keyring{"same": k, "reopened": reopen(t, dir, m), "opened before rotate": early} {
		t.Run(name, func(t *testing.T) {
			for _, ct := range [][]byte{ct1, ct2, ct3} {
				mustOpen(t, kr, adFor("a"), ct, pt)
			}
		})
	}
	if _, primary, _ := early.KeyIDs("a"); primary != 3 {
		t.Errorf("early keyring primary = %d after reload, want 3", primary)
	}
	if _, err := k.Rotate("nobody"); !errors.Is(err, ErrUnknownTenant) {
		t.Errorf("Rotate(unknown) err = %v", err)
	}
}

func TestTenantCreatedElsewhereIsPickedUp(t *testing.T) {
	dir, m, server := newKeyring(t)
	server.refreshEvery = 0 // rely on the reload on unknown tenant
	cli := reopen(t, dir, m)
	if err := cli.CreateTenant("c"); err != nil {
		t.Fatal(err)
	}
	ct := mustSeal(t, cli, adFor("c"), []byte("x"))
	mustOpen(t, server, adFor("c"), ct, []byte("x"))
	if _, err := server.Seal("nobody", adFor("nobody"), nil); !errors.Is(err, ErrUnknownTenant) {
		t.Errorf("Seal(unknown) err = %v, want ErrUnknownTenant", err)
	}
}

func TestUnknownKeyID(t *testing.T) {
	_, _, k := newKeyring(t, "a")
	ct := mustSeal(t, k, adFor("a"), []byte("x"))
	ct[4] = 9
	if _, err := k.Open("a", adFor("a"), ct); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("err = %v, want ErrUnknownKey", err)
	}
}

func TestCreateTenant(t *testing.T) {
	_, _, k := newKeyring(t)
	if k.HasTenant("a") {
		t.Error("HasTenant before create")
	}
	if err := k.CreateTenant("a"); err != nil {
		t.Fatal(err)
	}
	if !k.HasTenant("a") {
		t.Error("!HasTenant after create")
	}
	if ids, primary, err := k.KeyIDs("a"); err != nil || !slices.Equal(ids, []uint32{1}) || primary != 1 {
		t.Errorf("KeyIDs = %v, %d, %v", ids, primary, err)
	}
	if err := k.CreateTenant("a"); !errors.Is(err, ErrTenantExists) {
		t.Errorf("second CreateTenant: err = %v, want ErrTenantExists", err)
	}
	for _, bad := range []string{"", "a\nb", strings.Repeat("x", 201), "\xff"} {
		if err := k.CreateTenant(bad); err == nil {
			t.Errorf("CreateTenant(%q) succeeded", bad)
		}
	}
	// The data key and the index key are distinct.
	k.mu.RLock()
	ta := k.tenants["a"]
	same := bytes.Equal(ta.data[1].raw, ta.index.raw)
	k.mu.RUnlock()
	if same {
		t.Error("data key equals index key")
	}
}

func TestInit(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new", "keys")
	m := testMaster(t)
	if err := Init(dir, m); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("dir mode = %v, %v; want 0700", fi.Mode().Perm(), err)
	}
	if fi, err := os.Stat(filepath.Join(dir, FileName)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("file mode = %v, %v; want 0600", fi.Mode().Perm(), err)
	}
	before, _ := os.ReadFile(filepath.Join(dir, FileName))
	if err := Init(dir, testMaster(t)); !errors.Is(err, ErrKeyringExists) {
		t.Errorf("second Init: err = %v, want ErrKeyringExists", err)
	}
	after, _ := os.ReadFile(filepath.Join(dir, FileName))
	if !bytes.Equal(before, after) {
		t.Error("second Init changed the keyring")
	}
	if err := Init(t.TempDir(), MasterKey{}); err == nil {
		t.Error("Init accepted an all-zero master key")
	}
	k := reopen(t, dir, m)
	if k.Dir() != dir {
		t.Errorf("Dir = %q, want %q", k.Dir(), dir)
	}
	if err := k.CreateTenant("a"); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(dir, FileName)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("file mode after write = %v, %v; want 0600", fi.Mode().Perm(), err)
	}
	if tmps, _ := filepath.Glob(filepath.Join(dir, ".keyring-*")); len(tmps) != 0 {
		t.Errorf("temporary files left behind: %v", tmps)
	}
	var doc fileDoc
	data, _ := os.ReadFile(filepath.Join(dir, FileName))
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Version != 1 || doc.Format != "kluis-keyring" {
		t.Errorf("format/version = %q/%d", doc.Format, doc.Version)
	}
	td := doc.Tenants["a"]
	if td == nil || td.Primary != 1 || len(td.Keys) != 2 {
		t.Fatalf("tenant entry = %+v", td)
	}
	for _, kd := range td.Keys {
		if _, err := time.Parse(time.RFC3339, kd.Created); err != nil {
			t.Errorf("created %q: %v", kd.Created, err)
		}
	}
	if td.Keys[0].Purpose != "data" || td.Keys[1].Purpose != "index" {
		t.Errorf("purposes = %q, %q", td.Keys[0].Purpose, td.Keys[1].Purpose)
	}
}

func TestWriteRefusesToOverwriteConcurrentChange(t *testing.T) {
	dir, m, k := newKeyring(t)
	path := filepath.Join(dir, FileName)
	stale, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := reopen(t, dir, m).CreateTenant("a"); err != nil { // another process
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	if _, err := writeAtomic(dir, path, []byte("{}"), stale); !errors.Is(err, ErrConflict) {
		t.Fatalf("writeAtomic over a replaced file: err = %v, want ErrConflict", err)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Error("the other process's change was overwritten")
	}
	// A Keyring refreshes before changing, so it builds on the other change.
	if err := k.CreateTenant("b"); err != nil {
		t.Fatal(err)
	}
	k2 := reopen(t, dir, m)
	if !k2.HasTenant("a") || !k2.HasTenant("b") {
		t.Error("a change was lost")
	}
}

func TestStaleTempFilesRemoved(t *testing.T) {
	dir, _, k := newKeyring(t)
	stale := filepath.Join(dir, ".keyring-123.tmp")
	fresh := filepath.Join(dir, ".keyring-456.tmp")
	for _, p := range []string{stale, fresh} {
		if err := os.WriteFile(p, []byte("old wrapped keys"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-2 * time.Hour)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	if err := k.CreateTenant("a"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Error("stale temporary file survived a write")
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Error("a recent temporary file (maybe another writer's) was removed")
	}
}

func TestOpenKeyringErrors(t *testing.T) {
	tests := []struct {
		name   string
		setup  func(t *testing.T, dir string, m MasterKey) (string, MasterKey)
		want   error
		inText string
	}{
		{
			name: "missing dir",
			setup: func(t *testing.T, dir string, m MasterKey) (string, MasterKey) {
				return filepath.Join(dir, "nope"), m
			},
			want:   ErrNoKeyring,
			inText: "run `kluis keys init`",
		},
		{
			name: "missing file",
			setup: func(t *testing.T, dir string, m MasterKey) (string, MasterKey) {
				os.Remove(filepath.Join(dir, FileName))
				return dir, m
			},
			want: ErrNoKeyring,
		},
		{
			name: "wrong master",
			setup: func(t *testing.T, dir string, m MasterKey) (string, MasterKey) {
				return dir, testMaster(t)
			},
			want:   ErrWrongMaster,
			inText: "master key does not match",
		},
		{
			name: "garbage file",
			setup: func(t *testing.T, dir string, m MasterKey) (string, MasterKey) {
				os.WriteFile(filepath.Join(dir, FileName), []byte("\x00\x01 not json"), 0o600)
				return dir, m
			},
			want:   ErrCorrupt,
			inText: FileName,
		},
		{
			name: "empty file",
			setup: func(t *testing.T, dir string, m MasterKey) (string, MasterKey) {
				os.WriteFile(filepath.Join(dir, FileName), nil, 0o600)
				return dir, m
			},
			want: ErrCorrupt,
		},
		{
			name: "truncated file",
			setup: func(t *testing.T, dir string, m MasterKey) (string, MasterKey) {
				p := filepath.Join(dir, FileName)
				data, _ := os.ReadFile(p)
				os.WriteFile(p, data[:len(data)*2/3], 0o600)
				return dir, m
			},
			want: ErrCorrupt,
		},
		{
			name: "trailing data",
			setup: func(t *testing.T, dir string, m MasterKey) (string, MasterKey) {
				p := filepath.Join(dir, FileName)
				data, _ := os.ReadFile(p)
				os.WriteFile(p, append(data, []byte("{}")...), 0o600)
				return dir, m
			},
			want: ErrCorrupt,
		},
		{
			name: "future version",
			setup: func(t *testing.T, dir string, m MasterKey) (string, MasterKey) {
				editFile(t, dir, func(doc map[string]any) { doc["version"] = 2 })
				return dir, m
			},
			want: ErrCorrupt,
		},
		{
			name: "entry moved to another tenant",
			setup: func(t *testing.T, dir string, m MasterKey) (string, MasterKey) {
				editFile(t, dir, func(doc map[string]any) {
					a, b := tenantKeysJSON(doc, "a"), tenantKeysJSON(doc, "b")
					b[0] = a[0] // a's data key 1 replaces b's
				})
				return dir, m
			},
			want:   ErrCorrupt,
			inText: "does not unwrap",
		},
		{
			name: "index key relabelled as data key",
			setup: func(t *testing.T, dir string, m MasterKey) (string, MasterKey) {
				editFile(t, dir, func(doc map[string]any) {
					keys := tenantKeysJSON(doc, "a")
					keys[0].(map[string]any)["purpose"] = "index"
					keys[1].(map[string]any)["purpose"] = "data"
				})
				return dir, m
			},
			want: ErrCorrupt,
		},
		{
			name: "tenant renamed",
			setup: func(t *testing.T, dir string, m MasterKey) (string, MasterKey) {
				editFile(t, dir, func(doc map[string]any) {
					ts := doc["tenants"].(map[string]any)
					ts["c"] = ts["a"]
					delete(ts, "a")
				})
				return dir, m
			},
			want: ErrCorrupt,
		},
		{
			name: "wrapped key tampered",
			setup: func(t *testing.T, dir string, m MasterKey) (string, MasterKey) {
				editFile(t, dir, func(doc map[string]any) {
					kd := tenantKeysJSON(doc, "b")[0].(map[string]any)
					w, _ := base64.StdEncoding.DecodeString(kd["wrapped"].(string))
					w[20] ^= 1
					kd["wrapped"] = base64.StdEncoding.EncodeToString(w)
				})
				return dir, m
			},
			want: ErrCorrupt,
		},
		{
			name: "primary names a missing key",
			setup: func(t *testing.T, dir string, m MasterKey) (string, MasterKey) {
				editFile(t, dir, func(doc map[string]any) {
					doc["tenants"].(map[string]any)["a"].(map[string]any)["primary"] = 7
				})
				return dir, m
			},
			want: ErrCorrupt,
		},
		{
			name: "index key missing",
			setup: func(t *testing.T, dir string, m MasterKey) (string, MasterKey) {
				editFile(t, dir, func(doc map[string]any) {
					ten := doc["tenants"].(map[string]any)["a"].(map[string]any)
					ten["keys"] = ten["keys"].([]any)[:1]
				})
				return dir, m
			},
			want: ErrCorrupt,
		},
		{
			name: "keyring is a directory",
			setup: func(t *testing.T, dir string, m MasterKey) (string, MasterKey) {
				p := filepath.Join(dir, FileName)
				os.Remove(p)
				os.Mkdir(p, 0o700)
				return dir, m
			},
			want: ErrCorrupt,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir, m, _ := newKeyring(t, "a", "b")
			dir, m = tc.setup(t, dir, m)
			k, err := OpenKeyring(dir, m)
			if !errors.Is(err, tc.want) {
				t.Fatalf("OpenKeyring: err = %v, want %v", err, tc.want)
			}
			if k != nil {
				t.Error("OpenKeyring returned a keyring with an error")
			}
			if !strings.Contains(err.Error(), tc.inText) {
				t.Errorf("error %q does not mention %q", err, tc.inText)
			}
			if strings.Contains(err.Error(), m.String()) {
				t.Errorf("error mentions the master key")
			}
		})
	}
	if _, err := OpenKeyring(t.TempDir(), MasterKey{}); err == nil {
		t.Error("OpenKeyring accepted an all-zero master key")
	}
}

func TestNoKeyringMessage(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "missing")
	_, err := OpenKeyring(dir, testMaster(t))
	want := "keyring not found in " + dir + ": run `kluis keys init`"
	if err == nil || !strings.HasSuffix(err.Error(), want) {
		t.Errorf("err = %v, want it to end in %q", err, want)
	}
}

func TestPing(t *testing.T) {
	dir, m, k := newKeyring(t, "a")
	if err := k.Ping(); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	cli := reopen(t, dir, m)
	if err := cli.CreateTenant("b"); err != nil {
		t.Fatal(err)
	}
	k.refreshEvery = 0
	k.mu.RLock()
	_, known := k.tenants["b"]
	k.mu.RUnlock()
	if known {
		t.Fatal("test setup: b known before Ping")
	}
	if err := k.Ping(); err != nil {
		t.Fatalf("Ping after change: %v", err)
	}
	k.mu.RLock()
	_, known = k.tenants["b"]
	k.mu.RUnlock()
	if !known {
		t.Error("Ping did not reload a changed keyring")
	}

	p := filepath.Join(dir, FileName)
	data, _ := os.ReadFile(p)
	if err := os.WriteFile(p, data[:10], 0o600); err != nil {
		t.Fatal(err)
	}
	if err := k.Ping(); !errors.Is(err, ErrCorrupt) {
		t.Errorf("Ping with a corrupt file: err = %v, want ErrCorrupt", err)
	}
	os.Remove(p)
	if err := k.Ping(); !errors.Is(err, ErrNoKeyring) {
		t.Errorf("Ping with no file: err = %v, want ErrNoKeyring", err)
	}
	// Keys in memory keep working while the file is being fixed.
	ct := mustSeal(t, k, adFor("a"), []byte("x"))
	mustOpen(t, k, adFor("a"), ct, []byte("x"))
	// Mutations refuse rather than overwrite what they cannot read.
	if err := k.CreateTenant("c"); !errors.Is(err, ErrNoKeyring) {
		t.Errorf("CreateTenant with no file: err = %v, want ErrNoKeyring", err)
	}
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := k.Ping(); err != nil {
		t.Errorf("Ping after restore: %v", err)
	}
}

func TestParseMasterKey(t *testing.T) {
	var want MasterKey
	for i := range want {
		want[i] = byte(i*7 + 1)
	}
	tests := []struct {
		name    string
		in      string
		wantErr string
	}{
		{"base64 std", base64.StdEncoding.EncodeToString(want[:]), ""},
		{"base64 raw std", base64.RawStdEncoding.EncodeToString(want[:]), ""},
		{"base64 url", base64.URLEncoding.EncodeToString(want[:]), ""},
		{"base64 raw url", base64.RawURLEncoding.EncodeToString(want[:]), ""},
		{"hex", hex.EncodeToString(want[:]), ""},
		{"hex upper", strings.ToUpper(hex.EncodeToString(want[:])), ""},
		{"surrounding space", " " + want.String() + "\n", ""},
		{"too short", base64.StdEncoding.EncodeToString(want[:12]), "got 12 bytes"},
		{"too long", base64.StdEncoding.EncodeToString(append(want[:], 1)), "got 33 bytes"},
		{"short hex", hex.EncodeToString(want[:16]), "must be 32 bytes"},
		{"garbage", "not a key!!", "must be 32 bytes"},
		{"empty", "", "empty"},
		{"all zeros", hex.EncodeToString(make([]byte, 32)), "zeros"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseMasterKey(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				if !strings.HasPrefix(err.Error(), "master key: ") {
					t.Errorf("err %q does not start with \"master key: \"", err)
				}
				if len(tc.in) > 4 && strings.Contains(err.Error(), strings.TrimSpace(tc.in)) {
					t.Errorf("error repeats the input")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("got %x, want %x", got, want)
			}
		})
	}
	if err := (func() error {
		_, err := ParseMasterKey(base64.StdEncoding.EncodeToString(make([]byte, 12)))
		return err
	})(); err == nil || err.Error() != "master key: must be 32 bytes encoded as base64 or hex, got 12 bytes" {
		t.Errorf("message = %v", err)
	}
}

func TestGenerateMasterKey(t *testing.T) {
	a, b := testMaster(t), testMaster(t)
	if a == b || a.isZero() {
		t.Error("GenerateMasterKey is not random")
	}
	back, err := ParseMasterKey(a.String())
	if err != nil || back != a {
		t.Errorf("String does not round-trip: %v", err)
	}
}

func TestBlindIndex(t *testing.T) {
	_, _, k := newKeyring(t, "a", "b")
	bi := func(tenant, purpose, value string) []byte {
		t.Helper()
		sum, err := k.BlindIndex(tenant, purpose, []byte(value))
		if err != nil {
			t.Fatal(err)
		}
		if len(sum) != BlindIndexSize {
			t.Fatalf("len = %d, want %d", len(sum), BlindIndexSize)
		}
		return sum
	}
	base := bi("a", "person.bsn", "123456782")
	plain := sha256.Sum256([]byte("123456782"))
	tests := []struct {
		name  string
		other []byte
		equal bool
	}{
		{"deterministic", bi("a", "person.bsn", "123456782"), true},
		{"other tenant", bi("b", "person.bsn", "123456782"), false},
		{"other purpose", bi("a", "person.email", "123456782"), false},
		{"other value", bi("a", "person.bsn", "123456783"), false},
		{"purpose/value boundary", bi("a", "person.bsn1", "23456782"), false},
		{"plain sha256", plain[:], false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := bytes.Equal(base, tc.other); got != tc.equal {
				t.Errorf("equal = %v, want %v", got, tc.equal)
			}
		})
	}
	if _, err := k.BlindIndex("a", "", []byte("x")); err == nil {
		t.Error("empty purpose accepted")
	}
	if _, err := k.BlindIndex("nobody", "p", []byte("x")); !errors.Is(err, ErrUnknownTenant) {
		t.Errorf("unknown tenant: err = %v", err)
	}
	// The index key is not the data key: an index does not equal an HMAC
	// under the data key.
	k.mu.RLock()
	dataRaw := slices.Clone(k.tenants["a"].data[1].raw)
	k.mu.RUnlock()
	k2 := &Keyring{tenants: map[string]*tenantKeys{"x": {index: &key{raw: dataRaw}}}}
	if alt, _ := k2.BlindIndex("x", "person.bsn", []byte("123456782")); bytes.Equal(alt, base) {
		t.Error("blind index uses the data key")
	}
}

func TestKeyringFileHoldsNoRawKeys(t *testing.T) {
	dir, m, k := newKeyring(t, "a", "b")
	if _, err := k.Rotate("a"); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	secrets := [][]byte{m[:]}
	k.mu.RLock()
	for _, tk := range k.tenants {
		for _, ky := range tk.data {
			secrets = append(secrets, slices.Clone(ky.raw))
		}
		secrets = append(secrets, slices.Clone(tk.index.raw))
	}
	k.mu.RUnlock()
	if len(secrets) != 6 {
		t.Fatalf("found %d secrets, want 6", len(secrets))
	}
	for i, s := range secrets {
		for _, enc := range []string{
			string(s),
			base64.StdEncoding.EncodeToString(s),
			base64.RawStdEncoding.EncodeToString(s),
			base64.RawURLEncoding.EncodeToString(s),
			hex.EncodeToString(s),
			string(s[:12]), // any long run
			base64.StdEncoding.EncodeToString(s)[:16],
			hex.EncodeToString(s)[:24],
		} {
			if bytes.Contains(data, []byte(enc)) {
				t.Errorf("secret %d appears in the keyring file", i)
			}
		}
	}
	// The wrapped keys are there and unwrap with the master key only.
	if _, err := OpenKeyring(dir, testMaster(t)); !errors.Is(err, ErrWrongMaster) {
		t.Errorf("other master: err = %v", err)
	}
}

func TestConcurrentUse(t *testing.T) {
	dir, m, k := newKeyring(t, "a", "b")
	k.refreshEvery = time.Millisecond
	cli := reopen(t, dir, m)
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for g := range 8 {
		wg.Go(func() {
			tenant := []string{"a", "b"}[g%2]
			for i := range 200 {
				pt := []byte{byte(g), byte(i)}
				ct, err := k.Seal(tenant, adFor(tenant), pt)
				if err != nil {
					errs <- err
					return
				}
				got, err := k.Open(tenant, adFor(tenant), ct)
				if err != nil || !bytes.Equal(got, pt) {
					errs <- errors.Join(errors.New("round trip failed"), err)
					return
				}
				if _, err := k.BlindIndex(tenant, "p", pt); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Go(func() {
		for range 10 {
			if _, err := k.Rotate("a"); err != nil {
				errs <- err
				return
			}
			if _, err := cli.Rotate("b"); err != nil { // another "process"
				errs <- err
				return
			}
			if err := k.Ping(); err != nil {
				errs <- err
				return
			}
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func BenchmarkSealOpen1KiB(b *testing.B) {
	_, _, k := newKeyring(b, "a")
	ad := adFor("a")
	pt := bytes.Repeat([]byte{0x5A}, 1024)
	b.SetBytes(int64(len(pt)))
	b.ReportAllocs()
	start := time.Now()
	for b.Loop() {
		ct, err := k.Seal("a", ad, pt)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := k.Open("a", ad, ct); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "ops/s")
}

func BenchmarkBlindIndex(b *testing.B) {
	_, _, k := newKeyring(b, "a")
	v := []byte("123456782")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := k.BlindIndex("a", "person.bsn", v); err != nil {
			b.Fatal(err)
		}
	}
}

// The checkpoint-signing key (AUD-3) is made once, kept wrapped in the
// keyring file, seen by another process, and refused when tampered with.
func TestClauseAUD3_CheckpointKeyInKeyring(t *testing.T) {
	dir, m, k := newKeyring(t, "t1")
	if _, _, _, err := k.CheckpointKey(""); !errors.Is(err, ErrNoCheckpointKey) {
		t.Fatalf("before any: %v", err)
	}
	name, key, created, err := k.CheckpointKey("loket.example/audit")
	if err != nil || !created || name != "loket.example/audit" || len(key) != ed25519.PrivateKeySize {
		t.Fatalf("create: %q %v %v", name, created, err)
	}
	other, err := OpenKeyring(dir, m)
	if err != nil {
		t.Fatal(err)
	}
	name2, key2, created2, err := other.CheckpointKey("another.example/audit")
	if err != nil || created2 || name2 != "loket.example/audit" || !key.Equal(key2) {
		t.Fatalf("reopened: %q %v %v", name2, created2, err)
	}
	// Tenant keys still work after the platform key was added, and a
	// rotation keeps the platform key.
	if _, err := other.Rotate("t1"); err != nil {
		t.Fatal(err)
	}
	if _, key3, _, err := k.CheckpointKey(""); err != nil || !key.Equal(key3) {
		t.Fatalf("after rotation: %v", err)
	}
	file, _ := os.ReadFile(filepath.Join(dir, FileName))
	if bytes.Contains(file, key.Seed()) || strings.Contains(string(file), base64.StdEncoding.EncodeToString(key.Seed())) {
		t.Fatal("the seed is in the keyring file unwrapped")
	}
	renamed := strings.Replace(string(file), `"name": "loket.example/audit"`, `"name": "evil.example/audit"`, 1)
	if err := os.WriteFile(filepath.Join(dir, FileName), []byte(renamed), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenKeyring(dir, m); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "checkpoint key does not unwrap") {
		t.Fatalf("renamed key: %v", err)
	}
}

// TestASVS_11_2_3_KeysAndNoncesGive128BitSecurityOrMore: the master key,
// every tenant data key and the blind-index key are 256-bit random keys,
// data keys drive AES-256-GCM, and each seal takes a fresh random 96-bit
// nonce (two seals of the same value never share one).
func TestASVS_11_2_3_KeysAndNoncesGive128BitSecurityOrMore(t *testing.T) {
	m, err := GenerateMasterKey()
	if err != nil || len(m) != 32 || m == (MasterKey{}) {
		t.Fatalf("master key: %d bytes, %v", len(m), err)
	}
	_, _, k := newKeyring(t, "a")
	if _, err := k.Rotate("a"); err != nil {
		t.Fatal(err)
	}
	err = k.withTenant("a", func(tk *tenantKeys) error {
		for id, ky := range tk.data {
			if len(ky.raw) != 32 {
				t.Errorf("data key %d: %d bytes", id, len(ky.raw))
			}
			if ky.aead.NonceSize() != 12 || ky.aead.Overhead() != 16 {
				t.Errorf("data key %d: nonce %d, tag %d", id, ky.aead.NonceSize(), ky.aead.Overhead())
			}
		}
		if tk.index == nil || len(tk.index.raw) != 32 {
			t.Errorf("blind-index key missing or short")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for range 100 {
		ct := mustSeal(t, k, adFor("a"), []byte("same"))
		nonce := string(ct[headerLen : headerLen+nonceLen])
		if seen[nonce] {
			t.Fatal("a nonce repeated")
		}
		seen[nonce] = true
	}
}
