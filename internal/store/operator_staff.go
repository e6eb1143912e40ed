package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/locale"
	"github.com/kluis/kluis/internal/seal"
	"github.com/kluis/kluis/internal/tenant"
)

// The supplier's staff list (contract AUD-5): every controller sees every
// operator account that could be granted access to its data — name,
// department, MFA state, status and since when — and is told, in its own
// audit log and by mail to its DPO contact, whenever that list changes.
//
// A change of the list is any event of the operators' realm that adds,
// activates, suspends, re-enables or removes an operator, enrols or resets
// their second factor, or changes their department. appendAudit hands such
// events to staffChanged in the same transaction, so the change, every
// controller's "operator.staff_change" event and its mail are stored
// together or not at all, whichever code path made the change.

// StaffChange names what changed about an operator; it is the audit event's
// purpose and picks the mail's sentence.
type StaffChange string

// The changes of the staff list.
const (
	StaffAdded      StaffChange = "added"
	StaffActivated  StaffChange = "activated"
	StaffSuspended  StaffChange = "suspended"
	StaffEnabled    StaffChange = "enabled"
	StaffRemoved    StaffChange = "removed"
	StaffMFAEnrol   StaffChange = "mfa_enrolled"
	StaffMFAReset   StaffChange = "mfa_reset"
	StaffDepartment StaffChange = "department"
	StaffPasskey    StaffChange = "passkey_added"
	StaffNoPasskey  StaffChange = "passkey_removed"
)

// staffChangeOf maps a realm event's action to the change of the list.
var staffChangeOf = map[string]StaffChange{
	"user.invite":         StaffAdded,
	"user.activate":       StaffActivated,
	"user.disable":        StaffSuspended,
	"user.enable":         StaffEnabled,
	"user.removed":        StaffRemoved,
	"mfa.enrol":           StaffMFAEnrol,
	"mfa.remove":          StaffMFAReset,
	"operator.department": StaffDepartment,
	"passkey.add":         StaffPasskey,
	"passkey.remove":      StaffNoPasskey,
}

// StaffMember is one operator account on a controller's staff list.
type StaffMember struct {
	ID         string
	Name       string
	Department string
	Status     string // account.StatusInvited, StatusActive or StatusDisabled (suspended)
	MFA        bool   // a second factor: a confirmed TOTP or a passkey
	Since      time.Time
	Unreadable bool // the name did not open; listed without it
}

// OperatorStaff lists every operator account that can be granted access to
// tenantID (removed accounts are gone from the list), oldest first, and
// records the consultation ("operator.staff.read") in the tenant's log.
func (db *DB) OperatorStaff(ctx context.Context, actor audit.Actor, tenantID string) ([]StaffMember, error) {
	if err := db.requireKeys(); err != nil {
		return nil, err
	}
	var out []StaffMember
	err := db.write(ctx, func(tx *Tx) error {
		out = out[:0]
		var realmID string
		err := tx.queryRow(`SELECT id FROM tenants WHERE slug = $1 AND realm = 'platform'`, tenant.OperatorSlug).Scan(&realmID)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if realmID != "" {
			rows, err := tx.tx.QueryContext(tx.ctx, `SELECT u.id, u.name, u.department, u.status, u.created_at,
				CASE WHEN m.confirmed_at IS NOT NULL OR EXISTS (SELECT 1 FROM passkeys p WHERE p.tenant_id = u.tenant_id
					AND p.user_id = u.id) THEN 1 ELSE 0 END
				FROM users u LEFT JOIN mfa_totp m ON m.user_id = u.id AND m.tenant_id = u.tenant_id
				WHERE u.tenant_id = $1 AND u.removed_at IS NULL ORDER BY u.created_at, u.id`, realmID)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var m StaffMember
				var name []byte
				var since int64
				var mfa int
				if err := rows.Scan(&m.ID, &name, &m.Department, &m.Status, &since, &mfa); err != nil {
					return err
				}
				m.Since, m.MFA = fromMicros(since), mfa == 1
				if n, err := db.keys.Open(realmID, userAD(realmID, m.ID, "name"), name); err != nil {
					m.Unreadable = true
				} else {
					m.Name = string(n)
				}
				out = append(out, m)
			}
			if err := rows.Err(); err != nil {
				return err
			}
			rows.Close() // before the next statement: PostgreSQL runs one at a time per connection
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "operator.staff.read",
			ObjectType: "operator_staff", ObjectID: fmt.Sprintf("%d operators", len(out)), Purpose: "access review"})
	})
	if err != nil {
		return nil, fmt.Errorf("operator staff: %w", err)
	}
	return out, nil
}

// SetOperatorDepartment changes the department of the operator with the
// given address, audited in the realm's log as "operator.department" (and
// so announced to every controller). ErrNoSuchOperator for an address that
// is no operator; an *account.ValidationError for a bad department.
func (db *DB) SetOperatorDepartment(ctx context.Context, actor audit.Actor, email, department string) error {
	department = strings.TrimSpace(department)
	if msg := account.DepartmentProblem(department); msg != "" {
		return &account.ValidationError{Fields: map[string]string{"department": msg}}
	}
	id, realmID, err := db.operatorByEmail(ctx, email)
	if err != nil {
		return err
	}
	return db.write(ctx, func(tx *Tx) error {
		res, err := tx.exec(`UPDATE users SET department = $1 WHERE tenant_id = $2 AND id = $3 AND removed_at IS NULL`,
			department, realmID, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrNoSuchOperator
		}
		return tx.appendAudit(audit.Event{TenantID: realmID, Actor: actor, Action: "operator.department",
			ObjectType: "user", ObjectID: id, Purpose: "staff list"})
	})
}

// OperatorID returns the id of the (not removed) operator with the given
// address. ErrNoSuchOperator when there is none.
func (db *DB) OperatorID(ctx context.Context, email string) (string, error) {
	id, _, err := db.operatorByEmail(ctx, email)
	return id, err
}

func (db *DB) operatorByEmail(ctx context.Context, email string) (id, realmID string, err error) {
	if err := db.requireKeys(); err != nil {
		return "", "", err
	}
	realm, err := db.TenantBySlug(ctx, tenant.OperatorSlug)
	if errors.Is(err, ErrNotFound) {
		return "", "", ErrNoSuchOperator
	} else if err != nil {
		return "", "", err
	}
	index, err := db.emailIndex(realm.ID, strings.TrimSpace(email))
	if err != nil {
		return "", "", err
	}
	err = db.sql.QueryRowContext(ctx, `SELECT id FROM users WHERE tenant_id = $1 AND email_index = $2 AND removed_at IS NULL`,
		realm.ID, index).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", ErrNoSuchOperator
	}
	return id, realm.ID, err
}

// staffChanged tells every controller, in tx, that the staff list changed
// when e (just appended) is such a change in the operators' realm: an
// "operator.staff_change" event in each controller's log and one mail to
// its DPO contact. Cheap for every other event: a map lookup.
func (tx *Tx) staffChanged(e audit.Event) error {
	change, ok := staffChangeOf[e.Action]
	if !ok || e.Outcome != audit.OutcomeSuccess {
		return nil
	}
	if change == StaffNoPasskey && e.ObjectType == "user" {
		return nil // part of a second-factor reset: its "mfa.remove" tells, once
	}
	var realm string
	if err := tx.queryRow(`SELECT realm FROM tenants WHERE id = $1`, e.TenantID).Scan(&realm); err != nil {
		return err
	}
	if realm != tenant.RealmPlatform {
		return nil
	}
	opID := e.ObjectID
	if change == StaffPasskey || change == StaffNoPasskey {
		opID = e.Subject // the object is the passkey
	}
	var sealedName []byte
	var department string
	var removed sql.NullInt64
	if err := tx.queryRow(`SELECT name, department, removed_at FROM users WHERE tenant_id = $1 AND id = $2`, e.TenantID, opID).
		Scan(&sealedName, &department, &removed); err != nil {
		return fmt.Errorf("staff change: %w", err)
	}
	// A removed operator's name is gone: the mail names the account by its
	// pseudonym, as the log does.
	name := "#" + account.Pseudonym(opID)
	if !removed.Valid {
		if n, err := tx.db.keys.Open(e.TenantID, userAD(e.TenantID, opID, "name"), sealedName); err == nil {
			name = string(n)
		}
	}
	type target struct {
		id, lang, legalName string
		dpoEmail            []byte
	}
	rows, err := tx.query(`SELECT id, default_lang, legal_name, dpo_email FROM tenants WHERE realm = 'controller' ORDER BY id`)
	if err != nil {
		return err
	}
	var ts []target
	for rows.Next() {
		var t target
		if err := rows.Scan(&t.id, &t.lang, &t.legalName, &t.dpoEmail); err != nil {
			rows.Close()
			return err
		}
		ts = append(ts, t)
	}
	if err := rows.Err(); err != nil {
		rows.Close()
		return err
	}
	rows.Close()
	// The platform tells each controller; who made the change is in the
	// operators' realm's own log. The change is no act of the operator on
	// the controller's data, so it is not shown as one (nor under a grant).
	actor := audit.System("staff-list")
	actor.RequestID = e.Actor.RequestID
	for _, t := range ts {
		if err := tx.appendAudit(audit.Event{TenantID: t.id, Actor: actor, Action: "operator.staff_change",
			ObjectType: "operator", ObjectID: opID, Purpose: string(change)}); err != nil {
			return err
		}
		to, err := tx.db.keys.Open(t.id, seal.AD{Tenant: t.id, Table: "tenants", Column: "dpo_email", Row: t.id}, t.dpoEmail)
		if err != nil || len(to) == 0 {
			continue // the tenant's keys are gone: nobody left to tell, the event stands
		}
		l, _ := locale.Parse(t.lang)
		dept := department
		if dept == "" {
			dept = locale.T(l, "staffcli.department.none")
		}
		m := OutgoingMail{To: string(to), Lang: t.lang, Kind: "operator.staff_change",
			Subject: locale.T(l, "staffcli.mail.subject"),
			Body: locale.T(l, "staffcli.mail.body", t.legalName, locale.T(l, "staffcli.change."+string(change)), name, dept,
				tx.db.now().UTC().Format("2006-01-02 15:04 UTC"))}
		if _, err := tx.enqueueMail(t.id, m, actor); err != nil {
			return err
		}
	}
	return nil
}
