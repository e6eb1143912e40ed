package backup

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"

	"filippo.io/age"
	"github.com/kluis/kluis/internal/objstore"
	"github.com/kluis/kluis/internal/seal"
	"github.com/kluis/kluis/internal/store"
)

// RefusedError is a backup that Restore will not restore, with the reason
// for the operator. Nothing was restored.
type RefusedError struct {
	ID, Reason string
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("backup %s refused: %s; nothing was restored", e.ID, e.Reason)
}

// RestoreOptions configure Restore.
type RestoreOptions struct {
	Store objstore.Store
	// ID is the backup to restore; "" or "latest" is the newest listed.
	ID         string
	Identities []age.Identity
	// Master is the platform's master key: the restored keyring is wrapped
	// by it, as the keyring backups are.
	Master seal.MasterKey
	// KeysDir and DataDir are new: missing or empty.
	KeysDir, DataDir string
	// DatabaseURL is where the database goes: "" is SQLite in DataDir; for
	// a PostgreSQL backup, an empty PostgreSQL database.
	DatabaseURL string
	TempDir     string
	// Files is where the backup's attachment objects go (the new
	// instance's KLUIS_STORAGE, "attachments/"); FilesCheckOnly checks
	// that they are all at the target instead (the restore test). A backup
	// that holds attachment objects is refused with neither.
	Files          objstore.Store
	FilesCheckOnly bool
}

// Restored is what Restore restored.
type Restored struct {
	Manifest    Manifest
	DatabaseURL string
	// MissingKeys lists the tenants of the backup whose keyring object is
	// gone (destroyed at the end of their contract): their sealed values
	// cannot be opened (END-4).
	MissingKeys []string
	// Files is how many attachment objects were copied (or checked).
	Files int
}

// ReadIdentities reads an age identity file.
func ReadIdentities(file string) ([]age.Identity, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("age identity: %w", err)
	}
	defer f.Close()
	ids, err := age.ParseIdentities(f)
	if err != nil {
		return nil, fmt.Errorf("age identity file %s does not parse: %v", file, err)
	}
	return ids, nil
}

// Restore restores a backup into a new data directory (or an empty
// PostgreSQL database) and a new keyring directory. It refuses, with a
// *RefusedError, a backup whose manifest signature does not verify with
// the platform's backup key, whose data object is truncated or corrupted
// (size or SHA-256 not those of the signed manifest), or that is not
// encrypted to the identity given. On any error it removes what it made.
func Restore(ctx context.Context, o RestoreOptions) (r Restored, err error) {
	if len(o.Identities) == 0 {
		return r, errors.New("no age identity: give --identity FILE (or KLUIS_BACKUP_IDENTITY_FILE)")
	}
	for _, d := range []struct{ what, dir string }{{"data", o.DataDir}, {"keys", o.KeysDir}} {
		if err := mustBeNew(d.what, d.dir); err != nil {
			return r, err
		}
	}
	if o.ID == "" || o.ID == "latest" {
		all, err := List(ctx, o.Store)
		if err != nil {
			return r, err
		}
		if len(all) == 0 {
			return r, fmt.Errorf("no backup in %s", o.Store.Location())
		}
		o.ID = all[len(all)-1].ID
	}
	if objstore.ValidKey(backupsPrefix+o.ID) != nil {
		return r, fmt.Errorf("%q is not a backup id", o.ID)
	}
	refuse := func(format string, args ...any) error {
		return &RefusedError{ID: o.ID, Reason: fmt.Sprintf(format, args...)}
	}
	body, err := readObject(ctx, o.Store, backupsPrefix+o.ID+"/"+manifestName, maxManifest)
	if errors.Is(err, objstore.ErrNotFound) {
		return r, fmt.Errorf("no backup %s in %s (kluis backup list shows those there are)", o.ID, o.Store.Location())
	} else if err != nil {
		return r, err
	}
	sigBody, err := readObject(ctx, o.Store, backupsPrefix+o.ID+"/"+signatureName, 4096)
	if err != nil {
		return r, refuse("its manifest has no signature (%v)", err)
	}

	// Everything below is made new: undo it all on failure.
	defer func() {
		if err != nil {
			os.RemoveAll(o.KeysDir)
			os.RemoveAll(o.DataDir)
		}
	}()

	// The platform keys first: they hold the key the manifest must be
	// signed with, wrapped by our master key, so that a forged manifest
	// cannot bring its own.
	keys, err := restoreKeyring(ctx, o, refuse)
	if err != nil {
		return r, err
	}
	var sig signature
	if err := json.Unmarshal(sigBody, &sig); err != nil {
		return r, refuse("its manifest signature is malformed")
	}
	_, priv, _, err := keys.BackupKey("")
	if err != nil {
		return r, refuse("the platform keyring backup holds no backup-signing key to check the manifest with")
	}
	pub := priv.Public().(ed25519.PublicKey)
	clear(priv)
	raw, _ := base64.StdEncoding.DecodeString(sig.Signature)
	if !ed25519.Verify(pub, body, raw) {
		return r, refuse("the manifest's signature does not verify with the platform's backup key: the manifest was altered, or not made by this platform")
	}
	var m Manifest
	if err := json.Unmarshal(body, &m); err != nil || m.Format != Format || m.ID != o.ID {
		return r, refuse("the signed manifest is not a manifest of this backup")
	}
	r.Manifest = m
	if m.Files.Objects > 0 {
		if o.Files == nil && !o.FilesCheckOnly {
			return r, fmt.Errorf("backup %s holds %d attachment files of the shared storage: give --files LOCATION, the new instance's KLUIS_STORAGE, to restore them to", m.ID, m.Files.Objects)
		}
		if r.Files, err = CheckFiles(ctx, o.Store, m); err != nil {
			return r, refuse("%v", err)
		}
	}

	sweepStale(o.TempDir)
	tmp, err := os.MkdirTemp(o.TempDir, "kluis-restore-*")
	if err != nil {
		return r, err
	}
	defer os.RemoveAll(tmp)
	var data *ObjectSum
	for i := range m.Objects {
		if path.Base(m.Objects[i].Key) == dataName {
			data = &m.Objects[i]
		}
	}
	if data == nil {
		return r, refuse("the manifest lists no data object")
	}
	enc := filepath.Join(tmp, dataName)
	if err := fetchChecked(ctx, o.Store, *data, enc, refuse); err != nil {
		return r, err
	}
	extract := filepath.Join(tmp, "snapshot")
	if err := decryptTree(enc, extract, o.Identities, refuse); err != nil {
		return r, err
	}

	r.DatabaseURL = o.DatabaseURL
	switch m.Database {
	case string(store.SQLite):
		if r.DatabaseURL == "" {
			r.DatabaseURL = "sqlite:" + filepath.Join(o.DataDir, "kluis.db")
		}
		if d, _, perr := store.ParseURL(r.DatabaseURL); perr != nil || d != store.SQLite {
			return r, errors.New("this backup is of an SQLite database: restore it into --data-dir, without a PostgreSQL --database-url")
		}
		dest := store.SQLitePath(r.DatabaseURL)
		if err := os.MkdirAll(filepath.Dir(dest), 0o700); err != nil {
			return r, err
		}
		if err := moveFile(filepath.Join(extract, sqliteEntry), dest); err != nil {
			return r, refuse("the data holds no SQLite database (%v)", err)
		}
	case string(store.Postgres):
		if d, _, perr := store.ParseURL(r.DatabaseURL); perr != nil || d != store.Postgres {
			return r, errors.New("this backup is of a PostgreSQL database: give --database-url of an empty PostgreSQL database to restore it into")
		}
		if err := pgRestore(ctx, r.DatabaseURL, filepath.Join(extract, pgDumpEntry)); err != nil {
			return r, err
		}
	default:
		return r, refuse("unknown database kind %q", m.Database)
	}

	// The tenants' keys: a tenant whose keyring object is gone had its
	// keys destroyed; its rows come back but cannot be opened.
	for tenant := range m.Keys.Tenants {
		key, err := TenantKeysObject(tenant)
		if err != nil {
			return r, err
		}
		doc, err := decryptObject(ctx, o.Store, key, o.Identities, refuse)
		if errors.Is(err, objstore.ErrNotFound) {
			r.MissingKeys = append(r.MissingKeys, tenant)
			continue
		}
		if err != nil {
			return r, err
		}
		_, err = keys.ImportTenant(doc)
		clear(doc)
		if err != nil {
			return r, fmt.Errorf("keyring of tenant %s: %w", tenant, err)
		}
	}

	// The restored database must hold what the manifest counted.
	db, err := store.Open(ctx, r.DatabaseURL, store.Options{Keys: keys})
	if err != nil {
		return r, err
	}
	defer db.Close()
	got, err := db.RowCounts(ctx)
	if err != nil {
		return r, err
	}
	if diff := m.Rows.Diff(got); len(diff) > 0 {
		return r, fmt.Errorf("the restored database differs from the manifest: %s", strings.Join(diff, "; "))
	}
	if o.Files != nil && m.Files.Objects > 0 {
		if err := restoreFiles(ctx, o.Store, o.Files, m); err != nil {
			return r, err
		}
	}
	return r, nil
}

// restoreFiles copies the backup's attachment objects to the new
// instance's storage, each verified by size and SHA-256.
func restoreFiles(ctx context.Context, from, to objstore.Store, m Manifest) error {
	files, err := ListedFiles(ctx, from, m)
	if err != nil {
		return err
	}
	src := objstore.Sub(from, filesPrefix)
	for k := range files {
		if err := objstore.CopyVerified(ctx, src, to, k); err != nil {
			return fmt.Errorf("restore attachment file %s to %s: %w", k, to.Location(), err)
		}
	}
	return nil
}

func restoreKeyring(ctx context.Context, o RestoreOptions, refuse func(string, ...any) error) (*seal.Keyring, error) {
	doc, err := decryptObject(ctx, o.Store, platformKeyObj, o.Identities, refuse)
	if errors.Is(err, objstore.ErrNotFound) {
		return nil, refuse("%s has no platform keyring backup (%s) to check the manifest's signature with", o.Store.Location(), platformKeyObj)
	}
	if err != nil {
		return nil, err
	}
	defer clear(doc)
	if err := seal.Init(o.KeysDir, o.Master); err != nil {
		return nil, err
	}
	keys, err := seal.OpenKeyring(o.KeysDir, o.Master)
	if err != nil {
		return nil, err
	}
	if err := keys.ImportPlatform(doc); errors.Is(err, seal.ErrForeignKeyring) {
		return nil, refuse("its keyring backup was made under another master key: set KLUIS_MASTER_KEY to the master key of the platform that made it")
	} else if err != nil {
		return nil, err
	}
	return keys, nil
}

// fetchChecked copies the object to file and refuses it when its size or
// SHA-256 is not what the signed manifest says.
func fetchChecked(ctx context.Context, st objstore.Store, want ObjectSum, file string, refuse func(string, ...any) error) error {
	rc, err := st.Get(ctx, want.Key)
	if errors.Is(err, objstore.ErrNotFound) {
		return refuse("its data object %s is missing", want.Key)
	} else if err != nil {
		return err
	}
	defer rc.Close()
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(rc, want.Size+1))
	if err != nil {
		return err
	}
	switch {
	case n < want.Size:
		return refuse("its data object is truncated: %d bytes of the %d the signed manifest lists", n, want.Size)
	case n > want.Size:
		return refuse("its data object is longer than the %d bytes the signed manifest lists", want.Size)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want.SHA256 {
		return refuse("its data object is corrupted: its SHA-256 is %s, the signed manifest says %s", got, want.SHA256)
	}
	return f.Close()
}

// decrypter opens age data, refusing data encrypted to someone else.
func decrypter(src io.Reader, ids []age.Identity, refuse func(string, ...any) error) (io.Reader, error) {
	r, err := age.Decrypt(src, ids...)
	var nomatch *age.NoIdentityMatchError
	if errors.As(err, &nomatch) {
		return nil, refuse("it is encrypted to other recipients than the identity given (%s): use the identity of one of the backup's recipients", describe(ids))
	}
	if err != nil {
		return nil, refuse("it is not readable age data (%v)", err)
	}
	return r, nil
}

func describe(ids []age.Identity) string {
	var s []string
	for _, id := range ids {
		if x, ok := id.(*age.X25519Identity); ok {
			s = append(s, x.Recipient().String())
		}
	}
	if len(s) == 0 {
		return fmt.Sprintf("%d identities", len(ids))
	}
	return strings.Join(s, ", ")
}

func decryptObject(ctx context.Context, st objstore.Store, key string, ids []age.Identity, refuse func(string, ...any) error) ([]byte, error) {
	body, err := readObject(ctx, st, key, maxKeyringObj)
	if err != nil {
		return nil, err
	}
	r, err := decrypter(bytes.NewReader(body), ids, refuse)
	if err != nil {
		return nil, err
	}
	out, err := io.ReadAll(r)
	if err != nil {
		return nil, refuse("%s does not decrypt: %v", key, err)
	}
	return out, nil
}

// decryptTree decrypts and unpacks a data object into dir.
func decryptTree(file, dir string, ids []age.Identity, refuse func(string, ...any) error) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	r, err := decrypter(f, ids, refuse)
	if err != nil {
		return err
	}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return refuse("its data does not decrypt or unpack: %v", err)
		}
		name := path.Clean(h.Name)
		if h.Typeflag != tar.TypeReg || path.IsAbs(name) || name == "." || strings.HasPrefix(name, "../") {
			return refuse("its data holds an unexpected entry %q", h.Name)
		}
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			return err
		}
		out, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return err
		}
		_, err = io.Copy(out, tr)
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return refuse("its data does not decrypt or unpack: %v", err)
		}
	}
}

func moveFile(from, to string) error {
	if _, err := os.Stat(from); err != nil {
		return err
	}
	if err := os.Rename(from, to); err == nil {
		return nil
	}
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	if err := dst.Sync(); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}

// mustBeNew refuses a directory that exists and is not empty.
func mustBeNew(what, dir string) error {
	if dir == "" {
		return fmt.Errorf("give the new %s directory to restore into", what)
	}
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s directory %s: %w", what, dir, err)
	}
	if len(ents) > 0 {
		return fmt.Errorf("the %s directory %s is not empty: restore only into a new, empty directory, never over a running instance", what, dir)
	}
	return nil
}

func pgRestore(ctx context.Context, url, dir string) error {
	bin, err := PGBin("pg_restore")
	if err != nil {
		return err
	}
	db, err := store.Open(ctx, url, store.Options{})
	if err != nil {
		return err
	}
	v, err := db.SchemaVersion(ctx)
	db.Close()
	if err != nil {
		return err
	}
	if v != 0 {
		return errors.New("the PostgreSQL database to restore into is not empty: create a new database for the restore")
	}
	cmd := exec.CommandContext(ctx, bin, "--no-owner", "--no-privileges", "--exit-on-error", "--dbname="+url, dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("pg_restore: %v: %s", err, firstLine(stderr.String()))
	}
	return nil
}
