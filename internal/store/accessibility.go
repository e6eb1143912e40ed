package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/kluis/kluis/internal/accessibility"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/brand"
)

// The accessibility statement (toegankelijkheidsverklaring, Bestuursdecreet
// 2018): Kluis generates it per tenant from facts it knows — the checks
// applied at publish time, the tenant's colours, the last full audit by the
// browser suite (a platform table, recorded by an operator) — and from
// facts the tenant enters: known exceptions, the feedback contact and the
// complaint route. Every publish keeps the statement as it was (the
// history); every write is audited in its own transaction (AUD-1). The
// statement is public and holds no personal data: the contact is the
// organisation's functional address, and editors are named by account id.

// AccessibilityValidationError names every refused field; nothing is saved.
type AccessibilityValidationError struct {
	Fields map[string]accessibility.Problem
}

func (e *AccessibilityValidationError) Error() string {
	var fs []string
	for f, p := range e.Fields {
		fs = append(fs, f+": "+p.Key)
	}
	return "invalid accessibility statement: " + strings.Join(fs, "; ")
}

// AccessibilitySettings is the tenant's feedback contact and complaint
// route; Set is false when the tenant has saved none yet.
type AccessibilitySettings struct {
	Contact   accessibility.Contact
	Complaint map[string]string
	Set       bool
}

// queryer is what reading the facts needs: a write transaction, or the
// database outside one (dbQueryer).
type queryer interface {
	query(string, ...any) (*sql.Rows, error)
	queryRow(string, ...any) *sql.Row
}

type dbQueryer struct {
	ctx context.Context
	db  *DB
}

func (q dbQueryer) query(s string, args ...any) (*sql.Rows, error) {
	return q.db.sql.QueryContext(q.ctx, s, args...)
}
func (q dbQueryer) queryRow(s string, args ...any) *sql.Row {
	return q.db.sql.QueryRowContext(q.ctx, s, args...)
}

// RecordAccessibilityAudit keeps the summary of a full audit by the browser
// suite and writes "platform.accessibility_audit" in the platform log in the
// same transaction. A summary without pages or with impossible counts is
// refused and nothing is recorded.
func (db *DB) RecordAccessibilityAudit(ctx context.Context, actor audit.Actor, a accessibility.Audit) error {
	if a.At.IsZero() || a.PagesChecked <= 0 || a.PagesFailed < 0 || a.PagesFailed > a.PagesChecked || a.Violations < a.PagesFailed || a.Tool == "" {
		return fmt.Errorf("record accessibility audit: an impossible summary (%d pages, %d failed, %d violations)", a.PagesChecked, a.PagesFailed, a.Violations)
	}
	realm, err := db.OperatorRealm(ctx, actor)
	if err != nil {
		return fmt.Errorf("record accessibility audit: %w", err)
	}
	err = db.write(ctx, func(tx *Tx) error {
		if _, err := tx.exec(`INSERT INTO accessibility_audits (id, run_at, recorded_at, pages_checked, pages_failed, violations, tool)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, newID(db.now()), micros(a.At), micros(db.now()),
			a.PagesChecked, a.PagesFailed, a.Violations, a.Tool); err != nil {
			return err
		}
		return tx.appendAudit(audit.Event{TenantID: realm.ID, Actor: actor, Action: "platform.accessibility_audit", ObjectType: "platform",
			ObjectID: PlatformAll, Purpose: a.At.UTC().Format("2006-01-02")})
	})
	if err != nil {
		return fmt.Errorf("record accessibility audit: %w", err)
	}
	return nil
}

func latestAccessibilityAudit(q queryer) (*accessibility.Audit, error) {
	var a accessibility.Audit
	var at int64
	err := q.queryRow(`SELECT run_at, pages_checked, pages_failed, violations, tool FROM accessibility_audits
		ORDER BY run_at DESC, id DESC LIMIT 1`).Scan(&at, &a.PagesChecked, &a.PagesFailed, &a.Violations, &a.Tool)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	a.At = fromMicros(at)
	return &a, nil
}

// LatestAccessibilityAudit returns the last full audit recorded;
// ErrNotFound when there is none.
func (db *DB) LatestAccessibilityAudit(ctx context.Context) (accessibility.Audit, error) {
	a, err := latestAccessibilityAudit(dbQueryer{ctx, db})
	if err != nil {
		return accessibility.Audit{}, fmt.Errorf("accessibility audit: %w", err)
	}
	if a == nil {
		return accessibility.Audit{}, fmt.Errorf("accessibility audit: %w", ErrNotFound)
	}
	return *a, nil
}

func accessibilitySettings(q queryer, tenantID string) (AccessibilitySettings, error) {
	s := AccessibilitySettings{Complaint: map[string]string{}}
	var complaint string
	err := q.queryRow(`SELECT feedback_email, feedback_phone, complaint FROM accessibility_settings WHERE tenant_id = $1`, tenantID).
		Scan(&s.Contact.Email, &s.Contact.Phone, &complaint)
	if errors.Is(err, sql.ErrNoRows) {
		return s, nil
	}
	if err != nil {
		return s, err
	}
	s.Set = true
	return s, json.Unmarshal([]byte(complaint), &s.Complaint)
}

// AccessibilitySettings returns the tenant's contact and complaint route
// (Set false when none was saved). Public facts: not audited.
func (db *DB) AccessibilitySettings(ctx context.Context, tenantID string) (AccessibilitySettings, error) {
	s, err := accessibilitySettings(dbQueryer{ctx, db}, tenantID)
	if err != nil {
		return s, fmt.Errorf("accessibility settings: %w", err)
	}
	return s, nil
}

// SetAccessibilitySettings saves the contact and complaint route and records
// "accessibility.settings.update"; a bad field is an
// *AccessibilityValidationError and nothing is saved.
func (db *DB) SetAccessibilitySettings(ctx context.Context, actor audit.Actor, tenantID string, c accessibility.Contact, complaint map[string]string) error {
	c.Email, c.Phone = strings.TrimSpace(c.Email), strings.TrimSpace(c.Phone)
	clean := map[string]string{}
	for _, l := range accessibility.Langs {
		if t := strings.TrimSpace(complaint[l]); t != "" {
			clean[l] = t
		}
	}
	if bad := accessibility.ValidateContact(c, clean); len(bad) > 0 {
		return &AccessibilityValidationError{Fields: bad}
	}
	js, err := json.Marshal(clean)
	if err != nil {
		return err
	}
	err = db.write(ctx, func(tx *Tx) error {
		if _, err := tx.exec(`DELETE FROM accessibility_settings WHERE tenant_id = $1`, tenantID); err != nil {
			return err
		}
		if _, err := tx.exec(`INSERT INTO accessibility_settings (tenant_id, feedback_email, feedback_phone, complaint, updated_at, updated_by)
			VALUES ($1, $2, $3, $4, $5, $6)`, tenantID, c.Email, c.Phone, string(js), micros(db.now()), actor.ID); err != nil {
			return err
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "accessibility.settings.update",
			ObjectType: "accessibility", ObjectID: tenantID, Outcome: audit.OutcomeSuccess})
	})
	if err != nil {
		return fmt.Errorf("set accessibility settings: %w", err)
	}
	return nil
}

func accessibilityExceptions(q queryer, tenantID string) ([]accessibility.Exception, error) {
	rows, err := q.query(`SELECT id, description, ground, planned_fix FROM accessibility_exceptions
		WHERE tenant_id = $1 ORDER BY created_at, id`, tenantID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var es []accessibility.Exception
	for rows.Next() {
		var e accessibility.Exception
		var d string
		if err := rows.Scan(&e.ID, &d, &e.Ground, &e.PlannedFix); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(d), &e.Description); err != nil {
			return nil, err
		}
		es = append(es, e)
	}
	return es, rows.Err()
}

// AccessibilityExceptions lists the tenant's known exceptions, oldest first.
func (db *DB) AccessibilityExceptions(ctx context.Context, tenantID string) ([]accessibility.Exception, error) {
	es, err := accessibilityExceptions(dbQueryer{ctx, db}, tenantID)
	if err != nil {
		return nil, fmt.Errorf("accessibility exceptions: %w", err)
	}
	return es, nil
}

// AddAccessibilityException keeps a known exception and records
// "accessibility.exception.add"; a bad field is an
// *AccessibilityValidationError and nothing is saved.
func (db *DB) AddAccessibilityException(ctx context.Context, actor audit.Actor, tenantID string, e accessibility.Exception) (string, error) {
	clean := map[string]string{}
	for _, l := range accessibility.Langs {
		if t := strings.TrimSpace(e.Description[l]); t != "" {
			clean[l] = t
		}
	}
	e.Description, e.PlannedFix = clean, strings.TrimSpace(e.PlannedFix)
	if bad := accessibility.ValidateException(e, db.now()); len(bad) > 0 {
		return "", &AccessibilityValidationError{Fields: bad}
	}
	if d, ok := accessibility.ParseDate(e.PlannedFix); ok {
		e.PlannedFix = d.Format("2006-01-02") // kept as ISO; shown as dd.mm.jjjj
	}
	js, err := json.Marshal(clean)
	if err != nil {
		return "", err
	}
	id := newID(db.now())
	err = db.write(ctx, func(tx *Tx) error {
		if _, err := tx.exec(`INSERT INTO accessibility_exceptions (id, tenant_id, description, ground, planned_fix, created_at, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, id, tenantID, string(js), e.Ground, e.PlannedFix, micros(db.now()), actor.ID); err != nil {
			return err
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "accessibility.exception.add",
			ObjectType: "accessibility_exception", ObjectID: id, Outcome: audit.OutcomeSuccess})
	})
	if err != nil {
		return "", fmt.Errorf("add accessibility exception: %w", err)
	}
	return id, nil
}

// DeleteAccessibilityException removes a known exception (a published
// statement keeps it in its history) and records
// "accessibility.exception.delete"; ErrNotFound for another tenant's or none.
func (db *DB) DeleteAccessibilityException(ctx context.Context, actor audit.Actor, tenantID, id string) error {
	err := db.write(ctx, func(tx *Tx) error {
		res, err := tx.exec(`DELETE FROM accessibility_exceptions WHERE tenant_id = $1 AND id = $2`, tenantID, id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			if err == nil {
				err = fmt.Errorf("accessibility exception %q: %w", id, ErrNotFound)
			}
			return err
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "accessibility.exception.delete",
			ObjectType: "accessibility_exception", ObjectID: id, Outcome: audit.OutcomeSuccess})
	})
	if err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("delete accessibility exception: %w", err)
	}
	return err
}

func accessibilityFacts(q queryer, tenantID string) (accessibility.Facts, bool, error) {
	f := accessibility.Facts{Checks: accessibility.Checks}
	var accent string
	err := q.queryRow(`SELECT accent FROM tenant_branding WHERE tenant_id = $1`, tenantID).Scan(&accent)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return f, false, err
	}
	if accent == "" {
		accent = brand.DefaultAccent
	}
	f.Contrast = accessibility.Contrast{Accent: accent, Ratio: brand.MinAccentContrast(accent), Min: brand.MinContrast}
	if f.Audit, err = latestAccessibilityAudit(q); err != nil {
		return f, false, err
	}
	if f.Exceptions, err = accessibilityExceptions(q, tenantID); err != nil {
		return f, false, err
	}
	s, err := accessibilitySettings(q, tenantID)
	if err != nil {
		return f, false, err
	}
	f.Contact, f.Complaint = s.Contact, s.Complaint
	return f, s.Set, nil
}

// AccessibilityFacts returns what a statement published now would say.
func (db *DB) AccessibilityFacts(ctx context.Context, tenantID string) (accessibility.Facts, error) {
	f, _, err := accessibilityFacts(dbQueryer{ctx, db}, tenantID)
	if err != nil {
		return f, fmt.Errorf("accessibility facts: %w", err)
	}
	return f, nil
}

// PublishAccessibilityStatement generates the statement from the facts as
// they are, keeps it as a new version (name is the organisation's name as
// its site shows it) and records "accessibility.publish" in the same
// transaction. Without a saved contact it is an
// *AccessibilityValidationError (the model statement needs a feedback
// mechanism) and nothing is published.
func (db *DB) PublishAccessibilityStatement(ctx context.Context, actor audit.Actor, tenantID, name string) (accessibility.Statement, error) {
	var st accessibility.Statement
	err := db.write(ctx, func(tx *Tx) error {
		f, set, err := accessibilityFacts(tx, tenantID)
		if err != nil {
			return err
		}
		if !set {
			return &AccessibilityValidationError{Fields: map[string]accessibility.Problem{
				accessibility.FieldEmail: {Key: "a11y.err.publish_no_contact"}}}
		}
		var last int
		if err := tx.queryRow(`SELECT COALESCE(MAX(version), 0) FROM accessibility_statements WHERE tenant_id = $1`, tenantID).Scan(&last); err != nil {
			return err
		}
		now := fromMicros(micros(db.now()))
		st = accessibility.Statement{Version: last + 1, PublishedAt: now, Name: name, Facts: f}
		st.Status, st.Reasons = accessibility.Evaluate(f, now)
		js, err := json.Marshal(st)
		if err != nil {
			return err
		}
		if _, err := tx.exec(`INSERT INTO accessibility_statements (tenant_id, version, content, published_at, published_by)
			VALUES ($1, $2, $3, $4, $5)`, tenantID, st.Version, string(js), micros(now), actor.ID); err != nil {
			return err
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "accessibility.publish",
			ObjectType: "accessibility_statement", ObjectID: strconv.Itoa(st.Version), Outcome: audit.OutcomeSuccess})
	})
	var verr *AccessibilityValidationError
	if err != nil && !errors.As(err, &verr) {
		return st, fmt.Errorf("publish accessibility statement: %w", err)
	}
	return st, err
}

// AccessibilityStatements lists every published version, newest first,
// with who published it (account id).
func (db *DB) AccessibilityStatements(ctx context.Context, tenantID string) ([]accessibility.Statement, []string, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT content, published_by FROM accessibility_statements
		WHERE tenant_id = $1 ORDER BY version DESC`, tenantID)
	if err != nil {
		return nil, nil, fmt.Errorf("accessibility statements: %w", err)
	}
	defer rows.Close()
	var sts []accessibility.Statement
	var by []string
	for rows.Next() {
		var c, b string
		if err := rows.Scan(&c, &b); err != nil {
			return nil, nil, fmt.Errorf("accessibility statements: %w", err)
		}
		var st accessibility.Statement
		if err := json.Unmarshal([]byte(c), &st); err != nil {
			return nil, nil, fmt.Errorf("accessibility statements: %w", err)
		}
		sts, by = append(sts, st), append(by, b)
	}
	return sts, by, rows.Err()
}

// AccessibilityStatement returns a published version as it was published
// (version 0: the latest); ErrNotFound when there is none.
func (db *DB) AccessibilityStatement(ctx context.Context, tenantID string, version int) (accessibility.Statement, error) {
	var st accessibility.Statement
	var c string
	err := db.sql.QueryRowContext(ctx, `SELECT content FROM accessibility_statements WHERE tenant_id = $1
		AND ($2 = 0 OR version = $2) ORDER BY version DESC LIMIT 1`, tenantID, version).Scan(&c)
	if errors.Is(err, sql.ErrNoRows) {
		return st, fmt.Errorf("accessibility statement %d: %w", version, ErrNotFound)
	}
	if err != nil {
		return st, fmt.Errorf("accessibility statement: %w", err)
	}
	if err := json.Unmarshal([]byte(c), &st); err != nil {
		return st, fmt.Errorf("accessibility statement: %w", err)
	}
	return st, nil
}
