package store_test

import (
	"errors"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/mfa"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

// claimAll claims every due mail and marks it sent; it returns them as
// "kind lang to" lines, sorted, and the mails themselves.
func claimAll(t *testing.T, env *storetest.Env) ([]string, []store.QueuedMail) {
	t.Helper()
	ms, err := env.DB.ClaimMail(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, m := range ms {
		lines = append(lines, m.Kind+" "+m.Lang+" "+m.To)
		if err := env.DB.MailSent(ctx, m.ID); err != nil {
			t.Fatal(err)
		}
	}
	sort.Strings(lines)
	return lines, ms
}

// TestClauseUSR1_RemoveUser: an admin removes a user; their sessions end
// in the same transaction, the sealed name and address are erased (no
// plaintext, no ciphertext left in the row), the address can be invited
// again, the user is reported as removed, and the audit trail still
// verifies with a user.removed event. Not oneself, not the last admin, not
// twice, not across tenants.
func TestClauseUSR1_RemoveUser(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		h := fastHasher()
		gent, brugge := newTenant(t, env, "gent"), newTenant(t, env, "brugge")
		admin := activeUser(t, env, gent, "admin@gent.be", account.RoleAdmin, h)
		_, tok, err := env.DB.InviteUser(ctx, operator, gent.ID, account.Invite{Email: "wegwezen@gent.be",
			Name: "Wies Wegwezen-7q", Role: account.RoleUser})
		if err != nil {
			t.Fatal(err)
		}
		hash, _ := h.Hash(ctx, goodPassword)
		gone, err := env.DB.ActivateUser(ctx, gent.ID, tok.Plain, hash, "r")
		if err != nil {
			t.Fatal(err)
		}
		other := activeUser(t, env, brugge, "bo@brugge.be", account.RoleUser, h)
		_, s1, err := env.DB.Login(ctx, gent.ID, "wegwezen@gent.be", goodPassword, h, account.DefaultLockout, "r",
			store.WithUserAgentHint("Vivaldi on Haiku"))
		if err != nil {
			t.Fatal(err)
		}
		_, s2, _ := login(env, gent.ID, "wegwezen@gent.be", goodPassword, h)
		enrolTOTP(t, env, gone)
		requestReset(t, env, gent.ID, "wegwezen@gent.be")
		claimAll(t, env)
		me := adminActor(admin)

		if err := env.DB.RemoveUser(ctx, me, gent.ID, other.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("remove across tenants: %v", err)
		}
		if err := env.DB.RemoveUser(ctx, me, gent.ID, admin.ID); !errors.Is(err, store.ErrOwnAccount) {
			t.Fatalf("remove oneself: %v", err)
		}
		if err := env.DB.RemoveUser(ctx, operator, gent.ID, admin.ID); !errors.Is(err, store.ErrLastAdmin) {
			t.Fatalf("remove the last admin: %v", err)
		}
		if err := env.DB.RemoveUser(ctx, me, gent.ID, gone.ID); err != nil {
			t.Fatal(err)
		}
		for _, s := range []store.SessionToken{s1, s2} {
			if _, _, err := env.DB.Session(ctx, gent.ID, string(s)); !errors.Is(err, store.ErrSessionInvalid) {
				t.Fatalf("a removed user's session lives: %v", err)
			}
		}
		u, err := env.DB.User(ctx, me, gent.ID, gone.ID)
		if err != nil || u.Status != account.StatusRemoved || u.Name != "" || u.Email != "" {
			t.Fatalf("removed user: %+v %v", u, err)
		}
		raw := env.Raw(t)
		var email, name []byte
		var pwHash string
		var totp, codes int
		raw.QueryRow(`SELECT email, name, password_hash FROM users WHERE id = $1`, gone.ID).Scan(&email, &name, &pwHash)
		raw.QueryRow(`SELECT count(*) FROM mfa_totp WHERE user_id = $1`, gone.ID).Scan(&totp)
		raw.QueryRow(`SELECT count(*) FROM mfa_recovery_codes WHERE user_id = $1`, gone.ID).Scan(&codes)
		if len(email) != 0 || len(name) != 0 || pwHash != "" || totp != 0 || codes != 0 {
			t.Fatalf("left after removal: email %d B, name %d B, hash %q, totp %d, codes %d", len(email), len(name), pwHash, totp, codes)
		}
		if found := storetest.FindPlaintext(t, env, "Gemeente gent", "Wies Wegwezen-7q", "wegwezen@gent.be", "Vivaldi on Haiku"); len(found) > 0 {
			t.Fatalf("plaintext after removal: %v", found)
		}
		if _, _, err := login(env, gent.ID, "wegwezen@gent.be", goodPassword, h); !errors.Is(err, account.ErrLoginFailed) {
			t.Fatalf("a removed user logged in: %v", err)
		}
		// Gone for every admin action, and not twice.
		if err := env.DB.RemoveUser(ctx, me, gent.ID, gone.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("remove twice: %v", err)
		}
		if err := env.DB.EnableUser(ctx, me, gent.ID, gone.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("enable a removed user: %v", err)
		}
		// The address can be invited again: a new user, a new id.
		again, _, err := env.DB.InviteUser(ctx, me, gent.ID, account.Invite{Email: "wegwezen@gent.be", Name: "Wies", Role: account.RoleUser})
		if err != nil || again.ID == gone.ID {
			t.Fatalf("invite again: %+v %v", again, err)
		}
		users, err := env.DB.Users(ctx, me, gent.ID)
		if err != nil || len(users) != 3 {
			t.Fatalf("users: %d %v", len(users), err)
		}
		if n := auditCount(t, env, gent.ID, "user.removed", "user management (was user, active; 2 sessions ended)"); n != 1 {
			t.Fatalf("user.removed events: %d", n)
		}
		if _, err := env.DB.VerifyAudit(ctx, gent.ID); err != nil {
			t.Fatalf("audit after removal: %v", err)
		}
	})
}

// TestClauseUSR6_StepUpCountsTowardLockout: a step-up checks the password
// (and the TOTP code when the user has one) of the session's user, records
// the proof in the session, and counts failures like login failures: the
// fifth wrong password locks the account, ends the session and tells the
// user and the admins by mail.
func TestClauseUSR6_StepUpCountsTowardLockout(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		h := fastHasher()
		gent := newTenant(t, env, "gent")
		activeUser(t, env, gent, "admin@gent.be", account.RoleAdmin, h)
		an := activeUser(t, env, gent, "an@gent.be", account.RoleUser, h)
		_, tok, err := login(env, gent.ID, "an@gent.be", goodPassword, h)
		if err != nil {
			t.Fatal(err)
		}
		_, info, _ := env.DB.Session(ctx, gent.ID, string(tok))
		if !info.ReauthAt.Equal(env.Clock.Now()) || !env.DB.StepUpFresh(info, 5*time.Minute) {
			t.Fatalf("the login is the first proof: %v", info.ReauthAt)
		}
		env.Clock.Advance(6 * time.Minute)
		_, info, _ = env.DB.Session(ctx, gent.ID, string(tok))
		if env.DB.StepUpFresh(info, 5*time.Minute) {
			t.Fatal("a 6-minute-old proof is fresh")
		}
		stepUp := func(pw, code string) error {
			return env.DB.StepUp(ctx, gent.ID, string(tok), store.StepUpProof{Password: pw, Code: code}, h, account.DefaultLockout, "req-su")
		}
		if err := stepUp(goodPassword, ""); err != nil {
			t.Fatal(err)
		}
		_, info, _ = env.DB.Session(ctx, gent.ID, string(tok))
		if !info.ReauthAt.Equal(env.Clock.Now()) {
			t.Fatalf("reauth_at not moved: %v", info.ReauthAt)
		}
		if n := auditCount(t, env, gent.ID, "stepup.success", "step-up: password"); n != 1 {
			t.Fatalf("stepup.success: %d", n)
		}
		// With TOTP the code is needed too, and a wrong one fails.
		secret, _ := enrolTOTP(t, env, an)
		claimAll(t, env)
		if err := stepUp(goodPassword, wrongTOTP(secret, env.Clock.Now())); !errors.Is(err, store.ErrStepUpFailed) {
			t.Fatalf("wrong code: %v", err)
		}
		if err := stepUp(goodPassword, mfa.CodeAt(secret, env.Clock.Now())); err != nil {
			t.Fatalf("password and code: %v", err)
		}
		// Wrong passwords count; the fifth locks and ends the session.
		for i := range account.DefaultLockout.MaxFailures - 1 {
			if err := stepUp("wrong password wrong password", ""); !errors.Is(err, store.ErrStepUpFailed) {
				t.Fatalf("wrong password %d: %v", i+1, err)
			}
		}
		if st, _ := env.DB.UserLockState(ctx, gent.ID, an.ID); st.Failures != 4 {
			t.Fatalf("failures after 4 wrong step-ups: %+v", st)
		}
		if err := stepUp("wrong password wrong password", ""); !errors.Is(err, store.ErrSessionInvalid) {
			t.Fatalf("fifth wrong password: %v", err)
		}
		if _, _, err := env.DB.Session(ctx, gent.ID, string(tok)); !errors.Is(err, store.ErrSessionInvalid) {
			t.Fatalf("the session that hit the lock lives: %v", err)
		}
		if st, _ := env.DB.UserLockState(ctx, gent.ID, an.ID); !st.Locked(env.Clock.Now()) {
			t.Fatalf("not locked: %+v", st)
		}
		if _, _, err := login(env, gent.ID, "an@gent.be", goodPassword, h); !errors.Is(err, account.ErrLoginFailed) {
			t.Fatalf("login while locked: %v", err)
		}
		if n := auditCount(t, env, gent.ID, "stepup.failure", "step-up: wrong password"); n != 5 {
			t.Fatalf("stepup.failure events: %d", n)
		}
		lines, ms := claimAll(t, env)
		want := []string{"account.locked nl an@gent.be", "account.locked-admin nl admin@gent.be"}
		if strings.Join(lines, "|") != strings.Join(want, "|") {
			t.Fatalf("lock mails: %v, want %v", lines, want)
		}
		for _, m := range ms {
			if !strings.Contains(m.Body, "voor 15 minuten") || !strings.Contains(m.Body, "Naam an@gent.be") {
				t.Fatalf("lock mail body:\n%s", m.Body)
			}
		}
	})
}

// wrongTOTP is a well-formed code that is not secret's at now.
func wrongTOTP(secret []byte, now time.Time) string {
	c := []byte(mfa.CodeAt(secret, now))
	c[0] = '0' + (c[0]-'0'+1)%10
	return string(c)
}

// TestASVS_7_5_2_OwnSessions: a user lists their live sessions with the
// sealed device label, ends one by its id (never another user's), and the
// admin's count follows.
func TestASVS_7_5_2_OwnSessions(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		h := fastHasher()
		gent := newTenant(t, env, "gent")
		an := activeUser(t, env, gent, "an@gent.be", account.RoleUser, h)
		bo := activeUser(t, env, gent, "bo@gent.be", account.RoleUser, h)
		var toks []store.SessionToken
		for _, hint := range []string{"Vivaldi on Haiku", "Safari on iOS"} {
			_, tok, err := env.DB.Login(ctx, gent.ID, "an@gent.be", goodPassword, h, account.DefaultLockout, "r",
				store.WithUserAgentHint(hint))
			if err != nil {
				t.Fatal(err)
			}
			toks = append(toks, tok)
			env.Clock.Advance(time.Second)
		}
		_, boTok, _ := login(env, gent.ID, "bo@gent.be", goodPassword, h)
		if found := storetest.FindPlaintext(t, env, "Gemeente gent", "Vivaldi on Haiku", "Safari on iOS"); len(found) > 0 {
			t.Fatalf("device labels in plaintext: %v", found)
		}
		list, err := env.DB.UserSessions(ctx, self(an), gent.ID, an.ID)
		if err != nil || len(list) != 2 || list[0].UserAgentHint != "Safari on iOS" || list[1].UserAgentHint != "Vivaldi on Haiku" {
			t.Fatalf("sessions: %+v %v", list, err)
		}
		if n, _ := env.DB.ActiveSessionCount(ctx, gent.ID, an.ID); n != 2 {
			t.Fatalf("count: %d", n)
		}
		_, boInfo, _ := env.DB.Session(ctx, gent.ID, string(boTok))
		if err := env.DB.RevokeSessionByID(ctx, self(an), gent.ID, an.ID, boInfo.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("revoke another user's session: %v", err)
		}
		if err := env.DB.RevokeSessionByID(ctx, self(an), gent.ID, an.ID, "not-an-id"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("malformed id: %v", err)
		}
		if _, _, err := env.DB.Session(ctx, gent.ID, string(boTok)); err != nil {
			t.Fatalf("bo's session: %v", err)
		}
		if err := env.DB.RevokeSessionByID(ctx, self(an), gent.ID, an.ID, list[1].ID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := env.DB.Session(ctx, gent.ID, string(toks[0])); !errors.Is(err, store.ErrSessionInvalid) {
			t.Fatalf("revoked session lives: %v", err)
		}
		if err := env.DB.RevokeSessionByID(ctx, self(an), gent.ID, an.ID, list[1].ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("revoke twice: %v", err)
		}
		if n, _ := env.DB.ActiveSessionCount(ctx, gent.ID, an.ID); n != 1 {
			t.Fatalf("count after revoke: %d", n)
		}
		// Idle sessions are not listed nor counted.
		env.Clock.Advance(store.DefaultSessions.Idle + time.Minute)
		if n, _ := env.DB.ActiveSessionCount(ctx, gent.ID, an.ID); n != 0 {
			t.Fatalf("count after idle timeout: %d", n)
		}
		if n := auditCount(t, env, gent.ID, "session.list", ""); n != 1 {
			t.Fatalf("session.list events: %d", n)
		}
		_ = bo
	})
}

// TestClauseUSR6_AccountNotices: MFA enrolled, recovery codes regenerated,
// MFA reset by an admin and an unlock after a lock are each told to the
// user by mail in their language (unlocks and locks also to the admins);
// an unlock of an account that was not locked tells nobody.
func TestClauseUSR6_AccountNotices(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		h := fastHasher()
		gent := newTenant(t, env, "gent")
		admin := activeUser(t, env, gent, "admin@gent.be", account.RoleAdmin, h)
		_, tok, err := env.DB.InviteUser(ctx, operator, gent.ID, account.Invite{Email: "fr@gent.be", Name: "Françoise",
			Role: account.RoleUser, Lang: "fr"})
		if err != nil {
			t.Fatal(err)
		}
		hash, _ := h.Hash(ctx, goodPassword)
		fr, err := env.DB.ActivateUser(ctx, gent.ID, tok.Plain, hash, "r")
		if err != nil {
			t.Fatal(err)
		}
		claimAll(t, env)
		check := func(what string, want ...string) []store.QueuedMail {
			t.Helper()
			lines, ms := claimAll(t, env)
			if strings.Join(lines, "|") != strings.Join(want, "|") {
				t.Fatalf("%s: mails %v, want %v", what, lines, want)
			}
			return ms
		}
		enrolTOTP(t, env, fr)
		ms := check("enrol", "account.mfa-enrolled fr fr@gent.be")
		if !strings.Contains(ms[0].Body, "Françoise") || !strings.Contains(ms[0].Body, "Si ce n'était pas vous") {
			t.Fatalf("enrol mail:\n%s", ms[0].Body)
		}
		if _, err := env.DB.RegenerateRecoveryCodes(ctx, self(fr), gent.ID, fr.ID); err != nil {
			t.Fatal(err)
		}
		check("regenerate", "account.recovery-codes fr fr@gent.be")
		if err := env.DB.RemoveTOTP(ctx, adminActor(admin), gent.ID, fr.ID); err != nil {
			t.Fatal(err)
		}
		check("admin reset", "account.mfa-reset fr fr@gent.be")
		if err := env.DB.RemoveTOTP(ctx, adminActor(admin), gent.ID, fr.ID); err != nil {
			t.Fatal(err)
		}
		check("reset with nothing enrolled")
		if err := env.DB.Unlock(ctx, adminActor(admin), gent.ID, fr.ID); err != nil {
			t.Fatal(err)
		}
		check("unlock without a lock")
		for range account.DefaultLockout.MaxFailures {
			login(env, gent.ID, "fr@gent.be", "wrong password wrong password", h)
		}
		ms = check("lock by login", "account.locked fr fr@gent.be", "account.locked-admin nl admin@gent.be")
		if err := env.DB.Unlock(ctx, adminActor(admin), gent.ID, fr.ID); err != nil {
			t.Fatal(err)
		}
		check("unlock", "account.unlocked fr fr@gent.be", "account.unlocked-admin nl admin@gent.be")
		_ = ms
		if _, err := env.DB.VerifyAudit(ctx, gent.ID); err != nil {
			t.Fatal(err)
		}
		_ = audit.OutcomeSuccess
	})
}
