package account

import (
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 2, 9, 30, 0, 0, time.UTC)

func TestLockoutReserve(t *testing.T) {
	p := DefaultLockout
	t1 := t0.Add(time.Minute)
	tests := []struct {
		name     string
		in       LockState
		now      time.Time
		want     Decision
		wantNext LockState
	}{
		{"first attempt goes in flight", LockState{}, t0, Evaluate, LockState{InFlight: 1, InFlightSince: t0}},
		{"failures are not counted before they fail", LockState{Failures: 3, FirstFailure: t0}, t1, Evaluate,
			LockState{Failures: 3, FirstFailure: t0, InFlight: 1, InFlightSince: t1}},
		{"the last failure of the window may be evaluated", LockState{Failures: 4, FirstFailure: t0}, t1, Evaluate,
			LockState{Failures: 4, FirstFailure: t0, InFlight: 1, InFlightSince: t1}},
		{"in-flight attempts could use up the window: wait", LockState{Failures: 3, FirstFailure: t0, InFlight: 2, InFlightSince: t0}, t1, Wait,
			LockState{Failures: 3, FirstFailure: t0, InFlight: 2, InFlightSince: t0}},
		{"five correct logins in flight: the sixth waits, nothing locks", LockState{InFlight: 5, InFlightSince: t0}, t1, Wait,
			LockState{InFlight: 5, InFlightSince: t0}},
		{"abandoned in-flight attempts are forgotten", LockState{InFlight: 5, InFlightSince: t0}, t0.Add(InFlightTTL), Evaluate,
			LockState{InFlight: 1, InFlightSince: t0.Add(InFlightTTL)}},
		{"failures used up without a lock: lock now", LockState{Failures: 5, FirstFailure: t0}, t1, LockNow,
			LockState{LockedUntil: t1.Add(15 * time.Minute), Locks: 1}},
		{"window passed: counting starts again", LockState{Failures: 4, FirstFailure: t0}, t0.Add(15 * time.Minute), Evaluate,
			LockState{InFlight: 1, InFlightSince: t0.Add(15 * time.Minute)}},
		{"locked refuses", LockState{LockedUntil: t0.Add(time.Minute), Locks: 1}, t0, Refuse,
			LockState{LockedUntil: t0.Add(time.Minute), Locks: 1}},
		{"lock over", LockState{LockedUntil: t0, Locks: 1}, t0, Evaluate,
			LockState{LockedUntil: t0, Locks: 1, InFlight: 1, InFlightSince: t0}},
		{"admin lock refuses for ever", LockState{Locks: 4, NeedsAdmin: true}, t0.Add(1000 * time.Hour), Refuse,
			LockState{Locks: 4, NeedsAdmin: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next, d := p.Reserve(tt.in, tt.now)
			if d != tt.want || next != tt.wantNext {
				t.Fatalf("Reserve = %+v, %v; want %+v, %v", next, d, tt.wantNext, tt.want)
			}
		})
	}
}

func TestLockoutFail(t *testing.T) {
	p := DefaultLockout
	fly := func(s LockState) LockState { s.InFlight, s.InFlightSince = 1, t0; return s }
	tests := []struct {
		name       string
		in         LockState
		now        time.Time
		wantLocked bool
		wantNext   LockState
	}{
		{"first failure opens the window", fly(LockState{}), t0, false, LockState{Failures: 1, FirstFailure: t0}},
		{"below the limit", fly(LockState{Failures: 3, FirstFailure: t0}), t0, false, LockState{Failures: 4, FirstFailure: t0}},
		{"fifth failure locks 15 min", fly(LockState{Failures: 4, FirstFailure: t0}), t0.Add(time.Minute), true,
			LockState{LockedUntil: t0.Add(16 * time.Minute), Locks: 1}},
		{"already locked: no second lock", fly(LockState{LockedUntil: t0.Add(time.Minute), Locks: 1}), t0, false,
			LockState{LockedUntil: t0.Add(time.Minute), Locks: 1}},
		{"window passed: a new window", fly(LockState{Failures: 4, FirstFailure: t0}), t0.Add(15 * time.Minute), false,
			LockState{Failures: 1, FirstFailure: t0.Add(15 * time.Minute)}},
		{"second lock lasts 30 min", fly(LockState{Failures: 4, FirstFailure: t0, Locks: 1}), t0, true,
			LockState{LockedUntil: t0.Add(30 * time.Minute), Locks: 2}},
		{"third lock lasts 60 min", fly(LockState{Failures: 4, FirstFailure: t0, Locks: 2}), t0, true,
			LockState{LockedUntil: t0.Add(60 * time.Minute), Locks: 3}},
		{"fourth lock needs an admin", fly(LockState{Failures: 4, FirstFailure: t0, Locks: 3}), t0, true,
			LockState{Locks: 4, NeedsAdmin: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next, locked := p.Fail(tt.in, tt.now)
			if locked != tt.wantLocked || next != tt.wantNext {
				t.Fatalf("Fail = %+v, %v; want %+v, %v", next, locked, tt.wantNext, tt.wantLocked)
			}
		})
	}
	if got := p.Succeed(LockState{Failures: 3, Locks: 2, InFlight: 1, InFlightSince: t0}); got != (LockState{}) {
		t.Fatalf("Succeed = %+v", got)
	}
	// Another attempt still in flight stays counted after a success.
	if got := p.Succeed(LockState{Failures: 3, InFlight: 2, InFlightSince: t0}); got != (LockState{InFlight: 1, InFlightSince: t0}) {
		t.Fatalf("Succeed with another in flight = %+v", got)
	}
}

func TestLockoutPolicyNormalize(t *testing.T) {
	got := LockoutPolicy{MaxFailures: 3}.Normalize()
	if got.MaxFailures != 3 || got.Window != 15*time.Minute || len(got.Locks) != 3 || got.AdminUnlockAfter != 3 {
		t.Fatalf("Normalize = %+v", got)
	}
	// A custom ladder shorter than AdminUnlockAfter repeats its last step.
	p := LockoutPolicy{MaxFailures: 1, Window: time.Minute, Locks: []time.Duration{time.Minute}, AdminUnlockAfter: 5}
	s, _ := p.Fail(LockState{Locks: 3, InFlight: 1, InFlightSince: t0}, t0)
	if s.LockedUntil != t0.Add(time.Minute) || s.NeedsAdmin {
		t.Fatalf("repeated step: %+v", s)
	}
}
