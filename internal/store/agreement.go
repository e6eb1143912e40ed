package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/kluis/kluis/internal/agreement"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/seal"
)

// The data processing agreement generated in Kluis and accepted in it by
// both parties (REG-1, SUB-1; art. 28(3) and (9) GDPR: the agreement in
// writing, electronic form included). Each version is kept as the PDF it
// was generated as, with its SHA-256 and the inputs it was made of; an
// acceptance records who accepted which bytes. A version accepted by both
// parties is in force; a later version that is not yet is pending.

// ErrAgreementState is a step out of order: accepting a version that a
// newer one replaced, one the party accepted already, or bytes that are
// not the version's.
var ErrAgreementState = errors.New("agreement version not in a state for this step")

// AgreementVersion is one generated version.
type AgreementVersion struct {
	Number      int
	Kind        string // agreement.KindAgreement or KindAmendment
	Base        int    // an amendment: the version in force it amends
	Lang        string
	CreatedAt   time.Time
	CreatedBy   string // the actor ("user:ID")
	SHA256      string // of the PDF, hex
	Fingerprint string // of the inputs
	Inputs      agreement.Inputs
	Acceptances []AgreementAcceptance
}

// AcceptedBy returns the party's acceptance of v.
func (v AgreementVersion) AcceptedBy(party string) (AgreementAcceptance, bool) {
	for _, a := range v.Acceptances {
		if a.Party == party {
			return a, true
		}
	}
	return AgreementAcceptance{}, false
}

// InForce reports whether both parties accepted v.
func (v AgreementVersion) InForce() bool {
	_, c := v.AcceptedBy(agreement.Controller)
	_, s := v.AcceptedBy(agreement.Supplier)
	return c && s
}

// AgreementAcceptance is one party's acceptance of a version.
type AgreementAcceptance struct {
	Party    string // agreement.Controller or Supplier
	UserID   string // the tenant's user, or the operator in the operators' realm
	Name     string // the signer's name when they accepted (sealed at rest)
	Capacity string // "dpo" or "operator"
	Method   string // how they signed in: the session's LoginMethod, or "password"
	SHA256   string // the PDF's hash they accepted
	At       time.Time
}

// NewAgreementVersion is what GenerateAgreementVersion stores: version
// Number (the next one), made at At, and its PDF. The caller lays the PDF
// out before the transaction (it reads the register and the realm), with
// the number NextAgreementNumber gave and the time db.Now gave.
type NewAgreementVersion struct {
	Number int
	At     time.Time
	Kind   string
	Base   int
	Lang   string
	Inputs agreement.Inputs
	PDF    []byte
}

// NextAgreementNumber is the number tenantID's next version gets.
func (db *DB) NextAgreementNumber(ctx context.Context, tenantID string) (int, error) {
	var last int
	err := db.sql.QueryRowContext(ctx, `SELECT COALESCE(MAX(number), 0) FROM agreement_versions WHERE tenant_id = $1`, tenantID).Scan(&last)
	if err != nil {
		return 0, fmt.Errorf("next agreement number: %w", err)
	}
	return last + 1, nil
}

func agreementSignerAD(tenantID string, number int, party string) seal.AD {
	return seal.AD{Tenant: tenantID, Table: "agreement_acceptances", Column: "signer_name", Row: strconv.Itoa(number) + "/" + party}
}

// GenerateAgreementVersion stores the next version of tenantID's agreement
// and its PDF ("agreement.generate" with the SHA-256), in one transaction.
// ErrConflict when another version took nv.Number meanwhile: nothing saved.
func (db *DB) GenerateAgreementVersion(ctx context.Context, actor audit.Actor, tenantID string, nv NewAgreementVersion) (AgreementVersion, error) {
	var v AgreementVersion
	pdf := nv.PDF
	err := db.write(ctx, func(tx *Tx) error {
		var last int
		if err := tx.queryRow(`SELECT COALESCE(MAX(number), 0) FROM agreement_versions WHERE tenant_id = $1`, tenantID).Scan(&last); err != nil {
			return err
		}
		if nv.Number != last+1 {
			return ErrConflict
		}
		now := fromMicros(micros(nv.At))
		sum := sha256.Sum256(pdf)
		v = AgreementVersion{Number: nv.Number, Kind: nv.Kind, Base: nv.Base, Lang: nv.Lang, CreatedAt: now, CreatedBy: actorName(actor),
			SHA256: hex.EncodeToString(sum[:]), Fingerprint: nv.Inputs.Fingerprint(), Inputs: nv.Inputs}
		var base any
		if nv.Base > 0 {
			base = nv.Base
		}
		if _, err := tx.exec(`INSERT INTO agreement_versions (tenant_id, number, kind, base_number, lang, created_at, created_by, sha256,
			fingerprint, inputs, pdf) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`, tenantID, v.Number, v.Kind, base, v.Lang,
			micros(now), v.CreatedBy, v.SHA256, v.Fingerprint, string(nv.Inputs.JSON()), pdf); err != nil {
			return err
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "agreement.generate", ObjectType: "agreement",
			ObjectID: strconv.Itoa(v.Number), Purpose: v.Kind + " sha256=" + v.SHA256})
	})
	if err != nil {
		return AgreementVersion{}, fmt.Errorf("generate agreement: %w", err)
	}
	return v, nil
}

// AgreementVersions returns tenantID's versions, newest first, with their
// acceptances and the signers' names opened; the read is recorded
// ("agreement.list").
func (db *DB) AgreementVersions(ctx context.Context, actor audit.Actor, tenantID string) ([]AgreementVersion, error) {
	if err := db.requireKeys(); err != nil {
		return nil, err
	}
	var out []AgreementVersion
	err := db.write(ctx, func(tx *Tx) error {
		out = nil
		rows, err := tx.query(`SELECT number, kind, base_number, lang, created_at, created_by, sha256, fingerprint, inputs
			FROM agreement_versions WHERE tenant_id = $1 ORDER BY number DESC`, tenantID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var v AgreementVersion
			var base sql.NullInt64
			var created int64
			var inputs string
			if err := rows.Scan(&v.Number, &v.Kind, &base, &v.Lang, &created, &v.CreatedBy, &v.SHA256, &v.Fingerprint, &inputs); err != nil {
				return err
			}
			v.Base, v.CreatedAt = int(base.Int64), fromMicros(created)
			if v.Inputs, err = agreement.ParseInputs([]byte(inputs)); err != nil {
				return fmt.Errorf("agreement %d inputs: %w", v.Number, err)
			}
			out = append(out, v)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		rows.Close()
		acc, err := tx.query(`SELECT number, party, user_id, signer_name, capacity, method, sha256, accepted_at
			FROM agreement_acceptances WHERE tenant_id = $1 ORDER BY accepted_at`, tenantID)
		if err != nil {
			return err
		}
		defer acc.Close()
		for acc.Next() {
			var a AgreementAcceptance
			var n int
			var name []byte
			var at int64
			if err := acc.Scan(&n, &a.Party, &a.UserID, &name, &a.Capacity, &a.Method, &a.SHA256, &at); err != nil {
				return err
			}
			a.At = fromMicros(at)
			plain, err := db.keys.Open(tenantID, agreementSignerAD(tenantID, n, a.Party), name)
			if err != nil {
				return keep(fmt.Errorf("agreement %d acceptance: %w", n, ErrUnreadable))
			}
			a.Name = string(plain)
			for i := range out {
				if out[i].Number == n {
					out[i].Acceptances = append(out[i].Acceptances, a)
				}
			}
		}
		if err := acc.Err(); err != nil {
			return err
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "agreement.list", ObjectType: "agreement"})
	})
	if err != nil {
		return nil, fmt.Errorf("agreement versions: %w", err)
	}
	return out, nil
}

// AgreementPDF returns version number's PDF as it was generated, recorded
// as "agreement.download". ErrNotFound for a version that is not there.
func (db *DB) AgreementPDF(ctx context.Context, actor audit.Actor, tenantID string, number int) ([]byte, error) {
	var pdf []byte
	err := db.write(ctx, func(tx *Tx) error {
		var sum string
		err := tx.queryRow(`SELECT pdf, sha256 FROM agreement_versions WHERE tenant_id = $1 AND number = $2`, tenantID, number).Scan(&pdf, &sum)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "agreement.download", ObjectType: "agreement",
			ObjectID: strconv.Itoa(number), Purpose: "sha256=" + sum})
	})
	if err != nil {
		return nil, fmt.Errorf("agreement PDF: %w", err)
	}
	return pdf, nil
}

// AcceptAgreement records a party's acceptance of version number, naming
// the SHA-256 of the PDF the signer was shown ("agreement.accept" in the
// tenant's log, with the party and the hash). Only the newest version can
// be accepted, once per party, and only the bytes it was generated as:
// ErrAgreementState otherwise, nothing saved. Who may accept for which
// party is the caller's check (the web layer: the DPO after a FAS login,
// an operator in the operators' realm); the store refuses a party whose
// actor kind does not match.
func (db *DB) AcceptAgreement(ctx context.Context, actor audit.Actor, tenantID string, number int, a AgreementAcceptance) error {
	if err := db.requireKeys(); err != nil {
		return err
	}
	switch {
	case a.Party == agreement.Supplier && actor.Kind != audit.KindOperator,
		a.Party == agreement.Controller && actor.Kind != audit.KindUser,
		a.Party != agreement.Supplier && a.Party != agreement.Controller:
		return ErrAgreementState
	}
	err := db.write(ctx, func(tx *Tx) error {
		var sum string
		err := tx.queryRow(`SELECT sha256 FROM agreement_versions WHERE tenant_id = $1 AND number = $2`, tenantID, number).Scan(&sum)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		var last, had int
		if err := tx.queryRow(`SELECT MAX(number) FROM agreement_versions WHERE tenant_id = $1`, tenantID).Scan(&last); err != nil {
			return err
		}
		if err := tx.queryRow(`SELECT COUNT(*) FROM agreement_acceptances WHERE tenant_id = $1 AND number = $2 AND party = $3`,
			tenantID, number, a.Party).Scan(&had); err != nil {
			return err
		}
		if last != number || had > 0 || a.SHA256 != sum {
			return ErrAgreementState
		}
		now := fromMicros(micros(db.now()))
		name, err := db.keys.Seal(tenantID, agreementSignerAD(tenantID, number, a.Party), []byte(a.Name))
		if err != nil {
			return err
		}
		if _, err := tx.exec(`INSERT INTO agreement_acceptances (tenant_id, number, party, user_id, signer_name, capacity, method, sha256, accepted_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, tenantID, number, a.Party, actor.ID, name, a.Capacity, a.Method, sum, micros(now)); err != nil {
			return err
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "agreement.accept", ObjectType: "agreement",
			ObjectID: strconv.Itoa(number), Purpose: a.Party + " (" + a.Capacity + ", " + a.Method + ") sha256=" + sum})
	})
	if err != nil {
		return fmt.Errorf("accept agreement %d: %w", number, err)
	}
	return nil
}

// PendingAgreement is a tenant's newest version that the supplier has not
// accepted yet, for the operators' list.
type PendingAgreement struct {
	TenantID, TenantSlug, TenantName string
	Number                           int
	Kind                             string
	SHA256                           string
	CreatedAt                        time.Time
	ControllerAccepted               bool
}

// PendingAgreements lists, over every tenant, the newest version the
// supplier has not accepted (a platform-level read for the operators;
// versions hold no personal data).
func (db *DB) PendingAgreements(ctx context.Context) ([]PendingAgreement, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT t.id, t.slug, t.legal_name, v.number, v.kind, v.sha256, v.created_at,
		(SELECT COUNT(*) FROM agreement_acceptances c WHERE c.tenant_id = v.tenant_id AND c.number = v.number AND c.party = 'controller')
		FROM agreement_versions v JOIN tenants t ON t.id = v.tenant_id
		WHERE v.number = (SELECT MAX(number) FROM agreement_versions m WHERE m.tenant_id = v.tenant_id)
		AND NOT EXISTS (SELECT 1 FROM agreement_acceptances s WHERE s.tenant_id = v.tenant_id AND s.number = v.number AND s.party = 'supplier')
		ORDER BY v.created_at, t.slug`)
	if err != nil {
		return nil, fmt.Errorf("pending agreements: %w", err)
	}
	defer rows.Close()
	var out []PendingAgreement
	for rows.Next() {
		var p PendingAgreement
		var at int64
		var c int
		if err := rows.Scan(&p.TenantID, &p.TenantSlug, &p.TenantName, &p.Number, &p.Kind, &p.SHA256, &at, &c); err != nil {
			return nil, fmt.Errorf("pending agreements: %w", err)
		}
		p.CreatedAt, p.ControllerAccepted = fromMicros(at), c > 0
		out = append(out, p)
	}
	return out, rows.Err()
}
