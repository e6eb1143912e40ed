package store

import (
	"database/sql"
	"errors"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/locale"
)

// Security notices: mails that tell a person a change to their account
// happened ("was this not you? contact your admin"), and tell the tenant's
// admins when an account is locked or unlocked. They are composed here, in
// the recipient's language, and queued in the transaction of the change,
// so that no caller (web, CLI, a later API) can make the change without
// the notice. They hold no links, so they need no base URL (unlike the
// invitation and reset mails, which web composes).

// The notices. Each is a mail kind ("account.locked") and the message keys
// "mail.<key>.subject" and "mail.<key>.body" in every catalogue.
const (
	noticeLocked        = "locked"
	noticeUnlocked      = "unlocked"
	noticeAdminLocked   = "admin_locked"
	noticeAdminUnlocked = "admin_unlocked"
	noticeMFAEnrolled   = "mfa_enrolled"
	noticeMFARemoved    = "mfa_removed"
	noticeMFAReset      = "mfa_reset"
	noticeRecoveryCodes = "recovery_codes"
	noticePassword      = "password_changed"
)

// noticeKinds are the outbox kinds of the notices (lower case, dashes).
var noticeKinds = map[string]string{
	noticeLocked: "account.locked", noticeUnlocked: "account.unlocked",
	noticeAdminLocked: "account.locked-admin", noticeAdminUnlocked: "account.unlocked-admin",
	noticeMFAEnrolled: "account.mfa-enrolled", noticeMFARemoved: "account.mfa-removed", noticeMFAReset: "account.mfa-reset",
	noticeRecoveryCodes: "account.recovery-codes", noticePassword: "account.password-changed",
}

// tenantName is the tenant's legal name, as mails name it.
func (tx *Tx) tenantName(tenantID string) (string, error) {
	var name string
	err := tx.queryRow(`SELECT legal_name FROM tenants WHERE id = $1`, tenantID).Scan(&name)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	return name, err
}

// noticeUser reads a user for a notice; ok is false for a user not in
// tenantID or without an address (removed).
func (tx *Tx) noticeUser(tenantID, userID string) (u account.User, ok bool, err error) {
	u, err = tx.db.scanUser(tenantID, tx.queryRow(`SELECT `+userColumns+` FROM users WHERE tenant_id = $1 AND id = $2`,
		tenantID, userID))
	if errors.Is(err, sql.ErrNoRows) {
		return u, false, nil
	}
	if err != nil {
		return u, false, err
	}
	return u, u.Email != "", nil
}

// notifyUser queues the notice key to user userID in their language. The
// body's arguments are the user's name, the tenant's name, then args
// (each a string or a message key's translation made by arg).
func (tx *Tx) notifyUser(tenantID, userID, key string, actor audit.Actor, args ...noticeArg) error {
	u, ok, err := tx.noticeUser(tenantID, userID)
	if err != nil || !ok {
		return err
	}
	tn, err := tx.tenantName(tenantID)
	if err != nil {
		return err
	}
	return tx.queueNotice(tenantID, u, key, actor, append([]noticeArg{text(u.Name), text(tn)}, args...), tn)
}

// notifyAdmins queues the notice key to each active admin of the tenant
// but about (who gets their own notice), in each admin's language. The
// body's arguments are the admin's name, about's name, the tenant's name,
// then args.
func (tx *Tx) notifyAdmins(tenantID, aboutID, key string, actor audit.Actor, args ...noticeArg) error {
	about, _, err := tx.noticeUser(tenantID, aboutID)
	if err != nil {
		return err
	}
	tn, err := tx.tenantName(tenantID)
	if err != nil {
		return err
	}
	// Not activeAdmins: no row locks here, so that a login (which holds
	// the user's row) and an admin action (which locks the admins first)
	// cannot deadlock on PostgreSQL.
	ids, err := tx.queryIDs(`SELECT id FROM users WHERE tenant_id = $1 AND role = $2 AND status = $3
		AND removed_at IS NULL AND id <> $4 ORDER BY id`, tenantID, string(account.RoleAdmin), account.StatusActive, aboutID)
	if err != nil {
		return err
	}
	for _, id := range ids {
		admin, ok, err := tx.noticeUser(tenantID, id)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		if err := tx.queueNotice(tenantID, admin, key, actor,
			append([]noticeArg{text(admin.Name), text(about.Name), text(tn)}, args...), tn); err != nil {
			return err
		}
	}
	return nil
}

// queryIDs returns the single text column of query's rows, closing them
// before the caller's next statement (PostgreSQL runs one at a time per
// connection).
func (tx *Tx) queryIDs(query string, args ...any) ([]string, error) {
	rows, err := tx.tx.QueryContext(tx.ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// noticeArg is one argument of a notice's body, rendered in the
// recipient's language.
type noticeArg func(l locale.Lang) any

// text is an argument that is the same in every language.
func text(s string) noticeArg { return func(locale.Lang) any { return s } }

// msg is an argument that is a message of the catalogues.
func msg(key string, args ...any) noticeArg {
	return func(l locale.Lang) any { return locale.T(l, key, args...) }
}

func (tx *Tx) queueNotice(tenantID string, to account.User, key string, actor audit.Actor, args []noticeArg, tenantName string) error {
	l, ok := locale.Parse(to.Lang)
	if !ok {
		l = locale.NL
	}
	vals := make([]any, len(args))
	for i, a := range args {
		vals[i] = a(l)
	}
	_, err := tx.enqueueMail(tenantID, OutgoingMail{To: to.Email, Lang: string(l), Kind: noticeKinds[key],
		Subject: locale.T(l, "mail."+key+".subject", tenantName),
		Body:    locale.T(l, "mail."+key+".body", vals...)}, actor)
	return err
}

// lockText says how long a lock lasts, for the lock notices.
func lockText(s account.LockState, now time.Time) noticeArg {
	if s.NeedsAdmin {
		return msg("mail.lock.until_admin")
	}
	return msg("mail.lock.minutes", int(s.LockedUntil.Sub(now).Round(time.Minute)/time.Minute))
}

// lockStarted records a lock that just started, as "login.locked" in the
// log of the attempt r made, and tells the user and the tenant's admins.
func (tx *Tx) lockStarted(tenantID string, r *loginRow, requestID string, next account.LockState) error {
	e := loginEvent(tenantID, r, requestID, "login.locked", audit.OutcomeSuccess, lockPurpose(next))
	if err := tx.appendAudit(e); err != nil {
		return err
	}
	now := fromMicros(micros(tx.db.now()))
	actor := audit.System("account.lockout")
	actor.RequestID = requestID
	if err := tx.notifyUser(tenantID, r.id, noticeLocked, actor, lockText(next, now)); err != nil {
		return err
	}
	return tx.notifyAdmins(tenantID, r.id, noticeAdminLocked, actor, lockText(next, now))
}
