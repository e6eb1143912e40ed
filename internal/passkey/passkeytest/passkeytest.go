// Package passkeytest is a WebAuthn authenticator and client in software,
// for tests: it answers the options Kluis sends as a browser with a
// platform authenticator would (ECDSA P-256 keys, "none" attestation,
// discoverable credentials, user verification), building the
// clientDataJSON, the CBOR attestationObject and authenticatorData and the
// signatures as the WebAuthn Level 3 specification (§5.1.3, §6.1, §6.5,
// §7) describes. It is a real authenticator, not a mock: the relying party
// checks its answers the same way as a browser's.
//
// It is imported by tests only.
package passkeytest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"

	"github.com/go-webauthn/webauthn/protocol/webauthncbor"
)

// Authenticator holds credentials and answers options for Origin (the
// page's origin the browser would report).
type Authenticator struct {
	Origin string
	// NoUserVerification makes it answer with user presence only (the
	// UV flag cleared), as a security key without a PIN would.
	NoUserVerification bool
	creds              []*credential
}

type credential struct {
	id     []byte
	key    *ecdsa.PrivateKey
	rpID   string
	handle []byte
	count  uint32
}

// New returns an authenticator with no credentials, in a browser showing
// origin.
func New(origin string) *Authenticator { return &Authenticator{Origin: origin} }

// Clone returns a copy holding the same keys and counters: what a cloned
// authenticator would be.
func (a *Authenticator) Clone() *Authenticator {
	b := &Authenticator{Origin: a.Origin, NoUserVerification: a.NoUserVerification}
	for _, c := range a.creds {
		cc := *c
		b.creds = append(b.creds, &cc)
	}
	return b
}

// CredentialIDs returns the ids of the credentials it holds.
func (a *Authenticator) CredentialIDs() [][]byte {
	var out [][]byte
	for _, c := range a.creds {
		out = append(out, c.id)
	}
	return out
}

var b64 = base64.RawURLEncoding

func decode(s string) ([]byte, error) { return b64.DecodeString(s) }

// options is what the authenticator reads of creation and request options.
type options struct {
	PublicKey struct {
		Challenge string `json:"challenge"`
		RP        struct {
			ID string `json:"id"`
		} `json:"rp"`
		RPID string `json:"rpId"`
		User struct {
			ID string `json:"id"`
		} `json:"user"`
		Allow []struct {
			ID string `json:"id"`
		} `json:"allowCredentials"`
		Exclude []struct {
			ID string `json:"id"`
		} `json:"excludeCredentials"`
	} `json:"publicKey"`
}

const (
	flagUP = 0x01
	flagUV = 0x04
	flagAT = 0x40
)

func (a *Authenticator) clientData(typ, challenge string) []byte {
	b, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": a.Origin, "crossOrigin": false})
	return b
}

func (a *Authenticator) flags() byte {
	if a.NoUserVerification {
		return flagUP
	}
	return flagUP | flagUV
}

func authData(rpID string, flags byte, count uint32) []byte {
	h := sha256.Sum256([]byte(rpID))
	out := append([]byte{}, h[:]...)
	out = append(out, flags)
	return binary.BigEndian.AppendUint32(out, count)
}

// rpIDOf is the relying party ID the browser would use: the options' own,
// else the origin's host.
func (a *Authenticator) rpIDOf(given string) string {
	if given != "" {
		return given
	}
	u, _ := url.Parse(a.Origin)
	return u.Hostname()
}

// Create answers creation options (the JSON Kluis sends, {"publicKey": …})
// with a new credential, as the JSON a browser script posts back.
func (a *Authenticator) Create(optionsJSON []byte) ([]byte, error) {
	var o options
	if err := json.Unmarshal(optionsJSON, &o); err != nil {
		return nil, err
	}
	rpID := a.rpIDOf(o.PublicKey.RP.ID)
	for _, ex := range o.PublicKey.Exclude {
		for _, c := range a.creds {
			if b64.EncodeToString(c.id) == ex.ID && c.rpID == rpID {
				return nil, errors.New("InvalidStateError: a credential of the exclude list is present")
			}
		}
	}
	handle, err := decode(o.PublicKey.User.ID)
	if err != nil {
		return nil, fmt.Errorf("user.id: %w", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	id := make([]byte, 32)
	rand.Read(id)
	c := &credential{id: id, key: key, rpID: rpID, handle: handle}

	pub, err := key.PublicKey.Bytes() // 0x04 || X || Y
	if err != nil {
		return nil, err
	}
	// COSE_Key (RFC 9052/9053): kty EC2, alg ES256, crv P-256, x, y.
	cose, err := webauthncbor.Marshal(map[int]any{1: 2, 3: -7, -1: 1, -2: pub[1:33], -3: pub[33:65]})
	if err != nil {
		return nil, err
	}
	ad := authData(rpID, a.flags()|flagAT, 0)
	ad = append(ad, make([]byte, 16)...) // AAGUID: zero, as "none" attestation allows
	ad = binary.BigEndian.AppendUint16(ad, uint16(len(id)))
	ad = append(ad, id...)
	ad = append(ad, cose...)
	att, err := webauthncbor.Marshal(struct {
		Fmt      string         `cbor:"fmt"`
		AttStmt  map[string]any `cbor:"attStmt"`
		AuthData []byte         `cbor:"authData"`
	}{"none", map[string]any{}, ad})
	if err != nil {
		return nil, err
	}
	a.creds = append(a.creds, c)
	return json.Marshal(map[string]any{
		"id": b64.EncodeToString(id), "rawId": b64.EncodeToString(id), "type": "public-key",
		"authenticatorAttachment": "platform", "clientExtensionResults": map[string]any{},
		"response": map[string]any{
			"clientDataJSON":    b64.EncodeToString(a.clientData("webauthn.create", o.PublicKey.Challenge)),
			"attestationObject": b64.EncodeToString(att),
			"transports":        []string{"internal"},
		},
	})
}

// Get answers request options with an assertion by the first credential
// it holds for the relying party that the options allow (any, for a
// discoverable login), its counter one up.
func (a *Authenticator) Get(optionsJSON []byte) ([]byte, error) {
	var o options
	if err := json.Unmarshal(optionsJSON, &o); err != nil {
		return nil, err
	}
	rpID := a.rpIDOf(o.PublicKey.RPID)
	var c *credential
	for _, cand := range a.creds {
		if cand.rpID != rpID {
			continue
		}
		ok := len(o.PublicKey.Allow) == 0
		for _, al := range o.PublicKey.Allow {
			ok = ok || al.ID == b64.EncodeToString(cand.id)
		}
		if ok {
			c = cand
			break
		}
	}
	if c == nil {
		return nil, errors.New("NotAllowedError: no credential for these options")
	}
	c.count++
	ad := authData(rpID, a.flags(), c.count)
	cd := a.clientData("webauthn.get", o.PublicKey.Challenge)
	h := sha256.Sum256(cd)
	digest := sha256.Sum256(append(append([]byte{}, ad...), h[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, c.key, digest[:])
	if err != nil {
		return nil, err
	}
	return json.Marshal(map[string]any{
		"id": b64.EncodeToString(c.id), "rawId": b64.EncodeToString(c.id), "type": "public-key",
		"authenticatorAttachment": "platform", "clientExtensionResults": map[string]any{},
		"response": map[string]any{
			"clientDataJSON":    b64.EncodeToString(cd),
			"authenticatorData": b64.EncodeToString(ad),
			"signature":         b64.EncodeToString(sig),
			"userHandle":        b64.EncodeToString(c.handle),
		},
	})
}

// WithChallenge returns options with their challenge replaced by a fresh
// random one the server never issued.
func WithChallenge(optionsJSON []byte) []byte {
	var m map[string]map[string]any
	if err := json.Unmarshal(optionsJSON, &m); err != nil {
		panic(err)
	}
	ch := make([]byte, 32)
	rand.Read(ch)
	pk := maps.Clone(m["publicKey"])
	pk["challenge"] = b64.EncodeToString(ch)
	m["publicKey"] = pk
	b, _ := json.Marshal(m)
	return b
}
