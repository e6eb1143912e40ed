package store

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/seal"
)

// Submission drafts: a form in steps keeps the citizen's clean attachments
// here, sealed with the tenant key (SEC-2), between the step that received
// them and the post that sends the form, keyed by a token the browser holds
// in a hidden field (only its SHA-256 is stored) and bound to the form.
// They expire after DraftTTL and the draft sweep deletes them. Every read
// and write is audited in its transaction, the citizen as actor (AUD-1).

// DraftTTL is how long a draft's attachments are kept after the last one
// was added.
const DraftTTL = 4 * time.Hour

// ErrDraftGone is returned for a draft token that names nothing of the
// form: expired and swept, never issued, or another form's.
var ErrDraftGone = errors.New("store: draft gone")

// DraftFile is one attachment of a draft; Data is set only when asked for.
type DraftFile struct {
	FieldKey    string
	Name        string
	ContentType string
	Size        int64
	Data        []byte
	Scanner     string
	ScannedAt   time.Time
}

func draftAD(tenantID, id, column string) seal.AD {
	return seal.AD{Tenant: tenantID, Table: "submission_drafts", Column: column, Row: id}
}

func draftHash(token string) []byte {
	h := sha256.Sum256([]byte("kluis submission draft\x00" + token))
	return h[:]
}

// SaveDraftFile keeps a clean attachment in the draft of token for form
// formKey, replacing the field's earlier one, and moves the draft's expiry
// to DraftTTL from now. The attachment must have been scanned clean.
func (db *DB) SaveDraftFile(ctx context.Context, actor audit.Actor, tenantID, token, formKey string, a NewAttachment) error {
	if err := db.requireKeys(); err != nil {
		return err
	}
	if token == "" || formKey == "" || a.FieldKey == "" || a.Scanner == "" {
		return errors.New("save draft file: token, form, field and scanner are required")
	}
	now := db.now()
	id := newID(now)
	name, err1 := db.keys.Seal(tenantID, draftAD(tenantID, id, "name"), []byte(a.Name))
	data, err2 := db.keys.Seal(tenantID, draftAD(tenantID, id, "data"), a.Data)
	if err := errors.Join(err1, err2); err != nil {
		return fmt.Errorf("save draft file: %w", err)
	}
	h := draftHash(token)
	err := db.write(ctx, func(tx *Tx) error {
		if _, err := tx.exec(`DELETE FROM submission_drafts WHERE tenant_id = $1 AND token_hash = $2 AND field_key = $3`,
			tenantID, h, a.FieldKey); err != nil {
			return err
		}
		if _, err := tx.exec(`INSERT INTO submission_drafts (id, tenant_id, token_hash, form_key, field_key, name, content_type,
			size, data, scanned_at, scanner, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
			id, tenantID, h, formKey, a.FieldKey, name, a.ContentType, int64(len(a.Data)), data, micros(a.ScannedAt), a.Scanner,
			micros(now), micros(now.Add(DraftTTL))); err != nil {
			return err
		}
		if _, err := tx.exec(`UPDATE submission_drafts SET expires_at = $1 WHERE tenant_id = $2 AND token_hash = $3`,
			micros(now.Add(DraftTTL)), tenantID, h); err != nil {
			return err
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "submission.draft.save", ObjectType: "form",
			ObjectID: formKey, Purpose: "attachment kept between steps"})
	})
	if err != nil {
		return fmt.Errorf("save draft file: %w", err)
	}
	return nil
}

// DraftFiles opens the unexpired attachments of the draft of token for
// form formKey, in field order of storage; with data, their content too
// (to send the form), else only what the page shows. ErrDraftGone when the
// draft has none.
func (db *DB) DraftFiles(ctx context.Context, actor audit.Actor, tenantID, token, formKey string, withData bool) ([]DraftFile, error) {
	if err := db.requireKeys(); err != nil {
		return nil, err
	}
	var out []DraftFile
	err := db.write(ctx, func(tx *Tx) error {
		out = nil
		cols := `id, field_key, name, content_type, size, scanner, scanned_at`
		if withData {
			cols += `, data`
		}
		rows, err := tx.tx.QueryContext(tx.ctx, `SELECT `+cols+` FROM submission_drafts
			WHERE tenant_id = $1 AND token_hash = $2 AND form_key = $3 AND expires_at > $4 ORDER BY created_at, id`,
			tenantID, draftHash(token), formKey, micros(db.now()))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			var f DraftFile
			var name, data []byte
			var scanned int64
			dest := []any{&id, &f.FieldKey, &name, &f.ContentType, &f.Size, &f.Scanner, &scanned}
			if withData {
				dest = append(dest, &data)
			}
			if err := rows.Scan(dest...); err != nil {
				return err
			}
			f.ScannedAt = fromMicros(scanned)
			plain, err := db.keys.Open(tenantID, draftAD(tenantID, id, "name"), name)
			if err != nil {
				return ErrUnreadable
			}
			f.Name = string(plain)
			if withData {
				if f.Data, err = db.keys.Open(tenantID, draftAD(tenantID, id, "data"), data); err != nil {
					return ErrUnreadable
				}
			}
			out = append(out, f)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if len(out) == 0 {
			return ErrDraftGone
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "submission.draft.read", ObjectType: "form",
			ObjectID: formKey, Purpose: "attachment kept between steps"})
	})
	switch {
	case errors.Is(err, ErrDraftGone), errors.Is(err, ErrUnreadable):
		return nil, err
	case err != nil:
		return nil, fmt.Errorf("draft files: %w", err)
	}
	return out, nil
}

// DeleteDraft deletes the draft of token, once the form it served was
// sent. Deleting nothing is no error.
func (db *DB) DeleteDraft(ctx context.Context, actor audit.Actor, tenantID, token, formKey string) error {
	err := db.write(ctx, func(tx *Tx) error {
		res, err := tx.exec(`DELETE FROM submission_drafts WHERE tenant_id = $1 AND token_hash = $2`, tenantID, draftHash(token))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "submission.draft.delete", ObjectType: "form",
			ObjectID: formKey, Purpose: "form sent"})
	})
	if err != nil {
		return fmt.Errorf("delete draft: %w", err)
	}
	return nil
}

// SweepDrafts deletes, across tenants (a platform-level sweep for the
// job), every draft attachment whose time ran out, with one audit event
// per tenant that had any. It returns how many it deleted.
func (db *DB) SweepDrafts(ctx context.Context, actor audit.Actor) (int, error) {
	now := micros(db.now())
	total := 0
	err := db.write(ctx, func(tx *Tx) error {
		total = 0
		rows, err := tx.tx.QueryContext(tx.ctx, `SELECT tenant_id, count(*) FROM submission_drafts WHERE expires_at <= $1
			GROUP BY tenant_id ORDER BY tenant_id`, now)
		if err != nil {
			return err
		}
		counts := map[string]int{}
		var order []string
		for rows.Next() {
			var id string
			var n int
			if err := rows.Scan(&id, &n); err != nil {
				rows.Close()
				return err
			}
			counts[id] = n
			order = append(order, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, id := range order {
			if _, err := tx.exec(`DELETE FROM submission_drafts WHERE tenant_id = $1 AND expires_at <= $2`, id, now); err != nil {
				return err
			}
			total += counts[id]
			if err := tx.appendAudit(audit.Event{TenantID: id, Actor: actor, Action: "submission.draft.sweep",
				ObjectType: "submission_drafts", ObjectID: id,
				Purpose: fmt.Sprintf("%d expired draft attachment(s) deleted", counts[id])}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("sweep drafts: %w", err)
	}
	return total, nil
}

// SubmittedWith returns the reference of the submission stored with the
// idempotency token and receipt capability given, if there is one: a
// second click on a form's send button, whose draft the first deleted,
// finds the submission the first made. Nothing personal is read.
func (db *DB) SubmittedWith(ctx context.Context, tenantID, idempotency, receipt string) (string, bool, error) {
	if err := db.requireKeys(); err != nil {
		return "", false, err
	}
	mac, err := db.keys.BlindIndex(tenantID, "submission-reference", []byte(idempotency))
	if err != nil {
		return "", false, fmt.Errorf("submitted with: %w", err)
	}
	ref := referenceOf(mac)
	var stored []byte
	err = db.sql.QueryRowContext(ctx, `SELECT receipt_hash FROM submissions WHERE tenant_id = $1 AND reference = $2`,
		tenantID, ref).Scan(&stored)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("submitted with: %w", err)
	}
	h := sha256.Sum256([]byte(receipt))
	if subtle.ConstantTimeCompare(stored, h[:]) != 1 {
		return "", false, nil
	}
	return ref, true, nil
}
