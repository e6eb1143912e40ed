package store

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/seal"
)

// Submission is personal data a citizen handed over through a form. Data is
// the plaintext payload (the form's values) once opened.
type Submission struct {
	ID        string
	TenantID  string
	FormKey   string
	Data      []byte
	CreatedAt time.Time
}

// NewSubmission is the input of CreateSubmission. Subject identifies the
// data subject (national register number or e-mail, normalised); it is
// stored only as a keyed blind index, for search and audit pseudonyms.
type NewSubmission struct {
	FormKey string
	Subject string
	Data    []byte
}

// subjectPseudonym is how audit events name a data subject: the first 16
// bytes of the tenant's keyed blind index, in hex. Never content.
func subjectPseudonym(index []byte) string {
	if len(index) == 0 {
		return ""
	}
	return hex.EncodeToString(index[:16])
}

func submissionAD(tenantID, id string) seal.AD {
	return seal.AD{Tenant: tenantID, Table: "submissions", Column: "data", Row: id}
}

// CreateSubmission seals and stores a submission and records its creation
// in the tenant's audit log, in one transaction.
func (db *DB) CreateSubmission(ctx context.Context, actor audit.Actor, tenantID string, in NewSubmission) (Submission, error) {
	if err := db.requireKeys(); err != nil {
		return Submission{}, err
	}
	if in.FormKey == "" {
		return Submission{}, errors.New("create submission: form key is required")
	}
	now := db.now()
	s := Submission{ID: newID(now), TenantID: tenantID, FormKey: in.FormKey, Data: in.Data, CreatedAt: fromMicros(micros(now))}
	// Seal outside the writer: the cryptography runs in the caller's
	// goroutine, in parallel, and the writer only talks to the database.
	sealed, err := db.keys.Seal(tenantID, submissionAD(tenantID, s.ID), in.Data)
	if err != nil {
		return Submission{}, fmt.Errorf("create submission: %w", err)
	}
	var index []byte
	if in.Subject != "" {
		if index, err = db.keys.BlindIndex(tenantID, "subject", []byte(in.Subject)); err != nil {
			return Submission{}, fmt.Errorf("create submission: %w", err)
		}
	}
	err = db.write(ctx, func(tx *Tx) error {
		// One statement inserts only into an active tenant; the reason is
		// looked up only when it did not.
		res, err := tx.exec(`INSERT INTO submissions (id, tenant_id, form_key, subject_index, data, created_at)
			SELECT $1, $2, $3, $4, $5, $6 WHERE EXISTS (SELECT 1 FROM tenants WHERE id = $2 AND status = 'active')`,
			s.ID, tenantID, s.FormKey, index, sealed, micros(s.CreatedAt))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			var status string
			if err := tx.queryRow(`SELECT status FROM tenants WHERE id = $1`, tenantID).Scan(&status); errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("tenant %q: %w", tenantID, ErrNotFound)
			}
			return fmt.Errorf("tenant %q is suspended: %w", tenantID, ErrConflict)
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "submission.create",
			ObjectType: "submission", ObjectID: s.ID, Subject: subjectPseudonym(index), Purpose: in.FormKey})
	})
	if err != nil {
		return Submission{}, fmt.Errorf("create submission: %w", err)
	}
	return s, nil
}

// Submission opens one submission of tenantID for the stated purpose and
// records the read. ErrNotFound when the tenant has no such submission (the
// attempt is recorded too); ErrUnreadable when its keys are gone.
func (db *DB) Submission(ctx context.Context, actor audit.Actor, tenantID, id, purpose string) (Submission, error) {
	if err := db.requireKeys(); err != nil {
		return Submission{}, err
	}
	var s Submission
	var bad []unreadable
	err := db.write(ctx, func(tx *Tx) error {
		bad = nil
		var sealed, index []byte
		var created int64
		ev := audit.Event{TenantID: tenantID, Actor: actor, Action: "submission.read", ObjectType: "submission", ObjectID: id, Purpose: purpose}
		err := tx.queryRow(`SELECT form_key, subject_index, data, created_at FROM submissions WHERE tenant_id = $1 AND id = $2`,
			tenantID, id).Scan(&s.FormKey, &index, &sealed, &created)
		if errors.Is(err, sql.ErrNoRows) {
			ev.Outcome = audit.OutcomeFailure
			if aerr := tx.appendAudit(ev); aerr != nil {
				return aerr
			}
			return keep(ErrNotFound)
		}
		if err != nil {
			return err
		}
		ev.Subject = subjectPseudonym(index)
		data, err := db.keys.Open(tenantID, submissionAD(tenantID, id), sealed)
		if err != nil {
			bad = append(bad, unreadableOf(actor, tenantID, "submission", id, sealed, err))
			ev.Outcome = audit.OutcomeFailure
			if aerr := tx.appendAudit(ev); aerr != nil {
				return aerr
			}
			return keep(ErrUnreadable)
		}
		s.ID, s.TenantID, s.Data, s.CreatedAt = id, tenantID, data, fromMicros(created)
		return tx.appendAudit(ev)
	})
	db.alertUnreadable(ctx, bad)
	if err != nil {
		return Submission{}, fmt.Errorf("read submission %s: %w", id, err)
	}
	return s, nil
}
