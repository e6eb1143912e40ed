package account

import (
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 2, 9, 30, 0, 0, time.UTC)

func TestLockoutReserve(t *testing.T) {
	p := DefaultLockout
	tests := []struct {
		name     string
		in       LockState
		now      time.Time
		want     Decision
		wantNext LockState
	}{
		{"first attempt opens a window", LockState{}, t0, Evaluate, LockState{Failures: 1, FirstFailure: t0}},
		{"fourth failure in window", LockState{Failures: 3, FirstFailure: t0}, t0.Add(time.Minute), Evaluate,
			LockState{Failures: 4, FirstFailure: t0}},
		{"fifth attempt still evaluated", LockState{Failures: 4, FirstFailure: t0}, t0.Add(time.Minute), Evaluate,
			LockState{Failures: 5, FirstFailure: t0}},
		{"sixth attempt in window locks", LockState{Failures: 5, FirstFailure: t0}, t0.Add(time.Minute), LockNow,
			LockState{LockedUntil: t0.Add(16 * time.Minute), Locks: 1}},
		{"window passed: counting starts again", LockState{Failures: 5, FirstFailure: t0}, t0.Add(15 * time.Minute), Evaluate,
			LockState{Failures: 1, FirstFailure: t0.Add(15 * time.Minute)}},
		{"locked refuses", LockState{LockedUntil: t0.Add(time.Minute), Locks: 1}, t0, Refuse,
			LockState{LockedUntil: t0.Add(time.Minute), Locks: 1}},
		{"lock over", LockState{LockedUntil: t0, Locks: 1}, t0, Evaluate,
			LockState{Failures: 1, FirstFailure: t0, LockedUntil: t0, Locks: 1}},
		{"second lock lasts 30 min", LockState{Failures: 5, FirstFailure: t0, Locks: 1}, t0, LockNow,
			LockState{LockedUntil: t0.Add(30 * time.Minute), Locks: 2}},
		{"third lock lasts 60 min", LockState{Failures: 5, FirstFailure: t0, Locks: 2}, t0, LockNow,
			LockState{LockedUntil: t0.Add(60 * time.Minute), Locks: 3}},
		{"after three locks an admin must unlock", LockState{Failures: 5, FirstFailure: t0, Locks: 3}, t0, LockNow,
			LockState{Locks: 4, NeedsAdmin: true}},
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
	tests := []struct {
		name       string
		in         LockState
		now        time.Time
		wantLocked bool
		wantNext   LockState
	}{
		{"below the limit", LockState{Failures: 4, FirstFailure: t0}, t0, false, LockState{Failures: 4, FirstFailure: t0}},
		{"fifth failure locks 15 min", LockState{Failures: 5, FirstFailure: t0}, t0.Add(time.Minute), true,
			LockState{LockedUntil: t0.Add(16 * time.Minute), Locks: 1}},
		{"already locked: no second lock", LockState{LockedUntil: t0.Add(time.Minute), Locks: 1}, t0, false,
			LockState{LockedUntil: t0.Add(time.Minute), Locks: 1}},
		{"window passed", LockState{Failures: 5, FirstFailure: t0}, t0.Add(15 * time.Minute), false,
			LockState{Failures: 5, FirstFailure: t0}},
		{"fourth lock needs an admin", LockState{Failures: 5, FirstFailure: t0, Locks: 3}, t0, true,
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
	if got := p.Succeed(LockState{Failures: 3, Locks: 2}); got != (LockState{}) {
		t.Fatalf("Succeed = %+v", got)
	}
}

func TestLockoutPolicyNormalize(t *testing.T) {
	got := LockoutPolicy{MaxFailures: 3}.Normalize()
	if got.MaxFailures != 3 || got.Window != 15*time.Minute || len(got.Locks) != 3 || got.AdminUnlockAfter != 3 {
		t.Fatalf("Normalize = %+v", got)
	}
	// A custom ladder shorter than AdminUnlockAfter repeats its last step.
	p := LockoutPolicy{MaxFailures: 1, Window: time.Minute, Locks: []time.Duration{time.Minute}, AdminUnlockAfter: 5}
	s, _ := p.Reserve(LockState{Failures: 1, FirstFailure: t0, Locks: 3}, t0)
	if s.LockedUntil != t0.Add(time.Minute) || s.NeedsAdmin {
		t.Fatalf("repeated step: %+v", s)
	}
}
