package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/seal"
	"github.com/kluis/kluis/internal/tenant"
	"github.com/kluis/kluis/internal/workdays"
)

// Sub-processors (SUB-1…SUB-3). The supplier's operators keep one list for
// the platform — who, where, on what ground outside the EEA, with which
// measures, under which agreement — and say which tenants each applies to:
// as agreed in the signed annex 1, or as a change announced with an
// effective date. The controller's admins accept an announced one or object
// with a reason; an objection opens a 3-month window (VO-B 6.2) both sides
// see. Until a tenant accepted a sub-processor, none of its data is routed
// to the host names the sub-processor receives data on.

// Sub-processor decisions for one tenant.
const (
	SubAccepted = "accepted"
	SubPending  = "pending"
	SubObjected = "objected"
)

// Kinds of a sub-processor's applicability to a tenant.
const (
	SubKindAgreed  = "agreed"  // in the signed annex 1
	SubKindAdd     = "add"     // a new sub-processor, announced
	SubKindReplace = "replace" // replaces another, announced
	// SubKindChange: a material change of one the tenant had accepted,
	// announced; the earlier authorisation stands until the controller
	// objects (EditSubProcessor).
	SubKindChange = "change"
)

// ObjectionWindow is how long after an objection the controller waits for a
// reasonable change before it may end the agreement at once (SUB-2).
const ObjectionWindowMonths = 3

// SubProcessor is one entry of the platform's list.
type SubProcessor struct {
	ID                string
	Name              string
	HeadOffice        string
	Location          string
	EEA               bool
	TransferMechanism string
	Measures          string
	AgreementRef      string
	AgreementDate     string // YYYY-MM-DD
	Services          string
	Hosts             []string
	CreatedAt         time.Time
	UpdatedAt         time.Time
	RetiredAt         *time.Time // the day it ended (RetireSubProcessor), nil while current
	RetiredReason     string
}

// AgreementDay is the agreement's date the Belgian way (31.12.2026).
func (s SubProcessor) AgreementDay() string {
	d, err := time.Parse("2006-01-02", s.AgreementDate)
	if err != nil {
		return s.AgreementDate
	}
	return d.Format("02.01.2006")
}

// SubProcessorInput is the operators' form.
type SubProcessorInput struct {
	Name, HeadOffice, Location, TransferMechanism, Measures, AgreementRef, AgreementDate, Services, Hosts string
	EEA                                                                                                   string // "yes" or "no"
}

// SubValidationError is refused input: field → message key. Nothing was
// saved.
type SubValidationError struct{ Fields map[string]string }

func (e *SubValidationError) Error() string { return refusedIn("sub-processor refused: ", e.Fields) }

// hostList parses the hosts field: host names (or URLs, whose host is
// taken), separated by spaces, commas or new lines, lower case, each once.
func hostList(s string) ([]string, bool) {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' || r == '\n' || r == '\r' || r == '\t' }) {
		h := strings.ToLower(f)
		if strings.Contains(h, "://") {
			u, err := url.Parse(h)
			if err != nil || u.Hostname() == "" {
				return nil, false
			}
			h = u.Hostname()
		}
		if strings.ContainsAny(h, "/?#@ ") || strings.Trim(h, ".") == "" {
			return nil, false
		}
		if !slices.Contains(out, h) {
			out = append(out, h)
		}
	}
	return out, true
}

func (in SubProcessorInput) validate() (SubProcessor, map[string]string) {
	bad := map[string]string{}
	s := SubProcessor{Name: strings.TrimSpace(in.Name), HeadOffice: strings.TrimSpace(in.HeadOffice), Location: strings.TrimSpace(in.Location),
		TransferMechanism: strings.TrimSpace(in.TransferMechanism), Measures: strings.TrimSpace(in.Measures),
		AgreementRef: strings.TrimSpace(in.AgreementRef), AgreementDate: strings.TrimSpace(in.AgreementDate), Services: strings.TrimSpace(in.Services)}
	for field, v := range map[string]string{"name": s.Name, "head_office": s.HeadOffice, "location": s.Location, "measures": s.Measures,
		"agreement_ref": s.AgreementRef, "services": s.Services} {
		if v == "" {
			bad[field] = "subproc.error." + field + "_required"
		}
	}
	switch in.EEA {
	case "yes":
		s.EEA = true
	case "no":
		if s.TransferMechanism == "" {
			bad["transfer_mechanism"] = "subproc.error.transfer_required"
		}
	default:
		bad["eea"] = "subproc.error.eea_required"
	}
	if s.AgreementDate == "" {
		bad["agreement_date"] = "subproc.error.agreement_date_required"
	} else if _, err := time.Parse("2006-01-02", s.AgreementDate); err != nil {
		bad["agreement_date"] = "subproc.error.agreement_date_invalid"
	}
	hosts, ok := hostList(in.Hosts)
	if !ok {
		bad["hosts"] = "subproc.error.hosts_invalid"
	}
	s.Hosts = hosts
	return s, bad
}

// CreateSubProcessor adds s to the platform's list, recorded in the
// operators' realm's log ("subprocessor.create"). It applies to no tenant
// yet: AnnounceSubProcessor does that. *SubValidationError for refused
// input.
func (db *DB) CreateSubProcessor(ctx context.Context, actor audit.Actor, in SubProcessorInput) (SubProcessor, error) {
	s, bad := in.validate()
	if len(bad) > 0 {
		return SubProcessor{}, &SubValidationError{bad}
	}
	realm, err := db.OperatorRealm(ctx, actor)
	if err != nil {
		return SubProcessor{}, err
	}
	now := db.now()
	s.ID, s.CreatedAt, s.UpdatedAt = newID(now), fromMicros(micros(now)), fromMicros(micros(now))
	err = db.write(ctx, func(tx *Tx) error {
		if _, err := tx.exec(`INSERT INTO subprocessors (id, name, head_office, location, eea, transfer_mechanism, measures, agreement_ref,
			agreement_date, services, hosts, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)`,
			s.ID, s.Name, s.HeadOffice, s.Location, boolInt(s.EEA), s.TransferMechanism, s.Measures, s.AgreementRef, s.AgreementDate,
			s.Services, strings.Join(s.Hosts, " "), micros(now)); err != nil {
			return err
		}
		return tx.appendAudit(audit.Event{TenantID: realm.ID, Actor: actor, Action: "subprocessor.create", ObjectType: "subprocessor",
			ObjectID: s.ID, Purpose: s.Name + ", agreement " + s.AgreementRef})
	})
	if err != nil {
		return SubProcessor{}, fmt.Errorf("create sub-processor: %w", err)
	}
	return s, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

const subColumns = `s.id, s.name, s.head_office, s.location, s.eea, s.transfer_mechanism, s.measures, s.agreement_ref, s.agreement_date,
	s.services, s.hosts, s.created_at, s.updated_at, s.retired_at, s.retired_reason`

// subScanner scans subColumns (and extra destinations after them).
type subScanner struct {
	s                SubProcessor
	eea              int
	hosts            string
	created, updated int64
	retired          sql.NullInt64
}

func (x *subScanner) dest(extra ...any) []any {
	return append([]any{&x.s.ID, &x.s.Name, &x.s.HeadOffice, &x.s.Location, &x.eea, &x.s.TransferMechanism, &x.s.Measures,
		&x.s.AgreementRef, &x.s.AgreementDate, &x.s.Services, &x.hosts, &x.created, &x.updated, &x.retired, &x.s.RetiredReason}, extra...)
}

func (x *subScanner) done() SubProcessor {
	x.s.EEA, x.s.Hosts, x.s.CreatedAt, x.s.UpdatedAt = x.eea == 1, strings.Fields(x.hosts), fromMicros(x.created), fromMicros(x.updated)
	x.s.RetiredAt = optMicros(x.retired)
	return x.s
}

// SubProcessorTenant is one tenant's standing with a sub-processor, as the
// operators see it.
type SubProcessorTenant struct {
	TenantID, TenantSlug, TenantName string
	SubDecision
}

// SubDecision is a sub-processor's applicability to a tenant and the
// controller's decision (SUB-2).
type SubDecision struct {
	Kind         string
	ReplacesID   string
	ReplacesName string
	EffectiveAt  time.Time
	AnnouncedAt  time.Time
	Status       string
	DecidedAt    *time.Time
	DecidedBy    string
	WindowEndsAt *time.Time // 3 months after an objection
}

// EffectiveDay is the date the change takes effect, in Brussels.
func (d SubDecision) EffectiveDay() string {
	return d.EffectiveAt.In(workdays.Brussels).Format("02.01.2006")
}

// PlatformSubProcessor is a list entry with the tenants it applies to.
type PlatformSubProcessor struct {
	SubProcessor
	Tenants []SubProcessorTenant
}

// SubProcessors lists the platform's sub-processors, by name, each with the
// tenants it applies to and their decisions (no objection reasons: those
// are the controller's, sealed). Nothing in it is personal data.
func (db *DB) SubProcessors(ctx context.Context) ([]PlatformSubProcessor, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT `+subColumns+` FROM subprocessors s ORDER BY s.name, s.id`)
	if err != nil {
		return nil, fmt.Errorf("sub-processors: %w", err)
	}
	var out []PlatformSubProcessor
	index := map[string]int{}
	for rows.Next() {
		var x subScanner
		if err := rows.Scan(x.dest()...); err != nil {
			rows.Close()
			return nil, err
		}
		index[x.s.ID] = len(out)
		out = append(out, PlatformSubProcessor{SubProcessor: x.done()})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = db.sql.QueryContext(ctx, `SELECT st.subprocessor_id, t.id, t.slug, t.legal_name, `+decisionColumns+`
		FROM subprocessor_tenants st JOIN tenants t ON t.id = st.tenant_id LEFT JOIN subprocessors r ON r.id = st.replaces_id
		ORDER BY t.legal_name, t.id`)
	if err != nil {
		return nil, fmt.Errorf("sub-processor tenants: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var subID string
		var st SubProcessorTenant
		var d decisionScanner
		if err := rows.Scan(d.dest(&subID, &st.TenantID, &st.TenantSlug, &st.TenantName)...); err != nil {
			return nil, err
		}
		st.SubDecision = d.done()
		if i, ok := index[subID]; ok {
			out[i].Tenants = append(out[i].Tenants, st)
		}
	}
	return out, rows.Err()
}

// SubProcessor reads one entry of the list; ErrNotFound for none.
func (db *DB) SubProcessor(ctx context.Context, id string) (SubProcessor, error) {
	var x subScanner
	err := db.sql.QueryRowContext(ctx, `SELECT `+subColumns+` FROM subprocessors s WHERE s.id = $1`, id).Scan(x.dest()...)
	if errors.Is(err, sql.ErrNoRows) {
		return SubProcessor{}, fmt.Errorf("sub-processor %q: %w", id, ErrNotFound)
	}
	return x.done(), err
}

const decisionColumns = `st.kind, COALESCE(st.replaces_id, ''), COALESCE(r.name, ''), st.effective_at, st.announced_at, st.status,
	st.decided_at, COALESCE(st.decided_by, ''), st.window_ends_at`

type decisionScanner struct {
	d                   SubDecision
	effective, announce int64
	decided, window     sql.NullInt64
}

func (x *decisionScanner) dest(before ...any) []any {
	return append(before, &x.d.Kind, &x.d.ReplacesID, &x.d.ReplacesName, &x.effective, &x.announce, &x.d.Status, &x.decided,
		&x.d.DecidedBy, &x.window)
}

func (x *decisionScanner) done() SubDecision {
	x.d.EffectiveAt, x.d.AnnouncedAt, x.d.DecidedAt, x.d.WindowEndsAt = fromMicros(x.effective), fromMicros(x.announce), optMicros(x.decided),
		optMicros(x.window)
	return x.d
}

// SubAnnouncement applies a sub-processor to tenants: as agreed in the
// signed annex 1 (accepted from the start), or as a change (add or
// replace) that takes effect at EffectiveAt unless the controller objects.
type SubAnnouncement struct {
	Kind        string
	ReplacesID  string // for replace
	EffectiveAt time.Time
	TenantIDs   []string
}

// SubProcessorMail composes the announcement of s to tenant t, taking effect
// at d.EffectiveAt; the store fills To and Kind.
type SubProcessorMail func(t tenant.Tenant, s SubProcessor, d SubDecision) OutgoingMail

// AnnounceSubProcessor applies sub-processor id to each of a.TenantIDs
// (SUB-2). An announced change is mailed to each tenant's active admins
// and DPO and recorded in its log ("subprocessor.announce"); an agreed one
// is recorded as "subprocessor.agreed". A tenant it already applies to is
// refused, as are an effective date not in the future, an unknown kind or
// replaced sub-processor, and no tenant: *SubValidationError, nothing
// saved.
func (db *DB) AnnounceSubProcessor(ctx context.Context, actor audit.Actor, id string, a SubAnnouncement, compose SubProcessorMail) error {
	if err := db.requireKeys(); err != nil {
		return err
	}
	s, err := db.currentSubProcessor(ctx, id)
	if err != nil {
		return err
	}
	now := db.now()
	bad := map[string]string{}
	switch a.Kind {
	case SubKindAgreed, SubKindAdd:
		a.ReplacesID = ""
	case SubKindReplace:
		if a.ReplacesID == "" || a.ReplacesID == id {
			bad["replaces"] = "subproc.error.replaces_required"
		} else if _, err := db.SubProcessor(ctx, a.ReplacesID); errors.Is(err, ErrNotFound) {
			bad["replaces"] = "subproc.error.replaces_required"
		} else if err != nil {
			return err
		}
	default:
		bad["kind"] = "subproc.error.kind_required"
	}
	if a.Kind != SubKindAgreed {
		if a.EffectiveAt.IsZero() {
			bad["effective"] = "subproc.error.effective_required"
		} else if !a.EffectiveAt.After(now) {
			bad["effective"] = "subproc.error.effective_past"
		}
	} else if a.EffectiveAt.IsZero() {
		a.EffectiveAt = now
	}
	if len(a.TenantIDs) == 0 {
		bad["tenants"] = "subproc.error.tenants_required"
	}
	if len(bad) > 0 {
		return &SubValidationError{bad}
	}
	realm, err := db.OperatorRealm(ctx, actor)
	if err != nil {
		return err
	}
	err = db.write(ctx, func(tx *Tx) error {
		for _, tid := range a.TenantIDs {
			var n int
			if err := tx.queryRow(`SELECT count(*) FROM subprocessor_tenants WHERE tenant_id = $1 AND subprocessor_id = $2`, tid, id).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return &SubValidationError{map[string]string{"tenants": "subproc.error.already_applies"}}
			}
			t, err := scanTenant(tx.queryRow(`SELECT `+tenantColumns+` FROM tenants WHERE id = $1`, tid))
			if errors.Is(err, sql.ErrNoRows) || (err == nil && (t.IsPlatform() || t.Status != tenant.StatusActive)) {
				return &SubValidationError{map[string]string{"tenants": "subproc.error.tenants_required"}}
			} else if err != nil {
				return err
			}
			d := SubDecision{Kind: a.Kind, ReplacesID: a.ReplacesID, EffectiveAt: a.EffectiveAt, AnnouncedAt: now, Status: SubPending}
			action := "subprocessor.announce"
			var decided any
			if a.Kind == SubKindAgreed {
				d.Status, action, decided = SubAccepted, "subprocessor.agreed", micros(now)
			}
			if _, err := tx.exec(`INSERT INTO subprocessor_tenants (tenant_id, subprocessor_id, kind, replaces_id, effective_at, announced_at,
				status, decided_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, tid, id, a.Kind, nullIfEmpty(a.ReplacesID), micros(a.EffectiveAt),
				micros(now), d.Status, decided); err != nil {
				return err
			}
			if err := tx.appendAudit(audit.Event{TenantID: tid, Actor: actor, Action: action, ObjectType: "subprocessor", ObjectID: id,
				Purpose: fmt.Sprintf("%s (%s), effective %s", s.Name, a.Kind, a.EffectiveAt.UTC().Format(time.RFC3339))}); err != nil {
				return err
			}
			if err := tx.appendAudit(audit.Event{TenantID: realm.ID, Actor: actor, Action: action, ObjectType: "subprocessor", ObjectID: id,
				Purpose: fmt.Sprintf("tenant %s (%s)", tid, a.Kind)}); err != nil {
				return err
			}
			if a.Kind == SubKindAgreed || compose == nil {
				continue
			}
			if err := tx.mailSubAnnouncement(actor, tid, s, d, compose); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("announce sub-processor: %w", err)
	}
	return nil
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// mailSubAnnouncement mails the announcement to the tenant's DPO and
// active admins (the breach notification's recipients).
func (tx *Tx) mailSubAnnouncement(actor audit.Actor, tenantID string, s SubProcessor, d SubDecision, compose SubProcessorMail) error {
	t, err := tx.openContact(tenantID, actor, "sub-processor announcement to the controller")
	if err != nil {
		return err
	}
	to, err := tx.breachRecipients(tenantID, t.DPOEmail)
	if err != nil {
		return err
	}
	m := compose(t, s, d)
	m.Kind = "subprocessor.announce"
	for _, addr := range to {
		m.To = addr
		if _, err := tx.queueFinalMail(tenantID, m, actor); err != nil {
			return err
		}
	}
	return nil
}

// TenantSubProcessor is a sub-processor as its tenant sees it, with the
// controller's objection reason opened.
type TenantSubProcessor struct {
	SubProcessor
	SubDecision
	Objection string
}

// ObjectionOpen reports whether the objection's 3-month window still runs
// at now (SUB-2).
func (s TenantSubProcessor) ObjectionOpen(now time.Time) bool {
	return s.Status == SubObjected && s.WindowEndsAt != nil && now.Before(*s.WindowEndsAt)
}

func subObjectionAD(tenantID, subID string) seal.AD {
	return seal.AD{Tenant: tenantID, Table: "subprocessor_tenants", Column: "objection", Row: subID}
}

// TenantSubProcessors lists the sub-processors that apply to the tenant,
// by name, with its decisions; the read is recorded ("subprocessor.list")
// since objection reasons are opened.
func (db *DB) TenantSubProcessors(ctx context.Context, actor audit.Actor, tenantID string) ([]TenantSubProcessor, error) {
	if err := db.requireKeys(); err != nil {
		return nil, err
	}
	var out []TenantSubProcessor
	err := db.write(ctx, func(tx *Tx) error {
		out = nil
		rows, err := tx.query(`SELECT `+subColumns+`, `+decisionColumns+`, st.objection FROM subprocessor_tenants st
			JOIN subprocessors s ON s.id = st.subprocessor_id LEFT JOIN subprocessors r ON r.id = st.replaces_id
			WHERE st.tenant_id = $1 ORDER BY s.name, s.id`, tenantID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var x subScanner
			var d decisionScanner
			var objection []byte
			if err := rows.Scan(append(d.dest(x.dest()...), &objection)...); err != nil {
				return err
			}
			ts := TenantSubProcessor{SubProcessor: x.done(), SubDecision: d.done()}
			if len(objection) > 0 {
				plain, err := tx.db.keys.Open(tenantID, subObjectionAD(tenantID, ts.ID), objection)
				if err != nil {
					return keep(fmt.Errorf("sub-processor %s objection: %w", ts.ID, ErrUnreadable))
				}
				ts.Objection = string(plain)
			}
			out = append(out, ts)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "subprocessor.list", ObjectType: "subprocessor",
			Purpose: fmt.Sprintf("%d shown", len(out))})
	})
	if err != nil {
		return nil, fmt.Errorf("tenant sub-processors: %w", err)
	}
	return out, nil
}

// DecideSubProcessor records the controller's decision on sub-processor
// id (SUB-2): accept ("subprocessor.accept"), which lets routing to it
// resume at once, or object with a reason ("subprocessor.object"), which
// opens the 3-month window. An objection needs a reason and is refused
// once the change took effect; an agreed or already accepted one is not
// decided again: *SubValidationError, nothing saved. ErrNotFound when it
// does not apply to the tenant.
func (db *DB) DecideSubProcessor(ctx context.Context, actor audit.Actor, tenantID, id string, accept bool, reason string) error {
	if err := db.requireKeys(); err != nil {
		return err
	}
	if actor.Kind != audit.KindUser {
		return fmt.Errorf("sub-processor decision: actor kind %q is not the controller", actor.Kind)
	}
	reason = strings.TrimSpace(reason)
	err := db.write(ctx, func(tx *Tx) error {
		var status string
		var effective int64
		err := tx.queryRow(`SELECT status, effective_at FROM subprocessor_tenants WHERE tenant_id = $1 AND subprocessor_id = $2`,
			tenantID, id).Scan(&status, &effective)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("sub-processor %q: %w", id, ErrNotFound)
		} else if err != nil {
			return err
		}
		now := tx.db.now()
		bad := map[string]string{}
		switch {
		case status == SubAccepted:
			bad["decision"] = "subproc.error.already_accepted"
		case !accept && status == SubObjected:
			bad["decision"] = "subproc.error.already_objected"
		case !accept && !now.Before(fromMicros(effective)):
			bad["decision"] = "subproc.error.objection_too_late"
		}
		if !accept && reason == "" {
			bad["reason"] = "subproc.error.reason_required"
		} else if len(reason) > 4000 {
			bad["reason"] = "subproc.error.reason_long"
		}
		if len(bad) > 0 {
			return &SubValidationError{bad}
		}
		if accept {
			if _, err := tx.exec(`UPDATE subprocessor_tenants SET status = $1, decided_at = $2, decided_by = $3, window_ends_at = NULL
				WHERE tenant_id = $4 AND subprocessor_id = $5`, SubAccepted, micros(now), actor.ID, tenantID, id); err != nil {
				return err
			}
			// Deliveries held back for it are due again at once.
			if _, err := tx.exec(`UPDATE webhook_deliveries SET next_attempt_at = $1 WHERE tenant_id = $2 AND status = 'pending'
				AND next_attempt_at > $1`, micros(now), tenantID); err != nil {
				return err
			}
			return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "subprocessor.accept", ObjectType: "subprocessor",
				ObjectID: id})
		}
		sealed, err := tx.db.keys.Seal(tenantID, subObjectionAD(tenantID, id), []byte(reason))
		if err != nil {
			return err
		}
		ends := now.AddDate(0, ObjectionWindowMonths, 0)
		if _, err := tx.exec(`UPDATE subprocessor_tenants SET status = $1, decided_at = $2, decided_by = $3, objection = $4, window_ends_at = $5
			WHERE tenant_id = $6 AND subprocessor_id = $7`, SubObjected, micros(now), actor.ID, sealed, micros(ends), tenantID, id); err != nil {
			return err
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "subprocessor.object", ObjectType: "subprocessor",
			ObjectID: id, Purpose: "window until " + ends.UTC().Format(time.RFC3339)})
	})
	if err != nil {
		var ve *SubValidationError
		if errors.As(err, &ve) {
			return ve
		}
		return fmt.Errorf("decide sub-processor: %w", err)
	}
	return nil
}

// SubProcessorHoldRetry is how long a delivery held back for a
// sub-processor the tenant has not accepted waits before it is checked
// again; accepting makes it due at once.
const SubProcessorHoldRetry = time.Hour

// unacceptedSubProcessor names the sub-processor receiving data on host
// that tenantID has not accepted (SUB-2), or "" when routing there is
// allowed: no sub-processor names the host, or the tenant accepted each
// that does. A host matches a listed name or any name below it.
func (tx *Tx) unacceptedSubProcessor(tenantID, host string) (SubProcessor, bool, error) {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if host == "" {
		return SubProcessor{}, false, nil
	}
	rows, err := tx.query(`SELECT `+subColumns+`, COALESCE(st.status, ''), COALESCE(st.kind, '') FROM subprocessors s
		LEFT JOIN subprocessor_tenants st ON st.subprocessor_id = s.id AND st.tenant_id = $1 WHERE s.hosts <> '' ORDER BY s.id`, tenantID)
	if err != nil {
		return SubProcessor{}, false, err
	}
	defer rows.Close()
	for rows.Next() {
		var x subScanner
		var status, kind string
		if err := rows.Scan(x.dest(&status, &kind)...); err != nil {
			return SubProcessor{}, false, err
		}
		s := x.done()
		// A retired one receives nothing, whatever was decided (SUB-1).
		if s.RetiredAt == nil && routable(status, kind) {
			continue
		}
		for _, h := range s.Hosts {
			if host == h || strings.HasSuffix(host, "."+h) {
				return s, true, nil
			}
		}
	}
	return SubProcessor{}, false, rows.Err()
}

// SubProcessorRouteRefused reports whether routing tenantID's data to host
// is refused because the tenant has not accepted the sub-processor behind
// it (SUB-2), and if so records the refusal in the tenant's log
// ("subprocessor.refused", what: e.g. "mail relay"). The mail sender asks
// before handing a tenant's mail to a relay that is a sub-processor.
func (db *DB) SubProcessorRouteRefused(ctx context.Context, tenantID, host, what string) (bool, error) {
	// Most platforms name no host of a sub-processor: no write then. The
	// operators' realm is no controller; its mail is the supplier's own.
	var named int
	if err := db.sql.QueryRowContext(ctx, `SELECT count(*) FROM subprocessors WHERE hosts <> ''`).Scan(&named); err != nil || named == 0 {
		return false, err
	}
	if t, err := db.Tenant(ctx, tenantID); err != nil || t.IsPlatform() {
		return false, err
	}
	var refused bool
	err := db.write(ctx, func(tx *Tx) error {
		s, blocked, err := tx.unacceptedSubProcessor(tenantID, host)
		if err != nil || !blocked {
			refused = false
			return err
		}
		refused = true
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: webhookActor, Action: "subprocessor.refused", ObjectType: "subprocessor",
			ObjectID: s.ID, Outcome: audit.OutcomeDenied, Purpose: what + " to " + host + ": " + s.refusal()})
	})
	return refused, err
}

// RecordSubProcessorExport records a download of the tenant's overview
// ("subprocessor.export", SUB-3).
func (db *DB) RecordSubProcessorExport(ctx context.Context, actor audit.Actor, tenantID, format string, n int) error {
	return db.write(ctx, func(tx *Tx) error {
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "subprocessor.export", ObjectType: "subprocessor",
			Purpose: fmt.Sprintf("overview as %s, %d sub-processors", format, n)})
	})
}

// AcceptedSubProcessors lists the platform's current sub-processors the
// tenant accepted or agreed to in annex 1 (a pending change of one of them
// included: the earlier authorisation stands), by name: what its annex 1
// shows besides the register's own (SUB-1). Nothing in it is personal
// data.
func (db *DB) AcceptedSubProcessors(ctx context.Context, tenantID string) ([]SubProcessor, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT `+subColumns+` FROM subprocessors s JOIN subprocessor_tenants st
		ON st.subprocessor_id = s.id WHERE st.tenant_id = $1 AND (st.status = $2 OR (st.status = $3 AND st.kind = $4))
		AND s.retired_at IS NULL ORDER BY s.name, s.id`, tenantID, SubAccepted, SubPending, SubKindChange)
	if err != nil {
		return nil, fmt.Errorf("accepted sub-processors: %w", err)
	}
	defer rows.Close()
	var out []SubProcessor
	for rows.Next() {
		var x subScanner
		if err := rows.Scan(x.dest()...); err != nil {
			return nil, err
		}
		out = append(out, x.done())
	}
	return out, rows.Err()
}
