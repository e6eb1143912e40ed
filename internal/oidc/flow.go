package oidc

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// Provider is one tenant's configured OpenID provider, its client secret
// opened.
type Provider struct {
	ID           string
	TenantID     string
	Name         string
	Preset       Preset
	DisplayName  string
	Issuer       string
	ClientID     string
	ClientSecret string
	RequiredACR  []string // Generic only
	Enabled      bool
	CreatedAt    time.Time
}

// Requirement is the provider's acr requirement.
func (p Provider) Requirement() Requirement { return RequirementOf(p.Preset, p.RequiredACR) }

// Reason is why a login or link through a provider was refused: a code for
// the audit log.
type Reason string

// The reasons.
const (
	ReasonBadState        Reason = "bad_state"             // unknown, used, expired or not this browser's state
	ReasonProviderError   Reason = "provider_error"        // the provider answered with an error (the person cancelled, …)
	ReasonUnavailable     Reason = "provider_unavailable"  // discovery or keys could not be fetched
	ReasonIssuer          Reason = "issuer_mismatch"       // the discovery document or the ID token names another issuer
	ReasonExchange        Reason = "code_exchange_failed"  // the token endpoint refused the code
	ReasonToken           Reason = "id_token_invalid"      // no ID token, bad signature, audience or expiry
	ReasonNonce           Reason = "nonce_mismatch"        // the ID token's nonce is not the flow's
	ReasonACR             Reason = "acr_too_low"           // the authentication level is below the requirement
	ReasonUnknownIdentity Reason = "unknown_identity"      // no user has linked this issuer and subject
	ReasonIdentityTaken   Reason = "identity_linked_other" // the identity is linked to another user already
	ReasonAccountInactive Reason = "account_not_active"    // the linked user is disabled
)

// Refusal is a refused login or link. Detail is for the server log; it
// carries provider URLs and library messages, never the subject.
type Refusal struct {
	Reason Reason
	Detail error
}

func (r *Refusal) Error() string {
	if r.Detail == nil {
		return "oidc: refused: " + string(r.Reason)
	}
	return fmt.Sprintf("oidc: refused: %s: %v", r.Reason, r.Detail)
}

func (r *Refusal) Unwrap() error { return r.Detail }

func refuse(reason Reason, detail error) error { return &Refusal{Reason: reason, Detail: detail} }

// ReasonOf returns the reason of a refusal, or "" for another error.
func ReasonOf(err error) Reason {
	var r *Refusal
	if errors.As(err, &r) {
		return r.Reason
	}
	return ""
}

// Client talks to OpenID providers. It caches each issuer's discovery
// document (and so its keys) for DiscoveryTTL. Safe for concurrent use.
type Client struct {
	http *http.Client
	now  func() time.Time

	mu    sync.Mutex
	cache map[string]cachedProvider
}

type cachedProvider struct {
	p  *gooidc.Provider
	at time.Time
}

// DiscoveryTTL is how long a discovery document is reused.
const DiscoveryTTL = time.Hour

// NewClient returns a Client using hc for every request to a provider; nil
// means a client with a 10-second timeout. Either way redirects are not
// followed: a provider's endpoints answer directly or not at all.
func NewClient(hc *http.Client) *Client {
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	c := *hc
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Client{http: &c, now: time.Now, cache: map[string]cachedProvider{}}
}

func (c *Client) ctx(ctx context.Context) context.Context { return gooidc.ClientContext(ctx, c.http) }

// discover returns the provider's metadata, from the cache when fresh.
// The discovery document must name the configured issuer exactly.
func (c *Client) discover(ctx context.Context, issuer string) (*gooidc.Provider, error) {
	c.mu.Lock()
	cp, ok := c.cache[issuer]
	c.mu.Unlock()
	if ok && c.now().Sub(cp.at) < DiscoveryTTL {
		return cp.p, nil
	}
	p, err := gooidc.NewProvider(c.ctx(ctx), issuer)
	var mismatch *gooidc.IssuerMismatchError
	if errors.As(err, &mismatch) {
		return nil, refuse(ReasonIssuer, err)
	}
	if err != nil {
		return nil, refuse(ReasonUnavailable, err)
	}
	c.mu.Lock()
	c.cache[issuer] = cachedProvider{p: p, at: c.now()}
	c.mu.Unlock()
	return p, nil
}

// Start is a new flow: the secrets to keep server-side until the
// callback, and the provider's address to send the browser to.
type Start struct {
	State    string // echoed by the provider; its hash finds the flow
	Nonce    string // must come back in the ID token
	Verifier string // PKCE code verifier, sent with the code
	URL      string // the authentication request
}

func random() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// Hash is the stored form of a state, a nonce or a browser binding: its
// SHA-256.
func Hash(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

func (c *Client) config(p *gooidc.Provider, prov Provider, redirectURL string, extra ...string) *oauth2.Config {
	// Only "openid" for staff: the subject is all Kluis needs (data
	// minimisation, contract REG-4); no name, no national register number.
	// A citizen's own view asks FAS for the number too (NumberScope).
	return &oauth2.Config{ClientID: prov.ClientID, ClientSecret: prov.ClientSecret, Endpoint: p.Endpoint(),
		RedirectURL: redirectURL, Scopes: append([]string{gooidc.ScopeOpenID}, extra...)}
}

// NumberScope is the FAS scope that puts the national register number in
// the ID token (claim NumberClaim): asked only when a citizen signs in to
// their own view, which finds their data by it (DSR-1).
const (
	NumberScope = "egovnrn"
	NumberClaim = "egovNRN"
)

// Begin starts an authorization code flow with PKCE (S256), a fresh state
// and nonce, and the preset's acr_values; extraScopes beside "openid".
func (c *Client) Begin(ctx context.Context, prov Provider, redirectURL string, extraScopes ...string) (Start, error) {
	p, err := c.discover(ctx, prov.Issuer)
	if err != nil {
		return Start{}, err
	}
	var s Start
	if s.State, err = random(); err != nil {
		return Start{}, err
	}
	if s.Nonce, err = random(); err != nil {
		return Start{}, err
	}
	s.Verifier = oauth2.GenerateVerifier()
	opts := []oauth2.AuthCodeOption{gooidc.Nonce(s.Nonce), oauth2.S256ChallengeOption(s.Verifier)}
	if acr := prov.Requirement().ACRValues; len(acr) > 0 {
		opts = append(opts, oauth2.SetAuthURLParam("acr_values", strings.Join(acr, " ")))
	}
	s.URL = c.config(p, prov, redirectURL, extraScopes...).AuthCodeURL(s.State, opts...)
	return s, nil
}

// Identity is who the provider says signed in: matched by issuer and
// subject only, never by an e-mail address.
type Identity struct {
	Issuer  string
	Subject string
	ACR     string
	// MFA says the login met an acr requirement that counts as the
	// second factor (FAS eID or itsme, ACM, a generic provider with
	// required acr values).
	MFA bool
	// Number is the national register number FAS gave (NumberClaim), ""
	// when the token has none; used only for a citizen's own view.
	Number string
}

// Finish redeems the code (with the PKCE verifier) and checks the ID
// token: signature against the provider's JWKS, audience (and azp when
// there are several audiences), expiry — by go-oidc —, then the issuer
// (equal to the configured one), the nonce (its hash equal to nonceHash)
// and the acr claim against the provider's requirement. Any failure is a
// *Refusal naming which check failed.
func (c *Client) Finish(ctx context.Context, prov Provider, redirectURL, code, verifier string, nonceHash []byte) (Identity, error) {
	p, err := c.discover(ctx, prov.Issuer)
	if err != nil {
		return Identity{}, err
	}
	tok, err := c.config(p, prov, redirectURL).Exchange(c.ctx(ctx), code, oauth2.VerifierOption(verifier))
	if err != nil {
		return Identity{}, refuse(ReasonExchange, err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return Identity{}, refuse(ReasonToken, errors.New("the token response has no id_token"))
	}
	// The issuer is compared below, so that a mismatch is named as such;
	// go-oidc checks signature, audience and expiry.
	v := p.VerifierContext(c.ctx(context.WithoutCancel(ctx)), &gooidc.Config{ClientID: prov.ClientID, SkipIssuerCheck: true, Now: c.now})
	idt, err := v.Verify(ctx, raw)
	if err != nil {
		return Identity{}, refuse(ReasonToken, err)
	}
	if idt.Issuer != prov.Issuer {
		return Identity{}, refuse(ReasonIssuer, fmt.Errorf("ID token issued by %q, provider is %q", idt.Issuer, prov.Issuer))
	}
	var claims struct {
		ACR    string `json:"acr"`
		AZP    string `json:"azp"`
		Number string `json:"egovNRN"`
	}
	if err := idt.Claims(&claims); err != nil {
		return Identity{}, refuse(ReasonToken, err)
	}
	if len(idt.Audience) > 1 && claims.AZP != prov.ClientID {
		return Identity{}, refuse(ReasonToken, errors.New("several audiences and azp is not our client id"))
	}
	if idt.Subject == "" {
		return Identity{}, refuse(ReasonToken, errors.New("the ID token has no subject"))
	}
	if idt.Nonce == "" || subtle.ConstantTimeCompare(Hash(idt.Nonce), nonceHash) != 1 {
		return Identity{}, refuse(ReasonNonce, nil)
	}
	req := prov.Requirement()
	if !req.Satisfied(claims.ACR) {
		return Identity{}, refuse(ReasonACR, fmt.Errorf("acr %q does not meet %v", claims.ACR, req.ACRValues))
	}
	return Identity{Issuer: idt.Issuer, Subject: idt.Subject, ACR: claims.ACR, MFA: req.MFA, Number: claims.Number}, nil
}
