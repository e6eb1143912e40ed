package brand

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/png"
	"math"
	"strings"
	"testing"
)

func TestContrastRatioWCAG21(t *testing.T) {
	tests := []struct {
		a, b string
		want float64
	}{
		{"#000000", "#ffffff", 21},
		{"#ffffff", "#ffffff", 1},
		{"#777777", "#ffffff", 4.48}, // the classic just-failing grey
		{"#767676", "#ffffff", 4.54}, // and the lightest grey that passes
		{"#0a4a8a", "#ffffff", 8.90},
		{"#ff0000", "#ffffff", 4.0},
	}
	for _, tt := range tests {
		got := ContrastRatio(tt.a, tt.b)
		if math.Abs(got-tt.want) > 0.01 {
			t.Errorf("ContrastRatio(%s, %s) = %.3f, want %.2f", tt.a, tt.b, got, tt.want)
		}
		if back := ContrastRatio(tt.b, tt.a); back != got {
			t.Errorf("not symmetric: %f vs %f", back, got)
		}
	}
	if ContrastRatio("red", "#ffffff") != 0 {
		t.Error("a name is not a colour here")
	}
}

// TestBrandingValidation: every field's rule, field by field.
func TestBrandingValidation(t *testing.T) {
	ok := Settings{Name: "Gemeente Zonnedal", Accent: "#0a4a8a", Contact: Contact{Address: "Markt 1\n9999 Zonnedal",
		Phone: "09 123 45 67", Email: "info@zonnedal.be", Website: "https://www.zonnedal.be", Hours: "ma–vr 9–12 u."}}
	tests := []struct {
		name   string
		change func(*Settings)
		want   map[string]string
	}{
		{"all good", func(*Settings) {}, nil},
		{"all empty is the defaults", func(s *Settings) { *s = Settings{} }, nil},
		{"accent too light", func(s *Settings) { s.Accent = "#777777" }, map[string]string{FieldAccent: "branding.error.accent_contrast"}},
		{"accent yellow", func(s *Settings) { s.Accent = "#ffdd00" }, map[string]string{FieldAccent: "branding.error.accent_contrast"}},
		{"accent passes on white, fails on the surface", func(s *Settings) { s.Accent = "#757575" },
			map[string]string{FieldAccent: "branding.error.accent_contrast"}},
		{"accent not hex", func(s *Settings) { s.Accent = "blue" }, map[string]string{FieldAccent: "branding.error.accent_format"}},
		{"accent short form", func(s *Settings) { s.Accent = "#00f" }, map[string]string{FieldAccent: "branding.error.accent_format"}},
		{"accent CSS injection", func(s *Settings) { s.Accent = "#000000;}body{display:none" },
			map[string]string{FieldAccent: "branding.error.accent_format"}},
		{"phone foreign", func(s *Settings) { s.Contact.Phone = "+31 20 123 4567" }, map[string]string{FieldPhone: "branding.error.phone"}},
		{"phone garbage", func(s *Settings) { s.Contact.Phone = "bel ons" }, map[string]string{FieldPhone: "branding.error.phone"}},
		{"e-mail", func(s *Settings) { s.Contact.Email = "info at zonnedal" }, map[string]string{FieldEmail: "branding.error.email"}},
		{"e-mail with a name", func(s *Settings) { s.Contact.Email = "Info <info@zonnedal.be>" }, map[string]string{FieldEmail: "branding.error.email"}},
		{"website http", func(s *Settings) { s.Contact.Website = "http://www.zonnedal.be" }, map[string]string{FieldWebsite: "branding.error.website"}},
		{"website javascript", func(s *Settings) { s.Contact.Website = "javascript:alert(1)" }, map[string]string{FieldWebsite: "branding.error.website"}},
		{"website with user", func(s *Settings) { s.Contact.Website = "https://a:b@zonnedal.be" }, map[string]string{FieldWebsite: "branding.error.website"}},
		{"name too long", func(s *Settings) { s.Name = strings.Repeat("é", MaxNameLen+1) }, map[string]string{FieldName: "branding.error.too_long"}},
		{"name on two lines", func(s *Settings) { s.Name = "a\nb" }, map[string]string{FieldName: "branding.error.one_line"}},
		{"hours too long", func(s *Settings) { s.Contact.Hours = strings.Repeat("x", MaxTextLen+1) }, map[string]string{FieldHours: "branding.error.too_long"}},
		{"several at once", func(s *Settings) { s.Accent, s.Contact.Email = "#eeeeee", "x" },
			map[string]string{FieldAccent: "branding.error.accent_contrast", FieldEmail: "branding.error.email"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := ok
			tt.change(&s)
			err := s.Normalize().Validate()
			var ve *ValidationError
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if !errors.As(err, &ve) {
				t.Fatalf("err = %v, want a ValidationError", err)
			}
			if len(ve.Fields) != len(tt.want) {
				t.Fatalf("fields %v, want %v", ve.Fields, tt.want)
			}
			for f, key := range tt.want {
				if ve.Fields[f].Key != key {
					t.Errorf("%s: %q, want %q", f, ve.Fields[f].Key, key)
				}
			}
		})
	}
}

func TestNormalizeWritesPhoneE164(t *testing.T) {
	s := Settings{Accent: " #0A4A8A ", Contact: Contact{Phone: "09 123 45 67"}}.Normalize()
	if s.Contact.Phone != "+3291234567" || s.Accent != "#0a4a8a" {
		t.Fatalf("%+v", s)
	}
	if got := FormatPhone(s.Contact.Phone); got != "09 123 45 67" {
		t.Errorf("FormatPhone = %q", got)
	}
	if got := FormatPhone("+32470123456"); got != "0470 12 34 56" {
		t.Errorf("FormatPhone mobile = %q", got)
	}
}

func pngOf(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := range w {
		img.Set(x, x%h, color.RGBA{10, 74, 138, 255})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestParseLogo: a real PNG or a clean SVG passes; anything that is not
// an image, too large or too big is refused on the logo field.
func TestParseLogo(t *testing.T) {
	good := pngOf(t, 120, 40)
	l, err := ParseLogo(good)
	if err != nil || l.Type != TypePNG || l.Width != 120 || l.Height != 40 {
		t.Fatalf("PNG: %+v %v", l, err)
	}
	if _, err := png.Decode(bytes.NewReader(l.Data)); err != nil {
		t.Fatalf("the stored PNG does not decode: %v", err)
	}
	svg := []byte(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><script>alert(1)</script><rect width="10" height="10"/></svg>`)
	if l, err := ParseLogo(svg); err != nil || l.Type != TypeSVG || bytes.Contains(l.Data, []byte("script")) {
		t.Fatalf("SVG: %s %v", l.Data, err)
	}
	truncated := good[:len(good)-20]
	bomb := pngOf(t, MaxLogoSide+1, 1)
	tests := []struct {
		name string
		in   []byte
		key  string
	}{
		{"empty", nil, "branding.error.logo_type"},
		{"text", []byte("hello, I am a logo"), "branding.error.logo_type"},
		{"GIF", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), "branding.error.logo_type"},
		{"PNG signature then garbage", append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{7}, 100)...), "branding.error.logo_type"},
		{"truncated PNG", truncated, "branding.error.logo_type"},
		{"PNG too wide", bomb, "branding.error.logo_dimensions"},
		{"too large", append(append([]byte{}, good...), make([]byte, MaxLogoBytes)...), "branding.error.logo_size"},
		{"SVG that is HTML", []byte(`<html><script>alert(1)</script></html>`), "branding.error.logo_type"},
		{"SVG with a DOCTYPE", []byte(`<!DOCTYPE svg [<!ENTITY x "y">]><svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>`), "branding.error.logo_type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseLogo(tt.in)
			var ve *ValidationError
			if !errors.As(err, &ve) || ve.Fields[FieldLogo].Key != tt.key {
				t.Fatalf("err = %v, want %s", err, tt.key)
			}
		})
	}
}

func TestBrandCSSHoldsOnlyColours(t *testing.T) {
	b := Settings{}.Resolve("Stad Gent")
	if b.Name != "Stad Gent" || b.Accent != DefaultAccent {
		t.Fatalf("%+v", b)
	}
	b.Accent = "red;}*{background:url(https://evil.example)"
	css := b.CSS()
	if strings.Contains(css, "evil") || !strings.Contains(css, "--primary:"+DefaultAccent) {
		t.Fatalf("CSS = %q", css)
	}
	if MinAccentContrast(Darker("#0a4a8a")) < MinAccentContrast("#0a4a8a") {
		t.Error("darker has less contrast")
	}
}

// FuzzParseLogo: no input panics, and what passes is a PNG that decodes
// or an SVG without script.
func FuzzParseLogo(f *testing.F) {
	var b bytes.Buffer
	png.Encode(&b, image.NewGray(image.Rect(0, 0, 3, 2)))
	f.Add(b.Bytes())
	f.Add([]byte(`<svg xmlns="http://www.w3.org/2000/svg"><rect width="1"/></svg>`))
	f.Fuzz(func(t *testing.T, in []byte) {
		l, err := ParseLogo(in)
		if err != nil {
			return
		}
		switch l.Type {
		case TypePNG:
			if _, err := png.Decode(bytes.NewReader(l.Data)); err != nil {
				t.Fatalf("stored PNG does not decode: %v", err)
			}
		case TypeSVG:
			if bytes.Contains(bytes.ToLower(l.Data), []byte("<script")) {
				t.Fatal("script in a logo")
			}
		default:
			t.Fatalf("type %q", l.Type)
		}
	})
}
