package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/password"
)

// Purposes of the "login.failure" events: why the login failed, for the
// tenant's admins. The visitor is told none of this.
const (
	LoginFailureUnknown   = "login: unknown e-mail address"
	LoginFailureInactive  = "login: account not active"
	LoginFailureLocked    = "login: account locked"
	LoginFailurePassword  = "login: wrong password"
	LoginFailureBusy      = "login: too many attempts at once"
	loginFailureMalformed = "login: stored password hash unreadable"
)

// LoginOption adjusts a Login.
type LoginOption func(*loginConfig)

type loginConfig struct {
	hint     string
	sessions SessionPolicy
}

// WithUserAgentHint records the browser family ("Firefox on Linux") with
// the new session, for the user's list of sessions. Never pass the full
// User-Agent header.
func WithUserAgentHint(hint string) LoginOption {
	return func(c *loginConfig) { c.hint = hint }
}

// WithSessionPolicy sets the tenant's session lifetimes (zero fields: the
// defaults).
func WithSessionPolicy(p SessionPolicy) LoginOption {
	return func(c *loginConfig) { c.sessions = p }
}

// loginRow is what a login needs of a user row.
type loginRow struct {
	id, role, status, hash string
	lock                   account.LockState
}

const loginColumns = `id, role, status, password_hash, failed_count, first_failure_at, locked_until, lock_count, needs_admin_unlock,
	login_inflight, login_inflight_at`

func scanLoginRow(row interface{ Scan(...any) error }) (loginRow, error) {
	var r loginRow
	var first, until, inflightAt sql.NullInt64
	var needsAdmin int
	if err := row.Scan(&r.id, &r.role, &r.status, &r.hash, &r.lock.Failures, &first, &until, &r.lock.Locks, &needsAdmin,
		&r.lock.InFlight, &inflightAt); err != nil {
		return r, err
	}
	if inflightAt.Valid {
		r.lock.InFlightSince = fromMicros(inflightAt.Int64)
	}
	if first.Valid {
		r.lock.FirstFailure = fromMicros(first.Int64)
	}
	if until.Valid {
		r.lock.LockedUntil = fromMicros(until.Int64)
	}
	r.lock.NeedsAdmin = needsAdmin != 0
	return r, nil
}

// forUpdate locks the row read on PostgreSQL, where writers of other nodes
// may run at the same time; SQLite's writer holds the database lock.
func (tx *Tx) forUpdate() string {
	if tx.db.dialect == Postgres {
		return ` FOR UPDATE`
	}
	return ``
}

func (tx *Tx) loginRowByIndex(tenantID string, index []byte) (loginRow, error) {
	return scanLoginRow(tx.queryRow(`SELECT `+loginColumns+` FROM users WHERE tenant_id = $1 AND email_index = $2`+tx.forUpdate(),
		tenantID, index))
}

func (tx *Tx) loginRowByID(tenantID, userID string) (loginRow, error) {
	return scanLoginRow(tx.queryRow(`SELECT `+loginColumns+` FROM users WHERE tenant_id = $1 AND id = $2`+tx.forUpdate(),
		tenantID, userID))
}

func nullMicros(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return micros(t)
}

// saveLock stores a user's lock state.
func (tx *Tx) saveLock(tenantID, userID string, s account.LockState) error {
	needsAdmin := 0
	if s.NeedsAdmin {
		needsAdmin = 1
	}
	_, err := tx.exec(`UPDATE users SET failed_count = $1, first_failure_at = $2, locked_until = $3, lock_count = $4,
		needs_admin_unlock = $5, login_inflight = $6, login_inflight_at = $7 WHERE tenant_id = $8 AND id = $9`,
		s.Failures, nullMicros(s.FirstFailure), nullMicros(s.LockedUntil), s.Locks, needsAdmin, s.InFlight,
		nullMicros(s.InFlightSince), tenantID, userID)
	return err
}

// loginEvent is an audit event of a login attempt. The e-mail address and
// the password never appear in it.
func loginEvent(tenantID string, r *loginRow, requestID, action, outcome, purpose string) audit.Event {
	actor := audit.Actor{Kind: audit.KindUser, ID: "anonymous", RequestID: requestID}
	e := audit.Event{TenantID: tenantID, Action: action, ObjectType: "user", Outcome: outcome, Purpose: purpose}
	if r != nil {
		actor.ID, actor.Role = r.id, r.role
		e.ObjectID, e.Subject = r.id, r.id
	}
	e.Actor = actor
	return e
}

// Login checks an e-mail address and password for a tenant and, when they
// match an active, unlocked account, opens a session (contract USR-6, ASVS
// 5.0 V6.3). Every refusal is the same account.ErrLoginFailed: unknown
// address, wrong password, invited, disabled or locked account (no
// enumeration), and each spends one password verification so that the time
// taken does not tell them apart either. Other errors are internal.
//
// Failure counting is atomic without holding a transaction across the
// (slow) password check: a first write reserves the attempt (policy.Reserve
// puts it in flight), refusing it when the account is locked; the check
// runs outside the writer; a second write records the outcome: a success
// clears the failures, a failure counts and may start a lock (policy.Fail).
// An attempt may be evaluated only while the window's failures plus the
// attempts in flight stay below policy.MaxFailures; the others wait (on
// this node's outcomes, or polling for other nodes') and reserve again.
// So however many attempts arrive at once, at most policy.MaxFailures
// passwords are checked before the lock holds, and many correct logins at
// once all succeed: only evaluated failures count. An attempt that waits
// longer than loginMaxWait is refused (LoginFailureBusy) without counting.
//
// Audited in the tenant's log with requestID: "login.success",
// "login.failure" (outcome failure, the reason in Purpose) and
// "login.locked" when a lock starts. On success the session token is
// returned once; only its hash is stored. A password hashed with other
// parameters than hasher's is rehashed.
func (db *DB) Login(ctx context.Context, tenantID, email, pw string, hasher *password.Hasher, policy account.LockoutPolicy,
	requestID string, opts ...LoginOption) (account.User, SessionToken, error) {
	if err := db.requireKeys(); err != nil {
		return account.User{}, "", err
	}
	cfg := loginOptions(opts)
	policy = policy.Normalize()
	index, err := db.emailIndex(tenantID, email)
	if err != nil {
		return account.User{}, "", fmt.Errorf("login: %w", err)
	}

	// 1. Reserve the attempt, waiting while attempts in flight could still
	// use up the window's failures.
	var (
		row      loginRow
		found    bool
		decision account.Decision
	)
	waitKey := tenantID + "\x00" + string(index)
	deadline := time.Now().Add(loginMaxWait)
	for pause := loginPollMin; ; pause = min(2*pause, loginPollMax) {
		woken := db.loginWaits.wait(waitKey)
		err = db.write(ctx, func(tx *Tx) error {
			found = false
			r, err := tx.loginRowByIndex(tenantID, index)
			if errors.Is(err, sql.ErrNoRows) {
				return nil
			}
			if err != nil {
				return err
			}
			row, found = r, true
			if r.status != account.StatusActive {
				return nil
			}
			now := fromMicros(micros(db.now()))
			next, d := policy.Reserve(r.lock, now)
			decision = d
			if next != r.lock {
				if err := tx.saveLock(tenantID, r.id, next); err != nil {
					return err
				}
			}
			if d == account.LockNow {
				return tx.lockStarted(tenantID, &r, requestID, next)
			}
			return nil
		})
		if err != nil {
			return account.User{}, "", fmt.Errorf("login: %w", err)
		}
		if !found || row.status != account.StatusActive || decision != account.Wait {
			break
		}
		if !time.Now().Before(deadline) {
			break // refused below as busy
		}
		timer := time.NewTimer(pause)
		select {
		case <-woken:
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
			return account.User{}, "", fmt.Errorf("login: %w", ctx.Err())
		}
		timer.Stop()
	}
	reserved := found && row.status == account.StatusActive && decision == account.Evaluate
	if reserved || decision == account.LockNow {
		// However this attempt ends, attempts waiting for it may go on.
		defer db.loginWaits.wake(waitKey)
	}

	// 2. Check the password, or spend the same time not checking it.
	var purpose string
	switch {
	case !found:
		purpose = LoginFailureUnknown
	case row.status != account.StatusActive:
		purpose = LoginFailureInactive
	case decision == account.Wait:
		purpose = LoginFailureBusy
	case decision != account.Evaluate:
		purpose = LoginFailureLocked
	}
	ok, needsRehash := false, false
	var cancelled error
	if purpose != "" {
		hasher.DummyVerify(ctx)
	} else {
		var verr error
		ok, needsRehash, verr = hasher.Verify(ctx, pw, row.hash)
		switch {
		case errors.Is(verr, password.ErrMalformedHash):
			purpose = loginFailureMalformed
			hasher.DummyVerify(ctx) // Verify returned without hashing
		case verr != nil:
			// Cancelled while waiting for a hashing slot: count the
			// attempt as a failure, which errs on the safe side.
			ctx = context.WithoutCancel(ctx)
			purpose, cancelled = LoginFailurePassword, verr
		case !ok:
			purpose = LoginFailurePassword
		}
	}
	var newHash string
	if ok && needsRehash {
		if h, err := hasher.Hash(ctx, pw); err == nil {
			newHash = h
		}
	}

	// 3. Record the outcome.
	if !ok {
		err = db.write(ctx, func(tx *Tx) error {
			if !found {
				return tx.appendAudit(loginEvent(tenantID, nil, requestID, "login.failure", audit.OutcomeFailure, purpose))
			}
			r, err := tx.loginRowByID(tenantID, row.id)
			if err != nil {
				return err
			}
			if err := tx.appendAudit(loginEvent(tenantID, &r, requestID, "login.failure", audit.OutcomeFailure, purpose)); err != nil {
				return err
			}
			if !reserved {
				return nil
			}
			now := fromMicros(micros(db.now()))
			next, locked := policy.Fail(r.lock, now)
			if err := tx.saveLock(tenantID, r.id, next); err != nil {
				return err
			}
			if !locked {
				return nil
			}
			return tx.lockStarted(tenantID, &r, requestID, next)
		})
		if err != nil {
			return account.User{}, "", fmt.Errorf("login: %w", err)
		}
		if cancelled != nil {
			return account.User{}, "", fmt.Errorf("login: %w", cancelled)
		}
		return account.User{}, "", account.ErrLoginFailed
	}

	token, idHash, err := newSessionToken()
	if err != nil {
		// Release the reservation before giving up.
		_ = db.write(context.WithoutCancel(ctx), func(tx *Tx) error {
			r, err := tx.loginRowByID(tenantID, row.id)
			if err != nil {
				return err
			}
			return tx.saveLock(tenantID, r.id, policy.Release(r.lock))
		})
		return account.User{}, "", fmt.Errorf("login: %w", err)
	}
	var u account.User
	err = db.write(ctx, func(tx *Tx) error {
		r, err := tx.loginRowByID(tenantID, row.id)
		if err != nil {
			return err
		}
		now := fromMicros(micros(db.now()))
		// Locked, disabled or given a new password while the password was
		// being checked: the lock (or the change) wins.
		if r.status != account.StatusActive || r.lock.Locked(now) || r.hash != row.hash {
			if err := tx.saveLock(tenantID, r.id, policy.Release(r.lock)); err != nil {
				return err
			}
			if err := tx.appendAudit(loginEvent(tenantID, &r, requestID, "login.failure", audit.OutcomeFailure,
				LoginFailureLocked)); err != nil {
				return err
			}
			return keep(account.ErrLoginFailed)
		}
		if err := tx.saveLock(tenantID, r.id, policy.Succeed(r.lock)); err != nil {
			return err
		}
		if newHash != "" {
			if _, err := tx.exec(`UPDATE users SET password_hash = $1 WHERE tenant_id = $2 AND id = $3`, newHash, tenantID, r.id); err != nil {
				return err
			}
		}
		if u, err = tx.openSession(tenantID, r.id, idHash, now, cfg, false); err != nil {
			return err
		}
		return tx.appendAudit(loginEvent(tenantID, &r, requestID, "login.success", audit.OutcomeSuccess, "login"))
	})
	if errors.Is(err, account.ErrLoginFailed) {
		return account.User{}, "", account.ErrLoginFailed
	}
	if err != nil {
		return account.User{}, "", fmt.Errorf("login: %w", err)
	}
	return u, token, nil
}

// How long a login attempt waits for an account's attempts in flight, and
// how often it looks again when no outcome on this node wakes it (the
// attempts in flight may be on another node).
const (
	loginMaxWait = 30 * time.Second
	loginPollMin = 10 * time.Millisecond
	loginPollMax = 250 * time.Millisecond
)

// loginWaits lets login attempts of one account wait for the outcome of
// the attempts in flight on this node. The zero value is ready to use.
type loginWaits struct {
	mu sync.Mutex
	ch map[string]chan struct{}
}

// wait returns a channel closed by the next wake of key. Take it before
// reading the account, so that an outcome between the read and the wait is
// not missed.
func (w *loginWaits) wait(key string) <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ch == nil {
		w.ch = map[string]chan struct{}{}
	}
	c, ok := w.ch[key]
	if !ok {
		c = make(chan struct{})
		w.ch[key] = c
	}
	return c
}

// wake wakes every attempt waiting on key.
func (w *loginWaits) wake(key string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if c, ok := w.ch[key]; ok {
		close(c)
		delete(w.ch, key)
	}
}

func lockPurpose(s account.LockState) string {
	if s.NeedsAdmin {
		return fmt.Sprintf("lockout: lock %d, until an admin unlocks", s.Locks)
	}
	return fmt.Sprintf("lockout: lock %d, until %s", s.Locks, s.LockedUntil.Format(time.RFC3339))
}

// UserLockState returns a user's failure and lock bookkeeping, for the
// admin pages. ErrNotFound for a user not in tenantID.
func (db *DB) UserLockState(ctx context.Context, tenantID, userID string) (account.LockState, error) {
	r, err := scanLoginRow(db.sql.QueryRowContext(ctx, `SELECT `+loginColumns+` FROM users WHERE tenant_id = $1 AND id = $2`,
		tenantID, userID))
	if errors.Is(err, sql.ErrNoRows) {
		return account.LockState{}, ErrNotFound
	}
	if err != nil {
		return account.LockState{}, fmt.Errorf("lock state: %w", err)
	}
	return r.lock, nil
}

// Unlock clears a user's failures and locks, also a lock that only an
// admin may lift, audited as "user.unlock". When a lock held, the user and
// the tenant's other admins are told by mail. The handler checks that
// actor may manage users. ErrNotFound for a user not in tenantID.
func (db *DB) Unlock(ctx context.Context, actor audit.Actor, tenantID, userID string) error {
	err := db.write(ctx, func(tx *Tx) error {
		r, err := tx.loginRowByID(tenantID, userID)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("user %q: %w", userID, ErrNotFound)
		} else if err != nil {
			return err
		}
		if err := tx.saveLock(tenantID, userID, account.LockState{}); err != nil {
			return err
		}
		if err := tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "user.unlock", ObjectType: "user",
			ObjectID: userID, Subject: userID, Purpose: "user management"}); err != nil {
			return err
		}
		if !r.lock.Locked(fromMicros(micros(db.now()))) {
			return nil
		}
		if err := tx.notifyUser(tenantID, userID, noticeUnlocked, actor); err != nil {
			return err
		}
		return tx.notifyAdmins(tenantID, userID, noticeAdminUnlocked, actor)
	})
	if err != nil {
		return fmt.Errorf("unlock: %w", err)
	}
	return nil
}
