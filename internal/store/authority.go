package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/kluis/kluis/internal/audit"
)

// An authority's request for data (REG-5). Supplier staff record it — the
// authority, the legal basis it invokes, what it asks and by when — and
// assess it first. The controller is then told (mail to its admins and DPO,
// proof kept, and on its pages) before anything is disclosed, so it can seek
// legal remedies in time: a disclosure is refused until the controller was
// told, unless a legal prohibition of telling it was recorded with its
// basis. Such a request is hidden from the controller while the prohibition
// stands; lifting it tells the controller, who then sees the whole history.

// The states of an authority request.
const (
	AuthorityReceived   = "received"
	AuthorityAssessed   = "assessed"
	AuthorityNotified   = "notified"
	AuthorityProhibited = "prohibited"
	AuthorityDisclosed  = "disclosed"
)

// The prohibited column: none, in force, lifted.
const (
	prohibitionNone   = 0
	prohibitionActive = 1
	prohibitionLifted = 2
)

// AuthorityRequest is one authority's request with its history.
type AuthorityRequest struct {
	ID          string
	ReceivedAt  time.Time
	Deadline    time.Time
	Status      string
	AssessedAt  *time.Time
	NotifiedAt  *time.Time
	Prohibited  bool // a prohibition of telling the controller is in force
	Lifted      bool // a prohibition was recorded and later lifted
	DisclosedAt *time.Time
	CreatedAt   time.Time
	Reminded    int // how far the deadline clock mailed: 0, remindedAhead, remindedOverdue
	// From the record step.
	Authority, LegalBasis, Asked string
	Steps                        []DutyStep
}

// AuthorityInput is a request as received.
type AuthorityInput struct {
	Authority, LegalBasis, Asked string
	ReceivedAt, Deadline         time.Time
}

// RecordAuthorityRequest records an authority's request for the tenant's
// data ("authority.record"). Only supplier staff record it. The deadline
// must follow the receipt; *DutyValidationError for refused input, nothing
// saved.
func (db *DB) RecordAuthorityRequest(ctx context.Context, actor audit.Actor, tenantID string, in AuthorityInput) (AuthorityRequest, error) {
	if err := db.requireKeys(); err != nil {
		return AuthorityRequest{}, err
	}
	if err := supplierOnly(actor); err != nil {
		return AuthorityRequest{}, err
	}
	now := db.now()
	v, err := in.validate(now)
	if err != nil {
		return AuthorityRequest{}, err
	}
	v["asked"] = in.Asked
	v["received_at"], v["deadline"] = in.ReceivedAt.UTC().Format(time.RFC3339), in.Deadline.UTC().Format(time.RFC3339)
	ar := AuthorityRequest{ID: newID(now), ReceivedAt: in.ReceivedAt, Deadline: in.Deadline, Status: AuthorityReceived, CreatedAt: now,
		Authority: v["authority"], LegalBasis: v["legal_basis"], Asked: v["asked"]}
	err = db.write(ctx, func(tx *Tx) error {
		if _, err := tx.exec(`INSERT INTO authority_requests (id, tenant_id, received_at, deadline, status, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $6)`, ar.ID, tenantID, micros(in.ReceivedAt), micros(in.Deadline), ar.Status, micros(now)); err != nil {
			return err
		}
		_, err := tx.addDutyStep(actor, tenantID, "authority", ar.ID, "record", "authority.record", v, nil)
		return err
	})
	if err != nil {
		return AuthorityRequest{}, fmt.Errorf("record authority request: %w", err)
	}
	return ar, nil
}

// validate refuses in field by field; it returns the trimmed texts.
func (in AuthorityInput) validate(now time.Time) (map[string]string, error) {
	v := trimAll(map[string]string{"authority": in.Authority, "legal_basis": in.LegalBasis, "asked": in.Asked})
	bad := map[string]string{}
	required(bad, "instr.error.required", v, "authority", "legal_basis", "asked")
	switch {
	case in.ReceivedAt.IsZero():
		bad["received_at"] = "instr.error.date_required"
	case in.ReceivedAt.After(now):
		bad["received_at"] = "instr.error.future"
	}
	switch {
	case in.Deadline.IsZero():
		bad["deadline"] = "instr.error.date_required"
	case !in.ReceivedAt.IsZero() && !in.Deadline.After(in.ReceivedAt):
		bad["deadline"] = "instr.error.deadline_before"
	}
	return v, refuse(bad)
}

// ValidateAuthorityInput refuses in field by field as
// RecordAuthorityRequest would, without saving.
func ValidateAuthorityInput(in AuthorityInput, now time.Time) error {
	_, err := in.validate(now)
	return err
}

const authorityColumns = `id, received_at, deadline, status, assessed_at, notified_at, prohibited, disclosed_at, created_at, reminded`

func scanAuthority(row interface{ Scan(...any) error }) (AuthorityRequest, error) {
	var ar AuthorityRequest
	var received, deadline, created int64
	var assessed, notified, disclosed sql.NullInt64
	var prohibited int
	err := row.Scan(&ar.ID, &received, &deadline, &ar.Status, &assessed, &notified, &prohibited, &disclosed, &created, &ar.Reminded)
	ar.ReceivedAt, ar.Deadline, ar.CreatedAt = fromMicros(received), fromMicros(deadline), fromMicros(created)
	ar.AssessedAt, ar.NotifiedAt, ar.DisclosedAt = optMicros(assessed), optMicros(notified), optMicros(disclosed)
	ar.Prohibited, ar.Lifted = prohibited == prohibitionActive, prohibited == prohibitionLifted
	return ar, err
}

func (tx *Tx) authorityRow(tenantID, id string) (AuthorityRequest, error) {
	ar, err := scanAuthority(tx.queryRow(`SELECT `+authorityColumns+` FROM authority_requests WHERE tenant_id = $1 AND id = $2`, tenantID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return ar, fmt.Errorf("authority request %q: %w", id, ErrNotFound)
	}
	return ar, err
}

// The steps supplier staff take on a request after recording it.
const (
	AuthorityAssess   = "assess"   // text: the assessment (is the request lawful, what is due)
	AuthorityNotify   = "notify"   // text: what the controller is told; mails it at once
	AuthorityProhibit = "prohibit" // text: the legal basis forbidding to tell the controller
	AuthorityLift     = "lift"     // text: why the prohibition ended; mails the controller
	AuthorityDisclose = "disclose" // text: what was disclosed
)

// AuthorityStep takes step on request id with its text
// ("authority.<step>"), in the order REG-5 demands: an assessment first;
// then the controller is told (notify, mailed at once with proof) or a
// legal prohibition of telling it is recorded with its basis; only then a
// disclosure. A lifted prohibition tells the controller as notify does.
// ErrDutyState for a step out of order — above all a disclosure before the
// controller was told without a recorded prohibition. Only supplier staff.
func (db *DB) AuthorityStep(ctx context.Context, actor audit.Actor, tenantID, id, step, text string, compose DutyMail) error {
	if err := db.requireKeys(); err != nil {
		return err
	}
	if err := supplierOnly(actor); err != nil {
		return err
	}
	field := map[string]string{AuthorityAssess: "assessment", AuthorityNotify: "message", AuthorityProhibit: "prohibition_basis",
		AuthorityLift: "message", AuthorityDisclose: "disclosed"}[step]
	if field == "" {
		return &DutyValidationError{map[string]string{"step": "instr.error.step"}}
	}
	v := map[string]string{field: text}
	bad := map[string]string{}
	required(bad, "instr.error.required", v, field)
	if err := refuse(bad); err != nil {
		return err
	}
	err := db.write(ctx, func(tx *Tx) error {
		ar, err := tx.authorityRow(tenantID, id)
		if err != nil {
			return err
		}
		if !ar.Allows(step) {
			return ErrDutyState
		}
		now := micros(tx.db.now())
		var set string
		var mail DutyMail
		switch step {
		case AuthorityAssess:
			set = fmt.Sprintf(`status = '%s', assessed_at = %d`, AuthorityAssessed, now)
		case AuthorityNotify:
			set, mail = fmt.Sprintf(`status = '%s', notified_at = %d`, AuthorityNotified, now), compose
		case AuthorityProhibit:
			set = fmt.Sprintf(`status = '%s', prohibited = %d`, AuthorityProhibited, prohibitionActive)
		case AuthorityLift:
			set, mail = fmt.Sprintf(`prohibited = %d, notified_at = %d`, prohibitionLifted, now), compose
		case AuthorityDisclose:
			set = fmt.Sprintf(`status = '%s', disclosed_at = %d`, AuthorityDisclosed, now)
		}
		if mail == nil && (step == AuthorityNotify || step == AuthorityLift) {
			return errors.New("authority request: telling the controller needs its mail")
		}
		if _, err := tx.exec(`UPDATE authority_requests SET `+set+`, updated_at = $1 WHERE tenant_id = $2 AND id = $3`, now, tenantID, id); err != nil {
			return err
		}
		_, err = tx.addDutyStep(actor, tenantID, "authority", id, step, "authority."+step, v, mail)
		return err
	})
	if err != nil {
		return fmt.Errorf("authority request %s: %w", step, err)
	}
	return nil
}

// Allows reports whether step may follow now: REG-5's order.
func (ar AuthorityRequest) Allows(step string) bool {
	if step == AuthorityLift {
		return ar.Prohibited // also after the disclosure: the controller is told then
	}
	if ar.DisclosedAt != nil {
		return false
	}
	told := ar.NotifiedAt != nil
	switch step {
	case AuthorityAssess:
		return true
	case AuthorityNotify:
		return ar.AssessedAt != nil && !ar.Prohibited && !told
	case AuthorityProhibit:
		return ar.AssessedAt != nil && !ar.Prohibited && !told && !ar.Lifted
	case AuthorityDisclose:
		return ar.AssessedAt != nil && (told || ar.Prohibited)
	}
	return false
}

// AuthorityRequests lists the tenant's authority requests, newest first,
// with their histories, recorded as "authority.list". The controller's
// users do not see one whose prohibition of telling them is in force
// (REG-5); supplier staff see all.
func (db *DB) AuthorityRequests(ctx context.Context, actor audit.Actor, tenantID string) ([]AuthorityRequest, error) {
	if err := db.requireKeys(); err != nil {
		return nil, err
	}
	q := `SELECT ` + authorityColumns + ` FROM authority_requests WHERE tenant_id = $1`
	if actor.Kind != audit.KindOperator {
		q += fmt.Sprintf(` AND prohibited <> %d`, prohibitionActive)
	}
	var out []AuthorityRequest
	err := db.write(ctx, func(tx *Tx) error {
		out = nil
		rows, err := tx.query(q+` ORDER BY received_at DESC, id`, tenantID)
		if err != nil {
			return err
		}
		for rows.Next() {
			ar, err := scanAuthority(rows)
			if err != nil {
				rows.Close()
				return err
			}
			out = append(out, ar)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		ids := make([]string, len(out))
		for i := range out {
			if out[i].Steps, err = tx.dutySteps(tenantID, out[i].ID); err != nil {
				return err
			}
			if len(out[i].Steps) > 0 {
				c := out[i].Steps[0].Content
				out[i].Authority, out[i].LegalBasis, out[i].Asked = c["authority"], c["legal_basis"], c["asked"]
			}
			ids[i] = out[i].ID
		}
		return tx.appendListed(audit.Event{TenantID: tenantID, Actor: actor, Action: "authority.list", ObjectType: "authority"},
			ids, fmt.Sprintf("%d shown", len(ids)))
	})
	if err != nil {
		return nil, fmt.Errorf("authority requests: %w", err)
	}
	return out, nil
}
