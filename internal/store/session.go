package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
)

// ErrSessionInvalid covers unknown, revoked, idle and expired sessions
// alike, and sessions of a user who can no longer log in.
var ErrSessionInvalid = errors.New("session is invalid, expired or revoked")

// SessionToken is the secret a browser holds for a session (the cookie's
// value): 32 random bytes, base64url. The database keeps only its SHA-256.
type SessionToken string

// SessionPolicy bounds how long a session lives (ASVS 7.3.1, 7.3.2).
type SessionPolicy struct {
	Idle           time.Duration // without activity, for users
	PrivilegedIdle time.Duration // without activity, for admins and DPOs
	Absolute       time.Duration // since login, whatever the activity
}

// DefaultSessions is the platform default: idle 30 minutes (15 for admins
// and DPOs), at most 12 hours.
var DefaultSessions = SessionPolicy{Idle: 30 * time.Minute, PrivilegedIdle: 15 * time.Minute, Absolute: 12 * time.Hour}

func (p SessionPolicy) normalize() SessionPolicy {
	if p.Idle <= 0 {
		p.Idle = DefaultSessions.Idle
	}
	if p.PrivilegedIdle <= 0 {
		p.PrivilegedIdle = DefaultSessions.PrivilegedIdle
	}
	if p.Absolute <= 0 {
		p.Absolute = DefaultSessions.Absolute
	}
	return p
}

// idleFor is the idle timeout of a session of role.
func (p SessionPolicy) idleFor(role account.Role) time.Duration {
	if role == account.RoleAdmin || role == account.RoleDPO {
		return p.PrivilegedIdle
	}
	return p.Idle
}

// SessionInfo describes a valid session.
type SessionInfo struct {
	ID             string // base64url of the stored hash: names the session without being its secret
	CreatedAt      time.Time
	LastSeenAt     time.Time
	IdleTimeout    time.Duration
	AbsoluteExpiry time.Time
	UserAgentHint  string // opened from the sealed device label; "" when unknown
	// ReauthAt is when the user last proved their credentials in this
	// session: the login, the second login step or a step-up (StepUp).
	ReauthAt time.Time
	// MFAVerified is true when the session's user proved their second
	// factor in it (MarkSessionMFA); false for a password-only session.
	MFAVerified bool
	// LoginMethod is how the login that opened the session was made: the
	// OpenID provider's preset ("fas-eid", "fas-itsme", "acm", "generic"),
	// or "" for a password. Accepting the agreement for the controller
	// needs a FAS login (AgreementSignIn).
	LoginMethod string
}

// touchEvery is how stale last_seen_at may get before Session writes it
// again. Writing on every request would load the writer for nothing; the
// price is that a session may end up to this much before its idle timeout.
const touchEvery = time.Minute

func newSessionToken() (SessionToken, []byte, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", nil, err
	}
	tok := base64.RawURLEncoding.EncodeToString(b[:])
	return SessionToken(tok), sessionHash(tok), nil
}

// sessionHash is the stored form of a session token: its SHA-256.
func sessionHash(token string) []byte {
	s := sha256.Sum256([]byte(token))
	return s[:]
}

// loginOptions applies a login's options.
func loginOptions(opts []LoginOption) loginConfig {
	var cfg loginConfig
	for _, o := range opts {
		o(&cfg)
	}
	cfg.sessions = cfg.sessions.normalize()
	return cfg
}

// openSession completes a successful login of userID at now, whatever the
// method: the last login time, a new session (MFA-verified when mfa) and
// the user as stored.
func (tx *Tx) openSession(tenantID, userID string, idHash []byte, now time.Time, cfg loginConfig, mfa bool) (account.User, error) {
	if _, err := tx.exec(`UPDATE users SET last_login_at = $1 WHERE tenant_id = $2 AND id = $3`, micros(now), tenantID, userID); err != nil {
		return account.User{}, err
	}
	u, err := tx.db.scanUser(tenantID, tx.queryRow(`SELECT `+userColumns+` FROM users WHERE tenant_id = $1 AND id = $2`, tenantID, userID))
	if err != nil {
		return account.User{}, err
	}
	if err := tx.insertSession(u, idHash, now, cfg.sessions, cfg.hint); err != nil {
		return account.User{}, err
	}
	if mfa {
		if _, err := tx.exec(`UPDATE sessions SET mfa_verified_at = $1 WHERE id_hash = $2`, micros(now), idHash); err != nil {
			return account.User{}, err
		}
	}
	return u, nil
}

// insertSession stores a new session of u. The login counts as proof of
// credentials (reauth_at); the device label is sealed (see sealDevice).
func (tx *Tx) insertSession(u account.User, idHash []byte, now time.Time, p SessionPolicy, hint string) error {
	device, err := tx.db.sealDevice(u.TenantID, u.ID, micros(now), hint)
	if err != nil {
		return err
	}
	_, err = tx.exec(`INSERT INTO sessions (id_hash, tenant_id, user_id, created_at, last_seen_at, idle_timeout_us,
		absolute_expiry, device, reauth_at) VALUES ($1, $2, $3, $4, $4, $5, $6, $7, $4)`,
		idHash, u.TenantID, u.ID, micros(now), p.idleFor(u.Role).Microseconds(), micros(now.Add(p.Absolute)), device)
	return err
}

// Session returns the user of a valid session of tenantID and the session's
// details, and records the activity (at most once a minute). A session is
// valid when it is not revoked, has not been idle longer than its idle
// timeout, has not passed its absolute expiry, and its user is active.
// ErrSessionInvalid otherwise, also for a token of another tenant.
//
// The user reading their own name is not audited on every request; the
// login that opened the session was.
func (db *DB) Session(ctx context.Context, tenantID, token string) (account.User, SessionInfo, error) {
	if token == "" {
		return account.User{}, SessionInfo{}, ErrSessionInvalid
	}
	if err := db.requireKeys(); err != nil {
		return account.User{}, SessionInfo{}, err
	}
	idHash := sessionHash(token)
	var userID string
	var created, lastSeen, idleUS, absolute int64
	var revoked, mfaVerified, reauth sql.NullInt64
	var device []byte
	var info SessionInfo
	err := db.sql.QueryRowContext(ctx, `SELECT user_id, created_at, last_seen_at, idle_timeout_us, absolute_expiry,
		device, revoked_at, mfa_verified_at, reauth_at, login_method FROM sessions WHERE id_hash = $1 AND tenant_id = $2`, idHash, tenantID).
		Scan(&userID, &created, &lastSeen, &idleUS, &absolute, &device, &revoked, &mfaVerified, &reauth, &info.LoginMethod)
	if errors.Is(err, sql.ErrNoRows) {
		return account.User{}, SessionInfo{}, ErrSessionInvalid
	}
	if err != nil {
		return account.User{}, SessionInfo{}, fmt.Errorf("session: %w", err)
	}
	now := fromMicros(micros(db.now()))
	info.ID = base64.RawURLEncoding.EncodeToString(idHash)
	info.CreatedAt, info.LastSeenAt = fromMicros(created), fromMicros(lastSeen)
	info.IdleTimeout, info.AbsoluteExpiry = time.Duration(idleUS)*time.Microsecond, fromMicros(absolute)
	info.MFAVerified = mfaVerified.Valid
	info.ReauthAt = fromMicros(created)
	if reauth.Valid {
		info.ReauthAt = fromMicros(reauth.Int64)
	}
	info.UserAgentHint = db.openDevice(tenantID, userID, created, device)
	if revoked.Valid || !now.Before(info.LastSeenAt.Add(info.IdleTimeout)) || !now.Before(info.AbsoluteExpiry) {
		return account.User{}, SessionInfo{}, ErrSessionInvalid
	}
	u, err := db.scanUser(tenantID, db.sql.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE tenant_id = $1 AND id = $2`,
		tenantID, userID))
	if errors.Is(err, sql.ErrNoRows) {
		return account.User{}, SessionInfo{}, ErrSessionInvalid
	}
	if err != nil {
		return account.User{}, SessionInfo{}, fmt.Errorf("session: %w", err)
	}
	if u.Status != account.StatusActive {
		return account.User{}, SessionInfo{}, ErrSessionInvalid
	}
	if now.Sub(info.LastSeenAt) >= touchEvery {
		var alive bool
		err := db.write(ctx, func(tx *Tx) error {
			res, err := tx.exec(`UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2 AND tenant_id = $3
				AND revoked_at IS NULL`, micros(now), idHash, tenantID)
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			alive = n == 1
			return nil
		})
		if err != nil {
			return account.User{}, SessionInfo{}, fmt.Errorf("session: %w", err)
		}
		if !alive {
			return account.User{}, SessionInfo{}, ErrSessionInvalid // revoked meanwhile
		}
		info.LastSeenAt = now
	}
	return u, info, nil
}

// MarkSessionMFA records that the session's user proved their second
// factor, and rotates the session (ASVS 7.2.4): the token the password
// opened is revoked and a new one, MFA-verified, takes its place with the
// same user, idle timeout and absolute expiry. The caller hands the new
// token to the browser. ErrSessionInvalid when the old one is not live.
func (db *DB) MarkSessionMFA(ctx context.Context, tenantID, token string) (SessionToken, error) {
	if token == "" {
		return "", ErrSessionInvalid
	}
	oldHash := sessionHash(token)
	newTok, newHash, err := newSessionToken()
	if err != nil {
		return "", err
	}
	var found bool
	err = db.write(ctx, func(tx *Tx) error {
		now := micros(db.now())
		res, err := tx.exec(`INSERT INTO sessions (id_hash, tenant_id, user_id, created_at, last_seen_at, idle_timeout_us,
			absolute_expiry, device, mfa_verified_at, reauth_at)
			SELECT $1, tenant_id, user_id, created_at, $2, idle_timeout_us, absolute_expiry, device, $2, $2
			FROM sessions WHERE id_hash = $3 AND tenant_id = $4 AND revoked_at IS NULL AND absolute_expiry > $2`,
			newHash, now, oldHash, tenantID)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil || n != 1 {
			return err
		}
		found = true
		_, err = tx.exec(`UPDATE sessions SET revoked_at = $1 WHERE id_hash = $2 AND tenant_id = $3`, now, oldHash, tenantID)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("mark session MFA: %w", err)
	}
	if !found {
		return "", ErrSessionInvalid
	}
	return newTok, nil
}

// RevokeSession ends one session (logout), audited as "session.revoke".
// ErrSessionInvalid when the token names no live session of tenantID.
func (db *DB) RevokeSession(ctx context.Context, actor audit.Actor, tenantID, token string) error {
	idHash := sessionHash(token)
	return db.write(ctx, func(tx *Tx) error {
		var userID string
		err := tx.queryRow(`SELECT user_id FROM sessions WHERE id_hash = $1 AND tenant_id = $2 AND revoked_at IS NULL`,
			idHash, tenantID).Scan(&userID)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrSessionInvalid
		}
		if err != nil {
			return err
		}
		if _, err := tx.exec(`UPDATE sessions SET revoked_at = $1 WHERE id_hash = $2`, micros(db.now()), idHash); err != nil {
			return err
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "session.revoke", ObjectType: "user",
			ObjectID: userID, Subject: userID, Purpose: "session management"})
	})
}

// RevokeUserSessions ends every live session of a user except the one
// whose token is keep ("" ends all), audited as "session.revoke_all" with
// the number ended. For a password change or reset (keep the current
// session) and for disabling or removing a user (keep none).
func (db *DB) RevokeUserSessions(ctx context.Context, actor audit.Actor, tenantID, userID, keep string) (int, error) {
	var n int
	err := db.write(ctx, func(tx *Tx) error {
		var err error
		n, err = tx.revokeAllSessions(actor, tenantID, userID, keep)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("revoke sessions: %w", err)
	}
	return n, nil
}

// revokeAllSessions ends a user's live sessions but keep's inside a write,
// audited as "session.revoke_all"; also the containment of a breach (BRE-2).
func (tx *Tx) revokeAllSessions(actor audit.Actor, tenantID, userID, keep string) (int, error) {
	n, err := tx.revokeUserSessions(tenantID, userID, keep)
	if err != nil {
		return 0, err
	}
	return n, tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "session.revoke_all", ObjectType: "user",
		ObjectID: userID, Subject: userID, Purpose: fmt.Sprintf("session management (%d ended)", n)})
}

// revokeUserSessions ends a user's live sessions but keep's, inside a
// write that audits why (disable, password change).
func (tx *Tx) revokeUserSessions(tenantID, userID, keep string) (int, error) {
	keepHash := []byte{}
	if keep != "" {
		keepHash = sessionHash(keep)
	}
	res, err := tx.exec(`UPDATE sessions SET revoked_at = $1 WHERE tenant_id = $2 AND user_id = $3 AND revoked_at IS NULL
		AND id_hash <> $4`, micros(tx.db.now()), tenantID, userID, keepHash)
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
