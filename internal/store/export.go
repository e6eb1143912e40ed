package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/seal"
)

// Exports (issue 5, END-1, REG-4): a user with a grant on a form (ORG-6)
// asks for a copy of its submissions, giving a reason; CreateExport checks
// and records the request in the tenant's audit log — form, format, count,
// reason and the ids (or their digest) — and queues the background job, in
// one transaction. Only then can ExportSubmissions decrypt a row: it reads
// nothing for an export that was not recorded (fail closed). The file the
// job writes is encrypted with a per-export data key, kept here sealed with
// the tenant key; deleting an export shreds that key.

// Export formats.
const (
	ExportCSV  = "csv"
	ExportXLSX = "xlsx"
	ExportPDF  = "pdf" // a ZIP with one PDF per submission
)

// Export statuses.
const (
	ExportPending = "pending"
	ExportRunning = "running"
	ExportReady   = "ready"
	ExportFailed  = "failed"
	ExportDeleted = "deleted"
)

// ExportJobKind is the durable job that writes an export's file; its
// payload is "tenantID/exportID".
const ExportJobKind = "export.build"

// ExportTTL is how long an export's file waits for download.
const ExportTTL = 24 * time.Hour

// MaxExportSelection bounds the ids one export request may select.
const MaxExportSelection = 1000

// auditIDsInFull is how many ids an audit event lists in full; beyond it
// the event carries the SHA-256 of the id list.
const auditIDsInFull = 50

// exportBatch is how many submissions ExportSubmissions reads per query.
const exportBatch = 500

// ErrNoFormAccess: the user has no grant on the form (ORG-6).
var ErrNoFormAccess = errors.New("no access to this form")

// ExportInvalidError names the input of an export request that is wrong
// and a message key under "export.error.".
type ExportInvalidError struct{ Field, Key string }

func (e *ExportInvalidError) Error() string { return "export refused: " + e.Field + ": " + e.Key }

// ExportRequest is what a user asks to export: every submission of the
// form received so far (IDs empty) or the selected ones, in Format, for
// Reason; Lang is the language of the file's labels.
type ExportRequest struct {
	FormKey string
	Format  string
	Reason  string
	Lang    string
	IDs     []string
}

// Export is one export as its owner sees it (never its content).
type Export struct {
	ID       string
	TenantID string
	UserID   string
	FormKey  string
	Format   string
	Lang     string
	Status   string
	Selected []string // the selected ids; nil for all
	// Withheld is how many submissions CreateExport left out because their
	// person restricted processing (art. 18 GDPR); not stored.
	Withheld   int
	Total      int64
	Done       int64
	Size       int64
	CreatedAt  time.Time
	FinishedAt *time.Time
	ExpiresAt  time.Time
}

// ExportRow is one submission opened for an export. Files names the
// attachments (never their content).
type ExportRow struct {
	ID          string
	Reference   string
	Status      string
	CreatedAt   time.Time
	FormVersion int
	DueAt       time.Time // when it becomes overdue (see DueAt); zero: no handling time
	Lang        string    // the citizen's language; "" when not recorded
	Answers     []byte    // JSON of form.Answers; nil when Unreadable
	Files       []ExportFile
	// Unreadable: the answers did not open; the file marks the row
	// instead of the export failing (SEC-3).
	Unreadable bool
}

// ExportFile is an attachment of an exported submission, by name;
// Unreadable when the name did not open.
type ExportFile struct {
	FieldKey, Name string
	Unreadable     bool
}

func exportKeyAD(tenantID, id string) seal.AD {
	return seal.AD{Tenant: tenantID, Table: "exports", Column: "data_key", Row: id}
}

// ValidExportFormat reports whether f is a format CreateExport accepts.
func ValidExportFormat(f string) bool { return f == ExportCSV || f == ExportXLSX || f == ExportPDF }

// CreateExport records userID's request to export submissions of a form
// and queues the job that writes the file. It refuses, with
// *ExportInvalidError, an unknown format, an empty reason, too many ids or
// any id that is not a submission of this form in this tenant (without
// saying which); with ErrNoFormAccess (audited as denied) a form the user
// has no grant on. The audit event "export.create" names form, format,
// count, reason and the ids (or the SHA-256 of the id list when there are
// more than 50), never content, and is committed with the export row and
// its job.
func (db *DB) CreateExport(ctx context.Context, actor audit.Actor, tenantID, userID string, req ExportRequest) (Export, error) {
	if err := db.requireKeys(); err != nil {
		return Export{}, err
	}
	req.Reason = strings.TrimSpace(req.Reason)
	switch {
	case !ValidExportFormat(req.Format):
		return Export{}, &ExportInvalidError{"format", "format"}
	case req.Reason == "":
		return Export{}, &ExportInvalidError{"reason", "reason"}
	case len(req.Reason) > 500:
		return Export{}, &ExportInvalidError{"reason", "reason_long"}
	case len(req.IDs) > MaxExportSelection:
		return Export{}, &ExportInvalidError{"ids", "too_many"}
	}
	ok, err := db.CanSeeForm(ctx, tenantID, userID, req.FormKey)
	if err != nil {
		return Export{}, fmt.Errorf("create export: %w", err)
	}
	if !ok {
		return Export{}, db.exportDenied(ctx, actor, tenantID, "export.create", "form "+req.FormKey)
	}
	now := db.now()
	e := Export{ID: newID(now), TenantID: tenantID, UserID: userID, FormKey: req.FormKey, Format: req.Format, Lang: req.Lang,
		Status: ExportPending, CreatedAt: fromMicros(micros(now)), ExpiresAt: fromMicros(micros(now.Add(ExportTTL)))}
	until := micros(now)
	// The ids are read outside the writer: the writer is not held for a
	// read of a hundred thousand rows.
	var ids []string
	if len(req.IDs) > 0 {
		ids = slices.Compact(slices.Sorted(slices.Values(req.IDs)))
		found := 0
		for chunk := range slices.Chunk(ids, 200) {
			n, err := db.countSubmissions(ctx, tenantID, req.FormKey, chunk)
			if err != nil {
				return Export{}, fmt.Errorf("create export: %w", err)
			}
			found += n
		}
		if found != len(ids) {
			return Export{}, &ExportInvalidError{"ids", "ids"}
		}
		e.Selected = ids
	} else {
		rows, err := db.sql.QueryContext(ctx, `SELECT id FROM submissions WHERE tenant_id = $1 AND form_key = $2 AND created_at <= $3
			ORDER BY created_at, id`, tenantID, req.FormKey, until)
		if err != nil {
			return Export{}, fmt.Errorf("create export: %w", err)
		}
		if ids, err = scanStrings(rows); err != nil {
			return Export{}, fmt.Errorf("create export: %w", err)
		}
	}
	// Art. 18 GDPR: a restricted person's submissions are not exported;
	// the export says how many it withheld.
	restricted, err := db.restrictedInForm(ctx, tenantID, req.FormKey)
	if err != nil {
		return Export{}, fmt.Errorf("create export: %w", err)
	}
	if len(restricted) > 0 {
		kept := ids[:0:0]
		for _, id := range ids {
			if restricted[id] {
				e.Withheld++
			} else {
				kept = append(kept, id)
			}
		}
		ids = kept
		if e.Selected != nil {
			e.Selected = ids
		}
	}
	if e.Withheld > 0 && len(ids) == 0 {
		if err := db.write(ctx, func(tx *Tx) error {
			return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "dsr.restricted", ObjectType: "export",
				Outcome: audit.OutcomeDenied, Purpose: fmt.Sprintf("export of form %s refused: %d withheld, processing restricted", req.FormKey, e.Withheld)})
		}); err != nil {
			return Export{}, fmt.Errorf("create export: %w", err)
		}
		return Export{}, &ExportInvalidError{"ids", "restricted"}
	}
	e.Total = int64(len(ids))
	key := make([]byte, 32)
	rand.Read(key)
	sealedKey, err := db.keys.Seal(tenantID, exportKeyAD(tenantID, e.ID), key)
	if err != nil {
		return Export{}, fmt.Errorf("create export: %w", err)
	}
	purpose := fmt.Sprintf("form %s; format %s; count %d; reason: %s; %s", req.FormKey, req.Format, e.Total, req.Reason, idsForAudit(ids))
	err = db.write(ctx, func(tx *Tx) error {
		// The grant is checked again where it counts: a revocation that
		// arrived meanwhile wins.
		var n int
		if err := tx.queryRow(`SELECT count(*) FROM form_access WHERE tenant_id = $1 AND user_id = $2 AND form_key = $3`,
			tenantID, userID, req.FormKey).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return ErrNoFormAccess
		}
		if _, err := tx.exec(`INSERT INTO exports (id, tenant_id, user_id, form_key, format, lang, selection, until_at, total, status,
			data_key, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
			e.ID, tenantID, userID, e.FormKey, e.Format, e.Lang, strings.Join(e.Selected, "\n"), until, e.Total, ExportPending,
			sealedKey, micros(now), micros(e.ExpiresAt)); err != nil {
			return err
		}
		if _, err := tx.exec(`INSERT INTO jobs (id, tenant_id, kind, dedupe_key, payload, status, run_at, max_attempts, created_at)
			VALUES ($1, $2, $3, $4, $5, 'pending', $6, 1, $6)`,
			newID(now), tenantID, ExportJobKind, ExportJobKind+"@"+e.ID, tenantID+"/"+e.ID, micros(now)); err != nil {
			return err
		}
		if e.Withheld > 0 {
			if err := tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "dsr.restricted", ObjectType: "export",
				ObjectID: e.ID, Outcome: audit.OutcomeDenied, Purpose: fmt.Sprintf("%d withheld from the export, processing restricted", e.Withheld)}); err != nil {
				return err
			}
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "export.create", ObjectType: "export",
			ObjectID: e.ID, Purpose: purpose})
	})
	if errors.Is(err, ErrNoFormAccess) {
		return Export{}, db.exportDenied(ctx, actor, tenantID, "export.create", "form "+req.FormKey)
	}
	if err != nil {
		return Export{}, fmt.Errorf("create export: %w", err)
	}
	return e, nil
}

// idsForAudit lists ids in full up to auditIDsInFull, else their count
// and the SHA-256 of the list (one id per line, in export order).
func idsForAudit(ids []string) string {
	if len(ids) <= auditIDsInFull {
		return "ids " + strings.Join(ids, ",")
	}
	return "ids sha256:" + ExportIDsDigest(ids)
}

// ExportIDsDigest is the SHA-256 (hex) of an id list as audit events record
// it: the ids one per line, each line ended by a newline.
func ExportIDsDigest(ids []string) string {
	h := sha256.New()
	for _, id := range ids {
		h.Write([]byte(id))
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// exportDenied records a refused export action and returns ErrNoFormAccess.
func (db *DB) exportDenied(ctx context.Context, actor audit.Actor, tenantID, action, purpose string) error {
	err := db.write(ctx, func(tx *Tx) error {
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: action, ObjectType: "form",
			Purpose: purpose, Outcome: audit.OutcomeDenied})
	})
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return ErrNoFormAccess
}

// countSubmissions counts how many of ids are submissions of formKey in
// the tenant.
func (db *DB) countSubmissions(ctx context.Context, tenantID, formKey string, ids []string) (int, error) {
	args := []any{tenantID, formKey}
	ph := make([]string, len(ids))
	for i, id := range ids {
		args = append(args, id)
		ph[i] = fmt.Sprintf("$%d", i+3)
	}
	var n int
	err := db.sql.QueryRowContext(ctx, `SELECT count(*) FROM submissions WHERE tenant_id = $1 AND form_key = $2 AND id IN (`+
		strings.Join(ph, ", ")+`)`, args...).Scan(&n)
	return n, err
}

const exportColumns = `id, tenant_id, user_id, form_key, format, lang, selection, status, total, done, size, created_at, finished_at, expires_at`

func scanExport(row interface{ Scan(...any) error }) (Export, error) {
	var e Export
	var sel string
	var created, expires int64
	var finished sql.NullInt64
	if err := row.Scan(&e.ID, &e.TenantID, &e.UserID, &e.FormKey, &e.Format, &e.Lang, &sel, &e.Status, &e.Total, &e.Done, &e.Size,
		&created, &finished, &expires); err != nil {
		return e, err
	}
	if sel != "" {
		e.Selected = strings.Split(sel, "\n")
	}
	e.CreatedAt, e.ExpiresAt = fromMicros(created), fromMicros(expires)
	if finished.Valid {
		t := fromMicros(finished.Int64)
		e.FinishedAt = &t
	}
	return e, nil
}

// Export returns one export of userID (not deleted). ErrNotFound for an
// export of another user or tenant, or one that is deleted.
func (db *DB) Export(ctx context.Context, tenantID, userID, id string) (Export, error) {
	e, err := scanExport(db.sql.QueryRowContext(ctx, `SELECT `+exportColumns+` FROM exports
		WHERE tenant_id = $1 AND user_id = $2 AND id = $3 AND status <> 'deleted'`, tenantID, userID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Export{}, fmt.Errorf("export %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return Export{}, fmt.Errorf("export %s: %w", id, err)
	}
	return e, nil
}

// Exports lists userID's exports that are not deleted, newest first.
func (db *DB) Exports(ctx context.Context, tenantID, userID string) ([]Export, error) {
	return db.listExports(ctx, `WHERE tenant_id = $1 AND user_id = $2 AND status <> 'deleted' ORDER BY created_at DESC, id DESC`,
		tenantID, userID)
}

// ExpiredExports lists, across tenants (a platform-level query for the
// sweep job), the exports not yet deleted whose time ran out.
func (db *DB) ExpiredExports(ctx context.Context) ([]Export, error) {
	return db.listExports(ctx, `WHERE status <> 'deleted' AND expires_at <= $1 ORDER BY expires_at`, micros(db.now()))
}

func (db *DB) listExports(ctx context.Context, where string, args ...any) ([]Export, error) {
	out, err := queryList(ctx, db, scanExport, `SELECT `+exportColumns+` FROM exports `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("list exports: %w", err)
	}
	return out, nil
}

// queryList runs query outside a transaction and scans every row with
// scan, leaving no rows open.
func queryList[T any](ctx context.Context, db *DB, scan func(interface{ Scan(...any) error }) (T, error), query string, args ...any) ([]T, error) {
	rows, err := db.sql.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// ExportJob returns the export a build job names, whoever owns it, with
// its data key opened, for the job that writes the file. ErrNotFound when
// it is unknown or deleted.
func (db *DB) ExportJob(ctx context.Context, tenantID, id string) (Export, []byte, error) {
	if err := db.requireKeys(); err != nil {
		return Export{}, nil, err
	}
	var sealed []byte
	var e Export
	err := db.sql.QueryRowContext(ctx, `SELECT data_key FROM exports WHERE tenant_id = $1 AND id = $2 AND status <> 'deleted'`,
		tenantID, id).Scan(&sealed)
	if err == nil {
		e, err = scanExport(db.sql.QueryRowContext(ctx, `SELECT `+exportColumns+` FROM exports WHERE tenant_id = $1 AND id = $2`, tenantID, id))
	}
	if errors.Is(err, sql.ErrNoRows) {
		return Export{}, nil, fmt.Errorf("export %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return Export{}, nil, fmt.Errorf("export %s: %w", id, err)
	}
	key, err := db.keys.Open(tenantID, exportKeyAD(tenantID, id), sealed)
	if err != nil {
		return Export{}, nil, fmt.Errorf("export %s: %w", id, ErrUnreadable)
	}
	return e, key, nil
}

// ExportSubmissions opens, in batches of a few hundred and in order of
// receipt, the submissions of export exportID and hands each to each. It
// reads only for an export that was recorded (and so audited) by
// CreateExport, belongs to userID and is not deleted (ErrNotFound
// otherwise), and only while userID still has a grant on the form
// (ErrNoFormAccess, audited as denied). It holds no transaction while each
// runs. A submission (or file name) that does not open is handed over
// marked Unreadable, recorded as a failed "export.run" naming its id only,
// and alerted; the export goes on.
func (db *DB) ExportSubmissions(ctx context.Context, actor audit.Actor, tenantID, userID, exportID string, each func(ExportRow) error) error {
	if err := db.requireKeys(); err != nil {
		return err
	}
	var e Export
	var until int64
	var sel string
	err := db.sql.QueryRowContext(ctx, `SELECT form_key, selection, until_at FROM exports
		WHERE tenant_id = $1 AND user_id = $2 AND id = $3 AND status IN ('pending', 'running')`, tenantID, userID, exportID).
		Scan(&e.FormKey, &sel, &until)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("export %s: %w", exportID, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("export %s: %w", exportID, err)
	}
	ok, err := db.CanSeeForm(ctx, tenantID, userID, e.FormKey)
	if err != nil {
		return fmt.Errorf("export %s: %w", exportID, err)
	}
	if !ok {
		return db.exportDenied(ctx, actor, tenantID, "export.run", "export "+exportID+", form "+e.FormKey)
	}
	// A restriction that came after the export was asked for still
	// withholds the person's rows (art. 18 GDPR).
	const cols = `SELECT id, reference, status, created_at, form_version, due_at, lang, data FROM submissions s `
	if sel != "" {
		ids := strings.Split(sel, "\n")
		for chunk := range slices.Chunk(ids, exportBatch) {
			args := []any{tenantID, e.FormKey}
			ph := make([]string, len(chunk))
			for i, id := range chunk {
				args = append(args, id)
				ph[i] = fmt.Sprintf("$%d", i+3)
			}
			batch, err := db.exportBatch(ctx, actor, tenantID, exportID, cols+`WHERE tenant_id = $1 AND form_key = $2 AND id IN (`+
				strings.Join(ph, ", ")+`) AND NOT `+restrictedClause+` ORDER BY created_at, id`, args...)
			if err != nil {
				return fmt.Errorf("export %s: %w", exportID, err)
			}
			for _, r := range batch {
				if err := each(r); err != nil {
					return err
				}
			}
		}
		return nil
	}
	var lastAt int64 = -1
	lastID := ""
	for {
		batch, err := db.exportBatch(ctx, actor, tenantID, exportID, cols+`WHERE tenant_id = $1 AND form_key = $2 AND created_at <= $3
			AND (created_at > $4 OR (created_at = $4 AND id > $5)) AND NOT `+restrictedClause+` ORDER BY created_at, id LIMIT `+fmt.Sprint(exportBatch),
			tenantID, e.FormKey, until, lastAt, lastID)
		if err != nil {
			return fmt.Errorf("export %s: %w", exportID, err)
		}
		for _, r := range batch {
			if err := each(r); err != nil {
				return err
			}
		}
		if len(batch) < exportBatch {
			return nil
		}
		last := batch[len(batch)-1]
		lastAt, lastID = micros(last.CreatedAt), last.ID
	}
}

// exportBatch reads one batch of submissions and their attachments' names
// and opens them, with no rows left open when it returns. What does not
// open is marked, recorded and alerted (see ExportSubmissions).
func (db *DB) exportBatch(ctx context.Context, actor audit.Actor, tenantID, exportID, query string, args ...any) ([]ExportRow, error) {
	rows, err := db.sql.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	var out []ExportRow
	var sealed, langs [][]byte
	for rows.Next() {
		var r ExportRow
		var ref sql.NullString
		var created, due int64
		var data, lang []byte
		if err := rows.Scan(&r.ID, &ref, &r.Status, &created, &r.FormVersion, &due, &lang, &data); err != nil {
			rows.Close()
			return nil, err
		}
		r.Reference, r.CreatedAt, r.DueAt = ref.String, fromMicros(created), dueFromMicros(due)
		out = append(out, r)
		sealed, langs = append(sealed, data), append(langs, lang)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, nil
	}
	byID := make(map[string]int, len(out))
	fargs := []any{tenantID}
	ph := make([]string, len(out))
	for i, r := range out {
		byID[r.ID] = i
		fargs = append(fargs, r.ID)
		ph[i] = fmt.Sprintf("$%d", i+2)
	}
	frows, err := db.sql.QueryContext(ctx, `SELECT id, submission_id, field_key, name FROM attachments WHERE tenant_id = $1
		AND submission_id IN (`+strings.Join(ph, ", ")+`) ORDER BY created_at, id`, fargs...)
	if err != nil {
		return nil, err
	}
	type file struct {
		id, sub, field string
		name           []byte
	}
	var files []file
	for frows.Next() {
		var f file
		if err := frows.Scan(&f.id, &f.sub, &f.field, &f.name); err != nil {
			frows.Close()
			return nil, err
		}
		files = append(files, f)
	}
	frows.Close()
	if err := frows.Err(); err != nil {
		return nil, err
	}
	var bad []unreadable
	for i := range out {
		if out[i].Answers, err = db.keys.Open(tenantID, submissionAD(tenantID, out[i].ID), sealed[i]); err != nil {
			out[i].Unreadable = true
			bad = append(bad, unreadableOf(actor, tenantID, "submission", out[i].ID, sealed[i], err))
		}
		if len(langs[i]) > 0 && !out[i].Unreadable {
			lang, err := db.keys.Open(tenantID, langAD(tenantID, out[i].ID), langs[i])
			if err != nil {
				out[i].Answers, out[i].Unreadable = nil, true
				bad = append(bad, unreadableOf(actor, tenantID, "submission", out[i].ID, langs[i], err))
				continue
			}
			out[i].Lang = string(lang)
		}
	}
	for _, f := range files {
		name, err := db.keys.Open(tenantID, attachmentAD(tenantID, f.id, "name"), f.name)
		if err != nil {
			bad = append(bad, unreadableOf(actor, tenantID, "attachment", f.id, f.name, err))
		}
		i := byID[f.sub]
		out[i].Files = append(out[i].Files, ExportFile{FieldKey: f.field, Name: string(name), Unreadable: err != nil})
	}
	if len(bad) > 0 {
		err := db.write(ctx, func(tx *Tx) error {
			for _, u := range bad {
				if err := tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "export.run", ObjectType: u.objectType,
					ObjectID: u.objectID, Purpose: "export " + exportID, Outcome: audit.OutcomeFailure}); err != nil {
					return err
				}
			}
			return nil
		})
		db.alertUnreadable(ctx, bad)
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ExportProgress records how many rows the build job has written.
func (db *DB) ExportProgress(ctx context.Context, tenantID, id string, done int64) error {
	err := db.write(ctx, func(tx *Tx) error {
		_, err := tx.exec(`UPDATE exports SET done = $1, status = 'running' WHERE tenant_id = $2 AND id = $3 AND status IN ('pending', 'running')`,
			done, tenantID, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("export progress: %w", err)
	}
	return nil
}

// FinishExport records the end of the build job: ready with the file's
// size, or failed (runErr is not stored: it may name anything), audited as
// "export.ready" or "export.fail" by actor.
func (db *DB) FinishExport(ctx context.Context, actor audit.Actor, tenantID, id string, done, size int64, runErr error) error {
	status, action, outcome := ExportReady, "export.ready", audit.OutcomeSuccess
	if runErr != nil {
		status, action, outcome = ExportFailed, "export.fail", audit.OutcomeFailure
	}
	err := db.write(ctx, func(tx *Tx) error {
		res, err := tx.exec(`UPDATE exports SET status = $1, done = $2, size = $3, finished_at = $4
			WHERE tenant_id = $5 AND id = $6 AND status IN ('pending', 'running')`, status, done, size, micros(db.now()), tenantID, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrNotFound
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: action, ObjectType: "export", ObjectID: id,
			Purpose: fmt.Sprintf("rows %d, bytes %d", done, size), Outcome: outcome})
	})
	if err != nil {
		return fmt.Errorf("finish export %s: %w", id, err)
	}
	return nil
}

// DownloadExport gives the owner of a ready export its data key, to
// decrypt the file while it streams, and records the download
// ("export.download") before the key leaves the store. ErrNotFound for
// anyone else (audited as denied), or when the export is not ready, is
// deleted or has expired.
func (db *DB) DownloadExport(ctx context.Context, actor audit.Actor, tenantID, userID, id string) (Export, []byte, error) {
	if err := db.requireKeys(); err != nil {
		return Export{}, nil, err
	}
	var e Export
	var key []byte
	err := db.write(ctx, func(tx *Tx) error {
		ev := audit.Event{TenantID: tenantID, Actor: actor, Action: "export.download", ObjectType: "export", ObjectID: id}
		var err error
		key, err = tx.openExportKey(ev, "exports", exportKeyAD(tenantID, id), func() error {
			e, err = scanExport(tx.queryRow(`SELECT `+exportColumns+` FROM exports WHERE tenant_id = $1 AND user_id = $2 AND id = $3
				AND status = 'ready' AND expires_at > $4`, tenantID, userID, id, micros(db.now())))
			return err
		}, func() string { return fmt.Sprintf("form %s; format %s; count %d", e.FormKey, e.Format, e.Done) })
		return err
	})
	if err != nil {
		return Export{}, nil, fmt.Errorf("download export %s: %w", id, err)
	}
	return e, key, nil
}

// DeleteExport deletes userID's export: its data key is shredded (the
// file, wherever a copy of it is, can no longer be opened) and the
// deletion is audited; the caller removes the file. ErrNotFound for an
// export of anyone else or one already deleted.
func (db *DB) DeleteExport(ctx context.Context, actor audit.Actor, tenantID, userID, id string) error {
	return db.shredExport(ctx, actor, "exports", tenantID, userID, id, "export.delete", "by owner")
}

// ExpireExport deletes an export whose time ran out, as DeleteExport does,
// for the sweep job (whoever owns it).
func (db *DB) ExpireExport(ctx context.Context, actor audit.Actor, tenantID, id string) error {
	return db.shredExport(ctx, actor, "exports", tenantID, "", id, "export.expire", "after "+ExportTTL.String())
}

// shredExport marks an export of table ("exports" or "full_exports")
// deleted and empties its data key, audited as action; userID "" for
// whoever owns it.
func (db *DB) shredExport(ctx context.Context, actor audit.Actor, table, tenantID, userID, id, action, purpose string) error {
	objectType := strings.TrimSuffix(table, "s")
	err := db.write(ctx, func(tx *Tx) error {
		q := `UPDATE ` + table + ` SET status = 'deleted', data_key = $1 WHERE tenant_id = $2 AND id = $3 AND status <> 'deleted'`
		args := []any{[]byte{}, tenantID, id}
		if userID != "" {
			q += ` AND user_id = $4`
			args = append(args, userID)
		}
		res, err := tx.exec(q, args...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrNotFound
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: action, ObjectType: objectType, ObjectID: id,
			Purpose: purpose})
	})
	if err != nil {
		return fmt.Errorf("delete export %s: %w", id, err)
	}
	return nil
}

// openExportKey, in a download's transaction, finds the ready export
// (find: sql.ErrNoRows when there is none for this user), opens its data
// key from table and records the download as ev with purpose's text, in
// the same transaction, before the key leaves the store (fail closed). A
// refused download is recorded as denied and is ErrNotFound.
func (tx *Tx) openExportKey(ev audit.Event, table string, ad seal.AD, find func() error, purpose func() string) ([]byte, error) {
	var sealed []byte
	err := find()
	if err == nil {
		err = tx.queryRow(`SELECT data_key FROM `+table+` WHERE tenant_id = $1 AND id = $2`, ev.TenantID, ev.ObjectID).Scan(&sealed)
	}
	if errors.Is(err, sql.ErrNoRows) {
		ev.Outcome = audit.OutcomeDenied
		if aerr := tx.appendAudit(ev); aerr != nil {
			return nil, aerr
		}
		return nil, keep(ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	key, err := tx.db.keys.Open(ev.TenantID, ad, sealed)
	if err != nil {
		return nil, ErrUnreadable
	}
	ev.Purpose = purpose()
	return key, tx.appendAudit(ev)
}
