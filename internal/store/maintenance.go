package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/seal"
	"github.com/kluis/kluis/internal/tenant"
	"github.com/kluis/kluis/internal/workdays"
)

// Maintenance notices (AUD-4): the supplier looks at a controller's data
// only at the controller's request (OperatorGrant) or after notice for
// maintenance. An operator announces a window at least the controller's
// minimum number of Belgian working days ahead, with scope and reason
// (sealed with the tenant key); the controller's admins and DPO are mailed,
// see it on the operators page and may object (the notice never opens, or
// closes at once) or shorten it (a later start, an earlier end, or open it
// now: the controller consents to less notice). The operator's access opens
// only inside the window, and every step is in the tenant's log and, for
// the operator, in the realm's log.

// The controller's minimum notice, in working days.
const (
	NoticeDaysDefault = 5
	NoticeDaysMin     = 1
	NoticeDaysMax     = 30
)

// noticeMaintenance is the mail to a tenant's admins and DPOs that
// maintenance was announced (mail.maintenance_notice.* in the catalogues).
const noticeMaintenance = "maintenance_notice"

func init() { noticeKinds[noticeMaintenance] = "maintenance.notice" }

// NoticeWindowMax is the longest window one notice may announce.
const NoticeWindowMax = 7 * 24 * time.Hour

// MaintenanceNotice is one announced maintenance window for a tenant.
type MaintenanceNotice struct {
	ID, TenantID, OperatorID string
	Label                    string // the operator's address, as they gave it
	Scope, Reason            string
	AnnouncedAt              time.Time
	AnnouncedStart           time.Time
	AnnouncedEnd             time.Time
	MinNoticeDays            int
	StartsAt, EndsAt         time.Time // the window as it stands
	ChangedAt, ObjectedAt    *time.Time
	Unreadable               bool // scope and reason did not open; listed without them
}

// The states of a notice, as the controller's page groups them.
const (
	NoticeUpcoming = "upcoming"
	NoticeActive   = "active"
	NoticePast     = "past"
	NoticeObjected = "objected"
)

// markUnreadable keeps a listed notice whose sealed values do not open
// (openedList).
func (n *MaintenanceNotice) markUnreadable() string { n.Unreadable = true; return n.ID }

// StateAt is the notice's state at now.
func (n MaintenanceNotice) StateAt(now time.Time) string {
	switch {
	case n.ObjectedAt != nil:
		return NoticeObjected
	case now.Before(n.StartsAt):
		return NoticeUpcoming
	case now.Before(n.EndsAt):
		return NoticeActive
	}
	return NoticePast
}

// ActiveAt reports whether the notice lets its operator in at now: inside
// the window and not objected to.
func (n MaintenanceNotice) ActiveAt(now time.Time) bool { return n.StateAt(now) == NoticeActive }

// NoticeInput is what an operator announces.
type NoticeInput struct {
	Operator    string // the operator's e-mail address
	From, Until time.Time
	Scope       string
	Reason      string
}

// NoticeValidationError maps a field (operator, from, until, scope,
// reason, days) to a message key. A start too soon is "maintenance.error.too_soon",
// whose sentence takes Days and Earliest (the first allowed start).
type NoticeValidationError struct {
	Fields   map[string]string
	Days     int
	Earliest time.Time
}

var noticeFields = []string{"operator", "from", "until", "scope", "reason", "days"}

func (e *NoticeValidationError) Error() string {
	var parts []string
	for _, f := range noticeFields {
		if m, ok := e.Fields[f]; ok {
			parts = append(parts, f+": "+m)
		}
	}
	return "invalid maintenance notice: " + strings.Join(parts, "; ")
}

func noticeAD(tenantID, id, column string) seal.AD {
	return seal.AD{Tenant: tenantID, Table: "maintenance_notices", Column: column, Row: id}
}

// MinNoticeDays is the tenant's minimum notice in working days (the
// default when it set none). No personal data.
func (db *DB) MinNoticeDays(ctx context.Context, tenantID string) (int, error) {
	var days int
	err := db.sql.QueryRowContext(ctx, `SELECT min_notice_days FROM maintenance_settings WHERE tenant_id = $1`, tenantID).Scan(&days)
	if errors.Is(err, sql.ErrNoRows) {
		return NoticeDaysDefault, nil
	}
	if err != nil {
		return 0, fmt.Errorf("minimum notice: %w", err)
	}
	return days, nil
}

// SetMinNoticeDays sets the tenant's minimum notice, audited.
// *NoticeValidationError (field "days") outside NoticeDaysMin…NoticeDaysMax.
func (db *DB) SetMinNoticeDays(ctx context.Context, actor audit.Actor, tenantID string, days int) error {
	if days < NoticeDaysMin || days > NoticeDaysMax {
		return &NoticeValidationError{Fields: map[string]string{"days": "maintenance.error.days"}}
	}
	return db.write(ctx, func(tx *Tx) error {
		now := micros(db.now())
		if _, err := tx.exec(`INSERT INTO maintenance_settings (tenant_id, min_notice_days, updated_at, updated_by)
			VALUES ($1, $2, $3, $4) ON CONFLICT (tenant_id) DO UPDATE SET min_notice_days = $2, updated_at = $3, updated_by = $4`,
			tenantID, days, now, actor.ID); err != nil {
			return err
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "maintenance.settings",
			ObjectType: "tenant", ObjectID: fmt.Sprintf("%d", days), Purpose: "minimum notice in working days"})
	})
}

func (tx *Tx) minNoticeDays(tenantID string) (int, error) {
	var days int
	err := tx.queryRow(`SELECT min_notice_days FROM maintenance_settings WHERE tenant_id = $1`, tenantID).Scan(&days)
	if errors.Is(err, sql.ErrNoRows) {
		return NoticeDaysDefault, nil
	}
	return days, err
}

// validateWindow checks the window's own shape: from before until, at most
// max long (0: no limit; the controller may open an announced window early).
func validateWindow(f map[string]string, from, until time.Time, max time.Duration) {
	if from.IsZero() {
		f["from"] = "maintenance.error.from_required"
	}
	switch {
	case until.IsZero():
		f["until"] = "maintenance.error.until_required"
	case !from.IsZero() && !until.After(from):
		f["until"] = "maintenance.error.until_before_from"
	case !from.IsZero() && max > 0 && until.Sub(from) > max:
		f["until"] = "maintenance.error.too_long"
	}
}

func (in NoticeInput) validate() map[string]string {
	f := map[string]string{}
	if in.Operator == "" {
		f["operator"] = "maintenance.error.operator_required"
	} else if !account.ValidEmail(in.Operator) {
		f["operator"] = "maintenance.error.operator_invalid"
	}
	validateWindow(f, in.From, in.Until, NoticeWindowMax)
	for field, s := range map[string]string{"scope": in.Scope, "reason": in.Reason} {
		if s == "" {
			f[field] = "maintenance.error." + field + "_required"
		} else if utf8.RuneCountInString(s) > 500 {
			f[field] = "maintenance.error." + field + "_too_long"
		}
	}
	return f
}

// AnnounceMaintenance records the operator's notice of maintenance for the
// tenant, audited in the tenant's log and the realm's, and mails the
// tenant's admins and DPO. *NoticeValidationError for bad input or a start
// fewer than the tenant's minimum working days ahead ("from":
// "maintenance.error.too_soon"); ErrNoSuchOperator when the address is no active
// operator; ErrNotFound for an unknown or inactive tenant.
func (db *DB) AnnounceMaintenance(ctx context.Context, actor audit.Actor, tenantID string, in NoticeInput) (MaintenanceNotice, error) {
	in.Operator, in.Scope, in.Reason = strings.TrimSpace(in.Operator), strings.TrimSpace(in.Scope), strings.TrimSpace(in.Reason)
	if err := db.requireKeys(); err != nil {
		return MaintenanceNotice{}, err
	}
	t, err := db.Tenant(ctx, tenantID)
	if err != nil {
		return MaintenanceNotice{}, err
	}
	if t.IsPlatform() || t.Status != tenant.StatusActive {
		return MaintenanceNotice{}, fmt.Errorf("tenant %q: %w", t.Slug, ErrNotFound)
	}
	now := db.now()
	days, err := db.MinNoticeDays(ctx, t.ID)
	if err != nil {
		return MaintenanceNotice{}, err
	}
	f := in.validate()
	earliest := workdays.Add(now, days)
	if _, bad := f["from"]; !bad && !workdays.AtLeast(now, in.From, days) {
		f["from"] = "maintenance.error.too_soon"
	}
	if len(f) > 0 {
		return MaintenanceNotice{}, &NoticeValidationError{Fields: f, Days: days, Earliest: earliest}
	}
	realm, err := db.TenantBySlug(ctx, tenant.OperatorSlug)
	if errors.Is(err, ErrNotFound) {
		return MaintenanceNotice{}, ErrNoSuchOperator
	} else if err != nil {
		return MaintenanceNotice{}, err
	}
	index, err := db.emailIndex(realm.ID, in.Operator)
	if err != nil {
		return MaintenanceNotice{}, err
	}
	n := MaintenanceNotice{ID: newID(now), TenantID: t.ID, Label: in.Operator, Scope: in.Scope, Reason: in.Reason,
		AnnouncedAt: fromMicros(micros(now)), AnnouncedStart: fromMicros(micros(in.From)), AnnouncedEnd: fromMicros(micros(in.Until)),
		MinNoticeDays: days}
	n.StartsAt, n.EndsAt = n.AnnouncedStart, n.AnnouncedEnd
	label, err := db.keys.Seal(t.ID, noticeAD(t.ID, n.ID, "label"), []byte(n.Label))
	if err != nil {
		return n, err
	}
	scope, err := db.keys.Seal(t.ID, noticeAD(t.ID, n.ID, "scope"), []byte(n.Scope))
	if err != nil {
		return n, err
	}
	reason, err := db.keys.Seal(t.ID, noticeAD(t.ID, n.ID, "reason"), []byte(n.Reason))
	if err != nil {
		return n, err
	}
	err = db.write(ctx, func(tx *Tx) error {
		var status string
		err := tx.queryRow(`SELECT id, status FROM users WHERE tenant_id = $1 AND email_index = $2`, realm.ID, index).Scan(&n.OperatorID, &status)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && status != account.StatusActive) {
			return ErrNoSuchOperator
		} else if err != nil {
			return err
		}
		// The minimum is read again in the transaction: an admin who just
		// raised it is not overtaken.
		if d, err := tx.minNoticeDays(t.ID); err != nil {
			return err
		} else if d != days {
			return fmt.Errorf("minimum notice changed meanwhile: %w", ErrConflict)
		}
		if _, err := tx.exec(`INSERT INTO maintenance_notices (id, tenant_id, operator_id, label, scope, reason, announced_at,
			announced_start, announced_end, min_notice_days, starts_at, ends_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`, n.ID, t.ID, n.OperatorID, label, scope, reason,
			micros(n.AnnouncedAt), micros(n.StartsAt), micros(n.EndsAt), days, micros(n.StartsAt), micros(n.EndsAt)); err != nil {
			return err
		}
		if err := tx.noticeEvents(realm.ID, actor, "maintenance.announce", n); err != nil {
			return err
		}
		return tx.mailNotice(t, n, actor)
	})
	if err != nil {
		return MaintenanceNotice{}, err
	}
	return n, nil
}

// noticeEvents records one step of a notice in the tenant's log and, so
// that the operator learns of it, in the realm's.
func (tx *Tx) noticeEvents(realmID string, actor audit.Actor, action string, n MaintenanceNotice) error {
	purpose := "from " + n.StartsAt.UTC().Format(time.RFC3339) + " until " + n.EndsAt.UTC().Format(time.RFC3339)
	if err := tx.appendAudit(audit.Event{TenantID: n.TenantID, Actor: actor, Action: action, ObjectType: "maintenance_notice",
		ObjectID: n.ID, Subject: n.OperatorID, Purpose: purpose}); err != nil {
		return err
	}
	return tx.appendAudit(audit.Event{TenantID: realmID, Actor: actor, Action: action, ObjectType: "maintenance_notice",
		ObjectID: n.ID, Subject: n.OperatorID, Purpose: "tenant " + n.TenantID + " " + purpose})
}

// mailNotice queues the announcement to the tenant's active admins and
// DPOs, each in their language, and to the DPO address of the tenant's
// contact (in the tenant's language), in the announcement's transaction.
func (tx *Tx) mailNotice(t tenant.Tenant, n MaintenanceNotice, actor audit.Actor) error {
	ids, err := tx.queryIDs(`SELECT id FROM users WHERE tenant_id = $1 AND role IN ($2, $3) AND status = $4
		AND removed_at IS NULL ORDER BY id`, t.ID, string(account.RoleAdmin), string(account.RoleDPO), account.StatusActive)
	if err != nil {
		return err
	}
	from, until := n.StartsAt.In(workdays.Brussels).Format("02.01.2006 15:04"), n.EndsAt.In(workdays.Brussels).Format("02.01.2006 15:04")
	mailed := map[string]bool{}
	send := func(u account.User) error {
		mailed[strings.ToLower(u.Email)] = true
		return tx.queueNotice(t.ID, u, noticeMaintenance, actor,
			[]noticeArg{text(u.Name), text(t.LegalName), text(from), text(until), text(n.Scope)}, t.LegalName)
	}
	for _, id := range ids {
		u, ok, err := tx.noticeUser(t.ID, id)
		if err != nil {
			return err
		}
		if ok {
			if err := send(u); err != nil {
				return err
			}
		}
	}
	// The DPO named in the contract need not use Kluis: their address
	// hears of it too (AUD-4). A contact that does not open is recorded as
	// a failed read and the users' mails still go.
	name, email, err := tx.tenantContact(t.ID, actor, "maintenance notice")
	if errors.Is(err, ErrUnreadable) {
		return nil
	} else if err != nil {
		return err
	}
	if email == "" || mailed[strings.ToLower(email)] {
		return nil
	}
	return send(account.User{Name: name, Email: email, Lang: t.DefaultLang})
}

const noticeColumns = `id, tenant_id, operator_id, label, scope, reason, announced_at, announced_start, announced_end, min_notice_days,
	starts_at, ends_at, changed_at, objected_at`

func (db *DB) scanNotice(row interface{ Scan(...any) error }, open bool) (MaintenanceNotice, error) {
	var n MaintenanceNotice
	var label, scope, reason []byte
	var at, aStart, aEnd, start, end int64
	var changed, objected sql.NullInt64
	if err := row.Scan(&n.ID, &n.TenantID, &n.OperatorID, &label, &scope, &reason, &at, &aStart, &aEnd, &n.MinNoticeDays,
		&start, &end, &changed, &objected); err != nil {
		return n, err
	}
	n.AnnouncedAt, n.AnnouncedStart, n.AnnouncedEnd = fromMicros(at), fromMicros(aStart), fromMicros(aEnd)
	n.StartsAt, n.EndsAt = fromMicros(start), fromMicros(end)
	if changed.Valid {
		c := fromMicros(changed.Int64)
		n.ChangedAt = &c
	}
	if objected.Valid {
		o := fromMicros(objected.Int64)
		n.ObjectedAt = &o
	}
	if open {
		var opened [3][]byte
		for i, c := range []struct {
			column string
			sealed []byte
		}{{"label", label}, {"scope", scope}, {"reason", reason}} {
			b, err := db.keys.Open(n.TenantID, noticeAD(n.TenantID, n.ID, c.column), c.sealed)
			if err != nil {
				return n, &openError{sealed: c.sealed, err: err}
			}
			opened[i] = b
		}
		n.Label, n.Scope, n.Reason = string(opened[0]), string(opened[1]), string(opened[2])
	}
	return n, nil
}

// MaintenanceNotices lists the tenant's notices that end in the future or
// ended in the last 90 days, latest start first, opened for display; the
// read is audited in the tenant's log. A notice whose scope or reason does
// not open is listed without them (Unreadable) and recorded as a failed read.
func (db *DB) MaintenanceNotices(ctx context.Context, actor audit.Actor, tenantID string) ([]MaintenanceNotice, error) {
	return reviewedList(ctx, db, actor, tenantID, "maintenance.notices.read", "maintenance_notice", "maintenance_notices",
		func(row interface{ Scan(...any) error }) (MaintenanceNotice, error) { return db.scanNotice(row, true) },
		`SELECT `+noticeColumns+` FROM maintenance_notices WHERE tenant_id = $1 AND ends_at >= $2
		ORDER BY starts_at DESC, id`, tenantID, micros(db.now().Add(-90*24*time.Hour)))
}

// changeNotice loads the tenant's notice for a change by the controller,
// refusing one that is objected to or over (ErrConflict).
func (tx *Tx) changeNotice(tenantID, id string) (MaintenanceNotice, string, error) {
	n, err := tx.db.scanNotice(tx.queryRow(`SELECT `+noticeColumns+` FROM maintenance_notices WHERE tenant_id = $1 AND id = $2`,
		tenantID, id), false)
	if errors.Is(err, sql.ErrNoRows) {
		return n, "", fmt.Errorf("maintenance notice %q: %w", id, ErrNotFound)
	} else if err != nil {
		return n, "", err
	}
	if s := n.StateAt(tx.db.now()); s == NoticeObjected || s == NoticePast {
		return n, "", fmt.Errorf("maintenance notice %q is %s: %w", id, s, ErrConflict)
	}
	var realmID string
	if err := tx.queryRow(`SELECT id FROM tenants WHERE slug = $1`, tenant.OperatorSlug).Scan(&realmID); err != nil {
		return n, "", err
	}
	return n, realmID, nil
}

// ObjectToNotice is the controller's objection: the notice closes at once
// and never opens again, audited in both logs. ErrNotFound for an unknown
// id or another tenant's notice; ErrConflict when it is over already.
func (db *DB) ObjectToNotice(ctx context.Context, actor audit.Actor, tenantID, id string) error {
	return db.write(ctx, func(tx *Tx) error {
		n, realmID, err := tx.changeNotice(tenantID, id)
		if err != nil {
			return err
		}
		if _, err := tx.exec(`UPDATE maintenance_notices SET objected_at = $1, objected_by = $2
			WHERE tenant_id = $3 AND id = $4 AND objected_at IS NULL`, micros(db.now()), actor.ID, tenantID, id); err != nil {
			return err
		}
		return tx.noticeEvents(realmID, actor, "maintenance.object", n)
	})
}

// ShortenNotice sets the notice's window to from…until on the controller's
// word: the start anywhere from now on (earlier than announced is the
// controller's consent to less notice; "now" opens it), the end no later
// than announced; a zero until keeps the end. Audited in both logs.
// *NoticeValidationError (fields "from", "until"); ErrNotFound; ErrConflict
// when it is objected to or over.
func (db *DB) ShortenNotice(ctx context.Context, actor audit.Actor, tenantID, id string, from, until time.Time) error {
	return db.write(ctx, func(tx *Tx) error {
		n, realmID, err := tx.changeNotice(tenantID, id)
		if err != nil {
			return err
		}
		if until.IsZero() {
			until = n.EndsAt
		}
		// Pages show the window to the minute: a start given back as shown
		// is the start as it stands (an open window keeps its start).
		if !from.IsZero() && from.Truncate(time.Minute).Equal(n.StartsAt.Truncate(time.Minute)) {
			from = n.StartsAt
		}
		now := db.now()
		f := map[string]string{}
		validateWindow(f, from, until, 0)
		if _, bad := f["from"]; !bad && from.Before(now.Add(-time.Minute)) && !from.Equal(n.StartsAt) {
			f["from"] = "maintenance.error.from_past"
		}
		if _, bad := f["until"]; !bad && until.After(n.AnnouncedEnd) {
			f["until"] = "maintenance.error.until_later"
		} else if !bad && !until.After(now) {
			f["until"] = "maintenance.error.until_past"
		}
		if len(f) > 0 {
			return &NoticeValidationError{Fields: f}
		}
		if from.Before(now) && n.StartsAt.After(now) {
			from = now // "open now"
		}
		n.StartsAt, n.EndsAt = fromMicros(micros(from)), fromMicros(micros(until))
		if _, err := tx.exec(`UPDATE maintenance_notices SET starts_at = $1, ends_at = $2, changed_at = $3, changed_by = $4
			WHERE tenant_id = $5 AND id = $6`, micros(n.StartsAt), micros(n.EndsAt), micros(now), actor.ID, tenantID, id); err != nil {
			return err
		}
		return tx.noticeEvents(realmID, actor, "maintenance.shorten", n)
	})
}

// ActiveMaintenanceNotice returns the notice that lets operatorID into
// tenantID now (the one that lasts longest), or ErrNotFound. It opens
// neither scope nor reason.
func (db *DB) ActiveMaintenanceNotice(ctx context.Context, tenantID, operatorID string) (MaintenanceNotice, error) {
	now := micros(db.now())
	n, err := db.scanNotice(db.sql.QueryRowContext(ctx, `SELECT `+noticeColumns+` FROM maintenance_notices
		WHERE tenant_id = $1 AND operator_id = $2 AND objected_at IS NULL AND starts_at <= $3 AND ends_at > $3
		ORDER BY ends_at DESC LIMIT 1`, tenantID, operatorID, now), false)
	if errors.Is(err, sql.ErrNoRows) {
		return n, fmt.Errorf("maintenance notice: %w", ErrNotFound)
	}
	return n, err
}

// NoticeWindow is a notice's window, as the audit log names the notice
// under which an operator acted; no sealed field.
type NoticeWindow struct{ StartsAt, EndsAt time.Time }

// NoticeWindows returns the windows of those of ids that are the tenant's
// maintenance notices (the rest are grants or unknown). No personal data.
func (db *DB) NoticeWindows(ctx context.Context, tenantID string, ids []string) (map[string]NoticeWindow, error) {
	out := map[string]NoticeWindow{}
	for _, id := range ids {
		var s, e int64
		err := db.sql.QueryRowContext(ctx, `SELECT starts_at, ends_at FROM maintenance_notices WHERE tenant_id = $1 AND id = $2`,
			tenantID, id).Scan(&s, &e)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		} else if err != nil {
			return nil, fmt.Errorf("notice windows: %w", err)
		}
		out[id] = NoticeWindow{fromMicros(s), fromMicros(e)}
	}
	return out, nil
}

// OperatorNoticeSummary is one of an operator's own notices, for their
// page in the realm: the controller and the window, nothing sealed (scope
// and reason are sealed with the controller's key).
type OperatorNoticeSummary struct {
	ID, Slug, LegalName string
	StartsAt, EndsAt    time.Time
	ObjectedAt          *time.Time
}

// OperatorNotices lists the notices operatorID announced that end in the
// future or ended in the last 90 days, latest start first. No personal data.
func (db *DB) OperatorNotices(ctx context.Context, operatorID string) ([]OperatorNoticeSummary, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT n.id, t.slug, t.legal_name, n.starts_at, n.ends_at, n.objected_at
		FROM maintenance_notices n JOIN tenants t ON t.id = n.tenant_id
		WHERE n.operator_id = $1 AND n.ends_at >= $2 ORDER BY n.starts_at DESC, n.id`,
		operatorID, micros(db.now().Add(-90*24*time.Hour)))
	if err != nil {
		return nil, fmt.Errorf("operator notices: %w", err)
	}
	defer rows.Close()
	var out []OperatorNoticeSummary
	for rows.Next() {
		var s OperatorNoticeSummary
		var start, end int64
		var objected sql.NullInt64
		if err := rows.Scan(&s.ID, &s.Slug, &s.LegalName, &start, &end, &objected); err != nil {
			return nil, err
		}
		s.StartsAt, s.EndsAt = fromMicros(start), fromMicros(end)
		if objected.Valid {
			o := fromMicros(objected.Int64)
			s.ObjectedAt = &o
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// StateAt is the notice's state at now, as MaintenanceNotice.StateAt.
func (s OperatorNoticeSummary) StateAt(now time.Time) string {
	return MaintenanceNotice{StartsAt: s.StartsAt, EndsAt: s.EndsAt, ObjectedAt: s.ObjectedAt}.StateAt(now)
}
