package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/form"
	"github.com/kluis/kluis/internal/register"
)

// Form statuses.
const (
	FormDraft     = "draft"
	FormPublished = "published"
	FormRetired   = "retired"
)

// FormVersion is one stored version of a form definition.
type FormVersion struct {
	Key              string
	Version          int
	Status           string
	Form             form.Form
	CreatedAt        time.Time
	CreatedBy        string
	UpdatedAt        time.Time
	Revision         int    // +1 at every save of the draft
	Notice           []byte // the approved art. 13 notice (JSON), nil until approved
	NoticeApprovedAt *time.Time
	NoticeApprovedBy string
	RegisterVersion  int
	PublishedAt      *time.Time
	PublishedBy      string
}

// FormInvalidError lists every problem of a form that was not saved or
// not published.
type FormInvalidError struct{ Problems []form.Problem }

func (e *FormInvalidError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.Path + ": " + p.Key
	}
	return "form refused: " + strings.Join(parts, "; ")
}

// ErrNoticeNotApproved: the form's art. 13 notice, as generated now, is not
// the one the tenant approved (never approved, or the form or the register
// changed since) — DSR-3.
var ErrNoticeNotApproved = errors.New("the privacy notice of this form has not been approved in its current form")

// ErrFormChanged: a submission was made on a form version that is no
// longer the published one.
var ErrFormChanged = errors.New("the form was changed or withdrawn while it was being filled in")

const formColumns = `form_key, version, status, definition, created_at, created_by, updated_at, notice, notice_approved_at,
	notice_approved_by, register_version, published_at, published_by, revision`

func scanForm(row interface{ Scan(...any) error }) (FormVersion, error) {
	var fv FormVersion
	var def string
	var created, updated int64
	var notice, approvedBy, publishedBy sql.NullString
	var approved, published sql.NullInt64
	var regVersion sql.NullInt64
	if err := row.Scan(&fv.Key, &fv.Version, &fv.Status, &def, &created, &fv.CreatedBy, &updated, &notice, &approved,
		&approvedBy, &regVersion, &published, &publishedBy, &fv.Revision); err != nil {
		return fv, err
	}
	if err := json.Unmarshal([]byte(def), &fv.Form); err != nil {
		return fv, fmt.Errorf("form %s version %d: %w", fv.Key, fv.Version, err)
	}
	fv.CreatedAt, fv.UpdatedAt = fromMicros(created), fromMicros(updated)
	if notice.Valid {
		fv.Notice = []byte(notice.String)
	}
	if approved.Valid {
		t := fromMicros(approved.Int64)
		fv.NoticeApprovedAt = &t
	}
	fv.NoticeApprovedBy, fv.PublishedBy = approvedBy.String, publishedBy.String
	fv.RegisterVersion = int(regVersion.Int64)
	if published.Valid {
		t := fromMicros(published.Int64)
		fv.PublishedAt = &t
	}
	return fv, nil
}

// ErrFormEdited: the form changed since the page the change was made on
// was shown (another admin saved in between); nothing was saved.
var ErrFormEdited = errors.New("the form was changed by someone else in the meantime")

// FormBase names the version of a form a builder page was made from: its
// number and its revision (saves of the draft).
func FormBase(fv FormVersion) string {
	return strconv.Itoa(fv.Version) + "-" + strconv.Itoa(fv.Revision)
}

// SaveFormDraftOver is SaveFormDraft for a change made on a page built from
// the working version base (FormBase: the draft, else the newest version):
// when the working version is no longer base, nothing is saved and the
// error is ErrFormEdited. An empty base checks nothing.
func (db *DB) SaveFormDraftOver(ctx context.Context, actor audit.Actor, tenantID string, f form.Form, base string) (FormVersion, error) {
	return db.saveFormDraft(ctx, actor, tenantID, f, base)
}

// SaveFormDraft stores f as the form's draft: the existing draft is
// replaced (its notice approval lapses), or a new draft version is made
// after the latest. Published versions never change (REG-1). The
// definition is checked on its own (*FormInvalidError, nothing saved);
// the register is checked when publishing. Audited as "form.draft.save".
func (db *DB) SaveFormDraft(ctx context.Context, actor audit.Actor, tenantID string, f form.Form) (FormVersion, error) {
	return db.saveFormDraft(ctx, actor, tenantID, f, "")
}

func (db *DB) saveFormDraft(ctx context.Context, actor audit.Actor, tenantID string, f form.Form, base string) (FormVersion, error) {
	if ps := f.Validate(); len(ps) > 0 {
		return FormVersion{}, &FormInvalidError{Problems: ps}
	}
	def := string(f.JSON())
	var fv FormVersion
	err := db.write(ctx, func(tx *Tx) error {
		if err := tx.refuseFrozen(tenantID); err != nil {
			return err
		}
		now := micros(db.now())
		if base != "" {
			// The working version: the draft, else the newest.
			working, err := scanForm(tx.queryRow(`SELECT `+formColumns+` FROM forms WHERE tenant_id = $1 AND form_key = $2
				ORDER BY CASE WHEN status = 'draft' THEN 0 ELSE 1 END, version DESC LIMIT 1`, tenantID, f.Key))
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			if err != nil || FormBase(working) != base {
				return ErrFormEdited
			}
		}
		var version int
		err := tx.queryRow(`SELECT version FROM forms WHERE tenant_id = $1 AND form_key = $2 AND status = 'draft'`, tenantID, f.Key).Scan(&version)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			if err := tx.queryRow(`SELECT COALESCE(MAX(version), 0) + 1 FROM forms WHERE tenant_id = $1 AND form_key = $2`,
				tenantID, f.Key).Scan(&version); err != nil {
				return err
			}
			if _, err := tx.exec(`INSERT INTO forms (tenant_id, form_key, version, status, definition, created_at, created_by, updated_at)
				VALUES ($1, $2, $3, 'draft', $4, $5, $6, $5)`, tenantID, f.Key, version, def, now, actorName(actor)); err != nil {
				return err
			}
		case err != nil:
			return err
		default:
			if _, err := tx.exec(`UPDATE forms SET definition = $1, updated_at = $2, revision = revision + 1, notice = NULL,
				notice_approved_at = NULL, notice_approved_by = NULL WHERE tenant_id = $3 AND form_key = $4 AND version = $5`,
				def, now, tenantID, f.Key, version); err != nil {
				return err
			}
		}
		if err := tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "form.draft.save", ObjectType: "form",
			ObjectID: f.Key, Purpose: fmt.Sprintf("version %d", version)}); err != nil {
			return err
		}
		fv, err = scanForm(tx.queryRow(`SELECT `+formColumns+` FROM forms WHERE tenant_id = $1 AND form_key = $2 AND version = $3`,
			tenantID, f.Key, version))
		return err
	})
	if errors.Is(err, ErrFormEdited) {
		return FormVersion{}, ErrFormEdited
	}
	if err != nil {
		return FormVersion{}, fmt.Errorf("save form draft: %w", err)
	}
	return fv, nil
}

// FormByStatus returns the form's draft or published version (status
// FormDraft or FormPublished). ErrNotFound when there is none.
func (db *DB) FormByStatus(ctx context.Context, tenantID, key, status string) (FormVersion, error) {
	fv, err := scanForm(db.sql.QueryRowContext(ctx, `SELECT `+formColumns+` FROM forms WHERE tenant_id = $1 AND form_key = $2 AND status = $3`,
		tenantID, key, status))
	if errors.Is(err, sql.ErrNoRows) {
		return fv, fmt.Errorf("form %q (%s): %w", key, status, ErrNotFound)
	}
	return fv, err
}

// FormAt returns one version of a form, whatever its status (a receipt
// shows the answers by the version they were given under).
func (db *DB) FormAt(ctx context.Context, tenantID, key string, version int) (FormVersion, error) {
	fv, err := scanForm(db.sql.QueryRowContext(ctx, `SELECT `+formColumns+` FROM forms WHERE tenant_id = $1 AND form_key = $2 AND version = $3`,
		tenantID, key, version))
	if errors.Is(err, sql.ErrNoRows) {
		return fv, fmt.Errorf("form %q version %d: %w", key, version, ErrNotFound)
	}
	return fv, err
}

// FormVersions lists every version of one form, newest first.
func (db *DB) FormVersions(ctx context.Context, tenantID, key string) ([]FormVersion, error) {
	return db.listForms(ctx, `WHERE tenant_id = $1 AND form_key = $2 ORDER BY version DESC`, tenantID, key)
}

// Forms lists the tenant's forms: per form its draft and its published
// version, newest key changes first.
func (db *DB) Forms(ctx context.Context, tenantID string) ([]FormVersion, error) {
	return db.listForms(ctx, `WHERE tenant_id = $1 AND status IN ('draft', 'published') ORDER BY form_key, version DESC`, tenantID)
}

func (db *DB) listForms(ctx context.Context, where string, args ...any) ([]FormVersion, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT `+formColumns+` FROM forms `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("list forms: %w", err)
	}
	defer rows.Close()
	var out []FormVersion
	for rows.Next() {
		fv, err := scanForm(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, fv)
	}
	return out, rows.Err()
}

// currentRegister reads the tenant's latest register inside a write.
func (tx *Tx) currentRegister(tenantID string) (register.Register, int, error) {
	var reg register.Register
	var version int
	var doc string
	err := tx.queryRow(`SELECT version, document FROM registers WHERE tenant_id = $1 ORDER BY version DESC LIMIT 1`, tenantID).
		Scan(&version, &doc)
	if errors.Is(err, sql.ErrNoRows) {
		return reg, 0, nil
	}
	if err != nil {
		return reg, 0, err
	}
	return reg, version, json.Unmarshal([]byte(doc), &reg)
}

// draftUnderRegister reads the form's draft version (ErrNotFound when
// version is not the draft) and the tenant's current register.
func (tx *Tx) draftUnderRegister(tenantID, key string, version int) (FormVersion, register.Register, int, error) {
	fv, err := scanForm(tx.queryRow(`SELECT `+formColumns+` FROM forms WHERE tenant_id = $1 AND form_key = $2 AND version = $3
		AND status = 'draft'`, tenantID, key, version))
	if errors.Is(err, sql.ErrNoRows) {
		return fv, register.Register{}, 0, fmt.Errorf("form %q draft %d: %w", key, version, ErrNotFound)
	}
	if err != nil {
		return fv, register.Register{}, 0, err
	}
	reg, regVersion, err := tx.currentRegister(tenantID)
	return fv, reg, regVersion, err
}

// NoticeDigest names a notice as the approval page shows it, so that an
// approval can prove which text was read.
func NoticeDigest(notice []byte) string {
	sum := sha256.Sum256(notice)
	return hex.EncodeToString(sum[:])
}

// ApproveNotice records that the tenant approved the art. 13 text
// generated for the form's draft version under its current register
// (DSR-3). shown is the NoticeDigest of the text the approver saw; when
// the form or the register changed since, the text now differs and the
// approval is refused with ErrNoticeNotApproved. Audited as
// "form.notice.approve". ErrNotFound when version is not the draft.
func (db *DB) ApproveNotice(ctx context.Context, actor audit.Actor, tenantID, key string, version int, shown string) error {
	return db.write(ctx, func(tx *Tx) error {
		fv, reg, regVersion, err := tx.draftUnderRegister(tenantID, key, version)
		if err != nil {
			return err
		}
		notice := form.NoticeFor(fv.Form, reg).JSON()
		if NoticeDigest(notice) != shown {
			return ErrNoticeNotApproved
		}
		if _, err := tx.exec(`UPDATE forms SET notice = $1, notice_approved_at = $2, notice_approved_by = $3
			WHERE tenant_id = $4 AND form_key = $5 AND version = $6`, string(notice), micros(db.now()), actorName(actor),
			tenantID, key, version); err != nil {
			return err
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "form.notice.approve", ObjectType: "form",
			ObjectID: key, Purpose: fmt.Sprintf("version %d under register version %d", version, regVersion)})
	})
}

// PublishForm publishes the form's draft version: every field must name
// what the current register allows (*FormInvalidError, REG-1, REG-4) and
// the approved notice must be the one the form and register give now
// (ErrNoticeNotApproved, DSR-3). The published version before it is
// retired; the new one is frozen with the register version. Audited as
// "form.publish". ErrNotFound when version is not the draft.
func (db *DB) PublishForm(ctx context.Context, actor audit.Actor, tenantID, key string, version int) (FormVersion, error) {
	var fv FormVersion
	err := db.write(ctx, func(tx *Tx) error {
		if err := tx.refuseFrozen(tenantID); err != nil {
			return err
		}
		var reg register.Register
		var regVersion int
		var err error
		if fv, reg, regVersion, err = tx.draftUnderRegister(tenantID, key, version); err != nil {
			return err
		}
		if ps := fv.Form.Publishable(reg); len(ps) > 0 {
			return &FormInvalidError{Problems: ps}
		}
		if fv.Notice == nil || !bytes.Equal(fv.Notice, form.NoticeFor(fv.Form, reg).JSON()) {
			return ErrNoticeNotApproved
		}
		now := micros(db.now())
		if _, err := tx.exec(`UPDATE forms SET status = 'retired' WHERE tenant_id = $1 AND form_key = $2 AND status = 'published'`,
			tenantID, key); err != nil {
			return err
		}
		if _, err := tx.exec(`UPDATE forms SET status = 'published', register_version = $1, published_at = $2, published_by = $3
			WHERE tenant_id = $4 AND form_key = $5 AND version = $6`, regVersion, now, actorName(actor), tenantID, key, version); err != nil {
			return err
		}
		if err := tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "form.publish", ObjectType: "form",
			ObjectID: key, Purpose: fmt.Sprintf("version %d under register version %d", version, regVersion)}); err != nil {
			return err
		}
		fv, err = scanForm(tx.queryRow(`SELECT `+formColumns+` FROM forms WHERE tenant_id = $1 AND form_key = $2 AND version = $3`,
			tenantID, key, version))
		return err
	})
	var inv *FormInvalidError
	switch {
	case errors.As(err, &inv), errors.Is(err, ErrNoticeNotApproved), errors.Is(err, ErrNotFound):
		return FormVersion{}, err
	case err != nil:
		return FormVersion{}, fmt.Errorf("publish form: %w", err)
	}
	return fv, nil
}

// RetireForm withdraws the form's published version: its page answers
// 404 from then on; submissions stay. Audited as "form.retire".
// ErrNotFound when nothing is published.
func (db *DB) RetireForm(ctx context.Context, actor audit.Actor, tenantID, key string) error {
	return db.write(ctx, func(tx *Tx) error {
		res, err := tx.exec(`UPDATE forms SET status = 'retired' WHERE tenant_id = $1 AND form_key = $2 AND status = 'published'`, tenantID, key)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("form %q: %w", key, ErrNotFound)
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "form.retire", ObjectType: "form", ObjectID: key,
			Purpose: "withdrawn"})
	})
}
