package password

import (
	"errors"
	"testing"
)

func TestParsePHCRoundTrip(t *testing.T) {
	salt := []byte("0123456789abcdef")
	key := []byte("0123456789abcdef0123456789abcdef")
	enc := encodePHC(DefaultParams, salt, key)
	want := "$argon2id$v=19$m=19456,t=2,p=1$MDEyMzQ1Njc4OWFiY2RlZg$MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY"
	if enc != want {
		t.Fatalf("encodePHC = %q\nwant        %q", enc, want)
	}
	got, err := parsePHC(enc)
	if err != nil {
		t.Fatal(err)
	}
	if got.params != DefaultParams || string(got.salt) != string(salt) || string(got.key) != string(key) {
		t.Fatalf("parsePHC = %+v", got)
	}
}

func FuzzParsePHC(f *testing.F) {
	for _, s := range []string{
		"$argon2id$v=19$m=19456,t=2,p=1$MDEyMzQ1Njc4OWFiY2RlZg$MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY",
		"$argon2id$v=19$m=64,t=1,p=1$AAECAwQFBgcICQoLDA0ODw$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"$argon2id$v=19$m=1048577,t=1,p=1$AAECAwQFBgcICQoLDA0ODw$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"$argon2i$v=19$m=64,t=1,p=1$AAECAwQFBgcICQoLDA0ODw$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"$argon2id$v=19$m=64,t=1,p=1$$",
		"$argon2id$$$$",
		"$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parsePHC(s)
		if err != nil {
			if !errors.Is(err, ErrMalformedHash) {
				t.Fatalf("error %v does not wrap ErrMalformedHash", err)
			}
			return
		}
		if err := got.params.validate(); err != nil {
			t.Fatalf("accepted out-of-bounds params %+v: %v", got.params, err)
		}
		// Parsing is strict, so an accepted string is canonical.
		if re := encodePHC(got.params, got.salt, got.key); re != s {
			t.Fatalf("accepted non-canonical %q; canonical form %q", s, re)
		}
	})
}
