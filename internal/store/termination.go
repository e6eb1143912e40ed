package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/tenant"
)

// The end of a contract (END-3, END-4, END-5) is a procedure of steps, each
// confirmed by a person and recorded here with who and when, in this order.
// The store keeps the order and does the steps that are database work
// (stop: the tenant is suspended; delete: every tenant row that is not kept
// by legal obligation); the keyring and backup steps are done by package
// termination, which records them here afterwards.
const (
	TermFreeze      = "freeze"      // no new submissions, no new forms; staff still read and export
	TermExport      = "export"      // the final export handed over (END-3)
	TermReceipt     = "receipt"     // the controller confirmed receipt, or the deadline passed
	TermStop        = "stop"        // processing stops: the tenant is suspended (END-4)
	TermDelete      = "delete"      // live data deleted (END-4)
	TermKeys        = "keys"        // keys destroyed in the keyring and its backups (END-4)
	TermCheck       = "check"       // a pre-termination copy no longer opens (END-4)
	TermCertificate = "certificate" // the signed destruction certificate (END-5)
)

// TerminationSteps lists the steps in the order they must be done.
var TerminationSteps = []string{TermFreeze, TermExport, TermReceipt, TermStop, TermDelete, TermKeys, TermCheck, TermCertificate}

// DefaultReceiptDays is how long the controller has to confirm receipt of
// the final export before the procedure may go on without it.
const DefaultReceiptDays = 30

// Errors of the termination procedure; each leaves nothing changed.
var (
	ErrTerminationOrder   = errors.New("that step is not the next step of the termination")
	ErrTerminated         = errors.New("the tenant is already terminated")
	ErrTerminationHold    = errors.New("the tenant has an active legal hold: lift it before terminating")
	ErrTerminationRealm   = errors.New("the operators' realm cannot be terminated")
	ErrReceiptNotDue      = errors.New("the controller has not confirmed receipt and the deadline has not passed")
	ErrTerminationUnknown = errors.New("unknown termination step")
	// ErrTenantFrozen: the tenant's termination has started, so its forms
	// take no new submissions and no new form is drafted or published.
	ErrTenantFrozen = errors.New("the tenant's contract is ending: no new submissions or forms")
)

// TerminationStep is one step done.
type TerminationStep struct {
	Step      string
	DoneAt    time.Time
	ActorKind audit.ActorKind
	ActorID   string
	Detail    json.RawMessage // a JSON object: what the step did
}

// Termination is a tenant's procedure so far: the steps done, in order.
type Termination struct {
	TenantID string
	Steps    []TerminationStep
}

// Step returns the step if it was done.
func (t Termination) Step(name string) (TerminationStep, bool) {
	for _, s := range t.Steps {
		if s.Step == name {
			return s, true
		}
	}
	return TerminationStep{}, false
}

// Next is the step to do next; "" when the procedure is complete.
func (t Termination) Next() string {
	for _, s := range TerminationSteps {
		if _, ok := t.Step(s); !ok {
			return s
		}
	}
	return ""
}

// Started reports whether the tenant is frozen (the first step is done).
func (t Termination) Started() bool { return len(t.Steps) > 0 }

// Complete reports whether every step is done.
func (t Termination) Complete() bool { return t.Next() == "" }

// ReceiptDays is the receipt deadline set at the freeze.
func (t Termination) ReceiptDays() int {
	s, ok := t.Step(TermFreeze)
	if !ok {
		return DefaultReceiptDays
	}
	var d struct {
		ReceiptDays int `json:"receipt_days"`
	}
	if json.Unmarshal(s.Detail, &d) != nil || d.ReceiptDays <= 0 {
		return DefaultReceiptDays
	}
	return d.ReceiptDays
}

// ReceiptDeadline is when the procedure may go on without the
// controller's confirmation: ReceiptDays after the hand-over. Zero before
// the hand-over.
func (t Termination) ReceiptDeadline() time.Time {
	s, ok := t.Step(TermExport)
	if !ok {
		return time.Time{}
	}
	return s.DoneAt.AddDate(0, 0, t.ReceiptDays())
}

// Termination returns the tenant's procedure (no steps when none started).
func (db *DB) Termination(ctx context.Context, tenantID string) (Termination, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT step, done_at, actor_kind, actor_id, detail FROM termination_steps WHERE tenant_id = $1`, tenantID)
	if err != nil {
		return Termination{}, fmt.Errorf("read termination: %w", err)
	}
	defer rows.Close()
	t, err := scanTermination(tenantID, rows)
	if err != nil {
		return Termination{}, fmt.Errorf("read termination: %w", err)
	}
	return t, nil
}

func scanTermination(tenantID string, rows *sql.Rows) (Termination, error) {
	t := Termination{TenantID: tenantID}
	for rows.Next() {
		var s TerminationStep
		var at int64
		var detail, kind string
		if err := rows.Scan(&s.Step, &at, &kind, &s.ActorID, &detail); err != nil {
			return t, err
		}
		s.DoneAt, s.ActorKind, s.Detail = fromMicros(at), audit.ActorKind(kind), json.RawMessage(detail)
		t.Steps = append(t.Steps, s)
	}
	if err := rows.Err(); err != nil {
		return t, err
	}
	sort.Slice(t.Steps, func(i, j int) bool {
		return slices.Index(TerminationSteps, t.Steps[i].Step) < slices.Index(TerminationSteps, t.Steps[j].Step)
	})
	return t, nil
}

// TenantFrozen reports whether the tenant's termination has started: its
// public forms then take no new submissions (END-4).
func (db *DB) TenantFrozen(ctx context.Context, tenantID string) (bool, error) {
	var n int
	if err := db.sql.QueryRowContext(ctx, `SELECT count(*) FROM termination_steps WHERE tenant_id = $1`, tenantID).Scan(&n); err != nil {
		return false, fmt.Errorf("read termination: %w", err)
	}
	return n > 0, nil
}

// refuseFrozen returns ErrTenantFrozen once the tenant's termination has
// started (END-4: processing winds down; nothing new comes in).
func (tx *Tx) refuseFrozen(tenantID string) error {
	var n int
	if err := tx.queryRow(`SELECT count(*) FROM termination_steps WHERE tenant_id = $1`, tenantID).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return fmt.Errorf("tenant %q: %w", tenantID, ErrTenantFrozen)
	}
	return nil
}

// RecordTerminationStep does step of the tenant's termination and records
// it with actor, now and detail (a JSON object of facts, no personal data),
// with its audit event termination.<step>, in one transaction. The stop
// step suspends the tenant; the delete step deletes every row of the tenant
// that is not kept by legal obligation (TerminationKept) and adds the row
// counts per table to the detail under "rows".
//
// Refused with nothing changed: ErrTerminationRealm for the operators'
// realm, ErrTerminated when every step is done, ErrTerminationOrder for a
// step that is not the next one, ErrTerminationHold at freeze and delete
// while a legal hold is active, ErrReceiptNotDue when someone other than
// the controller records receipt before the deadline, ErrNotFound for an
// unknown tenant.
func (db *DB) RecordTerminationStep(ctx context.Context, actor audit.Actor, tenantID, step string, detail map[string]any) (TerminationStep, error) {
	if !slices.Contains(TerminationSteps, step) {
		return TerminationStep{}, fmt.Errorf("%w %q", ErrTerminationUnknown, step)
	}
	if detail == nil {
		detail = map[string]any{}
	}
	var done TerminationStep
	err := db.write(ctx, func(tx *Tx) error {
		var realm string
		if err := tx.queryRow(`SELECT realm FROM tenants WHERE id = $1`, tenantID).Scan(&realm); errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("tenant %q: %w", tenantID, ErrNotFound)
		} else if err != nil {
			return err
		}
		if realm == tenant.RealmPlatform {
			return ErrTerminationRealm
		}
		rows, err := tx.query(`SELECT step, done_at, actor_kind, actor_id, detail FROM termination_steps WHERE tenant_id = $1`, tenantID)
		if err != nil {
			return err
		}
		term, err := scanTermination(tenantID, rows)
		rows.Close()
		if err != nil {
			return err
		}
		now := db.now()
		switch next := term.Next(); {
		case next == "":
			return ErrTerminated
		case next != step:
			return fmt.Errorf("%w: %s comes next, not %s", ErrTerminationOrder, next, step)
		}
		switch step {
		case TermFreeze, TermDelete:
			var holds int
			if err := tx.queryRow(`SELECT count(*) FROM legal_holds WHERE tenant_id = $1 AND lifted_at IS NULL AND until_at > $2`,
				tenantID, micros(now)).Scan(&holds); err != nil {
				return err
			}
			if holds > 0 {
				return ErrTerminationHold
			}
		case TermReceipt:
			if actor.Kind != audit.KindUser && now.Before(term.ReceiptDeadline()) {
				return fmt.Errorf("%w (%s)", ErrReceiptNotDue, term.ReceiptDeadline().UTC().Format(time.RFC3339))
			}
		}
		switch step {
		case TermStop:
			if _, err := tx.exec(`UPDATE tenants SET status = $1, suspended_at = $2 WHERE id = $3`,
				tenant.StatusSuspended, micros(now), tenantID); err != nil {
				return err
			}
		case TermDelete:
			counts, err := tx.deleteTenantRows(tenantID)
			if err != nil {
				return fmt.Errorf("delete tenant rows: %w", err)
			}
			detail["rows"] = counts
		}
		b, err := json.Marshal(detail)
		if err != nil {
			return err
		}
		done = TerminationStep{Step: step, DoneAt: fromMicros(micros(now)), ActorKind: actor.Kind, ActorID: actor.ID, Detail: b}
		if _, err := tx.exec(`INSERT INTO termination_steps (tenant_id, step, done_at, actor_kind, actor_id, detail)
			VALUES ($1, $2, $3, $4, $5, $6)`, tenantID, step, micros(now), string(actor.Kind), actor.ID, string(b)); err != nil {
			return err
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "termination." + step,
			ObjectType: "tenant", ObjectID: tenantID, Purpose: "end of contract"})
	})
	if err != nil {
		return TerminationStep{}, fmt.Errorf("termination step %s: %w", step, err)
	}
	return done, nil
}

// TerminationKept lists the tables whose rows of a terminated tenant are
// kept by legal obligation, and why (END-4: "unless law requires storage").
// Every other table with a tenant_id column is emptied of the tenant's rows
// by the delete step. Sealed values kept here become unreadable when the
// tenant's keys are destroyed.
var TerminationKept = map[string]string{
	"tenants": "the organisation's name and enterprise number identify whom the certificate is for; " +
		"its sealed contact becomes unreadable with the keys",
	"audit_events": "the audit log proves how the data was processed and destroyed (GDPR art. 5.2 accountability, " +
		"art. 28.3.h); it holds pseudonyms only and is kept for the agreed audit retention period",
	"audit_heads":        "the head of the audit log's hash chain, needed to verify it",
	"audit_checkpoints":  "the signed checkpoints of the audit log, needed to verify it",
	"audit_list_objects": "the audit log's index of objects, part of the kept log",
	"audit_prunings":     "the record of audit log pruning, needed to verify it",
	"audit_retention":    "the audit log's retention period, which ends the kept log",
	"termination_steps":  "the record of this procedure and the destruction certificate (VO-A art. 13, VO-B 11.4)",
}

// deleteTenantRows deletes the tenant's rows from every table with a
// tenant_id column not in TerminationKept, children before the tables
// they reference, and returns the number of rows per table.
func (tx *Tx) deleteTenantRows(tenantID string) (map[string]int64, error) {
	tables, refs, err := tx.tenantTables()
	if err != nil {
		return nil, err
	}
	counts := map[string]int64{}
	for _, t := range deleteOrder(tables, refs) {
		res, err := tx.exec(`DELETE FROM `+t+` WHERE tenant_id = $1`, tenantID)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", t, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return nil, err
		}
		counts[t] = n
	}
	return counts, nil
}

// tenantTables reads from the schema the tables with a tenant_id column
// that are not kept, and which table references which (per dialect: the
// catalogue is the one place the dialects differ here).
func (tx *Tx) tenantTables() ([]string, map[string][]string, error) {
	var tablesQ, refsQ string
	if tx.db.dialect == SQLite {
		tablesQ = `SELECT m.name FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table' AND p.name = 'tenant_id'`
		refsQ = `SELECT m.name, f."table" FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) f WHERE m.type = 'table'`
	} else {
		tablesQ = `SELECT table_name FROM information_schema.columns WHERE table_schema = current_schema() AND column_name = 'tenant_id'`
		refsQ = `SELECT c.conrelid::regclass::text, c.confrelid::regclass::text FROM pg_constraint c
			WHERE c.contype = 'f' AND c.connamespace = current_schema()::regnamespace`
	}
	var tables []string
	rows, err := tx.query(tablesQ)
	if err != nil {
		return nil, nil, err
	}
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return nil, nil, err
		}
		if _, kept := TerminationKept[t]; !kept {
			tables = append(tables, t)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	refs := map[string][]string{}
	rows, err = tx.query(refsQ)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var from, to string
		if err := rows.Scan(&from, &to); err != nil {
			return nil, nil, err
		}
		refs[from] = append(refs[from], to)
	}
	return tables, refs, rows.Err()
}

// deleteOrder orders tables so that a table comes before every table it
// references (self-references aside: one statement deletes both ends).
func deleteOrder(tables []string, refs map[string][]string) []string {
	left := slices.Clone(tables)
	slices.Sort(left)
	var order []string
	for len(left) > 0 {
		progressed := false
		for i := 0; i < len(left); i++ {
			t := left[i]
			referenced := false
			for _, o := range left {
				if o != t && slices.Contains(refs[o], t) {
					referenced = true
					break
				}
			}
			if !referenced {
				order = append(order, t)
				left = slices.Delete(left, i, i+1)
				i--
				progressed = true
			}
		}
		if !progressed { // a cycle: let the database say which row blocks
			return append(order, left...)
		}
	}
	return order
}
