package backup

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/objstore"
	"github.com/kluis/kluis/internal/seal"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
	"github.com/kluis/kluis/internal/tenant"
)

var ctx = context.Background()

var op = audit.Actor{Kind: audit.KindOperator, ID: "op"}

// fixture is a platform with two tenants, a backup target and an age
// identity the backups are encrypted to.
type fixture struct {
	env      *storetest.Env
	st       objstore.Store
	id       *age.X25519Identity
	gent, bx tenant.Tenant
}

func newFixture(t *testing.T, env *storetest.Env) *fixture {
	t.Helper()
	f := &fixture{env: env}
	var err error
	if f.st, err = objstore.Dir(filepath.Join(t.TempDir(), "target")); err != nil {
		t.Fatal(err)
	}
	if f.id, err = age.GenerateX25519Identity(); err != nil {
		t.Fatal(err)
	}
	for _, p := range []struct {
		slug string
		dst  *tenant.Tenant
	}{{"gent", &f.gent}, {"brussel", &f.bx}} {
		*p.dst, err = env.DB.CreateTenant(ctx, op, tenant.New{Slug: p.slug, LegalName: "Stad " + p.slug,
			EnterpriseNumber: "0207451227", DPOName: "DPO " + p.slug, DPOEmail: "dpo@" + p.slug + ".be"})
		if err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func (f *fixture) backup(t *testing.T) Manifest {
	t.Helper()
	m, err := Make(ctx, Options{DB: f.env.DB, DatabaseURL: f.env.URL, Keys: f.env.Keys,
		Stores: []objstore.Store{f.st}, Recipients: []string{f.id.Recipient().String()}, TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// restoreOpts restores into new directories (and, for PostgreSQL, a new
// empty database).
func (f *fixture) restoreOpts(t *testing.T, id string) RestoreOptions {
	dir := t.TempDir()
	o := RestoreOptions{Store: f.st, ID: id, Identities: []age.Identity{f.id}, Master: f.env.Master,
		KeysDir: filepath.Join(dir, "keys"), DataDir: filepath.Join(dir, "data"), TempDir: t.TempDir()}
	if f.env.Dialect == store.Postgres {
		o.DatabaseURL = storetest.NewPostgresDatabase(t)
	}
	return o
}

func get(t *testing.T, st objstore.Store, key string) []byte {
	t.Helper()
	r, err := st.Get(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// END-2: a backup is made while the store is open, its data is age
// ciphertext (no plaintext of the database in it), its manifest lists the
// tenants' row counts, schema and key ids and is signed, and the keyring
// is kept apart: one object per tenant plus the platform's, never inside
// the data.
func TestClauseEND2_BackupIsEncryptedSignedAndKeyringApart(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		f := newFixture(t, env)
		m := f.backup(t)
		if m.Database != string(env.Dialect) || m.Schema != env.DB.LatestVersion() {
			t.Errorf("manifest says %s schema %d", m.Database, m.Schema)
		}
		for _, tn := range []tenant.Tenant{f.gent, f.bx} {
			if m.Rows[tn.ID]["tenants"] != 1 || m.Rows[tn.ID]["audit_events"] == 0 {
				t.Errorf("tenant %s: row counts %v", tn.Slug, m.Rows[tn.ID])
			}
			if ids := m.Keys.Tenants[tn.ID]; len(ids) != 1 || ids[0] != 1 {
				t.Errorf("tenant %s: key ids %v", tn.Slug, ids)
			}
			key, _ := TenantKeysObject(tn.ID)
			if _, err := f.st.Stat(ctx, key); err != nil {
				t.Errorf("tenant %s has no keyring backup: %v", tn.Slug, err)
			}
		}
		if len(m.Objects) != 1 || len(m.Objects[0].SHA256) != 64 || m.Objects[0].Size == 0 {
			t.Fatalf("objects %+v", m.Objects)
		}
		data := get(t, f.st, m.Objects[0].Key)
		if !bytes.HasPrefix(data, []byte("age-encryption.org/v1\n")) {
			t.Error("the data object is not age ciphertext")
		}
		for _, plain := range []string{"SQLite format 3", "dpo@gent.be", "Stad gent", "PGDMP"} {
			if bytes.Contains(data, []byte(plain)) {
				t.Errorf("the data object holds %q in plaintext", plain)
			}
		}
		// The keyring is apart: decrypting the data shows the database
		// and nothing of the keyring.
		r, err := age.Decrypt(bytes.NewReader(data), f.id)
		if err != nil {
			t.Fatal(err)
		}
		plain, _ := io.ReadAll(r)
		if bytes.Contains(plain, []byte("kluis-keyring")) || bytes.Contains(plain, []byte(`"wrapped"`)) {
			t.Error("the data backup holds keyring material")
		}
		sig := get(t, f.st, "backups/"+m.ID+"/manifest.sig")
		if !strings.Contains(string(sig), m.Keys.BackupKey) {
			t.Errorf("signature %s does not name the backup key", sig)
		}
		list, err := List(ctx, f.st)
		if err != nil || len(list) != 1 || list[0].ID != m.ID {
			t.Fatalf("List = %v, %v", list, err)
		}
	})
}

// SEC-4: a restored instance opens and serves the data: the sealed DPO
// contact of each tenant opens with the restored keyring, the row counts
// are those of the manifest and the audit chains verify.
func TestClauseSEC4_RestoreBringsBackAServingInstance(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		f := newFixture(t, env)
		m := f.backup(t)
		o := f.restoreOpts(t, m.ID)
		got, err := Restore(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.MissingKeys) != 0 {
			t.Errorf("missing keys %v", got.MissingKeys)
		}
		keys, err := seal.OpenKeyring(o.KeysDir, o.Master)
		if err != nil {
			t.Fatal(err)
		}
		db, err := store.Open(ctx, got.DatabaseURL, store.Options{Keys: keys})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if err := db.CheckSchema(ctx); err != nil {
			t.Fatal(err)
		}
		for _, tn := range []tenant.Tenant{f.gent, f.bx} {
			c, err := db.TenantContact(ctx, op, tn.ID, "restore check")
			if err != nil {
				t.Fatalf("tenant %s: %v", tn.Slug, err)
			}
			if c.DPOEmail != "dpo@"+tn.Slug+".be" {
				t.Errorf("tenant %s: DPO e-mail %q", tn.Slug, c.DPOEmail)
			}
			if _, err := db.VerifyAudit(ctx, tn.ID); err != nil {
				t.Errorf("tenant %s: audit chain: %v", tn.Slug, err)
			}
		}
		// Into a directory that is not empty: refused, nothing touched.
		o2 := f.restoreOpts(t, m.ID)
		if err := os.MkdirAll(o2.DataDir, 0o700); err != nil {
			t.Fatal(err)
		}
		used := filepath.Join(o2.DataDir, "kluis.db")
		if err := os.WriteFile(used, []byte("live"), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := Restore(ctx, o2); err == nil || !strings.Contains(err.Error(), "not empty") {
			t.Errorf("restore into a used data directory: %v", err)
		}
		if b, err := os.ReadFile(used); err != nil || string(b) != "live" {
			t.Errorf("the used data directory was touched: %v", err)
		}
	})
}

// END-4 (the backup half): with tenant A's keyring objects destroyed in
// every target, a backup taken before still restores, B's values open and
// A's cannot.
func TestClauseEND4_DestroyedTenantKeysShredTheBackup(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		f := newFixture(t, env)
		m := f.backup(t)
		removed, err := DestroyTenantKeys(ctx, []objstore.Store{f.st}, f.gent.ID)
		if err != nil || len(removed) != 1 {
			t.Fatalf("removed %v, %v", removed, err)
		}
		o := f.restoreOpts(t, m.ID)
		got, err := Restore(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.MissingKeys) != 1 || got.MissingKeys[0] != f.gent.ID {
			t.Errorf("missing keys %v", got.MissingKeys)
		}
		keys, _ := seal.OpenKeyring(o.KeysDir, o.Master)
		db, err := store.Open(ctx, got.DatabaseURL, store.Options{Keys: keys})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.TenantContact(ctx, op, f.gent.ID, "restore check"); err == nil {
			t.Error("the destroyed tenant's contact still opens")
		}
		if c, err := db.TenantContact(ctx, op, f.bx.ID, "restore check"); err != nil || c.DPOEmail != "dpo@brussel.be" {
			t.Errorf("the other tenant: %v %q", err, c.DPOEmail)
		}
	})
}

// END-2: restore refuses, with a clear message and nothing restored, a
// backup whose manifest was altered, whose data is corrupted or truncated,
// or that is encrypted to someone else.
func TestClauseEND2_RestoreRefusesBadBackups(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		f := newFixture(t, env)
		m := f.backup(t)
		dataKey := m.Objects[0].Key
		manKey := "backups/" + m.ID + "/manifest.json"
		good := get(t, f.st, dataKey)
		goodMan := get(t, f.st, manKey)
		put := func(key string, b []byte) {
			if err := f.st.Put(ctx, key, bytes.NewReader(b), int64(len(b))); err != nil {
				t.Fatal(err)
			}
		}
		other, _ := age.GenerateX25519Identity()
		for _, c := range []struct {
			name  string
			setup func(o *RestoreOptions)
			want  string
		}{
			{"altered manifest", func(*RestoreOptions) {
				put(manKey, bytes.Replace(goodMan, []byte(`"tenants": 1`), []byte(`"tenants": 2`), 1))
			}, "signature does not verify"},
			{"corrupted data", func(*RestoreOptions) {
				bad := bytes.Clone(good)
				bad[len(bad)/2] ^= 0x40
				put(dataKey, bad)
			}, "corrupted: its SHA-256"},
			{"truncated data", func(*RestoreOptions) {
				put(dataKey, good[:len(good)-100])
			}, "truncated"},
			{"foreign identity", func(o *RestoreOptions) {
				o.Identities = []age.Identity{other}
			}, "encrypted to other recipients"},
			{"foreign master key", func(o *RestoreOptions) {
				o.Master, _ = seal.GenerateMasterKey()
			}, "another master key"},
		} {
			t.Run(c.name, func(t *testing.T) {
				put(dataKey, good)
				put(manKey, goodMan)
				o := f.restoreOpts(t, m.ID)
				c.setup(&o)
				_, err := Restore(ctx, o)
				var refused *RefusedError
				if !errors.As(err, &refused) || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "nothing was restored") {
					t.Fatalf("got %v, want a refusal saying %q", err, c.want)
				}
				for _, d := range []string{o.DataDir, o.KeysDir} {
					if _, err := os.Stat(d); err == nil {
						t.Errorf("%s was left behind", d)
					}
				}
			})
		}
	})
}

// END-2: a snapshot left in the clear by a backup that was killed before
// its clean-up ran is removed by the next backup; a fresh one, maybe of a
// run going on now, is left alone.
func TestClauseEND2_KilledBackupLeavesNoSnapshotBehind(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		f := newFixture(t, env)
		tmp := t.TempDir()
		stale := filepath.Join(tmp, "kluis-backup-111", "snapshot")
		fresh := filepath.Join(tmp, "kluis-backup-222", "snapshot")
		for _, d := range []string{stale, fresh} {
			if err := os.MkdirAll(d, 0o700); err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(d, "kluis.db"), []byte("SQLite format 3"), 0o600)
		}
		old := time.Now().Add(-7 * time.Hour)
		os.Chtimes(filepath.Dir(stale), old, old)
		if _, err := Make(ctx, Options{DB: env.DB, DatabaseURL: env.URL, Keys: env.Keys, Stores: []objstore.Store{f.st},
			Recipients: []string{f.id.Recipient().String()}, TempDir: tmp}); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Dir(stale)); !os.IsNotExist(err) {
			t.Fatalf("the killed backup's snapshot is still there: %v", err)
		}
		if _, err := os.Stat(fresh); err != nil {
			t.Fatalf("a fresh scratch directory was removed: %v", err)
		}
		left, _ := filepath.Glob(filepath.Join(tmp, "kluis-backup-*"))
		if len(left) != 1 {
			t.Fatalf("scratch directories left: %v", left)
		}
	})
}

// END-2 with shared storage: attachment objects live outside the
// database, so every backup copies them to its target and lists them; a
// restore copies them to the new instance's storage (and refuses to go on
// without one), the restore test refuses a backup whose files are not all
// there, and retention removes a file with the last backup that lists it.
func TestClauseEND2_BackupHoldsTheSharedStoragesAttachmentFiles(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		f := newFixture(t, env)
		files, _ := objstore.Dir(t.TempDir())
		a, b := bytes.Repeat([]byte{0xa1}, 100), bytes.Repeat([]byte{0xb2}, 50)
		files.Put(ctx, f.gent.ID+"/a", bytes.NewReader(a), int64(len(a)))
		files.Put(ctx, f.gent.ID+"/b", bytes.NewReader(b), int64(len(b)))
		mk := func() Manifest {
			m, err := Make(ctx, Options{DB: env.DB, DatabaseURL: env.URL, Keys: env.Keys, Stores: []objstore.Store{f.st},
				Recipients: []string{f.id.Recipient().String()}, TempDir: t.TempDir(), Files: files})
			if err != nil {
				t.Fatal(err)
			}
			return m
		}
		m1 := mk()
		if m1.Files.Objects != 2 || m1.Files.Bytes != 150 {
			t.Fatalf("manifest files %+v", m1.Files)
		}
		if got := get(t, f.st, "files/"+f.gent.ID+"/a"); !bytes.Equal(got, a) {
			t.Fatalf("file a at the target: %d bytes", len(got))
		}

		o := f.restoreOpts(t, m1.ID)
		if _, err := Restore(ctx, o); err == nil || !strings.Contains(err.Error(), "--files") {
			t.Fatalf("restore without a place for the files: %v", err)
		}
		o = f.restoreOpts(t, m1.ID)
		o.Files, _ = objstore.Dir(t.TempDir())
		r, err := Restore(ctx, o)
		if err != nil || r.Files != 2 {
			t.Fatalf("restore: %v, %d files", err, r.Files)
		}
		if got := get(t, o.Files, f.gent.ID+"/b"); !bytes.Equal(got, b) {
			t.Fatalf("restored file b: %d bytes", len(got))
		}

		// The live file a goes; the next backup no longer lists it.
		files.Delete(ctx, f.gent.ID+"/a")
		m2 := mk()
		if m2.Files.Objects != 1 {
			t.Fatalf("second backup lists %d files", m2.Files.Objects)
		}
		// A file missing at the target fails the restore test's restore.
		f.st.Delete(ctx, "files/"+f.gent.ID+"/b")
		o = f.restoreOpts(t, m2.ID)
		o.FilesCheckOnly = true
		if _, err := Restore(ctx, o); err == nil || !strings.Contains(err.Error(), "missing") {
			t.Fatalf("restore with a file missing at the target: %v", err)
		}
		f.st.Put(ctx, "files/"+f.gent.ID+"/b", bytes.NewReader(b), int64(len(b)))

		// The first backup expires; file a, listed by no backup left and a
		// day old, goes with it; file b stays.
		if err := Delete(ctx, f.st, m1.ID); err != nil {
			t.Fatal(err)
		}
		root := strings.TrimPrefix(f.st.Location(), "dir:")
		old := time.Now().Add(-48 * time.Hour)
		for _, k := range []string{"a", "b"} {
			os.Chtimes(filepath.Join(root, "files", f.gent.ID, k), old, old)
		}
		if _, err := Prune(ctx, []objstore.Store{f.st}, env.Clock.Now(), Retention{Daily: 7, Weekly: 4, Monthly: 6}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.st.Stat(ctx, "files/"+f.gent.ID+"/a"); !errors.Is(err, objstore.ErrNotFound) {
			t.Fatalf("file a after the prune: %v", err)
		}
		if _, err := f.st.Stat(ctx, "files/"+f.gent.ID+"/b"); err != nil {
			t.Fatalf("file b after the prune: %v", err)
		}
	})
}

// failingData is a target whose Put of a backup's data fails after the
// first bytes, as a full disk or a dropped connection would.
type failingData struct{ objstore.Store }

func (f failingData) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	if !strings.HasSuffix(key, "/"+dataName) {
		return f.Store.Put(ctx, key, r, size)
	}
	io.CopyN(io.Discard, r, 100)
	return errors.New("disk full")
}

// END-2, SEC-6: the encrypted snapshot streams to every target at once
// (no encrypted copy on the local disk first); each target holds the same
// bytes, whose size and SHA-256 the signed manifest gives. When one target
// fails halfway the backup fails and no target shows a data object or a
// manifest: Put makes an object visible only when the stream completed.
func TestClauseEND2_BackupStreamsToEveryTargetOrNone(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		f := newFixture(t, env)
		second, err := objstore.Dir(filepath.Join(t.TempDir(), "second"))
		if err != nil {
			t.Fatal(err)
		}
		tmp := t.TempDir()
		m, err := Make(ctx, Options{DB: env.DB, DatabaseURL: env.URL, Keys: env.Keys,
			Stores: []objstore.Store{f.st, second}, Recipients: []string{f.id.Recipient().String()}, TempDir: tmp})
		if err != nil {
			t.Fatal(err)
		}
		sum := m.Objects[0]
		a, b := get(t, f.st, sum.Key), get(t, second, sum.Key)
		if !bytes.Equal(a, b) || int64(len(a)) != sum.Size {
			t.Fatalf("targets differ or size is not the manifest's: %d, %d bytes, manifest %d", len(a), len(b), sum.Size)
		}
		if h := sha256.Sum256(a); hex.EncodeToString(h[:]) != sum.SHA256 {
			t.Fatal("the data's SHA-256 is not the manifest's")
		}
		for _, st := range []objstore.Store{f.st, second} {
			o := f.restoreOpts(t, m.ID)
			o.Store = st
			if _, err := Restore(ctx, o); err != nil {
				t.Fatalf("restore from %s: %v", st.Location(), err)
			}
		}

		good, err := objstore.Dir(filepath.Join(t.TempDir(), "good"))
		if err != nil {
			t.Fatal(err)
		}
		_, err = Make(ctx, Options{DB: env.DB, DatabaseURL: env.URL, Keys: env.Keys,
			Stores: []objstore.Store{good, failingData{second}}, Recipients: []string{f.id.Recipient().String()}, TempDir: tmp})
		if err == nil || !strings.Contains(err.Error(), "disk full") {
			t.Fatalf("a backup with a failing target: %v", err)
		}
		for _, st := range []objstore.Store{good, second} {
			objs, err := st.List(ctx, backupsPrefix)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range objs {
				if !strings.HasPrefix(o.Key, backupsPrefix+m.ID+"/") {
					t.Errorf("%s holds %s of the failed backup", st.Location(), o.Key)
				}
			}
		}
		if left, _ := filepath.Glob(filepath.Join(tmp, "kluis-backup-*")); len(left) != 0 {
			t.Fatalf("scratch left behind: %v", left)
		}
	})
}
