package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/mfa"
	"github.com/kluis/kluis/internal/seal"
)

// ErrMFAFailed is the one answer to a second-factor attempt that does not
// succeed: a wrong code, a code already used, a spent or unknown recovery
// code, a locked second factor, no second factor enrolled, an inactive
// account or a user of another tenant all look the same from outside.
var ErrMFAFailed = errors.New("the code is wrong or was used already, or the second factor is locked")

// Purposes of the "mfa.failure" events: why a second-factor attempt failed,
// for the tenant's admins. The user is told none of this.
const (
	MFAFailureCode        = "mfa: wrong code"
	MFAFailureReplay      = "mfa: code already used"
	MFAFailureRecovery    = "mfa: wrong or used recovery code"
	MFAFailureLocked      = "mfa: second factor locked"
	MFAFailureNotEnrolled = "mfa: no confirmed TOTP"
	MFAFailureInactive    = "mfa: account not active"
	MFAFailureUnknownUser = "mfa: no such user in this tenant"
)

func totpAD(tenantID, userID string) seal.AD {
	return seal.AD{Tenant: tenantID, Table: "mfa_totp", Column: "secret", Row: userID}
}

// mfaState is what a second-factor attempt needs of a user and their TOTP.
type mfaState struct {
	role, status string
	hasRow       bool   // a TOTP row exists (confirmed or not)
	confirmed    bool   // the secret is confirmed
	sealed       []byte // the sealed secret
	lastStep     int64
	failed       int
	lockedUntil  time.Time
}

// mfaState reads a user's role and status and their TOTP row, locking the
// TOTP row on PostgreSQL (where writers of other nodes run at the same
// time; SQLite's writer holds the database lock). found is false when the
// user is not in tenantID.
func (tx *Tx) mfaState(tenantID, userID string) (s mfaState, found bool, err error) {
	err = tx.queryRow(`SELECT role, status FROM users WHERE tenant_id = $1 AND id = $2`, tenantID, userID).Scan(&s.role, &s.status)
	if errors.Is(err, sql.ErrNoRows) {
		return s, false, nil
	}
	if err != nil {
		return s, false, err
	}
	q := `SELECT secret, confirmed_at, last_step, mfa_failed_count, mfa_locked_until FROM mfa_totp
		WHERE tenant_id = $1 AND user_id = $2`
	if tx.db.dialect == Postgres {
		q += ` FOR UPDATE`
	}
	var confirmed, until sql.NullInt64
	err = tx.queryRow(q, tenantID, userID).Scan(&s.sealed, &confirmed, &s.lastStep, &s.failed, &until)
	if errors.Is(err, sql.ErrNoRows) {
		return s, true, nil
	}
	if err != nil {
		return s, true, err
	}
	s.hasRow, s.confirmed = true, confirmed.Valid
	if until.Valid {
		s.lockedUntil = fromMicros(until.Int64)
	}
	return s, true, nil
}

func (tx *Tx) insertRecoveryCodes(tenantID, userID string, codes []string, now time.Time) error {
	for _, c := range codes {
		if _, err := tx.exec(`INSERT INTO mfa_recovery_codes (code_hash, tenant_id, user_id, created_at) VALUES ($1, $2, $3, $4)`,
			mfa.HashRecoveryCode(c), tenantID, userID, micros(now)); err != nil {
			return err
		}
	}
	return nil
}

// BeginTOTP starts a TOTP enrolment: a new secret, stored sealed and
// unconfirmed, replacing an unconfirmed one. The secret is returned for
// the enrolment page (mfa.Base32, mfa.ProvisioningURI, mfa.QRSVG) and is
// not accepted at login until ConfirmTOTP. Audited as "mfa.enrol.start".
// ErrConflict when the user already has a confirmed TOTP (remove it
// first) or is not active; ErrNotFound for a user not in tenantID.
func (db *DB) BeginTOTP(ctx context.Context, actor audit.Actor, tenantID, userID string) ([]byte, error) {
	if err := db.requireKeys(); err != nil {
		return nil, err
	}
	secret, err := mfa.NewSecret()
	if err != nil {
		return nil, fmt.Errorf("begin TOTP: %w", err)
	}
	sealed, err := db.keys.Seal(tenantID, totpAD(tenantID, userID), secret)
	if err != nil {
		return nil, fmt.Errorf("begin TOTP: %w", err)
	}
	err = db.write(ctx, func(tx *Tx) error {
		s, found, err := tx.mfaState(tenantID, userID)
		switch {
		case err != nil:
			return err
		case !found:
			return fmt.Errorf("user %q: %w", userID, ErrNotFound)
		case s.status != account.StatusActive:
			return fmt.Errorf("user is not active: %w", ErrConflict)
		case s.confirmed:
			return fmt.Errorf("a TOTP authenticator is enrolled already: %w", ErrConflict)
		}
		now := micros(db.now())
		if s.hasRow {
			_, err = tx.exec(`UPDATE mfa_totp SET secret = $1, last_step = 0, mfa_failed_count = 0, mfa_locked_until = NULL,
				created_at = $2 WHERE tenant_id = $3 AND user_id = $4 AND confirmed_at IS NULL`, sealed, now, tenantID, userID)
		} else {
			_, err = tx.exec(`INSERT INTO mfa_totp (user_id, tenant_id, secret, created_at) VALUES ($1, $2, $3, $4)`,
				userID, tenantID, sealed, now)
			if isUniqueViolation(err) {
				return fmt.Errorf("a TOTP enrolment was begun concurrently: %w", ErrConflict)
			}
		}
		if err != nil {
			return err
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "mfa.enrol.start", ObjectType: "user",
			ObjectID: userID, Subject: userID, Purpose: "mfa: TOTP enrolment started"})
	})
	if err != nil {
		return nil, fmt.Errorf("begin TOTP: %w", err)
	}
	return secret, nil
}

// ConfirmTOTP ends an enrolment: a valid code from the user's app confirms
// the secret (its step becomes the last one used, so the same code cannot
// log in afterwards) and mfa.RecoveryCodeCount recovery codes are created
// and returned, once: only their hashes are kept. Audited as "mfa.enrol",
// and the user is told by mail;
// a wrong code is recorded as a failed "mfa.enrol" and answered with
// ErrMFAFailed. ErrNotFound when no enrolment was begun (or the user is not
// in tenantID); ErrConflict when the TOTP is confirmed already.
func (db *DB) ConfirmTOTP(ctx context.Context, actor audit.Actor, tenantID, userID, code string) ([]string, error) {
	if err := db.requireKeys(); err != nil {
		return nil, err
	}
	codes, err := mfa.NewRecoveryCodes(mfa.RecoveryCodeCount)
	if err != nil {
		return nil, fmt.Errorf("confirm TOTP: %w", err)
	}
	err = db.write(ctx, func(tx *Tx) error {
		s, found, err := tx.mfaState(tenantID, userID)
		switch {
		case err != nil:
			return err
		case !found || !s.hasRow:
			return fmt.Errorf("no TOTP enrolment for user %q: %w", userID, ErrNotFound)
		case s.confirmed:
			return fmt.Errorf("the TOTP authenticator is confirmed already: %w", ErrConflict)
		case s.status != account.StatusActive:
			return fmt.Errorf("user is not active: %w", ErrConflict)
		}
		secret, err := db.keys.Open(tenantID, totpAD(tenantID, userID), s.sealed)
		if err != nil {
			return ErrUnreadable
		}
		nowT := fromMicros(micros(db.now()))
		event := audit.Event{TenantID: tenantID, Actor: actor, Action: "mfa.enrol", ObjectType: "user", ObjectID: userID,
			Subject: userID, Purpose: "mfa: TOTP enrolled"}
		step, ok := mfa.Validate(secret, code, nowT, s.lastStep)
		if !ok {
			event.Outcome, event.Purpose = audit.OutcomeFailure, MFAFailureCode
			if err := tx.appendAudit(event); err != nil {
				return err
			}
			return keep(ErrMFAFailed)
		}
		if _, err := tx.exec(`UPDATE mfa_totp SET confirmed_at = $1, last_step = $2, mfa_failed_count = 0, mfa_locked_until = NULL
			WHERE tenant_id = $3 AND user_id = $4 AND confirmed_at IS NULL`, micros(nowT), step, tenantID, userID); err != nil {
			return err
		}
		if _, err := tx.exec(`DELETE FROM mfa_recovery_codes WHERE tenant_id = $1 AND user_id = $2`, tenantID, userID); err != nil {
			return err
		}
		if err := tx.insertRecoveryCodes(tenantID, userID, codes, nowT); err != nil {
			return err
		}
		if err := tx.appendAudit(event); err != nil {
			return err
		}
		return tx.notifyUser(tenantID, userID, noticeMFAEnrolled, actor)
	})
	if errors.Is(err, ErrMFAFailed) {
		return nil, ErrMFAFailed
	}
	if err != nil {
		return nil, fmt.Errorf("confirm TOTP: %w", err)
	}
	return codes, nil
}

// mfaAttempt runs one second-factor attempt of a user in tx: it refuses
// at once for a user not in tenantID, an inactive account, no confirmed
// TOTP or a locked second factor, and otherwise lets check decide (check
// returns the failure's purpose, or "" and the success's purpose). A success clears the
// failure counter and is audited as successAction; a failure is audited as
// "mfa.failure" and, when check evaluated it, counted: the tenant
// policy's MFAMaxFailures (mfa.MaxFailures by default) in a row lock the
// second factor for mfa.LockDuration ("mfa.locked"). The failure's writes
// are kept and ErrMFAFailed returned.
func (tx *Tx) mfaAttempt(tenantID, userID, requestID, successAction string,
	check func(s *mfaState, now time.Time) (failure, successPurpose string, err error)) error {
	now := fromMicros(micros(tx.db.now()))
	s, found, err := tx.mfaState(tenantID, userID)
	if err != nil {
		return err
	}
	actor := audit.Actor{Kind: audit.KindUser, ID: userID, Role: s.role, RequestID: requestID}
	event := func(action, outcome, purpose string) error {
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: action, ObjectType: "user",
			ObjectID: userID, Subject: userID, Outcome: outcome, Purpose: purpose})
	}
	if !found {
		// Another tenant's user, or none: nothing to count, but the
		// attempt is recorded in the tenant's log when it has one.
		var tenants int
		if err := tx.queryRow(`SELECT count(*) FROM audit_heads WHERE tenant_id = $1`, tenantID).Scan(&tenants); err != nil {
			return err
		}
		if tenants == 0 {
			return ErrMFAFailed
		}
		actor.ID = "anonymous"
		if err := event("mfa.failure", audit.OutcomeFailure, MFAFailureUnknownUser); err != nil {
			return err
		}
		return keep(ErrMFAFailed)
	}
	var failure, successPurpose string
	evaluated := false
	switch {
	case s.status != account.StatusActive:
		failure = MFAFailureInactive
	case !s.confirmed:
		failure = MFAFailureNotEnrolled
	case now.Before(s.lockedUntil):
		failure = MFAFailureLocked
	default:
		evaluated = true
		if failure, successPurpose, err = check(&s, now); err != nil {
			return err
		}
	}
	if failure == "" {
		if s.failed != 0 || !s.lockedUntil.IsZero() {
			if _, err := tx.exec(`UPDATE mfa_totp SET mfa_failed_count = 0, mfa_locked_until = NULL WHERE tenant_id = $1 AND user_id = $2`,
				tenantID, userID); err != nil {
				return err
			}
		}
		return event(successAction, audit.OutcomeSuccess, successPurpose)
	}
	if err := event("mfa.failure", audit.OutcomeFailure, failure); err != nil {
		return err
	}
	if evaluated {
		// The tenant's limit (policy.MFAMaxFailures; mfa.MaxFailures by
		// default).
		pol, _, err := tx.tenantPolicy(tenantID)
		if err != nil {
			return err
		}
		failed, until := s.failed+1, any(nil)
		if failed >= pol.MFAMaxFailures {
			lockEnd := now.Add(mfa.LockDuration)
			failed, until = 0, micros(lockEnd)
			if err := event("mfa.locked", audit.OutcomeSuccess, "mfa: locked until "+lockEnd.Format(time.RFC3339)); err != nil {
				return err
			}
		}
		if _, err := tx.exec(`UPDATE mfa_totp SET mfa_failed_count = $1, mfa_locked_until = $2 WHERE tenant_id = $3 AND user_id = $4`,
			failed, until, tenantID, userID); err != nil {
			return err
		}
	}
	return keep(ErrMFAFailed)
}

// VerifyTOTP checks a login's second factor (contract USR-2, ASVS 5.0
// 6.5.1, 6.6): a code of the user's confirmed TOTP for the current time
// step or one either side, newer than the last code accepted. Accepting a
// code moves the user's last step in the same write, conditionally, so
// the same code — even sent many times at once, or to several nodes — is
// accepted once only. Every refusal is ErrMFAFailed; wrong and replayed
// codes count on the second factor's own failure counter (mfa.MaxFailures
// in a row lock it for mfa.LockDuration). Audited with requestID as
// "mfa.success", "mfa.failure" (the reason in Purpose) and "mfa.locked".
func (db *DB) VerifyTOTP(ctx context.Context, tenantID, userID, code, requestID string) error {
	if err := db.requireKeys(); err != nil {
		return err
	}
	err := db.write(ctx, func(tx *Tx) error {
		return tx.mfaAttempt(tenantID, userID, requestID, "mfa.success", func(s *mfaState, now time.Time) (string, string, error) {
			secret, err := db.keys.Open(tenantID, totpAD(tenantID, userID), s.sealed)
			if err != nil {
				return "", "", ErrUnreadable
			}
			step, ok := mfa.Validate(secret, code, now, s.lastStep)
			if !ok {
				if _, anyStep := mfa.Validate(secret, code, now, math.MinInt64); anyStep {
					return MFAFailureReplay, "", nil
				}
				return MFAFailureCode, "", nil
			}
			res, err := tx.exec(`UPDATE mfa_totp SET last_step = $1 WHERE tenant_id = $2 AND user_id = $3 AND last_step < $1`,
				step, tenantID, userID)
			if err != nil {
				return "", "", err
			}
			if n, err := res.RowsAffected(); err != nil {
				return "", "", err
			} else if n != 1 {
				return MFAFailureReplay, "", nil // another node accepted this step first
			}
			return "", "mfa: TOTP code", nil
		})
	})
	if errors.Is(err, ErrMFAFailed) {
		return ErrMFAFailed
	}
	if err != nil {
		return fmt.Errorf("verify TOTP: %w", err)
	}
	return nil
}

// UseRecoveryCode accepts one of the user's recovery codes in place of a
// TOTP code, once: the code is spent in the same write. Typing is
// forgiving (case, spaces, dashes, look-alikes; see
// mfa.NormalizeRecoveryCode). Wrong or spent codes count on the same
// failure counter as TOTP codes. Every refusal is ErrMFAFailed. Audited
// with requestID as "mfa.recovery" (the number of codes left in Purpose),
// "mfa.failure" and "mfa.locked".
func (db *DB) UseRecoveryCode(ctx context.Context, tenantID, userID, code, requestID string) error {
	hash := mfa.HashRecoveryCode(code)
	err := db.write(ctx, func(tx *Tx) error {
		return tx.mfaAttempt(tenantID, userID, requestID, "mfa.recovery", func(s *mfaState, now time.Time) (string, string, error) {
			res, err := tx.exec(`UPDATE mfa_recovery_codes SET used_at = $1 WHERE code_hash = $2 AND tenant_id = $3 AND user_id = $4
				AND used_at IS NULL`, micros(now), hash, tenantID, userID)
			if err != nil {
				return "", "", err
			}
			if n, err := res.RowsAffected(); err != nil {
				return "", "", err
			} else if n != 1 {
				return MFAFailureRecovery, "", nil
			}
			var left int
			if err := tx.queryRow(`SELECT count(*) FROM mfa_recovery_codes WHERE tenant_id = $1 AND user_id = $2 AND used_at IS NULL`,
				tenantID, userID).Scan(&left); err != nil {
				return "", "", err
			}
			return "", fmt.Sprintf("mfa: recovery code used, %d left", left), nil
		})
	})
	if errors.Is(err, ErrMFAFailed) {
		return ErrMFAFailed
	}
	if err != nil {
		return fmt.Errorf("use recovery code: %w", err)
	}
	return nil
}

// HasTOTP reports whether the user has a confirmed TOTP authenticator (an
// enrolment begun but not confirmed does not count). False for a user not
// in tenantID.
func (db *DB) HasTOTP(ctx context.Context, tenantID, userID string) (bool, error) {
	var has bool
	if err := db.sql.QueryRowContext(ctx, `SELECT count(*) > 0 FROM mfa_totp WHERE tenant_id = $1 AND user_id = $2
		AND confirmed_at IS NOT NULL`, tenantID, userID).Scan(&has); err != nil {
		return false, fmt.Errorf("has TOTP: %w", err)
	}
	return has, nil
}

// HasSecondFactor reports whether the user has a second factor to prove
// at login: a confirmed TOTP authenticator or a passkey. False for a user
// not in tenantID.
func (db *DB) HasSecondFactor(ctx context.Context, tenantID, userID string) (bool, error) {
	var has bool
	if err := db.sql.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM mfa_totp WHERE tenant_id = $1 AND user_id = $2
		AND confirmed_at IS NOT NULL) + (SELECT count(*) FROM passkeys WHERE tenant_id = $1 AND user_id = $2) > 0`,
		tenantID, userID).Scan(&has); err != nil {
		return false, fmt.Errorf("has second factor: %w", err)
	}
	return has, nil
}

// MFAStatus is a user's second factor as the account and admin pages show
// it.
type MFAStatus struct {
	TOTP              bool      // a confirmed TOTP authenticator
	ConfirmedAt       time.Time // when it was confirmed
	RecoveryCodesLeft int       // unused recovery codes
	Failures          int       // wrong codes in a row
	LockedUntil       time.Time // zero when not locked (may lie in the past)
}

// MFAStatusOf returns a user's second-factor status. A user without TOTP
// (or not in tenantID) has the zero status.
func (db *DB) MFAStatusOf(ctx context.Context, tenantID, userID string) (MFAStatus, error) {
	var st MFAStatus
	var confirmed, until sql.NullInt64
	err := db.sql.QueryRowContext(ctx, `SELECT confirmed_at, mfa_failed_count, mfa_locked_until FROM mfa_totp
		WHERE tenant_id = $1 AND user_id = $2`, tenantID, userID).Scan(&confirmed, &st.Failures, &until)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !confirmed.Valid) {
		return MFAStatus{}, nil
	}
	if err != nil {
		return st, fmt.Errorf("MFA status: %w", err)
	}
	st.TOTP, st.ConfirmedAt = true, fromMicros(confirmed.Int64)
	if until.Valid {
		st.LockedUntil = fromMicros(until.Int64)
	}
	if err := db.sql.QueryRowContext(ctx, `SELECT count(*) FROM mfa_recovery_codes WHERE tenant_id = $1 AND user_id = $2
		AND used_at IS NULL`, tenantID, userID).Scan(&st.RecoveryCodesLeft); err != nil {
		return st, fmt.Errorf("MFA status: %w", err)
	}
	return st, nil
}

// RegenerateRecoveryCodes replaces all of a user's recovery codes, used or
// not, with mfa.RecoveryCodeCount new ones, returned once. Audited as
// "mfa.recovery.regenerate", and the user is told by mail. ErrNotFound when the user has no confirmed
// TOTP (or is not in tenantID).
func (db *DB) RegenerateRecoveryCodes(ctx context.Context, actor audit.Actor, tenantID, userID string) ([]string, error) {
	codes, err := mfa.NewRecoveryCodes(mfa.RecoveryCodeCount)
	if err != nil {
		return nil, fmt.Errorf("regenerate recovery codes: %w", err)
	}
	err = db.write(ctx, func(tx *Tx) error {
		s, found, err := tx.mfaState(tenantID, userID)
		if err != nil {
			return err
		}
		if !found || !s.confirmed {
			return fmt.Errorf("no TOTP for user %q: %w", userID, ErrNotFound)
		}
		if _, err := tx.exec(`DELETE FROM mfa_recovery_codes WHERE tenant_id = $1 AND user_id = $2`, tenantID, userID); err != nil {
			return err
		}
		if err := tx.insertRecoveryCodes(tenantID, userID, codes, fromMicros(micros(db.now()))); err != nil {
			return err
		}
		if err := tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "mfa.recovery.regenerate", ObjectType: "user",
			ObjectID: userID, Subject: userID, Purpose: "mfa: new recovery codes"}); err != nil {
			return err
		}
		return tx.notifyUser(tenantID, userID, noticeRecoveryCodes, actor)
	})
	if err != nil {
		return nil, fmt.Errorf("regenerate recovery codes: %w", err)
	}
	return codes, nil
}

// RemoveTOTP removes a user's TOTP secret (confirmed or not), their
// recovery codes, their MFA failure count and lock, and their passkeys:
// the admin's MFA reset, or the user's own removal after step-up. The
// handler checks that actor may do this. Audited as "mfa.remove" (and
// "passkey.remove" when passkeys went too); when a second factor was
// removed the user is told by mail (an admin's reset or their own
// removal). ErrNotFound for a user not in tenantID.
func (db *DB) RemoveTOTP(ctx context.Context, actor audit.Actor, tenantID, userID string) error {
	err := db.write(ctx, func(tx *Tx) error {
		st, found, err := tx.mfaState(tenantID, userID)
		if err != nil {
			return err
		}
		if !found {
			return fmt.Errorf("user %q: %w", userID, ErrNotFound)
		}
		if _, err := tx.exec(`DELETE FROM mfa_recovery_codes WHERE tenant_id = $1 AND user_id = $2`, tenantID, userID); err != nil {
			return err
		}
		res, err := tx.exec(`DELETE FROM mfa_totp WHERE tenant_id = $1 AND user_id = $2`, tenantID, userID)
		if err != nil {
			return err
		}
		purpose := "mfa: TOTP and recovery codes removed"
		n, _ := res.RowsAffected()
		if n == 0 {
			purpose = "mfa: reset (nothing was enrolled)"
		}
		keys, err := tx.exec(`DELETE FROM passkeys WHERE tenant_id = $1 AND user_id = $2`, tenantID, userID)
		if err != nil {
			return err
		}
		passkeys, _ := keys.RowsAffected()
		if passkeys > 0 {
			if err := tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "passkey.remove", ObjectType: "user",
				ObjectID: userID, Subject: userID, Purpose: fmt.Sprintf("mfa: reset, %d passkeys removed", passkeys)}); err != nil {
				return err
			}
		}
		if err := tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "mfa.remove", ObjectType: "user",
			ObjectID: userID, Subject: userID, Purpose: purpose}); err != nil {
			return err
		}
		if !st.confirmed && passkeys == 0 {
			return nil // no second factor was in use: nothing to tell
		}
		if isSelf(actor, userID) {
			return tx.notifyUser(tenantID, userID, noticeMFARemoved, actor)
		}
		return tx.notifyUser(tenantID, userID, noticeMFAReset, actor)
	})
	if err != nil {
		return fmt.Errorf("remove TOTP: %w", err)
	}
	return nil
}
