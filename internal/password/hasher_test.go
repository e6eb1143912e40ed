package password

import (
	"context"
	"encoding/base64"
	"errors"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/argon2"
)

// fast keeps most tests quick; DefaultParams is used where the real cost
// matters.
var fast = Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

func TestASVS_11_4_2_ClauseUSR7_Argon2idPHCDefaultParams(t *testing.T) {
	ctx := context.Background()
	h := NewHasher(DefaultParams, 0)
	enc, err := h.Hash(ctx, "paardenbloem kastanjeboom vijver")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$([A-Za-z0-9+/]{22})\$([A-Za-z0-9+/]{43})$`)
	m := re.FindStringSubmatch(enc)
	if m == nil {
		t.Fatalf("Hash = %q, not an argon2id PHC string with the default parameters", enc)
	}
	// Recompute independently: proves the key is argon2id(m=19456,t=2,p=1)
	// of the password and the encoded salt, not merely shaped like one.
	salt, _ := base64.RawStdEncoding.DecodeString(m[1])
	key, _ := base64.RawStdEncoding.DecodeString(m[2])
	want := argon2.IDKey([]byte("paardenbloem kastanjeboom vijver"), salt, 2, 19456, 1, 32)
	if string(key) != string(want) {
		t.Fatal("stored key is not argon2id of the password with the stored salt")
	}
	ok, rehash, err := h.Verify(ctx, "paardenbloem kastanjeboom vijver", enc)
	if err != nil || !ok || rehash {
		t.Fatalf("Verify = %v, %v, %v; want true, false, nil", ok, rehash, err)
	}
	enc2, _ := h.Hash(ctx, "paardenbloem kastanjeboom vijver")
	if enc2 == enc {
		t.Fatal("two hashes of the same password are equal: salt is not random")
	}
}

func TestClauseUSR7_Verify(t *testing.T) {
	ctx := context.Background()
	h := NewHasher(fast, 0)
	enc, err := h.Hash(ctx, "Juiste paardenbatterij nietje")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		plain string
		want  bool
	}{
		{"same", "Juiste paardenbatterij nietje", true},
		{"other", "Verkeerde paardenbatterij nietje", false},
		{"empty", "", false},
		{"prefix", "Juiste paardenbatterij", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, rehash, err := h.Verify(ctx, tt.plain, enc)
			if err != nil {
				t.Fatal(err)
			}
			if ok != tt.want || rehash {
				t.Fatalf("Verify = %v, %v; want %v, false", ok, rehash, tt.want)
			}
		})
	}
}

func TestASVS_6_2_8_NoTruncationOrTransformation(t *testing.T) {
	ctx := context.Background()
	h := NewHasher(fast, 0)
	long := strings.Repeat("a", 100) // beyond bcrypt's 72-byte truncation
	tests := []struct {
		name, stored, typed string
	}{
		{"trailing space", "paardenbloem kastanjeboom vijver", "paardenbloem kastanjeboom vijver "},
		{"leading space", "paardenbloem kastanjeboom vijver", " paardenbloem kastanjeboom vijver"},
		{"NFC vs NFD é", "caf\u00e9 op het marktplein", "cafe\u0301 op het marktplein"},
		{"NFD vs NFC é", "cafe\u0301 op het marktplein", "caf\u00e9 op het marktplein"},
		{"case", "Paardenbloem Kastanjeboom", "paardenbloem kastanjeboom"},
		{"differs after byte 72", long + "x", long + "y"},
		{"truncated to 72 bytes", long, long[:72]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			enc, err := h.Hash(ctx, tt.stored)
			if err != nil {
				t.Fatal(err)
			}
			if ok, _, err := h.Verify(ctx, tt.stored, enc); !ok || err != nil {
				t.Fatalf("exact password did not verify: %v, %v", ok, err)
			}
			if ok, _, _ := h.Verify(ctx, tt.typed, enc); ok {
				t.Fatalf("%q verified against the hash of %q", tt.typed, tt.stored)
			}
		})
	}
}

func TestClauseUSR7_NeedsRehash(t *testing.T) {
	ctx := context.Background()
	old := NewHasher(fast, 0)
	enc, err := old.Hash(ctx, "een oud maar goed wachtwoord")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		params     Params
		plain      string
		wantOK     bool
		wantRehash bool
	}{
		{"same params", fast, "een oud maar goed wachtwoord", true, false},
		{"more memory", Params{Memory: 128, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}, "een oud maar goed wachtwoord", true, true},
		{"more time", Params{Memory: 64, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}, "een oud maar goed wachtwoord", true, true},
		{"more threads", Params{Memory: 64, Time: 1, Threads: 2, SaltLen: 16, KeyLen: 32}, "een oud maar goed wachtwoord", true, true},
		{"longer key", Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 64}, "een oud maar goed wachtwoord", true, true},
		{"longer salt", Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 32, KeyLen: 32}, "een oud maar goed wachtwoord", true, true},
		{"wrong password, new params", Params{Memory: 128, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}, "een ander wachtwoord", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, rehash, err := NewHasher(tt.params, 0).Verify(ctx, tt.plain, enc)
			if err != nil {
				t.Fatal(err)
			}
			if ok != tt.wantOK || rehash != tt.wantRehash {
				t.Fatalf("Verify = %v, %v; want %v, %v", ok, rehash, tt.wantOK, tt.wantRehash)
			}
		})
	}
}

func TestClauseUSR7_MalformedHashRefusedWithoutWork(t *testing.T) {
	const salt, key = "AAECAwQFBgcICQoLDA0ODw", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	tests := []struct{ name, enc string }{
		{"empty", ""},
		{"bcrypt", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"},
		{"argon2i", "$argon2i$v=19$m=64,t=1,p=1$" + salt + "$" + key},
		{"argon2d", "$argon2d$v=19$m=64,t=1,p=1$" + salt + "$" + key},
		{"no version", "$argon2id$m=64,t=1,p=1$" + salt + "$" + key},
		{"version 16", "$argon2id$v=16$m=64,t=1,p=1$" + salt + "$" + key},
		{"memory over 1 GiB", "$argon2id$v=19$m=1048577,t=1,p=1$" + salt + "$" + key},
		{"memory 4 GiB", "$argon2id$v=19$m=4294967295,t=1,p=1$" + salt + "$" + key},
		{"memory overflow", "$argon2id$v=19$m=4294967296,t=1,p=1$" + salt + "$" + key},
		{"memory below 8p", "$argon2id$v=19$m=7,t=1,p=1$" + salt + "$" + key},
		{"time 11", "$argon2id$v=19$m=64,t=11,p=1$" + salt + "$" + key},
		{"time 0", "$argon2id$v=19$m=64,t=0,p=1$" + salt + "$" + key},
		{"threads 0", "$argon2id$v=19$m=64,t=1,p=0$" + salt + "$" + key},
		{"threads 17", "$argon2id$v=19$m=1024,t=1,p=17$" + salt + "$" + key},
		{"threads 256", "$argon2id$v=19$m=4096,t=1,p=256$" + salt + "$" + key},
		{"negative", "$argon2id$v=19$m=-64,t=1,p=1$" + salt + "$" + key},
		{"plus sign", "$argon2id$v=19$m=+64,t=1,p=1$" + salt + "$" + key},
		{"leading zero", "$argon2id$v=19$m=064,t=1,p=1$" + salt + "$" + key},
		{"params reordered", "$argon2id$v=19$t=1,m=64,p=1$" + salt + "$" + key},
		{"extra param", "$argon2id$v=19$m=64,t=1,p=1,keyid=x$" + salt + "$" + key},
		{"padded salt", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "==$" + key},
		{"CR in salt", "$argon2id$v=19$m=64,t=1,p=1$AAECAwQFBgcI\rCQoLDA0ODw$" + key},
		{"newline in key", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$AAAAAAAAAAAAAAAAAAAAAA\nAAAAAAAAAAAAAAAAAAAAA"},
		{"url base64", "$argon2id$v=19$m=64,t=1,p=1$AAECAwQFBgcICQoLDA0O_w$" + key},
		{"short salt", "$argon2id$v=19$m=64,t=1,p=1$AAEC$" + key},
		{"short key", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$AAAA"},
		{"no key", "$argon2id$v=19$m=64,t=1,p=1$" + salt},
		{"extra field", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + key + "$x"},
		{"trailing dollar", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + key + "$"},
		{"too long", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + key + strings.Repeat("A", 600)},
	}
	h := NewHasher(fast, 0)
	var hashed atomic.Int32
	h.testHook = func() { hashed.Add(1) }
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, rehash, err := h.Verify(context.Background(), "x", tt.enc)
			if !errors.Is(err, ErrMalformedHash) || ok || rehash {
				t.Fatalf("Verify(%q) = %v, %v, %v; want ErrMalformedHash", tt.enc, ok, rehash, err)
			}
		})
	}
	if n := hashed.Load(); n != 0 {
		t.Fatalf("%d malformed hashes were hashed against; want none", n)
	}
	// The well-formed control passes, so the cases above fail for their flaw.
	good := "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + key
	if _, _, err := h.Verify(context.Background(), "x", good); err != nil {
		t.Fatalf("control %q: %v", good, err)
	}
}

// waitFor polls cond until it holds, failing the test after a generous
// deadline; it is a guard against hanging, not a timing assumption.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		runtime.Gosched()
	}
}

func TestClauseUSR7_ConcurrentHashingCapped(t *testing.T) {
	const limit, calls = 2, 6
	h := NewHasher(fast, limit)
	entered := make(chan struct{})
	release := make(chan struct{})
	h.testHook = func() {
		entered <- struct{}{}
		<-release
	}
	var wg sync.WaitGroup
	errs := make(chan error, calls)
	for i := range calls {
		wg.Go(func() {
			_, err := h.Hash(context.Background(), strings.Repeat("x", 15+i))
			errs <- err
		})
	}
	for range limit {
		<-entered
	}
	// Two hold their slots; the other four must queue, not run.
	waitFor(t, "4 callers queued", func() bool {
		select {
		case <-entered:
			t.Fatalf("a third hash started while %d held slots", limit)
		default:
		}
		return h.waiting.Load() == calls-limit
	})
	if n := h.inFlight.Load(); n != limit {
		t.Fatalf("in flight = %d, want %d", n, limit)
	}
	// Let them through one at a time: each release admits exactly one more.
	for range calls - limit {
		release <- struct{}{}
		<-entered
		if n := h.inFlight.Load(); n > limit {
			t.Fatalf("in flight = %d, want ≤ %d", n, limit)
		}
	}
	for range limit {
		release <- struct{}{}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if p := h.peak.Load(); p != limit {
		t.Fatalf("peak concurrent hashes = %d, want %d", p, limit)
	}
}

func TestClauseUSR7_CancelWhileWaiting(t *testing.T) {
	h := NewHasher(fast, 1)
	enc, err := h.Hash(context.Background(), "een wachtwoord om te verifiëren")
	if err != nil {
		t.Fatal(err)
	}
	calls := []struct {
		name string
		call func(ctx context.Context) error
	}{
		{"Hash", func(ctx context.Context) error {
			_, err := h.Hash(ctx, "een wachtwoord om te verifiëren")
			return err
		}},
		{"Verify", func(ctx context.Context) error {
			_, _, err := h.Verify(ctx, "een wachtwoord om te verifiëren", enc)
			return err
		}},
	}
	entered := make(chan struct{})
	release := make(chan struct{})
	h.testHook = func() {
		entered <- struct{}{}
		<-release
	}
	// One call holds the only slot for the whole test.
	holder := make(chan error, 1)
	go func() {
		_, err := h.Hash(context.Background(), "de houder van het slot")
		holder <- err
	}()
	<-entered
	for _, tt := range calls {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- tt.call(ctx) }()
			waitFor(t, "the call to queue", func() bool { return h.waiting.Load() == 1 })
			cancel()
			select {
			case err := <-done:
				if !errors.Is(err, context.Canceled) {
					t.Fatalf("err = %v, want context.Canceled", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("cancelled call still waiting for a slot")
			}
		})
		t.Run(tt.name+"/already cancelled", func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			if err := tt.call(ctx); !errors.Is(err, context.Canceled) {
				t.Fatalf("err = %v, want context.Canceled", err)
			}
		})
	}
	release <- struct{}{}
	if err := <-holder; err != nil {
		t.Fatal(err)
	}
}

func TestClauseUSR7_AlreadyCancelledDoesNoWork(t *testing.T) {
	h := NewHasher(fast, 1)
	var hashed atomic.Int32
	h.testHook = func() { hashed.Add(1) }
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := h.Hash(ctx, "paardenbloem kastanjeboom"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Hash err = %v, want context.Canceled", err)
	}
	if n := hashed.Load(); n != 0 {
		t.Fatalf("hashed %d times with a cancelled context", n)
	}
}

func TestASVS_6_3_8_DummyVerifySpendsTheSameWork(t *testing.T) {
	h := NewHasher(fast, 1)
	var hashed atomic.Int32
	h.testHook = func() { hashed.Add(1) }
	h.DummyVerify(context.Background())
	if n := hashed.Load(); n != 1 {
		t.Fatalf("DummyVerify hashed %d times, want 1 (the work of one Verify)", n)
	}
	stored, err := parsePHC(h.dummy)
	if err != nil {
		t.Fatalf("dummy hash: %v", err)
	}
	if stored.params != h.params {
		t.Fatalf("dummy params = %+v, want the hasher's %+v", stored.params, h.params)
	}
	// It shares the Verify slot: a cancelled wait returns early.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	h.DummyVerify(ctx)
	if n := hashed.Load(); n != 1 {
		t.Fatalf("DummyVerify with a cancelled context hashed")
	}
}

func TestNewHasher(t *testing.T) {
	t.Run("defaults", func(t *testing.T) {
		for _, n := range []int{0, -3} {
			h := NewHasher(Params{}, n)
			if h.Params() != DefaultParams {
				t.Errorf("Params() = %+v, want DefaultParams", h.Params())
			}
			if got, want := cap(h.sem), 2*runtime.GOMAXPROCS(0); got != want {
				t.Errorf("NewHasher(_, %d): %d slots, want %d", n, got, want)
			}
		}
		if got := cap(NewHasher(fast, 3).sem); got != 3 {
			t.Errorf("NewHasher(_, 3): %d slots", got)
		}
	})
	t.Run("absurd params panic", func(t *testing.T) {
		for _, p := range []Params{
			{Memory: 2 << 20, Time: 1},
			{Memory: 64, Time: 11},
			{Memory: 64, Time: 1, SaltLen: 4},
		} {
			func() {
				defer func() {
					if recover() == nil {
						t.Errorf("NewHasher(%+v) did not panic", p)
					}
				}()
				NewHasher(p, 1)
			}()
		}
	})
}
