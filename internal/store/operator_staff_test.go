package store_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/mfa"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

// TestClauseAUD5_StaffListShowsEveryOperator: a controller's staff list
// names every operator account that can be granted access — invited,
// active or suspended — with department, MFA state and since when; a
// removed account leaves it; reading it is in the controller's own log.
func TestClauseAUD5_StaffListShowsEveryOperator(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		gent := newTenant(t, env, "gent")
		cli := audit.Actor{Kind: audit.KindOperator, ID: "cli:root", Role: "operator"}
		dpo := audit.Actor{Kind: audit.KindUser, ID: "dpo-1", Role: "dpo"}

		if staff, err := env.DB.OperatorStaff(ctx, dpo, gent.ID); err != nil || len(staff) != 0 {
			t.Fatalf("no realm yet: %v %v", staff, err)
		}
		realm, err := env.DB.OperatorRealm(ctx, cli)
		if err != nil {
			t.Fatal(err)
		}
		invite := func(email, name, dept string) account.User {
			u, tok, err := env.DB.InviteUser(ctx, cli, realm.ID, account.Invite{Email: email, Name: name, Role: account.RoleAdmin, Department: dept})
			if err != nil {
				t.Fatal(err)
			}
			if dept != "" { // Ann and Cas activate their accounts; Bob does not
				if _, err := env.DB.ActivateUser(ctx, realm.ID, tok.Plain, "x", "r"); err != nil {
					t.Fatal(err)
				}
			}
			return u
		}
		// A department that is not one short line is refused, nothing stored.
		var ve *account.ValidationError
		if _, _, err := env.DB.InviteUser(ctx, cli, realm.ID, account.Invite{Email: "x@lev.be", Name: "X", Role: account.RoleAdmin,
			Department: strings.Repeat("d", 101)}); !errors.As(err, &ve) || ve.Fields["department"] == "" {
			t.Fatalf("long department: %v", err)
		}
		ann := invite("ann@lev.be", "Ann Support", "Support")
		env.Clock.Advance(time.Minute)
		bob := invite("bob@lev.be", "Bob Hosting", "")
		env.Clock.Advance(time.Minute)
		cas := invite("cas@lev.be", "Cas Weg", "Hosting")
		// Ann activates and enrols her second factor; Bob is suspended; Cas leaves.
		secret, err := env.DB.BeginTOTP(ctx, cli, realm.ID, ann.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := env.DB.ConfirmTOTP(ctx, cli, realm.ID, ann.ID, mfa.CodeAt(secret, env.Clock.Now())); err != nil {
			t.Fatal(err)
		}
		if err := env.DB.DisableUser(ctx, cli, realm.ID, bob.ID); err != nil {
			t.Fatal(err)
		}
		if err := env.DB.RemoveUser(ctx, cli, realm.ID, cas.ID); err != nil {
			t.Fatal(err)
		}
		if err := env.DB.SetOperatorDepartment(ctx, cli, "BOB@lev.be", "Hosting & back-ups"); err != nil {
			t.Fatal(err)
		}
		if err := env.DB.SetOperatorDepartment(ctx, cli, "nobody@lev.be", "X"); !errors.Is(err, store.ErrNoSuchOperator) {
			t.Fatalf("department of nobody: %v", err)
		}

		staff, err := env.DB.OperatorStaff(ctx, dpo, gent.ID)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, m := range staff {
			got = append(got, m.Name+"|"+m.Department+"|"+m.Status+"|"+map[bool]string{true: "mfa", false: "-"}[m.MFA]+"|"+
				m.Since.UTC().Format("15:04"))
		}
		start := ann.CreatedAt.UTC()
		want := []string{
			"Ann Support|Support|active|mfa|" + start.Format("15:04"),
			"Bob Hosting|Hosting & back-ups|disabled|-|" + start.Add(time.Minute).Format("15:04"),
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("staff list:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		var read []audit.Event
		env.DB.EachAuditEvent(ctx, gent.ID, func(e *audit.Event) error {
			if e.Action == "operator.staff.read" {
				read = append(read, *e)
			}
			return nil
		})
		if len(read) != 2 || read[1].Actor.ID != "dpo-1" || read[1].ObjectID != "2 operators" {
			t.Fatalf("staff list reads in the tenant's log: %+v", read)
		}
	})
}

// TestClauseAUD5_StaffChangeIsLoggedAndMailedToEveryTenant: each change of
// the staff list (added, activated, MFA enrolled or reset, suspended,
// enabled, department, removed) is one "operator.staff_change" event in
// every controller's own log and one mail to its DPO contact, in its
// language; other realm events and controller users' changes are not.
func TestClauseAUD5_StaffChangeIsLoggedAndMailedToEveryTenant(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		gent, brugge := newTenant(t, env, "gent"), newTenant(t, env, "brugge")
		cli := audit.Actor{Kind: audit.KindOperator, ID: "cli:root", Role: "operator"}
		realm, err := env.DB.OperatorRealm(ctx, cli)
		if err != nil {
			t.Fatal(err)
		}
		// A second operator, so that the realm keeps an active one when Ann
		// is suspended.
		_, ztok, err := env.DB.InviteUser(ctx, cli, realm.ID, account.Invite{Email: "zed@lev.be", Name: "Zed", Role: account.RoleAdmin})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := env.DB.ActivateUser(ctx, realm.ID, ztok.Plain, "x", "r"); err != nil {
			t.Fatal(err)
		}
		claimAll(t, env) // the mails so far

		// A controller's own user is no change of the supplier's staff.
		if _, _, err := env.DB.InviteUser(ctx, cli, gent.ID, account.Invite{Email: "clerk@gent.example", Name: "Clerk", Role: account.RoleUser}); err != nil {
			t.Fatal(err)
		}
		u, tok, err := env.DB.InviteUser(ctx, cli, realm.ID, account.Invite{Email: "ann@lev.be", Name: "MARKER-Ann-5d1", Role: account.RoleAdmin, Department: "Support"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := env.DB.ActivateUser(ctx, realm.ID, tok.Plain, "x", "r"); err != nil {
			t.Fatal(err)
		}
		secret, err := env.DB.BeginTOTP(ctx, cli, realm.ID, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		// A wrong code changes nothing.
		if _, err := env.DB.ConfirmTOTP(ctx, cli, realm.ID, u.ID, "000000"); !errors.Is(err, store.ErrMFAFailed) {
			t.Fatalf("wrong code: %v", err)
		}
		if _, err := env.DB.ConfirmTOTP(ctx, cli, realm.ID, u.ID, mfa.CodeAt(secret, env.Clock.Now())); err != nil {
			t.Fatal(err)
		}
		steps := []func() error{
			func() error { return env.DB.RemoveTOTP(ctx, cli, realm.ID, u.ID) },
			func() error { return env.DB.DisableUser(ctx, cli, realm.ID, u.ID) },
			func() error { return env.DB.EnableUser(ctx, cli, realm.ID, u.ID) },
			func() error { return env.DB.SetOperatorDepartment(ctx, cli, "ann@lev.be", "Hosting") },
			func() error { return env.DB.RemoveUser(ctx, cli, realm.ID, u.ID) },
		}
		for _, step := range steps {
			if err := step(); err != nil {
				t.Fatal(err)
			}
		}
		want := "added,activated,mfa_enrolled,mfa_reset,suspended,enabled,department,removed"
		for _, tn := range []string{gent.ID, brugge.ID} {
			var changes []string
			env.DB.EachAuditEvent(ctx, tn, func(e *audit.Event) error {
				if e.Action == "operator.staff_change" && e.ObjectID == u.ID {
					if e.Actor.Kind == "" {
						t.Errorf("change event %+v", e)
					}
					changes = append(changes, e.Purpose)
				}
				return nil
			})
			if got := strings.Join(changes, ","); got != want {
				t.Fatalf("tenant %s log: %s, want %s", tn, got, want)
			}
		}
		if n, err := env.DB.VerifyAudit(ctx, gent.ID); err != nil || n == 0 {
			t.Fatalf("gent chain after the fan-out: %d %v", n, err)
		}
		_, ms := claimAll(t, env)
		perTenant := map[string][]string{}
		for _, m := range ms {
			if m.Kind != "operator.staff_change" {
				continue
			}
			perTenant[m.TenantID] = append(perTenant[m.TenantID], m.To)
			if m.Lang != "nl" || !strings.Contains(m.Subject, "medewerkers van de leverancier") {
				t.Errorf("mail %q in %s", m.Subject, m.Lang)
			}
			if strings.Contains(m.Body, "toegevoegd") && !strings.Contains(m.Body, "MARKER-Ann-5d1") {
				t.Errorf("the 'added' mail does not name the operator:\n%s", m.Body)
			}
		}
		for tn, slug := range map[string]string{gent.ID: "gent", brugge.ID: "brugge"} {
			got := perTenant[tn]
			if len(got) != 8 {
				t.Fatalf("tenant %s got %d staff mails, want 8 (one per change)", slug, len(got))
			}
			for _, to := range got {
				if to != "dpo@"+slug+".example" {
					t.Fatalf("mail to %s, want the DPO of %s", to, slug)
				}
			}
		}
	})
}
