package ident

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func problemOf(err error) Problem {
	var inv *Invalid
	if errors.As(err, &inv) {
		return inv.Problem
	}
	return ""
}

// The check digits in these vectors were computed outside this package.
func TestINSZ(t *testing.T) {
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	valid := []struct {
		in    string
		bis   bool
		birth time.Time
	}{
		{"85071512397", false, day(1985, 7, 15)},     // check digits 97 (mod 97 is 0)
		{"85.07.15-123.97", false, day(1985, 7, 15)}, // as printed on the eID
		{"03010245668", false, day(2003, 1, 2)},      // born from 2000: 2 in front
		{"96022912367", false, day(1996, 2, 29)},     // leap day
		{"00022912320", false, day(2000, 2, 29)},     // 2000 was a leap year
		{"85000012313", false, time.Time{}},          // birth date unknown
		{"85271512343", true, day(1985, 7, 15)},      // BIS, month + 20
		{"85471500114", true, day(1985, 7, 15)},      // BIS, month + 40
		{"05420345676", true, day(2005, 2, 3)},       // BIS born from 2000
		{"00200000567", true, time.Time{}},           // BIS, birth date unknown
	}
	for _, c := range valid {
		n, err := INSZ(c.in)
		if err != nil {
			t.Errorf("INSZ(%q): %v", c.in, err)
			continue
		}
		if n.BIS != c.bis || !n.Birth.Equal(c.birth) || len(n.Digits) != 11 {
			t.Errorf("INSZ(%q) = %+v, want bis %v birth %v", c.in, n, c.bis, c.birth)
		}
	}
	invalidCases := []struct {
		in   string
		want Problem
	}{
		{"", Empty},
		{"   ", Empty},
		{"8507151239", Format},      // 10 digits
		{"850715123970", Format},    // 12 digits
		{"85071512A97", Format},     // a letter
		{"85071512398", Checksum},   // last digit off
		{"03010245697", Checksum},   // a 2000s birth with the 1900s check
		{"00022912388", Date},       // 1900 rule → 29.02.1900, which never was
		{"01022912341", Date},       // 29.02.2001
		{"85131512342", Date},       // month 13
		{"85000099901", Checksum},   // wrong check and sequence 999
		{"85071500050", Checksum},   // arbitrary
		{"85.07.15_123.97", Format}, // odd separator
		{"８５０７１５１２３９７", Format},     // full-width digits
	}
	for _, c := range invalidCases {
		if _, err := INSZ(c.in); problemOf(err) != c.want {
			t.Errorf("INSZ(%q): %v, want %s", c.in, err, c.want)
		}
	}
	if got := FormatINSZ("85071512397"); got != "85.07.15-123.97" {
		t.Errorf("FormatINSZ: %q", got)
	}
}

func TestIBAN(t *testing.T) {
	valid := map[string]string{
		"BE68539007547034":            "BE68539007547034",
		"be68 5390 0754 7034":         "BE68539007547034",
		"NL91ABNA0417164300":          "NL91ABNA0417164300",
		"DE89 3704 0044 0532 0130 00": "DE89370400440532013000",
		"FR1420041010050500013M02606": "FR1420041010050500013M02606",
		"LU28 0019 4006 4475 0000":    "LU280019400644750000",
	}
	for in, want := range valid {
		if got, err := IBAN(in); err != nil || got != want {
			t.Errorf("IBAN(%q) = %q, %v", in, got, err)
		}
	}
	invalidCases := []struct {
		in   string
		want Problem
	}{
		{"", Empty},
		{"BE69539007547034", Checksum},   // ISO check off
		{"BE6853900754703", Country},     // 15 characters for Belgium
		{"US12345678901234", Country},    // not a SEPA country
		{"BE68_5390_0754_7034", Format},  // odd separator
		{"1234", Format},                 // no country
		{"BE41539007547035", Checksum},   // ISO-valid but the Belgian check fails
		{"NL91ABNA0417164301", Checksum}, // last digit off
	}
	for _, c := range invalidCases {
		if _, err := IBAN(c.in); problemOf(err) != c.want {
			t.Errorf("IBAN(%q): %v, want %s", c.in, err, c.want)
		}
	}
	if got := FormatIBAN("BE68539007547034"); got != "BE68 5390 0754 7034" {
		t.Errorf("FormatIBAN: %q", got)
	}
}

func TestKBO(t *testing.T) {
	for in, want := range map[string]string{"0207.451.227": "0207451227", "BE 0207 451 227": "0207451227", "207451227": "0207451227"} {
		if got, err := KBO(in); err != nil || got != want {
			t.Errorf("KBO(%q) = %q, %v", in, got, err)
		}
	}
	for in, want := range map[string]Problem{"": Empty, "0207.451.228": Checksum, "02074512": Format, "2207451227": Format, "0207x51227": Format} {
		if _, err := KBO(in); problemOf(err) != want {
			t.Errorf("KBO(%q): %v, want %s", in, err, want)
		}
	}
}

func TestPostcode(t *testing.T) {
	for in, want := range map[string]string{"9000": "9000", " 1000 ": "1000", "B-8000": "8000", "be-3000": "3000", "9992": "9992"} {
		if got, err := Postcode(in); err != nil || got != want {
			t.Errorf("Postcode(%q) = %q, %v", in, got, err)
		}
	}
	for in, want := range map[string]Problem{"": Empty, "900": Format, "90000": Format, "0900": Range, "9OOO": Format, "NL-1011": Format} {
		if _, err := Postcode(in); problemOf(err) != want {
			t.Errorf("Postcode(%q): %v, want %s", in, err, want)
		}
	}
}

func TestPhone(t *testing.T) {
	valid := map[string]string{
		"0470 12 34 56":       "+32470123456", // mobile
		"+32 470 12 34 56":    "+32470123456",
		"0032 470/12.34.56":   "+32470123456",
		"+32 (0)470 12 34 56": "+32470123456",
		"02 123 45 67":        "+3221234567",  // Brussels
		"09-123.45.67":        "+3291234567",  // Gent
		"0800 12 345":         "+3280012345",  // free number
		"+31 20 123 4567":     "+31201234567", // Amsterdam
		"+33 1 23 45 67 89":   "+33123456789",
		"00352 123 456":       "+352123456",
	}
	for in, want := range valid {
		if got, err := Phone(in); err != nil || got != want {
			t.Errorf("Phone(%q) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{
		"470 12 34 56",        // neither 0 nor a country prefix
		"0470 12 34 5",        // a digit short
		"0470 12 34 567",      // a digit too many
		"047 12 34 567 8",     // mobile must start 04 and have 9 digits
		"02 123 45 6",         // fixed line a digit short
		"+32 4701234567",      // too long for Belgium
		"+1 234",              // too short
		"+1234567890123456",   // longer than E.164
		"0470 12 34 56 ext 7", // letters
		"+0470123456",         // no country code starts with 0
	} {
		if _, err := Phone(in); problemOf(err) != Format {
			t.Errorf("Phone(%q): %v, want format", in, err)
		}
	}
	if _, err := Phone(" "); problemOf(err) != Empty {
		t.Errorf("Phone(blank): %v", err)
	}
}

// Fuzz: no input panics, and what is accepted is canonical: valid again,
// unchanged, and in the documented shape.
func FuzzINSZ(f *testing.F) {
	for _, s := range []string{"85071512397", "85.07.15-123.97", "00200000567", "", "99999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := INSZ(s)
		if err != nil {
			return
		}
		again, err := INSZ(n.Digits)
		if err != nil || again != n || len(n.Digits) != 11 {
			t.Fatalf("INSZ(%q) = %+v, but its digits give %+v, %v", s, n, again, err)
		}
		if again, err := INSZ(FormatINSZ(n.Digits)); err != nil || again != n {
			t.Fatalf("formatted %q does not parse back", FormatINSZ(n.Digits))
		}
	})
}

func FuzzIBAN(f *testing.F) {
	for _, s := range []string{"BE68539007547034", "NL91ABNA0417164300", "", "BE00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := IBAN(s)
		if err != nil {
			return
		}
		if again, err := IBAN(FormatIBAN(got)); err != nil || again != got || strings.ContainsAny(got, " -.") {
			t.Fatalf("IBAN(%q) = %q, not canonical (%q, %v)", s, got, again, err)
		}
	})
}

func FuzzPhone(f *testing.F) {
	for _, s := range []string{"0470 12 34 56", "+32 2 123 45 67", "00352 123 456", "", "+"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := Phone(s)
		if err != nil {
			return
		}
		if again, err := Phone(got); err != nil || again != got || got[0] != '+' || len(got) > 16 {
			t.Fatalf("Phone(%q) = %q, not canonical (%q, %v)", s, got, again, err)
		}
	})
}
