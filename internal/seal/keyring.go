package seal

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"
)

// FileName is the name of the keyring file inside the keyring directory.
const FileName = "keyring.json"

const (
	fileFormat  = "kluis-keyring"
	fileVersion = 1
	kdfName     = "hkdf-sha256"

	purposeData  = "data"
	purposeIndex = "index"
	// purposeCheckpoint is the platform's checkpoint-signing key (AUD-3):
	// an Ed25519 seed, wrapped like the tenants' keys.
	purposeCheckpoint = "checkpoint"
	// purposeBackup is the platform's backup-manifest signing key (END-2).
	purposeBackup = "backup"

	keyLen     = 32
	wrappedLen = nonceLen + keyLen + tagLen

	kekInfo    = "kluis/seal/v1 key-encryption key"
	checkAD    = "kluis/seal/v1/check"
	checkText  = "kluis/seal/v1 keyring check"
	wrapPrefix = "kluis/seal/v1/wrap"

	maxFileSize   = 64 << 20
	maxTenantLen  = 200
	tempPattern   = ".keyring-*.tmp"
	staleTempAge  = time.Hour
	refreshPeriod = time.Second
)

// The keyring file, as JSON.
type fileDoc struct {
	Format  string                `json:"format"`
	Version int                   `json:"version"`
	KDF     string                `json:"kdf"`
	Check   string                `json:"check"`
	Tenants map[string]*tenantDoc `json:"tenants"`
	// Platform holds the platform's own keys; absent until the first is
	// made, so that older keyrings read unchanged.
	Platform *platformDoc `json:"platform,omitempty"`
}

type platformDoc struct {
	Checkpoint *signingKeyDoc `json:"checkpoint,omitempty"`
	// Backup signs the manifests of data backups (END-2), so that restore
	// refuses one that was altered; absent until the first backup.
	Backup *signingKeyDoc `json:"backup,omitempty"`
}

// signingKeyDoc is a signing key under its name, which is part of its
// public form (the note verifier key) and so kept with it.
type signingKeyDoc struct {
	Name    string `json:"name"`
	Created string `json:"created"`
	Wrapped string `json:"wrapped"`
}

type tenantDoc struct {
	Primary uint32   `json:"primary"`
	Keys    []keyDoc `json:"keys"`
	// Persons is the tenant's person-key tree (see person.go); absent
	// until per-person keys are enabled, so older keyrings read unchanged.
	Persons *personTreeDoc `json:"persons,omitempty"`
}

type keyDoc struct {
	ID      uint32 `json:"id"`
	Created string `json:"created"`
	Purpose string `json:"purpose"`
	Wrapped string `json:"wrapped"`
}

// key is one unwrapped key in memory.
type key struct {
	id      uint32
	purpose string
	created time.Time
	wrapped []byte
	raw     []byte
	aead    cipher.AEAD // data keys only
}

func (k *key) doc() keyDoc {
	return keyDoc{
		ID:      k.id,
		Created: k.created.UTC().Format(time.RFC3339),
		Purpose: k.purpose,
		Wrapped: base64.StdEncoding.EncodeToString(k.wrapped),
	}
}

// wipe zeroes the raw key and drops the cached cipher. (The cipher's expanded
// key schedule cannot be zeroed from outside crypto/aes; once unreferenced it
// is left to the garbage collector.)
func (k *key) wipe() {
	clear(k.raw)
	k.raw = nil
	k.aead = nil
}

type tenantKeys struct {
	primary uint32
	data    map[uint32]*key
	index   *key
	person  *personTree // nil until EnablePersonKeys
}

func (t *tenantKeys) doc() *tenantDoc {
	d := &tenantDoc{Primary: t.primary}
	for _, id := range t.dataIDs() {
		d.Keys = append(d.Keys, t.data[id].doc())
	}
	d.Keys = append(d.Keys, t.index.doc())
	d.Persons = t.person.doc()
	return d
}

func (t *tenantKeys) dataIDs() []uint32 {
	ids := make([]uint32, 0, len(t.data))
	for id := range t.data {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

func (t *tenantKeys) wipe() {
	for id, k := range t.data {
		k.wipe()
		delete(t.data, id)
	}
	if t.index != nil {
		t.index.wipe()
	}
	t.person.wipe()
}

// Keyring holds the unwrapped keys of every tenant, read from the keyring
// file in its directory. It is safe for concurrent use. Changes made by
// another process (the CLI) are picked up when a tenant or key id is not
// found, on Ping, and otherwise at most once a second.
type Keyring struct {
	dir, path string
	kek       cipher.AEAD

	refreshEvery time.Duration
	lastCheck    atomic.Int64 // unix nanoseconds of the last stat

	mu       sync.RWMutex
	check    string
	fi       os.FileInfo // of the file the keys were read from
	tenants  map[string]*tenantKeys
	platform *platformDoc // wrapped only: unwrapped when used
}

// Init creates dir (mode 0700) if needed and an empty keyring file (mode
// 0600) in it whose keys will be wrapped by m. It refuses to replace an
// existing keyring.
func Init(dir string, m MasterKey) error {
	if m.isZero() {
		return errors.New("seal: the master key is all zeros")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("seal: creating keyring directory: %w", err)
	}
	path := filepath.Join(dir, FileName)
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("%w in %s", ErrKeyringExists, dir)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("seal: checking for a keyring: %w", err)
	}
	kek, err := deriveKEK(m)
	if err != nil {
		return err
	}
	check, err := wrap(kek, []byte(checkText), []byte(checkAD))
	if err != nil {
		return err
	}
	doc := &fileDoc{Format: fileFormat, Version: fileVersion, KDF: kdfName,
		Check: base64.StdEncoding.EncodeToString(check), Tenants: map[string]*tenantDoc{}}
	data, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return fmt.Errorf("seal: encoding keyring: %w", err)
	}
	_, err = writeAtomic(dir, path, append(data, '\n'), nil)
	return err
}

// OpenKeyring reads the keyring in dir and unwraps its keys with m.
func OpenKeyring(dir string, m MasterKey) (*Keyring, error) {
	if m.isZero() {
		return nil, errors.New("seal: the master key is all zeros")
	}
	kek, err := deriveKEK(m)
	if err != nil {
		return nil, err
	}
	k := &Keyring{dir: dir, path: filepath.Join(dir, FileName), kek: kek, refreshEvery: refreshPeriod}
	check, tenants, platform, fi, err := k.load()
	if err != nil {
		return nil, err
	}
	k.check, k.tenants, k.platform, k.fi = check, tenants, platform, fi
	k.lastCheck.Store(time.Now().UnixNano())
	return k, nil
}

// Dir returns the keyring directory.
func (k *Keyring) Dir() string { return k.dir }

// Ping reports whether the keyring file is still present and readable with
// this master key. It costs a stat and an open, plus a reread if the file
// changed. The open catches a file whose mode or owner changed under a
// running node: its keys are still in memory, but the next start would
// fail, so /readyz says so now.
func (k *Keyring) Ping() error {
	if _, err := k.refresh(); err != nil {
		return err
	}
	f, err := os.Open(k.path)
	if err != nil {
		return k.openError(err)
	}
	return f.Close()
}

// openError names why the keyring file could not be opened.
func (k *Keyring) openError(err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return noKeyring(k.dir)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("%w: %s: %w", ErrUnreadable, k.path, err)
	}
	return fmt.Errorf("%w: %w", ErrCorrupt, err)
}

// CreateTenant gives a new tenant a data key (id 1, primary) and a separate
// blind-index key, and saves them to the keyring file.
func (k *Keyring) CreateTenant(tenant string) error {
	if err := validTenant(tenant); err != nil {
		return err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, err := k.refreshLocked(); err != nil {
		return err
	}
	if k.tenants[tenant] != nil {
		return fmt.Errorf("%w: %q", ErrTenantExists, tenant)
	}
	dk, err := k.newKey(tenant, purposeData, 1)
	if err != nil {
		return err
	}
	ik, err := k.newKey(tenant, purposeIndex, 1)
	if err != nil {
		dk.wipe()
		return err
	}
	t := &tenantKeys{primary: 1, data: map[uint32]*key{1: dk}, index: ik}
	doc := k.doc()
	doc.Tenants[tenant] = t.doc()
	if err := k.save(doc); err != nil {
		t.wipe()
		return err
	}
	k.tenants[tenant] = t
	return nil
}

// HasTenant reports whether the keyring holds keys for tenant.
func (k *Keyring) HasTenant(tenant string) bool {
	return k.withTenant(tenant, func(*tenantKeys) error { return nil }) == nil
}

// Rotate adds a new data key for tenant and makes it the primary: new values
// are sealed with it, while values sealed with older keys still open.
func (k *Keyring) Rotate(tenant string) (newKeyID uint32, err error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	t, err := k.lockedTenant(tenant)
	if err != nil {
		return 0, err
	}
	ids := t.dataIDs()
	last := ids[len(ids)-1]
	if last == ^uint32(0) {
		return 0, fmt.Errorf("seal: tenant %q has run out of key ids", tenant)
	}
	nk, err := k.newKey(tenant, purposeData, last+1)
	if err != nil {
		return 0, err
	}
	doc := k.doc()
	td := doc.Tenants[tenant]
	td.Keys = slices.Insert(td.Keys, len(ids), nk.doc())
	td.Primary = nk.id
	if err := k.save(doc); err != nil {
		nk.wipe()
		return 0, err
	}
	t.data[nk.id] = nk
	t.primary = nk.id
	return nk.id, nil
}

// KeyIDs returns the ids of the tenant's data keys in ascending order, and
// the id of the primary one.
func (k *Keyring) KeyIDs(tenant string) (ids []uint32, primary uint32, err error) {
	err = k.withTenant(tenant, func(t *tenantKeys) error {
		ids, primary = t.dataIDs(), t.primary
		return nil
	})
	return ids, primary, err
}

// DestroyTenant removes all of the tenant's keys from the keyring file
// (durably) and from memory, so that nothing sealed for the tenant can be
// opened again: crypto-shredding. Copies of the keyring file elsewhere
// (backups) still hold the wrapped keys until they expire.
func (k *Keyring) DestroyTenant(tenant string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	t, err := k.lockedTenant(tenant)
	if err != nil {
		return err
	}
	doc := k.doc()
	delete(doc.Tenants, tenant)
	if err := k.save(doc); err != nil {
		return err
	}
	delete(k.tenants, tenant)
	t.wipe()
	return nil
}

// lockedTenant rereads the keyring file if it changed and returns the
// tenant's keys, for a change. The caller holds the write lock.
func (k *Keyring) lockedTenant(tenant string) (*tenantKeys, error) {
	if _, err := k.refreshLocked(); err != nil {
		return nil, err
	}
	t := k.tenants[tenant]
	if t == nil {
		return nil, fmt.Errorf("%w %q", ErrUnknownTenant, tenant)
	}
	return t, nil
}

// withTenant runs fn under the read lock with the tenant's keys. If the
// tenant is unknown, the file is reread once (if it changed) first.
func (k *Keyring) withTenant(tenant string, fn func(*tenantKeys) error) error {
	k.maybeRefresh()
	for attempt := 0; ; attempt++ {
		k.mu.RLock()
		t := k.tenants[tenant]
		if t != nil {
			err := fn(t)
			k.mu.RUnlock()
			return err
		}
		k.mu.RUnlock()
		err := fmt.Errorf("%w %q", ErrUnknownTenant, tenant)
		if attempt > 0 {
			return err
		}
		changed, rerr := k.refresh()
		if rerr != nil {
			return fmt.Errorf("%w; rereading keyring: %w", err, rerr)
		}
		if !changed {
			return err
		}
	}
}

// maybeRefresh rereads the file if it changed and was last looked at more
// than refreshEvery ago, so that tenants destroyed or keys rotated by
// another process stop being used promptly. Errors are left for Ping.
func (k *Keyring) maybeRefresh() {
	if k.refreshEvery <= 0 {
		return
	}
	now := time.Now().UnixNano()
	last := k.lastCheck.Load()
	if now-last < int64(k.refreshEvery) || !k.lastCheck.CompareAndSwap(last, now) {
		return
	}
	_, _ = k.refresh()
}

func (k *Keyring) refresh() (changed bool, err error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.refreshLocked()
}

// refreshLocked rereads the keyring file if it is not the one the keys were
// read from. The caller holds the write lock.
func (k *Keyring) refreshLocked() (changed bool, err error) {
	k.lastCheck.Store(time.Now().UnixNano())
	fi, err := os.Stat(k.path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return false, noKeyring(k.dir)
		}
		return false, fmt.Errorf("%w: %s: %w", ErrCorrupt, k.path, err)
	}
	if sameFile(k.fi, fi) {
		return false, nil
	}
	check, tenants, platform, fi, err := k.load()
	if err != nil {
		return false, err
	}
	old := k.tenants
	k.check, k.tenants, k.platform, k.fi = check, tenants, platform, fi
	for _, t := range old {
		t.wipe()
	}
	return true, nil
}

func sameFile(a, b os.FileInfo) bool {
	return a != nil && b != nil && os.SameFile(a, b) && a.Size() == b.Size() && a.ModTime().Equal(b.ModTime())
}

func noKeyring(dir string) error {
	return fmt.Errorf("%w in %s: run `kluis keys init`", ErrNoKeyring, dir)
}

func (k *Keyring) corrupt(format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrCorrupt, k.path, fmt.Sprintf(format, args...))
}

// load reads, checks and unwraps the keyring file.
func (k *Keyring) load() (check string, tenants map[string]*tenantKeys, platform *platformDoc, fi os.FileInfo, err error) {
	f, err := os.Open(k.path)
	if err != nil {
		return "", nil, nil, nil, k.openError(err)
	}
	defer f.Close()
	// Stat the open file, so fi describes exactly the bytes read even if the
	// file is replaced meanwhile.
	if fi, err = f.Stat(); err != nil {
		return "", nil, nil, nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	if !fi.Mode().IsRegular() {
		return "", nil, nil, nil, k.corrupt("not a regular file")
	}
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return "", nil, nil, nil, k.corrupt("reading: %v", err)
	}
	if len(data) > maxFileSize {
		return "", nil, nil, nil, k.corrupt("larger than %d bytes", maxFileSize)
	}
	check, tenants, platform, err = k.parse(data)
	if err != nil {
		return "", nil, nil, nil, err
	}
	return check, tenants, platform, fi, nil
}

// parse checks the keyring file's contents and unwraps its keys. On error,
// the keys unwrapped so far are wiped.
func (k *Keyring) parse(data []byte) (string, map[string]*tenantKeys, *platformDoc, error) {
	var doc fileDoc
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return "", nil, nil, k.corrupt("not a keyring: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return "", nil, nil, k.corrupt("not a keyring: data after the JSON document")
	}
	if doc.Format != fileFormat {
		return "", nil, nil, k.corrupt("not a keyring: format is %q", doc.Format)
	}
	if doc.Version != fileVersion {
		return "", nil, nil, k.corrupt("unsupported keyring version %d", doc.Version)
	}
	if doc.KDF != kdfName {
		return "", nil, nil, k.corrupt("unsupported key derivation %q", doc.KDF)
	}
	sealedCheck, err := base64.StdEncoding.DecodeString(doc.Check)
	if err != nil || len(sealedCheck) != nonceLen+len(checkText)+tagLen {
		return "", nil, nil, k.corrupt("malformed check value")
	}
	if pt, err := unwrap(k.kek, sealedCheck, []byte(checkAD)); err != nil {
		return "", nil, nil, fmt.Errorf("%w (%s)", ErrWrongMaster, k.path)
	} else if string(pt) != checkText {
		return "", nil, nil, k.corrupt("wrong check value")
	}

	tenants := make(map[string]*tenantKeys, len(doc.Tenants))
	ok := false
	defer func() {
		if !ok {
			for _, t := range tenants {
				t.wipe()
			}
		}
	}()
	for name, td := range doc.Tenants {
		if err := validTenant(name); err != nil {
			return "", nil, nil, k.corrupt("invalid tenant name")
		}
		if td == nil {
			return "", nil, nil, k.corrupt("tenant %q has no entry", name)
		}
		t, err := k.parseTenant(name, td)
		if err != nil {
			return "", nil, nil, err
		}
		tenants[name] = t
	}
	if err := k.checkPlatform(doc.Platform); err != nil {
		return "", nil, nil, err
	}
	ok = true
	return doc.Check, tenants, doc.Platform, nil
}

// parseTenant unwraps one tenant's keys; on error, those unwrapped so far
// are wiped.
func (k *Keyring) parseTenant(name string, td *tenantDoc) (_ *tenantKeys, err error) {
	t := &tenantKeys{primary: td.Primary, data: map[uint32]*key{}}
	defer func() {
		if err != nil {
			t.wipe()
		}
	}()
	for _, kd := range td.Keys {
		ky, err := k.unwrapKey(name, kd)
		if err != nil {
			return nil, err
		}
		switch {
		case ky.purpose == purposeIndex && t.index == nil:
			t.index = ky
		case ky.purpose == purposeData && t.data[ky.id] == nil:
			t.data[ky.id] = ky
		default:
			ky.wipe()
			return nil, k.corrupt("tenant %q has a duplicate %s key %d", name, ky.purpose, ky.id)
		}
	}
	if t.index == nil {
		return nil, k.corrupt("tenant %q has no index key", name)
	}
	if t.data[t.primary] == nil {
		return nil, k.corrupt("tenant %q has no data key %d to be its primary", name, t.primary)
	}
	if t.person, err = k.parsePersonTree(name, td.Persons); err != nil {
		return nil, err
	}
	return t, nil
}

func (k *Keyring) unwrapKey(tenant string, kd keyDoc) (*key, error) {
	if kd.Purpose != purposeData && kd.Purpose != purposeIndex {
		return nil, k.corrupt("tenant %q has a key with unknown purpose %q", tenant, kd.Purpose)
	}
	if kd.ID == 0 {
		return nil, k.corrupt("tenant %q has a %s key with id 0", tenant, kd.Purpose)
	}
	created, err := time.Parse(time.RFC3339, kd.Created)
	if err != nil {
		return nil, k.corrupt("tenant %q, %s key %d: bad creation time", tenant, kd.Purpose, kd.ID)
	}
	wrapped, err := base64.StdEncoding.DecodeString(kd.Wrapped)
	if err != nil || len(wrapped) != wrappedLen {
		return nil, k.corrupt("tenant %q, %s key %d: malformed wrapped key", tenant, kd.Purpose, kd.ID)
	}
	raw, err := unwrap(k.kek, wrapped, wrapAD(tenant, kd.Purpose, kd.ID))
	if err != nil {
		return nil, k.corrupt("tenant %q, %s key %d does not unwrap: it was tampered with or moved from elsewhere", tenant, kd.Purpose, kd.ID)
	}
	ky := &key{id: kd.ID, purpose: kd.Purpose, created: created, wrapped: wrapped, raw: raw}
	if ky.purpose == purposeData {
		if ky.aead, err = newGCM(raw); err != nil {
			ky.wipe()
			return nil, err
		}
	}
	return ky, nil
}

// newKey makes a random key and wraps it for the tenant.
func (k *Keyring) newKey(tenant, purpose string, id uint32) (*key, error) {
	raw := make([]byte, keyLen)
	if _, err := rand.Read(raw); err != nil {
		return nil, fmt.Errorf("seal: reading random key: %w", err)
	}
	ky := &key{id: id, purpose: purpose, created: time.Now().UTC().Truncate(time.Second), raw: raw}
	var err error
	if ky.wrapped, err = wrap(k.kek, raw, wrapAD(tenant, purpose, id)); err != nil {
		ky.wipe()
		return nil, err
	}
	if purpose == purposeData {
		if ky.aead, err = newGCM(raw); err != nil {
			ky.wipe()
			return nil, err
		}
	}
	return ky, nil
}

// doc renders the in-memory keys as a keyring file. Caller holds the lock.
func (k *Keyring) doc() *fileDoc {
	doc := &fileDoc{Format: fileFormat, Version: fileVersion, KDF: kdfName, Check: k.check,
		Tenants: make(map[string]*tenantDoc, len(k.tenants)+1), Platform: k.platform}
	for name, t := range k.tenants {
		doc.Tenants[name] = t.doc()
	}
	return doc
}

// save writes doc over the keyring file. Caller holds the write lock.
func (k *Keyring) save(doc *fileDoc) error {
	data, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return fmt.Errorf("seal: encoding keyring: %w", err)
	}
	fi, err := writeAtomic(k.dir, k.path, append(data, '\n'), k.fi)
	if err != nil {
		// The file may or may not have been replaced (say, if only the
		// directory sync failed): forget it, so the next refresh rereads it.
		k.fi = nil
		return err
	}
	k.fi = fi
	return nil
}

// writeAtomic writes data to a temporary file in dir, syncs it, moves it to
// path and syncs dir. It returns the FileInfo of the written file. With a nil
// base it creates path and fails with ErrKeyringExists rather than replace
// it; otherwise it replaces path only if path is still the file base
// describes, and fails with ErrConflict if another process replaced it
// meanwhile (there remains a window of a stat call between check and rename).
func writeAtomic(dir, path string, data []byte, base os.FileInfo) (os.FileInfo, error) {
	removeStaleTemps(dir)
	f, err := os.CreateTemp(dir, tempPattern)
	if err != nil {
		return nil, fmt.Errorf("seal: writing keyring: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // a no-op once renamed
	fail := func(err error) (os.FileInfo, error) {
		f.Close()
		return nil, fmt.Errorf("seal: writing keyring: %w", err)
	}
	if err := f.Chmod(0o600); err != nil {
		return fail(err)
	}
	if _, err := f.Write(data); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	fi, err := f.Stat()
	if err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("seal: writing keyring: %w", err)
	}
	if base == nil {
		// A hard link never replaces an existing file.
		err = os.Link(tmp, path)
		if errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("%w in %s", ErrKeyringExists, dir)
		}
		if err != nil { // file system without hard links
			if _, serr := os.Lstat(path); serr == nil {
				return nil, fmt.Errorf("%w in %s", ErrKeyringExists, dir)
			}
			err = os.Rename(tmp, path)
		}
	} else {
		if cur, serr := os.Stat(path); serr != nil || !sameFile(base, cur) {
			return nil, fmt.Errorf("%w (%s)", ErrConflict, path)
		}
		err = os.Rename(tmp, path)
	}
	if err != nil {
		return nil, fmt.Errorf("seal: writing keyring: %w", err)
	}
	if err := syncDir(dir); err != nil {
		return nil, fmt.Errorf("seal: writing keyring: %w", err)
	}
	return fi, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// removeStaleTemps removes temporary files left by a crash in the middle of
// a write: they may hold wrapped keys of tenants destroyed since.
func removeStaleTemps(dir string) {
	matches, _ := filepath.Glob(filepath.Join(dir, tempPattern))
	for _, m := range matches {
		if fi, err := os.Lstat(m); err == nil && fi.Mode().IsRegular() && time.Since(fi.ModTime()) > staleTempAge {
			_ = os.Remove(m)
		}
	}
}

func validTenant(tenant string) error {
	if tenant == "" {
		return errors.New("seal: tenant is empty")
	}
	if len(tenant) > maxTenantLen || !utf8.ValidString(tenant) ||
		strings.IndexFunc(tenant, func(r rune) bool { return unicode.IsControl(r) }) >= 0 {
		return errors.New("seal: tenant must be valid UTF-8 of at most 200 bytes without control characters")
	}
	return nil
}

func deriveKEK(m MasterKey) (cipher.AEAD, error) {
	kek, err := hkdf.Key(sha256.New, m[:], nil, kekInfo, keyLen)
	if err != nil {
		return nil, fmt.Errorf("seal: deriving key-encryption key: %w", err)
	}
	defer clear(kek)
	return newGCM(kek)
}

func newGCM(raw []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(raw)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return aead, nil
}

func wrapAD(tenant, purpose string, id uint32) []byte {
	b := append([]byte(nil), wrapPrefix...)
	b = lengthPrefixed(b, tenant)
	b = lengthPrefixed(b, purpose)
	return binary.BigEndian.AppendUint32(b, id)
}

// wrap seals pt under kek as nonce || ciphertext || tag.
func wrap(kek cipher.AEAD, pt, ad []byte) ([]byte, error) {
	out := make([]byte, nonceLen, nonceLen+len(pt)+tagLen)
	if _, err := rand.Read(out); err != nil {
		return nil, fmt.Errorf("seal: reading random nonce: %w", err)
	}
	return kek.Seal(out, out[:nonceLen], pt, ad), nil
}

func unwrap(kek cipher.AEAD, wrapped, ad []byte) ([]byte, error) {
	if len(wrapped) < nonceLen+tagLen {
		return nil, errors.New("seal: wrapped value too short")
	}
	return kek.Open(nil, wrapped[:nonceLen], wrapped[nonceLen:], ad)
}
