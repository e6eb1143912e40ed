package policy

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/account"
)

func TestClauseUSR3_DefaultPolicyIsValidAndMatchesThePlatformDefaults(t *testing.T) {
	if err := Default.Validate(); err != nil {
		t.Fatal(err)
	}
	lo := Default.Lockout()
	if lo.MaxFailures != 5 || lo.Window != 15*time.Minute || lo.AdminUnlockAfter != 3 ||
		len(lo.Locks) != 3 || lo.Locks[0] != 15*time.Minute || lo.Locks[2] != time.Hour {
		t.Fatalf("lockout: %+v", lo)
	}
	if pw := Default.Password(); pw.MinLength != 15 || pw.MaxLength != 128 || !pw.BreachCheck {
		t.Fatalf("password: %+v", pw)
	}
	if !Default.RequiresMFA(account.RoleAdmin) || Default.RequiresMFA(account.RoleUser) {
		t.Fatal("MFA: admins only by default")
	}
	p := Default
	p.MFARequired = true
	if !p.RequiresMFA(account.RoleUser) {
		t.Fatal("MFA for everyone does not reach users")
	}
}

// TestClauseUSR3_PolicyValidationNamesEveryBadField: every field outside
// the platform bounds is reported at once, with its bound.
func TestClauseUSR3_PolicyValidationNamesEveryBadField(t *testing.T) {
	with := func(f func(p *Policy)) Policy { p := Default; f(&p); return p }
	tests := []struct {
		name string
		p    Policy
		want map[string]string // field → rule
	}{
		{"min length below the floor", with(func(p *Policy) { p.PasswordMinLength = 11 }), map[string]string{FieldPasswordMinLength: RuleRange}},
		{"min length at the floor", with(func(p *Policy) { p.PasswordMinLength = 12 }), nil},
		{"max length above the ceiling", with(func(p *Policy) { p.PasswordMaxLength = 129 }), map[string]string{FieldPasswordMaxLength: RuleRange}},
		{"max length below 64", with(func(p *Policy) { p.PasswordMaxLength = 63 }), map[string]string{FieldPasswordMaxLength: RuleRange}},
		{"min equal to max", with(func(p *Policy) { p.PasswordMinLength, p.PasswordMaxLength = 64, 64 }), nil},
		{"idle above 60 min", with(func(p *Policy) { p.SessionIdle = 61 * time.Minute }), map[string]string{FieldSessionIdle: RuleRange}},
		{"admin idle above 30 min", with(func(p *Policy) { p.SessionAdminIdle = 31 * time.Minute }), map[string]string{FieldSessionAdminIdle: RuleRange}},
		{"absolute above 12 h", with(func(p *Policy) { p.SessionAbsolute = 13 * time.Hour }), map[string]string{FieldSessionAbsolute: RuleRange}},
		{"absolute not whole hours", with(func(p *Policy) { p.SessionAbsolute = 90 * time.Minute }), map[string]string{FieldSessionAbsolute: RuleRange}},
		{"two failures", with(func(p *Policy) { p.LockoutMaxFailures = 2 }), map[string]string{FieldLockoutMaxFailures: RuleRange}},
		{"locks getting shorter", with(func(p *Policy) { p.LockoutLocks[1] = 10 * time.Minute }), map[string]string{FieldLockoutLock2: RuleLockOrder}},
		{"mfa failures 11", with(func(p *Policy) { p.MFAMaxFailures = 11 }), map[string]string{FieldMFAMaxFailures: RuleRange}},
		{"several at once", with(func(p *Policy) { p.PasswordMinLength, p.SessionIdle, p.LockoutAdminUnlockAfter = 8, 0, 0 }),
			map[string]string{FieldPasswordMinLength: RuleRange, FieldSessionIdle: RuleRange, FieldLockoutAdminUnlockAfter: RuleRange}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.p.Validate()
			if tt.want == nil {
				if err != nil {
					t.Fatalf("want valid, got %v", err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("want a ValidationError, got %v", err)
			}
			if len(ve.Fields) != len(tt.want) {
				t.Fatalf("fields %v, want %v", ve.Fields, tt.want)
			}
			for f, rule := range tt.want {
				if ve.Fields[f].Rule != rule {
					t.Errorf("%s: %+v, want %s", f, ve.Fields[f], rule)
				}
			}
		})
	}
}

func TestPolicyDiffNamesOldAndNewValues(t *testing.T) {
	p := Default
	p.PasswordMinLength = 20
	p.SessionAbsolute = 8 * time.Hour
	p.MFARequired = true
	got := strings.Join(p.Diff(Default), ", ")
	want := "password_min_length 15→20, session_absolute 12→8, mfa_required false→true"
	if got != want {
		t.Fatalf("Diff = %q, want %q", got, want)
	}
	if d := Default.Diff(Default); len(d) != 0 {
		t.Fatalf("no change: %v", d)
	}
}

func TestPolicyIntRoundTrips(t *testing.T) {
	for _, b := range Bounds {
		var p Policy
		p.SetInt(b.Field, b.Max)
		if got := p.Int(b.Field); got != b.Max {
			t.Errorf("%s: %d, want %d", b.Field, got, b.Max)
		}
	}
}
