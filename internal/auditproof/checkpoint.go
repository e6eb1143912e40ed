package auditproof

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/transparency-dev/formats/log"
	"golang.org/x/mod/sumdb/note"
)

// A checkpoint is a C2SP signed note (https://c2sp.org/signed-note) whose
// text is a C2SP tlog checkpoint (https://c2sp.org/tlog-checkpoint):
//
//	kluis.example/audit/<tenant-id>
//	<size, decimal>
//	<root hash, standard base64>
//
//	— <key name> <base64 of 4-byte key hash ‖ 64-byte Ed25519 signature>
//
// The origin line names the log: one per tenant, so that a checkpoint of one
// tenant can never stand for another's. One platform key signs every
// tenant's checkpoints; its public form is a note verifier key,
// "<name>+<8 hex key hash>+<base64 of 0x01 ‖ 32-byte public key>".

// OriginPrefix is the default start of a tenant's origin line.
const OriginPrefix = "kluis.example/audit/"

// Origin is the origin line of tenant's log under prefix (OriginPrefix
// unless the platform names itself otherwise).
func Origin(prefix, tenantID string) string { return prefix + tenantID }

// Checkpoint is a signed statement of a tenant's log: its first Size events
// have the Merkle root Root.
type Checkpoint struct {
	Origin string
	Size   uint64
	Root   []byte
}

// ed25519Signer is a note.Signer over an Ed25519 private key the caller
// holds (the keyring, later): the key never has to be written out in the
// note's PRIVATE+KEY string form.
type ed25519Signer struct {
	name string
	hash uint32
	key  ed25519.PrivateKey
}

func (s *ed25519Signer) Name() string                    { return s.name }
func (s *ed25519Signer) KeyHash() uint32                 { return s.hash }
func (s *ed25519Signer) Sign(msg []byte) ([]byte, error) { return ed25519.Sign(s.key, msg), nil }

// NewSigner returns the signer of checkpoints for the key named name (the
// platform's name, e.g. "kluis.example/audit"; no spaces or '+').
func NewSigner(name string, key ed25519.PrivateKey) (note.Signer, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("auditproof: Ed25519 private key of %d bytes, want %d", len(key), ed25519.PrivateKeySize)
	}
	vkey, err := VerifierKey(name, key.Public().(ed25519.PublicKey))
	if err != nil {
		return nil, err
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, err
	}
	return &ed25519Signer{name: name, hash: v.KeyHash(), key: key}, nil
}

// VerifierKey is the public form of a signing key that the controller is
// given and that verifies its checkpoints: a note verifier key.
func VerifierKey(name string, pub ed25519.PublicKey) (string, error) {
	vkey, err := note.NewEd25519VerifierKey(name, pub)
	if err != nil {
		return "", fmt.Errorf("auditproof: key name %q: %w", name, err)
	}
	return vkey, nil
}

// KeyError says why a verifier key was refused.
type KeyError struct{ Reason string }

func (e *KeyError) Error() string { return "verification key: " + e.Reason }

// ParseVerifierKey reads a verifier key as VerifierKey writes it, refusing
// anything else with a *KeyError that says what is wrong.
func ParseVerifierKey(vkey string) (note.Verifier, error) {
	vkey = strings.TrimSpace(vkey)
	name, rest, ok1 := strings.Cut(vkey, "+")
	hash, key64, ok2 := strings.Cut(rest, "+") // base64 may hold '+' itself
	switch {
	case vkey == "":
		return nil, &KeyError{"empty"}
	case strings.HasPrefix(vkey, "PRIVATE+KEY+"):
		return nil, &KeyError{"this is a private key; give the public verification key (name+hash+key)"}
	case !ok1 || !ok2 || name == "":
		return nil, &KeyError{"not of the form name+hash+key"}
	case len(hash) != 8:
		return nil, &KeyError{"the key hash is not 8 hexadecimal digits"}
	}
	raw, err := base64.StdEncoding.DecodeString(key64)
	if err != nil {
		return nil, &KeyError{"the key is not standard base64"}
	}
	if len(raw) != 1+ed25519.PublicKeySize || raw[0] != 1 {
		return nil, &KeyError{"not an Ed25519 key (want 0x01 followed by 32 bytes)"}
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, &KeyError{fmt.Sprintf("refused (%v): the key hash does not match the name and key, or the name is invalid", err)}
	}
	return v, nil
}

// Fingerprint is what a person compares to recognise a verifier key, on the
// audit page and over the phone: "SHA256:" and the unpadded standard base64
// of SHA-256 over the key's 32-byte Ed25519 public key (as OpenSSH prints
// fingerprints). The name is not part of it: the same key under another
// name is the same signer.
func Fingerprint(vkey string) (string, error) {
	if _, err := ParseVerifierKey(vkey); err != nil {
		return "", err
	}
	_, rest, _ := strings.Cut(strings.TrimSpace(vkey), "+")
	_, key64, _ := strings.Cut(rest, "+")
	raw, _ := base64.StdEncoding.DecodeString(key64)
	sum := sha256.Sum256(raw[1:])
	return "SHA256:" + base64.RawStdEncoding.EncodeToString(sum[:]), nil
}

// Sign returns the signed note of checkpoint c.
func Sign(c Checkpoint, signer note.Signer) ([]byte, error) {
	if err := c.validate(); err != nil {
		return nil, err
	}
	body := log.Checkpoint{Origin: c.Origin, Size: c.Size, Hash: c.Root}
	return note.Sign(&note.Note{Text: string(body.Marshal())}, signer)
}

func (c Checkpoint) validate() error {
	switch {
	case c.Origin == "" || strings.ContainsAny(c.Origin, "\n\r"):
		return errors.New("auditproof: checkpoint origin empty or not one line")
	case len(c.Root) != HashSize:
		return fmt.Errorf("auditproof: checkpoint root of %d bytes, want %d", len(c.Root), HashSize)
	}
	return nil
}

// Check names what a checkpoint failed.
type Check string

// The checks of a checkpoint, in the order Verify applies them.
const (
	CheckFormat      Check = "format"      // not a signed checkpoint note
	CheckSignature   Check = "signature"   // not signed by the given key, or the signature is wrong
	CheckOrigin      Check = "origin"      // another log's checkpoint
	CheckFork        Check = "fork"        // another checkpoint of the same size has another root
	CheckChain       Check = "chain"       // an event it covers no longer recomputes or chains
	CheckRoot        Check = "root"        // the export's first Size events have another root
	CheckTruncated   Check = "truncated"   // the export has fewer events than Size
	CheckConsistency Check = "consistency" // no consistency proof from the checkpoint before
)

// CheckpointError names the first checkpoint that no longer holds and why.
// Name is how the caller named it (its file); Origin and Size are as far as
// they could be read.
type CheckpointError struct {
	Name   string
	Origin string
	Size   uint64
	Check  Check
	Event  int64 // the first bad event, for CheckChain; else 0
	Reason string
}

func (e *CheckpointError) Error() string {
	who := e.Name
	if e.Origin != "" {
		who = fmt.Sprintf("%s (%s, size %d)", e.Name, e.Origin, e.Size)
	}
	return fmt.Sprintf("checkpoint %s no longer holds: %s: %s", who, e.Check, e.Reason)
}

// Parse reads a signed checkpoint and checks it: a well-formed note, signed
// by the key v, whose origin is origin. name says which checkpoint it is in
// the error, a *CheckpointError.
func Parse(name string, data []byte, origin string, v note.Verifier) (Checkpoint, error) {
	fail := func(c Checkpoint, check Check, reason string) (Checkpoint, error) {
		return Checkpoint{}, &CheckpointError{Name: name, Origin: c.Origin, Size: c.Size, Check: check, Reason: reason}
	}
	n, err := note.Open(data, note.VerifierList(v))
	var unverified *note.UnverifiedNoteError
	var invalid *note.InvalidSignatureError
	switch {
	case errors.As(err, &unverified):
		c, _ := parseBody(unverified.Note.Text)
		return fail(c, CheckSignature, fmt.Sprintf("not signed by the key %s+%08x (signed by %s)", v.Name(), v.KeyHash(), signers(unverified.Note.UnverifiedSigs)))
	case errors.As(err, &invalid):
		c, _ := bodyOfUnverifiable(data)
		return fail(c, CheckSignature, "the signature does not match the text (altered after signing)")
	case err != nil:
		return fail(Checkpoint{}, CheckFormat, "not a signed note: "+err.Error())
	}
	c, err := parseBody(n.Text)
	if err != nil {
		return fail(c, CheckFormat, err.Error())
	}
	if c.Origin != origin {
		return fail(c, CheckOrigin, fmt.Sprintf("it is the checkpoint of %q, not of %q", c.Origin, origin))
	}
	return c, nil
}

// parseBody reads a checkpoint's text; on error it returns what it read.
func parseBody(text string) (Checkpoint, error) {
	var b log.Checkpoint
	if _, err := b.Unmarshal([]byte(text)); err != nil {
		return Checkpoint{}, errors.New(strings.TrimPrefix(err.Error(), "invalid checkpoint - "))
	}
	c := Checkpoint{Origin: b.Origin, Size: b.Size, Root: b.Hash}
	if len(c.Root) != HashSize {
		return c, fmt.Errorf("root hash of %d bytes, want %d", len(c.Root), HashSize)
	}
	return c, nil
}

// bodyOfUnverifiable reads the text of a note whose signature failed, to
// name the checkpoint in the error; nothing of it is trusted.
func bodyOfUnverifiable(data []byte) (Checkpoint, error) {
	text, _, ok := strings.Cut(string(data), "\n\n")
	if !ok {
		return Checkpoint{}, errors.New("no signature block")
	}
	return parseBody(text + "\n")
}

func signers(sigs []note.Signature) string {
	var names []string
	for _, s := range sigs {
		names = append(names, fmt.Sprintf("%s+%08x", s.Name, s.Hash))
	}
	if len(names) == 0 {
		return "no key"
	}
	return strings.Join(names, ", ")
}
