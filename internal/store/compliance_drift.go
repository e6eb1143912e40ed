package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/tenant"
)

// Drift of the measures report (ADT-1): the controller may rely on the
// report between two readings only if it hears when a measure stops being
// met. RecordComplianceDrift compares what a run measured with the last
// known status of every clause (compliance_snapshot) and, for every clause
// whose status flipped, records the flip (compliance_drift), its audit
// event ("compliance.drift") and, once per run, one mail to the DPO and
// the active admins listing every flip, all in one transaction. Only
// clause ids, statuses and the fact values that decide them (counts,
// times) are kept: no personal data, so nothing here is sealed.

// ClauseState is one clause's status as a run measured it.
type ClauseState struct {
	Clause string // the contract's id: "USR-2"
	Status string // met, partly, not_met, declared
	// Facts are the values that decide the status, by name: counts,
	// times, yes/no. Never a name, an address or anything else personal.
	Facts      map[string]string
	MeasuredAt time.Time
	ChangedAt  time.Time // when the status last changed (read back only)
}

// ComplianceDrift is one recorded flip of a clause's status.
type ComplianceDrift struct {
	ID        string
	Clause    string
	From, To  string
	FromFacts map[string]string
	ToFacts   map[string]string
	ChangedAt time.Time // when the run that saw the flip measured it
	Notified  int       // how many addresses the run's mail went to
	MailSHA   string    // hex SHA-256 of the DPO's copy: its subject, a blank line and its body
}

// DriftRecipient is one address the drift mail goes to, in its language.
type DriftRecipient struct {
	Email string
	Lang  string
	DPO   bool
}

// DriftMail composes the run's one mail, listing every flip, for a
// recipient in lang; the store fills To and Kind.
type DriftMail func(t tenant.Tenant, lang string, flips []ComplianceDrift) OutgoingMail

// DriftRun is what one run found: the flips it recorded, or that it took
// the first (baseline) snapshot, which mails nobody.
type DriftRun struct {
	Baseline bool
	Flips    []ComplianceDrift
}

// RecordComplianceDrift records states as the tenant's current snapshot
// and returns the flips since the previous one. The first run for a tenant
// is its baseline ("compliance.baseline"), a clause seen for the first time
// joins the snapshot silently, and a run in which nothing flipped changes
// only the facts and measuring times: none of these mail anyone.
// Idempotent: a second run over the same states finds no flip.
func (db *DB) RecordComplianceDrift(ctx context.Context, actor audit.Actor, tenantID string, states []ClauseState, compose DriftMail) (DriftRun, error) {
	var run DriftRun
	err := db.write(ctx, func(tx *Tx) error {
		run = DriftRun{}
		now := tx.db.now()
		known, err := tx.complianceSnapshot(tenantID)
		if err != nil {
			return err
		}
		run.Baseline = len(known) == 0
		for _, s := range states {
			facts, err := factsJSON(s.Facts)
			if err != nil {
				return err
			}
			at := s.MeasuredAt
			if at.IsZero() {
				at = now
			}
			prev, ok := known[s.Clause]
			switch {
			case !ok:
				if _, err := tx.exec(`INSERT INTO compliance_snapshot (tenant_id, clause_id, status, facts, measured_at, changed_at)
					VALUES ($1, $2, $3, $4, $5, $5)`, tenantID, s.Clause, s.Status, facts, micros(at)); err != nil {
					return err
				}
				continue
			case prev.Status == s.Status:
				if _, err := tx.exec(`UPDATE compliance_snapshot SET facts = $1, measured_at = $2 WHERE tenant_id = $3 AND clause_id = $4`,
					facts, micros(at), tenantID, s.Clause); err != nil {
					return err
				}
				continue
			}
			// Only the row still holding the status this run read flips:
			// a run on another node that got there first is not counted
			// twice.
			res, err := tx.exec(`UPDATE compliance_snapshot SET status = $1, facts = $2, measured_at = $3, changed_at = $3
				WHERE tenant_id = $4 AND clause_id = $5 AND status = $6`, s.Status, facts, micros(at), tenantID, s.Clause, prev.Status)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil || n != 1 {
				continue
			}
			d := ComplianceDrift{ID: newID(now), Clause: s.Clause, From: prev.Status, To: s.Status, FromFacts: prev.Facts,
				ToFacts: s.Facts, ChangedAt: at}
			run.Flips = append(run.Flips, d)
			if err := tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "compliance.drift", ObjectType: "clause",
				ObjectID: s.Clause, Purpose: prev.Status + " -> " + s.Status}); err != nil {
				return err
			}
		}
		if run.Baseline {
			return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "compliance.baseline", ObjectType: "tenant",
				ObjectID: tenantID, Purpose: fmt.Sprintf("%d clauses", len(states))})
		}
		var notified int
		var sum string
		if len(run.Flips) > 0 && compose != nil {
			if notified, sum, err = tx.mailDrift(actor, tenantID, run.Flips, compose); err != nil {
				return err
			}
		}
		for i := range run.Flips {
			d := &run.Flips[i]
			d.Notified, d.MailSHA = notified, sum
			from, _ := factsJSON(d.FromFacts)
			to, _ := factsJSON(d.ToFacts)
			if _, err := tx.exec(`INSERT INTO compliance_drift (id, tenant_id, clause_id, from_status, to_status, from_facts, to_facts,
				changed_at, run_seq, notified, mail_sha256) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
				d.ID, tenantID, d.Clause, d.From, d.To, from, to, micros(d.ChangedAt), i, notified, sum); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return DriftRun{}, fmt.Errorf("record compliance drift: %w", err)
	}
	return run, nil
}

// mailDrift queues the run's mail to the DPO (in the tenant's language)
// and each active admin (in theirs), and returns how many addresses it
// went to and the SHA-256 of the DPO's copy as delivered. A tenant without
// any address mails nobody: the flips are still on the report.
func (tx *Tx) mailDrift(actor audit.Actor, tenantID string, flips []ComplianceDrift, compose DriftMail) (int, string, error) {
	t, err := tx.openContact(tenantID, actor, "compliance drift alert")
	if err != nil {
		return 0, "", err
	}
	to, err := tx.driftRecipients(t)
	if err != nil {
		return 0, "", err
	}
	var sum string
	for _, r := range to {
		m := compose(t, r.Lang, flips)
		m.To, m.Kind = r.Email, "compliance.drift"
		if m, err = tx.finalMail(tenantID, m); err != nil {
			return 0, "", err
		}
		if r.DPO {
			h := sha256.Sum256([]byte(m.Subject + "\n\n" + m.Body))
			sum = hex.EncodeToString(h[:])
		}
		if _, err := tx.queueFinalMail(tenantID, m, actor); err != nil {
			return 0, "", err
		}
	}
	return len(to), sum, nil
}

// driftRecipients is the DPO of t and its active admins, each once, with
// the language each reads: the tenant's for the DPO, their own for a user.
func (tx *Tx) driftRecipients(t tenant.Tenant) ([]DriftRecipient, error) {
	var to []DriftRecipient
	add := func(addr, lang string, dpo bool) {
		addr = strings.ToLower(strings.TrimSpace(addr))
		if addr == "" || slices.ContainsFunc(to, func(r DriftRecipient) bool { return r.Email == addr }) {
			return
		}
		to = append(to, DriftRecipient{Email: addr, Lang: lang, DPO: dpo})
	}
	add(t.DPOEmail, t.DefaultLang, true)
	rows, err := tx.query(`SELECT `+userColumns+` FROM users WHERE tenant_id = $1 AND role = $2 AND status = $3 AND removed_at IS NULL ORDER BY id`,
		t.ID, string(account.RoleAdmin), account.StatusActive)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		u, err := tx.db.scanUser(t.ID, rows)
		if err != nil {
			return nil, err
		}
		add(u.Email, u.Lang, false)
	}
	return to, rows.Err()
}

func (tx *Tx) complianceSnapshot(tenantID string) (map[string]ClauseState, error) {
	rows, err := tx.query(`SELECT clause_id, status, facts, measured_at, changed_at FROM compliance_snapshot WHERE tenant_id = $1`, tenantID)
	if err != nil {
		return nil, err
	}
	return scanClauseStates(rows)
}

func scanClauseStates(rows *sql.Rows) (map[string]ClauseState, error) {
	defer rows.Close()
	out := map[string]ClauseState{}
	for rows.Next() {
		var s ClauseState
		var facts string
		var measured, changed int64
		if err := rows.Scan(&s.Clause, &s.Status, &facts, &measured, &changed); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(facts), &s.Facts); err != nil {
			return nil, fmt.Errorf("clause %s: facts: %w", s.Clause, err)
		}
		s.MeasuredAt, s.ChangedAt = fromMicros(measured), fromMicros(changed)
		out[s.Clause] = s
	}
	return out, rows.Err()
}

func factsJSON(f map[string]string) (string, error) {
	if f == nil {
		f = map[string]string{}
	}
	b, err := json.Marshal(f)
	return string(b), err
}

// ComplianceSnapshot is the tenant's last known status of every clause,
// by clause id; empty before the first run. Clause ids, statuses and
// counts: no personal data, not audited.
func (db *DB) ComplianceSnapshot(ctx context.Context, tenantID string) (map[string]ClauseState, error) {
	rows, err := db.readRows(ctx, `SELECT clause_id, status, facts, measured_at, changed_at FROM compliance_snapshot WHERE tenant_id = $1`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("compliance snapshot: %w", err)
	}
	s, err := scanClauseStates(rows)
	if err != nil {
		return nil, fmt.Errorf("compliance snapshot: %w", err)
	}
	return s, nil
}

// ComplianceDrifts lists the tenant's recorded flips, the most recent
// first (one run's in the report's order), at most limit of them. No personal data, not audited.
func (db *DB) ComplianceDrifts(ctx context.Context, tenantID string, limit int) ([]ComplianceDrift, error) {
	rows, err := db.readRows(ctx, `SELECT id, clause_id, from_status, to_status, from_facts, to_facts, changed_at, notified, mail_sha256
		FROM compliance_drift WHERE tenant_id = $1 ORDER BY changed_at DESC, run_seq, id LIMIT $2`, tenantID, limit)
	if err != nil {
		return nil, fmt.Errorf("compliance drifts: %w", err)
	}
	defer rows.Close()
	var out []ComplianceDrift
	for rows.Next() {
		var d ComplianceDrift
		var from, to string
		var at int64
		if err := rows.Scan(&d.ID, &d.Clause, &d.From, &d.To, &from, &to, &at, &d.Notified, &d.MailSHA); err != nil {
			return nil, fmt.Errorf("compliance drifts: %w", err)
		}
		if err := json.Unmarshal([]byte(from), &d.FromFacts); err != nil {
			return nil, fmt.Errorf("compliance drifts: %w", err)
		}
		if err := json.Unmarshal([]byte(to), &d.ToFacts); err != nil {
			return nil, fmt.Errorf("compliance drifts: %w", err)
		}
		d.ChangedAt = fromMicros(at)
		out = append(out, d)
	}
	return out, rows.Err()
}

// ChangedFacts names the facts whose value differs between the two sides
// of d, in order: what changed beneath the flip (the alert shows the
// reason's before and now; the rest stays in the record and the export).
func (d ComplianceDrift) ChangedFacts() []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(d.ToFacts)) {
		if d.FromFacts[k] != d.ToFacts[k] {
			out = append(out, k)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(d.FromFacts)) {
		if _, ok := d.ToFacts[k]; !ok {
			out = append(out, k)
		}
	}
	return out
}
