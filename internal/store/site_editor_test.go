package store_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

// TestSiteEditor_ClauseUSR5_GrantRevokeAudited: an admin makes a medewerker
// and a DPO site editors and takes it back; each change is one audited
// event in the same transaction ("user.site_editor.grant"/".revoke"), the
// flag reads back with the user (and so with their session), and setting
// what is set records nothing. Granting to an admin is refused
// (ErrEditorIsAdmin), another tenant's or a removed user is ErrNotFound;
// refusals change and record nothing.
func TestSiteEditor_ClauseUSR5_GrantRevokeAudited(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		h := fastHasher()
		gent, brugge := newTenant(t, env, "gent"), newTenant(t, env, "brugge")
		admin := activeUser(t, env, gent, "admin@gent.be", account.RoleAdmin, h)
		admin2 := activeUser(t, env, gent, "admin2@gent.be", account.RoleAdmin, h)
		an := activeUser(t, env, gent, "an@gent.be", account.RoleUser, h)
		dpo := activeUser(t, env, gent, "dpo@gent.be", account.RoleDPO, h)
		gone := activeUser(t, env, gent, "gone@gent.be", account.RoleUser, h)
		other := activeUser(t, env, brugge, "bo@brugge.be", account.RoleUser, h)
		me := adminActor(admin)

		if an.SiteEditor {
			t.Fatal("a new user is a site editor")
		}
		for _, u := range []account.User{an, dpo} {
			if err := env.DB.SetSiteEditor(ctx, me, gent.ID, u.ID, true); err != nil {
				t.Fatal(err)
			}
			got, err := env.DB.User(ctx, me, gent.ID, u.ID)
			if err != nil || !got.SiteEditor || got.Role != u.Role {
				t.Fatalf("after grant: %+v %v", got, err)
			}
			if !account.UserCan(got, account.EditSite) || !account.UserCan(got, account.ViewAnalytics) || account.UserCan(got, account.ManageUsers) {
				t.Fatalf("an editor's permissions: %+v", got)
			}
		}
		// The session carries the flag: require checks what the session's
		// user may do.
		if u, _, err := login(env, gent.ID, "an@gent.be", goodPassword, h); err != nil || !u.SiteEditor {
			t.Fatalf("signed-in editor: %+v %v", u, err)
		}
		// Again: nothing changes, nothing is recorded.
		if err := env.DB.SetSiteEditor(ctx, me, gent.ID, an.ID, true); err != nil {
			t.Fatal(err)
		}
		if n := auditCount(t, env, gent.ID, "user.site_editor.grant", ""); n != 2 {
			t.Fatalf("grant events: %d, want 2", n)
		}
		if err := env.DB.SetSiteEditor(ctx, me, gent.ID, an.ID, false); err != nil {
			t.Fatal(err)
		}
		if got, _ := env.DB.User(ctx, me, gent.ID, an.ID); got.SiteEditor || account.UserCan(got, account.EditSite) {
			t.Fatalf("after revoke: %+v", got)
		}
		if n := auditCount(t, env, gent.ID, "user.site_editor.revoke", "user management (site editor, role user)"); n != 1 {
			t.Fatalf("revoke events: %d", n)
		}
		events, _ := auditActions(t, env, gent.ID)
		for _, e := range events {
			if strings.HasPrefix(e.Action, "user.site_editor") && (e.Actor.ID != admin.ID || e.Subject == "" || e.ObjectType != "user") {
				t.Fatalf("event does not name actor and user: %+v", e)
			}
		}

		// Refusals: nothing changes, nothing recorded.
		before := auditCount(t, env, gent.ID, "user.site_editor.grant", "")
		if err := env.DB.SetSiteEditor(ctx, me, gent.ID, admin2.ID, true); !errors.Is(err, store.ErrEditorIsAdmin) || !errors.Is(err, store.ErrConflict) {
			t.Fatalf("grant to an admin: %v", err)
		}
		if err := env.DB.SetSiteEditor(ctx, me, gent.ID, other.ID, true); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("grant across tenants: %v", err)
		}
		if err := env.DB.RemoveUser(ctx, me, gent.ID, gone.ID); err != nil {
			t.Fatal(err)
		}
		if err := env.DB.SetSiteEditor(ctx, me, gent.ID, gone.ID, true); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("grant to a removed user: %v", err)
		}
		if n := auditCount(t, env, gent.ID, "user.site_editor.grant", ""); n != before {
			t.Fatalf("a refused grant was recorded: %d events, want %d", n, before)
		}
		if got, _ := env.DB.User(ctx, operator, brugge.ID, other.ID); got.SiteEditor {
			t.Fatal("another tenant's user became a site editor")
		}
		if got, _ := env.DB.User(ctx, me, gent.ID, admin2.ID); got.SiteEditor {
			t.Fatal("a refused grant was saved")
		}
	})
}

// TestSiteEditor_ClauseUSR2_EditorNeedsSecondFactor: a site editor must use
// a second factor like an admin, and cannot remove their last one; a
// medewerker without the permission need not.
func TestSiteEditor_ClauseUSR2_EditorNeedsSecondFactor(t *testing.T) {
	user := account.User{Role: account.RoleUser}
	if user.NeedsMFA(false) || !user.NeedsMFA(true) {
		t.Fatal("a medewerker needs MFA only when the tenant says so")
	}
	user.SiteEditor = true
	if !user.NeedsMFA(false) {
		t.Fatal("a site editor may sign in without a second factor")
	}
	if support := (account.User{Role: account.RoleSupport, SiteEditor: true}); account.UserCan(support, account.EditSite) {
		t.Fatal("a supplier operator edits the site")
	}
}

// TestSiteEditor_ImageInUseIsNotDeleted: an image shown by a page's draft
// or by its published version is not deleted: the refusal names the pages
// (by title in the default language) and deletes and records nothing; once
// no current version shows it, it is deleted. An image whose id merely
// starts another's id is not "in use".
func TestSiteEditor_ImageInUseIsNotDeleted(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		tn := newTenant(t, env, "zonnedal")
		alt := map[string]string{"nl": "Het stadspark"}
		id, err := env.DB.SaveSiteImage(ctx, clerk("editor1"), tn.ID, tinyPNG, alt)
		if err != nil {
			t.Fatal(err)
		}
		spare, err := env.DB.SaveSiteImage(ctx, clerk("editor1"), tn.ID, tinyPNG, alt)
		if err != nil {
			t.Fatal(err)
		}
		img := "![Het stadspark](/zonnedal/site/images/" + id + ")"
		// "openingsuren": published with the image, then a draft without
		// it. "parken": a draft only, with it.
		page, _, err := env.DB.SaveSitePage(ctx, clerk("editor1"), tn.ID, "", siteDraft("openingsuren", "Open.\n\n"+img), 0)
		if err != nil {
			t.Fatal(err)
		}
		if err := env.DB.PublishSitePage(ctx, clerk("editor1"), tn.ID, page, 1); err != nil {
			t.Fatal(err)
		}
		if _, _, err := env.DB.SaveSitePage(ctx, clerk("editor1"), tn.ID, page, siteDraft("openingsuren", "Open."), 1); err != nil {
			t.Fatal(err)
		}
		parken := siteDraft("parken", img)
		parken.Text["nl"] = store.SiteText{Title: "Parken", Body: img}
		parkenID, _, err := env.DB.SaveSitePage(ctx, clerk("editor1"), tn.ID, "", parken, 0)
		if err != nil {
			t.Fatal(err)
		}

		err = env.DB.DeleteSiteImage(ctx, clerk("editor2"), tn.ID, id)
		var inUse *store.ImageInUseError
		if !errors.As(err, &inUse) || !errors.Is(err, store.ErrConflict) || strings.Join(inUse.Pages, "|") != "Openingsuren|Parken" {
			t.Fatalf("delete of an image in use: %v", err)
		}
		if _, err := env.DB.SiteImageData(ctx, tn.ID, id); err != nil {
			t.Fatalf("the refused image is gone: %v", err)
		}
		if n := auditCount(t, env, tn.ID, "site.image.delete", ""); n != 0 {
			t.Fatalf("a refused delete was recorded: %d", n)
		}
		// Only the pages' current versions count: take it out of the
		// draft of "parken" and publish "openingsuren" without it.
		parken.Text["nl"] = store.SiteText{Title: "Parken", Body: "Geen foto meer."}
		if _, _, err := env.DB.SaveSitePage(ctx, clerk("editor1"), tn.ID, parkenID, parken, 1); err != nil {
			t.Fatal(err)
		}
		err = env.DB.DeleteSiteImage(ctx, clerk("editor2"), tn.ID, id)
		if !errors.As(err, &inUse) || strings.Join(inUse.Pages, "|") != "Openingsuren" {
			t.Fatalf("published version still shows it: %v", err)
		}
		if err := env.DB.PublishSitePage(ctx, clerk("editor1"), tn.ID, page, 2); err != nil {
			t.Fatal(err)
		}
		if err := env.DB.DeleteSiteImage(ctx, clerk("editor2"), tn.ID, id); err != nil {
			t.Fatalf("delete of an image no page shows: %v", err)
		}
		if n := auditCount(t, env, tn.ID, "site.image.delete", ""); n != 1 {
			t.Fatalf("delete events: %d", n)
		}
		// A page showing an image whose id starts with the spare's id does
		// not show the spare.
		prefix := siteDraft("prefix", "![x](/zonnedal/site/images/"+spare+"0a)")
		if _, _, err := env.DB.SaveSitePage(ctx, clerk("editor1"), tn.ID, "", prefix, 0); err != nil {
			t.Fatal(err)
		}
		if err := env.DB.DeleteSiteImage(ctx, clerk("editor2"), tn.ID, spare); err != nil {
			t.Fatalf("an image another id starts like: %v", err)
		}
	})
}
