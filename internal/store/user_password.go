package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
)

// noticePasswordOwn tells a user they changed their own password.
const noticePasswordOwn = "password_changed_own"

func init() { noticeKinds[noticePasswordOwn] = "account.password-changed" }

// ChangePassword sets a signed-in user's new password (USR-3: chosen by the
// user, checked by the caller against the tenant's policy, hashed by the
// caller): every other session of theirs ends, the one given by keep stays,
// failed-login counts are cleared, the change is audited as
// "password.change" and the user is told by mail. The caller has had the
// current password proven (step-up). ErrNotFound for a user who is not an
// active user of tenantID.
func (db *DB) ChangePassword(ctx context.Context, actor audit.Actor, tenantID, userID, newHash, keep string) (int, error) {
	if err := db.requireKeys(); err != nil {
		return 0, err
	}
	var revoked int
	err := db.write(ctx, func(tx *Tx) error {
		res, err := tx.exec(`UPDATE users SET password_hash = $1 WHERE tenant_id = $2 AND id = $3 AND status = $4`,
			newHash, tenantID, userID, account.StatusActive)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fmt.Errorf("user %q: %w", userID, ErrNotFound)
		}
		if err := tx.saveLock(tenantID, userID, account.LockState{}); err != nil {
			return err
		}
		if revoked, err = tx.revokeUserSessions(tenantID, userID, keep); err != nil {
			return err
		}
		if err := tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "password.change", ObjectType: "user",
			ObjectID: userID, Subject: userID, Purpose: fmt.Sprintf("own password changed; %d other sessions revoked", revoked)}); err != nil {
			return err
		}
		return tx.notifyUser(tenantID, userID, noticePasswordOwn, actor)
	})
	if errors.Is(err, ErrNotFound) {
		return 0, err
	}
	if err != nil {
		return 0, fmt.Errorf("change password: %w", err)
	}
	return revoked, nil
}
