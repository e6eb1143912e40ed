package password

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// ErrMalformedHash is returned by Hasher.Verify when the stored string is not
// an argon2id PHC string this package accepts, including one whose
// parameters are outside the sane bounds below.
var ErrMalformedHash = errors.New("password: malformed argon2id hash")

// Bounds on stored parameters. A stored hash is data: someone who can write
// to the database could otherwise set m=4 GiB or t=10⁶ and make every login
// attempt for that account stall the server. Anything outside these bounds is
// refused as malformed before any work is done.
const (
	maxMemoryKiB   = 1 << 20 // 1 GiB
	maxTime        = 10
	maxThreads     = 16
	minSaltLen     = 8
	maxSaltLen     = 64
	minKeyLen      = 16
	maxKeyLen      = 64
	maxEncodedLen  = 512
	phcPrefix      = "$argon2id$"
	phcVersionPart = "v=19"
)

var b64 = base64.RawStdEncoding.Strict()

// phc is a parsed argon2id PHC string.
type phc struct {
	params Params // SaltLen and KeyLen are those of salt and key
	salt   []byte
	key    []byte
}

// encodePHC renders $argon2id$v=19$m=…,t=…,p=…$salt$key.
func encodePHC(p Params, salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

// parsePHC parses an argon2id PHC string strictly. It never panics; every
// failure is ErrMalformedHash wrapped with the reason.
func parsePHC(s string) (phc, error) {
	bad := func(why string) (phc, error) {
		return phc{}, fmt.Errorf("%w: %s", ErrMalformedHash, why)
	}
	if len(s) > maxEncodedLen {
		return bad("too long")
	}
	rest, ok := strings.CutPrefix(s, phcPrefix)
	if !ok {
		return bad("not $argon2id$")
	}
	// Expect exactly: v=19 $ m=…,t=…,p=… $ salt $ key
	parts := strings.Split(rest, "$")
	if len(parts) != 4 {
		return bad("want 4 fields after the algorithm")
	}
	if parts[0] != phcVersionPart {
		return bad("unsupported version")
	}
	var p Params
	kv := strings.Split(parts[1], ",")
	if len(kv) != 3 {
		return bad("want m, t and p")
	}
	for i, name := range []string{"m", "t", "p"} {
		val, ok := strings.CutPrefix(kv[i], name+"=")
		if !ok {
			return bad("want " + name + "=")
		}
		n, err := parseDecimal(val)
		if err != nil {
			return bad(name + ": " + err.Error())
		}
		switch name {
		case "m":
			p.Memory = n
		case "t":
			p.Time = n
		case "p":
			if n > maxThreads {
				return bad("p out of range")
			}
			p.Threads = uint8(n)
		}
	}
	salt, ok := decodeB64(parts[2])
	if !ok {
		return bad("salt: not unpadded standard base64")
	}
	key, ok := decodeB64(parts[3])
	if !ok {
		return bad("hash: not unpadded standard base64")
	}
	p.SaltLen, p.KeyLen = uint32(len(salt)), uint32(len(key))
	if err := p.validate(); err != nil {
		return bad(err.Error())
	}
	return phc{params: p, salt: salt, key: key}, nil
}

// decodeB64 decodes unpadded standard base64 and accepts only the canonical
// form: the standard decoder skips '\r' and '\n', which a stored hash must
// not contain.
func decodeB64(s string) ([]byte, bool) {
	b, err := b64.DecodeString(s)
	if err != nil || b64.EncodeToString(b) != s {
		return nil, false
	}
	return b, true
}

// parseDecimal accepts 1 to 10 ASCII digits without sign or leading zero.
func parseDecimal(s string) (uint32, error) {
	if s == "" || len(s) > 10 {
		return 0, errors.New("bad number")
	}
	if len(s) > 1 && s[0] == '0' {
		return 0, errors.New("leading zero")
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, errors.New("bad number")
		}
	}
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0, errors.New("bad number")
	}
	return uint32(n), nil
}

// validate reports whether p lies within the bounds a stored hash may use.
// The Hasher's own parameters must pass too, or it could not verify what it
// wrote.
func (p Params) validate() error {
	switch {
	case p.Threads < 1 || p.Threads > maxThreads:
		return fmt.Errorf("threads %d outside 1..%d", p.Threads, maxThreads)
	case p.Memory < 8*uint32(p.Threads) || p.Memory > maxMemoryKiB:
		return fmt.Errorf("memory %d KiB outside %d..%d", p.Memory, 8*uint32(p.Threads), maxMemoryKiB)
	case p.Time < 1 || p.Time > maxTime:
		return fmt.Errorf("time %d outside 1..%d", p.Time, maxTime)
	case p.SaltLen < minSaltLen || p.SaltLen > maxSaltLen:
		return fmt.Errorf("salt length %d outside %d..%d", p.SaltLen, minSaltLen, maxSaltLen)
	case p.KeyLen < minKeyLen || p.KeyLen > maxKeyLen:
		return fmt.Errorf("key length %d outside %d..%d", p.KeyLen, minKeyLen, maxKeyLen)
	}
	return nil
}
