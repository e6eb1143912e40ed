package mfa

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"rsc.io/qr"
)

// rfcSecret is the SHA1 seed of RFC 6238 appendix B (and RFC 4226
// appendix D).
var rfcSecret = []byte("12345678901234567890")

// TestRFC6238Vectors: the SHA1 rows of RFC 6238 appendix B (8 digits).
func TestRFC6238Vectors(t *testing.T) {
	for _, v := range []struct {
		unix int64
		want string
	}{
		{59, "94287082"},
		{1111111109, "07081804"},
		{1111111111, "14050471"},
		{1234567890, "89005924"},
		{2000000000, "69279037"},
		{20000000000, "65353130"},
	} {
		if got := hotp(rfcSecret, uint64(Step(time.Unix(v.unix, 0))), 8); got != v.want {
			t.Errorf("T=%d: %s, want %s", v.unix, got, v.want)
		}
		// The 6-digit code apps show is the same number's low digits.
		if got := CodeAt(rfcSecret, time.Unix(v.unix, 0)); got != v.want[2:] {
			t.Errorf("T=%d: 6 digits %s, want %s", v.unix, got, v.want[2:])
		}
	}
}

// TestRFC4226Vectors: RFC 4226 appendix D, the dynamic truncation.
func TestRFC4226Vectors(t *testing.T) {
	want := []string{"755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"}
	for i, w := range want {
		if got := hotp(rfcSecret, uint64(i), 6); got != w {
			t.Errorf("counter %d: %s, want %s", i, got, w)
		}
	}
}

func TestStep(t *testing.T) {
	if Step(time.Unix(59, 0)) != 1 || Step(time.Unix(60, 0)) != 2 || Step(time.Unix(0, 0)) != 0 || Step(time.Unix(-1, 0)) != -1 {
		t.Fatal("steps are 30 seconds from the epoch")
	}
}

var now = time.Date(2026, 11, 2, 9, 30, 10, 0, time.UTC)

func TestASVS_6_5_5_TOTPValidForItsStepAndOneEitherSide(t *testing.T) {
	secret, err := NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	cur := Step(now)
	for _, d := range []int64{-1, 0, 1} {
		code := CodeAt(secret, now.Add(time.Duration(d)*Period))
		step, ok := Validate(secret, code, now, 0)
		if !ok || step != cur+d {
			t.Errorf("skew %d: ok=%v step=%d, want %d", d, ok, step, cur+d)
		}
	}
	for _, d := range []int64{-3, -2, 2, 3} {
		code := CodeAt(secret, now.Add(time.Duration(d)*Period))
		if code == CodeAt(secret, now) || code == CodeAt(secret, now.Add(-Period)) || code == CodeAt(secret, now.Add(Period)) {
			continue // one in a million: the code repeats inside the window
		}
		if _, ok := Validate(secret, code, now, 0); ok {
			t.Errorf("skew %d accepted", d)
		}
	}
}

// TestASVS_6_5_1_TOTPCodeAcceptedOnce: after a code is accepted its step,
// and every step before it, is refused (no replay inside the window).
func TestASVS_6_5_1_TOTPCodeAcceptedOnce(t *testing.T) {
	secret, _ := NewSecret()
	code := CodeAt(secret, now)
	step, ok := Validate(secret, code, now, 0)
	if !ok {
		t.Fatal("fresh code refused")
	}
	if _, ok := Validate(secret, code, now, step); ok {
		t.Fatal("replayed code accepted")
	}
	if _, ok := Validate(secret, code, now.Add(Period), step); ok {
		t.Fatal("replayed code accepted one step later")
	}
	// A code of an earlier step (still within the skew) is refused too.
	if _, ok := Validate(secret, CodeAt(secret, now.Add(-Period)), now, step); ok {
		t.Fatal("earlier step accepted after a later one")
	}
	// The next step's code is fine.
	if s, ok := Validate(secret, CodeAt(secret, now.Add(Period)), now.Add(Period), step); !ok || s != step+1 {
		t.Fatalf("next code: %d %v", s, ok)
	}
}

func TestValidateNormalisesAndRejectsJunk(t *testing.T) {
	secret, _ := NewSecret()
	code := CodeAt(secret, now)
	for _, c := range []string{code, code[:3] + " " + code[3:], " " + code + " ", code[:3] + "\u00a0" + code[3:]} {
		if _, ok := Validate(secret, c, now, 0); !ok {
			t.Errorf("%q refused", c)
		}
	}
	for _, c := range []string{"", code[:5], code + "0", "12345a", "１２３４５６", code[:3] + "-" + code[3:]} {
		if _, ok := Validate(secret, c, now, 0); ok {
			t.Errorf("%q accepted", c)
		}
	}
	if _, ok := Validate(nil, code, now, 0); ok {
		t.Error("empty secret accepted a code")
	}
}

func TestNewSecret(t *testing.T) {
	a, err := NewSecret()
	if err != nil || len(a) != SecretSize {
		t.Fatalf("%x %v", a, err)
	}
	b, _ := NewSecret()
	if bytes.Equal(a, b) {
		t.Fatal("two equal secrets")
	}
	s := Base32(a)
	if len(s) != 32 || strings.ContainsAny(s, "=") || strings.ToUpper(s) != s {
		t.Fatalf("base32 %q", s)
	}
	if Base32(rfcSecret) != "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" {
		t.Fatalf("base32 of the RFC seed: %s", Base32(rfcSecret))
	}
}

func TestProvisioningURI(t *testing.T) {
	secret := rfcSecret
	got := ProvisioningURI("Kluis Gent", "an.peeters@gent.be", secret)
	want := "otpauth://totp/Kluis%20Gent:an.peeters@gent.be?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Kluis%20Gent&algorithm=SHA1&digits=6&period=30"
	if got != want {
		t.Fatalf("\n got %s\nwant %s", got, want)
	}
	// Characters that would break the URI are encoded; it parses back.
	issuer, acct := "Stad & Co: A/B?#+é", "x:y&secret=EVIL@z"
	u, err := url.Parse(ProvisioningURI(issuer, acct, secret))
	if err != nil {
		t.Fatal(err)
	}
	if u.Scheme != "otpauth" || u.Host != "totp" {
		t.Fatalf("parsed %+v", u)
	}
	q := u.Query()
	if q.Get("issuer") != issuer || q.Get("secret") != Base32(secret) || len(q["secret"]) != 1 || q.Get("digits") != "6" ||
		q.Get("period") != "30" || q.Get("algorithm") != "SHA1" {
		t.Fatalf("query %v", q)
	}
	label := strings.TrimPrefix(u.EscapedPath(), "/")
	if strings.Count(label, ":") != 1 {
		t.Fatalf("label %q must hold exactly one unescaped colon", label)
	}
	parts := strings.SplitN(label, ":", 2)
	gi, _ := url.PathUnescape(parts[0])
	ga, _ := url.PathUnescape(parts[1])
	if gi != issuer || ga != acct {
		t.Fatalf("label decodes to %q : %q", gi, ga)
	}
	if strings.Contains(ProvisioningURI(issuer, acct, secret), "+") {
		t.Fatal("a + in the URI is read as a space by some apps")
	}
}

// svgModules reads the module grid back from QRSVG's path.
func svgModules(t *testing.T, d string, n int) [][]bool {
	t.Helper()
	grid := make([][]bool, n)
	for i := range grid {
		grid[i] = make([]bool, n)
	}
	re := regexp.MustCompile(`M(\d+) (\d+)h(\d+)v1h-(\d+)z`)
	if re.ReplaceAllString(d, "") != "" {
		t.Fatalf("unexpected path data: %.80s", re.ReplaceAllString(d, ""))
	}
	for _, m := range re.FindAllStringSubmatch(d, -1) {
		var x, y, w, w2 int
		fmt.Sscan(m[1], &x)
		fmt.Sscan(m[2], &y)
		fmt.Sscan(m[3], &w)
		fmt.Sscan(m[4], &w2)
		if w != w2 || y >= n || x+w > n {
			t.Fatalf("bad run %s", m[0])
		}
		for i := x; i < x+w; i++ {
			grid[y][i] = true
		}
	}
	return grid
}

func TestQRSVG(t *testing.T) {
	uri := ProvisioningURI("Kluis Gent", "an.peeters@gent.be", rfcSecret)
	svg, err := QRSVG(uri)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"style", "<script", "href", "javascript:", "on", "<!", "<?"} {
		re := regexp.MustCompile(`(?i)` + regexp.QuoteMeta(bad))
		if bad == "on" {
			re = regexp.MustCompile(`(?i)\son[a-z]+=`) // event handler attributes
		}
		if re.MatchString(svg) {
			t.Errorf("SVG contains %q", bad)
		}
	}
	// Well-formed XML whose elements are svg, rect and path only.
	dec := xml.NewDecoder(strings.NewReader(svg))
	dec.Strict = true
	var pathD string
	var root string
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			if root == "" {
				root = se.Name.Local
				if se.Name.Space != "http://www.w3.org/2000/svg" {
					t.Fatalf("namespace %q", se.Name.Space)
				}
			}
			switch se.Name.Local {
			case "svg", "rect":
			case "path":
				for _, a := range se.Attr {
					if a.Name.Local == "d" {
						pathD = a.Value
					}
				}
			default:
				t.Errorf("unexpected element <%s>", se.Name.Local)
			}
		}
	}
	if root != "svg" {
		t.Fatalf("root element %q", root)
	}
	// The drawing is the code: every module where the encoder put it, and
	// a quiet zone of 4 white modules around it.
	code, err := qr.Encode(uri, qr.M)
	if err != nil {
		t.Fatal(err)
	}
	n := code.Size + 8
	if !strings.Contains(svg, fmt.Sprintf(`viewBox="0 0 %d %d"`, n, n)) {
		t.Fatalf("viewBox: %.200s", svg)
	}
	grid := svgModules(t, pathD, n)
	for y := range n {
		for x := range n {
			want := code.Black(x-4, y-4)
			if grid[y][x] != want {
				t.Fatalf("module (%d,%d) = %v, want %v", x, y, grid[y][x], want)
			}
		}
	}
	// Finder patterns: dark 7×7 rings in three corners.
	for _, c := range [][2]int{{4, 4}, {4 + code.Size - 7, 4}, {4, 4 + code.Size - 7}} {
		if !grid[c[1]][c[0]] || !grid[c[1]+6][c[0]+6] || grid[c[1]+1][c[0]+1] || !grid[c[1]+3][c[0]+3] {
			t.Fatalf("no finder pattern at %v", c)
		}
	}

	data, err := QRDataURI(uri)
	if err != nil || !strings.HasPrefix(data, "data:image/svg+xml;base64,") {
		t.Fatalf("data URI %.40s %v", data, err)
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(data, "data:image/svg+xml;base64,"))
	if err != nil || string(raw) != svg {
		t.Fatal("data URI does not hold the SVG")
	}
}

func TestRecoveryCodes(t *testing.T) {
	format := regexp.MustCompile(`^[0-9a-hjkmnp-tv-z]{4}(-[0-9a-hjkmnp-tv-z]{4}){5}$`)
	seen := map[string]bool{}
	for range 100 {
		codes, err := NewRecoveryCodes(RecoveryCodeCount)
		if err != nil {
			t.Fatal(err)
		}
		if len(codes) != 10 {
			t.Fatalf("%d codes", len(codes))
		}
		for _, c := range codes {
			if !format.MatchString(c) || strings.ContainsAny(c, "ilou") {
				t.Fatalf("code %q", c)
			}
			if seen[c] {
				t.Fatalf("code %q twice", c)
			}
			seen[c] = true
		}
	}
	if _, err := NewRecoveryCodes(0); err == nil {
		t.Fatal("0 codes")
	}
	// Every symbol of the alphabet turns up: 5 bits per character.
	var all strings.Builder
	for c := range seen {
		all.WriteString(c)
	}
	for _, r := range recoveryAlphabet {
		if !strings.ContainsRune(all.String(), r) {
			t.Fatalf("symbol %q never used", r)
		}
	}
}

// TestASVS_6_5_2_RecoveryCodesHave112Bits: recovery codes are stored with
// a plain SHA-256, which ASVS 5.0 6.5.2 allows only for lookup secrets of
// 112 bits or more.
func TestASVS_6_5_2_RecoveryCodesHave112Bits(t *testing.T) {
	if len(recoveryAlphabet) != 32 || RecoveryCodeBits < 112 {
		t.Fatalf("alphabet of %d symbols, %d bits", len(recoveryAlphabet), RecoveryCodeBits)
	}
	codes, _ := NewRecoveryCodes(1)
	if n := len(NormalizeRecoveryCode(codes[0])); n*5 != RecoveryCodeBits {
		t.Fatalf("%q has %d symbols", codes[0], n)
	}
	if len(uniqueRunes(recoveryAlphabet)) != 32 {
		t.Fatal("alphabet has repeated symbols")
	}
}

func uniqueRunes(s string) map[rune]bool {
	m := map[rune]bool{}
	for _, r := range s {
		m[r] = true
	}
	return m
}

func TestHashRecoveryCode(t *testing.T) {
	h := HashRecoveryCode("7kq2-m9xd-4hpt-3vbz-q0ce-8wfa")
	if len(h) != 32 {
		t.Fatalf("hash length %d", len(h))
	}
	for _, typed := range []string{"7KQ2-M9XD-4HPT-3VBZ-Q0CE-8WFA", "7kq2 m9xd 4hpt 3vbz q0ce 8wfa", "7kq2m9xd4hpt3vbzq0ce8wfa",
		" 7kq2-m9xd-4hpt-3vbz-qOce-8wfa "} {
		if !bytes.Equal(HashRecoveryCode(typed), h) {
			t.Errorf("%q hashes differently", typed)
		}
	}
	// Look-alikes typed by mistake map to the alphabet.
	if !bytes.Equal(HashRecoveryCode("1o2i-abcd-efgh"), HashRecoveryCode("1021-abcd-efgh")) ||
		!bytes.Equal(HashRecoveryCode("l000-abcd-efgh"), HashRecoveryCode("1000-abcd-efgh")) {
		t.Error("look-alikes not mapped")
	}
	if bytes.Equal(HashRecoveryCode("7kq2-m9xd-4hpt-3vbz-q0ce-8wfb"), h) {
		t.Error("different codes, same hash")
	}
	if strings.Contains(string(h), "7kq2") {
		t.Error("hash holds the code")
	}
}
