// Package webhook owns Kluis's outgoing webhooks to a controller's case
// system: the events and their thin payloads, signing and verifying in the
// Standard Webhooks style, the check of a destination against the tenant's
// processing register (REG-2, LOC-1), the retry schedule, and an HTTPS
// client that follows no redirects and refuses private addresses
// (server-side request forgery).
//
// It imports the standard library and register; it does no storage.
package webhook

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Events a hook can subscribe to.
const (
	EventSubmissionCreated = "submission.created"
	EventSubmissionUpdated = "submission.updated"
)

// Events lists every event, in the order pages show them.
var Events = []string{EventSubmissionCreated, EventSubmissionUpdated}

// The Standard Webhooks headers.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// secretPrefix marks a Standard Webhooks secret; the rest is the base64 of
// the HMAC key.
const secretPrefix = "whsec_"

// Tolerance is how far a signed timestamp may be from the receiver's clock
// before Verify rejects it as a replay.
const Tolerance = 5 * time.Minute

// NewSecret returns a fresh signing secret: "whsec_" and the base64 of 32
// random bytes. It is shown to the admin once and stored sealed.
func NewSecret() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return secretPrefix + base64.StdEncoding.EncodeToString(b[:]), nil
}

// secretKey decodes a secret into its HMAC key.
func secretKey(secret string) ([]byte, error) {
	k, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, secretPrefix))
	if err != nil || len(k) < 16 {
		return nil, errors.New("webhook: the secret is not a whsec_ base64 key of at least 16 bytes")
	}
	return k, nil
}

// Sign returns the webhook-signature value for a message: "v1," and the
// base64 HMAC-SHA256 over "id.timestamp.body" (timestamp in Unix seconds).
func Sign(secret, id string, ts time.Time, body []byte) (string, error) {
	k, err := secretKey(secret)
	if err != nil {
		return "", err
	}
	return "v1," + base64.StdEncoding.EncodeToString(mac(k, id, strconv.FormatInt(ts.Unix(), 10), body)), nil
}

func mac(key []byte, id, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id))
	m.Write([]byte{'.'})
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Errors of Verify.
var (
	ErrNoSignature  = errors.New("webhook: missing id, timestamp or signature header")
	ErrTimestamp    = errors.New("webhook: the timestamp is malformed or outside the tolerance")
	ErrBadSignature = errors.New("webhook: no signature matches")
)

// Verify checks a received message as a case system should: the
// timestamp within Tolerance of now, and one of the space-separated
// signatures ("v1,<base64>") equal, in constant time, to the HMAC of
// id.timestamp.body under secret.
func Verify(secret, id, timestamp, signatures string, body []byte, now time.Time) error {
	if id == "" || timestamp == "" || signatures == "" {
		return ErrNoSignature
	}
	k, err := secretKey(secret)
	if err != nil {
		return err
	}
	sec, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil || strconv.FormatInt(sec, 10) != timestamp {
		return ErrTimestamp
	}
	if d := now.Sub(time.Unix(sec, 0)); d > Tolerance || d < -Tolerance {
		return ErrTimestamp
	}
	want := mac(k, id, timestamp, body)
	for _, s := range strings.Fields(signatures) {
		v, sig, ok := strings.Cut(s, ",")
		if !ok || v != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(sig)
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return ErrBadSignature
}
