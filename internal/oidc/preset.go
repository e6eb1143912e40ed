// Package oidc owns OpenID Connect login for Kluis (contract USR-2): the
// provider presets (the federal FAS with eID or itsme, the Flemish ACM, any
// other OpenID provider), the authorization code flow with PKCE (S256),
// state and nonce, and the checks on the returned ID token — signature
// (the provider's JWKS), issuer, audience, expiry, nonce and the
// authentication level (acr). It speaks HTTP to the provider through
// go-oidc and x/oauth2 and knows nothing about SQL or pages: the store
// keeps the flows and the linked identities, the web side drives the
// redirects. It imports only the standard library and those two modules.
//
// A refusal is a *Refusal with a Reason code: the reason goes to the
// tenant's audit log, never the subject, a token or a claim's value.
package oidc

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Preset names a kind of provider with known acr values.
type Preset string

// The presets.
const (
	// FASeID is the federal authentication service (FAS/CSAM) asked for
	// the electronic identity card: level 500.
	FASeID Preset = "fas-eid"
	// FASItsme is FAS asked for itsme (or better): level 450.
	FASItsme Preset = "fas-itsme"
	// ACM is the Flemish government's ACM/IDM (Vlaams Toegangsbeheer).
	ACM Preset = "acm"
	// Generic is any other OpenID provider; it may require acr values.
	Generic Preset = "generic"
)

// Presets lists the presets in the order the CLI shows them.
func Presets() []Preset { return []Preset{FASeID, FASItsme, ACM, Generic} }

// ParsePreset recognises a preset name.
func ParsePreset(s string) (Preset, bool) {
	p := Preset(strings.ToLower(strings.TrimSpace(s)))
	return p, slices.Contains(Presets(), p)
}

// FAS authentication levels (CSAM). A higher level satisfies a lower
// requirement: eID (500) may sign in where itsme (450) is required.
const (
	fasLevelPrefix = "urn:be:fedict:iam:fas:Level"
	FASLevelItsme  = 450
	FASLevelEID    = 500
)

// FASLevelACR is the acr value of a FAS level.
func FASLevelACR(level int) string { return fasLevelPrefix + strconv.Itoa(level) }

// fasLevel reads a FAS acr value ("urn:be:fedict:iam:fas:Level450").
func fasLevel(acr string) (int, bool) {
	rest, ok := strings.CutPrefix(acr, fasLevelPrefix)
	if !ok || rest == "" || len(rest) > 4 {
		return 0, false
	}
	n, err := strconv.Atoi(rest)
	if err != nil || n <= 0 {
		return 0, false
	}
	return n, true
}

// ACM authentication means (authenticatie.vlaanderen.be, "Authenticatie-
// middelen") with their CSAM level. ACM names the means used in the acr
// claim when acr_values were asked for. The preset asks for the means of
// level 450 and up (eID, eIDAS high, itsme) and accepts only those: the
// same assurance as the FAS presets, so that an ACM login also counts as
// the second factor. Means without a CSAM level (Kerberos, LDAP password,
// client certificate) are not accepted.
var acmLevels = map[string]int{
	"urn:be:vlaanderen:authmech:eid":              500,
	"urn:be:vlaanderen:authmech:eidashigh":        500,
	"urn:be:vlaanderen:authmech:itsme":            450,
	"urn:be:vlaanderen:authmech:csamtotp":         400,
	"urn:be:vlaanderen:authmech:csamsms":          400,
	"urn:be:vlaanderen:authmech:eidassubstantial": 400,
	"urn:be:vlaanderen:authmech:csampassword":     200,
	"urn:be:vlaanderen:authmech:csamselfreg":      100,
}

// acmRequired is the CSAM level the ACM preset requires.
const acmRequired = 450

// Requirement is what a provider asks for and then checks of the acr
// claim.
type Requirement struct {
	// ACRValues are sent as acr_values in the authentication request.
	ACRValues []string
	// check reports whether an acr claim satisfies the requirement.
	check func(acr string) bool
	// MFA says a login that passes check counts as the second factor.
	MFA bool
}

// Satisfied reports whether the acr claim meets the requirement. A
// requirement without acr values accepts any acr, also none.
func (r Requirement) Satisfied(acr string) bool {
	if r.check == nil {
		return true
	}
	return r.check(acr)
}

// RequirementOf returns the requirement of a preset; for Generic,
// requiredACR lists the acr values accepted (any one of them; empty: no
// requirement, and the login is not a second factor).
func RequirementOf(p Preset, requiredACR []string) Requirement {
	switch p {
	case FASeID:
		return fasRequirement(FASLevelEID)
	case FASItsme:
		return fasRequirement(FASLevelItsme)
	case ACM:
		var vals []string
		for acr, lvl := range acmLevels {
			if lvl >= acmRequired {
				vals = append(vals, acr)
			}
		}
		slices.Sort(vals)
		return Requirement{ACRValues: vals, MFA: true, check: func(acr string) bool { return acmLevels[acr] >= acmRequired }}
	}
	if len(requiredACR) == 0 {
		return Requirement{}
	}
	req := slices.Clone(requiredACR)
	return Requirement{ACRValues: req, MFA: true, check: func(acr string) bool { return acr != "" && slices.Contains(req, acr) }}
}

func fasRequirement(level int) Requirement {
	return Requirement{ACRValues: []string{FASLevelACR(level)}, MFA: true, check: func(acr string) bool {
		got, ok := fasLevel(acr)
		return ok && got >= level
	}}
}

// DefaultIssuer is the production issuer of a preset ("" for Generic).
// FAS's integration environment is https://idp.iamfas.int.belgium.be/fas/oauth2,
// ACM's test environment https://authenticatie-ti.vlaanderen.be/op.
func DefaultIssuer(p Preset) string {
	switch p {
	case FASeID, FASItsme:
		return "https://idp.iamfas.belgium.be/fas/oauth2"
	case ACM:
		return "https://authenticatie.vlaanderen.be/op"
	}
	return ""
}

// nameRE is the form of a provider's name, the last segment of its login
// address (/{tenant}/login/oidc/{name}).
var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,31}$`)

// reservedNames cannot name a provider: they are routes of their own.
var reservedNames = []string{"callback"}

// ValidationError lists what is wrong with a provider's settings, field
// by field (name, preset, issuer, client_id, client_secret, display_name,
// acr), each message one phrase in English for the CLI.
type ValidationError struct{ Fields map[string]string }

func (e *ValidationError) Error() string {
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+" "+e.Fields[k])
	}
	return "invalid OpenID provider: " + strings.Join(parts, "; ")
}

// Settings are what an operator gives to add a provider.
type Settings struct {
	Name         string // unique in the tenant; defaults to the preset
	Preset       Preset
	DisplayName  string // shown on the generic button; defaults to Name
	Issuer       string // defaults to DefaultIssuer(Preset)
	ClientID     string
	ClientSecret string
	RequiredACR  []string // Generic only
}

// Normalize fills defaults and trims.
func (s Settings) Normalize() Settings {
	s.Preset = Preset(strings.ToLower(strings.TrimSpace(string(s.Preset))))
	s.Name = strings.ToLower(strings.TrimSpace(s.Name))
	if s.Name == "" {
		s.Name = string(s.Preset)
	}
	s.DisplayName = strings.TrimSpace(s.DisplayName)
	if s.DisplayName == "" {
		s.DisplayName = s.Name
	}
	s.Issuer = strings.TrimSpace(s.Issuer)
	if s.Issuer == "" {
		s.Issuer = DefaultIssuer(s.Preset)
	}
	s.ClientID = strings.TrimSpace(s.ClientID)
	s.ClientSecret = strings.TrimSpace(s.ClientSecret)
	var acr []string
	for _, a := range s.RequiredACR {
		for f := range strings.FieldsSeq(a) {
			if !slices.Contains(acr, f) {
				acr = append(acr, f)
			}
		}
	}
	s.RequiredACR = acr
	return s
}

// Validate checks normalized settings.
func (s Settings) Validate() error {
	f := map[string]string{}
	if _, ok := ParsePreset(string(s.Preset)); !ok {
		f["preset"] = fmt.Sprintf("must be one of %s", joinPresets())
	}
	if !nameRE.MatchString(s.Name) || slices.Contains(reservedNames, s.Name) {
		f["name"] = "must be 1 to 32 lower-case letters, digits or dashes (and not \"callback\")"
	}
	if err := checkIssuer(s.Issuer); err != "" {
		f["issuer"] = err
	}
	if s.ClientID == "" || len(s.ClientID) > 200 {
		f["client_id"] = "is required (at most 200 characters)"
	}
	if s.ClientSecret == "" || len(s.ClientSecret) > 500 {
		f["client_secret"] = "is required (at most 500 characters)"
	}
	if len(s.DisplayName) > 60 {
		f["display_name"] = "must be at most 60 characters"
	}
	if len(s.RequiredACR) > 0 && s.Preset != Generic {
		f["acr"] = "can only be set for the generic preset (the others have their own)"
	}
	if len(f) > 0 {
		return &ValidationError{Fields: f}
	}
	return nil
}

func joinPresets() string {
	var s []string
	for _, p := range Presets() {
		s = append(s, string(p))
	}
	return strings.Join(s, ", ")
}

// checkIssuer accepts an https URL without query or fragment, or http on
// the loopback interface (development and tests).
func checkIssuer(raw string) string {
	if raw == "" {
		return "is required for the generic preset"
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "must be an https:// URL without query or fragment"
	}
	switch u.Scheme {
	case "https":
		return ""
	case "http":
		if h := u.Hostname(); h == "localhost" || h == "127.0.0.1" || h == "::1" {
			return ""
		}
	}
	return "must be an https:// URL (http only on localhost)"
}
