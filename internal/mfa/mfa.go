// Package mfa holds the second factor's rules (contract USR-2, ASVS 5.0
// V6.5/V6.6): time-based one-time passwords as authenticator apps know them
// (RFC 6238 over RFC 4226: HMAC-SHA1, 6 digits, 30-second steps), the
// otpauth:// provisioning URI and its QR code as SVG, and single-use
// recovery codes. It is pure Go and does no I/O: the store keeps the sealed
// secret, the last accepted step (a code is accepted once only) and the
// failure counter.
package mfa

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1" // RFC 6238 as authenticator apps implement it; HMAC-SHA1 is not broken as a PRF
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"strings"
	"time"
)

// The TOTP parameters. Authenticator apps support these and little else.
const (
	Digits     = 6
	Period     = 30 * time.Second
	SecretSize = 20 // bytes: 160 bits, the HMAC-SHA1 block output size RFC 4226 recommends
	// Skew is how many steps before and after the current one are accepted,
	// for clocks that are slightly off.
	Skew = 1
)

// The failure limit of the second factor, counted apart from password
// failures: MaxFailures wrong codes in a row lock the second factor for
// LockDuration.
const (
	MaxFailures  = 5
	LockDuration = 15 * time.Minute
)

// NewSecret returns a fresh random TOTP secret of SecretSize bytes.
func NewSecret() ([]byte, error) {
	b := make([]byte, SecretSize)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	return b, nil
}

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// Base32 encodes a secret as authenticator apps want it typed: upper-case
// RFC 4648 base32 without padding.
func Base32(secret []byte) string { return b32.EncodeToString(secret) }

// Step returns the TOTP time step t falls in.
func Step(t time.Time) int64 {
	s := t.Unix()
	p := int64(Period / time.Second)
	if s < 0 {
		return (s - p + 1) / p // floor, for completeness
	}
	return s / p
}

// hotp is RFC 4226: HMAC-SHA1 of the big-endian counter, dynamic
// truncation, the low digits in decimal, zero-padded.
func hotp(secret []byte, counter uint64, digits int) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], counter)
	m := hmac.New(sha1.New, secret)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	bin := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	mod := uint32(1)
	for range digits {
		mod *= 10
	}
	v := bin % mod
	out := make([]byte, digits)
	for i := digits - 1; i >= 0; i-- {
		out[i] = byte('0' + v%10)
		v /= 10
	}
	return string(out)
}

// CodeAt returns the code an authenticator app shows at t.
func CodeAt(secret []byte, t time.Time) string {
	return hotp(secret, uint64(Step(t)), Digits)
}

// NormalizeCode removes the spaces people type or paste ("123 456") and
// reports whether what is left is exactly Digits ASCII digits.
func NormalizeCode(code string) (string, bool) {
	code = strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\u00a0', '\u202f':
			return -1
		}
		return r
	}, code)
	if len(code) != Digits {
		return "", false
	}
	for i := 0; i < len(code); i++ {
		if code[i] < '0' || code[i] > '9' {
			return "", false
		}
	}
	return code, true
}

// Validate checks code against secret at now. It accepts the current step
// and Skew steps either side, but never a step at or before lastStep: the
// step of the last code accepted, so a code is accepted once only and
// replays inside its window are refused (ASVS 5.0 6.5.1). On success it
// returns the step to store as the new lastStep; when the code matches
// more than one step, the latest, so that it cannot be used again. The
// comparison is constant-time and every candidate step is checked.
func Validate(secret []byte, code string, now time.Time, lastStep int64) (step int64, ok bool) {
	code, valid := NormalizeCode(code)
	if !valid || len(secret) == 0 {
		return 0, false
	}
	cur := Step(now)
	for s := cur - Skew; s <= cur+Skew; s++ {
		want := hotp(secret, uint64(s), Digits)
		match := subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1
		if match && s > lastStep {
			step, ok = s, true
		}
	}
	return step, ok
}

// Recovery codes: RecoveryCodeCount of them are handed out at enrolment,
// each usable once when the authenticator is lost. A code is 6 groups of 4
// characters of a 32-symbol alphabet: 120 random bits. ASVS 5.0 6.5.2 lets
// lookup secrets be stored with a plain hash only from 112 bits up
// (shorter ones need a salted password hash, which would also rule out
// finding a code by its hash); RecoveryCodeBits is what a code carries.
const (
	RecoveryCodeCount = 10
	recoveryGroups    = 6
	recoveryGroupLen  = 4
	RecoveryCodeBits  = recoveryGroups * recoveryGroupLen * 5
)

// recoveryAlphabet is Crockford's base32 in lower case: no i, l, o or u,
// so nothing reads as something else; NormalizeRecoveryCode maps the
// look-alikes typed by mistake (o → 0, i and l → 1). 32 symbols, 5 bits
// each.
const recoveryAlphabet = "0123456789abcdefghjkmnpqrstvwxyz"

// NewRecoveryCodes returns n distinct random codes like
// "7kq2-m9xd-4hpt-3vbz-q0ce-8wfa".
func NewRecoveryCodes(n int) ([]string, error) {
	if n <= 0 {
		return nil, errors.New("mfa: number of recovery codes must be positive")
	}
	codes := make([]string, 0, n)
	seen := make(map[string]bool, n)
	buf := make([]byte, recoveryGroups*recoveryGroupLen)
	for len(codes) < n {
		if _, err := rand.Read(buf); err != nil {
			return nil, err
		}
		var sb strings.Builder
		for i, b := range buf {
			if i > 0 && i%recoveryGroupLen == 0 {
				sb.WriteByte('-')
			}
			sb.WriteByte(recoveryAlphabet[b&31]) // 256 is a multiple of 32: no bias
		}
		c := sb.String()
		if !seen[c] {
			seen[c] = true
			codes = append(codes, c)
		}
	}
	return codes, nil
}

// NormalizeRecoveryCode reduces a recovery code as typed to its canonical
// form: lower case, without spaces or dashes, look-alikes mapped to the
// characters of the alphabet.
func NormalizeRecoveryCode(code string) string {
	var sb strings.Builder
	for _, r := range strings.ToLower(code) {
		switch r {
		case ' ', '-', '\t', '\u00a0', '\u202f':
			continue
		case 'o':
			r = '0'
		case 'i', 'l':
			r = '1'
		}
		sb.WriteRune(r)
	}
	return sb.String()
}

// HashRecoveryCode is what the store keeps of a recovery code: SHA-256 of
// its normalised form. A fast, unsalted hash is enough here, unlike for
// passwords: the codes are random with RecoveryCodeBits (120) bits of
// entropy, not chosen by people, so no dictionary or precomputed table
// applies and an offline search of the code space is out of reach; ASVS
// 5.0 6.5.2 allows a standard hash from 112 bits up. Guessing online is
// stopped by the MFA failure limit. And being unsalted, the hash finds the
// code directly (it is the table's key).
func HashRecoveryCode(code string) []byte {
	s := sha256.Sum256([]byte(NormalizeRecoveryCode(code)))
	return s[:]
}
