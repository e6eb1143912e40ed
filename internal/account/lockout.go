package account

import (
	"errors"
	"time"
)

// ErrLoginFailed is the one answer to a login that does not succeed:
// unknown e-mail address, wrong password, an invited or disabled account
// and a locked account all look the same from outside (ASVS 6.3.8, no
// account enumeration).
var ErrLoginFailed = errors.New("e-mail address or password is wrong, or the account is locked")

// LockoutPolicy is how an account is locked after failed logins (contract
// USR-6, ASVS 6.3.1). MaxFailures failures within Window lock the account;
// the n-th lock lasts Locks[n-1] (the last entry repeats). Once the account
// has been locked AdminUnlockAfter times, the next lock lasts until an admin
// unlocks it.
type LockoutPolicy struct {
	MaxFailures      int
	Window           time.Duration
	Locks            []time.Duration
	AdminUnlockAfter int
}

// DefaultLockout is the platform default: 5 failures in 15 minutes lock the
// account for 15, then 30, then 60 minutes; after those 3 locks an admin
// must unlock it.
var DefaultLockout = LockoutPolicy{
	MaxFailures:      5,
	Window:           15 * time.Minute,
	Locks:            []time.Duration{15 * time.Minute, 30 * time.Minute, 60 * time.Minute},
	AdminUnlockAfter: 3,
}

// Normalize fills zero fields from DefaultLockout.
func (p LockoutPolicy) Normalize() LockoutPolicy {
	if p.MaxFailures <= 0 {
		p.MaxFailures = DefaultLockout.MaxFailures
	}
	if p.Window <= 0 {
		p.Window = DefaultLockout.Window
	}
	if len(p.Locks) == 0 {
		p.Locks = DefaultLockout.Locks
	}
	if p.AdminUnlockAfter <= 0 {
		p.AdminUnlockAfter = DefaultLockout.AdminUnlockAfter
	}
	return p
}

// LockState is an account's failure and lock bookkeeping as stored.
//
// Failures counts the evaluated attempts that failed in the current window;
// InFlight counts the attempts reserved but not yet evaluated. Reserve lets
// an attempt be evaluated only while Failures + InFlight stays below
// MaxFailures, and makes the others wait: that is what keeps the counting
// atomic under concurrency (however many attempts arrive at once, at most
// MaxFailures passwords are checked before the lock holds) without counting
// an attempt as a failure before it failed, so that many correct logins at
// once never lock an account.
type LockState struct {
	Failures      int
	FirstFailure  time.Time // start of the window; zero when Failures is 0
	LockedUntil   time.Time // zero when never locked
	Locks         int       // locks since the last success or unlock
	NeedsAdmin    bool      // locked until an admin unlocks
	InFlight      int       // attempts reserved, not yet evaluated
	InFlightSince time.Time // when the latest attempt was reserved; zero when InFlight is 0
}

// InFlightTTL is how long a reserved attempt may stay unevaluated before
// Reserve forgets it: a node that died while checking a password must not
// block the account for ever. It is far longer than any password check.
const InFlightTTL = 2 * time.Minute

// Locked reports whether s refuses logins at now.
func (s LockState) Locked(now time.Time) bool {
	return s.NeedsAdmin || now.Before(s.LockedUntil)
}

// Decision is what Reserve decides about a login attempt.
type Decision int

// The decisions of Reserve.
const (
	// Evaluate: the attempt is reserved (in flight); check the password.
	Evaluate Decision = iota
	// Refuse: the account is locked; do not check the password.
	Refuse
	// LockNow: the window's failures are used up; a lock starts now and
	// the password is not checked.
	LockNow
	// Wait: attempts in flight may still use up the window's failures; try
	// to reserve again once one of them has been evaluated.
	Wait
)

// inWindow reports whether s's failures still count at now.
func (p LockoutPolicy) inWindow(s LockState, now time.Time) bool {
	return s.Failures > 0 && now.Before(s.FirstFailure.Add(p.Window))
}

// Reserve decides, before any password is checked, whether an attempt at
// now may be evaluated, and returns the state to store. Run it and store
// its result atomically (in one write with the account row). An Evaluate
// must be followed by exactly one Fail or Succeed (or Release).
func (p LockoutPolicy) Reserve(s LockState, now time.Time) (LockState, Decision) {
	p = p.Normalize()
	if s.Locked(now) {
		return s, Refuse
	}
	if !p.inWindow(s, now) {
		s.Failures, s.FirstFailure = 0, time.Time{} // a fresh window
	}
	if s.InFlight > 0 && !now.Before(s.InFlightSince.Add(InFlightTTL)) {
		s.InFlight, s.InFlightSince = 0, time.Time{} // abandoned attempts
	}
	if s.Failures >= p.MaxFailures {
		return p.lock(s, now), LockNow
	}
	if s.Failures+s.InFlight >= p.MaxFailures {
		return s, Wait
	}
	s.InFlight++
	s.InFlightSince = now
	return s, Evaluate
}

// Release ends an in-flight attempt without an outcome.
func (p LockoutPolicy) Release(s LockState) LockState {
	s.InFlight = max(0, s.InFlight-1)
	if s.InFlight == 0 {
		s.InFlightSince = time.Time{}
	}
	return s
}

// Fail records that an evaluated attempt failed: it leaves flight and
// counts as a failure of the window, and a lock starts when the window's
// failures are used up and no lock holds yet. locked reports whether a
// lock started.
func (p LockoutPolicy) Fail(s LockState, now time.Time) (next LockState, locked bool) {
	p = p.Normalize()
	s = p.Release(s)
	if s.Locked(now) {
		return s, false
	}
	if !p.inWindow(s, now) {
		s.Failures, s.FirstFailure = 0, now
	}
	s.Failures++
	if s.Failures < p.MaxFailures {
		return s, false
	}
	return p.lock(s, now), true
}

// Succeed returns the state after a successful login: failures and locks
// cleared; other attempts still in flight stay counted.
func (p LockoutPolicy) Succeed(s LockState) LockState {
	s = p.Release(s)
	return LockState{InFlight: s.InFlight, InFlightSince: s.InFlightSince}
}

// lock starts the next lock: timed from the escalation ladder while
// AdminUnlockAfter locks have not yet happened, else until an admin
// unlocks. The window's failures are cleared.
func (p LockoutPolicy) lock(s LockState, now time.Time) LockState {
	if s.Locks >= p.AdminUnlockAfter {
		s.NeedsAdmin = true
	} else {
		d := p.Locks[min(s.Locks, len(p.Locks)-1)]
		s.LockedUntil = now.Add(d)
	}
	s.Locks++
	s.Failures, s.FirstFailure = 0, time.Time{}
	return s
}
