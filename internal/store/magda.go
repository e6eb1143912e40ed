package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/magda"
	"github.com/kluis/kluis/internal/seal"
)

// A tenant's connection to the national register through MAGDA (LOC-2),
// and the record of every call: the consumer's logging duty is met in the
// audit log, with the call's MAGDA reference, its purpose, who asked and
// the person's pseudonym, written before the call leaves (fail closed) and
// its outcome after.

// MagdaConnection is a tenant's stored connection, its key opened.
type MagdaConnection struct {
	magda.Settings
	UpdatedAt time.Time
	UpdatedBy string // "kind:id" of the actor who set it
}

func magdaKeyAD(tenantID string) seal.AD {
	return seal.AD{Tenant: tenantID, Table: "magda_connections", Column: "client_key", Row: tenantID}
}

// SetMagdaConnection stores (or replaces) the tenant's connection, its
// private key sealed, audited as "magda.connection.set" in the same
// transaction. *magda.SettingsError for bad settings (checked at the
// store's clock); ErrNotFound for an unknown tenant.
func (db *DB) SetMagdaConnection(ctx context.Context, actor audit.Actor, tenantID string, s magda.Settings) error {
	s = s.Normalize()
	if err := s.Validate(db.now()); err != nil {
		return err
	}
	if err := db.requireKeys(); err != nil {
		return err
	}
	err := db.write(ctx, func(tx *Tx) error {
		var n int
		if err := tx.queryRow(`SELECT count(*) FROM tenants WHERE id = $1`, tenantID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("tenant %q: %w", tenantID, ErrNotFound)
		}
		key, err := db.keys.Seal(tenantID, magdaKeyAD(tenantID), []byte(s.ClientKeyPEM))
		if err != nil {
			return err
		}
		if _, err := tx.exec(`DELETE FROM magda_connections WHERE tenant_id = $1`, tenantID); err != nil {
			return err
		}
		if _, err := tx.exec(`INSERT INTO magda_connections (tenant_id, endpoint, consumer_id, capacity, authorisation_ref,
			client_cert_pem, client_key, server_ca_pem, response_cert_pem, timeout_ms, updated_at, updated_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
			tenantID, s.Endpoint, s.ConsumerID, s.Capacity, s.AuthorisationRef, s.ClientCertPEM, key, s.ServerCAPEM,
			s.ResponseCertPEM, s.Timeout.Milliseconds(), micros(db.now()), actorRef(actor)); err != nil {
			return err
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "magda.connection.set", ObjectType: "magda_connection",
			ObjectID: tenantID, Purpose: "national register connection: " + s.Endpoint + " as " + s.ConsumerID + " (" + s.Capacity + ")"})
	})
	if err != nil {
		return fmt.Errorf("set MAGDA connection: %w", err)
	}
	return nil
}

func actorRef(a audit.Actor) string { return string(a.Kind) + ":" + a.ID }

// MagdaConnection returns the tenant's connection with its private key
// opened. ErrNotFound when the tenant has none; ErrUnreadable when the key
// cannot be opened.
func (db *DB) MagdaConnection(ctx context.Context, tenantID string) (MagdaConnection, error) {
	if err := db.requireKeys(); err != nil {
		return MagdaConnection{}, err
	}
	var c MagdaConnection
	var key []byte
	var timeout, updated int64
	err := db.sql.QueryRowContext(ctx, `SELECT endpoint, consumer_id, capacity, authorisation_ref, client_cert_pem, client_key,
		server_ca_pem, response_cert_pem, timeout_ms, updated_at, updated_by FROM magda_connections WHERE tenant_id = $1`, tenantID).
		Scan(&c.Endpoint, &c.ConsumerID, &c.Capacity, &c.AuthorisationRef, &c.ClientCertPEM, &key, &c.ServerCAPEM,
			&c.ResponseCertPEM, &timeout, &updated, &c.UpdatedBy)
	if errors.Is(err, sql.ErrNoRows) {
		return MagdaConnection{}, ErrNotFound
	}
	if err != nil {
		return MagdaConnection{}, fmt.Errorf("MAGDA connection: %w", err)
	}
	plain, err := db.keys.Open(tenantID, magdaKeyAD(tenantID), key)
	if err != nil {
		return MagdaConnection{}, ErrUnreadable
	}
	c.ClientKeyPEM = string(plain)
	c.Timeout = time.Duration(timeout) * time.Millisecond
	c.UpdatedAt = fromMicros(updated)
	return c, nil
}

// RemoveMagdaConnection removes the tenant's connection, audited as
// "magda.connection.remove". ErrNotFound when it has none.
func (db *DB) RemoveMagdaConnection(ctx context.Context, actor audit.Actor, tenantID string) error {
	err := db.removeTenantSetting(ctx, "magda_connections", audit.Event{TenantID: tenantID, Actor: actor,
		Action: "magda.connection.remove", ObjectType: "magda_connection", ObjectID: tenantID, Purpose: "national register connection removed"})
	if err != nil {
		return fmt.Errorf("remove MAGDA connection: %w", err)
	}
	return nil
}

// MagdaCall is one GeefPersoon call as the audit log records it.
type MagdaCall struct {
	Reference string // the call's MAGDA reference (magda.NewReference)
	Purpose   string // the register purpose the call serves (its id)
	Reason    string // the reason a member of staff stated; "" for a citizen's prefill
	INSZ      string // whom it is about: recorded only as the pseudonym
}

// purpose is the recorded purpose: the register purpose, then the reason.
func (c MagdaCall) purpose() string {
	p := "purpose " + c.Purpose
	if r := strings.Join(strings.Fields(c.Reason), " "); r != "" {
		p += ": " + r
	}
	return p
}

// magdaSubject is the person's pseudonym, as every event about them carries
// it: the blind index of the INSZ, never the number (SEC-2).
func (db *DB) magdaSubject(tenantID, insz string) (string, error) {
	index, err := db.keys.BlindIndex(tenantID, "subject", []byte(insz))
	if err != nil {
		return "", err
	}
	return subjectPseudonym(index), nil
}

// RecordMagdaCall records "magda.call" before a call leaves: reference,
// purpose (and reason), actor and the person's pseudonym. The caller makes
// the call only when this returns nil (fail closed: no call without its
// record). An empty reference or purpose is refused.
func (db *DB) RecordMagdaCall(ctx context.Context, actor audit.Actor, tenantID string, c MagdaCall) error {
	if c.Reference == "" || c.Purpose == "" || c.INSZ == "" {
		return errors.New("record MAGDA call: reference, purpose and person are required")
	}
	if err := db.requireKeys(); err != nil {
		return err
	}
	subject, err := db.magdaSubject(tenantID, c.INSZ)
	if err != nil {
		return fmt.Errorf("record MAGDA call: %w", err)
	}
	err = db.write(ctx, func(tx *Tx) error {
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "magda.call", ObjectType: "magda_call",
			ObjectID: c.Reference, Subject: subject, Purpose: "MAGDA reference " + c.Reference + "; " + c.purpose()})
	})
	if err != nil {
		return fmt.Errorf("record MAGDA call: %w", err)
	}
	return nil
}

// RecordMagdaAnswer records "magda.answer" after the call under the same
// reference: the outcome (a magda.Outcome* code) and the codes of any
// warnings. Found, not found and not in repertory are answers (success);
// every other outcome is recorded as a failure.
func (db *DB) RecordMagdaAnswer(ctx context.Context, actor audit.Actor, tenantID string, c MagdaCall, outcome string, warnings []string) error {
	if err := db.requireKeys(); err != nil {
		return err
	}
	subject, err := db.magdaSubject(tenantID, c.INSZ)
	if err != nil {
		return fmt.Errorf("record MAGDA answer: %w", err)
	}
	result := audit.OutcomeSuccess
	switch outcome {
	case magda.OutcomeFound, magda.OutcomeNotFound, magda.OutcomeNotInRepertory:
	default:
		result = audit.OutcomeFailure
	}
	detail := "MAGDA reference " + c.Reference + "; outcome " + outcome
	if len(warnings) > 0 {
		detail += " (warnings " + strings.Join(warnings, " ") + ")"
	}
	err = db.write(ctx, func(tx *Tx) error {
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "magda.answer", ObjectType: "magda_call",
			ObjectID: c.Reference, Subject: subject, Purpose: detail + "; " + c.purpose(), Outcome: result})
	})
	if err != nil {
		return fmt.Errorf("record MAGDA answer: %w", err)
	}
	return nil
}

// AuditedMagdaCall is the consumer's logging duty in one place: it records
// c ("magda.call"), runs call only when that record is written, and records
// the outcome and warning codes call returns ("magda.answer") under the
// same reference, also when ctx has ended meanwhile. made says whether call
// ran: an error with made false means no call was made; with made true, the
// answer could not be recorded and the caller must not use it.
func (db *DB) AuditedMagdaCall(ctx context.Context, actor audit.Actor, tenantID string, c MagdaCall,
	call func() (outcome string, warnings []string)) (made bool, err error) {
	if err := db.RecordMagdaCall(ctx, actor, tenantID, c); err != nil {
		return false, err
	}
	outcome, warnings := call()
	return true, db.RecordMagdaAnswer(context.WithoutCancel(ctx), actor, tenantID, c, outcome, warnings)
}
