package store_test

import (
	"errors"
	"testing"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

func adminActor(u account.User) audit.Actor {
	return audit.Actor{Kind: audit.KindUser, ID: u.ID, Role: string(u.Role), RequestID: "req-admin"}
}

// TestStoreAdminManagesUsers: role change, disable (sessions end in the
// same transaction), enable, each audited; another tenant's id is
// ErrNotFound and changes nothing.
func TestStoreAdminManagesUsers(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		h := fastHasher()
		gent, brugge := newTenant(t, env, "gent"), newTenant(t, env, "brugge")
		admin := activeUser(t, env, gent, "admin@gent.be", account.RoleAdmin, h)
		an := activeUser(t, env, gent, "an@gent.be", account.RoleUser, h)
		other := activeUser(t, env, brugge, "bo@brugge.be", account.RoleUser, h)
		me := adminActor(admin)

		if err := env.DB.SetUserRole(ctx, me, gent.ID, an.ID, "boss"); err == nil {
			t.Fatal("unknown role accepted")
		}
		if err := env.DB.SetUserRole(ctx, me, gent.ID, an.ID, account.RoleDPO); err != nil {
			t.Fatal(err)
		}
		if u, err := env.DB.User(ctx, me, gent.ID, an.ID); err != nil || u.Role != account.RoleDPO || u.Email != "an@gent.be" {
			t.Fatalf("after role change: %+v %v", u, err)
		}
		if n := auditCount(t, env, gent.ID, "user.role", "user management (role user→dpo)"); n != 1 {
			t.Fatalf("user.role events: %d", n)
		}
		_, tok, err := login(env, gent.ID, "an@gent.be", goodPassword, h)
		if err != nil {
			t.Fatal(err)
		}
		if err := env.DB.DisableUser(ctx, me, gent.ID, an.ID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := env.DB.Session(ctx, gent.ID, string(tok)); !errors.Is(err, store.ErrSessionInvalid) {
			t.Fatalf("session of a disabled user: %v", err)
		}
		var revoked int
		env.Raw(t).QueryRow(`SELECT count(*) FROM sessions WHERE user_id = $1 AND revoked_at IS NOT NULL`, an.ID).Scan(&revoked)
		if revoked != 1 {
			t.Fatalf("revoked sessions: %d", revoked)
		}
		if _, _, err := login(env, gent.ID, "an@gent.be", goodPassword, h); err == nil {
			t.Fatal("a disabled user logged in")
		}
		if err := env.DB.EnableUser(ctx, me, gent.ID, an.ID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := env.DB.Session(ctx, gent.ID, string(tok)); !errors.Is(err, store.ErrSessionInvalid) {
			t.Fatalf("an ended session came back on enable: %v", err)
		}
		if _, _, err := login(env, gent.ID, "an@gent.be", goodPassword, h); err != nil {
			t.Fatalf("login after enable: %v", err)
		}
		for _, a := range []string{"user.disable", "user.enable", "user.read"} {
			if n := auditCount(t, env, gent.ID, a, ""); n != 1 {
				t.Fatalf("%s events: %d", a, n)
			}
		}
		// Never across tenants.
		for name, err := range map[string]error{
			"role":    env.DB.SetUserRole(ctx, me, gent.ID, other.ID, account.RoleAdmin),
			"disable": env.DB.DisableUser(ctx, me, gent.ID, other.ID),
			"enable":  env.DB.EnableUser(ctx, me, gent.ID, other.ID),
		} {
			if !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("%s across tenants: %v", name, err)
			}
		}
		if _, err := env.DB.User(ctx, me, gent.ID, other.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("read across tenants: %v", err)
		}
		if u, _ := env.DB.User(ctx, operator, brugge.ID, other.ID); u.Role != account.RoleUser || u.Status != account.StatusActive {
			t.Fatalf("other tenant's user changed: %+v", u)
		}
	})
}

// TestCannotRemoveLastAdmin: an admin can neither disable nor demote
// themselves, and nobody can disable or demote the tenant's last active
// admin; the refusals change nothing and record nothing.
func TestCannotRemoveLastAdmin(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		h := fastHasher()
		gent := newTenant(t, env, "gent")
		admin := activeUser(t, env, gent, "admin@gent.be", account.RoleAdmin, h)
		second := activeUser(t, env, gent, "tweede@gent.be", account.RoleAdmin, h)
		me := adminActor(admin)

		refuse := func(what string, err, want error) {
			t.Helper()
			if !errors.Is(err, want) || !errors.Is(err, store.ErrConflict) {
				t.Fatalf("%s: %v, want %v", what, err, want)
			}
		}
		refuse("self-disable", env.DB.DisableUser(ctx, me, gent.ID, admin.ID), store.ErrOwnAccount)
		refuse("self-demote", env.DB.SetUserRole(ctx, me, gent.ID, admin.ID, account.RoleUser), store.ErrOwnAccount)
		// With a second admin, one may demote the other ...
		if err := env.DB.SetUserRole(ctx, me, gent.ID, second.ID, account.RoleUser); err != nil {
			t.Fatal(err)
		}
		// ... but then the first is the last: even an operator may not
		// take them away.
		refuse("last admin disabled", env.DB.DisableUser(ctx, operator, gent.ID, admin.ID), store.ErrLastAdmin)
		refuse("last admin demoted", env.DB.SetUserRole(ctx, operator, gent.ID, admin.ID, account.RoleDPO), store.ErrLastAdmin)
		// A disabled admin does not count as an admin.
		if err := env.DB.SetUserRole(ctx, me, gent.ID, second.ID, account.RoleAdmin); err != nil {
			t.Fatal(err)
		}
		if err := env.DB.DisableUser(ctx, me, gent.ID, second.ID); err != nil {
			t.Fatal(err)
		}
		refuse("last active admin demoted", env.DB.SetUserRole(ctx, operator, gent.ID, admin.ID, account.RoleUser), store.ErrLastAdmin)

		u, err := env.DB.User(ctx, operator, gent.ID, admin.ID)
		if err != nil || u.Role != account.RoleAdmin || u.Status != account.StatusActive {
			t.Fatalf("admin after refusals: %+v %v", u, err)
		}
		if n := auditCount(t, env, gent.ID, "user.disable", ""); n != 1 {
			t.Fatalf("user.disable events: %d (refusals recorded as changes?)", n)
		}
	})
}
