// Package policy owns a tenant's security policy (contract USR-3, USR-6,
// USR-2; issue 3): password lengths and the breached-password check,
// lockout, the second factor's failure limit, session lifetimes and "MFA
// for everyone", with the platform's defaults, floors and ceilings and the
// validation of a tenant admin's choice. It is pure Go: it imports the
// standard library and the domain packages account, mfa and password only. The
// store keeps every version; web shows and edits it; login, sessions,
// activation, reset and the MFA gate apply it.
package policy

import (
	"fmt"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/mfa"
	"github.com/kluis/kluis/internal/password"
)

// Policy is a tenant's security policy. Durations are whole minutes (whole
// hours for Absolute).
type Policy struct {
	// Passwords (USR-3).
	PasswordMinLength int  // Unicode code points
	PasswordMaxLength int  // Unicode code points
	BreachCheck       bool // refuse new passwords found in the breached-password corpus (when the platform has one)

	// Lockout (USR-6).
	LockoutMaxFailures      int              // evaluated failures within LockoutWindow that lock the account
	LockoutWindow           time.Duration    //
	LockoutLocks            [3]time.Duration // the first, second and third (and later) lock
	LockoutAdminUnlockAfter int              // after this many locks, only an admin unlocks
	MFAMaxFailures          int              // wrong second-factor codes in a row that lock the second factor

	// Sessions (ASVS 7.3).
	SessionIdle      time.Duration // users
	SessionAdminIdle time.Duration // admins and DPOs
	SessionAbsolute  time.Duration // since login, whatever the activity

	// MFARequired makes the second factor compulsory for users too (admins
	// and DPOs always need one).
	MFARequired bool
}

// Default is the policy of a tenant that has set none.
var Default = Policy{
	PasswordMinLength:       password.DefaultMinLength,
	PasswordMaxLength:       password.DefaultMaxLength,
	BreachCheck:             true,
	LockoutMaxFailures:      account.DefaultLockout.MaxFailures,
	LockoutWindow:           account.DefaultLockout.Window,
	LockoutLocks:            [3]time.Duration{15 * time.Minute, 30 * time.Minute, 60 * time.Minute},
	LockoutAdminUnlockAfter: account.DefaultLockout.AdminUnlockAfter,
	MFAMaxFailures:          mfa.MaxFailures,
	SessionIdle:             30 * time.Minute,
	SessionAdminIdle:        15 * time.Minute,
	SessionAbsolute:         12 * time.Hour,
}

// Field names: the form's input names, the keys of ValidationError and
// the names in Diff.
const (
	FieldPasswordMinLength       = "password_min_length"
	FieldPasswordMaxLength       = "password_max_length"
	FieldBreachCheck             = "breach_check"
	FieldLockoutMaxFailures      = "lockout_max_failures"
	FieldLockoutWindow           = "lockout_window"
	FieldLockoutLock1            = "lockout_lock1"
	FieldLockoutLock2            = "lockout_lock2"
	FieldLockoutLock3            = "lockout_lock3"
	FieldLockoutAdminUnlockAfter = "lockout_admin_unlock_after"
	FieldMFAMaxFailures          = "mfa_max_failures"
	FieldSessionIdle             = "session_idle"
	FieldSessionAdminIdle        = "session_admin_idle"
	FieldSessionAbsolute         = "session_absolute"
	FieldMFARequired             = "mfa_required"
)

// Bound is the range a numeric field may take, in its Unit.
type Bound struct {
	Field    string
	Min, Max int
	Unit     time.Duration // 0 for counts and lengths; time.Minute or time.Hour for durations
}

// Bounds are the platform's floors and ceilings, in form order. Why these:
//   - password minimum 12–64 (default 15) and maximum 64–128 (default 128):
//     see package password (ASVS 6.2.1, 6.2.9; NIST SP 800-63B);
//   - 3–10 failures in a window of 5–60 minutes: fewer than 3 locks people
//     out over typos, more than 10 gives guessing too much room (ASVS 6.3.1);
//   - each lock 1–1440 minutes and never shorter than the one before; 1–10
//     locks before only an admin unlocks;
//   - 3–10 wrong second-factor codes in a row;
//   - idle timeout 5–60 minutes for users and 5–30 for admins and DPOs,
//     absolute lifetime 1–12 hours (ASVS 7.3.1, 7.3.2): a tenant may make
//     sessions shorter than the defaults, never longer than these ceilings.
var Bounds = []Bound{
	{FieldPasswordMinLength, password.MinLengthFloor, password.MinLengthCeiling, 0},
	{FieldPasswordMaxLength, password.MaxLengthFloor, password.MaxLengthCeiling, 0},
	{FieldLockoutMaxFailures, 3, 10, 0},
	{FieldLockoutWindow, 5, 60, time.Minute},
	{FieldLockoutLock1, 1, 1440, time.Minute},
	{FieldLockoutLock2, 1, 1440, time.Minute},
	{FieldLockoutLock3, 1, 1440, time.Minute},
	{FieldLockoutAdminUnlockAfter, 1, 10, 0},
	{FieldMFAMaxFailures, 3, 10, 0},
	{FieldSessionIdle, 5, 60, time.Minute},
	{FieldSessionAdminIdle, 5, 30, time.Minute},
	{FieldSessionAbsolute, 1, 12, time.Hour},
}

// BoundOf returns the bound of a numeric field.
func BoundOf(field string) (Bound, bool) {
	for _, b := range Bounds {
		if b.Field == field {
			return b, true
		}
	}
	return Bound{}, false
}

// Int returns a numeric field of p in its bound's unit (minutes, hours).
func (p Policy) Int(field string) int {
	var d time.Duration
	switch field {
	case FieldPasswordMinLength:
		return p.PasswordMinLength
	case FieldPasswordMaxLength:
		return p.PasswordMaxLength
	case FieldLockoutMaxFailures:
		return p.LockoutMaxFailures
	case FieldLockoutAdminUnlockAfter:
		return p.LockoutAdminUnlockAfter
	case FieldMFAMaxFailures:
		return p.MFAMaxFailures
	case FieldLockoutWindow:
		d = p.LockoutWindow
	case FieldLockoutLock1:
		d = p.LockoutLocks[0]
	case FieldLockoutLock2:
		d = p.LockoutLocks[1]
	case FieldLockoutLock3:
		d = p.LockoutLocks[2]
	case FieldSessionIdle:
		d = p.SessionIdle
	case FieldSessionAdminIdle:
		d = p.SessionAdminIdle
	case FieldSessionAbsolute:
		d = p.SessionAbsolute
	default:
		return 0
	}
	b, _ := BoundOf(field)
	return int(d / b.Unit)
}

// SetInt sets a numeric field of p from a value in its bound's unit.
func (p *Policy) SetInt(field string, v int) {
	b, _ := BoundOf(field)
	d := time.Duration(v) * b.Unit
	switch field {
	case FieldPasswordMinLength:
		p.PasswordMinLength = v
	case FieldPasswordMaxLength:
		p.PasswordMaxLength = v
	case FieldLockoutMaxFailures:
		p.LockoutMaxFailures = v
	case FieldLockoutAdminUnlockAfter:
		p.LockoutAdminUnlockAfter = v
	case FieldMFAMaxFailures:
		p.MFAMaxFailures = v
	case FieldLockoutWindow:
		p.LockoutWindow = d
	case FieldLockoutLock1:
		p.LockoutLocks[0] = d
	case FieldLockoutLock2:
		p.LockoutLocks[1] = d
	case FieldLockoutLock3:
		p.LockoutLocks[2] = d
	case FieldSessionIdle:
		p.SessionIdle = d
	case FieldSessionAdminIdle:
		p.SessionAdminIdle = d
	case FieldSessionAbsolute:
		p.SessionAbsolute = d
	}
}

// Message keys of the validation rules; the locale catalogues hold them.
const (
	RuleRange       = "policy.error.range"         // Args: min, max (in the field's unit)
	RuleNumber      = "policy.error.number"        // not a whole number (set by the form reader)
	RuleMinAboveMax = "policy.error.min_above_max" // the minimum length exceeds the maximum
	RuleLockOrder   = "policy.error.lock_order"    // a lock is shorter than the one before
)

// Violation is one field's problem: a message key and its arguments.
type Violation struct {
	Rule string
	Args []any
}

// ValidationError maps each invalid field to its problem.
type ValidationError struct{ Fields map[string]Violation }

func (e *ValidationError) Error() string {
	var parts []string
	for _, b := range Bounds {
		if v, ok := e.Fields[b.Field]; ok {
			parts = append(parts, b.Field+": "+v.Rule)
		}
	}
	return "invalid policy: " + strings.Join(parts, "; ")
}

// Validate checks every field against the platform bounds and the rules
// between fields, and reports all problems at once (nil when p is valid).
// A duration that is not a whole number of its unit is out of range.
func (p Policy) Validate() error {
	f := map[string]Violation{}
	for _, b := range Bounds {
		v := p.Int(b.Field)
		exact := true
		if b.Unit != 0 {
			exact = p.duration(b.Field)%b.Unit == 0
		}
		if v < b.Min || v > b.Max || !exact {
			f[b.Field] = Violation{RuleRange, []any{b.Min, b.Max}}
		}
	}
	if _, bad := f[FieldPasswordMinLength]; !bad && f[FieldPasswordMaxLength].Rule == "" &&
		p.PasswordMinLength > p.PasswordMaxLength {
		f[FieldPasswordMinLength] = Violation{RuleMinAboveMax, []any{p.PasswordMinLength, p.PasswordMaxLength}}
	}
	for i, field := range []string{FieldLockoutLock2, FieldLockoutLock3} {
		if _, bad := f[field]; !bad && p.LockoutLocks[i+1] < p.LockoutLocks[i] {
			f[field] = Violation{RuleLockOrder, nil}
		}
	}
	if len(f) > 0 {
		return &ValidationError{Fields: f}
	}
	return nil
}

func (p Policy) duration(field string) time.Duration {
	switch field {
	case FieldLockoutWindow:
		return p.LockoutWindow
	case FieldLockoutLock1:
		return p.LockoutLocks[0]
	case FieldLockoutLock2:
		return p.LockoutLocks[1]
	case FieldLockoutLock3:
		return p.LockoutLocks[2]
	case FieldSessionIdle:
		return p.SessionIdle
	case FieldSessionAdminIdle:
		return p.SessionAdminIdle
	case FieldSessionAbsolute:
		return p.SessionAbsolute
	}
	return 0
}

// Password returns the password policy new passwords are checked against.
func (p Policy) Password() password.Policy {
	return password.Policy{MinLength: p.PasswordMinLength, MaxLength: p.PasswordMaxLength, BreachCheck: p.BreachCheck}
}

// Lockout returns the login lockout policy.
func (p Policy) Lockout() account.LockoutPolicy {
	return account.LockoutPolicy{MaxFailures: p.LockoutMaxFailures, Window: p.LockoutWindow,
		Locks: p.LockoutLocks[:], AdminUnlockAfter: p.LockoutAdminUnlockAfter}
}

// RequiresMFA reports whether a user of role must use a second factor.
func (p Policy) RequiresMFA(role account.Role) bool { return role.RequiresMFA(p.MFARequired) }

// Diff lists the fields that differ from old to p as "field old→new", in
// form order; values only, never personal data. For the audit log.
func (p Policy) Diff(old Policy) []string {
	var out []string
	for _, b := range Bounds {
		if o, n := old.Int(b.Field), p.Int(b.Field); o != n {
			out = append(out, fmt.Sprintf("%s %d→%d", b.Field, o, n))
		}
	}
	if old.BreachCheck != p.BreachCheck {
		out = append(out, fmt.Sprintf("%s %t→%t", FieldBreachCheck, old.BreachCheck, p.BreachCheck))
	}
	if old.MFARequired != p.MFARequired {
		out = append(out, fmt.Sprintf("%s %t→%t", FieldMFARequired, old.MFARequired, p.MFARequired))
	}
	return out
}
