package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/breach"
	"github.com/kluis/kluis/internal/seal"
	"github.com/kluis/kluis/internal/tenant"
)

// The breach register (BRE-1…BRE-5). A breach is opened by supplier staff
// (an operator actor) or by a tenant user with what is known — only a
// description and the discovery time are required — and every update is a
// new version: the annex-2 form sealed with the tenant key, who, when and
// the SHA-256 of the form. A version sent to the controller carries the
// proof of that notification. The controller records when it notified the
// GBA and the people affected; Kluis does neither itself (BRE-3).

// Breach is one breach with its latest form.
type Breach struct {
	ID                 string
	DiscoveredAt       time.Time
	Version            int
	OpenedByKind       string // user or operator
	OpenedBy           string
	OpenedAt           time.Time
	NotifiedAt         *time.Time // first notification to the controller (BRE-1)
	Escalated          int        // security officer's warnings sent: 0, 18, 24
	GBANotifiedAt      *time.Time // as the controller recorded it (BRE-3)
	SubjectsInformedAt *time.Time
	UpdatedAt          time.Time
	Report             breach.Report // the latest version's form
	ReportAt           time.Time     // when the latest version was saved: the form's date
	// Versions, oldest first: only BreachByID fills them.
	Versions []BreachVersion
}

// ControllerClock is the 24-hour clock to the controller at now (BRE-1).
func (b Breach) ControllerClock(now time.Time) breach.Clock {
	return breach.ControllerClock(b.DiscoveredAt, b.NotifiedAt, now)
}

// AuthorityClock is the controller's 72-hour clock to the GBA (BRE-3).
func (b Breach) AuthorityClock(now time.Time) breach.Clock {
	return breach.AuthorityClock(b.DiscoveredAt, b.GBANotifiedAt, now)
}

// BreachVersion is one saved version of a breach's form.
type BreachVersion struct {
	Version       int
	Report        breach.Report
	ContentSHA256 string // hex SHA-256 of the sealed JSON's plaintext
	AuthorKind    string
	Author        string
	CreatedAt     time.Time
	// The proof of the notification to the controller, when this version
	// was sent: when, to whom, and the hex SHA-256 of the mail's subject,
	// a blank line and its body as queued.
	NotifiedAt *time.Time
	NotifiedTo []string
	MailSHA256 string
}

// BreachValidationError is a refused form: input id → message key
// (breach.Report.Validate). Nothing was saved.
type BreachValidationError struct{ Fields map[string]string }

func (e *BreachValidationError) Error() string { return refusedIn("breach refused: ", e.Fields) }

// BreachMail composes the notification of breach b to the controller in the
// tenant's language; the store fills To and Kind. It names the breach and
// its clock, and sends the reader to Kluis for the form.
type BreachMail func(t tenant.Tenant, b Breach) OutgoingMail

// BreachEscalation composes the security officer's warning about breach b
// of tenant t, not yet reported stage hours after discovery.
type BreachEscalation func(t tenant.Tenant, b Breach, stage int) OutgoingMail

// ErrBreachNotice: the kind of notice is unknown.
var ErrBreachNotice = errors.New("unknown breach notice")

// ErrControllerOnly: only the controller's own users record its notices to
// the GBA and the people affected (BRE-3), not supplier staff.
var ErrControllerOnly = errors.New("only the controller records this")

func breachAD(tenantID, column, breachID string, version int) seal.AD {
	return seal.AD{Tenant: tenantID, Table: "breach_versions", Column: column, Row: fmt.Sprintf("%s/%d", breachID, version)}
}

func mayWriteBreach(actor audit.Actor) error {
	if actor.Kind != audit.KindUser && actor.Kind != audit.KindOperator {
		return fmt.Errorf("breach: actor kind %q may not write the register", actor.Kind)
	}
	return nil
}

// OpenBreach records a new breach from what is known (BRE-1) and audits it
// ("breach.open"). With notify, the form goes to the controller at once
// (tenant admins and DPO by mail, "breach.notify", with proof on the
// version); without, it is a draft whose 24-hour clock runs.
// *BreachValidationError for a refused form, nothing saved.
func (db *DB) OpenBreach(ctx context.Context, actor audit.Actor, tenantID string, r breach.Report, notify BreachMail) (Breach, error) {
	if err := db.requireKeys(); err != nil {
		return Breach{}, err
	}
	if err := mayWriteBreach(actor); err != nil {
		return Breach{}, err
	}
	r.Normalize()
	now := db.now()
	if bad := r.Validate(now); len(bad) > 0 {
		return Breach{}, &BreachValidationError{bad}
	}
	b := Breach{ID: newID(now), DiscoveredAt: r.DiscoveredAt, Version: 1, OpenedByKind: string(actor.Kind), OpenedBy: actor.ID,
		OpenedAt: now, UpdatedAt: now, Report: r}
	err := db.write(ctx, func(tx *Tx) error {
		if _, err := tx.exec(`INSERT INTO breaches (id, tenant_id, discovered_at, version, opened_by_kind, opened_by, opened_at, updated_at)
			VALUES ($1, $2, $3, 1, $4, $5, $6, $6)`, b.ID, tenantID, micros(b.DiscoveredAt), b.OpenedByKind, b.OpenedBy, micros(now)); err != nil {
			return err
		}
		return tx.saveBreachVersion(actor, tenantID, &b, "breach.open", notify)
	})
	if err != nil {
		return Breach{}, fmt.Errorf("open breach: %w", err)
	}
	return b, nil
}

// UpdateBreach saves r as breach id's next version ("breach.update") and,
// with notify, sends it to the controller as OpenBreach does. The discovery
// time may be corrected; the clocks follow it. *BreachValidationError for a
// refused form, ErrNotFound for none of the tenant's.
func (db *DB) UpdateBreach(ctx context.Context, actor audit.Actor, tenantID, id string, r breach.Report, notify BreachMail) (Breach, error) {
	if err := db.requireKeys(); err != nil {
		return Breach{}, err
	}
	if err := mayWriteBreach(actor); err != nil {
		return Breach{}, err
	}
	r.Normalize()
	if bad := r.Validate(db.now()); len(bad) > 0 {
		return Breach{}, &BreachValidationError{bad}
	}
	var b Breach
	err := db.write(ctx, func(tx *Tx) error {
		var err error
		if b, err = tx.breachRowFor(actor, tenantID, id); err != nil {
			return err
		}
		now := tx.db.now()
		b.Version++
		b.DiscoveredAt, b.UpdatedAt, b.Report = r.DiscoveredAt, now, r
		if _, err := tx.exec(`UPDATE breaches SET version = $1, discovered_at = $2, updated_at = $3 WHERE tenant_id = $4 AND id = $5`,
			b.Version, micros(b.DiscoveredAt), micros(now), tenantID, id); err != nil {
			return err
		}
		return tx.saveBreachVersion(actor, tenantID, &b, "breach.update", notify)
	})
	if err != nil {
		return Breach{}, fmt.Errorf("update breach: %w", err)
	}
	return b, nil
}

// saveBreachVersion seals b.Report as version b.Version, audits it as
// action, and with notify sends it to the controller.
func (tx *Tx) saveBreachVersion(actor audit.Actor, tenantID string, b *Breach, action string, notify BreachMail) error {
	plain, err := json.Marshal(b.Report)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(plain)
	content, err := tx.db.keys.Seal(tenantID, breachAD(tenantID, "content", b.ID, b.Version), plain)
	if err != nil {
		return err
	}
	v := BreachVersion{Version: b.Version, Report: b.Report, ContentSHA256: hex.EncodeToString(sum[:]), AuthorKind: string(actor.Kind),
		Author: actor.ID, CreatedAt: b.UpdatedAt}
	b.ReportAt = v.CreatedAt
	if _, err := tx.exec(`INSERT INTO breach_versions (tenant_id, breach_id, version, content, content_sha256, author_kind, author, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, tenantID, b.ID, v.Version, content, v.ContentSHA256, v.AuthorKind, v.Author, micros(v.CreatedAt)); err != nil {
		return err
	}
	if err := tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: action, ObjectType: "breach", ObjectID: b.ID,
		Purpose: fmt.Sprintf("version %d, sha256 %s", v.Version, v.ContentSHA256)}); err != nil {
		return err
	}
	if notify == nil {
		b.Versions = append(b.Versions, v)
		return nil
	}
	if err := tx.notifyBreach(actor, tenantID, b, &v, notify); err != nil {
		return err
	}
	b.Versions = append(b.Versions, v)
	return nil
}

// notifyBreach mails version v of b to the tenant's active admins and its
// DPO (BRE-1), keeps the proof on the version — when, to whom, the SHA-256
// of the mail — and starts nothing twice: the breach's first notification
// stops its 24-hour clock.
func (tx *Tx) notifyBreach(actor audit.Actor, tenantID string, b *Breach, v *BreachVersion, compose BreachMail) error {
	to, sum, err := tx.mailController(actor, tenantID, "breach.notify", "breach notification to the controller",
		func(t tenant.Tenant) OutgoingMail { return compose(t, *b) })
	if err != nil {
		return err
	}
	now := tx.db.now()
	v.NotifiedAt, v.NotifiedTo, v.MailSHA256 = &now, to, sum
	list, _ := json.Marshal(to)
	sealedTo, err := tx.db.keys.Seal(tenantID, breachAD(tenantID, "notified_to", b.ID, v.Version), list)
	if err != nil {
		return err
	}
	if _, err := tx.exec(`UPDATE breach_versions SET notified_at = $1, notified_to = $2, mail_sha256 = $3 WHERE breach_id = $4 AND version = $5`,
		micros(now), sealedTo, v.MailSHA256, b.ID, v.Version); err != nil {
		return err
	}
	if b.NotifiedAt == nil {
		b.NotifiedAt = &now
		if _, err := tx.exec(`UPDATE breaches SET notified_at = $1 WHERE tenant_id = $2 AND id = $3`, micros(now), tenantID, b.ID); err != nil {
			return err
		}
	}
	return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "breach.notify", ObjectType: "breach", ObjectID: b.ID,
		Purpose: fmt.Sprintf("version %d to %d addresses, mail sha256 %s", v.Version, len(to), v.MailSHA256)})
}

// breachRecipients are the controller's DPO and its active admins, each
// address once, the DPO first.
func (tx *Tx) breachRecipients(tenantID, dpo string) ([]string, error) {
	var to []string
	add := func(a string) {
		a = strings.ToLower(strings.TrimSpace(a))
		if a != "" && !slices.Contains(to, a) {
			to = append(to, a)
		}
	}
	add(dpo)
	rows, err := tx.query(`SELECT `+userColumns+` FROM users WHERE tenant_id = $1 AND role = $2 AND status = $3 AND removed_at IS NULL ORDER BY id`,
		tenantID, string(account.RoleAdmin), account.StatusActive)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		u, err := tx.db.scanUser(tenantID, rows)
		if err != nil {
			return nil, err
		}
		add(u.Email)
	}
	return to, rows.Err()
}

const breachColumns = `id, discovered_at, version, opened_by_kind, opened_by, opened_at, notified_at, escalated, gba_notified_at, subjects_informed_at, updated_at`

func scanBreach(row interface{ Scan(...any) error }) (Breach, error) {
	var b Breach
	var disc, opened, updated int64
	var notified, gba, subjects sql.NullInt64
	err := row.Scan(&b.ID, &disc, &b.Version, &b.OpenedByKind, &b.OpenedBy, &opened, &notified, &b.Escalated, &gba, &subjects, &updated)
	b.DiscoveredAt, b.OpenedAt, b.UpdatedAt = fromMicros(disc), fromMicros(opened), fromMicros(updated)
	b.NotifiedAt, b.GBANotifiedAt, b.SubjectsInformedAt = optMicros(notified), optMicros(gba), optMicros(subjects)
	return b, err
}

func optMicros(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMicros(v.Int64)
	return &t
}

// breachRow reads breach id of tenantID without its form.
func (tx *Tx) breachRow(tenantID, id string) (Breach, error) {
	b, err := scanBreach(tx.queryRow(`SELECT `+breachColumns+` FROM breaches WHERE tenant_id = $1 AND id = $2`, tenantID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return b, fmt.Errorf("breach %q: %w", id, ErrNotFound)
	}
	return b, err
}

// breachRowFor is breachRow as actor may reach it: supplier staff reach
// only the breaches supplier staff opened or Kluis opened on its own (a
// serious attempt's draft, BRE-1: the processor's to review and report),
// not those the controller recorded itself (ErrNotFound, as for another
// tenant's).
func (tx *Tx) breachRowFor(actor audit.Actor, tenantID, id string) (Breach, error) {
	b, err := tx.breachRow(tenantID, id)
	if err == nil && actor.Kind == audit.KindOperator && b.OpenedByKind != string(audit.KindOperator) && b.OpenedByKind != string(audit.KindSystem) {
		return Breach{}, fmt.Errorf("breach %q: %w", id, ErrNotFound)
	}
	return b, err
}

// openBreachVersions opens breach b's versions (all, or only the latest).
func (tx *Tx) openBreachVersions(tenantID string, b *Breach, all bool) error {
	q := `SELECT version, content, content_sha256, author_kind, author, created_at, notified_at, notified_to, mail_sha256
		FROM breach_versions WHERE tenant_id = $1 AND breach_id = $2`
	args := []any{tenantID, b.ID}
	if !all {
		q += ` AND version = $3`
		args = append(args, b.Version)
	}
	rows, err := tx.query(q+` ORDER BY version`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var v BreachVersion
		var content, to []byte
		var created int64
		var notified sql.NullInt64
		var mailSum sql.NullString
		if err := rows.Scan(&v.Version, &content, &v.ContentSHA256, &v.AuthorKind, &v.Author, &created, &notified, &to, &mailSum); err != nil {
			return err
		}
		v.CreatedAt, v.NotifiedAt, v.MailSHA256 = fromMicros(created), optMicros(notified), mailSum.String
		plain, err := tx.db.keys.Open(tenantID, breachAD(tenantID, "content", b.ID, v.Version), content)
		if err != nil {
			return keep(fmt.Errorf("breach %s version %d: %w", b.ID, v.Version, ErrUnreadable))
		}
		if err := json.Unmarshal(plain, &v.Report); err != nil {
			return err
		}
		if len(to) > 0 {
			plain, err := tx.db.keys.Open(tenantID, breachAD(tenantID, "notified_to", b.ID, v.Version), to)
			if err != nil {
				return keep(fmt.Errorf("breach %s version %d: %w", b.ID, v.Version, ErrUnreadable))
			}
			if err := json.Unmarshal(plain, &v.NotifiedTo); err != nil {
				return err
			}
		}
		if v.Version == b.Version {
			b.Report, b.ReportAt = v.Report, v.CreatedAt
		}
		if all {
			b.Versions = append(b.Versions, v)
		}
	}
	return rows.Err()
}

// Breaches lists the tenant's breach register, newest discovery first,
// each with its latest form, recorded as "breach.list".
func (db *DB) Breaches(ctx context.Context, actor audit.Actor, tenantID string) ([]Breach, error) {
	if err := db.requireKeys(); err != nil {
		return nil, err
	}
	var out []Breach
	err := db.write(ctx, func(tx *Tx) error {
		out = nil
		rows, err := tx.query(`SELECT `+breachColumns+` FROM breaches WHERE tenant_id = $1 ORDER BY discovered_at DESC, id`, tenantID)
		if err != nil {
			return err
		}
		for rows.Next() {
			b, err := scanBreach(rows)
			if err != nil {
				rows.Close()
				return err
			}
			out = append(out, b)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		ids := make([]string, len(out))
		for i := range out {
			if err := tx.openBreachVersions(tenantID, &out[i], false); err != nil {
				return err
			}
			ids[i] = out[i].ID
		}
		return tx.appendListed(audit.Event{TenantID: tenantID, Actor: actor, Action: "breach.list", ObjectType: "breach"},
			ids, fmt.Sprintf("%d shown", len(ids)))
	})
	if err != nil {
		return nil, fmt.Errorf("breaches: %w", err)
	}
	return out, nil
}

// BreachByID opens breach id with every version, recorded as
// "breach.read" with purpose (what the reading is for: the page, the
// PDF). ErrNotFound for none of the tenant's, and for supplier staff one
// the controller recorded itself.
func (db *DB) BreachByID(ctx context.Context, actor audit.Actor, tenantID, id, purpose string) (Breach, error) {
	if err := db.requireKeys(); err != nil {
		return Breach{}, err
	}
	var b Breach
	err := db.write(ctx, func(tx *Tx) error {
		var err error
		if b, err = tx.breachRowFor(actor, tenantID, id); err != nil {
			return err
		}
		if err := tx.openBreachVersions(tenantID, &b, true); err != nil {
			return err
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "breach.read", ObjectType: "breach", ObjectID: id, Purpose: purpose})
	})
	if err != nil {
		return Breach{}, fmt.Errorf("breach %s: %w", id, err)
	}
	return b, nil
}

// The notices the controller records (BRE-3).
const (
	NoticeGBA      = "gba"
	NoticeSubjects = "subjects"
)

// RecordBreachNotice records when the controller notified the GBA
// (NoticeGBA, "breach.gba") or informed the people affected
// (NoticeSubjects, "breach.subjects"). Only the controller's own users
// record it: Kluis and its supplier never notify either (BRE-3). at may not
// lie in the future nor before the discovery (*BreachValidationError).
func (db *DB) RecordBreachNotice(ctx context.Context, actor audit.Actor, tenantID, id, notice string, at time.Time) error {
	column := map[string]string{NoticeGBA: "gba_notified_at", NoticeSubjects: "subjects_informed_at"}[notice]
	if column == "" {
		return ErrBreachNotice
	}
	if actor.Kind != audit.KindUser || actor.OnBehalfOf != "" {
		return fmt.Errorf("record breach notice: %w", ErrControllerOnly)
	}
	err := db.write(ctx, func(tx *Tx) error {
		b, err := tx.breachRow(tenantID, id)
		if err != nil {
			return err
		}
		switch {
		case at.IsZero():
			return &BreachValidationError{map[string]string{notice + "_at": "breach.error.notice_required"}}
		case at.After(tx.db.now()):
			return &BreachValidationError{map[string]string{notice + "_at": "breach.error.future"}}
		case at.Before(b.DiscoveredAt):
			return &BreachValidationError{map[string]string{notice + "_at": "breach.error.before_discovery"}}
		}
		if _, err := tx.exec(`UPDATE breaches SET `+column+` = $1, updated_at = $2 WHERE tenant_id = $3 AND id = $4`,
			micros(at), micros(tx.db.now()), tenantID, id); err != nil {
			return err
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "breach." + notice, ObjectType: "breach", ObjectID: id,
			Purpose: "at " + at.UTC().Format(time.RFC3339)})
	})
	if err != nil {
		return fmt.Errorf("record breach notice: %w", err)
	}
	return nil
}

// EscalateBreaches warns the supplier's security officer (to) about each of
// the tenant's breaches not yet reported to the controller 18 hours after
// discovery, and again when the 24 hours have passed (BRE-1). Each warning
// is queued with the breach's stage and "breach.escalate" in one
// transaction: a second run, or a run on another node, mails nothing twice.
// It returns how many warnings it queued.
func (db *DB) EscalateBreaches(ctx context.Context, actor audit.Actor, tenantID, to string, compose BreachEscalation) (int, error) {
	if err := db.requireKeys(); err != nil {
		return 0, err
	}
	var sent int
	err := db.write(ctx, func(tx *Tx) error {
		sent = 0
		now := tx.db.now()
		rows, err := tx.query(`SELECT `+breachColumns+` FROM breaches WHERE tenant_id = $1 AND notified_at IS NULL AND discovered_at <= $2
			ORDER BY discovered_at, id`, tenantID, micros(now.Add(-breach.WarnAfter)))
		if err != nil {
			return err
		}
		var todo []Breach
		for rows.Next() {
			b, err := scanBreach(rows)
			if err != nil {
				rows.Close()
				return err
			}
			if breach.EscalationStage(b.DiscoveredAt, now) > b.Escalated {
				todo = append(todo, b)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil || len(todo) == 0 {
			return err
		}
		t, err := scanTenant(tx.queryRow(`SELECT `+tenantColumns+` FROM tenants WHERE id = $1`, tenantID))
		if err != nil {
			return err
		}
		for _, b := range todo {
			stage := breach.EscalationStage(b.DiscoveredAt, now)
			m := compose(t, b, stage)
			m.To, m.Kind = to, "breach.escalate"
			if _, err := tx.enqueueMail(tenantID, m, actor); err != nil {
				return err
			}
			if _, err := tx.exec(`UPDATE breaches SET escalated = $1 WHERE tenant_id = $2 AND id = $3`, stage, tenantID, b.ID); err != nil {
				return err
			}
			if err := tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "breach.escalate", ObjectType: "breach",
				ObjectID: b.ID, Purpose: fmt.Sprintf("not reported %d hours after discovery", stage)}); err != nil {
				return err
			}
			sent++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("escalate breaches: %w", err)
	}
	return sent, nil
}

// OperatorBreach is a breach as the operators' realm lists it: the tenant
// and the clock, never the sealed form.
type OperatorBreach struct {
	Breach
	TenantSlug, TenantName string
}

// OperatorBreaches lists every tenant's breaches that supplier staff
// opened or Kluis opened on its own (serious attempts, BRE-1), newest discovery first, without their forms: a platform-level
// read of no personal data, for the operators' own page.
func (db *DB) OperatorBreaches(ctx context.Context) ([]OperatorBreach, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT b.id, b.discovered_at, b.version, b.opened_by_kind, b.opened_by, b.opened_at, b.notified_at,
		b.escalated, b.gba_notified_at, b.subjects_informed_at, b.updated_at, t.slug, t.legal_name
		FROM breaches b JOIN tenants t ON t.id = b.tenant_id WHERE b.opened_by_kind IN ('operator', 'system') ORDER BY b.discovered_at DESC, b.id LIMIT 500`)
	if err != nil {
		return nil, fmt.Errorf("operator breaches: %w", err)
	}
	defer rows.Close()
	var out []OperatorBreach
	for rows.Next() {
		var o OperatorBreach
		var disc, opened, updated int64
		var notified, gba, subjects sql.NullInt64
		if err := rows.Scan(&o.ID, &disc, &o.Version, &o.OpenedByKind, &o.OpenedBy, &opened, &notified, &o.Escalated, &gba, &subjects, &updated,
			&o.TenantSlug, &o.TenantName); err != nil {
			return nil, fmt.Errorf("operator breaches: %w", err)
		}
		o.DiscoveredAt, o.OpenedAt, o.UpdatedAt = fromMicros(disc), fromMicros(opened), fromMicros(updated)
		o.NotifiedAt, o.GBANotifiedAt, o.SubjectsInformedAt = optMicros(notified), optMicros(gba), optMicros(subjects)
		out = append(out, o)
	}
	return out, rows.Err()
}

// RecordBreachExport records that the register was downloaded in format
// ("breach.export", with the number of breaches), in the tenant's log.
func (db *DB) RecordBreachExport(ctx context.Context, actor audit.Actor, tenantID, format string, n int) error {
	return db.write(ctx, func(tx *Tx) error {
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "breach.export", ObjectType: "breach",
			Purpose: fmt.Sprintf("register as %s, %d breaches", format, n)})
	})
}

// TenantsWithUnreportedBreaches lists the tenants that have a breach not yet
// reported to its controller WarnAfter after discovery whose last warning
// stage is behind: the only ones the escalation job needs to open a write
// for. A platform-level read of ids only.
func (db *DB) TenantsWithUnreportedBreaches(ctx context.Context) ([]string, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT DISTINCT tenant_id FROM breaches WHERE notified_at IS NULL AND discovered_at <= $1
		AND escalated < 24 ORDER BY tenant_id`, micros(db.now().Add(-breach.WarnAfter)))
	if err != nil {
		return nil, fmt.Errorf("tenants with unreported breaches: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("tenants with unreported breaches: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}
