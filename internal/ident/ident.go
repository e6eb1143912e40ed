// Package ident validates and normalises the Belgian identifiers and contact
// formats citizens type into forms: the national register number (INSZ /
// NISS) and BIS number, IBAN, enterprise number (KBO/BCE), Belgian postcode
// and phone numbers. Pure Go, standard library only.
//
// Every function accepts what people type (spaces, dots, dashes, lower
// case), returns the canonical form, and on failure a *Invalid naming what
// is wrong, so a form can say it in the citizen's language.
package ident

import (
	"math/big"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/tenant"
)

// Problem is what is wrong with a value; forms map it to a message.
type Problem string

// The problems.
const (
	Empty    Problem = "empty"    // nothing typed
	Format   Problem = "format"   // characters or length do not fit
	Checksum Problem = "checksum" // the check digits do not match
	Date     Problem = "date"     // the birth date in an INSZ/BIS is no date
	Country  Problem = "country"  // an IBAN country we do not know, or a wrong length for it
	Range    Problem = "range"    // a postcode outside 1000–9999, a sequence number outside 001–998
)

// Invalid is the error of every function here.
type Invalid struct {
	Kind    string // "insz", "iban", "kbo", "postcode", "phone"
	Problem Problem
}

func (e *Invalid) Error() string { return e.Kind + ": " + string(e.Problem) }

func invalid(kind string, p Problem) error { return &Invalid{Kind: kind, Problem: p} }

// digitsOnly strips the separators people type and reports whether only
// digits were left.
func digitsOnly(s, separators string) (string, bool) {
	var b strings.Builder
	for _, r := range strings.TrimSpace(s) {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case strings.ContainsRune(separators, r):
		default:
			return "", false
		}
	}
	return b.String(), true
}

// PersonNumber is a valid national register (INSZ) or BIS number.
type PersonNumber struct {
	Digits string // 11 digits
	BIS    bool
	// Birth is the birth date the number encodes; zero when the number
	// says it is (partly) unknown.
	Birth time.Time
}

// INSZ validates a national register number (rijksregisternummer / INSZ /
// NISS) or a BIS number: YYMMDD SSS CC, where CC = 97 − (YYMMDDSSS mod 97)
// for people born before 2000 and 97 − (2YYMMDDSSS mod 97) for people born
// from 2000. A BIS number adds 20 (sex unknown) or 40 (sex known) to the
// month. Month and day 00 mean unknown. The sequence SSS runs 001–998.
func INSZ(s string) (PersonNumber, error) {
	const kind = "insz"
	d, ok := digitsOnly(s, " .-/")
	switch {
	case strings.TrimSpace(s) == "":
		return PersonNumber{}, invalid(kind, Empty)
	case !ok || len(d) != 11:
		return PersonNumber{}, invalid(kind, Format)
	}
	var base int64
	for _, r := range d[:9] {
		base = base*10 + int64(r-'0')
	}
	check := int64(d[9]-'0')*10 + int64(d[10]-'0')
	century := 0
	switch {
	case 97-base%97 == check:
		century = 1900
	case 97-(2_000_000_000+base)%97 == check:
		century = 2000
	default:
		return PersonNumber{}, invalid(kind, Checksum)
	}
	yy := int(d[0]-'0')*10 + int(d[1]-'0')
	mm := int(d[2]-'0')*10 + int(d[3]-'0')
	dd := int(d[4]-'0')*10 + int(d[5]-'0')
	seq := int(d[6]-'0')*100 + int(d[7]-'0')*10 + int(d[8]-'0')
	n := PersonNumber{Digits: d}
	switch {
	case mm >= 40:
		n.BIS, mm = true, mm-40
	case mm >= 20:
		n.BIS, mm = true, mm-20
	}
	if mm > 12 || dd > 31 {
		return PersonNumber{}, invalid(kind, Date)
	}
	if seq == 0 || seq == 999 {
		return PersonNumber{}, invalid(kind, Range)
	}
	if mm != 0 && dd != 0 {
		birth := time.Date(century+yy, time.Month(mm), dd, 0, 0, 0, 0, time.UTC)
		if birth.Month() != time.Month(mm) || birth.Day() != dd {
			return PersonNumber{}, invalid(kind, Date) // 30 February and the like
		}
		n.Birth = birth
	}
	return n, nil
}

// FormatINSZ renders 11 digits as 85.07.15-123.97, the way the eID card
// prints them.
func FormatINSZ(d string) string {
	if len(d) != 11 {
		return d
	}
	return d[:2] + "." + d[2:4] + "." + d[4:6] + "-" + d[6:9] + "." + d[9:]
}

// ibanLengths is the IBAN length of each country of the SEPA area (the
// EEA, Switzerland, the United Kingdom, Monaco, San Marino, Andorra and
// Vatican City), which is where Belgian public bodies pay and are paid.
var ibanLengths = map[string]int{
	"AD": 24, "AT": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "EE": 20,
	"ES": 24, "FI": 18, "FR": 27, "GB": 22, "GI": 23, "GR": 27, "HR": 21, "HU": 28, "IE": 22, "IS": 26,
	"IT": 27, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MT": 31, "NL": 18, "NO": 15, "PL": 28,
	"PT": 25, "RO": 24, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "VA": 22,
}

// IBAN validates an account number (ISO 13616: country, two check digits
// and the national number, mod 97 = 1) of a SEPA country, with the length
// of that country; a Belgian number also passes its own check (the last two
// digits are the first ten mod 97, 97 for 0). It returns the number without
// spaces, in capitals.
func IBAN(s string) (string, error) {
	const kind = "iban"
	if strings.TrimSpace(s) == "" {
		return "", invalid(kind, Empty)
	}
	var b strings.Builder
	for _, r := range strings.ToUpper(strings.TrimSpace(s)) {
		switch {
		case r >= '0' && r <= '9', r >= 'A' && r <= 'Z':
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '.':
		default:
			return "", invalid(kind, Format)
		}
	}
	iban := b.String()
	if len(iban) < 5 || iban[0] < 'A' || iban[1] < 'A' || iban[2] > '9' || iban[3] > '9' {
		return "", invalid(kind, Format)
	}
	want, ok := ibanLengths[iban[:2]]
	if !ok || len(iban) != want {
		return "", invalid(kind, Country)
	}
	// Move the first four characters to the end, letters to numbers (A=10).
	var num strings.Builder
	for _, r := range iban[4:] + iban[:4] {
		if r >= 'A' {
			num.WriteString(itoa2(int(r-'A') + 10))
		} else {
			num.WriteRune(r)
		}
	}
	n, _ := new(big.Int).SetString(num.String(), 10)
	if new(big.Int).Mod(n, big.NewInt(97)).Int64() != 1 {
		return "", invalid(kind, Checksum)
	}
	if iban[:2] == "BE" {
		if _, ok := digitsOnly(iban[4:], ""); !ok || !belgianAccount(iban[4:]) {
			return "", invalid(kind, Checksum)
		}
	}
	return iban, nil
}

func itoa2(n int) string { return string([]byte{byte('0' + n/10), byte('0' + n%10)}) }

// belgianAccount checks a 12-digit Belgian account number: the last two
// digits are the first ten mod 97 (97 when that is 0).
func belgianAccount(d string) bool {
	var base int64
	for _, r := range d[:10] {
		base = base*10 + int64(r-'0')
	}
	check := int64(d[10]-'0')*10 + int64(d[11]-'0')
	m := base % 97
	if m == 0 {
		m = 97
	}
	return m == check
}

// FormatIBAN groups an IBAN by four: BE68 5390 0754 7034.
func FormatIBAN(s string) string {
	var parts []string
	for i := 0; i < len(s); i += 4 {
		parts = append(parts, s[i:min(i+4, len(s))])
	}
	return strings.Join(parts, " ")
}

// KBO validates an enterprise number (KBO/BCE), also typed as BE 0207.451.227
// or with its old 9 digits, and returns its 10 digits.
func KBO(s string) (string, error) {
	const kind = "kbo"
	if strings.TrimSpace(s) == "" {
		return "", invalid(kind, Empty)
	}
	d := tenant.NormalizeKBO(s)
	switch tenant.CheckKBO(d) {
	case "":
		return d, nil
	case "fails the mod-97 check":
		return "", invalid(kind, Checksum)
	}
	return "", invalid(kind, Format)
}

// Postcode validates a Belgian postcode: four digits, 1000–9999.
func Postcode(s string) (string, error) {
	const kind = "postcode"
	t := strings.TrimSpace(s)
	t = strings.TrimPrefix(strings.TrimPrefix(strings.ToUpper(t), "B-"), "BE-")
	switch d, ok := digitsOnly(t, ""); {
	case strings.TrimSpace(s) == "":
		return "", invalid(kind, Empty)
	case !ok || len(d) != 4:
		return "", invalid(kind, Format)
	case d[0] == '0':
		return "", invalid(kind, Range)
	default:
		return d, nil
	}
}

// Phone validates a phone number and returns it in E.164 form (+32…).
// Belgian numbers may be typed nationally: 0 and 8 digits for a fixed line
// (02 123 45 67), 0 and 9 digits starting 04 for a mobile (0470 12 34 56).
// Other countries need their prefix (+ or 00): 7 to 15 digits in all, the
// E.164 limit; a Belgian number given with +32 must fit the Belgian plan.
func Phone(s string) (string, error) {
	const kind = "phone"
	t := strings.TrimSpace(s)
	if t == "" {
		return "", invalid(kind, Empty)
	}
	intl := strings.HasPrefix(t, "+")
	d, ok := digitsOnly(strings.TrimPrefix(t, "+"), " .-/()")
	if !ok {
		return "", invalid(kind, Format)
	}
	if !intl && strings.HasPrefix(d, "00") {
		intl, d = true, d[2:]
	}
	if !intl {
		if !strings.HasPrefix(d, "0") {
			return "", invalid(kind, Format)
		}
		d = "32" + d[1:]
	}
	// "+32 (0)470…": a trunk 0 after the country code is dropped.
	if strings.HasPrefix(d, "320") {
		d = "32" + d[3:]
	}
	if len(d) < 7 || len(d) > 15 || d[0] == '0' {
		return "", invalid(kind, Format)
	}
	if strings.HasPrefix(d, "32") {
		national := d[2:]
		mobile := len(national) == 9 && national[0] == '4'
		fixed := len(national) == 8 && national[0] != '4'
		// A Belgian number starts with 1-9 once its one trunk 0 is gone:
		// "+32 0 0…" is no number, and would not read back the same.
		if !mobile && !fixed || national[0] == '0' {
			return "", invalid(kind, Format)
		}
	}
	return "+" + d, nil
}
