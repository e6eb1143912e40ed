package store

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/oidc"
	"github.com/kluis/kluis/internal/seal"
)

// OpenID Connect login (contract USR-2): a tenant's providers, the
// identities its users linked (matched by a blind index of issuer and
// subject, never by e-mail address), and the server-side state of flows
// in progress. Every refusal is audited in the tenant's log with its
// reason code (oidc.Reason), never with the subject or a token.

// OIDCFlowTTL is how long a started login or link may take at the
// provider.
const OIDCFlowTTL = 10 * time.Minute

// The purposes of a flow.
const (
	OIDCPurposeLogin    = "login"    // sign in
	OIDCPurposeLink     = "link"     // a signed-in user links an identity
	OIDCPurposeActivate = "activate" // an invited user links an identity instead of choosing a password
	OIDCPurposeCitizen  = "citizen"  // a citizen signs in to their own view with FAS (DSR-1)
	OIDCPurposePrefill  = "prefill"  // a citizen signs in with FAS to have a form prefilled from the register (LOC-2)
)

func oidcSecretAD(tenantID, providerID string) seal.AD {
	return seal.AD{Tenant: tenantID, Table: "oidc_providers", Column: "client_secret", Row: providerID}
}

func oidcSubjectAD(tenantID, identityID string) seal.AD {
	return seal.AD{Tenant: tenantID, Table: "oidc_identities", Column: "subject", Row: identityID}
}

func oidcVerifierAD(tenantID string, stateHash []byte) seal.AD {
	return seal.AD{Tenant: tenantID, Table: "oidc_flows", Column: "verifier", Row: hex.EncodeToString(stateHash)}
}

// oidcSubjectIndex is the blind index identities are found by: issuer and
// subject together, so the same subject at two issuers is two identities.
func (db *DB) oidcSubjectIndex(tenantID, issuer, subject string) ([]byte, error) {
	return db.keys.BlindIndex(tenantID, "oidc-subject", []byte(issuer+"\x00"+subject))
}

// AddOIDCProvider configures an OpenID provider for a tenant, its client
// secret sealed, audited as "oidc.provider.add". *oidc.ValidationError
// for bad settings; ErrConflict when the tenant has a provider of that
// name; ErrNotFound for an unknown tenant.
func (db *DB) AddOIDCProvider(ctx context.Context, actor audit.Actor, tenantID string, s oidc.Settings) (oidc.Provider, error) {
	s = s.Normalize()
	if err := s.Validate(); err != nil {
		return oidc.Provider{}, err
	}
	if err := db.requireKeys(); err != nil {
		return oidc.Provider{}, err
	}
	now := fromMicros(micros(db.now()))
	p := oidc.Provider{ID: newID(now), TenantID: tenantID, Name: s.Name, Preset: s.Preset, DisplayName: s.DisplayName,
		Issuer: s.Issuer, ClientID: s.ClientID, ClientSecret: s.ClientSecret, RequiredACR: s.RequiredACR, Enabled: true, CreatedAt: now}
	secret, err := db.keys.Seal(tenantID, oidcSecretAD(tenantID, p.ID), []byte(s.ClientSecret))
	if err != nil {
		return oidc.Provider{}, fmt.Errorf("add OpenID provider: %w", err)
	}
	err = db.write(ctx, func(tx *Tx) error {
		var n int
		if err := tx.queryRow(`SELECT count(*) FROM tenants WHERE id = $1`, tenantID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("tenant %q: %w", tenantID, ErrNotFound)
		}
		_, err := tx.exec(`INSERT INTO oidc_providers (id, tenant_id, name, preset, display_name, issuer, client_id, client_secret,
			required_acr, enabled, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1, $10)`,
			p.ID, tenantID, p.Name, string(p.Preset), p.DisplayName, p.Issuer, p.ClientID, secret,
			strings.Join(p.RequiredACR, " "), micros(now))
		if isUniqueViolation(err) {
			return fmt.Errorf("the tenant has an OpenID provider named %q: %w", p.Name, ErrConflict)
		}
		if err != nil {
			return err
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "oidc.provider.add", ObjectType: "oidc_provider",
			ObjectID: p.ID, Purpose: "login configuration: " + p.Name + " (" + string(p.Preset) + ")"})
	})
	if err != nil {
		return oidc.Provider{}, fmt.Errorf("add OpenID provider: %w", err)
	}
	return p, nil
}

const oidcProviderColumns = `id, name, preset, display_name, issuer, client_id, client_secret, required_acr, enabled, created_at`

// scanOIDCProvider reads oidcProviderColumns; with open, it opens the
// client secret.
func (db *DB) scanOIDCProvider(tenantID string, row interface{ Scan(...any) error }, open bool) (oidc.Provider, error) {
	p := oidc.Provider{TenantID: tenantID}
	var preset, acr string
	var secret []byte
	var enabled int
	var created int64
	if err := row.Scan(&p.ID, &p.Name, &preset, &p.DisplayName, &p.Issuer, &p.ClientID, &secret, &acr, &enabled, &created); err != nil {
		return p, err
	}
	p.Preset, p.Enabled, p.CreatedAt = oidc.Preset(preset), enabled != 0, fromMicros(created)
	p.RequiredACR = strings.Fields(acr)
	if open {
		s, err := db.keys.Open(tenantID, oidcSecretAD(tenantID, p.ID), secret)
		if err != nil {
			return p, ErrUnreadable
		}
		p.ClientSecret = string(s)
	}
	return p, nil
}

// OIDCProviders lists a tenant's providers by name, without their client
// secrets (for the login page and the CLI).
func (db *DB) OIDCProviders(ctx context.Context, tenantID string) ([]oidc.Provider, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT `+oidcProviderColumns+` FROM oidc_providers WHERE tenant_id = $1 ORDER BY name`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("OpenID providers: %w", err)
	}
	defer rows.Close()
	var ps []oidc.Provider
	for rows.Next() {
		p, err := db.scanOIDCProvider(tenantID, rows, false)
		if err != nil {
			return nil, fmt.Errorf("OpenID providers: %w", err)
		}
		ps = append(ps, p)
	}
	return ps, rows.Err()
}

// oidcProvider returns one provider by name or by id, its secret opened.
func (db *DB) oidcProvider(ctx context.Context, tenantID, column, value string) (oidc.Provider, error) {
	if err := db.requireKeys(); err != nil {
		return oidc.Provider{}, err
	}
	p, err := db.scanOIDCProvider(tenantID, db.sql.QueryRowContext(ctx, `SELECT `+oidcProviderColumns+` FROM oidc_providers
		WHERE tenant_id = $1 AND `+column+` = $2`, tenantID, value), true)
	if errors.Is(err, sql.ErrNoRows) {
		return oidc.Provider{}, ErrNotFound
	}
	if err != nil {
		return oidc.Provider{}, fmt.Errorf("OpenID provider: %w", err)
	}
	return p, nil
}

// OIDCProvider returns the tenant's provider called name, its client
// secret opened. ErrNotFound when there is none.
func (db *DB) OIDCProvider(ctx context.Context, tenantID, name string) (oidc.Provider, error) {
	return db.oidcProvider(ctx, tenantID, "name", name)
}

// RemoveOIDCProvider removes a provider and the identities linked through
// it, and ends its flows in progress, audited as "oidc.provider.remove"
// with the number of identities removed. ErrNotFound when the tenant has
// no provider of that name.
func (db *DB) RemoveOIDCProvider(ctx context.Context, actor audit.Actor, tenantID, name string) (int, error) {
	var removed int
	err := db.write(ctx, func(tx *Tx) error {
		var id string
		err := tx.queryRow(`SELECT id FROM oidc_providers WHERE tenant_id = $1 AND name = $2`, tenantID, name).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("OpenID provider %q: %w", name, ErrNotFound)
		}
		if err != nil {
			return err
		}
		res, err := tx.exec(`DELETE FROM oidc_identities WHERE tenant_id = $1 AND provider_id = $2`, tenantID, id)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		removed = int(n)
		if _, err := tx.exec(`DELETE FROM oidc_flows WHERE tenant_id = $1 AND provider_id = $2`, tenantID, id); err != nil {
			return err
		}
		if _, err := tx.exec(`DELETE FROM oidc_providers WHERE tenant_id = $1 AND id = $2`, tenantID, id); err != nil {
			return err
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "oidc.provider.remove", ObjectType: "oidc_provider",
			ObjectID: id, Purpose: fmt.Sprintf("login configuration: %s removed, %d linked identities removed", name, removed)})
	})
	if err != nil {
		return 0, fmt.Errorf("remove OpenID provider: %w", err)
	}
	return removed, nil
}

// OIDCFlowStart is what a new flow remembers besides the provider's
// secrets (oidc.Start).
type OIDCFlowStart struct {
	Purpose string // OIDCPurposeLogin, OIDCPurposeLink or OIDCPurposeActivate
	UserID  string // link: the signed-in user
	// InvitationToken is the activation link's token (activate).
	InvitationToken string
	// Binding is the value of the browser's flow cookie: the callback must
	// come from the browser that started the flow.
	Binding string
	Next    string // where to go afterwards; checked again on use
}

// BeginOIDCFlow stores a flow's state for OIDCFlowTTL: the hashes of its
// state, nonce and browser binding and its sealed PKCE verifier. Expired
// flows of the tenant are deleted on the way. For activate, the
// invitation must still be valid (account.ErrTokenInvalid otherwise).
func (db *DB) BeginOIDCFlow(ctx context.Context, tenantID string, prov oidc.Provider, st oidc.Start, in OIDCFlowStart) error {
	if err := db.requireKeys(); err != nil {
		return err
	}
	switch in.Purpose {
	case OIDCPurposeLogin, OIDCPurposeLink, OIDCPurposeActivate, OIDCPurposeCitizen, OIDCPurposePrefill:
	default:
		return fmt.Errorf("begin OpenID flow: unknown purpose %q", in.Purpose)
	}
	stateHash := oidc.Hash(st.State)
	verifier, err := db.keys.Seal(tenantID, oidcVerifierAD(tenantID, stateHash), []byte(st.Verifier))
	if err != nil {
		return fmt.Errorf("begin OpenID flow: %w", err)
	}
	err = db.write(ctx, func(tx *Tx) error {
		now := db.now()
		var userID any
		var invitation any
		switch in.Purpose {
		case OIDCPurposeLink:
			userID = in.UserID
		case OIDCPurposeActivate:
			hash := account.HashToken(in.InvitationToken)
			var uid string
			err := tx.queryRow(`SELECT user_id FROM invitations WHERE token_hash = $1 AND tenant_id = $2 AND used_at IS NULL
				AND expires_at > $3`, hash, tenantID, micros(now)).Scan(&uid)
			if errors.Is(err, sql.ErrNoRows) {
				return account.ErrTokenInvalid
			}
			if err != nil {
				return err
			}
			userID, invitation = uid, hash
		}
		if _, err := tx.exec(`DELETE FROM oidc_flows WHERE tenant_id = $1 AND expires_at < $2`, tenantID, micros(now)); err != nil {
			return err
		}
		_, err := tx.exec(`INSERT INTO oidc_flows (state_hash, tenant_id, provider_id, purpose, user_id, invitation_hash, binding_hash,
			nonce_hash, verifier, next, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
			stateHash, tenantID, prov.ID, in.Purpose, userID, invitation, oidc.Hash(in.Binding), oidc.Hash(st.Nonce), verifier,
			in.Next, micros(now), micros(now.Add(OIDCFlowTTL)))
		return err
	})
	if errors.Is(err, account.ErrTokenInvalid) {
		return err
	}
	if err != nil {
		return fmt.Errorf("begin OpenID flow: %w", err)
	}
	return nil
}

// OIDCFlow is a flow taken back at the callback.
type OIDCFlow struct {
	Provider       oidc.Provider // its client secret opened
	Purpose        string
	UserID         string
	InvitationHash []byte
	NonceHash      []byte
	Verifier       string
	Next           string
}

// oidcRefusalEvent is the audit event of a refused login or link.
func oidcRefusalEvent(tenantID, requestID, purpose, providerName, userID string, reason oidc.Reason) audit.Event {
	actor := audit.Actor{Kind: audit.KindUser, ID: "anonymous", RequestID: requestID}
	e := audit.Event{TenantID: tenantID, Action: "login.failure", ObjectType: "user", Outcome: audit.OutcomeFailure}
	if purpose == OIDCPurposeLink || purpose == OIDCPurposeActivate {
		e.Action = "oidc.link"
	}
	if userID != "" {
		actor.ID = userID
		e.ObjectID, e.Subject = userID, userID
	}
	e.Actor = actor
	e.Purpose = "oidc: " + string(reason)
	if providerName != "" {
		e.Purpose = "oidc " + providerName + ": " + string(reason)
	}
	return e
}

// TakeOIDCFlow spends the flow whose state the provider sent back: it
// must exist in the tenant, be unused and unexpired, and have been started
// by this browser (binding). It can be taken once, however many callbacks
// arrive. Otherwise the refusal is audited ("login.failure", reason
// bad_state) and returned as *oidc.Refusal.
func (db *DB) TakeOIDCFlow(ctx context.Context, tenantID, state, binding, requestID string) (OIDCFlow, error) {
	if err := db.requireKeys(); err != nil {
		return OIDCFlow{}, err
	}
	stateHash := oidc.Hash(state)
	var f OIDCFlow
	var providerID string
	err := db.write(ctx, func(tx *Tx) error {
		now := micros(db.now())
		var userID sql.NullString
		var bindingHash, verifier []byte
		err := tx.queryRow(`SELECT provider_id, purpose, user_id, invitation_hash, binding_hash, nonce_hash, verifier, next
			FROM oidc_flows WHERE state_hash = $1 AND tenant_id = $2 AND used_at IS NULL AND expires_at > $3`+tx.forUpdate(),
			stateHash, tenantID, now).Scan(&providerID, &f.Purpose, &userID, &f.InvitationHash, &bindingHash, &f.NonceHash, &verifier, &f.Next)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && (binding == "" || !equalHash(bindingHash, oidc.Hash(binding)))) {
			if err := tx.appendAudit(oidcRefusalEvent(tenantID, requestID, "", "", "", oidc.ReasonBadState)); err != nil {
				return err
			}
			return keep(&oidc.Refusal{Reason: oidc.ReasonBadState})
		}
		if err != nil {
			return err
		}
		res, err := tx.exec(`UPDATE oidc_flows SET used_at = $1 WHERE state_hash = $2 AND used_at IS NULL`, now, stateHash)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			if err := tx.appendAudit(oidcRefusalEvent(tenantID, requestID, "", "", "", oidc.ReasonBadState)); err != nil {
				return err
			}
			return keep(&oidc.Refusal{Reason: oidc.ReasonBadState})
		}
		f.UserID = userID.String
		v, err := db.keys.Open(tenantID, oidcVerifierAD(tenantID, stateHash), verifier)
		if err != nil {
			return ErrUnreadable
		}
		f.Verifier = string(v)
		return nil
	})
	if oidc.ReasonOf(err) != "" {
		return OIDCFlow{}, err
	}
	if err != nil {
		return OIDCFlow{}, fmt.Errorf("take OpenID flow: %w", err)
	}
	p, err := db.oidcProvider(ctx, tenantID, "id", providerID)
	if err != nil {
		return OIDCFlow{}, fmt.Errorf("take OpenID flow: %w", err)
	}
	f.Provider = p
	return f, nil
}

func equalHash(a, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	var v byte
	for i := range a {
		v |= a[i] ^ b[i]
	}
	return v == 0
}

// AuditOIDCRefusal records a login or link the provider's answer did not
// pass (oidc.Refusal's reason), in the tenant's log.
func (db *DB) AuditOIDCRefusal(ctx context.Context, tenantID string, f OIDCFlow, reason oidc.Reason, requestID string) error {
	return db.write(ctx, func(tx *Tx) error {
		return tx.appendAudit(oidcRefusalEvent(tenantID, requestID, f.Purpose, f.Provider.Name, f.UserID, reason))
	})
}

// OIDCLogin signs in the user who linked id (matched by issuer and
// subject only) and opens a session, MFA-verified when the provider's
// acr requirement counts as the second factor (id.MFA). Audited as
// "login.success", or "login.failure" with reason unknown_identity or
// account_not_active, returned as *oidc.Refusal. A password lockout does
// not stop an OpenID login: it counts password guesses, and the provider
// authenticated the person itself.
func (db *DB) OIDCLogin(ctx context.Context, tenantID string, prov oidc.Provider, id oidc.Identity, requestID string,
	opts ...LoginOption) (account.User, SessionToken, error) {
	if err := db.requireKeys(); err != nil {
		return account.User{}, "", err
	}
	cfg := loginOptions(opts)
	index, err := db.oidcSubjectIndex(tenantID, id.Issuer, id.Subject)
	if err != nil {
		return account.User{}, "", fmt.Errorf("OpenID login: %w", err)
	}
	token, idHash, err := newSessionToken()
	if err != nil {
		return account.User{}, "", fmt.Errorf("OpenID login: %w", err)
	}
	var u account.User
	err = db.write(ctx, func(tx *Tx) error {
		refuse := func(userID string, reason oidc.Reason) error {
			if err := tx.appendAudit(oidcRefusalEvent(tenantID, requestID, OIDCPurposeLogin, prov.Name, userID, reason)); err != nil {
				return err
			}
			return keep(&oidc.Refusal{Reason: reason})
		}
		var identityID, userID string
		err := tx.queryRow(`SELECT id, user_id FROM oidc_identities WHERE tenant_id = $1 AND subject_index = $2`, tenantID, index).
			Scan(&identityID, &userID)
		if errors.Is(err, sql.ErrNoRows) {
			return refuse("", oidc.ReasonUnknownIdentity)
		}
		if err != nil {
			return err
		}
		r, err := tx.loginRowByID(tenantID, userID)
		if err != nil {
			return err
		}
		if r.status != account.StatusActive {
			return refuse(userID, oidc.ReasonAccountInactive)
		}
		now := fromMicros(micros(db.now()))
		if _, err := tx.exec(`UPDATE oidc_identities SET last_used_at = $1 WHERE tenant_id = $2 AND id = $3`, micros(now), tenantID, identityID); err != nil {
			return err
		}
		if u, err = tx.openSession(tenantID, userID, idHash, now, cfg, id.MFA); err != nil {
			return err
		}
		// The session remembers the provider it came through: the
		// controller accepts the agreement only after a FAS login.
		if _, err := tx.exec(`UPDATE sessions SET login_method = $1 WHERE id_hash = $2`, string(prov.Preset), idHash); err != nil {
			return err
		}
		purpose := "login: oidc " + prov.Name
		if id.MFA {
			purpose += " (second factor: acr met)"
		}
		return tx.appendAudit(loginEvent(tenantID, &r, requestID, "login.success", audit.OutcomeSuccess, purpose))
	})
	if oidc.ReasonOf(err) != "" {
		return account.User{}, "", err
	}
	if err != nil {
		return account.User{}, "", fmt.Errorf("OpenID login: %w", err)
	}
	return u, token, nil
}

// linkIdentity inserts the identity of userID, or refuses (kept audit
// event, *oidc.Refusal) when another user linked it already. Linking the
// same identity to the same user again succeeds without a new row.
func (tx *Tx) linkIdentity(tenantID, userID string, prov oidc.Provider, id oidc.Identity, requestID string, actor audit.Actor) error {
	db := tx.db
	index, err := db.oidcSubjectIndex(tenantID, id.Issuer, id.Subject)
	if err != nil {
		return err
	}
	var owner string
	err = tx.queryRow(`SELECT user_id FROM oidc_identities WHERE tenant_id = $1 AND subject_index = $2`, tenantID, index).Scan(&owner)
	switch {
	case err == nil && owner != userID:
		if err := tx.appendAudit(oidcRefusalEvent(tenantID, requestID, OIDCPurposeLink, prov.Name, userID, oidc.ReasonIdentityTaken)); err != nil {
			return err
		}
		return keep(&oidc.Refusal{Reason: oidc.ReasonIdentityTaken})
	case err == nil:
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "oidc.link", ObjectType: "user", ObjectID: userID,
			Subject: userID, Purpose: "oidc " + prov.Name + ": linked already"})
	case !errors.Is(err, sql.ErrNoRows):
		return err
	}
	now := fromMicros(micros(db.now()))
	identityID := newID(now)
	subject, err := db.keys.Seal(tenantID, oidcSubjectAD(tenantID, identityID), []byte(id.Subject))
	if err != nil {
		return err
	}
	if _, err := tx.exec(`INSERT INTO oidc_identities (id, tenant_id, user_id, provider_id, subject_index, subject, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, identityID, tenantID, userID, prov.ID, index, subject, micros(now)); err != nil {
		return err
	}
	return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "oidc.link", ObjectType: "oidc_identity",
		ObjectID: identityID, Subject: userID, Purpose: "oidc " + prov.Name + ": identity linked"})
}

// LinkOIDCIdentity links id to a signed-in, active user of the tenant,
// audited as "oidc.link". *oidc.Refusal (audited) when another user of
// the tenant linked that identity; ErrNotFound for a user not in tenantID.
func (db *DB) LinkOIDCIdentity(ctx context.Context, actor audit.Actor, tenantID, userID string, prov oidc.Provider, id oidc.Identity) error {
	if err := db.requireKeys(); err != nil {
		return err
	}
	err := db.write(ctx, func(tx *Tx) error {
		r, err := tx.loginRowByID(tenantID, userID)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("user %q: %w", userID, ErrNotFound)
		}
		if err != nil {
			return err
		}
		if r.status != account.StatusActive {
			return fmt.Errorf("user is not active: %w", ErrConflict)
		}
		return tx.linkIdentity(tenantID, userID, prov, id, actor.RequestID, actor)
	})
	if oidc.ReasonOf(err) != "" {
		return err
	}
	if err != nil {
		return fmt.Errorf("link OpenID identity: %w", err)
	}
	return nil
}

// ActivateWithOIDC uses an invitation (by its token's hash, kept in the
// flow) to activate the invited user with a linked identity instead of a
// password: the identity is linked, the user becomes active, the
// invitation is spent, in one transaction with "oidc.link" and
// "user.activate". account.ErrTokenInvalid when the invitation was used
// or expired meanwhile; *oidc.Refusal when the identity belongs to
// another user.
func (db *DB) ActivateWithOIDC(ctx context.Context, tenantID string, f OIDCFlow, id oidc.Identity, requestID string) (account.User, error) {
	if err := db.requireKeys(); err != nil {
		return account.User{}, err
	}
	index, err := db.oidcSubjectIndex(tenantID, id.Issuer, id.Subject)
	if err != nil {
		return account.User{}, fmt.Errorf("activate with OpenID: %w", err)
	}
	var u account.User
	err = db.write(ctx, func(tx *Tx) error {
		// An identity another user linked is refused before anything is
		// written: the refusal's audit event is kept, the invitation stays
		// usable.
		var owner string
		err := tx.queryRow(`SELECT user_id FROM oidc_identities WHERE tenant_id = $1 AND subject_index = $2`, tenantID, index).Scan(&owner)
		if err == nil && owner != f.UserID {
			if err := tx.appendAudit(oidcRefusalEvent(tenantID, requestID, OIDCPurposeActivate, f.Provider.Name, f.UserID,
				oidc.ReasonIdentityTaken)); err != nil {
				return err
			}
			return keep(&oidc.Refusal{Reason: oidc.ReasonIdentityTaken})
		}
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		now := micros(db.now())
		res, err := tx.exec(`UPDATE invitations SET used_at = $1 WHERE token_hash = $2 AND tenant_id = $3 AND user_id = $4
			AND used_at IS NULL AND expires_at > $1`, now, f.InvitationHash, tenantID, f.UserID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return account.ErrTokenInvalid
		}
		u, err = db.scanUser(tenantID, tx.queryRow(`SELECT `+userColumns+` FROM users WHERE tenant_id = $1 AND id = $2`, tenantID, f.UserID))
		if err != nil {
			return err
		}
		if u.Status != account.StatusInvited {
			return account.ErrTokenInvalid
		}
		actor := audit.Actor{Kind: audit.KindUser, ID: u.ID, Role: string(u.Role), RequestID: requestID}
		if err := tx.linkIdentity(tenantID, u.ID, f.Provider, id, requestID, actor); err != nil {
			return err
		}
		if _, err := tx.exec(`UPDATE users SET status = $1 WHERE tenant_id = $2 AND id = $3`, account.StatusActive, tenantID, u.ID); err != nil {
			return err
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "user.activate", ObjectType: "user", ObjectID: u.ID,
			Purpose: "activation with oidc " + f.Provider.Name})
	})
	if oidc.ReasonOf(err) != "" || errors.Is(err, account.ErrTokenInvalid) {
		return account.User{}, err
	}
	if err != nil {
		return account.User{}, fmt.Errorf("activate with OpenID: %w", err)
	}
	u.Status = account.StatusActive
	return u, nil
}

// LinkedIdentity is one identity a user linked, as the account page shows
// it: which provider and when, never the subject.
type LinkedIdentity struct {
	ID           string
	ProviderName string
	Preset       oidc.Preset
	DisplayName  string
	CreatedAt    time.Time
	LastUsedAt   *time.Time
}

// OIDCIdentities lists the identities a user linked. The subject stays
// sealed, so this is not a read of personal data.
func (db *DB) OIDCIdentities(ctx context.Context, tenantID, userID string) ([]LinkedIdentity, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT i.id, p.name, p.preset, p.display_name, i.created_at, i.last_used_at
		FROM oidc_identities i JOIN oidc_providers p ON p.id = i.provider_id AND p.tenant_id = i.tenant_id
		WHERE i.tenant_id = $1 AND i.user_id = $2 ORDER BY i.created_at, i.id`, tenantID, userID)
	if err != nil {
		return nil, fmt.Errorf("OpenID identities: %w", err)
	}
	defer rows.Close()
	var ids []LinkedIdentity
	for rows.Next() {
		var li LinkedIdentity
		var preset string
		var created int64
		var last sql.NullInt64
		if err := rows.Scan(&li.ID, &li.ProviderName, &preset, &li.DisplayName, &created, &last); err != nil {
			return nil, fmt.Errorf("OpenID identities: %w", err)
		}
		li.Preset, li.CreatedAt = oidc.Preset(preset), fromMicros(created)
		if last.Valid {
			t := fromMicros(last.Int64)
			li.LastUsedAt = &t
		}
		ids = append(ids, li)
	}
	return ids, rows.Err()
}

// UnlinkOIDCIdentity removes one of the user's linked identities, audited
// as "oidc.unlink". ErrNotFound when the user has no such identity (also
// another user's or another tenant's).
func (db *DB) UnlinkOIDCIdentity(ctx context.Context, actor audit.Actor, tenantID, userID, identityID string) error {
	err := db.write(ctx, func(tx *Tx) error {
		res, err := tx.exec(`DELETE FROM oidc_identities WHERE tenant_id = $1 AND user_id = $2 AND id = $3`, tenantID, userID, identityID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fmt.Errorf("identity %q: %w", identityID, ErrNotFound)
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "oidc.unlink", ObjectType: "oidc_identity",
			ObjectID: identityID, Subject: userID, Purpose: "oidc: identity unlinked"})
	})
	if err != nil {
		return fmt.Errorf("unlink OpenID identity: %w", err)
	}
	return nil
}
