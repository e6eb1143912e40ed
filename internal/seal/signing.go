package seal

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"
)

// The platform's checkpoint-signing key (AUD-3, ADT-1) signs every tenant's
// audit checkpoints. It lives in the keyring file, apart from the database,
// its Ed25519 seed wrapped by the master key like the tenants' keys, so that
// someone with the database alone cannot sign a checkpoint for a rewritten
// log. It is made on first use.

// ErrNoCheckpointKey is returned by CheckpointKey when the keyring holds
// no checkpoint key and none is to be made.
var ErrNoCheckpointKey = errors.New("seal: the keyring holds no checkpoint-signing key")

// ErrNoBackupKey is returned by BackupKey when the keyring holds no
// backup-signing key and none is to be made.
var ErrNoBackupKey = errors.New("seal: the keyring holds no backup-signing key")

// signingKind is one of the platform's signing keys: where it sits in the
// platform document and the purpose its wrapping is bound to.
type signingKind struct {
	purpose string
	field   func(*platformDoc) **signingKeyDoc
	none    error
}

var (
	checkpointKind = signingKind{purposeCheckpoint, func(p *platformDoc) **signingKeyDoc { return &p.Checkpoint }, ErrNoCheckpointKey}
	backupKind     = signingKind{purposeBackup, func(p *platformDoc) **signingKeyDoc { return &p.Backup }, ErrNoBackupKey}
)

// signingAD binds the wrapped seed to its purpose and name: a tenant's
// key cannot be moved here (tenant "" is never valid), nor the name
// changed, nor the checkpoint key swapped with the backup key.
func signingAD(purpose, name string) []byte {
	return lengthPrefixed(wrapAD("", purpose, 1), name)
}

// CheckpointKey returns the checkpoint-signing key and its name. When the
// keyring holds none and name is not empty, it makes one named name and
// saves it (created is then true); an existing key keeps its own name.
// The returned private key is a copy the caller may clear.
func (k *Keyring) CheckpointKey(name string) (keyName string, key ed25519.PrivateKey, created bool, err error) {
	return k.signingKey(checkpointKind, name)
}

// BackupKey is CheckpointKey for the key that signs backup manifests
// (END-2): a key of its own, so that one cannot stand in for the other.
func (k *Keyring) BackupKey(name string) (keyName string, key ed25519.PrivateKey, created bool, err error) {
	return k.signingKey(backupKind, name)
}

func (k *Keyring) signingKey(kind signingKind, name string) (string, ed25519.PrivateKey, bool, error) {
	k.maybeRefresh()
	k.mu.RLock()
	var d *signingKeyDoc
	if k.platform != nil {
		d = *kind.field(k.platform)
	}
	k.mu.RUnlock()
	if d == nil {
		if name == "" {
			return "", nil, false, kind.none
		}
		return k.createSigningKey(kind, name)
	}
	key, err := k.unwrapSigning(kind, d)
	return d.Name, key, false, err
}

func (k *Keyring) createSigningKey(kind signingKind, name string) (string, ed25519.PrivateKey, bool, error) {
	if name == "" || strings.ContainsAny(name, " +\n\t") {
		return "", nil, false, fmt.Errorf("seal: %s key name %q: it must be non-empty without spaces or '+'", kind.purpose, name)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, err := k.refreshLocked(); err != nil {
		return "", nil, false, err
	}
	if k.platform != nil && *kind.field(k.platform) != nil { // made meanwhile by another process
		d := *kind.field(k.platform)
		key, err := k.unwrapSigning(kind, d)
		return d.Name, key, false, err
	}
	seed := make([]byte, ed25519.SeedSize)
	if _, err := rand.Read(seed); err != nil {
		return "", nil, false, fmt.Errorf("seal: reading random key: %w", err)
	}
	defer clear(seed)
	wrapped, err := wrap(k.kek, seed, signingAD(kind.purpose, name))
	if err != nil {
		return "", nil, false, err
	}
	p := &platformDoc{}
	if k.platform != nil {
		*p = *k.platform
	}
	*kind.field(p) = &signingKeyDoc{Name: name, Created: time.Now().UTC().Format(time.RFC3339),
		Wrapped: base64.StdEncoding.EncodeToString(wrapped)}
	doc := k.doc()
	doc.Platform = p
	if err := k.save(doc); err != nil {
		return "", nil, false, err
	}
	k.platform = p
	return name, ed25519.NewKeyFromSeed(seed), true, nil
}

func (k *Keyring) unwrapSigning(kind signingKind, d *signingKeyDoc) (ed25519.PrivateKey, error) {
	wrapped, err := base64.StdEncoding.DecodeString(d.Wrapped)
	if err != nil || len(wrapped) != nonceLen+ed25519.SeedSize+tagLen {
		return nil, k.corrupt("the %s key is malformed", kind.purpose)
	}
	seed, err := unwrap(k.kek, wrapped, signingAD(kind.purpose, d.Name))
	if err != nil {
		return nil, k.corrupt("the %s key does not unwrap: it was tampered with, renamed or moved from elsewhere", kind.purpose)
	}
	defer clear(seed)
	return ed25519.NewKeyFromSeed(seed), nil
}

// checkPlatform checks the platform keys when the file is read, so that a
// damaged key is found at start, not at the first checkpoint or backup.
func (k *Keyring) checkPlatform(p *platformDoc) error {
	if p == nil {
		return nil
	}
	for _, kind := range []signingKind{checkpointKind, backupKind} {
		d := *kind.field(p)
		if d == nil {
			continue
		}
		if _, err := time.Parse(time.RFC3339, d.Created); err != nil {
			return k.corrupt("the %s key has a bad creation time", kind.purpose)
		}
		key, err := k.unwrapSigning(kind, d)
		clear(key)
		if err != nil {
			return err
		}
	}
	return nil
}
