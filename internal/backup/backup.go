// Package backup makes and restores Kluis's backups (END-2, SEC-4, SEC-5,
// SEC-6): a consistent snapshot of the database taken while the server
// serves (SQLite online backup, PostgreSQL pg_dump in directory format from
// an exported snapshot), encrypted with age to the operators' recipients,
// described by a manifest signed with the platform's backup key, and put
// into one or more objstore.Store targets (a directory, an S3 bucket at
// the second site).
//
// The keyring is never inside a data backup. It is backed up beside it as
// one age-encrypted object per tenant (its keys still wrapped by the
// master key) and one for the platform keys. Deleting a tenant's keyring
// objects everywhere (DestroyTenantKeys, at the end of a contract) makes
// every data backup unreadable for that tenant and only for it (END-4).
//
// Layout in a store:
//
//	backups/<id>/data.tar.age      the snapshot, tar then age
//	backups/<id>/manifest.json     what the backup holds (plain JSON)
//	backups/<id>/manifest.sig      Ed25519 signature of manifest.json
//	keyring/platform.age           the platform's signing keys
//	keyring/tenants/<tenant>.age   one tenant's keys
package backup

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"filippo.io/age"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/objstore"
	"github.com/kluis/kluis/internal/seal"
	"github.com/kluis/kluis/internal/store"
)

// Format names the manifest's format.
const Format = "kluis-backup/1"

// Object keys.
const (
	backupsPrefix  = "backups/"
	dataName       = "data.tar.age"
	manifestName   = "manifest.json"
	signatureName  = "manifest.sig"
	keyringPrefix  = "keyring/"
	platformKeyObj = "keyring/platform.age"
	tenantKeysDir  = "keyring/tenants/"
	sqliteEntry    = "kluis.db"
	pgDumpEntry    = "pgdump"
	maxManifest    = 16 << 20
	maxKeyringObj  = 64 << 20
	defaultKeyName = "kluis/backup"
)

// Manifest describes one backup. It is stored in plain JSON (no personal
// data: tenant ids, table names, counts, sums) so that List works without
// the age identity; its signature is checked by Restore.
type Manifest struct {
	Format   string    `json:"format"`
	ID       string    `json:"id"`
	Created  time.Time `json:"created"`
	Database string    `json:"database"` // "sqlite" or "postgres"
	Schema   int       `json:"schema_version"`
	// Rows is tenant id → table → rows in the snapshot.
	Rows    store.RowCounts `json:"rows"`
	Objects []ObjectSum     `json:"objects"`
	// Recipients are the age recipients the data is encrypted to.
	Recipients []string `json:"recipients"`
	Keys       KeyIDs   `json:"keys"`
	// Files counts the attachment objects of the shared storage that the
	// backup holds (listed, with their sizes, in its files object).
	Files FileCount `json:"files,omitempty"`
}

// FileCount is how many attachment objects a backup holds, and their bytes.
type FileCount struct {
	Objects int   `json:"objects"`
	Bytes   int64 `json:"bytes"`
}

// ObjectSum is a stored object's size and SHA-256 (of the encrypted bytes,
// as stored: checked before anything is decrypted).
type ObjectSum struct {
	Key    string `json:"key"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// KeyIDs names the keys a restore needs: each tenant's data key ids (its
// keyring object must hold them), the checkpoint key's name and the
// backup key that signed the manifest.
type KeyIDs struct {
	Tenants    map[string][]uint32 `json:"tenants"`
	Checkpoint string              `json:"checkpoint,omitempty"`
	Backup     string              `json:"backup"`
	BackupKey  string              `json:"backup_public_key"` // base64 Ed25519
}

type signature struct {
	Key       string `json:"key"`
	PublicKey string `json:"public_key"`
	Signature string `json:"signature"`
}

// Options configure Make.
type Options struct {
	DB          *store.DB
	DatabaseURL string // for pg_dump; unused on SQLite
	Keys        *seal.Keyring
	Stores      []objstore.Store
	Recipients  []string // age recipients ("age1…"), at least one
	// KeyName names the backup-signing key when it is made (first backup).
	KeyName string
	// TempDir holds the snapshot while it is encrypted; "" is os.TempDir.
	TempDir string
	// Now is the clock (the backup's id and time); nil is the store's.
	Now func() time.Time
	// Files is the shared store of attachments above the threshold
	// (KLUIS_STORAGE, "attachments/"), nil when there is none: its objects
	// are not in the database, so the backup copies them to every target
	// under "files/" and lists them (FilesObject).
	Files objstore.Store
	// Rate is the most bytes per second the encrypted snapshot streams to
	// the targets (KLUIS_BACKUP_RATE); 0 is unlimited.
	Rate int64
}

// ParseRecipients parses age recipients, one per string, with a message
// that names the one that does not parse.
func ParseRecipients(rs []string) ([]age.Recipient, error) {
	if len(rs) == 0 {
		return nil, errors.New("no age recipient: give --recipient age1… (or KLUIS_BACKUP_RECIPIENTS); a backup is never written unencrypted")
	}
	out := make([]age.Recipient, 0, len(rs))
	for _, s := range rs {
		r, err := age.ParseRecipients(strings.NewReader(s))
		if err != nil || len(r) != 1 {
			return nil, fmt.Errorf("age recipient %q does not parse: want a public key such as age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p", s)
		}
		out = append(out, r[0])
	}
	return out, nil
}

// Make takes a backup and writes it to every store: first the keyring
// objects, then the data, the manifest and its signature last, so that a
// backup interrupted halfway has no manifest and is not listed.
func Make(ctx context.Context, o Options) (Manifest, error) {
	if len(o.Stores) == 0 {
		return Manifest{}, errors.New("no backup target: give --to LOCATION (or KLUIS_BACKUP_TARGETS)")
	}
	recips, err := ParseRecipients(o.Recipients)
	if err != nil {
		return Manifest{}, err
	}
	if o.Keys == nil {
		return Manifest{}, errors.New("backup: no keyring")
	}
	now := o.Now
	if now == nil {
		now = o.DB.Now
	}
	keyName := o.KeyName
	if keyName == "" {
		keyName = defaultKeyName
	}
	name, priv, _, err := o.Keys.BackupKey(keyName)
	if err != nil {
		return Manifest{}, err
	}
	defer clear(priv)

	var rnd [3]byte
	rand.Read(rnd[:])
	created := now().UTC().Truncate(time.Second)
	m := Manifest{Format: Format, ID: created.Format("20060102T150405Z") + "-" + hex.EncodeToString(rnd[:]),
		Created: created, Database: string(o.DB.Dialect()), Recipients: o.Recipients,
		Keys: KeyIDs{Tenants: map[string][]uint32{}, Backup: name,
			BackupKey: base64.StdEncoding.EncodeToString(priv.Public().(ed25519.PublicKey))}}
	if m.Schema, err = o.DB.SchemaVersion(ctx); err != nil {
		return m, err
	}
	if cp, _, _, err := o.Keys.CheckpointKey(""); err == nil {
		m.Keys.Checkpoint = cp
	}

	// The keyring, apart from the data (END-2).
	if err := writeKeyring(ctx, o.Keys, o.Stores, recips, m.Keys.Tenants); err != nil {
		return m, err
	}

	// Attachment objects in the shared storage: copied before the snapshot
	// and again after it, so that every object a row of the snapshot names
	// is at the targets (an object is put before its row is written, and
	// swept only an hour after no row names it).
	var before []objstore.Object
	if o.Files != nil {
		if before, err = copyFiles(ctx, o.Files, o.Stores); err != nil {
			return m, err
		}
	}

	sweepStale(o.TempDir)
	tmp, err := os.MkdirTemp(o.TempDir, "kluis-backup-*")
	if err != nil {
		return m, fmt.Errorf("backup: %w", err)
	}
	defer os.RemoveAll(tmp)
	snap := filepath.Join(tmp, "snapshot")
	if err := os.Mkdir(snap, 0o700); err != nil {
		return m, fmt.Errorf("backup: %w", err)
	}
	if o.DB.Dialect() == store.SQLite {
		m.Rows, err = o.DB.SnapshotSQLite(ctx, filepath.Join(snap, sqliteEntry))
	} else {
		m.Rows, err = o.DB.SnapshotPostgres(ctx, func(id string) error {
			return pgDump(ctx, o.DatabaseURL, id, filepath.Join(snap, pgDumpEntry))
		})
	}
	if err != nil {
		return m, err
	}
	key := backupsPrefix + m.ID + "/" + dataName
	sum, err := putEncryptedTree(ctx, snap, key, o.Stores, recips, o.Rate)
	if err != nil {
		return m, err
	}
	sum.Key = key
	m.Objects = []ObjectSum{sum}
	if o.Files != nil {
		after, err := copyFiles(ctx, o.Files, o.Stores)
		if err != nil {
			return m, err
		}
		list, count := fileList(before, after)
		m.Files = count
		fsum := ObjectSum{Key: backupsPrefix + m.ID + "/" + filesName, Size: int64(len(list))}
		h := sha256.Sum256(list)
		fsum.SHA256 = hex.EncodeToString(h[:])
		for _, st := range o.Stores {
			if err := st.Put(ctx, fsum.Key, bytes.NewReader(list), fsum.Size); err != nil {
				return m, fmt.Errorf("backup to %s: %w", st.Location(), err)
			}
		}
		m.Objects = append(m.Objects, fsum)
	}
	body, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return m, err
	}
	sig, err := json.Marshal(signature{Key: name, PublicKey: m.Keys.BackupKey,
		Signature: base64.StdEncoding.EncodeToString(ed25519.Sign(priv, body))})
	if err != nil {
		return m, err
	}
	for _, st := range o.Stores {
		if err := st.Put(ctx, backupsPrefix+m.ID+"/"+signatureName, bytes.NewReader(sig), int64(len(sig))); err != nil {
			return m, fmt.Errorf("backup to %s: %w", st.Location(), err)
		}
		if err := st.Put(ctx, backupsPrefix+m.ID+"/"+manifestName, bytes.NewReader(body), int64(len(body))); err != nil {
			return m, fmt.Errorf("backup to %s: %w", st.Location(), err)
		}
	}
	return m, nil
}

// MakeRecorded is Make, with the backup's result recorded (backup_runs
// and the platform log, by actor) whether it succeeded or failed (SEC-5).
func MakeRecorded(ctx context.Context, actor audit.Actor, o Options) (Manifest, error) {
	start := o.DB.Now()
	m, err := Make(ctx, o)
	run := store.BackupRun{Kind: store.RunBackup, BackupID: m.ID, Location: Locations(o.Stores), StartedAt: start,
		FinishedAt: o.DB.Now(), OK: err == nil}
	if err != nil {
		run.Detail = firstLine(err.Error())
	}
	if _, rerr := o.DB.RecordBackupRun(ctx, actor, run); rerr != nil {
		return m, errors.Join(err, rerr)
	}
	return m, err
}

// Locations names stores for people.
func Locations(stores []objstore.Store) string {
	s := make([]string, len(stores))
	for i, st := range stores {
		s[i] = st.Location()
	}
	return strings.Join(s, ", ")
}

// writeKeyring writes one age object per tenant and one for the platform
// keys to every store, and notes each tenant's data key ids.
func writeKeyring(ctx context.Context, keys *seal.Keyring, stores []objstore.Store, recips []age.Recipient, ids map[string][]uint32) error {
	doc, err := keys.ExportPlatform()
	if err != nil {
		return err
	}
	if err := putSealed(ctx, stores, recips, platformKeyObj, doc); err != nil {
		return err
	}
	for _, t := range keys.Tenants() {
		if ids[t], _, err = keys.KeyIDs(t); err != nil {
			return err
		}
		if err := writeTenantKeys(ctx, keys, stores, recips, t); err != nil {
			return err
		}
	}
	return nil
}

func writeTenantKeys(ctx context.Context, keys *seal.Keyring, stores []objstore.Store, recips []age.Recipient, tenant string) error {
	key, err := TenantKeysObject(tenant)
	if err != nil {
		return err
	}
	doc, err := keys.ExportTenant(tenant)
	if err != nil {
		return err
	}
	return putSealed(ctx, stores, recips, key, doc)
}

// putSealed encrypts doc to the recipients, wipes it, and writes the
// object to every store.
func putSealed(ctx context.Context, stores []objstore.Store, recips []age.Recipient, key string, doc []byte) error {
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, recips...)
	if err != nil {
		return err
	}
	if _, err := w.Write(doc); err != nil {
		return err
	}
	clear(doc)
	if err := w.Close(); err != nil {
		return err
	}
	for _, st := range stores {
		if err := st.Put(ctx, key, bytes.NewReader(buf.Bytes()), int64(buf.Len())); err != nil {
			return fmt.Errorf("keyring backup to %s: %w", st.Location(), err)
		}
	}
	return nil
}

// RefreshTenantKeys writes the tenant's keyring object again at every
// store from the live keyring. After an erasure has destroyed person keys
// (DSR-1) the object must lose them at once, not at the next nightly
// backup: the data backups keep the wrapped person keys, and only the
// keyring object decides whether they still open (the same crypto-
// shredding as at the end of a contract, END-4). A tenant the keyring no
// longer holds has its object deleted instead.
func RefreshTenantKeys(ctx context.Context, keys *seal.Keyring, stores []objstore.Store, recipients []string, tenant string) error {
	if !keys.HasTenant(tenant) {
		_, err := DestroyTenantKeys(ctx, stores, tenant)
		return err
	}
	recips, err := ParseRecipients(recipients)
	if err != nil {
		return err
	}
	return writeTenantKeys(ctx, keys, stores, recips, tenant)
}

// MirrorKeyring makes the keyring objects at to those at from. Unlike the
// backups, which never change once written (objstore.Replicate), keyring
// objects are rewritten at every backup (a rotated key, a punctured
// person-key tree), so each is copied again, and one gone from from (a
// tenant whose keys were destroyed, END-4) is deleted at to.
func MirrorKeyring(ctx context.Context, from, to objstore.Store) error {
	src, err := from.List(ctx, keyringPrefix)
	if err != nil {
		return err
	}
	dst, err := to.List(ctx, keyringPrefix)
	if err != nil {
		return err
	}
	keep := map[string]bool{}
	for _, o := range src {
		keep[o.Key] = true
		body, err := readObject(ctx, from, o.Key, maxKeyringObj)
		if err != nil {
			return err
		}
		if err := to.Put(ctx, o.Key, bytes.NewReader(body), int64(len(body))); err != nil {
			return fmt.Errorf("keyring backup to %s: %w", to.Location(), err)
		}
	}
	for _, o := range dst {
		if !keep[o.Key] {
			if err := to.Delete(ctx, o.Key); err != nil {
				return err
			}
		}
	}
	return nil
}

// TenantKeysObject is the key of a tenant's keyring object.
func TenantKeysObject(tenant string) (string, error) {
	key := tenantKeysDir + tenant + ".age"
	if objstore.ValidKey(key) != nil {
		// Tenant ids are hex today; anything else is hex-encoded.
		key = tenantKeysDir + "x" + hex.EncodeToString([]byte(tenant)) + ".age"
	}
	return key, objstore.ValidKey(key)
}

// putEncryptedTree tars dir's regular files (relative names) through age
// straight into key at every store, and returns the encrypted bytes' size
// and SHA-256 as the stores received them. Nothing encrypted is written
// to a temporary file first: the snapshot is read once and each target
// written once, instead of a third full write (and fsync) on the local
// disk that competed with the server's commits (END-2). Each store's Put
// reads its own pipe, so an object becomes visible only when the whole
// stream reached it; a failure anywhere closes every pipe with the error,
// and Put then leaves no object.
func putEncryptedTree(ctx context.Context, dir, key string, stores []objstore.Store, recips []age.Recipient, rate int64) (ObjectSum, error) {
	pipes := make([]*io.PipeWriter, len(stores))
	writers := make([]io.Writer, len(stores))
	errs := make(chan error, len(stores))
	for i, st := range stores {
		pr, pw := io.Pipe()
		pipes[i], writers[i] = pw, pw
		go func() {
			err := st.Put(ctx, key, pr, -1)
			if err != nil {
				err = fmt.Errorf("backup to %s: %w", st.Location(), err)
			}
			// Unblock the writer if Put stopped reading early.
			pr.CloseWithError(errors.Join(err, io.ErrClosedPipe))
			errs <- err
		}()
	}
	h := sha256.New()
	cw := &countWriter{w: io.MultiWriter(append(writers, h)...)}
	var w io.Writer = cw
	if rate > 0 {
		w = &rateWriter{w: cw, rate: rate, start: time.Now()}
	}
	werr := writeEncryptedTree(dir, w, recips)
	for _, pw := range pipes {
		if werr != nil {
			pw.CloseWithError(werr)
		} else {
			pw.Close()
		}
	}
	var perr []error
	for range stores {
		if err := <-errs; err != nil {
			perr = append(perr, err)
		}
	}
	if werr != nil {
		return ObjectSum{}, fmt.Errorf("backup: encrypting the snapshot: %w", werr)
	}
	if err := errors.Join(perr...); err != nil {
		return ObjectSum{}, err
	}
	return ObjectSum{Size: cw.n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// writeEncryptedTree writes dir's regular files as a tar through age to w.
func writeEncryptedTree(dir string, w io.Writer, recips []age.Recipient) error {
	aw, err := age.Encrypt(w, recips...)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(aw)
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if err := tw.WriteHeader(&tar.Header{Name: filepath.ToSlash(rel), Mode: 0o600, Size: fi.Size(),
			ModTime: fi.ModTime(), Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		src, err := os.Open(p)
		if err != nil {
			return err
		}
		defer src.Close()
		_, err = io.Copy(tw, src)
		return err
	})
	if err == nil {
		err = tw.Close()
	}
	if err == nil {
		err = aw.Close()
	}
	return err
}

// rateWriter holds the stream to rate bytes per second on average, so
// that a backup leaves the disk's writes and fsyncs (and a CPU) to the
// server's commits instead of bursting (END-2: a backup while serving).
type rateWriter struct {
	w     io.Writer
	rate  int64
	start time.Time
	n     int64
}

func (r *rateWriter) Write(p []byte) (int, error) {
	n, err := r.w.Write(p)
	r.n += int64(n)
	due := r.start.Add(time.Duration(float64(r.n) / float64(r.rate) * float64(time.Second)))
	if d := time.Until(due); d > 0 {
		time.Sleep(d)
	}
	return n, err
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// PGBin finds a PostgreSQL client program: KLUIS_PG_BINDIR, PATH, then
// the newest /usr/lib/postgresql/*/bin (Debian's layout).
func PGBin(name string) (string, error) {
	if d := os.Getenv("KLUIS_PG_BINDIR"); d != "" {
		return filepath.Join(d, name), nil
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return versionOf(dirs[i]) > versionOf(dirs[j]) })
	for _, d := range dirs {
		if p := filepath.Join(d, name); isExec(p) {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found: install the PostgreSQL client or set KLUIS_PG_BINDIR", name)
}

func versionOf(dir string) int {
	var v int
	fmt.Sscanf(filepath.Base(filepath.Dir(dir)), "%d", &v)
	return v
}

func isExec(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

func pgDump(ctx context.Context, url, snapshot, dir string) error {
	bin, err := PGBin("pg_dump")
	if err != nil {
		return err
	}
	// Uncompressed: the personal data is sealed (ciphertext does not
	// compress), and gzip made a backup ten times slower for half the size
	// (BenchmarkBackupRestore, 20,000 submissions: 6.5 s against 0.6 s).
	cmd := exec.CommandContext(ctx, bin, "--format=directory", "--file="+dir, "--snapshot="+snapshot,
		"--no-owner", "--no-privileges", "--compress=0", "--dbname="+url)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("pg_dump: %v: %s", err, firstLine(stderr.String()))
	}
	return nil
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// List returns the backups in store, oldest first, as their manifests say
// (not verified: Restore checks the signature). Backups without a
// manifest (interrupted) are left out.
func List(ctx context.Context, st objstore.Store) ([]Manifest, error) {
	objs, err := st.List(ctx, backupsPrefix)
	if err != nil {
		return nil, err
	}
	var out []Manifest
	for _, o := range objs {
		if !strings.HasSuffix(o.Key, "/"+manifestName) {
			continue
		}
		body, err := readObject(ctx, st, o.Key, maxManifest)
		if err != nil {
			return nil, err
		}
		var m Manifest
		if err := json.Unmarshal(body, &m); err != nil || m.Format != Format {
			continue // not ours, or damaged: Restore says which
		}
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Created.Before(out[j].Created) })
	return out, nil
}

// Delete removes a backup's objects from the store (retention).
func Delete(ctx context.Context, st objstore.Store, id string) error {
	objs, err := st.List(ctx, backupsPrefix+id+"/")
	if err != nil {
		return err
	}
	// The manifest first: a half-deleted backup is then no longer listed.
	sort.Slice(objs, func(i, j int) bool {
		return strings.HasSuffix(objs[i].Key, manifestName) && !strings.HasSuffix(objs[j].Key, manifestName)
	})
	for _, o := range objs {
		if err := st.Delete(ctx, o.Key); err != nil {
			return err
		}
	}
	return nil
}

// DestroyTenantKeys deletes the tenant's keyring objects from every store
// (END-4: crypto-shredding of every backup) and returns what it removed
// as "location key". A store without them is no error.
func DestroyTenantKeys(ctx context.Context, stores []objstore.Store, tenant string) (removed []string, err error) {
	key, err := TenantKeysObject(tenant)
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, st := range stores {
		if _, err := st.Stat(ctx, key); errors.Is(err, objstore.ErrNotFound) {
			continue
		} else if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", st.Location(), err))
			continue
		}
		if err := st.Delete(ctx, key); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", st.Location(), err))
			continue
		}
		removed = append(removed, st.Location()+" "+key)
	}
	return removed, errors.Join(errs...)
}

func readObject(ctx context.Context, st objstore.Store, key string, limit int64) ([]byte, error) {
	r, err := st.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", key, limit)
	}
	return b, nil
}

// ReplicateTo copies the backups of from that are missing at the second
// site, each copy verified (objstore.Replicate), then mirrors the keyring
// objects (SEC-6). Returns the backup objects copied.
func ReplicateTo(ctx context.Context, from, second objstore.Store) ([]string, error) {
	copied, err := objstore.Replicate(ctx, from, second, filesPrefix)
	if err != nil {
		return copied, err
	}
	more, err := objstore.Replicate(ctx, from, second, backupsPrefix)
	copied = append(copied, more...)
	if err != nil {
		return copied, err
	}
	return copied, MirrorKeyring(ctx, from, second)
}

// staleAfter is how old a scratch directory of a backup, restore or
// restore test must be to be taken for the leftover of a process that was
// killed (SIGKILL, out of memory) before its deferred clean-up ran; none
// runs for hours.
const staleAfter = 6 * time.Hour

// sweepStale removes such leftovers from dir ("" is os.TempDir): an
// unencrypted snapshot of the database (its personal values are sealed,
// but nothing of a backup is to stay in the clear) must not outlive the
// run that made it.
func sweepStale(dir string) {
	if dir == "" {
		dir = os.TempDir()
	}
	for _, pattern := range []string{"kluis-backup-*", "kluis-restore-*"} {
		found, _ := filepath.Glob(filepath.Join(dir, pattern))
		for _, p := range found {
			if fi, err := os.Lstat(p); err == nil && fi.IsDir() && time.Since(fi.ModTime()) > staleAfter {
				os.RemoveAll(p)
			}
		}
	}
}

// filesPrefix is where a target keeps the attachment objects of the
// shared storage; each backup's files object lists those it holds.
const (
	filesPrefix = "files/"
	filesName   = "files.txt"
)

// copyFiles copies the attachment objects missing at each target (they
// never change once written: objstore.Replicate) and returns the objects
// the shared storage held.
func copyFiles(ctx context.Context, files objstore.Store, stores []objstore.Store) ([]objstore.Object, error) {
	for _, st := range stores {
		if _, err := objstore.Replicate(ctx, files, objstore.Sub(st, filesPrefix), ""); err != nil {
			return nil, fmt.Errorf("attachment files to %s: %w", st.Location(), err)
		}
	}
	return files.List(ctx, "")
}

// fileList is the files object: one "key size" line per object seen
// before or after the snapshot, by key.
func fileList(before, after []objstore.Object) ([]byte, FileCount) {
	seen := map[string]int64{}
	for _, o := range append(before, after...) {
		seen[o.Key] = o.Size
	}
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b bytes.Buffer
	var c FileCount
	for _, k := range keys {
		fmt.Fprintf(&b, "%s %d\n", k, seen[k])
		c.Objects++
		c.Bytes += seen[k]
	}
	return b.Bytes(), c
}

// ListedFiles reads a backup's files object (verified against the signed
// manifest's SHA-256): attachment key → size.
func ListedFiles(ctx context.Context, st objstore.Store, m Manifest) (map[string]int64, error) {
	out := map[string]int64{}
	for _, o := range m.Objects {
		if !strings.HasSuffix(o.Key, "/"+filesName) {
			continue
		}
		body, err := readObject(ctx, st, o.Key, o.Size+1)
		if err != nil {
			return nil, err
		}
		if h := sha256.Sum256(body); int64(len(body)) != o.Size || hex.EncodeToString(h[:]) != o.SHA256 {
			return nil, fmt.Errorf("the list of attachment files of backup %s is corrupted: its SHA-256 differs from the signed manifest", m.ID)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(body)), "\n") {
			if line == "" {
				continue
			}
			k, n, ok := strings.Cut(line, " ")
			size, err := strconv.ParseInt(n, 10, 64)
			if !ok || err != nil {
				return nil, fmt.Errorf("the list of attachment files of backup %s has a bad line", m.ID)
			}
			out[k] = size
		}
	}
	return out, nil
}

// CheckFiles checks that every attachment object the backup lists is at
// the target with its size; it returns how many it checked.
func CheckFiles(ctx context.Context, st objstore.Store, m Manifest) (int, error) {
	files, err := ListedFiles(ctx, st, m)
	if err != nil {
		return 0, err
	}
	fs := objstore.Sub(st, filesPrefix)
	for k, size := range files {
		o, err := fs.Stat(ctx, k)
		if err != nil {
			return 0, fmt.Errorf("attachment file %s of backup %s is missing at %s: %w", k, m.ID, st.Location(), err)
		}
		if o.Size != size {
			return 0, fmt.Errorf("attachment file %s of backup %s at %s has %d bytes, the list says %d", k, m.ID, st.Location(), o.Size, size)
		}
	}
	return len(files), nil
}
