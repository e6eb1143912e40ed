package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/seal"
)

// LegalHold keeps a submission, or every submission of a form, from
// expiring until it is lifted or Until passes (SEC-1).
type LegalHold struct {
	ID           string
	SubmissionID string // "" for a hold on the whole form
	Reference    string // the submission's reference ("" for a form hold)
	FormKey      string
	Reason       string
	SetBy        string
	SetAt        time.Time
	Until        time.Time
	LiftedBy     string
	LiftedAt     *time.Time
}

// Active reports whether the hold stops expiry at now.
func (h LegalHold) Active(now time.Time) bool { return h.LiftedAt == nil && h.Until.After(now) }

// NewLegalHold is the input of SetLegalHold: a submission (by id) or a
// form (by key), why, and until when.
type NewLegalHold struct {
	SubmissionID string
	// Reference finds the submission by the reference people know
	// (instead of SubmissionID).
	Reference string
	FormKey   string
	Reason    string
	Until     time.Time
}

// HoldReasonMax bounds a hold's reason, in characters.
const HoldReasonMax = 1000

// HoldValidationError says, field by field (reason, until, submission,
// form), why a hold was refused, as locale keys.
type HoldValidationError struct{ Fields map[string]string }

func (e *HoldValidationError) Error() string {
	var parts []string
	for _, f := range []string{"submission", "form", "reason", "until"} {
		if m, ok := e.Fields[f]; ok {
			parts = append(parts, f+": "+m)
		}
	}
	return "legal hold refused: " + strings.Join(parts, "; ")
}

func holdAD(tenantID, id string) seal.AD {
	return seal.AD{Tenant: tenantID, Table: "legal_holds", Column: "reason", Row: id}
}

// SetLegalHold puts a submission or a form on hold and audits it, in one
// transaction. *HoldValidationError for a missing or too long reason, an
// until date not in the future, or an unknown submission or form.
func (db *DB) SetLegalHold(ctx context.Context, actor audit.Actor, tenantID string, in NewLegalHold) (string, error) {
	if err := db.requireKeys(); err != nil {
		return "", err
	}
	in.Reason = strings.TrimSpace(in.Reason)
	now := db.now()
	bad := map[string]string{}
	switch {
	case in.Reason == "":
		bad["reason"] = "retention.error.reason_required"
	case len([]rune(in.Reason)) > HoldReasonMax:
		bad["reason"] = "retention.error.reason_too_long"
	}
	switch {
	case in.Until.IsZero():
		bad["until"] = "retention.error.until_required"
	case !in.Until.After(now):
		bad["until"] = "retention.error.until_past"
	}
	in.Reference = strings.TrimSpace(in.Reference)
	if in.SubmissionID == "" && in.FormKey == "" && in.Reference == "" {
		bad["form"] = "retention.error.form_required"
	}
	if len(bad) > 0 {
		return "", &HoldValidationError{Fields: bad}
	}
	id := newID(now)
	sealed, err := db.keys.Seal(tenantID, holdAD(tenantID, id), []byte(in.Reason))
	if err != nil {
		return "", fmt.Errorf("set legal hold: %w", err)
	}
	err = db.write(ctx, func(tx *Tx) error {
		ev := audit.Event{TenantID: tenantID, Actor: actor, Action: "retention.hold.form.set", ObjectType: "form", ObjectID: in.FormKey,
			Purpose: "legal hold until " + in.Until.UTC().Format(time.DateOnly)}
		var sub any
		if in.Reference != "" && in.SubmissionID == "" {
			ref, ok := NormalizeReference(in.Reference)
			err := tx.queryRow(`SELECT id FROM submissions WHERE tenant_id = $1 AND reference = $2`, tenantID, ref).Scan(&in.SubmissionID)
			if !ok || errors.Is(err, sql.ErrNoRows) {
				return &HoldValidationError{Fields: map[string]string{"submission": "retention.error.reference_unknown"}}
			}
			if err != nil {
				return err
			}
		}
		if in.SubmissionID != "" {
			var index []byte
			err := tx.queryRow(`SELECT form_key, subject_index FROM submissions WHERE tenant_id = $1 AND id = $2`, tenantID, in.SubmissionID).
				Scan(&in.FormKey, &index)
			if errors.Is(err, sql.ErrNoRows) {
				return &HoldValidationError{Fields: map[string]string{"submission": "retention.error.submission_unknown"}}
			}
			if err != nil {
				return err
			}
			sub = in.SubmissionID
			ev.Action, ev.ObjectType, ev.ObjectID, ev.Subject = "retention.hold.set", "submission", in.SubmissionID, subjectPseudonym(index)
		} else {
			var n int
			if err := tx.queryRow(`SELECT count(*) FROM forms WHERE tenant_id = $1 AND form_key = $2`, tenantID, in.FormKey).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return &HoldValidationError{Fields: map[string]string{"form": "retention.error.form_unknown"}}
			}
		}
		if _, err := tx.exec(`INSERT INTO legal_holds (id, tenant_id, submission_id, form_key, reason, set_by, set_at, until_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, id, tenantID, sub, in.FormKey, sealed, actor.ID, micros(now), micros(in.Until)); err != nil {
			return err
		}
		return tx.appendAudit(ev)
	})
	var verr *HoldValidationError
	if errors.As(err, &verr) {
		return "", verr
	}
	if err != nil {
		return "", fmt.Errorf("set legal hold: %w", err)
	}
	return id, nil
}

// LiftLegalHold ends a hold of tenantID and audits it. ErrNotFound for an
// unknown hold or one already lifted.
func (db *DB) LiftLegalHold(ctx context.Context, actor audit.Actor, tenantID, id string) error {
	now := db.now()
	err := db.write(ctx, func(tx *Tx) error {
		var formKey string
		var sub sql.NullString
		err := tx.queryRow(`SELECT form_key, submission_id FROM legal_holds WHERE tenant_id = $1 AND id = $2 AND lifted_at IS NULL`,
			tenantID, id).Scan(&formKey, &sub)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if _, err := tx.exec(`UPDATE legal_holds SET lifted_at = $1, lifted_by = $2 WHERE tenant_id = $3 AND id = $4`,
			micros(now), actor.ID, tenantID, id); err != nil {
			return err
		}
		ev := audit.Event{TenantID: tenantID, Actor: actor, Action: "retention.hold.form.lift", ObjectType: "form", ObjectID: formKey,
			Purpose: "legal hold lifted"}
		if sub.Valid {
			ev.Action, ev.ObjectType, ev.ObjectID = "retention.hold.lift", "submission", sub.String
		}
		return tx.appendAudit(ev)
	})
	if errors.Is(err, ErrNotFound) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("lift legal hold %s: %w", id, err)
	}
	return nil
}

// LegalHolds lists tenantID's holds (of one submission when submissionID
// is set), live ones first, with their reasons opened; the read of the
// reasons is audited ("retention.hold.list").
func (db *DB) LegalHolds(ctx context.Context, actor audit.Actor, tenantID, submissionID string) ([]LegalHold, error) {
	if err := db.requireKeys(); err != nil {
		return nil, err
	}
	var out []LegalHold
	err := db.write(ctx, func(tx *Tx) error {
		out = nil
		q := `SELECT h.id, COALESCE(h.submission_id, ''), COALESCE(s.reference, ''), h.form_key, h.reason, h.set_by, h.set_at, h.until_at,
			COALESCE(h.lifted_by, ''), h.lifted_at FROM legal_holds h LEFT JOIN submissions s ON s.tenant_id = h.tenant_id AND s.id = h.submission_id
			WHERE h.tenant_id = $1`
		args := []any{tenantID}
		if submissionID != "" {
			q += ` AND h.submission_id = $2`
			args = append(args, submissionID)
		}
		rows, err := tx.query(q+` ORDER BY h.set_at DESC, h.id`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var h LegalHold
			var reason []byte
			var set, until int64
			var lifted sql.NullInt64
			if err := rows.Scan(&h.ID, &h.SubmissionID, &h.Reference, &h.FormKey, &reason, &h.SetBy, &set, &until, &h.LiftedBy, &lifted); err != nil {
				return err
			}
			plain, err := db.keys.Open(tenantID, holdAD(tenantID, h.ID), reason)
			if err != nil {
				return ErrUnreadable
			}
			h.Reason, h.SetAt, h.Until = string(plain), fromMicros(set), fromMicros(until)
			if lifted.Valid {
				t := fromMicros(lifted.Int64)
				h.LiftedAt = &t
			}
			out = append(out, h)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "retention.hold.list", ObjectType: "legal_holds",
			ObjectID: fmt.Sprint(len(out)), Purpose: "retention"})
	})
	if err != nil {
		return nil, fmt.Errorf("legal holds: %w", err)
	}
	now := db.now()
	sort.SliceStable(out, func(i, j int) bool { return out[i].Active(now) && !out[j].Active(now) })
	return out, nil
}

// HoldUntil reports whether a live hold covers a submission of tenantID
// (on itself or its form) and until when (the latest end). Holds' dates
// hold no personal data, so this read is not audited; their reasons are
// read through LegalHolds.
func (db *DB) HoldUntil(ctx context.Context, tenantID, submissionID, formKey string) (time.Time, bool, error) {
	var until sql.NullInt64
	err := db.sql.QueryRowContext(ctx, `SELECT max(until_at) FROM legal_holds WHERE tenant_id = $1 AND form_key = $2
		AND lifted_at IS NULL AND until_at > $3 AND (submission_id IS NULL OR submission_id = $4)`,
		tenantID, formKey, micros(db.now()), submissionID).Scan(&until)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("legal hold of %s: %w", submissionID, err)
	}
	if !until.Valid {
		return time.Time{}, false, nil
	}
	return fromMicros(until.Int64), true, nil
}
