package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/storetest"
)

// Administration is for the roles that have its permission: the clerk is
// refused the users page, clerk and DPO inviting, the admin is not. The
// whole table of routes and roles is TestAuthorisationMatrix.
func TestASVS_8_2_1_FunctionsNeedTheirPermission(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fe, _ := staffPagesEnv(t, env)
		if resp, _ := fe.get(t, "/gent/admin/users", fe.admin); resp.StatusCode != http.StatusOK {
			t.Fatalf("admin on the users page: %d", resp.StatusCode)
		}
		if resp, _ := fe.get(t, "/gent/admin/users", fe.clerk); resp.StatusCode != http.StatusForbidden {
			t.Errorf("clerk on the users page: %d, want 403", resp.StatusCode)
		}
		// The DPO reads the list (supervision) but manages no one.
		for _, who := range []struct{ name, cookie string }{{"clerk", fe.clerk}, {"dpo", fe.dpo}} {
			if resp, _ := fe.submit(t, "/gent/admin/users", who.cookie, url.Values{"email": {"x@gent.be"}, "name": {"X"}, "role": {"admin"}}); resp.StatusCode != http.StatusForbidden {
				t.Errorf("%s inviting an admin: %d, want 403", who.name, resp.StatusCode)
			}
		}
	})
}

// A submission is shown only to members granted its form: the clerk
// without the grant gets a 404 for the very id the admin opens.
func TestASVS_8_2_2_SubmissionOnlyForMembersOfItsForm(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fe, fill := staffPagesEnv(t, env)
		target := fill.Replace("/gent/inbox/submissions/{sub}")
		if resp, _ := fe.get(t, target, fe.admin); resp.StatusCode != http.StatusOK {
			t.Fatalf("granted admin: %d", resp.StatusCode)
		}
		resp, body := fe.get(t, target, fe.clerk)
		if resp.StatusCode != http.StatusNotFound || strings.Contains(body, "Burger") {
			t.Fatalf("clerk without the form's grant: %d", resp.StatusCode)
		}
	})
}

// The server decides, not the page: a clerk who posts the admin's role
// form by hand (the page never showed it to them) is refused and nothing
// changes.
func TestASVS_8_3_1_ServerEnforcesWhatThePageHides(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fe, _ := staffPagesEnv(t, env)
		clerkID := fe.userID(t, "clerk@gent.be")
		_, body := fe.get(t, "/gent/signed-in", fe.clerk)
		if strings.Contains(body, "/gent/admin/users") {
			t.Fatal("the clerk's page links to user management")
		}
		resp, _ := fe.submit(t, "/gent/admin/users/"+clerkID+"/role", fe.clerk, url.Values{"role": {"admin"}})
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("clerk making themselves admin: %d, want 403", resp.StatusCode)
		}
		u, err := env.DB.User(t.Context(), audit.Actor{Kind: audit.KindOperator, ID: "op"}, fe.gent.ID, clerkID)
		if err != nil || u.Role != account.RoleUser {
			t.Fatalf("clerk's role now %s (%v)", u.Role, err)
		}
	})
}

// An admin of another tenant reaches nothing of gent: their session is not
// one of gent, and gent's ids under their own tenant are unknown.
func TestASVS_8_4_1_NothingAcrossTenants(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fe, fill := staffPagesEnv(t, env)
		other := fe.adminOf(t, fe.brugge, "admin@brugge.be")
		for _, target := range []string{"/gent/inbox/submissions/{sub}", "/gent/admin/users/{user}", "/gent/admin/breaches/{breach}"} {
			target = fill.Replace(target)
			if resp, _ := fe.get(t, target, fe.admin); resp.StatusCode != http.StatusOK {
				t.Fatalf("gent's admin on %s: %d", target, resp.StatusCode)
			}
			if resp, _ := fe.get(t, target, other); resp.StatusCode == http.StatusOK {
				t.Errorf("brugge's admin on %s: %d", target, resp.StatusCode)
			}
			mine := strings.Replace(target, "/gent/", "/brugge/", 1)
			if resp, _ := fe.get(t, mine, other); resp.StatusCode != http.StatusNotFound {
				t.Errorf("brugge's admin on gent's id %s: %d, want 404", mine, resp.StatusCode)
			}
		}
		// Nor may they act: ending a gent user's sessions.
		resp, _ := fe.submit(t, fill.Replace("/brugge/admin/users/{user}/revoke-sessions"), other, url.Values{})
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("brugge's admin ending a gent user's sessions: %d, want 404", resp.StatusCode)
		}
	})
}

// Field-level: a form changes the fields it is for and no other, whatever
// else is posted with it. The admin's role form carrying an address, a
// name, a status and another tenant changes the role only.
func TestASVS_8_2_3_FormChangesOnlyItsOwnFields(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fe, _ := staffPagesEnv(t, env)
		clerkID := fe.userID(t, "clerk@gent.be")
		op := audit.Actor{Kind: audit.KindOperator, ID: "op"}
		before, err := env.DB.User(t.Context(), op, fe.gent.ID, clerkID)
		if err != nil {
			t.Fatal(err)
		}
		resp, _ := fe.submit(t, "/gent/admin/users/"+clerkID+"/role", fe.admin, url.Values{"role": {"dpo"},
			"email": {"evil@example.com"}, "name": {"Evil"}, "status": {"disabled"}, "tenant_id": {fe.brugge.ID}, "id": {"x"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("role change: %d", resp.StatusCode)
		}
		after, err := env.DB.User(t.Context(), op, fe.gent.ID, clerkID)
		if err != nil {
			t.Fatal(err)
		}
		if after.Role != account.RoleDPO {
			t.Fatalf("role %s, want dpo", after.Role)
		}
		if after.Email != before.Email || after.Name != before.Name || after.Status != before.Status {
			t.Fatalf("other fields changed: %+v → %+v", before, after)
		}
	})
}
