package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/password"
)

// Step-up re-authentication (ASVS 5.0 7.5.3): before a sensitive action
// (a role change, an MFA reset, a removal, an export) the user proves their
// credentials again when their session's last proof (SessionInfo.ReauthAt)
// is older than the caller allows.

// ErrStepUpFailed is the one answer to a step-up that does not succeed
// while the session lives: a wrong password, a wrong or used code, or an
// account that is locked.
var ErrStepUpFailed = errors.New("the password or code is wrong, or the account is locked")

// StepUpProof is what the user typed on the confirmation page. Code is a
// TOTP code, RecoveryCode one of their recovery codes; one of them is
// needed when the user has a confirmed TOTP.
type StepUpProof struct {
	Password, Code, RecoveryCode string
}

// stepUpEvent is an audit event of a step-up of user r.
func stepUpEvent(tenantID string, r *loginRow, requestID, outcome, purpose string) audit.Event {
	return audit.Event{TenantID: tenantID, Actor: audit.Actor{Kind: audit.KindUser, ID: r.id, Role: r.role, RequestID: requestID},
		Action: "stepup." + outcome, ObjectType: "user", ObjectID: r.id, Subject: r.id, Outcome: outcome, Purpose: purpose}
}

// StepUp checks the password (and second factor) of the user of a live
// session of tenantID and, when right, records the proof in the session
// (reauth_at), audited as "stepup.success". Failures are counted like
// login failures, with the same atomic reservation as Login and the same
// lockout policy: each is audited as "stepup.failure" with the reason;
// wrong codes count on the second factor's own counter (see VerifyTOTP).
// A lock that starts here also ends the session: whoever holds it does not
// know the password. Errors: ErrStepUpFailed for a refusal while the
// session lives; ErrSessionInvalid when the session is not (or no longer)
// live; other errors are internal.
func (db *DB) StepUp(ctx context.Context, tenantID, token string, proof StepUpProof, hasher *password.Hasher,
	policy account.LockoutPolicy, requestID string) error {
	if err := db.requireKeys(); err != nil {
		return err
	}
	policy = policy.Normalize()
	idHash := sessionHash(token)
	sessionUser := func(tx *Tx) (string, error) {
		var userID string
		now := micros(db.now())
		err := tx.queryRow(`SELECT user_id FROM sessions WHERE id_hash = $1 AND tenant_id = $2 AND `+bindNow(liveSession, "$3"),
			idHash, tenantID, now).Scan(&userID)
		if errors.Is(err, sql.ErrNoRows) {
			return "", ErrSessionInvalid
		}
		return userID, err
	}
	endSession := func(tx *Tx) error {
		_, err := tx.exec(`UPDATE sessions SET revoked_at = $1 WHERE id_hash = $2 AND tenant_id = $3 AND revoked_at IS NULL`,
			micros(db.now()), idHash, tenantID)
		return err
	}

	// 1. Reserve the attempt, as Login does.
	var row loginRow
	var refused bool
	err := db.write(ctx, func(tx *Tx) error {
		refused = false
		userID, err := sessionUser(tx)
		if err != nil {
			return err
		}
		if row, err = tx.loginRowByID(tenantID, userID); err != nil {
			return err
		}
		if row.status != account.StatusActive {
			return ErrSessionInvalid
		}
		now := fromMicros(micros(db.now()))
		next, d := policy.Reserve(row.lock, now)
		if next != row.lock {
			if err := tx.saveLock(tenantID, row.id, next); err != nil {
				return err
			}
		}
		switch d {
		case account.Refuse, account.Wait:
			// Locked, or attempts in flight could use up the window's
			// failures: a step-up does not wait for them.
			refused = true
			return tx.appendAudit(stepUpEvent(tenantID, &row, requestID, audit.OutcomeFailure, "step-up: account locked"))
		case account.LockNow:
			if err := tx.appendAudit(stepUpEvent(tenantID, &row, requestID, audit.OutcomeFailure, "step-up: account locked")); err != nil {
				return err
			}
			if err := tx.lockStarted(tenantID, &row, requestID, next); err != nil {
				return err
			}
			if err := endSession(tx); err != nil {
				return err
			}
			return keep(ErrSessionInvalid)
		}
		return nil
	})
	if errors.Is(err, ErrSessionInvalid) {
		return ErrSessionInvalid
	}
	if err != nil {
		return fmt.Errorf("step-up: %w", err)
	}
	if refused {
		hasher.DummyVerify(ctx)
		return ErrStepUpFailed
	}

	// 2. Check the password outside the writer.
	ok, _, verr := hasher.Verify(ctx, proof.Password, row.hash)
	purpose := ""
	switch {
	case errors.Is(verr, password.ErrMalformedHash):
		purpose = "step-up: stored password hash unreadable"
		hasher.DummyVerify(ctx)
	case verr != nil:
		// No outcome: the attempt leaves flight without counting.
		_ = db.write(context.WithoutCancel(ctx), func(tx *Tx) error {
			r, err := tx.loginRowByID(tenantID, row.id)
			if err != nil {
				return err
			}
			return tx.saveLock(tenantID, r.id, policy.Release(r.lock))
		})
		return fmt.Errorf("step-up: %w", verr)
	case !ok:
		purpose = "step-up: wrong password"
	}

	// 3. Record the password's outcome.
	var hasTOTP bool
	err = db.write(ctx, func(tx *Tx) error {
		r, err := tx.loginRowByID(tenantID, row.id)
		if err != nil {
			return err
		}
		now := fromMicros(micros(db.now()))
		if purpose != "" {
			if err := tx.appendAudit(stepUpEvent(tenantID, &r, requestID, audit.OutcomeFailure, purpose)); err != nil {
				return err
			}
			next, locked := policy.Fail(r.lock, now)
			if err := tx.saveLock(tenantID, r.id, next); err != nil {
				return err
			}
			if !locked {
				return keep(ErrStepUpFailed)
			}
			if err := tx.lockStarted(tenantID, &r, requestID, next); err != nil {
				return err
			}
			if err := endSession(tx); err != nil {
				return err
			}
			return keep(ErrSessionInvalid)
		}
		// Locked, disabled or given a new password meanwhile: the change wins.
		if r.status != account.StatusActive || r.lock.Locked(now) || r.hash != row.hash {
			if err := tx.saveLock(tenantID, r.id, policy.Release(r.lock)); err != nil {
				return err
			}
			if err := tx.appendAudit(stepUpEvent(tenantID, &r, requestID, audit.OutcomeFailure, "step-up: account locked")); err != nil {
				return err
			}
			return keep(ErrStepUpFailed)
		}
		if err := tx.saveLock(tenantID, r.id, policy.Succeed(r.lock)); err != nil {
			return err
		}
		if err := tx.queryRow(`SELECT count(*) > 0 FROM mfa_totp WHERE tenant_id = $1 AND user_id = $2 AND confirmed_at IS NOT NULL`,
			tenantID, r.id).Scan(&hasTOTP); err != nil {
			return err
		}
		if hasTOTP {
			return nil // the second factor comes next
		}
		return tx.stepUpDone(tenantID, idHash, &r, requestID, "step-up: password")
	})
	switch {
	case errors.Is(err, ErrSessionInvalid):
		return ErrSessionInvalid
	case errors.Is(err, ErrStepUpFailed):
		return ErrStepUpFailed
	case err != nil:
		return fmt.Errorf("step-up: %w", err)
	case !hasTOTP:
		return nil
	}

	// 4. The second factor, counted and audited as at login.
	how := "step-up: password and TOTP code"
	if rc := strings.TrimSpace(proof.RecoveryCode); rc != "" {
		how = "step-up: password and recovery code"
		err = db.UseRecoveryCode(ctx, tenantID, row.id, rc, requestID)
	} else {
		err = db.VerifyTOTP(ctx, tenantID, row.id, proof.Code, requestID)
	}
	if errors.Is(err, ErrMFAFailed) {
		err = db.write(ctx, func(tx *Tx) error {
			return tx.appendAudit(stepUpEvent(tenantID, &row, requestID, audit.OutcomeFailure, "step-up: second factor refused"))
		})
		if err != nil {
			return fmt.Errorf("step-up: %w", err)
		}
		return ErrStepUpFailed
	}
	if err != nil {
		return fmt.Errorf("step-up: %w", err)
	}
	err = db.write(ctx, func(tx *Tx) error { return tx.stepUpDone(tenantID, idHash, &row, requestID, how) })
	if errors.Is(err, ErrSessionInvalid) {
		return ErrSessionInvalid
	}
	if err != nil {
		return fmt.Errorf("step-up: %w", err)
	}
	return nil
}

// stepUpDone records a successful step-up in the session, if it still
// lives.
func (tx *Tx) stepUpDone(tenantID string, idHash []byte, r *loginRow, requestID, how string) error {
	now := micros(tx.db.now())
	res, err := tx.exec(`UPDATE sessions SET reauth_at = $1 WHERE id_hash = $2 AND tenant_id = $3 AND user_id = $4 AND `+
		bindNow(liveSession, "$1"), now, idHash, tenantID, r.id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return ErrSessionInvalid
	}
	return tx.appendAudit(stepUpEvent(tenantID, r, requestID, audit.OutcomeSuccess, how))
}

// StepUpFresh reports whether a session's last proof of credentials is at
// most maxAge old at the store's clock.
func (db *DB) StepUpFresh(info SessionInfo, maxAge time.Duration) bool {
	return db.now().Sub(info.ReauthAt) <= maxAge
}
