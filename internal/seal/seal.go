// Package seal owns the encryption of personal data at rest in Kluis: the
// per-tenant data keys and blind-index keys, the keyring file that holds them
// outside the database wrapped by a master key, sealing and opening of
// individual values bound to their tenant, table, column and row, blind
// indexes for equality search over sealed values, key rotation, and
// crypto-shredding (destroying a tenant's keys so its data can never be read
// again). It imports only the standard library.
//
// A sealed value is
//
//	0x01 || key id (4 bytes, big-endian) || nonce (12 bytes) || AES-256-GCM ciphertext and tag
//
// and its associated data is "kluis/seal/v1" followed by the tenant, table,
// column and row, each prefixed with its length as 4 big-endian bytes.
package seal

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
)

// Errors. Callers test for them with errors.Is; the returned errors wrap them
// with details (a directory, a file, a tenant), never with key material or
// plaintext.
var (
	// ErrNoKeyring: the keyring file does not exist.
	ErrNoKeyring = errors.New("seal: keyring not found")
	// ErrKeyringExists: Init found a keyring already in place.
	ErrKeyringExists = errors.New("seal: keyring already exists")
	// ErrWrongMaster: the master key cannot unwrap the keyring.
	ErrWrongMaster = errors.New("seal: the master key does not match this keyring")
	// ErrUnreadable: the keyring file is there but this process may not
	// read it (its owner or mode changed).
	ErrUnreadable = errors.New("seal: the keyring file cannot be read (check its owner and permissions)")
	// ErrCorrupt: the keyring file is unreadable, malformed or tampered with.
	ErrCorrupt = errors.New("seal: keyring file is corrupt")
	// ErrUnknownTenant: the keyring holds no keys for the tenant (it was
	// destroyed, or never created).
	ErrUnknownTenant = errors.New("seal: no keys for tenant")
	// ErrTenantExists: CreateTenant was asked for a tenant that has keys.
	ErrTenantExists = errors.New("seal: tenant already has keys")
	// ErrUnknownKey: a ciphertext names a key id the tenant does not have.
	ErrUnknownKey = errors.New("seal: tenant has no key with this id")
	// ErrOpen: a ciphertext is malformed or fails authentication (wrong
	// associated data, tampering).
	ErrOpen = errors.New("seal: cannot open sealed value")
	// ErrConflict: another process changed the keyring file while this one
	// was changing it; nothing was written. Try again.
	ErrConflict = errors.New("seal: the keyring file was changed by another process at the same time; nothing was written, try again")
	// ErrADMismatch: the AD's tenant differs from the tenant argument.
	ErrADMismatch = errors.New("seal: associated data names a different tenant")
)

// MasterKey wraps every key in the keyring. It lives in the environment or a
// secret store, never in the database or next to the keyring.
type MasterKey [32]byte

// ParseMasterKey decodes a master key given as base64 (standard or URL
// alphabet, padded or not) or as 64 hexadecimal characters.
func ParseMasterKey(s string) (MasterKey, error) {
	var m MasterKey
	s = strings.TrimSpace(s)
	if s == "" {
		return m, errors.New("master key: is empty; it must be 32 bytes encoded as base64 or hex")
	}
	var raw []byte
	if len(s) == 64 {
		if b, err := hex.DecodeString(s); err == nil {
			raw = b
		}
	}
	if raw == nil {
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
			if b, err := enc.DecodeString(s); err == nil {
				raw = b
				break
			}
		}
	}
	if raw == nil {
		return m, errors.New("master key: must be 32 bytes encoded as base64 or hex, got text that is neither")
	}
	defer clear(raw)
	if len(raw) != len(m) {
		return m, fmt.Errorf("master key: must be 32 bytes encoded as base64 or hex, got %d bytes", len(raw))
	}
	copy(m[:], raw)
	if m.isZero() {
		return MasterKey{}, errors.New("master key: must not be all zeros")
	}
	return m, nil
}

// GenerateMasterKey returns a new random master key.
func GenerateMasterKey() (MasterKey, error) {
	var m MasterKey
	if _, err := rand.Read(m[:]); err != nil {
		return m, fmt.Errorf("master key: reading random bytes: %w", err)
	}
	return m, nil
}

// String returns the key in standard base64, for `kluis keys init` to print
// once. Take care not to log a MasterKey.
func (m MasterKey) String() string { return base64.StdEncoding.EncodeToString(m[:]) }

func (m MasterKey) isZero() bool { return m == MasterKey{} }

// AD is the associated data bound to each ciphertext: a value sealed for one
// tenant, table, column and row does not open for any other.
type AD struct{ Tenant, Table, Column, Row string }

const (
	version   byte = 0x01
	headerLen      = 1 + 4
	nonceLen       = 12
	tagLen         = 16
	// Overhead is how many bytes Seal adds to a plaintext.
	Overhead = headerLen + nonceLen + tagLen
	// BlindIndexSize is the length of a blind index.
	BlindIndexSize = sha256.Size
)

const adPrefix = "kluis/seal/v1"

func lengthPrefixed(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

// appendAD appends the canonical encoding of ad to b.
func appendAD(b []byte, ad AD) []byte {
	b = append(b, adPrefix...)
	b = lengthPrefixed(b, ad.Tenant)
	b = lengthPrefixed(b, ad.Table)
	b = lengthPrefixed(b, ad.Column)
	return lengthPrefixed(b, ad.Row)
}

// adPool recycles buffers for encoded AD: the AEAD interface makes a stack
// buffer escape, and sealing is hot.
var adPool = sync.Pool{New: func() any { b := make([]byte, 0, 128); return &b }}

func getAD(ad AD) *[]byte {
	b := adPool.Get().(*[]byte)
	*b = appendAD((*b)[:0], ad)
	return b
}

func putAD(b *[]byte) {
	if cap(*b) <= 1024 {
		adPool.Put(b)
	}
}

// KeyIDOf returns the id of the data key a ciphertext was sealed with.
func KeyIDOf(ciphertext []byte) (uint32, error) {
	if len(ciphertext) < Overhead {
		return 0, fmt.Errorf("%w: too short to be a sealed value", ErrOpen)
	}
	if ciphertext[0] != version {
		return 0, fmt.Errorf("%w: unknown format version %d", ErrOpen, ciphertext[0])
	}
	return binary.BigEndian.Uint32(ciphertext[1:headerLen]), nil
}

// Seal encrypts plaintext under the tenant's primary data key, bound to ad.
func (k *Keyring) Seal(tenant string, ad AD, plaintext []byte) ([]byte, error) {
	if ad.Tenant != tenant {
		return nil, ErrADMismatch
	}
	var out []byte
	err := k.withTenant(tenant, func(t *tenantKeys) error {
		key := t.data[t.primary]
		out = make([]byte, Overhead-tagLen, len(plaintext)+Overhead)
		out[0] = version
		binary.BigEndian.PutUint32(out[1:headerLen], key.id)
		if _, err := rand.Read(out[headerLen : headerLen+nonceLen]); err != nil {
			return fmt.Errorf("seal: reading random nonce: %w", err)
		}
		adb := getAD(ad)
		out = key.aead.Seal(out, out[headerLen:headerLen+nonceLen], plaintext, *adb)
		putAD(adb)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Open decrypts a ciphertext made by Seal with the same tenant and ad. If the
// ciphertext names a key or tenant this Keyring does not know, Open rereads
// the keyring file once (if it changed) before failing, so keys added by
// another process are picked up.
func (k *Keyring) Open(tenant string, ad AD, ciphertext []byte) ([]byte, error) {
	if ad.Tenant != tenant {
		return nil, ErrADMismatch
	}
	id, err := KeyIDOf(ciphertext)
	if err != nil {
		return nil, err
	}
	var pt []byte
	open := func(t *tenantKeys) error {
		key := t.data[id]
		if key == nil {
			return fmt.Errorf("%w: tenant %q, key id %d", ErrUnknownKey, tenant, id)
		}
		adb := getAD(ad)
		var err error
		pt, err = key.aead.Open(nil, ciphertext[headerLen:headerLen+nonceLen], ciphertext[headerLen+nonceLen:], *adb)
		putAD(adb)
		if err != nil {
			return fmt.Errorf("%w: authentication failed", ErrOpen)
		}
		return nil
	}
	err = k.withTenant(tenant, open)
	if errors.Is(err, ErrUnknownKey) {
		changed, rerr := k.refresh()
		if rerr != nil {
			return nil, fmt.Errorf("%w; rereading keyring: %w", err, rerr)
		}
		if changed {
			err = k.withTenant(tenant, open)
		}
	}
	if err != nil {
		return nil, err
	}
	if pt == nil {
		pt = []byte{}
	}
	return pt, nil
}

const blindPrefix = "kluis/seal/v1/blind-index"

// BlindIndex returns HMAC-SHA256 of value under the tenant's index key,
// domain-separated by purpose (for example "person.bsn"), so that equal
// values can be found without decrypting and without the index revealing the
// value to anyone lacking the key. The result is BlindIndexSize bytes.
func (k *Keyring) BlindIndex(tenant, purpose string, value []byte) ([]byte, error) {
	if purpose == "" {
		return nil, errors.New("seal: blind index purpose is empty")
	}
	var sum []byte
	err := k.withTenant(tenant, func(t *tenantKeys) error {
		mac := hmac.New(sha256.New, t.index.raw)
		var buf [96]byte
		b := append(buf[:0], blindPrefix...)
		mac.Write(lengthPrefixed(b, purpose))
		mac.Write(value)
		sum = mac.Sum(make([]byte, 0, BlindIndexSize))
		return nil
	})
	return sum, err
}
