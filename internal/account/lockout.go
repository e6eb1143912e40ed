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
// Failures counts the attempts reserved in the current window: an attempt
// counts as a failure from the moment it is reserved, before its password
// is evaluated, and a success resets the count. That is what makes the
// counting atomic under concurrency: however many attempts arrive at once,
// only MaxFailures of them get their password evaluated.
type LockState struct {
	Failures     int
	FirstFailure time.Time // start of the window; zero when Failures is 0
	LockedUntil  time.Time // zero when never locked
	Locks        int       // locks since the last success or unlock
	NeedsAdmin   bool      // locked until an admin unlocks
}

// Locked reports whether s refuses logins at now.
func (s LockState) Locked(now time.Time) bool {
	return s.NeedsAdmin || now.Before(s.LockedUntil)
}

// Decision is what Reserve decides about a login attempt.
type Decision int

// The decisions of Reserve.
const (
	// Evaluate: the attempt is counted; check the password.
	Evaluate Decision = iota
	// Refuse: the account is locked; do not check the password.
	Refuse
	// LockNow: the window's failures are used up; a lock starts now and
	// the password is not checked.
	LockNow
)

// Reserve decides, before any password is checked, whether an attempt at
// now may be evaluated, and returns the state to store. Run it and store
// its result atomically (in one write with the account row).
func (p LockoutPolicy) Reserve(s LockState, now time.Time) (LockState, Decision) {
	p = p.Normalize()
	if s.Locked(now) {
		return s, Refuse
	}
	if s.Failures == 0 || !now.Before(s.FirstFailure.Add(p.Window)) {
		s.Failures, s.FirstFailure = 0, now // a fresh window
	}
	if s.Failures >= p.MaxFailures {
		return p.lock(s, now), LockNow
	}
	s.Failures++
	return s, Evaluate
}

// Fail records that an evaluated attempt failed: its failure was already
// counted by Reserve, so Fail only starts a lock when the window's
// failures are used up and no lock holds yet. locked reports whether a
// lock started.
func (p LockoutPolicy) Fail(s LockState, now time.Time) (next LockState, locked bool) {
	p = p.Normalize()
	if s.Locked(now) || s.Failures < p.MaxFailures || !now.Before(s.FirstFailure.Add(p.Window)) {
		return s, false
	}
	return p.lock(s, now), true
}

// Succeed returns the state after a successful login: counters and locks
// cleared.
func (p LockoutPolicy) Succeed(LockState) LockState { return LockState{} }

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
