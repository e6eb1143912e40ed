package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/seal"
)

func userAD(tenantID, userID, column string) seal.AD {
	return seal.AD{Tenant: tenantID, Table: "users", Column: column, Row: userID}
}

// emailIndex is the blind index users are found by.
func (db *DB) emailIndex(tenantID, email string) ([]byte, error) {
	return db.keys.BlindIndex(tenantID, "user-email", []byte(account.NormalizeEmail(email)))
}

// InviteUser creates an invited user and a single-use invitation valid for
// account.InvitationTTL, audited as "user.invite" in the tenant's log. It
// returns the token to put in the activation link; only its hash is kept.
// *account.ValidationError for bad input; ErrConflict when the tenant
// already has a user with that e-mail address; ErrNotFound for an unknown
// tenant.
func (db *DB) InviteUser(ctx context.Context, actor audit.Actor, tenantID string, in account.Invite) (account.User, account.Token, error) {
	return db.InviteUserWithMail(ctx, actor, tenantID, in, nil)
}

// InviteUserWithMail is InviteUser that also queues the invitation mail in
// the same transaction: compose gets the new user and the token and returns
// the message (nil: no mail). Either the user, the invitation, the mail and
// their audit events are all stored, or none is.
func (db *DB) InviteUserWithMail(ctx context.Context, actor audit.Actor, tenantID string, in account.Invite,
	compose func(u account.User, token string) *OutgoingMail) (account.User, account.Token, error) {
	in = in.Normalize()
	if err := in.Validate(); err != nil {
		return account.User{}, account.Token{}, err
	}
	if err := db.requireKeys(); err != nil {
		return account.User{}, account.Token{}, err
	}
	tok, err := account.NewToken()
	if err != nil {
		return account.User{}, account.Token{}, err
	}
	now := db.now()
	u := account.User{ID: newID(now), TenantID: tenantID, Email: in.Email, Name: in.Name, Role: in.Role,
		Status: account.StatusInvited, Lang: in.Lang, CreatedAt: fromMicros(micros(now))}
	index, err := db.emailIndex(tenantID, in.Email)
	if err != nil {
		return account.User{}, account.Token{}, fmt.Errorf("invite user: %w", err)
	}
	email, err := db.keys.Seal(tenantID, userAD(tenantID, u.ID, "email"), []byte(in.Email))
	if err != nil {
		return account.User{}, account.Token{}, fmt.Errorf("invite user: %w", err)
	}
	name, err := db.keys.Seal(tenantID, userAD(tenantID, u.ID, "name"), []byte(in.Name))
	if err != nil {
		return account.User{}, account.Token{}, fmt.Errorf("invite user: %w", err)
	}
	err = db.write(ctx, func(tx *Tx) error {
		var status string
		if err := tx.queryRow(`SELECT status FROM tenants WHERE id = $1`, tenantID).Scan(&status); errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("tenant %q: %w", tenantID, ErrNotFound)
		} else if err != nil {
			return err
		}
		var taken bool
		if err := tx.queryRow(`SELECT count(*) > 0 FROM users WHERE tenant_id = $1 AND email_index = $2`, tenantID, index).Scan(&taken); err != nil {
			return err
		}
		if taken {
			return fmt.Errorf("a user with this e-mail address exists: %w", ErrConflict)
		}
		if _, err := tx.exec(`INSERT INTO users (id, tenant_id, email, email_index, name, role, status, lang, created_at, department)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, u.ID, tenantID, email, index, name, string(u.Role), u.Status, u.Lang,
			micros(u.CreatedAt), in.Department); err != nil {
			if isUniqueViolation(err) {
				return fmt.Errorf("a user with this e-mail address exists: %w", ErrConflict)
			}
			return err
		}
		if _, err := tx.exec(`INSERT INTO invitations (token_hash, tenant_id, user_id, created_by, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6)`, tok.Hash, tenantID, u.ID, actorName(actor), micros(now),
			micros(now.Add(account.InvitationTTL))); err != nil {
			return err
		}
		if err := tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "user.invite", ObjectType: "user",
			ObjectID: u.ID, Purpose: "user management (role " + string(u.Role) + ")"}); err != nil {
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
		return account.User{}, account.Token{}, fmt.Errorf("invite user: %w", err)
	}
	return u, tok, nil
}

const userColumns = `id, email, name, role, status, lang, created_at, last_login_at, removed_at, site_editor, register_lookup`

// scanUser reads userColumns and opens the sealed fields. A removed user
// has none left: Name and Email are empty and Status is
// account.StatusRemoved.
func (db *DB) scanUser(tenantID string, row interface{ Scan(...any) error }) (account.User, error) {
	u := account.User{TenantID: tenantID}
	var email, name []byte
	var role string
	var created int64
	var last, removed sql.NullInt64
	var editor, lookup int64
	if err := row.Scan(&u.ID, &email, &name, &role, &u.Status, &u.Lang, &created, &last, &removed, &editor, &lookup); err != nil {
		return u, err
	}
	u.Role, u.CreatedAt, u.SiteEditor, u.RegisterLookup = account.Role(role), fromMicros(created), editor != 0, lookup != 0
	if last.Valid {
		t := fromMicros(last.Int64)
		u.LastLoginAt = &t
	}
	if removed.Valid {
		u.Status = account.StatusRemoved
		return u, nil
	}
	e, err1 := db.keys.Open(tenantID, userAD(tenantID, u.ID, "email"), email)
	n, err2 := db.keys.Open(tenantID, userAD(tenantID, u.ID, "name"), name)
	if err1 != nil {
		return u, &openError{sealed: email, err: err1}
	}
	if err2 != nil {
		return u, &openError{sealed: name, err: err2}
	}
	u.Email, u.Name = string(e), string(n)
	return u, nil
}

// Users lists the tenant's users, opening their names and addresses, and
// records the consultation ("user.list", with the number shown) in the
// tenant's log.
func (db *DB) Users(ctx context.Context, actor audit.Actor, tenantID string) ([]account.User, error) {
	if err := db.requireKeys(); err != nil {
		return nil, err
	}
	var users []account.User
	var bad []unreadable
	err := db.write(ctx, func(tx *Tx) error {
		users, bad = users[:0], nil
		rows, err := tx.tx.QueryContext(tx.ctx, `SELECT `+userColumns+` FROM users WHERE tenant_id = $1 ORDER BY created_at, id`, tenantID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			u, err := db.scanUser(tenantID, rows)
			if errors.Is(err, ErrUnreadable) {
				// One user whose name does not open fails alone (SEC-3):
				// listed without name and address, the failure recorded.
				u.Unreadable = true
				var oe *openError
				errors.As(err, &oe)
				bad = append(bad, unreadableOf(actor, tenantID, "user", u.ID, oe.sealed, oe.err))
			} else if err != nil {
				return err
			}
			users = append(users, u)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		rows.Close() // before the next statement: PostgreSQL runs one at a time per connection
		for _, u := range bad {
			if err := tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "user.list", ObjectType: "user",
				ObjectID: u.objectID, Purpose: "user management", Outcome: audit.OutcomeFailure}); err != nil {
				return err
			}
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "user.list", ObjectType: "user",
			ObjectID: fmt.Sprintf("%d users", len(users)), Purpose: "user management"})
	})
	db.alertUnreadable(ctx, bad)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return users, nil
}

// Invitation returns the user an unused, unexpired invitation token belongs
// to, recording that the link was opened. account.ErrTokenInvalid for an
// unknown, used or expired token (which of these is not said).
func (db *DB) Invitation(ctx context.Context, tenantID, token string) (account.User, error) {
	if err := db.requireKeys(); err != nil {
		return account.User{}, err
	}
	var u account.User
	err := db.write(ctx, func(tx *Tx) error {
		var userID string
		err := tx.queryRow(`SELECT user_id FROM invitations WHERE token_hash = $1 AND tenant_id = $2 AND used_at IS NULL
			AND expires_at > $3`, account.HashToken(token), tenantID, micros(db.now())).Scan(&userID)
		if errors.Is(err, sql.ErrNoRows) {
			return account.ErrTokenInvalid
		}
		if err != nil {
			return err
		}
		u, err = db.scanUser(tenantID, tx.queryRow(`SELECT `+userColumns+` FROM users WHERE tenant_id = $1 AND id = $2`, tenantID, userID))
		if err != nil {
			return err
		}
		if u.Status != account.StatusInvited {
			return account.ErrTokenInvalid
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: audit.Actor{Kind: audit.KindUser, ID: u.ID, Role: string(u.Role)},
			Action: "user.invitation.open", ObjectType: "user", ObjectID: u.ID, Purpose: "activation"})
	})
	if err != nil {
		return account.User{}, err
	}
	return u, nil
}

// ActivateUser uses an invitation: the user gets the password hash they
// chose (argon2id PHC string) and becomes active, the invitation is spent,
// all in one transaction with its "user.activate" event. A second use of
// the same token fails with account.ErrTokenInvalid.
func (db *DB) ActivateUser(ctx context.Context, tenantID, token, passwordHash string, requestID string) (account.User, error) {
	u, err := db.Invitation(ctx, tenantID, token)
	if err != nil {
		return u, err
	}
	err = db.write(ctx, func(tx *Tx) error {
		res, err := tx.exec(`UPDATE invitations SET used_at = $1 WHERE token_hash = $2 AND tenant_id = $3 AND used_at IS NULL
			AND expires_at > $1`, micros(db.now()), account.HashToken(token), tenantID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return account.ErrTokenInvalid // spent by a concurrent activation
		}
		if _, err := tx.exec(`UPDATE users SET password_hash = $1, status = $2 WHERE tenant_id = $3 AND id = $4`,
			passwordHash, account.StatusActive, tenantID, u.ID); err != nil {
			return err
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID,
			Actor:  audit.Actor{Kind: audit.KindUser, ID: u.ID, Role: string(u.Role), RequestID: requestID},
			Action: "user.activate", ObjectType: "user", ObjectID: u.ID, Purpose: "activation"})
	})
	if err != nil {
		return account.User{}, err
	}
	u.Status = account.StatusActive
	return u, nil
}
