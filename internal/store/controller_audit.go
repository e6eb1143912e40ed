package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/locale"
	"github.com/kluis/kluis/internal/seal"
	"github.com/kluis/kluis/internal/tenant"
	"github.com/kluis/kluis/internal/workdays"
)

// Audits by the controller (ADT-1…ADT-3). The controller's admins or DPO
// announce an audit — on documents, or on site at least ten Belgian working
// days ahead (ADT-2) — and the supplier acknowledges it from the operators'
// realm. The controller enters its findings; from the first one the
// supplier has one month to submit a corrective-action plan, which the
// controller approves or returns with a reason; each action is tracked to
// its due date. Scope, auditor, findings, actions and reasons are free text
// that may name people: sealed with the tenant key.

// The kinds of audit.
const (
	AuditDocument = "document"
	AuditOnSite   = "onsite"
)

// OnSiteNoticeDays is the notice an on-site audit needs, in Belgian working
// days (ADT-2).
const OnSiteNoticeDays = 10

// PlanWarnBefore: the supplier is reminded this long before the plan is due.
const PlanWarnBefore = 7 * 24 * time.Hour

// The states of a corrective-action plan.
const (
	PlanNone      = ""
	PlanSubmitted = "submitted"
	PlanApproved  = "approved"
	PlanReturned  = "returned"
)

// Finding severities.
var FindingSeverities = []string{"low", "medium", "high"}

// AuditAnnouncement is what the controller announces.
type AuditAnnouncement struct {
	Kind    string
	Date    time.Time
	Scope   string
	Auditor string
}

// ControllerAudit is one announced audit.
type ControllerAudit struct {
	ID              string
	TenantID        string
	Kind            string
	Date            time.Time
	Scope           string
	Auditor         string
	AnnouncedBy     string
	AnnouncedAt     time.Time
	AcknowledgedAt  *time.Time
	AcknowledgedBy  string
	FindingsAt      *time.Time
	PlanStatus      string
	PlanSubmittedAt *time.Time
	PlanDecidedAt   *time.Time
	PlanReason      string
	PlanWarned      int
	Findings        []AuditFinding // AuditByID fills them
	Actions         []AuditAction  // AuditByID fills them
}

// PlanDue is when the corrective-action plan is due: one calendar month
// after the first finding (ADT-3), in Brussels; zero without findings.
func (c ControllerAudit) PlanDue() time.Time {
	if c.FindingsAt == nil {
		return time.Time{}
	}
	return c.FindingsAt.In(workdays.Brussels).AddDate(0, 1, 0)
}

// PlanOverdue: findings were entered, no plan was submitted or approved
// since, and the month has passed.
func (c ControllerAudit) PlanOverdue(now time.Time) bool {
	if c.FindingsAt == nil || c.PlanStatus == PlanSubmitted || c.PlanStatus == PlanApproved {
		return false
	}
	return !now.Before(c.PlanDue())
}

// AuditFinding is one deficiency found.
type AuditFinding struct {
	ID          string
	Severity    string
	Title       string
	Description string
	CreatedAt   time.Time
}

// AuditAction is one action of the corrective-action plan.
type AuditAction struct {
	ID     string
	Text   string
	Due    time.Time
	DoneAt *time.Time
}

// Overdue: not done and its due date passed.
func (a AuditAction) Overdue(now time.Time) bool { return a.DoneAt == nil && !now.Before(a.Due) }

// AuditValidationError is refused input: field → message key. Nothing was saved.
type AuditValidationError struct{ Fields map[string]string }

func (e *AuditValidationError) Error() string { return refusedIn("audit refused: ", e.Fields) }

// AuditMail composes a mail about audit c of tenant t for one side, event
// being what happened (announce, plan, approved, returned, warn, overdue).
// The store fills To and Kind.
type AuditMail func(t tenant.Tenant, c ControllerAudit, event string) OutgoingMail

// ErrAuditState: the step does not fit the audit's state (a plan decided
// before one was submitted, a plan before findings).
var ErrAuditState = errors.New("audit: not in a state for this step")

func auditAD(tenantID, table, column, id string) seal.AD {
	return seal.AD{Tenant: tenantID, Table: table, Column: column, Row: id}
}

// AnnounceAudit records the controller's announcement ("audits.announce")
// and mails it to the controller's admins and DPO and to the supplier's
// operators. An on-site audit less than ten working days ahead is refused
// on its date (ADT-2), nothing saved.
func (db *DB) AnnounceAudit(ctx context.Context, actor audit.Actor, tenantID string, in AuditAnnouncement, compose AuditMail) (ControllerAudit, error) {
	if err := db.requireKeys(); err != nil {
		return ControllerAudit{}, err
	}
	if err := controllerOnly(actor); err != nil {
		return ControllerAudit{}, err
	}
	in.Scope, in.Auditor = strings.TrimSpace(in.Scope), strings.TrimSpace(in.Auditor)
	now := db.now()
	bad := map[string]string{}
	switch in.Kind {
	case AuditDocument, AuditOnSite:
	default:
		bad["kind"] = "audits.error.kind"
	}
	switch {
	case in.Date.IsZero():
		bad["date"] = "audits.error.date"
	case in.Date.Before(now):
		bad["date"] = "audits.error.past"
	case in.Kind == AuditOnSite && !workdays.AtLeast(now, in.Date, OnSiteNoticeDays):
		bad["date"] = "audits.error.notice"
	}
	if in.Scope == "" {
		bad["scope"] = "audits.error.scope"
	}
	if in.Auditor == "" {
		bad["auditor"] = "audits.error.auditor"
	}
	if len(in.Scope) > 4000 {
		bad["scope"] = "audits.error.long"
	}
	if len(in.Auditor) > 200 {
		bad["auditor"] = "audits.error.long"
	}
	if len(bad) > 0 {
		return ControllerAudit{}, &AuditValidationError{bad}
	}
	c := ControllerAudit{ID: newID(now), TenantID: tenantID, Kind: in.Kind, Date: fromMicros(micros(in.Date)), Scope: in.Scope, Auditor: in.Auditor,
		AnnouncedBy: actor.ID, AnnouncedAt: fromMicros(micros(now))}
	err := db.write(ctx, func(tx *Tx) error {
		plain, _ := json.Marshal(map[string]string{"scope": c.Scope, "auditor": c.Auditor})
		details, err := tx.db.keys.Seal(tenantID, auditAD(tenantID, "controller_audits", "details", c.ID), plain)
		if err != nil {
			return err
		}
		if _, err := tx.exec(`INSERT INTO controller_audits (id, tenant_id, kind, audit_date, details, announced_by, announced_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $7)`, c.ID, tenantID, c.Kind, micros(c.Date), details, c.AnnouncedBy, micros(now)); err != nil {
			return err
		}
		if err := tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "audits.announce", ObjectType: "controller_audit",
			ObjectID: c.ID, Purpose: c.Kind + " on " + c.Date.In(workdays.Brussels).Format("2006-01-02")}); err != nil {
			return err
		}
		return tx.mailAuditBothSides(actor, tenantID, c, "announce", compose)
	})
	if err != nil {
		return ControllerAudit{}, fmt.Errorf("announce audit: %w", err)
	}
	return c, nil
}

// mailAuditBothSides mails event about c to the controller and the supplier.
func (tx *Tx) mailAuditBothSides(actor audit.Actor, tenantID string, c ControllerAudit, event string, compose AuditMail) error {
	if err := tx.mailAuditController(actor, tenantID, c, event, compose); err != nil {
		return err
	}
	return tx.mailAuditSupplier(actor, tenantID, c, event, compose)
}

// mailAuditController mails the controller's DPO and active admins.
func (tx *Tx) mailAuditController(actor audit.Actor, tenantID string, c ControllerAudit, event string, compose AuditMail) error {
	if compose == nil {
		return nil
	}
	return tx.mailControllerEach(actor, tenantID, "audits."+event, "audit "+event+" to the controller",
		func(t tenant.Tenant) OutgoingMail { return compose(t, c, event) })
}

// mailAuditSupplier mails the supplier's operators.
func (tx *Tx) mailAuditSupplier(actor audit.Actor, tenantID string, c ControllerAudit, event string, compose AuditMail) error {
	if compose == nil {
		return nil
	}
	return tx.mailSupplier(actor, tenantID, "audits."+event, func(t tenant.Tenant) OutgoingMail { return compose(t, c, "supplier."+event) })
}

// mailControllerEach queues the mail compose makes, of kind, to the
// controller's DPO and each active admin (its contact read for purpose);
// none when it has no address: a reminder is no notification whose proof
// must exist (for those, mailController).
func (tx *Tx) mailControllerEach(actor audit.Actor, tenantID, kind, purpose string, compose func(tenant.Tenant) OutgoingMail) error {
	t, err := tx.openContact(tenantID, actor, purpose)
	if err != nil {
		return err
	}
	to, err := tx.breachRecipients(tenantID, t.DPOEmail)
	if err != nil {
		return err
	}
	for _, addr := range to {
		m := compose(t)
		m.To, m.Kind = addr, kind
		if _, err := tx.enqueueMail(tenantID, m, actor); err != nil {
			return err
		}
	}
	return nil
}

// mailSupplier queues the mail compose makes about tenantID's matter, of
// kind, to the supplier's operators (the operators' realm's active
// members), in the realm; none when the realm does not exist.
func (tx *Tx) mailSupplier(actor audit.Actor, tenantID, kind string, compose func(tenant.Tenant) OutgoingMail) error {
	var realmID string
	err := tx.queryRow(`SELECT id FROM tenants WHERE slug = $1`, tenant.OperatorSlug).Scan(&realmID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	t, err := scanTenant(tx.queryRow(`SELECT `+tenantColumns+` FROM tenants WHERE id = $1`, tenantID))
	if err != nil {
		return err
	}
	to, err := tx.breachRecipients(realmID, "")
	if err != nil {
		return err
	}
	for _, addr := range to {
		m := compose(t)
		m.To, m.Kind = addr, kind
		if _, err := tx.enqueueMail(realmID, m, actor); err != nil {
			return err
		}
	}
	return nil
}

const controllerAuditColumns = `id, tenant_id, kind, audit_date, details, announced_by, announced_at, acknowledged_at, acknowledged_by, findings_at,
	plan_status, plan_submitted_at, plan_decided_at, plan_reason, plan_warned`

// scanControllerAudit reads one row, opening its sealed columns.
func (db *DB) scanControllerAudit(row interface{ Scan(...any) error }) (ControllerAudit, error) {
	var c ControllerAudit
	var date, announced int64
	var ack, findings, submitted, decided sql.NullInt64
	var ackBy sql.NullString
	var details, reason []byte
	if err := row.Scan(&c.ID, &c.TenantID, &c.Kind, &date, &details, &c.AnnouncedBy, &announced, &ack, &ackBy, &findings,
		&c.PlanStatus, &submitted, &decided, &reason, &c.PlanWarned); err != nil {
		return c, err
	}
	c.Date, c.AnnouncedAt, c.AcknowledgedBy = fromMicros(date), fromMicros(announced), ackBy.String
	c.AcknowledgedAt, c.FindingsAt, c.PlanSubmittedAt, c.PlanDecidedAt = optMicros(ack), optMicros(findings), optMicros(submitted), optMicros(decided)
	plain, err := db.keys.Open(c.TenantID, auditAD(c.TenantID, "controller_audits", "details", c.ID), details)
	if err != nil {
		return c, keep(fmt.Errorf("audit %s: %w", c.ID, ErrUnreadable))
	}
	var d map[string]string
	if err := json.Unmarshal(plain, &d); err != nil {
		return c, err
	}
	c.Scope, c.Auditor = d["scope"], d["auditor"]
	if len(reason) > 0 {
		plain, err := db.keys.Open(c.TenantID, auditAD(c.TenantID, "controller_audits", "plan_reason", c.ID), reason)
		if err != nil {
			return c, keep(fmt.Errorf("audit %s: %w", c.ID, ErrUnreadable))
		}
		c.PlanReason = string(plain)
	}
	return c, nil
}

// Audits lists the tenant's audits, latest date first ("audits.list").
func (db *DB) Audits(ctx context.Context, actor audit.Actor, tenantID string) ([]ControllerAudit, error) {
	if err := db.requireKeys(); err != nil {
		return nil, err
	}
	var out []ControllerAudit
	err := db.write(ctx, func(tx *Tx) error {
		out = nil
		rows, err := tx.query(`SELECT `+controllerAuditColumns+` FROM controller_audits WHERE tenant_id = $1 ORDER BY audit_date DESC, id`, tenantID)
		if err != nil {
			return err
		}
		defer rows.Close()
		var ids []string
		for rows.Next() {
			c, err := tx.db.scanControllerAudit(rows)
			if err != nil {
				return err
			}
			out = append(out, c)
			ids = append(ids, c.ID)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		rows.Close()
		return tx.appendListed(audit.Event{TenantID: tenantID, Actor: actor, Action: "audits.list", ObjectType: "controller_audit"},
			ids, fmt.Sprintf("%d shown", len(ids)))
	})
	if err != nil {
		return nil, fmt.Errorf("audits: %w", err)
	}
	return out, nil
}

// auditRow reads audit id of tenantID with its findings and actions.
func (tx *Tx) auditRow(tenantID, id string) (ControllerAudit, error) {
	c, err := tx.db.scanControllerAudit(tx.queryRow(`SELECT `+controllerAuditColumns+` FROM controller_audits WHERE tenant_id = $1 AND id = $2`,
		tenantID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("audit %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return c, err
	}
	rows, err := tx.query(`SELECT id, severity, content, created_at FROM controller_audit_findings WHERE tenant_id = $1 AND audit_id = $2
		ORDER BY created_at, id`, tenantID, id)
	if err != nil {
		return c, err
	}
	for rows.Next() {
		var f AuditFinding
		var content []byte
		var created int64
		if err := rows.Scan(&f.ID, &f.Severity, &content, &created); err != nil {
			rows.Close()
			return c, err
		}
		f.CreatedAt = fromMicros(created)
		plain, err := tx.db.keys.Open(tenantID, auditAD(tenantID, "controller_audit_findings", "content", f.ID), content)
		if err != nil {
			rows.Close()
			return c, keep(fmt.Errorf("finding %s: %w", f.ID, ErrUnreadable))
		}
		var d map[string]string
		_ = json.Unmarshal(plain, &d)
		f.Title, f.Description = d["title"], d["description"]
		c.Findings = append(c.Findings, f)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return c, err
	}
	rows, err = tx.query(`SELECT id, content, due_at, done_at FROM controller_audit_actions WHERE tenant_id = $1 AND audit_id = $2
		ORDER BY position`, tenantID, id)
	if err != nil {
		return c, err
	}
	defer rows.Close()
	for rows.Next() {
		var act AuditAction
		var content []byte
		var due int64
		var done sql.NullInt64
		if err := rows.Scan(&act.ID, &content, &due, &done); err != nil {
			return c, err
		}
		act.Due, act.DoneAt = fromMicros(due), optMicros(done)
		plain, err := tx.db.keys.Open(tenantID, auditAD(tenantID, "controller_audit_actions", "content", act.ID), content)
		if err != nil {
			return c, keep(fmt.Errorf("action %s: %w", act.ID, ErrUnreadable))
		}
		act.Text = string(plain)
		c.Actions = append(c.Actions, act)
	}
	return c, rows.Err()
}

// AuditByID opens audit id with its findings and plan ("audits.read").
// ErrNotFound for none of the tenant's.
func (db *DB) AuditByID(ctx context.Context, actor audit.Actor, tenantID, id string) (ControllerAudit, error) {
	if err := db.requireKeys(); err != nil {
		return ControllerAudit{}, err
	}
	var c ControllerAudit
	err := db.write(ctx, func(tx *Tx) error {
		var err error
		if c, err = tx.auditRow(tenantID, id); err != nil {
			return err
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "audits.read", ObjectType: "controller_audit", ObjectID: id})
	})
	if err != nil {
		return ControllerAudit{}, fmt.Errorf("audit %s: %w", id, err)
	}
	return c, nil
}

// AcknowledgeAudit records that the supplier acknowledged the announcement
// ("audits.acknowledge"); a second acknowledgement changes nothing.
func (db *DB) AcknowledgeAudit(ctx context.Context, actor audit.Actor, tenantID, id string) error {
	if err := supplierOnly(actor); err != nil {
		return err
	}
	return db.auditStep(ctx, "acknowledge audit", tenantID, id, func(tx *Tx, c ControllerAudit) error {
		if c.AcknowledgedAt != nil {
			return nil
		}
		if _, err := tx.exec(`UPDATE controller_audits SET acknowledged_at = $1, acknowledged_by = $2, updated_at = $1 WHERE tenant_id = $3 AND id = $4`,
			micros(tx.db.now()), actor.ID, tenantID, id); err != nil {
			return err
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "audits.acknowledge", ObjectType: "controller_audit", ObjectID: id})
	})
}

// auditStep runs step on audit id in one transaction.
func (db *DB) auditStep(ctx context.Context, what, tenantID, id string, step func(tx *Tx, c ControllerAudit) error) error {
	if err := db.requireKeys(); err != nil {
		return err
	}
	err := db.write(ctx, func(tx *Tx) error {
		c, err := tx.auditRow(tenantID, id)
		if err != nil {
			return err
		}
		return step(tx, c)
	})
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// AddFinding records a finding of audit id ("audits.finding"); the first
// starts the month for the corrective-action plan (ADT-3).
func (db *DB) AddFinding(ctx context.Context, actor audit.Actor, tenantID, id string, f AuditFinding) (AuditFinding, error) {
	if err := controllerOnly(actor); err != nil {
		return f, err
	}
	f.Title, f.Description = strings.TrimSpace(f.Title), strings.TrimSpace(f.Description)
	bad := map[string]string{}
	if f.Title == "" {
		bad["title"] = "audits.error.title"
	} else if len(f.Title) > 300 {
		bad["title"] = "audits.error.long"
	}
	if !slices.Contains(FindingSeverities, f.Severity) {
		bad["severity"] = "audits.error.severity"
	}
	if f.Description == "" {
		bad["description"] = "audits.error.description"
	} else if len(f.Description) > 8000 {
		bad["description"] = "audits.error.long"
	}
	if len(bad) > 0 {
		return f, &AuditValidationError{bad}
	}
	err := db.auditStep(ctx, "add finding", tenantID, id, func(tx *Tx, c ControllerAudit) error {
		now := tx.db.now()
		f.ID, f.CreatedAt = newID(now), fromMicros(micros(now))
		plain, _ := json.Marshal(map[string]string{"title": f.Title, "description": f.Description})
		content, err := tx.db.keys.Seal(tenantID, auditAD(tenantID, "controller_audit_findings", "content", f.ID), plain)
		if err != nil {
			return err
		}
		if _, err := tx.exec(`INSERT INTO controller_audit_findings (id, tenant_id, audit_id, severity, content, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, f.ID, tenantID, id, f.Severity, content, actor.ID, micros(now)); err != nil {
			return err
		}
		if c.FindingsAt == nil {
			if _, err := tx.exec(`UPDATE controller_audits SET findings_at = $1, updated_at = $1 WHERE tenant_id = $2 AND id = $3`,
				micros(now), tenantID, id); err != nil {
				return err
			}
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "audits.finding", ObjectType: "controller_audit", ObjectID: id,
			Purpose: "severity " + f.Severity})
	})
	return f, err
}

// PlanProblems checks a plan at now: the lines kept (blank ones dropped)
// and, per refused field (action_<n>_text, action_<n>_due, n from 1), its
// message key.
func PlanProblems(now time.Time, actions []PlanAction) ([]PlanAction, map[string]string) {
	bad := map[string]string{}
	var kept []PlanAction
	for i, a := range actions {
		a.Text = strings.TrimSpace(a.Text)
		if a.Text == "" && a.Due.IsZero() {
			continue
		}
		n := fmt.Sprintf("action_%d_", i+1)
		if a.Text == "" {
			bad[n+"text"] = "audits.error.action_text"
		} else if len(a.Text) > 4000 {
			bad[n+"text"] = "audits.error.long"
		}
		switch {
		case a.Due.IsZero():
			bad[n+"due"] = "audits.error.action_due"
		case a.Due.Before(now):
			bad[n+"due"] = "audits.error.past"
		}
		kept = append(kept, a)
	}
	if len(kept) == 0 {
		bad["action_1_text"] = "audits.error.no_actions"
	}
	return kept, bad
}

// PlanAction is one action the supplier proposes.
type PlanAction struct {
	Text string
	Due  time.Time
}

// SubmitPlan records the supplier's corrective-action plan for audit id
// ("audits.plan.submit"), replacing a returned one, and mails the
// controller. Each action needs its text and a due date not in the past;
// *AuditValidationError names them action_<n>_text / action_<n>_due
// (n from 1), nothing saved. ErrAuditState without findings or once
// approved.
func (db *DB) SubmitPlan(ctx context.Context, actor audit.Actor, tenantID, id string, actions []PlanAction, compose AuditMail) error {
	if err := supplierOnly(actor); err != nil {
		return err
	}
	now := db.now()
	kept, bad := PlanProblems(now, actions)
	if len(bad) > 0 {
		return &AuditValidationError{bad}
	}
	return db.auditStep(ctx, "submit plan", tenantID, id, func(tx *Tx, c ControllerAudit) error {
		if c.FindingsAt == nil || c.PlanStatus == PlanApproved || c.PlanStatus == PlanSubmitted {
			return ErrAuditState
		}
		if _, err := tx.exec(`DELETE FROM controller_audit_actions WHERE tenant_id = $1 AND audit_id = $2`, tenantID, id); err != nil {
			return err
		}
		for i, a := range kept {
			aid := newID(now)
			content, err := tx.db.keys.Seal(tenantID, auditAD(tenantID, "controller_audit_actions", "content", aid), []byte(a.Text))
			if err != nil {
				return err
			}
			if _, err := tx.exec(`INSERT INTO controller_audit_actions (id, tenant_id, audit_id, position, content, due_at, created_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7)`, aid, tenantID, id, i+1, content, micros(a.Due), micros(now)); err != nil {
				return err
			}
		}
		if _, err := tx.exec(`UPDATE controller_audits SET plan_status = $1, plan_submitted_at = $2, plan_decided_at = NULL, plan_reason = NULL,
			updated_at = $2 WHERE tenant_id = $3 AND id = $4`, PlanSubmitted, micros(now), tenantID, id); err != nil {
			return err
		}
		late := ""
		if !now.Before(c.PlanDue()) {
			late = ", after the month"
		}
		if err := tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "audits.plan.submit", ObjectType: "controller_audit",
			ObjectID: id, Purpose: fmt.Sprintf("%d actions%s", len(kept), late)}); err != nil {
			return err
		}
		c.PlanStatus = PlanSubmitted
		return tx.mailAuditController(actor, tenantID, c, "plan", compose)
	})
}

// DecidePlan approves the submitted plan ("audits.plan.approve") or returns
// it with a reason ("audits.plan.return"; the reason is required), and
// mails the supplier. ErrAuditState when no plan awaits a decision.
func (db *DB) DecidePlan(ctx context.Context, actor audit.Actor, tenantID, id string, approve bool, reason string, compose AuditMail) error {
	if err := controllerOnly(actor); err != nil {
		return err
	}
	reason = strings.TrimSpace(reason)
	if !approve && reason == "" {
		return &AuditValidationError{map[string]string{"reason": "audits.error.reason"}}
	}
	if len(reason) > 4000 {
		return &AuditValidationError{map[string]string{"reason": "audits.error.long"}}
	}
	return db.auditStep(ctx, "decide plan", tenantID, id, func(tx *Tx, c ControllerAudit) error {
		if c.PlanStatus != PlanSubmitted {
			return ErrAuditState
		}
		now := tx.db.now()
		status, action, event := PlanApproved, "audits.plan.approve", "approved"
		var sealed []byte
		if !approve {
			status, action, event = PlanReturned, "audits.plan.return", "returned"
			var err error
			if sealed, err = tx.db.keys.Seal(tenantID, auditAD(tenantID, "controller_audits", "plan_reason", id), []byte(reason)); err != nil {
				return err
			}
		}
		if _, err := tx.exec(`UPDATE controller_audits SET plan_status = $1, plan_decided_at = $2, plan_reason = $3, updated_at = $2
			WHERE tenant_id = $4 AND id = $5`, status, micros(now), sealed, tenantID, id); err != nil {
			return err
		}
		if err := tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: action, ObjectType: "controller_audit", ObjectID: id}); err != nil {
			return err
		}
		c.PlanStatus, c.PlanReason = status, reason
		return tx.mailAuditSupplier(actor, tenantID, c, event, compose)
	})
}

// MarkActionDone records that the supplier carried out action actionID of
// audit id ("audits.action.done"), on time or late.
func (db *DB) MarkActionDone(ctx context.Context, actor audit.Actor, tenantID, id, actionID string) error {
	if err := supplierOnly(actor); err != nil {
		return err
	}
	return db.auditStep(ctx, "mark action done", tenantID, id, func(tx *Tx, c ControllerAudit) error {
		if c.PlanStatus != PlanApproved {
			return ErrAuditState
		}
		i := slices.IndexFunc(c.Actions, func(a AuditAction) bool { return a.ID == actionID })
		if i < 0 {
			return fmt.Errorf("action %q: %w", actionID, ErrNotFound)
		}
		if c.Actions[i].DoneAt != nil {
			return nil
		}
		now := tx.db.now()
		if _, err := tx.exec(`UPDATE controller_audit_actions SET done_at = $1 WHERE tenant_id = $2 AND id = $3`, micros(now), tenantID, actionID); err != nil {
			return err
		}
		when := "on time"
		if c.Actions[i].Overdue(now) {
			when = "after its due date"
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "audits.action.done", ObjectType: "controller_audit",
			ObjectID: id, Purpose: fmt.Sprintf("action %d %s", i+1, when)})
	})
}

// WarnAuditPlans reminds the supplier of each of the tenant's plans due
// within a week and not yet submitted (stage 7), and again once overdue
// (stage 1), each once ("audits.plan.warn"), the controller told too when
// overdue. It returns how many reminders it queued.
func (db *DB) WarnAuditPlans(ctx context.Context, actor audit.Actor, tenantID string, compose AuditMail) (int, error) {
	if err := db.requireKeys(); err != nil {
		return 0, err
	}
	var sent int
	err := db.write(ctx, func(tx *Tx) error {
		sent = 0
		now := tx.db.now()
		rows, err := tx.query(`SELECT `+controllerAuditColumns+` FROM controller_audits WHERE tenant_id = $1 AND findings_at IS NOT NULL
			AND plan_status IN ('', 'returned') AND plan_warned <> 1 ORDER BY id`, tenantID)
		if err != nil {
			return err
		}
		var todo []ControllerAudit
		for rows.Next() {
			c, err := tx.db.scanControllerAudit(rows)
			if err != nil {
				rows.Close()
				return err
			}
			todo = append(todo, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, c := range todo {
			stage, event := 0, ""
			switch due := c.PlanDue(); {
			case !now.Before(due):
				stage, event = 1, "overdue"
			case !now.Before(due.Add(-PlanWarnBefore)) && c.PlanWarned == 0:
				stage, event = 7, "warn"
			}
			if stage == 0 {
				continue
			}
			if _, err := tx.exec(`UPDATE controller_audits SET plan_warned = $1 WHERE tenant_id = $2 AND id = $3`, stage, tenantID, c.ID); err != nil {
				return err
			}
			if err := tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "audits.plan.warn", ObjectType: "controller_audit",
				ObjectID: c.ID, Purpose: event}); err != nil {
				return err
			}
			if err := tx.mailAuditSupplier(actor, tenantID, c, event, compose); err != nil {
				return err
			}
			if stage == 1 {
				if err := tx.mailAuditController(actor, tenantID, c, event, compose); err != nil {
					return err
				}
			}
			sent++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("warn audit plans: %w", err)
	}
	return sent, nil
}

// OperatorAudit is an audit as the operators' realm lists it: its tenant
// and state, never its sealed text.
type OperatorAudit struct {
	ID, TenantSlug, TenantName, Kind, PlanStatus string
	Date                                         time.Time
	AcknowledgedAt, FindingsAt                   *time.Time
}

// PlanDue is as ControllerAudit.PlanDue.
func (o OperatorAudit) PlanDue() time.Time {
	return ControllerAudit{FindingsAt: o.FindingsAt}.PlanDue()
}

// PlanOverdue is as ControllerAudit.PlanOverdue.
func (o OperatorAudit) PlanOverdue(now time.Time) bool {
	return ControllerAudit{FindingsAt: o.FindingsAt, PlanStatus: o.PlanStatus}.PlanOverdue(now)
}

// OperatorAudits lists every controller's audits, latest date first,
// without their sealed text: a platform-level read of no personal data.
func (db *DB) OperatorAudits(ctx context.Context) ([]OperatorAudit, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT a.id, t.slug, t.legal_name, a.kind, a.plan_status, a.audit_date, a.acknowledged_at, a.findings_at
		FROM controller_audits a JOIN tenants t ON t.id = a.tenant_id ORDER BY a.audit_date DESC, a.id LIMIT 500`)
	if err != nil {
		return nil, fmt.Errorf("operator audits: %w", err)
	}
	defer rows.Close()
	var out []OperatorAudit
	for rows.Next() {
		var o OperatorAudit
		var date int64
		var ack, findings sql.NullInt64
		if err := rows.Scan(&o.ID, &o.TenantSlug, &o.TenantName, &o.Kind, &o.PlanStatus, &date, &ack, &findings); err != nil {
			return nil, fmt.Errorf("operator audits: %w", err)
		}
		o.Date, o.AcknowledgedAt, o.FindingsAt = fromMicros(date), optMicros(ack), optMicros(findings)
		out = append(out, o)
	}
	return out, rows.Err()
}

// TenantsWithOpenAuditPlans lists the tenants with findings whose plan is
// not yet submitted: the only ones the reminder job opens a write for.
func (db *DB) TenantsWithOpenAuditPlans(ctx context.Context) ([]string, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT DISTINCT tenant_id FROM controller_audits WHERE findings_at IS NOT NULL
		AND plan_status IN ('', 'returned') AND plan_warned <> 1 ORDER BY tenant_id`)
	if err != nil {
		return nil, fmt.Errorf("tenants with open audit plans: %w", err)
	}
	return scanStrings(rows)
}

// RecordEvidencePack records that the controller downloaded the evidence
// pack ("audits.evidence", ADT-1): how many files and the SHA-256 of its
// manifest, so the pack handed out can be recognised later.
func (db *DB) RecordEvidencePack(ctx context.Context, actor audit.Actor, tenantID string, files int, manifestSHA256 string) error {
	return db.write(ctx, func(tx *Tx) error {
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "audits.evidence", ObjectType: "controller_audit",
			Purpose: fmt.Sprintf("%d files, manifest sha256 %s", files, manifestSHA256)})
	})
}

// AuditMailer composes the mails about audits in the tenant's language, to
// the controller ("announce", "plan", "overdue") or to the supplier
// ("supplier.<event>"), each linking to the page of the side it goes to
// under baseURL. Only the kind and dates are in the mail: scope, findings
// and plan stay sealed in Kluis.
func AuditMailer(baseURL string) AuditMail {
	return func(t tenant.Tenant, c ControllerAudit, event string) OutgoingMail {
		l, ok := locale.Parse(t.DefaultLang)
		if !ok {
			l = locale.NL
		}
		base := strings.TrimRight(baseURL, "/")
		link := t.Link(base, "/admin/audits/"+c.ID)
		if strings.HasPrefix(event, "supplier.") {
			link = base + "/" + tenant.OperatorSlug + "/audits/" + t.Slug + "/" + c.ID
		}
		at := func(x time.Time) string { return x.In(workdays.Brussels).Format("02.01.2006 15:04") }
		due := ""
		if c.FindingsAt != nil {
			due = at(c.PlanDue())
		}
		kind := strings.ToLower(locale.T(l, "audits.kind."+c.Kind))
		return OutgoingMail{Lang: string(l),
			Subject: locale.T(l, "audits.mail."+event+".subject", t.LegalName),
			Body:    locale.T(l, "audits.mail."+event+".body", t.LegalName, kind, at(c.Date), due, link)}
	}
}
