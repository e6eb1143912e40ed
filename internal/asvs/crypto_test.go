package asvs

// V11 Cryptography, proven over the source of the binary: which primitives
// are linked in and where. The behaviour of each use (sealing, password
// hashing, signing) is tested in its own package.

import (
	"go/ast"
	"slices"
	"strings"
	"testing"
)

// TestASVS_11_2_1_CryptoOnlyFromVettedLibraries: every cryptographic
// primitive our code calls comes from Go's standard library (crypto/...),
// golang.org/x/crypto or age (filippo.io/age); none is written here.
func TestASVS_11_2_1_CryptoOnlyFromVettedLibraries(t *testing.T) {
	vetted := func(p string) bool {
		return p == "crypto" || strings.HasPrefix(p, "crypto/") || strings.HasPrefix(p, "golang.org/x/crypto/") || strings.HasPrefix(p, "filippo.io/age")
	}
	n := 0
	for _, f := range production(t) {
		for _, i := range f.ast.Imports {
			p := strings.Trim(i.Path.Value, `"`)
			low := strings.ToLower(p)
			if vetted(p) {
				n++
				continue
			}
			for _, w := range []string{"crypt", "cipher", "aes", "chacha", "sha3", "blake", "argon", "scrypt", "bcrypt", "nacl"} {
				if strings.Contains(low, w) && !strings.HasPrefix(p, module) {
					t.Errorf("%s imports %s, a cryptographic library that is not vetted here", f.rel, p)
				}
			}
		}
	}
	if n < 20 {
		t.Fatalf("only %d cryptographic imports found: the scan is broken", n)
	}
}

// TestASVS_11_3_1_NoECBOrWeakPadding: no block mode other than GCM is
// constructed (ECB does not exist in Go's library; CBC, CFB, OFB and CTR
// are refused here), and no RSA PKCS #1 v1.5 encryption or signature —
// except MAGDA's WS-Security signature, whose algorithm (XML-DSig
// rsa-sha256, which is PKCS #1 v1.5) the national register's platform
// prescribes; Kluis does not choose it and uses it nowhere else (LOC-2).
func TestASVS_11_3_1_NoECBOrWeakPadding(t *testing.T) {
	prescribed := map[string]bool{"internal/magda/dsig.go": true}
	for _, f := range production(t) {
		f.calls("crypto/cipher", nil, func(c *ast.CallExpr, fn string) {
			if strings.HasPrefix(fn, "New") && !strings.HasPrefix(fn, "NewGCM") {
				t.Errorf("%s: cipher.%s, an unauthenticated mode", f.pos(c), fn)
			}
		})
		f.calls("crypto/rsa", nil, func(c *ast.CallExpr, fn string) {
			if strings.Contains(fn, "PKCS1v15") && !prescribed[f.rel] {
				t.Errorf("%s: rsa.%s", f.pos(c), fn)
			}
		})
	}
}

// TestASVS_11_3_2_OnlyAESGCMAndAge: data is encrypted with AES-256-GCM
// (sealing, exports) or age (X25519 with ChaCha20-Poly1305, backups);
// DES, 3DES and RC4 are not linked in.
func TestASVS_11_3_2_OnlyAESGCMAndAge(t *testing.T) {
	production(t)
	for _, p := range prodPkgs {
		if slices.Contains([]string{"crypto/des", "crypto/rc4", "golang.org/x/crypto/blowfish", "golang.org/x/crypto/cast5",
			"golang.org/x/crypto/tea", "golang.org/x/crypto/twofish", "golang.org/x/crypto/xtea", "golang.org/x/crypto/salsa20"}, p) {
			t.Errorf("%s is linked into the binary", p)
		}
	}
	gcm, aesFiles := 0, map[string]bool{}
	for _, f := range production(t) {
		f.calls("crypto/aes", []string{"NewCipher"}, func(*ast.CallExpr, string) { aesFiles[f.rel] = true })
		f.calls("crypto/cipher", []string{"NewGCM"}, func(*ast.CallExpr, string) { gcm++ })
	}
	if len(aesFiles) == 0 || gcm < len(aesFiles) {
		t.Errorf("AES is used in %v with %d GCM constructions", aesFiles, gcm)
	}
}

// TestASVS_11_4_1_NoMD5AndSHA1NeverForProtection: MD5 is not used by our
// code; SHA-1 appears only where an outside protocol fixes it and it
// protects nothing of ours: HMAC-SHA1 in TOTP (RFC 6238, as authenticator
// apps implement it) and the k-anonymity prefix of the breached-password
// range API (an index, not a protection).
func TestASVS_11_4_1_NoMD5AndSHA1NeverForProtection(t *testing.T) {
	reviewedSHA1 := []string{"internal/mfa/mfa.go", "internal/breached/breached.go"}
	for _, f := range production(t) {
		if f.imports("crypto/md5") {
			t.Errorf("%s imports crypto/md5", f.rel)
		}
		if f.imports("crypto/sha1") && !slices.Contains(reviewedSHA1, f.rel) {
			t.Errorf("%s imports crypto/sha1 and is not a reviewed place", f.rel)
		}
	}
}

// TestASVS_11_4_3_IntegrityHashesAre256Bit: the audit chain, checkpoints,
// webhook signatures and blind indexes hash with SHA-256 (256-bit output);
// no truncated or 128-bit hash is used for integrity.
func TestASVS_11_4_3_IntegrityHashesAre256Bit(t *testing.T) {
	uses := 0
	for _, f := range production(t) {
		f.calls("crypto/sha256", nil, func(c *ast.CallExpr, fn string) {
			uses++
			if fn == "New224" || fn == "Sum224" {
				t.Errorf("%s: SHA-224", f.pos(c))
			}
		})
		for _, p := range []string{"hash/crc32", "hash/fnv", "hash/adler32", "hash/maphash"} {
			if f.imports(p) && (strings.Contains(f.rel, "audit") || strings.Contains(f.rel, "seal") || strings.Contains(f.rel, "webhook")) {
				t.Errorf("%s uses %s in integrity code", f.rel, p)
			}
		}
	}
	if uses < 10 {
		t.Fatalf("only %d SHA-256 uses found: the scan is broken", uses)
	}
}

// TestASVS_11_5_1_NoPredictableRandomness: math/rand is never used in the
// binary except by the crash harness, which picks when to kill a test
// server (nothing secret); secrets come from crypto/rand.
func TestASVS_11_5_1_NoPredictableRandomness(t *testing.T) {
	reviewed := []string{"internal/cli/bench_crash.go"}
	cr := 0
	for _, f := range production(t) {
		if (f.imports("math/rand") || f.imports("math/rand/v2")) && !slices.Contains(reviewed, f.rel) {
			t.Errorf("%s imports math/rand", f.rel)
		}
		if f.imports("crypto/rand") {
			cr++
		}
	}
	if cr < 10 {
		t.Fatalf("only %d files use crypto/rand: the scan is broken", cr)
	}
}

// TestASVS_11_6_1_SignaturesAreEd25519: our own signatures (audit
// checkpoints, backup manifests) are Ed25519; no RSA or DSA key is
// generated, no weak curve is used. The one exception is the MAGDA
// simulator's throwaway test PKI (the demo's and the tests' stand-in for
// the national register, LOC-2): MAGDA's protocol signs with RSA, so its
// certificates must hold RSA keys.
func TestASVS_11_6_1_SignaturesAreEd25519(t *testing.T) {
	rsaAllowed := map[string]bool{"internal/magda/magdasim/pki.go": true}
	production(t)
	for _, p := range prodPkgs {
		if p == "crypto/dsa" {
			t.Error("crypto/dsa is linked into the binary")
		}
	}
	ed := 0
	for _, f := range production(t) {
		f.calls("crypto/rsa", []string{"GenerateKey", "GenerateMultiPrimeKey"}, func(c *ast.CallExpr, _ string) {
			if rsaAllowed[f.rel] {
				return
			}
			t.Errorf("%s generates an RSA key", f.pos(c))
		})
		f.calls("crypto/elliptic", []string{"P224"}, func(c *ast.CallExpr, _ string) {
			t.Errorf("%s uses P-224", f.pos(c))
		})
		f.calls("crypto/ed25519", []string{"Sign", "NewKeyFromSeed", "GenerateKey"}, func(*ast.CallExpr, string) { ed++ })
	}
	if ed == 0 {
		t.Fatal("no Ed25519 signing found: the scan is broken")
	}
}
