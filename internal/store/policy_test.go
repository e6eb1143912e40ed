package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/mfa"
	"github.com/kluis/kluis/internal/policy"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

// TestClauseUSR3_TenantPolicyVersionedAndAudited: a tenant starts with the
// defaults; each change is a new version, audited with old → new values;
// an invalid policy or an edit of a stale version saves nothing.
func TestClauseUSR3_TenantPolicyVersionedAndAudited(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		tn := newTenant(t, env, "gent")
		other := newTenant(t, env, "brugge")
		admin := audit.Actor{Kind: audit.KindUser, ID: "admin-1", Role: "admin", RequestID: "req-policy"}
		p, v, err := env.DB.TenantPolicy(ctx, tn.ID)
		if err != nil || v != 0 || p.Diff(policy.Default) != nil {
			t.Fatalf("initial policy: %+v v%d %v", p, v, err)
		}

		p.PasswordMinLength = 20
		p.LockoutMaxFailures = 3
		p.SessionIdle = 20 * time.Minute
		p.MFARequired = true
		v, err = env.DB.SetTenantPolicy(ctx, admin, tn.ID, p, 0)
		if err != nil || v != 1 {
			t.Fatalf("set: v%d %v", v, err)
		}
		got, v, err := env.DB.TenantPolicy(ctx, tn.ID)
		if err != nil || v != 1 || got.Diff(p) != nil || !got.MFARequired || got.LockoutLocks != p.LockoutLocks {
			t.Fatalf("stored: %+v v%d %v", got, v, err)
		}
		// Another tenant keeps its own.
		if op, ov, _ := env.DB.TenantPolicy(ctx, other.ID); ov != 0 || op.PasswordMinLength != 15 {
			t.Fatalf("other tenant: %+v v%d", op, ov)
		}

		// Invalid: every bad field reported, nothing saved.
		bad := got
		bad.PasswordMinLength = 8
		bad.SessionAbsolute = 24 * time.Hour
		bad.LockoutMaxFailures = 4 // valid, but must not be saved with the rest
		_, err = env.DB.SetTenantPolicy(ctx, admin, tn.ID, bad, 1)
		var ve *policy.ValidationError
		if !errors.As(err, &ve) || len(ve.Fields) != 2 {
			t.Fatalf("invalid policy: %v", err)
		}
		// A stale edit: refused, nothing saved.
		stale := got
		stale.PasswordMinLength = 25
		if _, err := env.DB.SetTenantPolicy(ctx, admin, tn.ID, stale, 0); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("stale edit: %v", err)
		}
		// No change: no new version.
		if v, err := env.DB.SetTenantPolicy(ctx, admin, tn.ID, got, 1); err != nil || v != 1 {
			t.Fatalf("unchanged: v%d %v", v, err)
		}
		if cur, v, _ := env.DB.TenantPolicy(ctx, tn.ID); v != 1 || cur.LockoutMaxFailures != 3 || cur.PasswordMinLength != 20 {
			t.Fatalf("after refused edits: %+v v%d", cur, v)
		}
		vs, err := env.DB.TenantPolicyVersions(ctx, tn.ID, 10)
		if err != nil || len(vs) != 1 || vs[0].Version != 1 || vs[0].CreatedBy != "admin-1" {
			t.Fatalf("versions: %+v %v", vs, err)
		}

		var events []audit.Event
		env.DB.EachAuditEvent(ctx, tn.ID, func(e *audit.Event) error {
			if e.Action == "policy.update" {
				events = append(events, *e)
			}
			return nil
		})
		if len(events) != 1 {
			t.Fatalf("policy.update events: %+v", events)
		}
		want := "security policy v1: password_min_length 15→20, lockout_max_failures 5→3, session_idle 30→20, mfa_required false→true"
		if e := events[0]; e.Purpose != want || e.Actor.ID != "admin-1" || e.ObjectID != "1" {
			t.Fatalf("event: %+v\nwant purpose %q", e, want)
		}
	})
}

// TestClauseUSR6_TenantMFAFailureLimitHonoured: a tenant with an MFA
// failure limit of 3 locks the second factor after 3 wrong codes.
func TestClauseUSR6_TenantMFAFailureLimitHonoured(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		tn := newTenant(t, env, "gent")
		u := mfaUser(t, env, tn, "an@gent.be")
		secret, _ := enrolTOTP(t, env, u)
		p := policy.Default
		p.MFAMaxFailures = 3
		if _, err := env.DB.SetTenantPolicy(ctx, clerk("admin-1"), tn.ID, p, 0); err != nil {
			t.Fatal(err)
		}
		wrong := "123456"
		for _, d := range []time.Duration{-mfa.Period, 0, mfa.Period} {
			if mfa.CodeAt(secret, env.Clock.Now().Add(d)) == wrong {
				wrong = "654321"
			}
		}
		for i := range 3 {
			if err := env.DB.VerifyTOTP(ctx, tn.ID, u.ID, wrong, "req-w"); !errors.Is(err, store.ErrMFAFailed) {
				t.Fatalf("wrong code %d: %v", i, err)
			}
		}
		st, err := env.DB.MFAStatusOf(ctx, tn.ID, u.ID)
		if err != nil || !st.LockedUntil.After(env.Clock.Now()) {
			t.Fatalf("not locked after 3 wrong codes: %+v %v", st, err)
		}
		if err := env.DB.VerifyTOTP(ctx, tn.ID, u.ID, mfa.CodeAt(secret, env.Clock.Now()), "req-ok"); !errors.Is(err, store.ErrMFAFailed) {
			t.Fatalf("right code while locked: %v", err)
		}
	})
}

// TestClauseUSR6_TenantLockoutThresholdHonoured: with a tenant threshold
// of 3 and a first lock of 5 minutes, the third wrong password locks the
// account, for 5 minutes.
func TestClauseUSR6_TenantLockoutThresholdHonoured(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		h := fastHasher()
		tn := newTenant(t, env, "gent")
		activeUser(t, env, tn, "an@gent.be", account.RoleUser, h)
		p := policy.Default
		p.LockoutMaxFailures = 3
		p.LockoutLocks[0] = 5 * time.Minute
		lo := p.Lockout()
		for i := range 3 {
			if _, _, err := env.DB.Login(ctx, tn.ID, "an@gent.be", "wrong password here", h, lo, "r"); !errors.Is(err, account.ErrLoginFailed) {
				t.Fatalf("wrong %d: %v", i, err)
			}
		}
		if _, _, err := env.DB.Login(ctx, tn.ID, "an@gent.be", goodPassword, h, lo, "r"); !errors.Is(err, account.ErrLoginFailed) {
			t.Fatalf("right password after 3 failures: %v", err)
		}
		env.Clock.Advance(5 * time.Minute)
		if _, _, err := env.DB.Login(ctx, tn.ID, "an@gent.be", goodPassword, h, lo, "r"); err != nil {
			t.Fatalf("right password after the 5-minute lock: %v", err)
		}
		if n := auditCount(t, env, tn.ID, "login.failure", store.LoginFailurePassword); n != 3 {
			t.Fatalf("evaluated failures: %d", n)
		}
	})
}
