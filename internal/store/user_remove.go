package store

import (
	"context"
	"crypto/sha256"
	"fmt"

	"github.com/kluis/kluis/internal/audit"
)

// removedIndex replaces a removed user's e-mail blind index: unique per
// user (the UNIQUE constraint holds), never equal to the keyed HMAC of an
// address, so the address can be invited again.
func removedIndex(userID string) []byte {
	s := sha256.Sum256([]byte("kluis/removed-user/v1\x00" + userID))
	return s[:]
}

// RemoveUser removes a user of tenantID (contract USR-1), in one
// transaction with its "user.removed" event: every session ends at once;
// the sealed name and e-mail address are erased (the user is shown by
// account.Pseudonym from then on) and the e-mail blind index is replaced,
// so the address can be invited again; the password hash, second factor,
// recovery codes, device labels and open invitation or reset links go
// too. The row itself stays, so that the audit trail — which names users
// by id only — keeps pointing at an existing user and still verifies.
// ErrOwnAccount for the actor's own account; ErrLastAdmin for the tenant's
// last active admin; ErrNotFound for a user not in tenantID or removed
// already.
func (db *DB) RemoveUser(ctx context.Context, actor audit.Actor, tenantID, userID string) error {
	err := db.write(ctx, func(tx *Tx) error {
		t, err := tx.adminTarget(tenantID, userID)
		if err != nil {
			return err
		}
		if err := guardAdminLoss(actor, userID, t); err != nil {
			return err
		}
		now := micros(db.now())
		n, err := tx.revokeUserSessions(tenantID, userID, "")
		if err != nil {
			return err
		}
		steps := []struct {
			q    string
			args []any
		}{
			{`UPDATE users SET email = $1, name = $1, email_index = $2, password_hash = '', status = 'disabled', removed_at = $3,
				failed_count = 0, first_failure_at = NULL, locked_until = NULL, lock_count = 0, needs_admin_unlock = 0
				WHERE tenant_id = $4 AND id = $5`, []any{[]byte{}, removedIndex(userID), now, tenantID, userID}},
			{`UPDATE sessions SET device = NULL, user_agent_hint = '' WHERE tenant_id = $1 AND user_id = $2`, []any{tenantID, userID}},
			{`DELETE FROM form_access WHERE tenant_id = $1 AND user_id = $2`, []any{tenantID, userID}},
			{`DELETE FROM mfa_recovery_codes WHERE tenant_id = $1 AND user_id = $2`, []any{tenantID, userID}},
			{`DELETE FROM mfa_totp WHERE tenant_id = $1 AND user_id = $2`, []any{tenantID, userID}},
			{`UPDATE invitations SET used_at = $1 WHERE tenant_id = $2 AND user_id = $3 AND used_at IS NULL`, []any{now, tenantID, userID}},
			{`UPDATE password_resets SET used_at = $1 WHERE tenant_id = $2 AND user_id = $3 AND used_at IS NULL`, []any{now, tenantID, userID}},
		}
		for _, s := range steps {
			if _, err := tx.exec(s.q, s.args...); err != nil {
				return err
			}
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "user.removed", ObjectType: "user",
			ObjectID: userID, Subject: userID,
			Purpose: fmt.Sprintf("user management (was %s, %s; %d sessions ended)", t.role, t.status, n)})
	})
	if err != nil {
		return fmt.Errorf("remove user: %w", err)
	}
	return nil
}
