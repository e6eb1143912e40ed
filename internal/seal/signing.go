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

// checkpointAD binds the wrapped seed to its purpose and name: a tenant's
// key cannot be moved here (tenant "" is never valid), nor the name changed.
func checkpointAD(name string) []byte {
	return lengthPrefixed(wrapAD("", purposeCheckpoint, 1), name)
}

// CheckpointKey returns the checkpoint-signing key and its name. When the
// keyring holds none and name is not empty, it makes one named name and
// saves it (created is then true); an existing key keeps its own name.
// The returned private key is a copy the caller may clear.
func (k *Keyring) CheckpointKey(name string) (keyName string, key ed25519.PrivateKey, created bool, err error) {
	k.maybeRefresh()
	k.mu.RLock()
	p := k.platform
	k.mu.RUnlock()
	if p == nil || p.Checkpoint == nil {
		if name == "" {
			return "", nil, false, ErrNoCheckpointKey
		}
		return k.createCheckpointKey(name)
	}
	key, err = k.unwrapCheckpoint(p.Checkpoint)
	return p.Checkpoint.Name, key, false, err
}

func (k *Keyring) createCheckpointKey(name string) (string, ed25519.PrivateKey, bool, error) {
	if name == "" || strings.ContainsAny(name, " +\n\t") {
		return "", nil, false, fmt.Errorf("seal: checkpoint key name %q: it must be non-empty without spaces or '+'", name)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, err := k.refreshLocked(); err != nil {
		return "", nil, false, err
	}
	if k.platform != nil && k.platform.Checkpoint != nil { // made meanwhile by another process
		key, err := k.unwrapCheckpoint(k.platform.Checkpoint)
		return k.platform.Checkpoint.Name, key, false, err
	}
	seed := make([]byte, ed25519.SeedSize)
	if _, err := rand.Read(seed); err != nil {
		return "", nil, false, fmt.Errorf("seal: reading random key: %w", err)
	}
	defer clear(seed)
	wrapped, err := wrap(k.kek, seed, checkpointAD(name))
	if err != nil {
		return "", nil, false, err
	}
	p := &platformDoc{}
	if k.platform != nil {
		*p = *k.platform
	}
	p.Checkpoint = &signingKeyDoc{Name: name, Created: time.Now().UTC().Format(time.RFC3339),
		Wrapped: base64.StdEncoding.EncodeToString(wrapped)}
	doc := k.doc()
	doc.Platform = p
	if err := k.save(doc); err != nil {
		return "", nil, false, err
	}
	k.platform = p
	return name, ed25519.NewKeyFromSeed(seed), true, nil
}

func (k *Keyring) unwrapCheckpoint(d *signingKeyDoc) (ed25519.PrivateKey, error) {
	wrapped, err := base64.StdEncoding.DecodeString(d.Wrapped)
	if err != nil || len(wrapped) != nonceLen+ed25519.SeedSize+tagLen {
		return nil, k.corrupt("the checkpoint key is malformed")
	}
	seed, err := unwrap(k.kek, wrapped, checkpointAD(d.Name))
	if err != nil {
		return nil, k.corrupt("the checkpoint key does not unwrap: it was tampered with, renamed or moved from elsewhere")
	}
	defer clear(seed)
	return ed25519.NewKeyFromSeed(seed), nil
}

// checkPlatform checks the platform keys when the file is read, so that a
// damaged key is found at start, not at the first checkpoint.
func (k *Keyring) checkPlatform(p *platformDoc) error {
	if p == nil || p.Checkpoint == nil {
		return nil
	}
	if _, err := time.Parse(time.RFC3339, p.Checkpoint.Created); err != nil {
		return k.corrupt("the checkpoint key has a bad creation time")
	}
	key, err := k.unwrapCheckpoint(p.Checkpoint)
	clear(key)
	return err
}
