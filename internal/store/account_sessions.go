package store

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/seal"
)

// A user's own sessions (ASVS 5.0 7.5.2): the list with a coarse device
// label, and ending one or all others.

// deviceAD binds a session's sealed device label to its user and to the
// moment it started, which stay the same when MarkSessionMFA rotates the
// session's token (the token's hash would not).
func deviceAD(tenantID, userID string, createdAt int64) seal.AD {
	return seal.AD{Tenant: tenantID, Table: "sessions", Column: "device", Row: userID + "@" + strconv.FormatInt(createdAt, 10)}
}

// sealDevice seals a device label; nil for none.
func (db *DB) sealDevice(tenantID, userID string, createdAt int64, hint string) ([]byte, error) {
	if hint == "" {
		return nil, nil
	}
	return db.keys.Seal(tenantID, deviceAD(tenantID, userID, createdAt), []byte(hint))
}

// openDevice opens a sealed device label; "" when there is none or it no
// longer opens (a label is a convenience, never a reason to fail).
func (db *DB) openDevice(tenantID, userID string, createdAt int64, sealed []byte) string {
	if len(sealed) == 0 || db.keys == nil {
		return ""
	}
	b, err := db.keys.Open(tenantID, deviceAD(tenantID, userID, createdAt), sealed)
	if err != nil {
		return ""
	}
	return string(b)
}

// liveSession is the SQL condition of a session still in use at $now:
// not revoked, not idle too long, not past its absolute expiry.
const liveSession = `revoked_at IS NULL AND last_seen_at + idle_timeout_us > $now AND absolute_expiry > $now`

// UserSessions lists the live sessions of a user of tenantID, newest
// first, with their device labels opened, and records the consultation
// ("session.list", with the number shown). SessionInfo.ID names each
// session for RevokeSessionByID.
func (db *DB) UserSessions(ctx context.Context, actor audit.Actor, tenantID, userID string) ([]SessionInfo, error) {
	if err := db.requireKeys(); err != nil {
		return nil, err
	}
	var out []SessionInfo
	err := db.write(ctx, func(tx *Tx) error {
		out = out[:0]
		now := micros(db.now())
		rows, err := tx.tx.QueryContext(tx.ctx, `SELECT id_hash, created_at, last_seen_at, idle_timeout_us, absolute_expiry,
			device, mfa_verified_at, reauth_at FROM sessions WHERE tenant_id = $1 AND user_id = $2 AND `+
			bindNow(liveSession, "$3")+` ORDER BY created_at DESC, id_hash`, tenantID, userID, now)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var idHash, device []byte
			var created, lastSeen, idleUS, absolute int64
			var mfaAt, reauth *int64
			if err := rows.Scan(&idHash, &created, &lastSeen, &idleUS, &absolute, &device, &mfaAt, &reauth); err != nil {
				return err
			}
			info := SessionInfo{ID: base64.RawURLEncoding.EncodeToString(idHash), CreatedAt: fromMicros(created),
				LastSeenAt: fromMicros(lastSeen), AbsoluteExpiry: fromMicros(absolute), MFAVerified: mfaAt != nil,
				UserAgentHint: db.openDevice(tenantID, userID, created, device), ReauthAt: fromMicros(created)}
			info.IdleTimeout = time.Duration(idleUS) * time.Microsecond
			if reauth != nil {
				info.ReauthAt = fromMicros(*reauth)
			}
			out = append(out, info)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "session.list", ObjectType: "user",
			ObjectID: userID, Subject: userID, Purpose: fmt.Sprintf("session management (%d shown)", len(out))})
	})
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	return out, nil
}

// bindNow puts the placeholder of "now" into a condition written with $now.
func bindNow(cond, placeholder string) string { return strings.ReplaceAll(cond, "$now", placeholder) }

// ActiveSessionCount is how many live sessions a user of tenantID has, for
// the admin's page. It opens nothing, so it is not audited.
func (db *DB) ActiveSessionCount(ctx context.Context, tenantID, userID string) (int, error) {
	var n int
	err := db.sql.QueryRowContext(ctx, `SELECT count(*) FROM sessions WHERE tenant_id = $1 AND user_id = $2 AND `+
		bindNow(liveSession, "$3"), tenantID, userID, micros(db.now())).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count sessions: %w", err)
	}
	return n, nil
}

// RevokeSessionByID ends one live session of user userID of tenantID,
// named by SessionInfo.ID, audited as "session.revoke". ErrNotFound when
// the id names no live session of that user (another user's session, a
// malformed id, one ended already).
func (db *DB) RevokeSessionByID(ctx context.Context, actor audit.Actor, tenantID, userID, sessionID string) error {
	idHash, err := base64.RawURLEncoding.DecodeString(sessionID)
	if err != nil || len(idHash) != 32 {
		return fmt.Errorf("session: %w", ErrNotFound)
	}
	err = db.write(ctx, func(tx *Tx) error {
		now := micros(db.now())
		res, err := tx.exec(`UPDATE sessions SET revoked_at = $1 WHERE id_hash = $2 AND tenant_id = $3 AND user_id = $4 AND `+
			bindNow(liveSession, "$1"), now, idHash, tenantID, userID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fmt.Errorf("session: %w", ErrNotFound)
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "session.revoke", ObjectType: "user",
			ObjectID: userID, Subject: userID, Purpose: "session management (one session)"})
	})
	if err != nil {
		return fmt.Errorf("revoke session: %w", err)
	}
	return nil
}
