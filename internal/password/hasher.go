package password

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"fmt"
	"runtime"
	"sync/atomic"

	"golang.org/x/crypto/argon2"
)

// Params are argon2id cost parameters.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8  // lanes
	SaltLen uint32 // bytes
	KeyLen  uint32 // bytes
}

// DefaultParams are the OWASP Password Storage Cheat Sheet's first argon2id
// configuration (m = 19 MiB, t = 2, p = 1) with a 16-byte salt and a 32-byte
// key. Each hash holds about 19 MiB while it runs.
var DefaultParams = Params{Memory: 19 * 1024, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}

// Hasher hashes and verifies passwords with argon2id. A semaphore caps the
// number of hashes running at once, so that a flood of logins queues instead
// of exhausting memory (maxConcurrent × Params.Memory). A Hasher is safe for
// concurrent use.
type Hasher struct {
	params Params
	sem    chan struct{}
	dummy  string // fixed hash with params, verified by DummyVerify

	// Instrumentation for tests; cheap enough to keep in production.
	waiting  atomic.Int32 // calls blocked waiting for a slot
	inFlight atomic.Int32 // calls holding a slot
	peak     atomic.Int32 // highest inFlight seen
	testHook func()       // if set, called while holding a slot
}

// NewHasher returns a Hasher that writes hashes with p and lets at most
// maxConcurrent hashes run at once; maxConcurrent ≤ 0 means 2 × GOMAXPROCS.
// Zero fields of p are taken from DefaultParams. NewHasher panics if p is
// outside the bounds Verify accepts for stored hashes (1 ≤ t ≤ 10,
// m ≤ 1 GiB, 1 ≤ p ≤ 16, salt 8–64 bytes, key 16–64 bytes): that is a
// programming error, and its hashes could never be verified.
func NewHasher(p Params, maxConcurrent int) *Hasher {
	if p.Memory == 0 {
		p.Memory = DefaultParams.Memory
	}
	if p.Time == 0 {
		p.Time = DefaultParams.Time
	}
	if p.Threads == 0 {
		p.Threads = DefaultParams.Threads
	}
	if p.SaltLen == 0 {
		p.SaltLen = DefaultParams.SaltLen
	}
	if p.KeyLen == 0 {
		p.KeyLen = DefaultParams.KeyLen
	}
	if err := p.validate(); err != nil {
		panic("password.NewHasher: " + err.Error())
	}
	if maxConcurrent <= 0 {
		maxConcurrent = 2 * runtime.GOMAXPROCS(0)
	}
	maxConcurrent = max(maxConcurrent, 1)
	// The dummy needs no real hash: any salt and key of the right sizes make
	// DummyVerify do exactly the work of a failed Verify.
	dummySalt := make([]byte, p.SaltLen)
	dummyKey := make([]byte, p.KeyLen)
	for i := range dummySalt {
		dummySalt[i] = byte(i)
	}
	return &Hasher{
		params: p,
		sem:    make(chan struct{}, maxConcurrent),
		dummy:  encodePHC(p, dummySalt, dummyKey),
	}
}

// Params returns the parameters h writes new hashes with.
func (h *Hasher) Params() Params { return h.params }

// Hash returns the argon2id PHC string of plain, with a fresh random salt:
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash> (unpadded standard base64).
// It waits for a hashing slot and returns ctx.Err() if ctx ends first.
func (h *Hasher) Hash(ctx context.Context, plain string) (string, error) {
	salt := make([]byte, h.params.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password: read salt: %w", err)
	}
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	key := argon2.IDKey([]byte(plain), salt, h.params.Time, h.params.Memory, h.params.Threads, h.params.KeyLen)
	return encodePHC(h.params, salt, key), nil
}

// Verify reports whether plain matches the PHC string encoded, comparing in
// constant time. needsRehash is true when plain matched but encoded was
// written with parameters other than h's: the caller should then store a
// fresh Hash(plain). A malformed or out-of-bounds encoded string returns an
// error wrapping ErrMalformedHash without doing any hashing. Verify waits for
// a hashing slot and returns ctx.Err() if ctx ends first.
func (h *Hasher) Verify(ctx context.Context, plain, encoded string) (ok, needsRehash bool, err error) {
	stored, err := parsePHC(encoded)
	if err != nil {
		return false, false, err
	}
	if err := h.acquire(ctx); err != nil {
		return false, false, err
	}
	defer h.release()
	p := stored.params
	key := argon2.IDKey([]byte(plain), stored.salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	if subtle.ConstantTimeCompare(key, stored.key) != 1 {
		return false, false, nil
	}
	return true, p != h.params, nil
}

// DummyVerify does the work of a Verify that fails, against a fixed hash
// made with h's parameters. Call it when a login names an unknown account,
// so that the answer takes as long as for a known one and the timing does
// not tell which accounts exist (ASVS 6.3.8). It waits for a slot like
// Verify, and returns early only if ctx ends.
func (h *Hasher) DummyVerify(ctx context.Context) {
	_, _, _ = h.Verify(ctx, "kluis-dummy-password", h.dummy)
}

// acquire takes a hashing slot, or returns ctx.Err() if ctx ends first.
func (h *Hasher) acquire(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	h.waiting.Add(1)
	select {
	case h.sem <- struct{}{}:
		h.waiting.Add(-1)
	case <-ctx.Done():
		h.waiting.Add(-1)
		return ctx.Err()
	}
	n := h.inFlight.Add(1)
	for {
		old := h.peak.Load()
		if n <= old || h.peak.CompareAndSwap(old, n) {
			break
		}
	}
	if h.testHook != nil {
		h.testHook()
	}
	return nil
}

func (h *Hasher) release() {
	h.inFlight.Add(-1)
	<-h.sem
}
