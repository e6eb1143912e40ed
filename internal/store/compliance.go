package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
)

// The facts of a tenant that the compliance report (ADT-1) measures and no
// other store method gives without opening more than it needs: who has a
// second factor (USR-2), open supplier access (AUD-4), open requests
// (DSR-1) and breaches with their clocks (BRE-1), the sub-processors that
// apply (SUB-1, SUB-2) and the supplier's declarations (ORG-1…ORG-5).
// Only the names of admins and DPOs without a second factor are opened —
// what the users page already shows them — and the read is audited.

// ComplianceUser is one of the tenant's users as the report counts them.
// Name is filled only for an admin or DPO without a second factor.
type ComplianceUser struct {
	ID           string
	Name         string
	Role         account.Role
	Status       string
	SecondFactor bool // a confirmed TOTP authenticator or a passkey
}

// ComplianceBreach is one breach's clocks, without its form.
type ComplianceBreach struct {
	ID                        string
	DiscoveredAt              time.Time
	NotifiedAt, GBANotifiedAt *time.Time
	SubjectsInformedAt        *time.Time
}

// ComplianceRequest is one data-subject request's deadline, without the person.
type ComplianceRequest struct {
	ID, Kind, Status string
	ReceivedAt       time.Time
	DueAt            time.Time
}

// ComplianceSubProcessor is a platform sub-processor as it applies to the
// tenant: where it processes and whether the tenant accepted it.
type ComplianceSubProcessor struct {
	Name, Location, Mechanism string
	EEA                       bool
	Hosts                     []string
	Status                    string // SubAccepted, SubPending, SubObjected
}

// ComplianceFacts is what ComplianceFacts reads.
type ComplianceFacts struct {
	Users         []ComplianceUser // removed users left out
	OpenGrants    int              // supplier access grants not revoked nor expired at now
	OpenNotices   int              // maintenance notices not ended at now and not objected to
	Requests      []ComplianceRequest
	Breaches      []ComplianceBreach
	SubProcessors []ComplianceSubProcessor
	// Declared is, per organisational kind (OrgKinds), when the supplier
	// last declared it; absent when never.
	Declared map[string]time.Time
	// DPONamed: the tenant has its DPO's name and address (ORG-1).
	DPONamed bool
}

// ComplianceFacts reads the facts above for tenantID at now. With names,
// the names of admins and DPOs without a second factor are opened, and the
// read is recorded ("compliance.read", by actor) in the tenant's log in
// the same transaction. Without names (the hourly drift check, which keeps
// counts only) nothing personal is opened, so there is nothing to record
// and the log is not filled with a system read every hour. Open requests
// are those dsr.Open calls open; every breach is listed.
func (db *DB) ComplianceFacts(ctx context.Context, actor audit.Actor, tenantID string, now time.Time, names bool) (ComplianceFacts, error) {
	if err := db.requireKeys(); err != nil {
		return ComplianceFacts{}, err
	}
	var f ComplianceFacts
	err := db.write(ctx, func(tx *Tx) error {
		f = ComplianceFacts{Declared: map[string]time.Time{}}
		rows, err := tx.query(`SELECT id, role, status, removed_at,
			(SELECT count(*) FROM mfa_totp m WHERE m.tenant_id = u.tenant_id AND m.user_id = u.id AND m.confirmed_at IS NOT NULL)
			+ (SELECT count(*) FROM passkeys p WHERE p.tenant_id = u.tenant_id AND p.user_id = u.id)
			FROM users u WHERE tenant_id = $1 ORDER BY created_at, id`, tenantID)
		if err != nil {
			return err
		}
		for rows.Next() {
			var u ComplianceUser
			var role string
			var removed sql.NullInt64
			var factors int
			if err := rows.Scan(&u.ID, &role, &u.Status, &removed, &factors); err != nil {
				rows.Close()
				return err
			}
			if removed.Valid {
				continue
			}
			u.Role, u.SecondFactor = account.Role(role), factors > 0
			f.Users = append(f.Users, u)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		opened := 0
		for i, u := range f.Users {
			if !names || u.SecondFactor || (u.Role != account.RoleAdmin && u.Role != account.RoleDPO) {
				continue
			}
			full, err := db.scanUser(tenantID, tx.queryRow(`SELECT `+userColumns+` FROM users WHERE tenant_id = $1 AND id = $2`, tenantID, u.ID))
			var oe *openError
			if err != nil && !errors.As(err, &oe) {
				return err
			}
			f.Users[i].Name = full.Name // "" when it does not open: the report names the account without it
			opened++
		}
		n := micros(now)
		if err := tx.queryRow(`SELECT count(*) FROM operator_grants WHERE tenant_id = $1 AND revoked_at IS NULL AND expires_at > $2`,
			tenantID, n).Scan(&f.OpenGrants); err != nil {
			return err
		}
		if err := tx.queryRow(`SELECT count(*) FROM maintenance_notices WHERE tenant_id = $1 AND ends_at > $2 AND objected_at IS NULL`,
			tenantID, n).Scan(&f.OpenNotices); err != nil {
			return err
		}
		if f.Requests, err = complianceRequests(tx, tenantID); err != nil {
			return err
		}
		if f.Breaches, err = complianceBreaches(tx, tenantID); err != nil {
			return err
		}
		if f.SubProcessors, err = complianceSubProcessors(tx, tenantID); err != nil {
			return err
		}
		rows, err = tx.query(`SELECT kind, max(declared_at) FROM org_facts WHERE tenant_id = $1 GROUP BY kind`, tenantID)
		if err != nil {
			return err
		}
		for rows.Next() {
			var kind string
			var at int64
			if err := rows.Scan(&kind, &at); err != nil {
				rows.Close()
				return err
			}
			f.Declared[kind] = fromMicros(at)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if err := tx.queryRow(`SELECT length(dpo_name) > 0 AND length(dpo_email) > 0 FROM tenants WHERE id = $1`, tenantID).Scan(&f.DPONamed); err != nil {
			return err
		}
		if !names {
			return nil
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "compliance.read", ObjectType: "tenant",
			ObjectID: fmt.Sprintf("%d users", len(f.Users)), Purpose: fmt.Sprintf("compliance report; %d names shown", opened)})
	})
	if err != nil {
		return ComplianceFacts{}, fmt.Errorf("compliance facts: %w", err)
	}
	return f, nil
}

func complianceRequests(tx *Tx, tenantID string) ([]ComplianceRequest, error) {
	rows, err := tx.query(`SELECT id, kind, status, received_at, due_at FROM subject_requests
		WHERE tenant_id = $1 AND status IN ('received', 'approved') ORDER BY due_at, id`, tenantID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ComplianceRequest
	for rows.Next() {
		var r ComplianceRequest
		var rec, due int64
		if err := rows.Scan(&r.ID, &r.Kind, &r.Status, &rec, &due); err != nil {
			return nil, err
		}
		r.ReceivedAt, r.DueAt = fromMicros(rec), fromMicros(due)
		out = append(out, r)
	}
	return out, rows.Err()
}

func complianceBreaches(tx *Tx, tenantID string) ([]ComplianceBreach, error) {
	rows, err := tx.query(`SELECT id, discovered_at, notified_at, gba_notified_at, subjects_informed_at FROM breaches
		WHERE tenant_id = $1 ORDER BY discovered_at DESC, id`, tenantID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ComplianceBreach
	opt := func(v sql.NullInt64) *time.Time {
		if !v.Valid {
			return nil
		}
		t := fromMicros(v.Int64)
		return &t
	}
	for rows.Next() {
		var b ComplianceBreach
		var disc int64
		var n, g, s sql.NullInt64
		if err := rows.Scan(&b.ID, &disc, &n, &g, &s); err != nil {
			return nil, err
		}
		b.DiscoveredAt, b.NotifiedAt, b.GBANotifiedAt, b.SubjectsInformedAt = fromMicros(disc), opt(n), opt(g), opt(s)
		out = append(out, b)
	}
	return out, rows.Err()
}

func complianceSubProcessors(tx *Tx, tenantID string) ([]ComplianceSubProcessor, error) {
	rows, err := tx.query(`SELECT `+subColumns+`, st.status FROM subprocessor_tenants st
		JOIN subprocessors s ON s.id = st.subprocessor_id
		WHERE st.tenant_id = $1 AND s.retired_at IS NULL ORDER BY s.name, s.id`, tenantID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ComplianceSubProcessor
	for rows.Next() {
		var x subScanner
		var status string
		if err := rows.Scan(x.dest(&status)...); err != nil {
			return nil, err
		}
		s := x.done()
		out = append(out, ComplianceSubProcessor{Name: s.Name, Location: s.Location, Mechanism: s.TransferMechanism,
			EEA: s.EEA, Hosts: s.Hosts, Status: status})
	}
	return out, rows.Err()
}
