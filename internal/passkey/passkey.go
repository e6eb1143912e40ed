// Package passkey is Kluis's WebAuthn relying party (contract USR-2, ASVS
// 5.0 V6.5–6.7): it makes the options of a registration or an assertion and
// checks the browser's answer, with github.com/go-webauthn/webauthn doing
// the protocol (CBOR, COSE keys, signatures, flags). It keeps no state:
// the store keeps the ceremonies and the credentials and calls Finish… and
// Verify… inside its transaction.
//
// The relying party ID is the host of the public base URL and the only
// origin accepted is the base URL itself: every tenant shares them, so a
// credential is tied to its tenant by the store, not by the browser.
//
// It imports the standard library and go-webauthn only.
package passkey

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
)

// CeremonyTimeout is how long a ceremony's options stay answerable, on the
// server and as the browser's timeout.
const CeremonyTimeout = 5 * time.Minute

// Kind is what a ceremony is for.
type Kind string

// The ceremonies.
const (
	KindRegister     Kind = "register" // add a passkey to a signed-in user
	KindSecondFactor Kind = "mfa"      // the second login step after the password
	KindLogin        Kind = "login"    // passwordless: a discoverable credential with user verification
)

// Reasons a ceremony's answer is refused, for the audit log (never shown
// to the user, never personal data).
const (
	ReasonMalformed        = "passkey: malformed answer"
	ReasonChallenge        = "passkey: unknown, used or other session's challenge"
	ReasonExpired          = "passkey: ceremony expired"
	ReasonOrigin           = "passkey: wrong origin"
	ReasonType             = "passkey: wrong ceremony type"
	ReasonUserVerification = "passkey: user not verified"
	ReasonUnknown          = "passkey: unknown credential"
	ReasonSignature        = "passkey: verification failed"
	ReasonCounter          = "passkey: signature counter did not increase (possible clone)"
	ReasonInactive         = "passkey: account not active or locked"
	ReasonDuplicate        = "passkey: credential registered already"
)

// Failure is a refused answer; Reason is one of the Reason… constants.
type Failure struct{ Reason string }

func (f *Failure) Error() string { return f.Reason }

func fail(reason string) error { return &Failure{Reason: reason} }

// ReasonOf returns the reason of a Failure in err's chain, or
// ReasonSignature for any other error.
func ReasonOf(err error) string {
	var f *Failure
	if errors.As(err, &f) {
		return f.Reason
	}
	return ReasonSignature
}

// RP is the relying party of one public base URL.
type RP struct {
	wa     *webauthn.WebAuthn
	id     string
	origin string
}

// New returns the relying party of baseURL (such as
// https://loket.example.be): its ID is the URL's host, its one origin the
// URL's scheme, host and port. An IP address cannot be a relying party ID
// (browsers refuse it): use a name, such as localhost.
func New(baseURL, displayName string) (*RP, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Hostname() == "" {
		return nil, fmt.Errorf("passkey: base URL %q is not an http(s) address", baseURL)
	}
	host := strings.ToLower(u.Hostname())
	if net.ParseIP(host) != nil {
		return nil, fmt.Errorf("passkey: the base URL's host %q is an IP address; WebAuthn needs a domain name", host)
	}
	origin := u.Scheme + "://" + strings.ToLower(u.Host)
	wa, err := webauthn.New(&webauthn.Config{
		RPID:                  host,
		RPDisplayName:         displayName,
		RPOrigins:             []string{origin},
		AttestationPreference: protocol.PreferNoAttestation,
		Timeouts: webauthn.TimeoutsConfig{
			Login:        webauthn.TimeoutConfig{Timeout: CeremonyTimeout, TimeoutUVD: CeremonyTimeout},
			Registration: webauthn.TimeoutConfig{Timeout: CeremonyTimeout, TimeoutUVD: CeremonyTimeout},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("passkey: %w", err)
	}
	return &RP{wa: wa, id: host, origin: origin}, nil
}

// ID is the relying party ID.
func (rp *RP) ID() string { return rp.id }

// Origin is the one origin answers may come from.
func (rp *RP) Origin() string { return rp.origin }

// Credential is a registered passkey as the relying party needs it.
type Credential struct {
	ID                []byte
	PublicKey         []byte // COSE_Key
	SignCount         uint32
	AAGUID            []byte
	Transports        []string
	Flags             Flags
	AttestationFormat string
}

// Flags are the authenticator flags a credential keeps from registration.
type Flags uint8

// The stored flags.
const (
	FlagBackupEligible Flags = 1 << iota
	FlagBackedUp
	FlagUserVerified
)

func (c Credential) webauthn() webauthn.Credential {
	tr := make([]protocol.AuthenticatorTransport, len(c.Transports))
	for i, t := range c.Transports {
		tr[i] = protocol.AuthenticatorTransport(t)
	}
	return webauthn.Credential{
		ID: c.ID, PublicKey: c.PublicKey, Transport: tr, AttestationFormat: c.AttestationFormat,
		Flags: webauthn.CredentialFlags{UserPresent: true, UserVerified: c.Flags&FlagUserVerified != 0,
			BackupEligible: c.Flags&FlagBackupEligible != 0, BackupState: c.Flags&FlagBackedUp != 0},
		Authenticator: webauthn.Authenticator{AAGUID: c.AAGUID, SignCount: c.SignCount},
	}
}

// user is a Kluis user as go-webauthn sees one: the random handle, and
// names shown only by the user's own authenticator.
type user struct {
	handle        []byte
	name, display string
	creds         []Credential
}

func (u user) WebAuthnID() []byte          { return u.handle }
func (u user) WebAuthnName() string        { return u.name }
func (u user) WebAuthnDisplayName() string { return u.display }
func (u user) WebAuthnCredentials() []webauthn.Credential {
	out := make([]webauthn.Credential, len(u.creds))
	for i, c := range u.creds {
		out[i] = c.webauthn()
	}
	return out
}

// Ceremony is what the server keeps of a ceremony between its options and
// its answer: the challenge (the store keys the ceremony by its hash) and
// the relying party's state.
type Ceremony struct {
	Challenge []byte
	State     []byte // JSON
}

// ChallengeHash is how the store names a ceremony: SHA-256 of the raw
// challenge.
func ChallengeHash(challenge []byte) []byte {
	s := sha256.Sum256(challenge)
	return s[:]
}

// b64url decodes base64url with or without padding.
func b64url(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}

func ceremony(s *webauthn.SessionData) (Ceremony, error) {
	ch, err := b64url(s.Challenge)
	if err != nil {
		return Ceremony{}, err
	}
	s.Expires = time.Time{} // the store enforces expiry, on its own clock
	state, err := json.Marshal(s)
	if err != nil {
		return Ceremony{}, err
	}
	return Ceremony{Challenge: ch, State: state}, nil
}

func descriptors(creds []Credential) []protocol.CredentialDescriptor {
	out := make([]protocol.CredentialDescriptor, len(creds))
	for i, c := range creds {
		wc := c.webauthn()
		out[i] = wc.Descriptor()
	}
	return out
}

// BeginRegistration makes the options (JSON, {"publicKey": …}) for adding
// a passkey to the user with handle: a discoverable credential (so it can
// also sign in without a password) with user verification, no
// attestation, none of the user's existing credentials again. name and
// display are shown by the user's own authenticator only.
func (rp *RP) BeginRegistration(handle []byte, name, display string, existing []Credential) ([]byte, Ceremony, error) {
	creation, session, err := rp.wa.BeginRegistration(user{handle: handle, name: name, display: display, creds: existing},
		webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{
			ResidentKey: protocol.ResidentKeyRequirementRequired, RequireResidentKey: protocol.ResidentKeyRequired(),
			UserVerification: protocol.VerificationRequired,
		}),
		webauthn.WithExclusions(descriptors(existing)),
	)
	if err != nil {
		return nil, Ceremony{}, fmt.Errorf("passkey: begin registration: %w", err)
	}
	return rp.options(creation, session)
}

// BeginSecondFactor makes the options for the second login step: one of
// the user's credentials, user verification preferred (the password was
// the first factor).
func (rp *RP) BeginSecondFactor(handle []byte, creds []Credential) ([]byte, Ceremony, error) {
	assertion, session, err := rp.wa.BeginLogin(user{handle: handle, creds: creds},
		webauthn.WithUserVerification(protocol.VerificationPreferred))
	if err != nil {
		return nil, Ceremony{}, fmt.Errorf("passkey: begin second factor: %w", err)
	}
	return rp.options(assertion, session)
}

// BeginLogin makes the options of a passwordless login: any discoverable
// credential of this relying party, user verification required.
func (rp *RP) BeginLogin() ([]byte, Ceremony, error) {
	assertion, session, err := rp.wa.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationRequired))
	if err != nil {
		return nil, Ceremony{}, fmt.Errorf("passkey: begin login: %w", err)
	}
	return rp.options(assertion, session)
}

func (rp *RP) options(opts any, session *webauthn.SessionData) ([]byte, Ceremony, error) {
	c, err := ceremony(session)
	if err != nil {
		return nil, Ceremony{}, fmt.Errorf("passkey: %w", err)
	}
	b, err := json.Marshal(opts)
	if err != nil {
		return nil, Ceremony{}, fmt.Errorf("passkey: %w", err)
	}
	return b, c, nil
}

// Registration is a browser's parsed answer to registration options.
type Registration struct {
	parsed    *protocol.ParsedCredentialCreationData
	Challenge []byte // the challenge the answer says it answers (not yet checked)
}

// ParseRegistration parses the JSON of a PublicKeyCredential made by
// navigator.credentials.create (base64url fields). A Failure with
// ReasonMalformed when it is not one.
func ParseRegistration(body []byte) (*Registration, error) {
	p, err := protocol.ParseCredentialCreationResponseBytes(body)
	if err != nil {
		return nil, fail(ReasonMalformed)
	}
	ch, err := b64url(p.Response.CollectedClientData.Challenge)
	if err != nil || len(ch) == 0 {
		return nil, fail(ReasonMalformed)
	}
	return &Registration{parsed: p, Challenge: ch}, nil
}

// Assertion is a browser's parsed answer to assertion options.
type Assertion struct {
	parsed       *protocol.ParsedCredentialAssertionData
	Challenge    []byte // the challenge the answer says it answers (not yet checked)
	CredentialID []byte // the credential that signed (not yet checked)
	UserHandle   []byte // the user handle the authenticator returned, if any
}

// ParseAssertion parses the JSON of a PublicKeyCredential made by
// navigator.credentials.get. A Failure with ReasonMalformed when it is not
// one.
func ParseAssertion(body []byte) (*Assertion, error) {
	p, err := protocol.ParseCredentialRequestResponseBytes(body)
	if err != nil {
		return nil, fail(ReasonMalformed)
	}
	ch, err := b64url(p.Response.CollectedClientData.Challenge)
	if err != nil || len(ch) == 0 {
		return nil, fail(ReasonMalformed)
	}
	return &Assertion{parsed: p, Challenge: ch, CredentialID: p.RawID, UserHandle: p.Response.UserHandle}, nil
}

func (rp *RP) session(state []byte) (webauthn.SessionData, error) {
	var s webauthn.SessionData
	if err := json.Unmarshal(state, &s); err != nil {
		return s, fmt.Errorf("passkey: ceremony state: %w", err)
	}
	return s, nil
}

// precheck names the most precise reason an answer's client data is
// wrong, before the library checks the rest.
func (rp *RP) precheck(cd protocol.CollectedClientData, typ protocol.CeremonyType) error {
	if cd.Type != typ {
		return fail(ReasonType)
	}
	if !strings.EqualFold(cd.Origin, rp.origin) {
		return fail(ReasonOrigin)
	}
	return nil
}

// FinishRegistration checks an answer to the registration ceremony whose
// state the store kept, for the user with handle, and returns the new
// credential. A Failure says why it is refused.
func (rp *RP) FinishRegistration(state, handle []byte, r *Registration) (Credential, error) {
	s, err := rp.session(state)
	if err != nil {
		return Credential{}, err
	}
	if err := rp.precheck(r.parsed.Response.CollectedClientData, protocol.CreateCeremony); err != nil {
		return Credential{}, err
	}
	if !r.parsed.Response.AttestationObject.AuthData.Flags.HasUserVerified() {
		return Credential{}, fail(ReasonUserVerification)
	}
	c, err := rp.wa.CreateCredential(user{handle: handle}, s, r.parsed)
	if err != nil {
		return Credential{}, &Failure{Reason: ReasonSignature}
	}
	out := Credential{ID: c.ID, PublicKey: c.PublicKey, SignCount: c.Authenticator.SignCount, AAGUID: c.Authenticator.AAGUID,
		AttestationFormat: c.AttestationFormat}
	if out.AAGUID == nil {
		out.AAGUID = []byte{}
	}
	for _, t := range c.Transport {
		out.Transports = append(out.Transports, string(t))
	}
	if c.Flags.BackupEligible {
		out.Flags |= FlagBackupEligible
	}
	if c.Flags.BackupState {
		out.Flags |= FlagBackedUp
	}
	if c.Flags.UserVerified {
		out.Flags |= FlagUserVerified
	}
	return out, nil
}

// VerifyAssertion checks an answer to the assertion ceremony whose state
// the store kept, signed by cred of the user with handle, and returns the
// credential's new signature counter. Refused (a Failure) when anything
// is off, also when the counter did not go up (ReasonCounter: the
// credential may have been cloned) and, for a passwordless login, when the
// user was not verified.
func (rp *RP) VerifyAssertion(kind Kind, state, handle []byte, cred Credential, a *Assertion) (uint32, error) {
	s, err := rp.session(state)
	if err != nil {
		return 0, err
	}
	if err := rp.precheck(a.parsed.Response.CollectedClientData, protocol.AssertCeremony); err != nil {
		return 0, err
	}
	if !bytes.Equal(a.CredentialID, cred.ID) {
		return 0, fail(ReasonUnknown)
	}
	if kind == KindLogin && !a.parsed.Response.AuthenticatorData.Flags.HasUserVerified() {
		return 0, fail(ReasonUserVerification)
	}
	u := user{handle: handle, creds: []Credential{cred}}
	var c *webauthn.Credential
	if kind == KindLogin {
		if !bytes.Equal(a.UserHandle, handle) {
			return 0, fail(ReasonUnknown)
		}
		_, c, err = rp.wa.ValidatePasskeyLogin(func(_, _ []byte) (webauthn.User, error) { return u, nil }, s, a.parsed)
	} else {
		c, err = rp.wa.ValidateLogin(u, s, a.parsed)
	}
	if err != nil {
		return 0, fail(ReasonSignature)
	}
	if c.Authenticator.CloneWarning {
		return 0, fail(ReasonCounter)
	}
	return c.Authenticator.SignCount, nil
}

// MaxNameLength is the longest name, in characters, a user may give a
// passkey.
const MaxNameLength = 60

// Problems with a passkey's name, as CheckName reports them.
const (
	NameEmpty   = "empty"
	NameTooLong = "too_long"
	NameInvalid = "invalid" // control characters
)

// CheckName cleans a passkey's name as typed (surrounding spaces removed)
// and says what is wrong with it: "" when nothing, else NameEmpty,
// NameTooLong or NameInvalid.
func CheckName(s string) (clean, problem string) {
	clean = strings.TrimSpace(s)
	switch {
	case clean == "":
		return clean, NameEmpty
	case utf8.RuneCountInString(clean) > MaxNameLength:
		return clean, NameTooLong
	case !utf8.ValidString(clean) || strings.IndexFunc(clean, unicode.IsControl) >= 0:
		return clean, NameInvalid
	}
	return clean, ""
}

// CleanName reports whether s is a good name exactly as it is.
func CleanName(s string) (string, bool) {
	clean, problem := CheckName(s)
	return clean, problem == ""
}
