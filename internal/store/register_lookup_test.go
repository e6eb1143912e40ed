package store_test

import (
	"errors"
	"testing"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

// TestRegisterLookup_ClauseAUD1_GrantRevokeAudited: an admin authorises a
// medewerker and an admin (themselves too) to consult the national
// register and takes it back; each change is one audited event in the
// same transaction, the flag reads back with the user and with their
// session, and setting what is set records nothing. A DPO, who handles no
// submissions, is refused (ErrLookupNeedsInbox); another tenant's user is
// ErrNotFound; refusals change and record nothing.
func TestRegisterLookup_ClauseAUD1_GrantRevokeAudited(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		h := fastHasher()
		gent, brugge := newTenant(t, env, "gent"), newTenant(t, env, "brugge")
		admin := activeUser(t, env, gent, "admin@gent.be", account.RoleAdmin, h)
		an := activeUser(t, env, gent, "an@gent.be", account.RoleUser, h)
		dpo := activeUser(t, env, gent, "dpo@gent.be", account.RoleDPO, h)
		other := activeUser(t, env, brugge, "bo@brugge.be", account.RoleUser, h)
		me := adminActor(admin)

		if account.UserCan(admin, account.LookupRegister) || account.UserCan(an, account.LookupRegister) {
			t.Fatal("a role carries the national register look-up")
		}
		for _, u := range []account.User{an, admin} {
			if err := env.DB.SetRegisterLookup(ctx, me, gent.ID, u.ID, true); err != nil {
				t.Fatal(err)
			}
			got, err := env.DB.User(ctx, me, gent.ID, u.ID)
			if err != nil || !got.RegisterLookup || !account.UserCan(got, account.LookupRegister) {
				t.Fatalf("after grant: %+v %v", got, err)
			}
		}
		if u, _, err := login(env, gent.ID, "an@gent.be", goodPassword, h); err != nil || !account.UserCan(u, account.LookupRegister) {
			t.Fatalf("signed-in user: %+v %v", u, err)
		}
		if err := env.DB.SetRegisterLookup(ctx, me, gent.ID, an.ID, true); err != nil {
			t.Fatal(err)
		}
		if n := auditCount(t, env, gent.ID, "user.register_lookup.grant", ""); n != 2 {
			t.Fatalf("grant events: %d, want 2", n)
		}
		if err := env.DB.SetRegisterLookup(ctx, me, gent.ID, an.ID, false); err != nil {
			t.Fatal(err)
		}
		if got, _ := env.DB.User(ctx, me, gent.ID, an.ID); got.RegisterLookup || account.UserCan(got, account.LookupRegister) {
			t.Fatalf("after revoke: %+v", got)
		}
		if n := auditCount(t, env, gent.ID, "user.register_lookup.revoke", "user management (national register look-up, role user)"); n != 1 {
			t.Fatalf("revoke events: %d", n)
		}

		before := auditCount(t, env, gent.ID, "user.register_lookup.grant", "")
		if err := env.DB.SetRegisterLookup(ctx, me, gent.ID, dpo.ID, true); !errors.Is(err, store.ErrLookupNeedsInbox) || !errors.Is(err, store.ErrConflict) {
			t.Fatalf("grant to a DPO: %v", err)
		}
		if err := env.DB.SetRegisterLookup(ctx, me, gent.ID, other.ID, true); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("grant across tenants: %v", err)
		}
		if n := auditCount(t, env, gent.ID, "user.register_lookup.grant", ""); n != before {
			t.Fatalf("a refused grant was recorded: %d, want %d", n, before)
		}
		if got, _ := env.DB.User(ctx, me, gent.ID, dpo.ID); got.RegisterLookup {
			t.Fatal("a refused grant was saved")
		}
	})
}
