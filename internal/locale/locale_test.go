package locale

import (
	"regexp"
	"slices"
	"testing"
)

// verbRE matches a fmt verb, with optional argument index, flags, width and
// precision; "%%" is matched too and dropped by verbs.
var verbRE = regexp.MustCompile(`%(\[\d+\])?[-+# 0]*(\*|\d+)?(\.(\*|\d+)?)?[a-zA-Z%]`)

// verbs returns the verbs of a message as a sorted list, so catalogues may
// order their arguments differently (with explicit indexes) but must use the
// same ones.
func verbs(msg string) []string {
	var vs []string
	for _, v := range verbRE.FindAllString(msg, -1) {
		if v != "%%" {
			vs = append(vs, v[len(v)-1:])
		}
	}
	slices.Sort(vs)
	return vs
}

// TestCataloguesComplete proves every key exists in every catalogue
// with the same format verbs, so no page falls back to a key or misformats.
func TestCataloguesComplete(t *testing.T) {
	all := map[string]bool{}
	for _, l := range Supported() {
		if len(Keys(l)) == 0 {
			t.Fatalf("catalogue %s is empty", l)
		}
		for _, k := range Keys(l) {
			all[k] = true
		}
	}
	for k := range all {
		for _, l := range Supported() {
			if !Has(l, k) {
				t.Errorf("key %q missing in %s", k, l)
				continue
			}
			if got, want := verbs(T(l, k)), verbs(T(NL, k)); !slices.Equal(got, want) {
				t.Errorf("key %q in %s has verbs %v, nl has %v", k, l, got, want)
			}
			if T(l, k) == "" {
				t.Errorf("key %q in %s is empty", k, l)
			}
		}
	}
}

func TestT(t *testing.T) {
	tests := []struct {
		name string
		lang Lang
		key  string
		args []any
		want string
	}{
		{"dutch", NL, "error.404.title", nil, "Pagina niet gevonden"},
		{"french", FR, "error.404.title", nil, "Page introuvable"},
		{"english", EN, "error.404.title", nil, "Page not found"},
		{"args", EN, "error.reference", []any{"abc"}, "Reference: abc"},
		{"missing key returns key", FR, "no.such.key", nil, "no.such.key"},
		{"missing key with args returns key", FR, "no.such.key", []any{1}, "no.such.key"},
		{"unknown language falls back to dutch", Lang("de"), "error.404.title", nil, "Pagina niet gevonden"},
		{"too few args does not panic", EN, "error.reference", []any{}, "Reference: %s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := T(tt.lang, tt.key, tt.args...); got != tt.want {
				t.Errorf("T(%q, %q) = %q, want %q", tt.lang, tt.key, got, tt.want)
			}
		})
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		in     string
		want   Lang
		wantOK bool
	}{
		{"nl", NL, true},
		{"NL", NL, true},
		{"nl-BE", NL, true},
		{"fr_BE", FR, true},
		{" en ", EN, true},
		{"en-GB", EN, true},
		{"de", "", false},
		{"", "", false},
		{"dutch", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := Parse(tt.in)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("Parse(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

// TestNegotiate proves the order of precedence: query, cookie,
// Accept-Language with q-values, fallback.
func TestNegotiate(t *testing.T) {
	tests := []struct {
		name                  string
		query, cookie, accept string
		fallback              Lang
		want                  Lang
	}{
		{"nothing gives fallback", "", "", "", NL, NL},
		{"fallback can be french", "", "", "", FR, FR},
		{"query wins over all", "en", "fr", "fr-BE", NL, EN},
		{"cookie wins over header", "", "fr", "en", NL, FR},
		{"bad query ignored", "xx", "fr", "en", NL, FR},
		{"bad cookie ignored", "", "xx", "en", NL, EN},
		{"belgian french header", "", "", "fr-BE,fr;q=0.9", NL, FR},
		{"q-values decide", "", "", "en;q=0.5, fr;q=0.8, de", NL, FR},
		{"first listed wins a tie", "", "", "en, fr", NL, EN},
		{"unsupported only gives fallback", "", "", "de-DE, it;q=0.5", NL, NL},
		{"q=0 excludes", "", "", "fr;q=0, en;q=0.1", NL, EN},
		{"wildcard is fallback", "", "", "de, *;q=0.5", NL, NL},
		{"wildcard below supported", "", "", "*;q=0.1, en;q=0.2", NL, EN},
		{"malformed q counts as zero", "", "", "fr;q=abc, en;q=0.3", NL, EN},
		{"whitespace tolerated", "", "", "  nl-BE ; q=0.7 ,fr ; q=0.6", FR, NL},
		{"garbage header", "", "", ";;,,=", NL, NL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Negotiate(tt.query, tt.cookie, tt.accept, tt.fallback); got != tt.want {
				t.Errorf("Negotiate(%q, %q, %q, %q) = %q, want %q", tt.query, tt.cookie, tt.accept, tt.fallback, got, tt.want)
			}
		})
	}
}

func TestHTMLLang(t *testing.T) {
	for l, want := range map[Lang]string{NL: "nl-BE", FR: "fr-BE", EN: "en"} {
		if got := l.HTMLLang(); got != want {
			t.Errorf("%s.HTMLLang() = %q, want %q", l, got, want)
		}
	}
}

func FuzzNegotiate(f *testing.F) {
	f.Add("", "", "fr-BE,fr;q=0.9")
	f.Add("en", "nl", "*")
	f.Fuzz(func(t *testing.T, q, c, a string) {
		got := Negotiate(q, c, a, NL)
		if !slices.Contains(Supported(), got) {
			t.Fatalf("Negotiate returned unsupported %q", got)
		}
	})
}
