package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
)

// The admin's actions on one user (contract USR-1, USR-5, USR-6). Each
// acts inside one tenant only: a user id of another tenant is ErrNotFound.
// Each is audited in the same transaction as the change. The handler checks
// that actor may manage users (account.ManageUsers).

// Refusals of the admin's actions; both are ErrConflict.
var (
	// ErrOwnAccount: an admin may not disable or demote themselves.
	ErrOwnAccount = fmt.Errorf("an admin cannot disable or demote their own account: %w", ErrConflict)
	// ErrLastAdmin: the change would leave the tenant without an active
	// admin.
	ErrLastAdmin = fmt.Errorf("the tenant would have no active admin left: %w", ErrConflict)
	// ErrEditorIsAdmin: an admin edits the site by role; the site-editor
	// permission would add nothing.
	ErrEditorIsAdmin = fmt.Errorf("an admin edits the site by role: %w", ErrConflict)
	// ErrLookupNeedsInbox: consulting the national register is done from a
	// submission; a role that handles none (a DPO) would hold it for nothing.
	ErrLookupNeedsInbox = fmt.Errorf("the register look-up is for users who handle submissions: %w", ErrConflict)
)

// User returns one user of tenantID, opening their name and address, and
// records the consultation ("user.read"). ErrNotFound for a user not in
// tenantID.
func (db *DB) User(ctx context.Context, actor audit.Actor, tenantID, userID string) (account.User, error) {
	if err := db.requireKeys(); err != nil {
		return account.User{}, err
	}
	var u account.User
	err := db.write(ctx, func(tx *Tx) error {
		var err error
		u, err = db.scanUser(tenantID, tx.queryRow(`SELECT `+userColumns+` FROM users WHERE tenant_id = $1 AND id = $2`,
			tenantID, userID))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("user %q: %w", userID, ErrNotFound)
		}
		if err != nil {
			return err
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "user.read", ObjectType: "user",
			ObjectID: userID, Subject: userID, Purpose: "user management"})
	})
	if err != nil {
		return account.User{}, fmt.Errorf("read user: %w", err)
	}
	return u, nil
}

// adminTarget is the row an admin's action changes, read (and on
// PostgreSQL locked) in the action's transaction.
type adminTarget struct {
	role   account.Role
	status string
	admins []string // the tenant's active admins, before the change
}

// adminTarget reads the tenant's active admins and then the user. On
// PostgreSQL both are locked, the admins first and in id order, so that two
// admins demoting each other at the same time neither both succeed nor
// deadlock.
func (tx *Tx) adminTarget(tenantID, userID string) (adminTarget, error) {
	var t adminTarget
	var err error
	if t.admins, err = tx.activeAdmins(tenantID); err != nil {
		return t, err
	}
	var role string
	var removed sql.NullInt64
	err = tx.queryRow(`SELECT role, status, removed_at FROM users WHERE tenant_id = $1 AND id = $2`+tx.forUpdate(), tenantID, userID).
		Scan(&role, &t.status, &removed)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && removed.Valid) {
		// A removed user is gone for every admin action.
		return t, fmt.Errorf("user %q: %w", userID, ErrNotFound)
	}
	t.role = account.Role(role)
	return t, err
}

// activeAdmins lists the ids of the tenant's active admins (locked on
// PostgreSQL).
func (tx *Tx) activeAdmins(tenantID string) ([]string, error) {
	return tx.queryIDs(`SELECT id FROM users WHERE tenant_id = $1 AND role = $2 AND status = $3
		ORDER BY id`+tx.forUpdate(), tenantID, string(account.RoleAdmin), account.StatusActive)
}

// isSelf reports whether actor is the tenant user userID.
func isSelf(actor audit.Actor, userID string) bool {
	return actor.Kind == audit.KindUser && actor.ID == userID
}

// guardAdminLoss refuses a change that takes an active admin away: the
// actor's own account, or the tenant's last active admin.
func guardAdminLoss(actor audit.Actor, userID string, t adminTarget) error {
	if isSelf(actor, userID) {
		return ErrOwnAccount
	}
	if t.role != account.RoleAdmin || t.status != account.StatusActive {
		return nil
	}
	for _, id := range t.admins {
		if id != userID {
			return nil
		}
	}
	return ErrLastAdmin
}

// SetUserRole gives a user of tenantID another role, audited as
// "user.role" with the old and the new role. *account.ValidationError for
// an unknown role; ErrOwnAccount when an admin demotes themselves;
// ErrLastAdmin when it would leave the tenant without an active admin;
// ErrNotFound for a user not in tenantID.
func (db *DB) SetUserRole(ctx context.Context, actor audit.Actor, tenantID, userID string, role account.Role) error {
	if !slices.Contains(account.Roles, role) {
		return &account.ValidationError{Fields: map[string]string{"role": "unknown role"}}
	}
	err := db.write(ctx, func(tx *Tx) error {
		t, err := tx.adminTarget(tenantID, userID)
		if err != nil {
			return err
		}
		if t.role == role {
			return nil // nothing changes, nothing to record
		}
		if t.role == account.RoleAdmin {
			if err := guardAdminLoss(actor, userID, t); err != nil {
				return err
			}
		}
		if _, err := tx.exec(`UPDATE users SET role = $1 WHERE tenant_id = $2 AND id = $3`, string(role), tenantID, userID); err != nil {
			return err
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "user.role", ObjectType: "user",
			ObjectID: userID, Subject: userID, Purpose: "user management (role " + string(t.role) + "→" + string(role) + ")"})
	})
	if err != nil {
		return fmt.Errorf("set user role: %w", err)
	}
	return nil
}

// SetSiteEditor grants (on) or revokes (off) the site-editor permission of
// a user of tenantID (USR-5; account.UserCan), audited in the same
// transaction as "user.site_editor.grant" or "user.site_editor.revoke". A
// user of any role but admin may hold it, disabled or invited ones too (it
// takes effect when they sign in). Granting to an admin is
// ErrEditorIsAdmin (they have it by role); revoking it from an admin who
// still carries the flag from before a promotion is allowed. Setting what
// is already set changes and records nothing. ErrNotFound for a user not
// in tenantID or removed.
func (db *DB) SetSiteEditor(ctx context.Context, actor audit.Actor, tenantID, userID string, on bool) error {
	err := db.setUserFlag(ctx, actor, tenantID, userID, "site_editor", "site editor", on, func(role account.Role) error {
		if role == account.RoleAdmin {
			return ErrEditorIsAdmin
		}
		return nil
	})
	if errors.Is(err, ErrEditorIsAdmin) {
		return ErrEditorIsAdmin
	}
	if err != nil {
		return fmt.Errorf("set site editor: %w", err)
	}
	return nil
}

// SetRegisterLookup grants (on) or revokes (off) a user's authorisation to
// consult the national register from a submission (account.LookupRegister),
// audited in the same transaction as "user.register_lookup.grant" or
// ".revoke" (AUD-1). No role carries it: the register's authorisation
// names people, so it is given per person, admins included. Granting to a
// role that handles no submissions is ErrLookupNeedsInbox; revoking is
// always allowed. Setting what is set changes and records nothing.
// ErrNotFound for a user not in tenantID or removed.
func (db *DB) SetRegisterLookup(ctx context.Context, actor audit.Actor, tenantID, userID string, on bool) error {
	err := db.setUserFlag(ctx, actor, tenantID, userID, "register_lookup", "national register look-up", on, func(role account.Role) error {
		if !account.Can(role, account.HandleSubmissions) {
			return ErrLookupNeedsInbox
		}
		return nil
	})
	if errors.Is(err, ErrLookupNeedsInbox) {
		return ErrLookupNeedsInbox
	}
	if err != nil {
		return fmt.Errorf("set register look-up: %w", err)
	}
	return nil
}

// setUserFlag sets one of a user's permission flags (column, 0 or 1) and
// records "user.<column>.grant" or ".revoke" in the same transaction;
// setting what is set changes and records nothing. refuse says why a grant
// to the user's role is refused (nil: allowed); a revoke is always allowed.
func (db *DB) setUserFlag(ctx context.Context, actor audit.Actor, tenantID, userID, column, what string, on bool, refuse func(account.Role) error) error {
	return db.write(ctx, func(tx *Tx) error {
		t, err := tx.adminTarget(tenantID, userID)
		if err != nil {
			return err
		}
		var cur int64
		// column is one of the two names above, never input.
		if err := tx.queryRow(`SELECT `+column+` FROM users WHERE tenant_id = $1 AND id = $2`, tenantID, userID).Scan(&cur); err != nil {
			return err
		}
		if (cur != 0) == on {
			return nil
		}
		flag, action := 0, "user."+column+".revoke"
		if on {
			if err := refuse(t.role); err != nil {
				return err
			}
			flag, action = 1, "user."+column+".grant"
		}
		if _, err := tx.exec(`UPDATE users SET `+column+` = $1 WHERE tenant_id = $2 AND id = $3`, flag, tenantID, userID); err != nil {
			return err
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: action, ObjectType: "user",
			ObjectID: userID, Subject: userID, Purpose: "user management (" + what + ", role " + string(t.role) + ")"})
	})
}

// DisableUser disables a user of tenantID and ends all their sessions at
// once, in one transaction with its "user.disable" event. A disabled user
// cannot log in, and an invited one can no longer activate. ErrOwnAccount
// for the actor's own account; ErrLastAdmin for the tenant's last active
// admin; ErrNotFound for a user not in tenantID.
func (db *DB) DisableUser(ctx context.Context, actor audit.Actor, tenantID, userID string) error {
	err := db.write(ctx, func(tx *Tx) error {
		t, err := tx.adminTarget(tenantID, userID)
		if err != nil {
			return err
		}
		if err := guardAdminLoss(actor, userID, t); err != nil {
			return err
		}
		if _, err := tx.exec(`UPDATE users SET status = $1 WHERE tenant_id = $2 AND id = $3`, account.StatusDisabled,
			tenantID, userID); err != nil {
			return err
		}
		n, err := tx.revokeUserSessions(tenantID, userID, "")
		if err != nil {
			return err
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "user.disable", ObjectType: "user",
			ObjectID: userID, Subject: userID, Purpose: fmt.Sprintf("user management (was %s; %d sessions ended)", t.status, n)})
	})
	if err != nil {
		return fmt.Errorf("disable user: %w", err)
	}
	return nil
}

// EnableUser enables a disabled user of tenantID again, audited as
// "user.enable": active when they had activated their account, invited
// otherwise. Sessions ended by the disabling stay ended. A user who is not
// disabled is left as is. ErrNotFound for a user not in tenantID.
func (db *DB) EnableUser(ctx context.Context, actor audit.Actor, tenantID, userID string) error {
	err := db.write(ctx, func(tx *Tx) error {
		t, err := tx.adminTarget(tenantID, userID)
		if err != nil {
			return err
		}
		if t.status != account.StatusDisabled {
			return nil
		}
		var hash string
		if err := tx.queryRow(`SELECT password_hash FROM users WHERE tenant_id = $1 AND id = $2`, tenantID, userID).Scan(&hash); err != nil {
			return err
		}
		status := account.StatusActive
		if hash == "" {
			status = account.StatusInvited
		}
		if _, err := tx.exec(`UPDATE users SET status = $1 WHERE tenant_id = $2 AND id = $3`, status, tenantID, userID); err != nil {
			return err
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "user.enable", ObjectType: "user",
			ObjectID: userID, Subject: userID, Purpose: "user management (now " + status + ")"})
	})
	if err != nil {
		return fmt.Errorf("enable user: %w", err)
	}
	return nil
}
