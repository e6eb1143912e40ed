package store

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/passkey"
	"github.com/kluis/kluis/internal/seal"
)

// ErrPasskeyFailed is the one answer to a passkey ceremony whose answer is
// refused: a wrong origin, challenge or signature, a used or expired
// ceremony, an unknown credential (also another tenant's), a counter that
// did not go up, an inactive account. The reason is in the tenant's audit
// log ("passkey.refused"), not in the error.
var ErrPasskeyFailed = errors.New("the passkey was not accepted")

// ErrLastSecondFactor refuses removing the last second factor of a user
// whose role requires one (admins and DPOs).
var ErrLastSecondFactor = errors.New("the last second factor of an admin, DPO or site editor cannot be removed")

// Passkey is a registered passkey as its owner sees it.
type Passkey struct {
	ID         string
	Name       string // the owner's label, opened
	CreatedAt  time.Time
	LastUsedAt time.Time // zero: never used to sign in
	Unreadable bool      // the name did not open; listed without it
}

func passkeyNameAD(tenantID, id string) seal.AD {
	return seal.AD{Tenant: tenantID, Table: "passkeys", Column: "name", Row: id}
}

// passkeyHandle returns the user's WebAuthn user handle, creating it when
// create is set and the user has none. nil when there is none.
func (tx *Tx) passkeyHandle(tenantID, userID string, create bool) ([]byte, error) {
	var h []byte
	err := tx.queryRow(`SELECT handle FROM passkey_users WHERE tenant_id = $1 AND user_id = $2`, tenantID, userID).Scan(&h)
	if err == nil {
		return h, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	if !create {
		return nil, nil
	}
	h = make([]byte, 32)
	if _, err := rand.Read(h); err != nil {
		return nil, err
	}
	if _, err := tx.exec(`INSERT INTO passkey_users (user_id, tenant_id, handle, created_at) VALUES ($1, $2, $3, $4)`,
		userID, tenantID, h, micros(tx.db.now())); err != nil {
		return nil, err
	}
	return h, nil
}

// passkeyRow is a stored credential with its row id and owner.
type passkeyRow struct {
	id, userID string
	cred       passkey.Credential
}

const passkeyColumns = `id, user_id, credential_id, public_key, sign_count, aaguid, transports, flags, attestation_format`

func scanPasskeyRow(row interface{ Scan(...any) error }) (passkeyRow, error) {
	var r passkeyRow
	var count int64
	var transports string
	var flags int
	if err := row.Scan(&r.id, &r.userID, &r.cred.ID, &r.cred.PublicKey, &count, &r.cred.AAGUID, &transports, &flags,
		&r.cred.AttestationFormat); err != nil {
		return r, err
	}
	r.cred.SignCount, r.cred.Flags = uint32(count), passkey.Flags(flags)
	if transports != "" {
		r.cred.Transports = strings.Split(transports, ",")
	}
	return r, nil
}

// userPasskeys returns the user's credentials.
func (tx *Tx) userPasskeys(tenantID, userID string) ([]passkeyRow, error) {
	rows, err := tx.tx.QueryContext(tx.ctx, `SELECT `+passkeyColumns+` FROM passkeys WHERE tenant_id = $1 AND user_id = $2
		ORDER BY created_at, id`, tenantID, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []passkeyRow
	for rows.Next() {
		r, err := scanPasskeyRow(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func creds(rows []passkeyRow) []passkey.Credential {
	out := make([]passkey.Credential, len(rows))
	for i, r := range rows {
		out[i] = r.cred
	}
	return out
}

// saveCeremony stores a ceremony's state until it is answered or expires,
// and clears the expired ones.
func (tx *Tx) saveCeremony(tenantID string, kind passkey.Kind, sessHash []byte, userID string, c passkey.Ceremony) error {
	now := tx.db.now()
	if _, err := tx.exec(`DELETE FROM passkey_ceremonies WHERE expires_at < $1`, micros(now)); err != nil {
		return err
	}
	var uid any
	if userID != "" {
		uid = userID
	}
	_, err := tx.exec(`INSERT INTO passkey_ceremonies (challenge_hash, tenant_id, kind, session_hash, user_id, state, created_at,
		expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, passkey.ChallengeHash(c.Challenge), tenantID, string(kind), sessHash,
		uid, string(c.State), micros(now), micros(now.Add(passkey.CeremonyTimeout)))
	return err
}

// takeCeremony finds the ceremony an answer's challenge names and deletes
// it, so that it is answered once: right or wrong, a second answer finds
// nothing. It returns the ceremony's state, or a refusal reason when the
// challenge is unknown or used, of another tenant, kind, session or user,
// or expired.
func (tx *Tx) takeCeremony(tenantID string, kind passkey.Kind, challenge, sessHash []byte, userID string) ([]byte, string, error) {
	h := passkey.ChallengeHash(challenge)
	var gotKind, state string
	var gotSess []byte
	var gotUser sql.NullString
	var expires int64
	err := tx.queryRow(`SELECT kind, session_hash, user_id, state, expires_at FROM passkey_ceremonies
		WHERE challenge_hash = $1 AND tenant_id = $2`+tx.forUpdate(), h, tenantID).Scan(&gotKind, &gotSess, &gotUser, &state, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, passkey.ReasonChallenge, nil
	}
	if err != nil {
		return nil, "", err
	}
	res, err := tx.exec(`DELETE FROM passkey_ceremonies WHERE challenge_hash = $1 AND tenant_id = $2`, h, tenantID)
	if err != nil {
		return nil, "", err
	}
	if n, err := res.RowsAffected(); err != nil {
		return nil, "", err
	} else if n != 1 {
		return nil, passkey.ReasonChallenge, nil // answered on another node first
	}
	switch {
	case gotKind != string(kind), !bytes.Equal(gotSess, sessHash), gotUser.String != userID:
		return nil, passkey.ReasonChallenge, nil
	case !tx.db.now().Before(fromMicros(expires)):
		return nil, passkey.ReasonExpired, nil
	}
	return []byte(state), "", nil
}

// passkeyRefused records a refused answer ("passkey.refused", the reason
// in Purpose) and returns the error that keeps the record and the spent
// ceremony.
func (tx *Tx) passkeyRefused(tenantID string, actor audit.Actor, userID, reason string) error {
	e := audit.Event{TenantID: tenantID, Actor: actor, Action: "passkey.refused", ObjectType: "user", ObjectID: userID,
		Subject: userID, Outcome: audit.OutcomeFailure, Purpose: reason}
	if err := tx.appendAudit(e); err != nil {
		return err
	}
	return keep(ErrPasskeyFailed)
}

// activeUser reads a user's role and status; found is false when the user
// is not in tenantID.
func (tx *Tx) activeUser(tenantID, userID string) (role string, active, found bool, err error) {
	var status string
	err = tx.queryRow(`SELECT role, status FROM users WHERE tenant_id = $1 AND id = $2`, tenantID, userID).Scan(&role, &status)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, false, nil
	}
	return role, status == account.StatusActive, err == nil, err
}

// BeginPasskeyRegistration makes the options for adding a passkey to a
// signed-in user (whose session token is sessionToken), giving the user a
// random WebAuthn user handle on first use. name and display go to the
// user's own authenticator only. The ceremony is kept for
// passkey.CeremonyTimeout, bound to the session. ErrNotFound for a user not
// in tenantID; ErrConflict for an inactive one.
func (db *DB) BeginPasskeyRegistration(ctx context.Context, rp *passkey.RP, tenantID, userID, sessionToken, name,
	display string) ([]byte, error) {
	var options []byte
	err := db.write(ctx, func(tx *Tx) error {
		_, active, found, err := tx.activeUser(tenantID, userID)
		switch {
		case err != nil:
			return err
		case !found:
			return fmt.Errorf("user %q: %w", userID, ErrNotFound)
		case !active:
			return fmt.Errorf("user is not active: %w", ErrConflict)
		}
		handle, err := tx.passkeyHandle(tenantID, userID, true)
		if err != nil {
			return err
		}
		existing, err := tx.userPasskeys(tenantID, userID)
		if err != nil {
			return err
		}
		opts, c, err := rp.BeginRegistration(handle, name, display, creds(existing))
		if err != nil {
			return err
		}
		options = opts
		return tx.saveCeremony(tenantID, passkey.KindRegister, sessionHash(sessionToken), userID, c)
	})
	if err != nil {
		return nil, fmt.Errorf("begin passkey registration: %w", err)
	}
	return options, nil
}

// FinishPasskeyRegistration checks the browser's answer to the user's
// registration ceremony (of this session, unexpired, unused) and stores
// the new passkey with its name (sealed). Audited as "passkey.add"; a
// refused answer as "passkey.refused" with the reason, and answered with
// ErrPasskeyFailed (the ceremony is spent either way). name must be
// passkey.CleanName's.
func (db *DB) FinishPasskeyRegistration(ctx context.Context, rp *passkey.RP, actor audit.Actor, tenantID, userID,
	sessionToken, name string, reg *passkey.Registration) (Passkey, error) {
	if err := db.requireKeys(); err != nil {
		return Passkey{}, err
	}
	if n, ok := passkey.CleanName(name); !ok || n != name {
		return Passkey{}, fmt.Errorf("finish passkey registration: name not cleaned")
	}
	var pk Passkey
	err := db.write(ctx, func(tx *Tx) error {
		state, reason, err := tx.takeCeremony(tenantID, passkey.KindRegister, reg.Challenge, sessionHash(sessionToken), userID)
		if err != nil {
			return err
		}
		if reason != "" {
			return tx.passkeyRefused(tenantID, actor, userID, reason)
		}
		_, active, found, err := tx.activeUser(tenantID, userID)
		if err != nil {
			return err
		}
		if !found || !active {
			return tx.passkeyRefused(tenantID, actor, userID, passkey.ReasonInactive)
		}
		handle, err := tx.passkeyHandle(tenantID, userID, false)
		if err != nil {
			return err
		}
		cred, err := rp.FinishRegistration(state, handle, reg)
		if err != nil {
			return tx.passkeyRefused(tenantID, actor, userID, passkey.ReasonOf(err))
		}
		var dup int
		if err := tx.queryRow(`SELECT count(*) FROM passkeys WHERE credential_id = $1`, cred.ID).Scan(&dup); err != nil {
			return err
		}
		if dup > 0 {
			return tx.passkeyRefused(tenantID, actor, userID, passkey.ReasonDuplicate)
		}
		now := fromMicros(micros(db.now()))
		id := newID(now)
		sealed, err := db.keys.Seal(tenantID, passkeyNameAD(tenantID, id), []byte(name))
		if err != nil {
			return err
		}
		if _, err := tx.exec(`INSERT INTO passkeys (id, tenant_id, user_id, credential_id, public_key, sign_count, aaguid,
			transports, flags, attestation_format, name, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
			id, tenantID, userID, cred.ID, cred.PublicKey, int64(cred.SignCount), cred.AAGUID, strings.Join(cred.Transports, ","),
			int(cred.Flags), cred.AttestationFormat, sealed, micros(now)); err != nil {
			return err
		}
		pk = Passkey{ID: id, Name: name, CreatedAt: now}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "passkey.add", ObjectType: "passkey",
			ObjectID: id, Subject: userID, Purpose: "mfa: passkey added"})
	})
	if errors.Is(err, ErrPasskeyFailed) {
		return Passkey{}, ErrPasskeyFailed
	}
	if err != nil {
		return Passkey{}, fmt.Errorf("finish passkey registration: %w", err)
	}
	return pk, nil
}

// BeginPasskeySecondFactor makes the options for the second login step of
// a session pending its second factor: one of the user's passkeys. The
// ceremony is bound to the session. ErrNotFound when the user has no
// passkey (or is not in tenantID).
func (db *DB) BeginPasskeySecondFactor(ctx context.Context, rp *passkey.RP, tenantID, userID, sessionToken string) ([]byte, error) {
	var options []byte
	err := db.write(ctx, func(tx *Tx) error {
		handle, err := tx.passkeyHandle(tenantID, userID, false)
		if err != nil {
			return err
		}
		existing, err := tx.userPasskeys(tenantID, userID)
		if err != nil {
			return err
		}
		if handle == nil || len(existing) == 0 {
			return fmt.Errorf("no passkey for user %q: %w", userID, ErrNotFound)
		}
		opts, c, err := rp.BeginSecondFactor(handle, creds(existing))
		if err != nil {
			return err
		}
		options = opts
		return tx.saveCeremony(tenantID, passkey.KindSecondFactor, sessionHash(sessionToken), userID, c)
	})
	if err != nil {
		return nil, fmt.Errorf("begin passkey second factor: %w", err)
	}
	return options, nil
}

// BeginPasskeyLogin makes the options of a passwordless login on tenantID:
// a discoverable credential with user verification. The ceremony is bound
// to its challenge only (there is no session yet).
func (db *DB) BeginPasskeyLogin(ctx context.Context, rp *passkey.RP, tenantID string) ([]byte, error) {
	var options []byte
	err := db.write(ctx, func(tx *Tx) error {
		opts, c, err := rp.BeginLogin()
		if err != nil {
			return err
		}
		options = opts
		return tx.saveCeremony(tenantID, passkey.KindLogin, nil, "", c)
	})
	if err != nil {
		return nil, fmt.Errorf("begin passkey login: %w", err)
	}
	return options, nil
}

// verifyPasskey checks an assertion by the stored credential it names,
// which must belong to userID in tenantID, and moves the credential's
// counter and last use. reason is set when it is refused.
func (tx *Tx) verifyPasskey(rp *passkey.RP, kind passkey.Kind, state []byte, tenantID, userID string,
	a *passkey.Assertion) (id, reason string, err error) {
	r, err := scanPasskeyRow(tx.queryRow(`SELECT `+passkeyColumns+` FROM passkeys WHERE tenant_id = $1 AND credential_id = $2`+
		tx.forUpdate(), tenantID, a.CredentialID))
	if errors.Is(err, sql.ErrNoRows) || (err == nil && r.userID != userID) {
		return "", passkey.ReasonUnknown, nil
	}
	if err != nil {
		return "", "", err
	}
	handle, err := tx.passkeyHandle(tenantID, userID, false)
	if err != nil {
		return "", "", err
	}
	count, err := rp.VerifyAssertion(kind, state, handle, r.cred, a)
	if err != nil {
		return r.id, passkey.ReasonOf(err), nil
	}
	if _, err := tx.exec(`UPDATE passkeys SET sign_count = $1, last_used_at = $2 WHERE id = $3 AND tenant_id = $4`,
		int64(count), micros(tx.db.now()), r.id, tenantID); err != nil {
		return "", "", err
	}
	return r.id, "", nil
}

// FinishPasskeySecondFactor checks the answer to the second-factor
// ceremony of the session sessionToken: signed by one of the user's
// passkeys, with a counter that went up. Audited with requestID as
// "passkey.use"; a refusal as "passkey.refused" (the reason in Purpose,
// the counter's going backwards included) and ErrPasskeyFailed. The
// caller then marks the session (MarkSessionMFA).
func (db *DB) FinishPasskeySecondFactor(ctx context.Context, rp *passkey.RP, tenantID, userID, sessionToken, requestID string,
	a *passkey.Assertion) error {
	err := db.write(ctx, func(tx *Tx) error {
		role, active, found, err := tx.activeUser(tenantID, userID)
		if err != nil {
			return err
		}
		actor := audit.Actor{Kind: audit.KindUser, ID: userID, Role: role, RequestID: requestID}
		if !found {
			actor.ID = "anonymous"
		}
		state, reason, err := tx.takeCeremony(tenantID, passkey.KindSecondFactor, a.Challenge, sessionHash(sessionToken), userID)
		if err != nil {
			return err
		}
		if reason == "" && (!found || !active) {
			reason = passkey.ReasonInactive
		}
		if reason != "" {
			return tx.passkeyRefused(tenantID, actor, userID, reason)
		}
		id, reason, err := tx.verifyPasskey(rp, passkey.KindSecondFactor, state, tenantID, userID, a)
		if err != nil {
			return err
		}
		if reason != "" {
			return tx.passkeyRefused(tenantID, actor, userID, reason)
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "passkey.use", ObjectType: "passkey",
			ObjectID: id, Subject: userID, Purpose: "mfa: passkey as second factor"})
	})
	if errors.Is(err, ErrPasskeyFailed) {
		return ErrPasskeyFailed
	}
	if err != nil {
		return fmt.Errorf("finish passkey second factor: %w", err)
	}
	return nil
}

// PasskeyLogin is the passwordless login (contract USR-2): the answer to a
// login ceremony of tenantID, signed with user verification by a passkey
// of this tenant whose user handle matches its owner's, who is active and
// not locked. It opens a session that has passed its second factor (the
// passkey is something the user has, its user verification something they
// know or are). Audited with requestID as "passkey.use" and
// "login.success"; a refusal as "passkey.refused" (the reason in Purpose)
// and ErrPasskeyFailed. Another tenant's passkey is an unknown credential
// here.
func (db *DB) PasskeyLogin(ctx context.Context, rp *passkey.RP, tenantID, requestID string, a *passkey.Assertion,
	opts ...LoginOption) (account.User, SessionToken, error) {
	if err := db.requireKeys(); err != nil {
		return account.User{}, "", err
	}
	cfg := loginOptions(opts)
	token, idHash, err := newSessionToken()
	if err != nil {
		return account.User{}, "", fmt.Errorf("passkey login: %w", err)
	}
	var u account.User
	err = db.write(ctx, func(tx *Tx) error {
		anon := audit.Actor{Kind: audit.KindUser, ID: "anonymous", RequestID: requestID}
		state, reason, err := tx.takeCeremony(tenantID, passkey.KindLogin, a.Challenge, nil, "")
		if err != nil {
			return err
		}
		if reason != "" {
			return tx.passkeyRefused(tenantID, anon, "", reason)
		}
		// The owner of the credential, in this tenant only.
		var userID string
		err = tx.queryRow(`SELECT user_id FROM passkeys WHERE tenant_id = $1 AND credential_id = $2`, tenantID, a.CredentialID).
			Scan(&userID)
		if errors.Is(err, sql.ErrNoRows) {
			return tx.passkeyRefused(tenantID, anon, "", passkey.ReasonUnknown)
		}
		if err != nil {
			return err
		}
		r, err := tx.loginRowByID(tenantID, userID)
		if err != nil {
			return err
		}
		now := fromMicros(micros(db.now()))
		actor := audit.Actor{Kind: audit.KindUser, ID: r.id, Role: r.role, RequestID: requestID}
		if r.status != account.StatusActive || r.lock.Locked(now) {
			return tx.passkeyRefused(tenantID, actor, userID, passkey.ReasonInactive)
		}
		id, reason, err := tx.verifyPasskey(rp, passkey.KindLogin, state, tenantID, userID, a)
		if err != nil {
			return err
		}
		if reason != "" {
			return tx.passkeyRefused(tenantID, actor, userID, reason)
		}
		if u, err = tx.openSession(tenantID, userID, idHash, now, cfg, true); err != nil {
			return err
		}
		if err := tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "passkey.use", ObjectType: "passkey",
			ObjectID: id, Subject: userID, Purpose: "login: passkey with user verification"}); err != nil {
			return err
		}
		return tx.appendAudit(loginEvent(tenantID, &r, requestID, "login.success", audit.OutcomeSuccess, "login: passkey"))
	})
	if errors.Is(err, ErrPasskeyFailed) {
		return account.User{}, "", ErrPasskeyFailed
	}
	if err != nil {
		return account.User{}, "", fmt.Errorf("passkey login: %w", err)
	}
	return u, token, nil
}

// Passkeys lists a user's passkeys, oldest first, names opened. Empty for
// a user not in tenantID.
func (db *DB) Passkeys(ctx context.Context, tenantID, userID string) ([]Passkey, error) {
	if err := db.requireKeys(); err != nil {
		return nil, err
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT id, name, created_at, last_used_at FROM passkeys WHERE tenant_id = $1
		AND user_id = $2 ORDER BY created_at, id`, tenantID, userID)
	if err != nil {
		return nil, fmt.Errorf("passkeys: %w", err)
	}
	defer rows.Close()
	var out []Passkey
	var bad []unreadable
	defer func() { db.alertUnreadable(ctx, bad) }()
	for rows.Next() {
		var p Passkey
		var sealed []byte
		var created int64
		var used sql.NullInt64
		if err := rows.Scan(&p.ID, &sealed, &created, &used); err != nil {
			return nil, fmt.Errorf("passkeys: %w", err)
		}
		name, err := db.keys.Open(tenantID, passkeyNameAD(tenantID, p.ID), sealed)
		if err != nil {
			// One passkey whose name does not open fails alone (SEC-3): the
			// owner still sees it, and can remove it.
			p.Unreadable = true
			bad = append(bad, unreadableOf(audit.Actor{}, tenantID, "passkey", p.ID, sealed, err))
		}
		p.Name, p.CreatedAt = string(name), fromMicros(created)
		if used.Valid {
			p.LastUsedAt = fromMicros(used.Int64)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("passkeys: %w", err)
	}
	return out, nil
}

// secondFactors counts a user's second factors: a confirmed TOTP and each
// passkey.
func (tx *Tx) secondFactors(tenantID, userID string) (int, error) {
	var totp, keys int
	if err := tx.queryRow(`SELECT count(*) FROM mfa_totp WHERE tenant_id = $1 AND user_id = $2 AND confirmed_at IS NOT NULL`,
		tenantID, userID).Scan(&totp); err != nil {
		return 0, err
	}
	if err := tx.queryRow(`SELECT count(*) FROM passkeys WHERE tenant_id = $1 AND user_id = $2`, tenantID, userID).Scan(&keys); err != nil {
		return 0, err
	}
	return totp + keys, nil
}

// RemovePasskey removes one of a user's passkeys, audited as
// "passkey.remove". An admin or DPO keeps at least one second factor:
// removing their last one is ErrLastSecondFactor (checked in the same
// write, so two removals at once cannot both pass). ErrNotFound when the
// passkey is not the user's (or not in tenantID).
func (db *DB) RemovePasskey(ctx context.Context, actor audit.Actor, tenantID, userID, passkeyID string) error {
	err := db.write(ctx, func(tx *Tx) error {
		role, _, found, err := tx.activeUser(tenantID, userID)
		if err != nil {
			return err
		}
		var n int
		if err := tx.queryRow(`SELECT count(*) FROM passkeys WHERE tenant_id = $1 AND user_id = $2 AND id = $3`,
			tenantID, userID, passkeyID).Scan(&n); err != nil {
			return err
		}
		if !found || n == 0 {
			return fmt.Errorf("passkey %q: %w", passkeyID, ErrNotFound)
		}
		factors, err := tx.secondFactors(tenantID, userID)
		if err != nil {
			return err
		}
		var editor int64
		if err := tx.queryRow(`SELECT site_editor FROM users WHERE tenant_id = $1 AND id = $2`, tenantID, userID).Scan(&editor); err != nil {
			return err
		}
		// A site editor must keep a second factor like an admin (USR-2).
		if factors <= 1 && (account.User{Role: account.Role(role), SiteEditor: editor != 0}).NeedsMFA(false) {
			return ErrLastSecondFactor
		}
		if _, err := tx.exec(`DELETE FROM passkeys WHERE tenant_id = $1 AND user_id = $2 AND id = $3`, tenantID, userID, passkeyID); err != nil {
			return err
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "passkey.remove", ObjectType: "passkey",
			ObjectID: passkeyID, Subject: userID, Purpose: "mfa: passkey removed"})
	})
	if errors.Is(err, ErrLastSecondFactor) {
		return ErrLastSecondFactor
	}
	if err != nil {
		return fmt.Errorf("remove passkey: %w", err)
	}
	return nil
}

// HasPasskey reports whether the user has at least one passkey. False for
// a user not in tenantID.
func (db *DB) HasPasskey(ctx context.Context, tenantID, userID string) (bool, error) {
	var has bool
	if err := db.sql.QueryRowContext(ctx, `SELECT count(*) > 0 FROM passkeys WHERE tenant_id = $1 AND user_id = $2`,
		tenantID, userID).Scan(&has); err != nil {
		return false, fmt.Errorf("has passkey: %w", err)
	}
	return has, nil
}
