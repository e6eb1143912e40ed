package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
)

// PasswordResetTTL is how long a password reset link works (contract
// USR-4).
const PasswordResetTTL = 30 * time.Minute

// RequestPasswordReset starts a password reset by e-mail (contract USR-4,
// ASVS 5.0 V6.4). When the tenant has an active user with that address, it
// creates a single-use token valid for PasswordResetTTL (spending the
// user's earlier unused tokens) and queues the mail compose returns for the
// user and the token, in one transaction with its "password.reset.request"
// event. Otherwise it stores nothing but an anonymous
// "password.reset.request" failure without the address. It returns nil in
// both cases, so that the caller cannot tell them apart (no enumeration);
// other errors are internal.
//
// Both cases do the same work (ASVS 5.0 6.4.1, no enumeration by timing):
// for an unknown or inactive address the mail is composed and sealed as
// well, for a decoy user, and then dropped (see decoyPasswordReset).
func (db *DB) RequestPasswordReset(ctx context.Context, tenantID, email, requestID string,
	compose func(u account.User, token string) *OutgoingMail) error {
	if err := db.requireKeys(); err != nil {
		return err
	}
	index, err := db.emailIndex(tenantID, email)
	if err != nil {
		return fmt.Errorf("request password reset: %w", err)
	}
	tok, err := account.NewToken()
	if err != nil {
		return fmt.Errorf("request password reset: %w", err)
	}
	err = db.write(ctx, func(tx *Tx) error {
		u, err := db.scanUser(tenantID, tx.queryRow(`SELECT `+userColumns+` FROM users WHERE tenant_id = $1 AND email_index = $2`,
			tenantID, index))
		if errors.Is(err, sql.ErrNoRows) || (err == nil && u.Status != account.StatusActive) {
			return tx.decoyPasswordReset(tenantID, email, tok, requestID, compose)
		}
		if err != nil {
			return err
		}
		now := db.now()
		if _, err := tx.exec(`UPDATE password_resets SET used_at = $1 WHERE tenant_id = $2 AND user_id = $3 AND used_at IS NULL`,
			micros(now), tenantID, u.ID); err != nil {
			return err
		}
		if _, err := tx.exec(`INSERT INTO password_resets (token_hash, tenant_id, user_id, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5)`, tok.Hash, tenantID, u.ID, micros(now), micros(now.Add(PasswordResetTTL))); err != nil {
			return err
		}
		actor := audit.Actor{Kind: audit.KindUser, ID: u.ID, Role: string(u.Role), RequestID: requestID}
		if err := tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "password.reset.request",
			ObjectType: "user", ObjectID: u.ID, Subject: u.ID, Outcome: audit.OutcomeSuccess,
			Purpose: "password reset"}); err != nil {
			return err
		}
		if compose != nil {
			if m := compose(u, tok.Plain); m != nil {
				if _, err := tx.enqueueMail(tenantID, *m, actor); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("request password reset: %w", err)
	}
	return nil
}

// resetUser returns the active user an unused, unexpired reset token of
// tenantID belongs to; account.ErrTokenInvalid otherwise.
func (db *DB) resetUser(tx *Tx, tenantID, token string) (account.User, error) {
	var userID string
	err := tx.queryRow(`SELECT user_id FROM password_resets WHERE token_hash = $1 AND tenant_id = $2 AND used_at IS NULL
		AND expires_at > $3`, account.HashToken(token), tenantID, micros(db.now())).Scan(&userID)
	if errors.Is(err, sql.ErrNoRows) {
		return account.User{}, account.ErrTokenInvalid
	}
	if err != nil {
		return account.User{}, err
	}
	u, err := db.scanUser(tenantID, tx.queryRow(`SELECT `+userColumns+` FROM users WHERE tenant_id = $1 AND id = $2`, tenantID, userID))
	if err != nil {
		return account.User{}, err
	}
	if u.Status != account.StatusActive {
		return account.User{}, account.ErrTokenInvalid
	}
	return u, nil
}

// ResetUser returns the user a password reset token belongs to, for the
// form, without using the token. account.ErrTokenInvalid for an unknown,
// used or expired token, or a user no longer active (which is not said).
func (db *DB) ResetUser(ctx context.Context, tenantID, token string) (account.User, error) {
	if err := db.requireKeys(); err != nil {
		return account.User{}, err
	}
	var u account.User
	err := db.write(ctx, func(tx *Tx) error {
		var err error
		u, err = db.resetUser(tx, tenantID, token)
		return err
	})
	if err != nil {
		return account.User{}, err
	}
	return u, nil
}

// ResetPassword uses a password reset token: in one transaction the token
// is spent (one winner however many try at once), the user gets newHash
// (an argon2id PHC string) and cleared failure and lock counters, all
// their sessions are revoked, the notice compose returns ("your password
// was changed") is queued, and "password.reset" is audited.
// account.ErrTokenInvalid for an unknown, used or expired token.
func (db *DB) ResetPassword(ctx context.Context, tenantID, token, newHash, requestID string,
	compose func(u account.User) *OutgoingMail) (account.User, error) {
	if err := db.requireKeys(); err != nil {
		return account.User{}, err
	}
	var u account.User
	err := db.write(ctx, func(tx *Tx) error {
		var err error
		if u, err = db.resetUser(tx, tenantID, token); err != nil {
			return err
		}
		res, err := tx.exec(`UPDATE password_resets SET used_at = $1 WHERE token_hash = $2 AND tenant_id = $3 AND used_at IS NULL
			AND expires_at > $1`, micros(db.now()), account.HashToken(token), tenantID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return account.ErrTokenInvalid // spent by a concurrent reset
		}
		if _, err := tx.exec(`UPDATE users SET password_hash = $1 WHERE tenant_id = $2 AND id = $3`, newHash, tenantID, u.ID); err != nil {
			return err
		}
		if err := tx.saveLock(tenantID, u.ID, account.LockState{}); err != nil {
			return err
		}
		n, err := tx.revokeUserSessions(tenantID, u.ID, "")
		if err != nil {
			return err
		}
		actor := audit.Actor{Kind: audit.KindUser, ID: u.ID, Role: string(u.Role), RequestID: requestID}
		if err := tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "password.reset", ObjectType: "user",
			ObjectID: u.ID, Subject: u.ID, Outcome: audit.OutcomeSuccess,
			Purpose: fmt.Sprintf("password reset; %d sessions revoked", n)}); err != nil {
			return err
		}
		if compose != nil {
			if m := compose(u); m != nil {
				if _, err := tx.enqueueMail(tenantID, *m, actor); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if errors.Is(err, account.ErrTokenInvalid) {
		return account.User{}, account.ErrTokenInvalid
	}
	if err != nil {
		return account.User{}, fmt.Errorf("reset password: %w", err)
	}
	return u, nil
}

// decoyPasswordReset is RequestPasswordReset's path for an address without
// an active account. It does what the other path does except store a token
// and a mail: the same statement spending earlier tokens (which matches
// nothing), the mail composed for a decoy user with the same token and
// sealed exactly as the outbox would, then dropped, and one audit event,
// so that the answer takes as long whether the address exists or not.
// Only two small inserts differ, inside the same group commit.
func (tx *Tx) decoyPasswordReset(tenantID, email string, tok account.Token, requestID string,
	compose func(u account.User, token string) *OutgoingMail) error {
	db := tx.db
	now := db.now()
	if _, err := tx.exec(`UPDATE password_resets SET used_at = $1 WHERE tenant_id = $2 AND user_id = $3 AND used_at IS NULL`,
		micros(now), tenantID, ""); err != nil {
		return err
	}
	if compose != nil {
		decoy := account.User{TenantID: tenantID, Email: email, Role: account.RoleUser, Status: account.StatusActive, Lang: "nl"}
		if m := compose(decoy, tok.Plain); m != nil {
			_ = m.validate()
			var exists int
			if err := tx.queryRow(`SELECT count(*) FROM tenants WHERE id = $1`, tenantID).Scan(&exists); err != nil {
				return err
			}
			if _, err := db.sealMail(tenantID, newID(now), *m); err != nil {
				return err
			}
			db.resetDecoys.Add(1)
		}
	}
	return tx.appendAudit(audit.Event{TenantID: tenantID,
		Actor:  audit.Actor{Kind: audit.KindUser, ID: "anonymous", RequestID: requestID},
		Action: "password.reset.request", ObjectType: "user", Outcome: audit.OutcomeFailure,
		Purpose: "password reset: no active account"})
}
