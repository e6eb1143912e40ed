package mfa

import (
	"math"
	"math/bits"
	"testing"
)

// TOTP seeds and recovery codes come from crypto/rand: over many draws
// every bit position is set about half the time (a clock, a counter or
// math/rand seeded alike would not give distinct values, and a constant
// or a biased source fails the balance).
func TestASVS_6_5_3_SecretsAndRecoveryCodesFromACSPRNG(t *testing.T) {
	const n = 400
	var ones [SecretSize * 8]int
	seen := map[string]bool{}
	for range n {
		s, err := NewSecret()
		if err != nil {
			t.Fatal(err)
		}
		if seen[string(s)] {
			t.Fatal("a TOTP seed repeated")
		}
		seen[string(s)] = true
		for i, b := range s {
			for j := range 8 {
				ones[i*8+j] += int(b >> j & 1)
			}
		}
	}
	for i, c := range ones {
		// 400 draws: mean 200, sd 10; 6 sd either way.
		if math.Abs(float64(c)-n/2) > 60 {
			t.Fatalf("seed bit %d set %d times in %d", i, c, n)
		}
	}
	var sym [32]int
	total := 0
	for range n / 10 {
		codes, err := NewRecoveryCodes(RecoveryCodeCount)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range codes {
			for _, r := range NormalizeRecoveryCode(c) {
				for k, a := range recoveryAlphabet {
					if a == r {
						sym[k]++
					}
				}
				total++
			}
		}
	}
	for k, c := range sym {
		if want := total / 32; c < want/2 || c > want*3/2 {
			t.Fatalf("recovery symbol %q drawn %d times, about %d expected", recoveryAlphabet[k], c, want)
		}
	}
}

// Lookup secrets (recovery codes) and TOTP codes carry at least 20 bits.
func TestASVS_6_5_4_CodesCarryAtLeast20Bits(t *testing.T) {
	if bitsTOTP := float64(Digits) * math.Log2(10); bitsTOTP < 19.9 {
		t.Fatalf("a %d-digit TOTP code has %.1f bits", Digits, bitsTOTP)
	}
	codes, err := NewRecoveryCodes(1)
	if err != nil {
		t.Fatal(err)
	}
	symbols := len(NormalizeRecoveryCode(codes[0]))
	if perSymbol := bits.Len(uint(len(recoveryAlphabet))) - 1; symbols*perSymbol < 20 {
		t.Fatalf("recovery code %q: %d symbols of %d bits", codes[0], symbols, perSymbol)
	}
}
