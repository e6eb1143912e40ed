package store_test

import (
	"encoding/hex"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/mfa"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
	"github.com/kluis/kluis/internal/tenant"
)

// mfaUser invites and activates a user of tn.
func mfaUser(t *testing.T, env *storetest.Env, tn tenant.Tenant, email string) account.User {
	t.Helper()
	_, tok, err := env.DB.InviteUser(ctx, operator, tn.ID, account.Invite{Email: email, Name: "Naam " + email,
		Role: account.RoleAdmin, Lang: "nl"})
	if err != nil {
		t.Fatal(err)
	}
	u, err := env.DB.ActivateUser(ctx, tn.ID, tok.Plain, "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA", "req-activate")
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// self is the user acting on their own account.
func self(u account.User) audit.Actor {
	return audit.Actor{Kind: audit.KindUser, ID: u.ID, Role: string(u.Role), RequestID: "req-self-" + u.ID}
}

// enrolTOTP enrols u with TOTP and moves the clock to the next step, so
// that the code shown now is not the one spent on confirmation.
func enrolTOTP(t *testing.T, env *storetest.Env, u account.User) (secret []byte, codes []string) {
	t.Helper()
	secret, err := env.DB.BeginTOTP(ctx, self(u), u.TenantID, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	codes, err = env.DB.ConfirmTOTP(ctx, self(u), u.TenantID, u.ID, mfa.CodeAt(secret, env.Clock.Now()))
	if err != nil {
		t.Fatal(err)
	}
	env.Clock.Advance(mfa.Period)
	return secret, codes
}

// mfaEvents lists the tenant's mfa.* audit events as "action outcome
// purpose [actor]".
func mfaEvents(t *testing.T, env *storetest.Env, tenantID string) []string {
	t.Helper()
	var out []string
	if err := env.DB.EachAuditEvent(ctx, tenantID, func(e *audit.Event) error {
		if strings.HasPrefix(e.Action, "mfa.") {
			out = append(out, e.Action+" "+e.Outcome+" "+e.Purpose+" ["+e.Actor.ID+"]")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func countEvents(events []string, prefix string) int {
	n := 0
	for _, e := range events {
		if strings.HasPrefix(e, prefix) {
			n++
		}
	}
	return n
}

// TestClauseUSR2_TOTPEnrolAndVerify: a user enrols an authenticator app
// (begin, confirm with a code), gets recovery codes once, and then logs in
// with codes from the app; an unconfirmed secret is never accepted.
func TestClauseUSR2_TOTPEnrolAndVerify(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		tn := newTenant(t, env, "gent")
		u := mfaUser(t, env, tn, "an@gent.be")
		if has, err := env.DB.HasTOTP(ctx, tn.ID, u.ID); err != nil || has {
			t.Fatalf("has TOTP before enrolment: %v %v", has, err)
		}
		first, err := env.DB.BeginTOTP(ctx, self(u), tn.ID, u.ID)
		if err != nil || len(first) != mfa.SecretSize {
			t.Fatalf("begin: %x %v", first, err)
		}
		// Not confirmed: not accepted at login, not reported as enrolled.
		if err := env.DB.VerifyTOTP(ctx, tn.ID, u.ID, mfa.CodeAt(first, env.Clock.Now()), "req-1"); !errors.Is(err, store.ErrMFAFailed) {
			t.Fatalf("unconfirmed secret accepted: %v", err)
		}
		if has, _ := env.DB.HasTOTP(ctx, tn.ID, u.ID); has {
			t.Fatal("unconfirmed secret counts as enrolled")
		}
		// Starting again replaces the unconfirmed secret.
		secret, err := env.DB.BeginTOTP(ctx, self(u), tn.ID, u.ID)
		if err != nil || string(secret) == string(first) {
			t.Fatalf("second begin: %v", err)
		}
		if _, err := env.DB.ConfirmTOTP(ctx, self(u), tn.ID, u.ID, mfa.CodeAt(first, env.Clock.Now())); !errors.Is(err, store.ErrMFAFailed) {
			t.Fatalf("code of the replaced secret confirmed: %v", err)
		}
		code := mfa.CodeAt(secret, env.Clock.Now())
		codes, err := env.DB.ConfirmTOTP(ctx, self(u), tn.ID, u.ID, code[:3]+" "+code[3:])
		if err != nil || len(codes) != mfa.RecoveryCodeCount {
			t.Fatalf("confirm: %v %v", codes, err)
		}
		if has, err := env.DB.HasTOTP(ctx, tn.ID, u.ID); err != nil || !has {
			t.Fatalf("has TOTP after enrolment: %v %v", has, err)
		}
		if st, err := env.DB.MFAStatusOf(ctx, tn.ID, u.ID); err != nil || !st.TOTP || st.RecoveryCodesLeft != 10 ||
			!st.ConfirmedAt.Equal(env.Clock.Now()) {
			t.Fatalf("status: %+v %v", st, err)
		}
		// Enrolled: no second enrolment, no second confirmation.
		if _, err := env.DB.BeginTOTP(ctx, self(u), tn.ID, u.ID); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("begin while enrolled: %v", err)
		}
		if _, err := env.DB.ConfirmTOTP(ctx, self(u), tn.ID, u.ID, code); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("confirm while enrolled: %v", err)
		}
		// The confirmation code is spent; the next step's code logs in.
		if err := env.DB.VerifyTOTP(ctx, tn.ID, u.ID, code, "req-2"); !errors.Is(err, store.ErrMFAFailed) {
			t.Fatalf("confirmation code accepted again at login: %v", err)
		}
		env.Clock.Advance(mfa.Period)
		if err := env.DB.VerifyTOTP(ctx, tn.ID, u.ID, mfa.CodeAt(secret, env.Clock.Now()), "req-3"); err != nil {
			t.Fatalf("valid code: %v", err)
		}
		// A clock one step off either way is tolerated.
		env.Clock.Advance(3 * mfa.Period)
		if err := env.DB.VerifyTOTP(ctx, tn.ID, u.ID, mfa.CodeAt(secret, env.Clock.Now().Add(-mfa.Period)), "req-4"); err != nil {
			t.Fatalf("code one step behind: %v", err)
		}
		env.Clock.Advance(3 * mfa.Period)
		if err := env.DB.VerifyTOTP(ctx, tn.ID, u.ID, mfa.CodeAt(secret, env.Clock.Now().Add(mfa.Period)), "req-5"); err != nil {
			t.Fatalf("code one step ahead: %v", err)
		}
		// Two steps off is too far (both are newer than the last code used).
		env.Clock.Advance(5 * mfa.Period)
		if err := env.DB.VerifyTOTP(ctx, tn.ID, u.ID, mfa.CodeAt(secret, env.Clock.Now().Add(-2*mfa.Period)), "req-6"); !errors.Is(err, store.ErrMFAFailed) {
			t.Fatalf("code two steps behind: %v", err)
		}
		if err := env.DB.VerifyTOTP(ctx, tn.ID, u.ID, mfa.CodeAt(secret, env.Clock.Now().Add(2*mfa.Period)), "req-6"); !errors.Is(err, store.ErrMFAFailed) {
			t.Fatalf("code two steps ahead: %v", err)
		}
		wrong := "000000"
		if mfa.CodeAt(secret, env.Clock.Now()) == wrong {
			wrong = "000001"
		}
		if err := env.DB.VerifyTOTP(ctx, tn.ID, u.ID, wrong, "req-7"); !errors.Is(err, store.ErrMFAFailed) {
			t.Fatalf("wrong code: %v", err)
		}
		got := mfaEvents(t, env, tn.ID)
		want := []string{
			"mfa.enrol.start success mfa: TOTP enrolment started [" + u.ID + "]",
			"mfa.failure failure " + store.MFAFailureNotEnrolled + " [" + u.ID + "]",
			"mfa.enrol.start success mfa: TOTP enrolment started [" + u.ID + "]",
			"mfa.enrol failure " + store.MFAFailureCode + " [" + u.ID + "]",
			"mfa.enrol success mfa: TOTP enrolled [" + u.ID + "]",
			"mfa.failure failure " + store.MFAFailureReplay + " [" + u.ID + "]",
			"mfa.success success mfa: TOTP code [" + u.ID + "]",
			"mfa.success success mfa: TOTP code [" + u.ID + "]",
			"mfa.success success mfa: TOTP code [" + u.ID + "]",
			"mfa.failure failure " + store.MFAFailureCode + " [" + u.ID + "]",
			"mfa.failure failure " + store.MFAFailureCode + " [" + u.ID + "]",
			"mfa.failure failure " + store.MFAFailureCode + " [" + u.ID + "]",
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("audit:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		// The request id of the login is in the event.
		var reqIDs []string
		env.DB.EachAuditEvent(ctx, tn.ID, func(e *audit.Event) error {
			if e.Action == "mfa.success" {
				reqIDs = append(reqIDs, e.Actor.RequestID)
			}
			return nil
		})
		if strings.Join(reqIDs, ",") != "req-3,req-4,req-5" {
			t.Fatalf("request ids: %v", reqIDs)
		}
	})
}

// TestClauseUSR2_TOTPCodeAcceptedOnce (ASVS 5.0 6.5.1): a code is accepted
// once; a replay inside its window is refused, also when the same code
// arrives many times at once.
func TestClauseUSR2_TOTPCodeAcceptedOnce(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		tn := newTenant(t, env, "gent")
		u := mfaUser(t, env, tn, "an@gent.be")
		secret, _ := enrolTOTP(t, env, u)
		code := mfa.CodeAt(secret, env.Clock.Now())
		if err := env.DB.VerifyTOTP(ctx, tn.ID, u.ID, code, "req-1"); err != nil {
			t.Fatal(err)
		}
		if err := env.DB.VerifyTOTP(ctx, tn.ID, u.ID, code, "req-2"); !errors.Is(err, store.ErrMFAFailed) {
			t.Fatalf("same code twice: %v", err)
		}
		// Still inside the skew window 30 s later, and still refused; so
		// is the code of the step before it.
		env.Clock.Advance(mfa.Period)
		if err := env.DB.VerifyTOTP(ctx, tn.ID, u.ID, code, "req-3"); !errors.Is(err, store.ErrMFAFailed) {
			t.Fatalf("same code a step later: %v", err)
		}
		// 20 logins with one fresh code at the same moment: one succeeds.
		env.Clock.Advance(mfa.Period)
		code = mfa.CodeAt(secret, env.Clock.Now())
		var wg sync.WaitGroup
		var mu sync.Mutex
		ok, refused := 0, 0
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := env.DB.VerifyTOTP(ctx, tn.ID, u.ID, code, "req-c"+string(rune('a'+i)))
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					ok++
				case errors.Is(err, store.ErrMFAFailed):
					refused++
				default:
					t.Errorf("concurrent verify: %v", err)
				}
			}()
		}
		wg.Wait()
		if ok != 1 || refused != 19 {
			t.Fatalf("20 concurrent uses of one code: %d accepted, %d refused", ok, refused)
		}
		events := mfaEvents(t, env, tn.ID)
		if n := countEvents(events, "mfa.success"); n != 2 {
			t.Fatalf("%d successes:\n%s", n, strings.Join(events, "\n"))
		}
		if n := countEvents(events, "mfa.failure failure "+store.MFAFailureReplay); n < 3 {
			t.Fatalf("%d replays recorded:\n%s", n, strings.Join(events, "\n"))
		}
	})
}

// TestClauseUSR2_RecoveryCodesSingleUse (ASVS 5.0 6.5.1): each recovery
// code works once, for its own user only; new codes void the old ones.
func TestClauseUSR2_RecoveryCodesSingleUse(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		tn := newTenant(t, env, "gent")
		u := mfaUser(t, env, tn, "an@gent.be")
		other := mfaUser(t, env, tn, "bert@gent.be")
		_, codes := enrolTOTP(t, env, u)
		_, otherCodes := enrolTOTP(t, env, other)
		seen := map[string]bool{}
		for _, c := range append(append([]string{}, codes...), otherCodes...) {
			if seen[c] {
				t.Fatalf("recovery code %s handed out twice", c)
			}
			seen[c] = true
		}
		if err := env.DB.UseRecoveryCode(ctx, tn.ID, u.ID, codes[0], "req-1"); err != nil {
			t.Fatal(err)
		}
		if err := env.DB.UseRecoveryCode(ctx, tn.ID, u.ID, codes[0], "req-2"); !errors.Is(err, store.ErrMFAFailed) {
			t.Fatalf("recovery code used twice: %v", err)
		}
		// Typed loosely: upper case, spaces instead of dashes.
		if err := env.DB.UseRecoveryCode(ctx, tn.ID, u.ID, strings.ToUpper(strings.ReplaceAll(codes[1], "-", " ")), "req-3"); err != nil {
			t.Fatalf("loosely typed code: %v", err)
		}
		// Another user's code is not this user's.
		if err := env.DB.UseRecoveryCode(ctx, tn.ID, u.ID, otherCodes[0], "req-4"); !errors.Is(err, store.ErrMFAFailed) {
			t.Fatalf("other user's code: %v", err)
		}
		if err := env.DB.UseRecoveryCode(ctx, tn.ID, other.ID, otherCodes[0], "req-5"); err != nil {
			t.Fatalf("the other user's own code was spent: %v", err)
		}
		if st, err := env.DB.MFAStatusOf(ctx, tn.ID, u.ID); err != nil || st.RecoveryCodesLeft != 8 {
			t.Fatalf("status: %+v %v", st, err)
		}
		fresh, err := env.DB.RegenerateRecoveryCodes(ctx, self(u), tn.ID, u.ID)
		if err != nil || len(fresh) != mfa.RecoveryCodeCount {
			t.Fatalf("regenerate: %v %v", fresh, err)
		}
		if err := env.DB.UseRecoveryCode(ctx, tn.ID, u.ID, codes[2], "req-6"); !errors.Is(err, store.ErrMFAFailed) {
			t.Fatalf("old code after regeneration: %v", err)
		}
		if err := env.DB.UseRecoveryCode(ctx, tn.ID, u.ID, fresh[9], "req-7"); err != nil {
			t.Fatalf("new code: %v", err)
		}
		events := mfaEvents(t, env, tn.ID)
		if n := countEvents(events, "mfa.recovery success mfa: recovery code used"); n != 4 {
			t.Fatalf("%d recoveries:\n%s", n, strings.Join(events, "\n"))
		}
		if n := countEvents(events, "mfa.failure failure "+store.MFAFailureRecovery); n != 3 {
			t.Fatalf("%d refused recoveries:\n%s", n, strings.Join(events, "\n"))
		}
		if n := countEvents(events, "mfa.recovery.regenerate success"); n != 1 {
			t.Fatalf("regeneration not audited:\n%s", strings.Join(events, "\n"))
		}
		if !strings.Contains(strings.Join(events, "\n"), "mfa.recovery success mfa: recovery code used, 8 left") {
			t.Fatalf("codes left not recorded:\n%s", strings.Join(events, "\n"))
		}
	})
}

// TestClauseUSR6_MFAFailuresLockSecondFactor (ASVS 5.0 6.3.1): wrong
// second-factor codes have their own counter; 5 in a row lock the second
// factor for 15 minutes, during which even the right code is refused.
func TestClauseUSR6_MFAFailuresLockSecondFactor(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		tn := newTenant(t, env, "gent")
		u := mfaUser(t, env, tn, "an@gent.be")
		secret, codes := enrolTOTP(t, env, u)
		wrong := func() string {
			w := "123456"
			for _, d := range []time.Duration{-mfa.Period, 0, mfa.Period} {
				if mfa.CodeAt(secret, env.Clock.Now().Add(d)) == w {
					return "654321"
				}
			}
			return w
		}
		// Four failures, then a success: the counter starts again.
		for i := range 4 {
			if err := env.DB.VerifyTOTP(ctx, tn.ID, u.ID, wrong(), "req-w"); !errors.Is(err, store.ErrMFAFailed) {
				t.Fatalf("wrong code %d: %v", i, err)
			}
		}
		if st, _ := env.DB.MFAStatusOf(ctx, tn.ID, u.ID); st.Failures != 4 {
			t.Fatalf("failures: %+v", st)
		}
		if err := env.DB.VerifyTOTP(ctx, tn.ID, u.ID, mfa.CodeAt(secret, env.Clock.Now()), "req-ok"); err != nil {
			t.Fatal(err)
		}
		if st, _ := env.DB.MFAStatusOf(ctx, tn.ID, u.ID); st.Failures != 0 {
			t.Fatalf("failures after success: %+v", st)
		}
		// Five in a row, wrong TOTP codes and wrong recovery codes alike.
		env.Clock.Advance(mfa.Period)
		for i := range 4 {
			if err := env.DB.VerifyTOTP(ctx, tn.ID, u.ID, wrong(), "req-w"); !errors.Is(err, store.ErrMFAFailed) {
				t.Fatalf("wrong code %d: %v", i, err)
			}
		}
		if err := env.DB.UseRecoveryCode(ctx, tn.ID, u.ID, "zzzz-zzzz-zzzz-zzzz-zzzz-zzzz", "req-r"); !errors.Is(err, store.ErrMFAFailed) {
			t.Fatalf("wrong recovery code: %v", err)
		}
		lockedAt := env.Clock.Now()
		st, err := env.DB.MFAStatusOf(ctx, tn.ID, u.ID)
		if err != nil || !st.LockedUntil.Equal(lockedAt.Add(mfa.LockDuration)) {
			t.Fatalf("status after 5 failures: %+v %v", st, err)
		}
		// Locked: the right code and a valid recovery code are refused,
		// and neither is spent.
		if err := env.DB.VerifyTOTP(ctx, tn.ID, u.ID, mfa.CodeAt(secret, env.Clock.Now()), "req-l1"); !errors.Is(err, store.ErrMFAFailed) {
			t.Fatalf("right code while locked: %v", err)
		}
		if err := env.DB.UseRecoveryCode(ctx, tn.ID, u.ID, codes[0], "req-l2"); !errors.Is(err, store.ErrMFAFailed) {
			t.Fatalf("recovery code while locked: %v", err)
		}
		env.Clock.Advance(mfa.LockDuration - time.Second)
		if err := env.DB.VerifyTOTP(ctx, tn.ID, u.ID, mfa.CodeAt(secret, env.Clock.Now()), "req-l3"); !errors.Is(err, store.ErrMFAFailed) {
			t.Fatalf("right code a second before the lock ends: %v", err)
		}
		env.Clock.Advance(time.Second)
		if err := env.DB.VerifyTOTP(ctx, tn.ID, u.ID, mfa.CodeAt(secret, env.Clock.Now()), "req-after"); err != nil {
			t.Fatalf("right code after the lock: %v", err)
		}
		if err := env.DB.UseRecoveryCode(ctx, tn.ID, u.ID, codes[0], "req-after2"); err != nil {
			t.Fatalf("recovery code after the lock: %v", err)
		}
		events := mfaEvents(t, env, tn.ID)
		if n := countEvents(events, "mfa.locked success mfa: locked until "+lockedAt.Add(mfa.LockDuration).Format(time.RFC3339)); n != 1 {
			t.Fatalf("%d locks:\n%s", n, strings.Join(events, "\n"))
		}
		if n := countEvents(events, "mfa.failure failure "+store.MFAFailureLocked); n != 3 {
			t.Fatalf("%d refusals while locked:\n%s", n, strings.Join(events, "\n"))
		}
		// The password's counter is another one: the MFA failures did not
		// touch it.
		var pwFailures int
		if err := env.Raw(t).QueryRow(`SELECT failed_count FROM users WHERE id = $1`, u.ID).Scan(&pwFailures); err != nil || pwFailures != 0 {
			t.Fatalf("password failures %d %v", pwFailures, err)
		}
	})
}

// TestClauseUSR2_TOTPSecretSealedAtRest: the TOTP secret is sealed with the
// tenant's key and bound to its user; recovery codes are kept as hashes.
func TestClauseUSR2_TOTPSecretSealedAtRest(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		tn := newTenant(t, env, "gent")
		u := mfaUser(t, env, tn, "an@gent.be")
		v := mfaUser(t, env, tn, "bert@gent.be")
		secret, codes := enrolTOTP(t, env, u)
		if _, err := env.DB.BeginTOTP(ctx, self(v), tn.ID, v.ID); err != nil { // an unconfirmed one too
			t.Fatal(err)
		}
		b32 := mfa.Base32(secret)
		needles := []string{b32, strings.ToLower(b32), hex.EncodeToString(secret)}
		for _, c := range codes {
			needles = append(needles, c, mfa.NormalizeRecoveryCode(c))
		}
		if found := storetest.FindPlaintext(t, env, "Gemeente gent", needles...); len(found) > 0 {
			t.Fatalf("MFA secrets in plaintext at rest: %v", found)
		}
		// A sealed secret copied onto another user's row opens for nobody.
		raw := env.Raw(t)
		if _, err := raw.Exec(`UPDATE mfa_totp SET secret = (SELECT secret FROM mfa_totp WHERE user_id = $1),
			confirmed_at = 1 WHERE user_id = $2`, u.ID, v.ID); err != nil {
			t.Fatal(err)
		}
		if err := env.DB.VerifyTOTP(ctx, tn.ID, v.ID, mfa.CodeAt(secret, env.Clock.Now()), "req-x"); err == nil {
			t.Fatal("a secret moved to another user's row was accepted")
		}
		if err := env.DB.VerifyTOTP(ctx, tn.ID, u.ID, mfa.CodeAt(secret, env.Clock.Now()), "req-y"); err != nil {
			t.Fatalf("the owner's code: %v", err)
		}
	})
}

// TestClauseUSR2_NoCrossTenantMFA: a user id of another tenant gets no
// second factor there: nothing is accepted, begun, removed or spent.
func TestClauseUSR2_NoCrossTenantMFA(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		a, b := newTenant(t, env, "a"), newTenant(t, env, "b")
		u := mfaUser(t, env, a, "an@a.be")
		secret, codes := enrolTOTP(t, env, u)
		adminB := audit.Actor{Kind: audit.KindUser, ID: "admin-b", Role: "admin", RequestID: "req-b"}
		code := mfa.CodeAt(secret, env.Clock.Now())
		if err := env.DB.VerifyTOTP(ctx, b.ID, u.ID, code, "req-1"); !errors.Is(err, store.ErrMFAFailed) {
			t.Fatalf("verify in another tenant: %v", err)
		}
		if err := env.DB.UseRecoveryCode(ctx, b.ID, u.ID, codes[0], "req-2"); !errors.Is(err, store.ErrMFAFailed) {
			t.Fatalf("recovery code in another tenant: %v", err)
		}
		if has, err := env.DB.HasTOTP(ctx, b.ID, u.ID); err != nil || has {
			t.Fatalf("has TOTP in another tenant: %v %v", has, err)
		}
		if st, err := env.DB.MFAStatusOf(ctx, b.ID, u.ID); err != nil || st.TOTP {
			t.Fatalf("status in another tenant: %+v %v", st, err)
		}
		if _, err := env.DB.BeginTOTP(ctx, adminB, b.ID, u.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("begin in another tenant: %v", err)
		}
		if _, err := env.DB.ConfirmTOTP(ctx, adminB, b.ID, u.ID, code); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("confirm in another tenant: %v", err)
		}
		if _, err := env.DB.RegenerateRecoveryCodes(ctx, adminB, b.ID, u.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("regenerate in another tenant: %v", err)
		}
		if err := env.DB.RemoveTOTP(ctx, adminB, b.ID, u.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("remove in another tenant: %v", err)
		}
		if err := env.DB.VerifyTOTP(ctx, "no-such-tenant", u.ID, code, "req-3"); !errors.Is(err, store.ErrMFAFailed) {
			t.Fatalf("verify in no tenant: %v", err)
		}
		// Nothing was spent or removed in the user's own tenant.
		if err := env.DB.VerifyTOTP(ctx, a.ID, u.ID, code, "req-4"); err != nil {
			t.Fatalf("own tenant, code: %v", err)
		}
		if err := env.DB.UseRecoveryCode(ctx, a.ID, u.ID, codes[0], "req-5"); err != nil {
			t.Fatalf("own tenant, recovery code: %v", err)
		}
		// Tenant b's log records the attempts, without the user's role or
		// anything of tenant a; tenant a's log shows no failure.
		eb := mfaEvents(t, env, b.ID)
		if n := countEvents(eb, "mfa.failure failure "+store.MFAFailureUnknownUser+" [anonymous]"); n != 2 {
			t.Fatalf("tenant b's log:\n%s", strings.Join(eb, "\n"))
		}
		if ea := mfaEvents(t, env, a.ID); countEvents(ea, "mfa.failure") != 0 {
			t.Fatalf("tenant a's log:\n%s", strings.Join(ea, "\n"))
		}
	})
}

// TestClauseUSR2_AdminResetsMFA: an admin's MFA reset removes the secret
// and the recovery codes (ASVS 5.0 6.5.6: a lost factor can be revoked),
// and the user can enrol again.
func TestClauseUSR2_AdminResetsMFA(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		tn := newTenant(t, env, "gent")
		u := mfaUser(t, env, tn, "an@gent.be")
		admin := mfaUser(t, env, tn, "admin@gent.be")
		secret, codes := enrolTOTP(t, env, u)
		if err := env.DB.RemoveTOTP(ctx, self(admin), tn.ID, u.ID); err != nil {
			t.Fatal(err)
		}
		if has, _ := env.DB.HasTOTP(ctx, tn.ID, u.ID); has {
			t.Fatal("TOTP still there after reset")
		}
		if err := env.DB.VerifyTOTP(ctx, tn.ID, u.ID, mfa.CodeAt(secret, env.Clock.Now()), "req-1"); !errors.Is(err, store.ErrMFAFailed) {
			t.Fatalf("removed secret accepted: %v", err)
		}
		if err := env.DB.UseRecoveryCode(ctx, tn.ID, u.ID, codes[0], "req-2"); !errors.Is(err, store.ErrMFAFailed) {
			t.Fatalf("removed recovery code accepted: %v", err)
		}
		var left int
		if err := env.Raw(t).QueryRow(`SELECT count(*) FROM mfa_recovery_codes WHERE user_id = $1`, u.ID).Scan(&left); err != nil || left != 0 {
			t.Fatalf("recovery codes left in the database: %d %v", left, err)
		}
		fresh, _ := enrolTOTP(t, env, u)
		if err := env.DB.VerifyTOTP(ctx, tn.ID, u.ID, mfa.CodeAt(fresh, env.Clock.Now()), "req-3"); err != nil {
			t.Fatalf("after re-enrolment: %v", err)
		}
		events := mfaEvents(t, env, tn.ID)
		if n := countEvents(events, "mfa.remove success mfa: TOTP and recovery codes removed ["+admin.ID+"]"); n != 1 {
			t.Fatalf("reset not audited:\n%s", strings.Join(events, "\n"))
		}
		if n := countEvents(events, "mfa.enrol success"); n != 2 {
			t.Fatalf("%d enrolments:\n%s", n, strings.Join(events, "\n"))
		}
	})
}

// A disabled account's second factor is refused, and the refusal is not
// counted (the account is refused before any code is checked).
func TestMFARefusedForInactiveAccount(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		tn := newTenant(t, env, "gent")
		u := mfaUser(t, env, tn, "an@gent.be")
		secret, codes := enrolTOTP(t, env, u)
		if _, err := env.Raw(t).Exec(`UPDATE users SET status = 'disabled' WHERE id = $1`, u.ID); err != nil {
			t.Fatal(err)
		}
		if err := env.DB.VerifyTOTP(ctx, tn.ID, u.ID, mfa.CodeAt(secret, env.Clock.Now()), "req-1"); !errors.Is(err, store.ErrMFAFailed) {
			t.Fatalf("disabled account's code accepted: %v", err)
		}
		if err := env.DB.UseRecoveryCode(ctx, tn.ID, u.ID, codes[0], "req-2"); !errors.Is(err, store.ErrMFAFailed) {
			t.Fatalf("disabled account's recovery code accepted: %v", err)
		}
		events := mfaEvents(t, env, tn.ID)
		if n := countEvents(events, "mfa.failure failure "+store.MFAFailureInactive); n != 2 {
			t.Fatalf("refusals:\n%s", strings.Join(events, "\n"))
		}
		if st, _ := env.DB.MFAStatusOf(ctx, tn.ID, u.ID); st.Failures != 0 || st.RecoveryCodesLeft != 10 {
			t.Fatalf("status: %+v", st)
		}
	})
}
