package store

import (
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/dsr"
	"github.com/kluis/kluis/internal/seal"
)

// Requests from the citizen's own view (DSR-1): a signed-in citizen has
// proven who they are, so they file a request of any kind without a
// second code, through the path staff and the request page file by
// (duplicates refused, "dsr.file" under their pseudonym), and download the
// package of an executed access or portability request straight from the
// view, counted against the package's downloads like the mailed link.

func sessionEmailAD(tenantID string, idHash []byte) seal.AD {
	return seal.AD{Tenant: tenantID, Table: "citizen_sessions", Column: "email", Row: hex.EncodeToString(idHash)}
}

// FilePortalRequest files a request of kind (with its own fields) for the
// citizen of session s, in lang. A session opened by a mailed code files
// under the address it proved (the outcome is mailed there); one opened by
// FAS under the national register number's blind index, with no address
// (the outcome is shown in the view only). *ChangeError for a missing
// field of the kind, *DuplicateRequestError for an open request of the
// same kind, ErrSessionInvalid when the session ended meanwhile.
func (db *DB) FilePortalRequest(ctx context.Context, tenantID string, s CitizenSession, kind dsr.Kind, lang string, fields KindFields,
	requestID string) (SubjectRequest, error) {
	if err := db.requireKeys(); err != nil {
		return SubjectRequest{}, err
	}
	var r SubjectRequest
	err := db.write(ctx, func(tx *Tx) error {
		var err error
		r, err = tx.filePortalRequest(tenantID, s, kind, lang, fields, requestID)
		return err
	})
	var dup *DuplicateRequestError
	var ce *ChangeError
	switch {
	case errors.As(err, &dup), errors.As(err, &ce), errors.Is(err, ErrSessionInvalid):
		return SubjectRequest{}, err
	case err != nil:
		return SubjectRequest{}, fmt.Errorf("file portal request: %w", err)
	}
	return r, nil
}

func (tx *Tx) filePortalRequest(tenantID string, s CitizenSession, kind dsr.Kind, lang string, fields KindFields,
	requestID string) (SubjectRequest, error) {
	if !kind.Valid() {
		return SubjectRequest{}, &ChangeError{"kind", "required"}
	}
	p := SubjectPerson{Lang: lang, Wrong: fields.Wrong, Correction: fields.Correction, Grounds: fields.Grounds}
	if err := checkKindFields(kind, &p); err != nil {
		return SubjectRequest{}, err
	}
	var sealed []byte
	err := tx.queryRow(`SELECT email FROM citizen_sessions WHERE id_hash = $1 AND tenant_id = $2`, s.idHash, tenantID).Scan(&sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return SubjectRequest{}, ErrSessionInvalid
	}
	if err != nil {
		return SubjectRequest{}, err
	}
	var subject, email []byte
	if s.Via == "fas" {
		subject = s.index
	} else {
		email = s.index
		if len(sealed) > 0 {
			address, err := tx.db.keys.Open(tenantID, sessionEmailAD(tenantID, s.idHash), sealed)
			if err != nil {
				return SubjectRequest{}, fmt.Errorf("citizen session: %w", ErrUnreadable)
			}
			p.Email = string(address)
		}
	}
	now := tx.db.now()
	r := SubjectRequest{ID: newID(now), Kind: kind, Person: p, FiledByKind: string(audit.KindCitizen), FiledBy: s.Pseudonym,
		Status: dsr.StatusReceived, ReceivedAt: now, DueAt: dsr.DueAt(now)}
	plain, _ := json.Marshal(r.Person)
	person, err := tx.db.keys.Seal(tenantID, requestAD(tenantID, "person", r.ID), plain)
	if err != nil {
		return SubjectRequest{}, err
	}
	if _, err := tx.insertRequest(s.actor(requestID), tenantID, &r, person, subject, email); err != nil {
		return SubjectRequest{}, err
	}
	return r, nil
}

// PortalPackage opens the stored package of the citizen's own executed
// access or portability request id for download from the view: the
// read, the download counted against PackageDownloadsMax (the mailed link
// shares the count) and "dsr.download" under the citizen's pseudonym in
// one transaction. ErrNotFound for a request that is not theirs or not
// executed; ErrPackageGone when its package expired or is used up.
func (db *DB) PortalPackage(ctx context.Context, tenantID string, s CitizenSession, id, requestID string) ([]byte, string, error) {
	if err := db.requireKeys(); err != nil {
		return nil, "", err
	}
	var zip []byte
	var lang string
	err := db.write(ctx, func(tx *Tx) error {
		var kind string
		err := tx.queryRow(`SELECT kind FROM subject_requests WHERE tenant_id = $1 AND id = $2 AND (subject_index = $3 OR email_index = $3)
			AND status IN ('executed', 'closed')`, tenantID, id, s.index).Scan(&kind)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && kind != string(dsr.Access) && kind != string(dsr.Portability)) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		pid, l, downloads, z, err := tx.latestPackage(tenantID, id, true)
		if err != nil {
			return err
		}
		zip, lang = z, l
		if _, err := tx.exec(`UPDATE subject_packages SET downloads = downloads + 1 WHERE tenant_id = $1 AND id = $2`, tenantID, pid); err != nil {
			return err
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: s.actor(requestID), Action: "dsr.download", ObjectType: "subject_request",
			ObjectID: id, Subject: s.Pseudonym, Purpose: fmt.Sprintf("download %d of %d, from the citizen's view", downloads+1, PackageDownloadsMax)})
	})
	if errors.Is(err, ErrNotFound) || errors.Is(err, ErrPackageGone) {
		return nil, "", err
	}
	if err != nil {
		return nil, "", fmt.Errorf("portal package: %w", err)
	}
	return zip, lang, nil
}
