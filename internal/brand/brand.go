// Package brand owns a tenant's look as its citizens and staff see it: the
// name shown, the logo, the accent colour and the contact block, and the
// rules they must meet: a logo that is a real PNG of bounded size or an SVG
// sanitised by svgsafe, an accent colour with WCAG 2.1 AA contrast, a
// contact block of a Belgian phone number, an e-mail address and an https
// website.
//
// It is pure Go: it imports the standard library, ident and svgsafe.
package brand

import (
	"bytes"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"math"
	"net/mail"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/kluis/kluis/internal/ident"
	"github.com/kluis/kluis/internal/svgsafe"
)

// Limits of the settings.
const (
	MaxLogoBytes  = 200 << 10 // an uploaded logo, PNG or SVG
	MaxLogoSide   = 2000      // pixels, either side of a PNG
	MaxNameLen    = 120       // characters
	MaxTextLen    = 300       // address, opening hours, website
	MinContrast   = 4.5       // WCAG 2.1 AA, normal text (SC 1.4.3)
	DefaultAccent = "#0a4a8a" // Kluis's own --primary
	// AccentText is the colour of text on the accent: white, which
	// Validate checks against.
	AccentText = "#ffffff"
	// PageBackground and Surface are the backgrounds the accent is used
	// on as a text colour (links): the page and the grey bands of the
	// navigation and footer (kluis.css --surface).
	PageBackground = "#ffffff"
	Surface        = "#f3f5f7"
)

// Logo types.
const (
	TypePNG = "image/png"
	TypeSVG = "image/svg+xml"
)

// Fields of the settings form, as ValidationError names them.
const (
	FieldName    = "name"
	FieldLogo    = "logo"
	FieldAccent  = "accent"
	FieldAddress = "address"
	FieldPhone   = "phone"
	FieldEmail   = "email"
	FieldWebsite = "website"
	FieldHours   = "hours"
)

// Contact is the contact block shown in the footer of pages, mails and
// PDFs: the municipality's general contact, not a person's.
type Contact struct {
	Address string // may span lines
	Phone   string // E.164 once normalised (+32…)
	Email   string
	Website string // https://…
	Hours   string // opening hours as short text
}

// Empty reports whether no part of the contact block is filled.
func (c Contact) Empty() bool {
	return c.Address == "" && c.Phone == "" && c.Email == "" && c.Website == "" && c.Hours == ""
}

// Settings is what an admin sets. Name and Accent may be empty: the
// tenant's legal name and DefaultAccent then.
type Settings struct {
	Name    string
	Accent  string // #rrggbb, lower case once normalised
	Contact Contact
}

// Logo is a validated logo: a PNG re-encoded by us, or a sanitised SVG.
type Logo struct {
	Type          string // TypePNG or TypeSVG
	Data          []byte
	Width, Height int // pixels of a PNG; 0 for an SVG
}

// Problem is one field's problem: a catalogue key and its arguments.
type Problem struct {
	Key  string
	Args []any
}

// ValidationError maps a field to its problem.
type ValidationError struct {
	Fields map[string]Problem
}

func (e *ValidationError) Error() string {
	var names []string
	for _, f := range []string{FieldName, FieldLogo, FieldAccent, FieldAddress, FieldPhone, FieldEmail, FieldWebsite, FieldHours} {
		if p, ok := e.Fields[f]; ok {
			names = append(names, f+": "+p.Key)
		}
	}
	return "invalid branding: " + strings.Join(names, "; ")
}

// Normalize trims the settings, lower-cases the accent and writes the
// phone number in E.164 form when it is valid.
func (s Settings) Normalize() Settings {
	s.Name = strings.TrimSpace(s.Name)
	s.Accent = strings.ToLower(strings.TrimSpace(s.Accent))
	c := &s.Contact
	c.Address = strings.TrimSpace(strings.ReplaceAll(c.Address, "\r\n", "\n"))
	c.Phone = strings.TrimSpace(c.Phone)
	if p, err := ident.Phone(c.Phone); err == nil {
		c.Phone = p
	}
	c.Email = strings.TrimSpace(c.Email)
	c.Website = strings.TrimSpace(c.Website)
	c.Hours = strings.TrimSpace(strings.ReplaceAll(c.Hours, "\r\n", "\n"))
	return s
}

var hexColour = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

// Validate checks every field and returns a *ValidationError naming each
// bad one, or nil.
func (s Settings) Validate() error {
	bad := map[string]Problem{}
	if n := utf8.RuneCountInString(s.Name); n > MaxNameLen {
		bad[FieldName] = Problem{"branding.error.too_long", []any{MaxNameLen}}
	} else if strings.ContainsAny(s.Name, "\r\n") {
		bad[FieldName] = Problem{"branding.error.one_line", nil}
	}
	if s.Accent != "" {
		if !hexColour.MatchString(s.Accent) {
			bad[FieldAccent] = Problem{"branding.error.accent_format", nil}
		} else if c := MinAccentContrast(s.Accent); c < MinContrast {
			bad[FieldAccent] = Problem{"branding.error.accent_contrast", []any{formatRatio(c), formatRatio(MinContrast)}}
		}
	}
	c := s.Contact
	for field, v := range map[string]string{FieldAddress: c.Address, FieldHours: c.Hours} {
		if utf8.RuneCountInString(v) > MaxTextLen {
			bad[field] = Problem{"branding.error.too_long", []any{MaxTextLen}}
		}
	}
	if c.Phone != "" {
		if p, err := ident.Phone(c.Phone); err != nil || !strings.HasPrefix(p, "+32") {
			bad[FieldPhone] = Problem{"branding.error.phone", nil}
		}
	}
	if c.Email != "" {
		if a, err := mail.ParseAddress(c.Email); err != nil || a.Address != c.Email || len(c.Email) > 254 {
			bad[FieldEmail] = Problem{"branding.error.email", nil}
		}
	}
	if c.Website != "" && !httpsURL(c.Website) {
		bad[FieldWebsite] = Problem{"branding.error.website", nil}
	}
	if len(bad) > 0 {
		return &ValidationError{Fields: bad}
	}
	return nil
}

// httpsURL reports whether s is an absolute https URL to a named host,
// without user information, of bounded length.
func httpsURL(s string) bool {
	if len(s) > MaxTextLen || strings.ContainsAny(s, " \t\r\n\"'<>") {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && u.Scheme == "https" && u.User == nil && u.Hostname() != "" && strings.Contains(u.Hostname(), ".")
}

// ParseLogo checks an uploaded logo and returns it ready to store: a PNG
// is decoded whole (proving it is one), bounded in size and re-encoded as
// 8-bit RGBA without its metadata; an SVG is sanitised. Anything else is
// a *ValidationError on FieldLogo.
func ParseLogo(data []byte) (Logo, error) {
	refuse := func(key string, args ...any) (Logo, error) {
		return Logo{}, &ValidationError{Fields: map[string]Problem{FieldLogo: {key, args}}}
	}
	if len(data) > MaxLogoBytes {
		return refuse("branding.error.logo_size", MaxLogoBytes>>10)
	}
	if len(data) == 0 {
		return refuse("branding.error.logo_type")
	}
	if bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")) {
		cfg, err := png.DecodeConfig(bytes.NewReader(data))
		if err != nil {
			return refuse("branding.error.logo_type")
		}
		if cfg.Width < 1 || cfg.Height < 1 || cfg.Width > MaxLogoSide || cfg.Height > MaxLogoSide {
			return refuse("branding.error.logo_dimensions", MaxLogoSide)
		}
		img, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			return refuse("branding.error.logo_type")
		}
		rgba := image.NewNRGBA(img.Bounds())
		draw.Draw(rgba, rgba.Bounds(), img, img.Bounds().Min, draw.Src)
		var out bytes.Buffer
		if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&out, rgba); err != nil {
			return refuse("branding.error.logo_type")
		}
		return Logo{Type: TypePNG, Data: out.Bytes(), Width: cfg.Width, Height: cfg.Height}, nil
	}
	clean, err := svgsafe.Sanitize(data)
	if err != nil {
		return refuse("branding.error.logo_type")
	}
	if len(clean) > MaxLogoBytes {
		return refuse("branding.error.logo_size", MaxLogoBytes>>10)
	}
	return Logo{Type: TypeSVG, Data: clean}, nil
}

// RelativeLuminance is the relative luminance of an sRGB colour #rrggbb
// as WCAG 2.1 defines it (0 black … 1 white).
func RelativeLuminance(hex string) (float64, bool) {
	if !hexColour.MatchString(hex) {
		return 0, false
	}
	ch := func(i int) float64 {
		v, _ := strconv.ParseUint(hex[i:i+2], 16, 8)
		c := float64(v) / 255
		if c <= 0.03928 {
			return c / 12.92
		}
		return math.Pow((c+0.055)/1.055, 2.4)
	}
	return 0.2126*ch(1) + 0.7152*ch(3) + 0.0722*ch(5), true
}

// ContrastRatio is the WCAG 2.1 contrast ratio of two colours (1 … 21);
// 0 when either is not #rrggbb.
func ContrastRatio(a, b string) float64 {
	la, ok1 := RelativeLuminance(a)
	lb, ok2 := RelativeLuminance(b)
	if !ok1 || !ok2 {
		return 0
	}
	hi, lo := max(la, lb), min(la, lb)
	return (hi + 0.05) / (lo + 0.05)
}

// MinAccentContrast is the lowest contrast of the accent where Kluis uses
// it: behind white text (buttons, the header band), as text on the page
// background and as text on the grey surface.
func MinAccentContrast(accent string) float64 {
	return min(ContrastRatio(accent, AccentText), ContrastRatio(accent, PageBackground), ContrastRatio(accent, Surface))
}

// formatRatio writes a ratio the way WCAG does, rounded down to one
// decimal so that 4.49 never shows as 4.5.
func formatRatio(r float64) string {
	return strconv.FormatFloat(math.Floor(r*10)/10, 'f', 1, 64) + ":1"
}

// Darker returns the accent darkened by a quarter (hover and pressed
// states); darker than an accent that passes, it passes too.
func Darker(accent string) string {
	if !hexColour.MatchString(accent) {
		return accent
	}
	out := "#"
	for i := 1; i < 7; i += 2 {
		v, _ := strconv.ParseUint(accent[i:i+2], 16, 8)
		out += fmt.Sprintf("%02x", v*3/4)
	}
	return out
}

// Brand is the look resolved for display: the settings with the defaults
// filled in.
type Brand struct {
	Name       string
	Accent     string
	AccentDark string
	AccentText string
	Contact    Contact
}

// Resolve fills the defaults: the legal name for an empty name,
// DefaultAccent for an empty accent.
func (s Settings) Resolve(legalName string) Brand {
	b := Brand{Name: s.Name, Accent: s.Accent, AccentText: AccentText, Contact: s.Contact}
	if b.Name == "" {
		b.Name = legalName
	}
	if b.Accent == "" {
		b.Accent = DefaultAccent
	}
	b.AccentDark = Darker(b.Accent)
	return b
}

// CSS is the per-tenant style sheet: the accent as the custom properties
// kluis.css draws with. The values are checked #rrggbb colours, so
// nothing else can reach the style sheet.
func (b Brand) CSS() string {
	safe := func(c, fallback string) string {
		if hexColour.MatchString(c) {
			return c
		}
		return fallback
	}
	return fmt.Sprintf(":root{--primary:%s;--primary-dark:%s;--accent-text:%s}\n",
		safe(b.Accent, DefaultAccent), safe(b.AccentDark, Darker(DefaultAccent)), safe(b.AccentText, AccentText))
}

// ContactLines is the contact block as lines of text, labelled with the
// labels given (phone, e-mail, website, hours, each with its colon as the
// language writes it: "Téléphone :"), for mails and PDFs.
func (c Contact) ContactLines(phone, email, website, hours string) []string {
	var lines []string
	if c.Address != "" {
		lines = append(lines, strings.Split(c.Address, "\n")...)
	}
	if c.Phone != "" {
		lines = append(lines, phone+" "+FormatPhone(c.Phone))
	}
	if c.Email != "" {
		lines = append(lines, email+" "+c.Email)
	}
	if c.Website != "" {
		lines = append(lines, website+" "+c.Website)
	}
	if c.Hours != "" {
		for i, l := range strings.Split(c.Hours, "\n") {
			if i == 0 {
				l = hours + " " + l
			}
			lines = append(lines, l)
		}
	}
	return lines
}

// FormatPhone writes an E.164 Belgian number as Belgians read it:
// +32 9 123 45 67 → "09 123 45 67", +32 470 12 34 56 → "0470 12 34 56".
// Anything else is returned as it is.
func FormatPhone(e164 string) string {
	n, ok := strings.CutPrefix(e164, "+32")
	if !ok {
		return e164
	}
	switch {
	case len(n) == 9 && n[0] == '4':
		return "0" + n[:3] + " " + n[3:5] + " " + n[5:7] + " " + n[7:]
	case len(n) == 8 && (n[0] == '2' || n[0] == '3' || n[0] == '4' || n[0] == '9'):
		return "0" + n[:1] + " " + n[1:4] + " " + n[4:6] + " " + n[6:]
	case len(n) == 8:
		return "0" + n[:2] + " " + n[2:4] + " " + n[4:6] + " " + n[6:]
	}
	return e164
}
