package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/tenant"
	"github.com/kluis/kluis/internal/workdays"
)

// Changing and ending a sub-processor (SUB-1…SUB-3). An operator edits an
// entry's details: a material change — anything the controller authorised,
// i.e. all but the agreement's reference and date — is announced to every
// tenant it applies to like a new sub-processor, with an effective date and
// the same objection window; the earlier authorisation stands until the
// controller objects. An operator retires an entry with its end date: it
// leaves the current overview and annex 1, stays in the history with that
// date, and Kluis refuses (and audits) any routing to it.

// ErrSubRetired: the sub-processor has ended; it is neither changed nor
// announced again. It is an ErrNotFound for the current list.
var ErrSubRetired = fmt.Errorf("sub-processor has ended: %w", ErrNotFound)

// currentSubProcessor reads entry id; ErrNotFound for none, ErrSubRetired
// for one that ended.
func (db *DB) currentSubProcessor(ctx context.Context, id string) (SubProcessor, error) {
	s, err := db.SubProcessor(ctx, id)
	if err == nil && s.RetiredAt != nil {
		err = ErrSubRetired
	}
	return s, err
}

// routable reports whether a tenant's standing with a current
// sub-processor lets its data go there: accepted, or a pending change of
// one it had accepted.
func routable(status, kind string) bool {
	return status == SubAccepted || (status == SubPending && kind == SubKindChange)
}

// refusal says why routing to s is refused, for the audit log.
func (s SubProcessor) refusal() string {
	if s.RetiredAt != nil {
		return "ended on " + s.RetiredAt.In(workdays.Brussels).Format("2006-01-02") + " (SUB-1)"
	}
	return "not accepted by the controller (SUB-2)"
}

// EndDay is the day the sub-processor ended, the Belgian way.
func (s SubProcessor) EndDay() string {
	if s.RetiredAt == nil {
		return ""
	}
	return s.RetiredAt.In(workdays.Brussels).Format("02.01.2006")
}

// materialFields names the fields of s and n that differ and that the
// controller authorised (SUB-1: who, where, on what ground, with which
// measures, for what, and where Kluis sends its data).
func materialFields(s, n SubProcessor) []string {
	var out []string
	for _, f := range []struct {
		name     string
		old, new string
	}{{"name", s.Name, n.Name}, {"head_office", s.HeadOffice, n.HeadOffice}, {"location", s.Location, n.Location},
		{"eea", fmt.Sprint(s.EEA), fmt.Sprint(n.EEA)}, {"transfer_mechanism", s.TransferMechanism, n.TransferMechanism},
		{"measures", s.Measures, n.Measures}, {"services", s.Services, n.Services},
		{"hosts", strings.Join(s.Hosts, " "), strings.Join(n.Hosts, " ")}} {
		if f.old != f.new {
			out = append(out, f.name)
		}
	}
	return out
}

// SubChange is an edit of an entry: its new details and, for a material
// change of one that applies to tenants, when it takes effect.
type SubChange struct {
	SubProcessorInput
	EffectiveAt time.Time
}

// EditSubProcessor replaces the details of sub-processor id
// ("subprocessor.edit" in the operators' realm, the changed fields in the
// purpose) and returns the material fields changed. A material change is
// announced to each tenant it applies to ("subprocessor.change" in its log
// and, with compose, a mail to its DPO and admins): one the tenant had
// accepted becomes a pending change it may object to until c.EffectiveAt
// (which must then be in the future); a pending one keeps waiting for the
// new effective date; an objection stands. *SubValidationError for refused
// input, ErrSubRetired for an ended one, nothing saved.
func (db *DB) EditSubProcessor(ctx context.Context, actor audit.Actor, id string, c SubChange, compose SubProcessorMail) ([]string, error) {
	if err := db.requireKeys(); err != nil {
		return nil, err
	}
	old, err := db.currentSubProcessor(ctx, id)
	if err != nil {
		return nil, err
	}
	n, bad := c.SubProcessorInput.validate()
	n.ID, n.CreatedAt = old.ID, old.CreatedAt
	changed := materialFields(old, n)
	realm, err := db.OperatorRealm(ctx, actor)
	if err != nil {
		return nil, err
	}
	now := db.now()
	err = db.write(ctx, func(tx *Tx) error {
		tenants, err := tx.subTenants(id)
		if err != nil {
			return err
		}
		if len(changed) > 0 && len(tenants) > 0 {
			switch {
			case c.EffectiveAt.IsZero():
				bad["effective"] = "subproc.error.effective_required"
			case !c.EffectiveAt.After(now):
				bad["effective"] = "subproc.error.effective_past"
			}
		}
		if len(bad) > 0 {
			return &SubValidationError{bad}
		}
		if _, err := tx.exec(`UPDATE subprocessors SET name = $1, head_office = $2, location = $3, eea = $4, transfer_mechanism = $5,
			measures = $6, agreement_ref = $7, agreement_date = $8, services = $9, hosts = $10, updated_at = $11 WHERE id = $12`,
			n.Name, n.HeadOffice, n.Location, boolInt(n.EEA), n.TransferMechanism, n.Measures, n.AgreementRef, n.AgreementDate, n.Services,
			strings.Join(n.Hosts, " "), micros(now), id); err != nil {
			return err
		}
		what := "agreement details only"
		if len(changed) > 0 {
			what = "changed: " + strings.Join(changed, ", ")
		}
		if err := tx.appendAudit(audit.Event{TenantID: realm.ID, Actor: actor, Action: "subprocessor.edit", ObjectType: "subprocessor",
			ObjectID: id, Purpose: n.Name + ", " + what}); err != nil {
			return err
		}
		if len(changed) == 0 {
			return nil
		}
		for _, st := range tenants {
			d := SubDecision{Kind: st.kind, EffectiveAt: c.EffectiveAt, AnnouncedAt: now, Status: st.status}
			switch st.status {
			case SubAccepted:
				d.Kind, d.Status = SubKindChange, SubPending
				_, err = tx.exec(`UPDATE subprocessor_tenants SET kind = $1, status = $2, effective_at = $3, announced_at = $4, decided_at = NULL,
					decided_by = NULL, objection = NULL, window_ends_at = NULL WHERE tenant_id = $5 AND subprocessor_id = $6`,
					SubKindChange, SubPending, micros(c.EffectiveAt), micros(now), st.tenantID, id)
			case SubPending:
				_, err = tx.exec(`UPDATE subprocessor_tenants SET effective_at = $1, announced_at = $2 WHERE tenant_id = $3 AND subprocessor_id = $4`,
					micros(c.EffectiveAt), micros(now), st.tenantID, id)
			default: // objected: the objection and its window stand; the controller may still accept
				d.EffectiveAt = fromMicros(st.effective)
				_, err = tx.exec(`UPDATE subprocessor_tenants SET announced_at = $1 WHERE tenant_id = $2 AND subprocessor_id = $3`,
					micros(now), st.tenantID, id)
			}
			if err != nil {
				return err
			}
			if err := tx.appendAudit(audit.Event{TenantID: st.tenantID, Actor: actor, Action: "subprocessor.change", ObjectType: "subprocessor",
				ObjectID: id, Purpose: fmt.Sprintf("%s %s, effective %s", n.Name, what, d.EffectiveAt.UTC().Format(time.RFC3339))}); err != nil {
				return err
			}
			if compose != nil {
				if err := tx.mailSubAnnouncement(actor, st.tenantID, n, d, compose); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		var ve *SubValidationError
		if errors.As(err, &ve) {
			return nil, ve
		}
		return nil, fmt.Errorf("edit sub-processor: %w", err)
	}
	return changed, nil
}

type subTenantRow struct {
	tenantID, status, kind string
	effective              int64
}

// subTenants lists the tenants sub-processor id applies to with their
// standing, active tenants only.
func (tx *Tx) subTenants(id string) ([]subTenantRow, error) {
	rows, err := tx.query(`SELECT st.tenant_id, st.status, st.kind, st.effective_at FROM subprocessor_tenants st JOIN tenants t ON t.id = st.tenant_id
		WHERE st.subprocessor_id = $1 AND t.status = $2 ORDER BY st.tenant_id`, id, tenant.StatusActive)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []subTenantRow
	for rows.Next() {
		var r subTenantRow
		if err := rows.Scan(&r.tenantID, &r.status, &r.kind, &r.effective); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// SubRetireMail composes the notice to tenant t that s ended; the store
// fills To and Kind.
type SubRetireMail func(t tenant.Tenant, s SubProcessor) OutgoingMail

// RetireSubProcessor ends sub-processor id on the day ended (today or
// earlier) for reason ("subprocessor.retire" in the operators' realm and in
// the log of each tenant it applied to, which compose mails). From then on
// it is out of the current overview and annex 1, in the history with its
// end date, and routing to it is refused. *SubValidationError for refused
// input (fields "ended", "reason"), ErrSubRetired when it already ended,
// nothing saved.
func (db *DB) RetireSubProcessor(ctx context.Context, actor audit.Actor, id string, ended time.Time, reason string, compose SubRetireMail) error {
	if err := db.requireKeys(); err != nil {
		return err
	}
	s, err := db.currentSubProcessor(ctx, id)
	if err != nil {
		return err
	}
	now := db.now()
	reason = strings.TrimSpace(reason)
	bad := map[string]string{}
	switch {
	case ended.IsZero():
		bad["ended"] = "gaps.subproc.error.ended_required"
	case ended.After(now):
		bad["ended"] = "gaps.subproc.error.ended_future"
	case s.AgreementDate != "" && ended.In(workdays.Brussels).Format("2006-01-02") < s.AgreementDate:
		bad["ended"] = "gaps.subproc.error.ended_before_agreement"
	}
	if reason == "" {
		bad["reason"] = "gaps.subproc.error.retire_reason_required"
	} else if len(reason) > 4000 {
		bad["reason"] = "subproc.error.reason_long"
	}
	if len(bad) > 0 {
		return &SubValidationError{bad}
	}
	realm, err := db.OperatorRealm(ctx, actor)
	if err != nil {
		return err
	}
	err = db.write(ctx, func(tx *Tx) error {
		res, err := tx.exec(`UPDATE subprocessors SET retired_at = $1, retired_reason = $2, updated_at = $3 WHERE id = $4 AND retired_at IS NULL`,
			micros(ended), reason, micros(now), id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return errors.Join(err, ErrSubRetired)
		}
		s.RetiredAt, s.RetiredReason = &ended, reason
		purpose := s.Name + ", ended " + ended.In(workdays.Brussels).Format("2006-01-02")
		if err := tx.appendAudit(audit.Event{TenantID: realm.ID, Actor: actor, Action: "subprocessor.retire", ObjectType: "subprocessor",
			ObjectID: id, Purpose: purpose}); err != nil {
			return err
		}
		tenants, err := tx.subTenants(id)
		if err != nil {
			return err
		}
		for _, st := range tenants {
			if err := tx.appendAudit(audit.Event{TenantID: st.tenantID, Actor: actor, Action: "subprocessor.retire", ObjectType: "subprocessor",
				ObjectID: id, Purpose: purpose}); err != nil {
				return err
			}
			if compose != nil {
				if err := tx.mailControllerEach(actor, st.tenantID, "subprocessor.retire", "sub-processor ended, to the controller",
					func(t tenant.Tenant) OutgoingMail { return compose(t, s) }); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("retire sub-processor: %w", err)
	}
	return nil
}

// CurrentSubProcessors keeps the entries of list that have not ended, in
// their order: the current overview (SUB-3).
func CurrentSubProcessors[S interface{ Retired() bool }](list []S) (current, ended []S) {
	for _, s := range list {
		if s.Retired() {
			ended = append(ended, s)
		} else {
			current = append(current, s)
		}
	}
	return slices.Clip(current), slices.Clip(ended)
}

// Retired reports whether the sub-processor has ended.
func (s SubProcessor) Retired() bool { return s.RetiredAt != nil }
