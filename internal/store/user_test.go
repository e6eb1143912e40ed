package store_test

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

var anInvite = account.Invite{Email: "An.Peeters@Gent.be", Name: "An Peeters", Role: account.RoleAdmin, Lang: "nl"}

// TestClauseUSR1_ControllerInvitesOwnUsers: a tenant admin (or, to
// bootstrap, an operator) invites a user; the invitation is single use,
// expires after 24 hours, and the user chooses the password (USR-3).
func TestClauseUSR1_ControllerInvitesOwnUsers(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		tn := newTenant(t, env, "gent")
		u, tok, err := env.DB.InviteUser(ctx, operator, tn.ID, anInvite)
		if err != nil {
			t.Fatal(err)
		}
		if u.Status != account.StatusInvited || u.Role != account.RoleAdmin {
			t.Fatalf("invited user: %+v", u)
		}
		// Same address in another case: refused, nothing written.
		dup := anInvite
		dup.Email = "an.peeters@gent.BE"
		if _, _, err := env.DB.InviteUser(ctx, operator, tn.ID, dup); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("duplicate: %v", err)
		}
		got, err := env.DB.Invitation(ctx, tn.ID, tok.Plain)
		if err != nil || got.ID != u.ID || got.Email != anInvite.Email {
			t.Fatalf("invitation: %+v %v", got, err)
		}
		act, err := env.DB.ActivateUser(ctx, tn.ID, tok.Plain, "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA", "req-1")
		if err != nil || act.Status != account.StatusActive {
			t.Fatalf("activate: %+v %v", act, err)
		}
		if _, err := env.DB.ActivateUser(ctx, tn.ID, tok.Plain, "x", "req-2"); !errors.Is(err, account.ErrTokenInvalid) {
			t.Fatalf("reused invitation: %v", err)
		}
		users, err := env.DB.Users(ctx, clerk("admin"), tn.ID)
		if err != nil || len(users) != 1 || users[0].Status != account.StatusActive || users[0].Name != "An Peeters" {
			t.Fatalf("users: %+v %v", users, err)
		}
		var actions []string
		env.DB.EachAuditEvent(ctx, tn.ID, func(e *audit.Event) error { actions = append(actions, e.Action); return nil })
		if got := strings.Join(actions, ","); got != "tenant.create,user.invite,user.invitation.open,user.invitation.open,user.activate,user.list" {
			t.Fatalf("audit: %s", got)
		}
	})
}

func TestInvitationExpiresAfter24Hours(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		tn := newTenant(t, env, "gent")
		_, tok, err := env.DB.InviteUser(ctx, operator, tn.ID, anInvite)
		if err != nil {
			t.Fatal(err)
		}
		env.Clock.Advance(account.InvitationTTL + time.Second)
		if _, err := env.DB.ActivateUser(ctx, tn.ID, tok.Plain, "x", "r"); !errors.Is(err, account.ErrTokenInvalid) {
			t.Fatalf("expired invitation: %v", err)
		}
	})
}

func TestInvitationIsBoundToItsTenant(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		a, b := newTenant(t, env, "a"), newTenant(t, env, "b")
		_, tok, err := env.DB.InviteUser(ctx, operator, a.ID, anInvite)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := env.DB.Invitation(ctx, b.ID, tok.Plain); !errors.Is(err, account.ErrTokenInvalid) {
			t.Fatalf("token of tenant A accepted by tenant B: %v", err)
		}
		// The same person may be a user of two tenants.
		if _, _, err := env.DB.InviteUser(ctx, operator, b.ID, anInvite); err != nil {
			t.Fatal(err)
		}
	})
}

// Two activations racing with one token: exactly one wins.
func TestInvitationSingleUseUnderRace(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		tn := newTenant(t, env, "gent")
		_, tok, err := env.DB.InviteUser(ctx, operator, tn.ID, anInvite)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for i := range errs {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				_, errs[i] = env.DB.ActivateUser(ctx, tn.ID, tok.Plain, "x", "r")
			}(i)
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			if err == nil {
				ok++
			} else if !errors.Is(err, account.ErrTokenInvalid) {
				t.Fatal(err)
			}
		}
		if ok != 1 {
			t.Fatalf("%d activations succeeded", ok)
		}
	})
}

func TestClauseSEC2_UserPersonalDataSealed(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		tn := newTenant(t, env, "gent")
		in := anInvite
		in.Email, in.Name = "marker-user-9d2@gent.be", "MARKER-USER-NAME-9d2"
		if _, _, err := env.DB.InviteUser(ctx, operator, tn.ID, in); err != nil {
			t.Fatal(err)
		}
		if found := storetest.FindPlaintext(t, env, "Gemeente gent", in.Email, in.Name, "marker-user-9d2"); len(found) > 0 {
			t.Fatalf("plaintext personal data at rest: %v", found)
		}
	})
}

// The invitation and its mail are one unit: a mail that cannot be queued
// leaves no user and no invitation behind.
func TestASVS_2_3_3_InviteWithMailIsAtomic(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		tn := newTenant(t, env, "gent")
		_, _, err := env.DB.InviteUserWithMail(ctx, operator, tn.ID, anInvite, func(u account.User, token string) *store.OutgoingMail {
			return &store.OutgoingMail{To: "", Subject: "x", Body: token, Lang: "nl", Kind: "account.invite"} // no recipient
		})
		if err == nil {
			t.Fatal("invalid mail accepted")
		}
		var users, mails int
		raw := env.Raw(t)
		raw.QueryRow(`SELECT count(*) FROM users`).Scan(&users)
		raw.QueryRow(`SELECT count(*) FROM mail_outbox`).Scan(&mails)
		if users != 0 || mails != 0 {
			t.Fatalf("left behind: %d users, %d mails", users, mails)
		}
		_, tok, err := env.DB.InviteUserWithMail(ctx, operator, tn.ID, anInvite, func(u account.User, token string) *store.OutgoingMail {
			return &store.OutgoingMail{To: u.Email, Subject: "Uitnodiging", Body: "/gent/activate/" + token, Lang: u.Lang, Kind: "account.invite"}
		})
		if err != nil || tok.Plain == "" {
			t.Fatal(err)
		}
		raw.QueryRow(`SELECT count(*) FROM mail_outbox`).Scan(&mails)
		if mails != 1 {
			t.Fatalf("mails: %d", mails)
		}
	})
}
