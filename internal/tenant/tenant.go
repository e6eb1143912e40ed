// Package tenant owns what a tenant (one controller: a municipality, an OCMW,
// a library…) is and the rules for its identifiers. Pure Go, standard library
// only; the store persists tenants.
package tenant

import (
	"net/mail"
	"regexp"
	"strings"
	"time"
)

// Status of a tenant.
const (
	StatusActive    = "active"
	StatusSuspended = "suspended"
)

// Realms: every controller is a tenant of realm "controller"; the supplier's
// own staff (platform operators) are the users of the one tenant of realm
// "platform", whose slug is OperatorSlug.
const (
	RealmController = "controller"
	RealmPlatform   = "platform"
	OperatorSlug    = "operator"
)

// Tenant is one controller. DPOName and DPOEmail are personal data: the store
// seals them.
type Tenant struct {
	ID               string
	Slug             string
	LegalName        string
	EnterpriseNumber string // KBO, 10 digits, normalised
	DPOName          string
	DPOEmail         string
	DefaultLang      string
	Status           string
	CreatedAt        time.Time
	SuspendedAt      *time.Time
	Realm            string // RealmController or RealmPlatform
	// PrimaryHost is the host name the tenant marked primary for the links
	// Kluis writes ("" for none): see Link.
	PrimaryHost string
}

// IsPlatform reports whether t is the operators' realm rather than a
// controller.
func (t Tenant) IsPlatform() bool { return t.Realm == RealmPlatform }

// New is the input for creating a tenant.
type New struct {
	Slug             string
	LegalName        string
	EnterpriseNumber string
	DPOName          string
	DPOEmail         string
	DefaultLang      string
}

// ValidationError maps a field name to a message key (locale catalogue key,
// in English as a fallback sentence).
type ValidationError struct {
	Fields map[string]string
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString("invalid tenant:")
	for _, f := range []string{"slug", "legal_name", "enterprise_number", "dpo_name", "dpo_email", "default_lang"} {
		if m, ok := e.Fields[f]; ok {
			b.WriteString(" ")
			b.WriteString(f)
			b.WriteString(": ")
			b.WriteString(m)
			b.WriteString(";")
		}
	}
	return strings.TrimSuffix(b.String(), ";")
}

var slugRE = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$`)

// reservedSlugs cannot be tenant slugs because they are platform paths.
var reservedSlugs = map[string]bool{
	"static": true, "healthz": true, "readyz": true, "api": true, "admin": true,
	"operator": true, "login": true, "logout": true, "metrics": true, "lang": true,
}

// Normalize trims the input and canonicalises the enterprise number.
func (n New) Normalize() New {
	n.Slug = strings.TrimSpace(strings.ToLower(n.Slug))
	n.LegalName = strings.TrimSpace(n.LegalName)
	n.EnterpriseNumber = NormalizeKBO(n.EnterpriseNumber)
	n.DPOName = strings.TrimSpace(n.DPOName)
	n.DPOEmail = strings.TrimSpace(n.DPOEmail)
	n.DefaultLang = strings.TrimSpace(strings.ToLower(n.DefaultLang))
	if n.DefaultLang == "" {
		n.DefaultLang = "nl"
	}
	return n
}

// Validate checks every field and reports all problems at once.
func (n New) Validate() error {
	f := map[string]string{}
	switch {
	case n.Slug == "":
		f["slug"] = "is required"
	case !slugRE.MatchString(n.Slug):
		f["slug"] = "use 1 to 40 lower-case letters, digits or hyphens, not starting or ending with a hyphen"
	case reservedSlugs[n.Slug]:
		f["slug"] = "is reserved by the platform"
	}
	if n.LegalName == "" {
		f["legal_name"] = "is required"
	} else if len(n.LegalName) > 200 {
		f["legal_name"] = "is longer than 200 characters"
	}
	if msg := CheckKBO(n.EnterpriseNumber); msg != "" {
		f["enterprise_number"] = msg
	}
	if n.DPOName == "" {
		f["dpo_name"] = "is required"
	} else if len(n.DPOName) > 200 {
		f["dpo_name"] = "is longer than 200 characters"
	}
	if n.DPOEmail == "" {
		f["dpo_email"] = "is required"
	} else if a, err := mail.ParseAddress(n.DPOEmail); err != nil || a.Address != n.DPOEmail {
		f["dpo_email"] = "is not a valid e-mail address"
	}
	switch n.DefaultLang {
	case "nl", "fr", "en":
	default:
		f["default_lang"] = "must be nl, fr or en"
	}
	if len(f) > 0 {
		return &ValidationError{Fields: f}
	}
	return nil
}

// NormalizeKBO strips the separators people type ("0207.451.227",
// "BE 0207 451 227") and returns the digits.
func NormalizeKBO(s string) string {
	s = strings.ToUpper(strings.TrimSpace(s))
	s = strings.TrimPrefix(s, "BE")
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '.' || r == ' ' || r == '-':
		default:
			return s // leave it as typed so CheckKBO rejects it
		}
	}
	d := b.String()
	if len(d) == 9 {
		d = "0" + d // old 9-digit numbers gain a leading 0
	}
	return d
}

// CheckKBO validates a normalised enterprise number (Kruispuntbank van
// Ondernemingen): 10 digits, starting with 0 or 1, where the last two digits
// are 97 minus the first eight modulo 97. It returns "" when valid, else a
// short English reason.
func CheckKBO(d string) string {
	if d == "" {
		return "is required"
	}
	if len(d) != 10 {
		return "must have 10 digits"
	}
	var base int
	for i, r := range d {
		if r < '0' || r > '9' {
			return "must have 10 digits"
		}
		if i < 8 {
			base = base*10 + int(r-'0')
		}
	}
	if d[0] != '0' && d[0] != '1' {
		return "must start with 0 or 1"
	}
	check := int(d[8]-'0')*10 + int(d[9]-'0')
	if 97-base%97 != check {
		return "fails the mod-97 check"
	}
	return ""
}

// FormatKBO renders a 10-digit number as 0207.451.227.
func FormatKBO(d string) string {
	if len(d) != 10 {
		return d
	}
	return d[:4] + "." + d[4:7] + "." + d[7:]
}
