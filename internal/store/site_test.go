package store_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

func siteDraft(slug, body string) store.SiteDraft {
	return store.SiteDraft{Slug: slug, Position: 1, Text: map[string]store.SiteText{
		"nl": {Title: "Openingsuren", Summary: "Wanneer het loket open is", Body: body},
		"fr": {Title: "Heures d’ouverture", Body: "## Guichet\n\nOuvert le matin."},
	}}
}

// TestSitePages_SavePublishHistoryAndAudit: a page is saved as versions
// with who and when, published one version at a time (a later draft does
// not change what visitors see), unpublished, each write audited with the
// editor's account id only; another tenant sees none of it.
func TestSitePages_SavePublishHistoryAndAudit(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		tn := newTenant(t, env, "zonnedal")
		id, v, err := env.DB.SaveSitePage(ctx, clerk("editor1"), tn.ID, "", siteDraft("openingsuren", "## Loket\n\nOpen van 9 tot 12."), 0)
		if err != nil || v != 1 || id == "" {
			t.Fatalf("save: %q %d %v", id, v, err)
		}
		if _, err := env.DB.PublishedSitePage(ctx, tn.ID, "openingsuren"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("a draft is public: %v", err)
		}
		if err := env.DB.PublishSitePage(ctx, clerk("editor1"), tn.ID, id, 1); err != nil {
			t.Fatal(err)
		}
		p, err := env.DB.PublishedSitePage(ctx, tn.ID, "openingsuren")
		if err != nil || p.Text["nl"].Title != "Openingsuren" || p.Text["fr"].Title != "Heures d’ouverture" {
			t.Fatalf("published: %+v %v", p, err)
		}
		// A new draft, from version 1, does not change the public page.
		d := siteDraft("uren", "## Loket\n\nNu ook op zaterdag.")
		if _, v, err = env.DB.SaveSitePage(ctx, clerk("editor2"), tn.ID, id, d, 1); err != nil || v != 2 {
			t.Fatalf("second save: %d %v", v, err)
		}
		if p, _ := env.DB.PublishedSitePage(ctx, tn.ID, "openingsuren"); !strings.Contains(p.Text["nl"].Body, "9 tot 12") {
			t.Fatalf("a draft changed the public page: %+v", p)
		}
		if _, err := env.DB.PublishedSitePage(ctx, tn.ID, "uren"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("a draft's new address is public: %v", err)
		}
		// A save from a stale version is refused.
		if _, _, err := env.DB.SaveSitePage(ctx, clerk("editor1"), tn.ID, id, d, 1); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("stale: %v", err)
		}
		page, versions, err := env.DB.SitePage(ctx, tn.ID, id)
		if err != nil || page.Version != 2 || page.PublishedVersion != 1 || page.Slug != "uren" || page.UpdatedBy != "editor2" {
			t.Fatalf("page: %+v %v", page, err)
		}
		if len(versions) != 2 || versions[0].Version != 2 || versions[0].CreatedBy != "editor2" || versions[1].CreatedBy != "editor1" ||
			versions[1].Slug != "openingsuren" || versions[0].CreatedAt.IsZero() {
			t.Fatalf("history: %+v", versions)
		}
		if err := env.DB.PublishSitePage(ctx, clerk("editor1"), tn.ID, id, 2); err != nil {
			t.Fatal(err)
		}
		menu, err := env.DB.PublishedSitePages(ctx, tn.ID)
		if err != nil || len(menu) != 1 || menu[0].Slug != "uren" {
			t.Fatalf("menu: %+v %v", menu, err)
		}
		if err := env.DB.UnpublishSitePage(ctx, clerk("editor1"), tn.ID, id); err != nil {
			t.Fatal(err)
		}
		if _, err := env.DB.PublishedSitePage(ctx, tn.ID, "uren"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unpublished page is public: %v", err)
		}
		events, _ := auditActions(t, env, tn.ID)
		var got []string
		for _, e := range events {
			if strings.HasPrefix(e.Action, "site.") {
				got = append(got, e.Action+" "+e.Actor.ID+" "+strings.Fields(e.ObjectID)[0])
			}
		}
		want := "site.page.save editor1 1,site.page.publish editor1 1,site.page.save editor2 2,site.page.publish editor1 2,site.page.unpublish editor1 2"
		if strings.Join(got, ",") != want {
			t.Fatalf("audit:\n%s\nwant\n%s", strings.Join(got, ","), want)
		}
		other := newTenant(t, env, "elders")
		if _, _, err := env.DB.SitePage(ctx, other.ID, id); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("other tenant reads the page: %v", err)
		}
		if err := env.DB.PublishSitePage(ctx, clerk("x"), other.ID, id, 2); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("other tenant publishes the page: %v", err)
		}
	})
}

// TestSitePages_BadInputSavesNothing: raw HTML, a javascript: link, an
// image without alt text, a malformed or taken address, a missing title:
// each refused on its field with its message key, nothing saved or
// audited; publishing a version whose headings skip a level is refused
// and leaves the page a draft.
func TestSitePages_BadInputSavesNothing(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		tn := newTenant(t, env, "zonnedal")
		if _, _, err := env.DB.SaveSitePage(ctx, clerk("editor1"), tn.ID, "", siteDraft("contact", ""), 0); err != nil {
			t.Fatal(err)
		}
		before, _ := auditActions(t, env, tn.ID)
		pagesBefore, _ := env.DB.SitePages(ctx, tn.ID)
		for name, tc := range map[string]struct {
			change     func(*store.SiteDraft)
			field, key string
		}{
			"raw html":          {func(d *store.SiteDraft) { d.Text["nl"] = store.SiteText{Title: "T", Body: "<script>x</script>"} }, "nl.body", "site.md.raw_html"},
			"javascript link":   {func(d *store.SiteDraft) { d.Text["fr"] = store.SiteText{Title: "T", Body: "[a](javascript:x)"} }, "fr.body", "site.md.bad_link"},
			"image without alt": {func(d *store.SiteDraft) { d.Text["nl"] = store.SiteText{Title: "T", Body: "![](a.png)"} }, "nl.body", "site.md.image_no_alt"},
			"slug format":       {func(d *store.SiteDraft) { d.Slug = "Over ons" }, "slug", "site.err.slug_format"},
			"slug taken":        {func(d *store.SiteDraft) { d.Slug = "contact" }, "slug", "site.err.slug_taken"},
			"no default title":  {func(d *store.SiteDraft) { delete(d.Text, "nl") }, "nl.title", "site.err.title_default_lang"},
			"title missing":     {func(d *store.SiteDraft) { d.Text["en"] = store.SiteText{Body: "text"} }, "en.title", "site.err.title_required"},
		} {
			t.Run(name, func(t *testing.T) {
				d := siteDraft("nieuw", "## Goed\n\ntekst")
				tc.change(&d)
				_, _, err := env.DB.SaveSitePage(ctx, clerk("editor1"), tn.ID, "", d, 0)
				var verr *store.SiteValidationError
				if !errors.As(err, &verr) {
					t.Fatalf("err %v", err)
				}
				if ps := verr.Fields[tc.field]; len(ps) == 0 || ps[0].Key != tc.key {
					t.Fatalf("fields %+v, want %s on %s", verr.Fields, tc.key, tc.field)
				}
			})
		}
		after, _ := auditActions(t, env, tn.ID)
		pagesAfter, _ := env.DB.SitePages(ctx, tn.ID)
		if len(after) != len(before) || len(pagesAfter) != len(pagesBefore) {
			t.Fatalf("refused saves left %d events, %d pages", len(after)-len(before), len(pagesAfter)-len(pagesBefore))
		}
		// Publishing checks the heading order; a draft may skip levels.
		id, _, err := env.DB.SaveSitePage(ctx, clerk("editor1"), tn.ID, "", siteDraft("koppen", "## A\n\n#### B"), 0)
		if err != nil {
			t.Fatal(err)
		}
		var verr *store.SiteValidationError
		if err := env.DB.PublishSitePage(ctx, clerk("editor1"), tn.ID, id, 1); !errors.As(err, &verr) ||
			verr.Fields["nl.body"][0].Key != "site.md.heading_skip" {
			t.Fatalf("publish skipping a level: %v", err)
		}
		if _, err := env.DB.PublishedSitePage(ctx, tn.ID, "koppen"); !errors.Is(err, store.ErrNotFound) {
			t.Fatal("a refused publish published")
		}
		if events, _ := auditActions(t, env, tn.ID); events[len(events)-1].Action != "site.page.save" {
			t.Fatalf("a refused publish was audited: %s", events[len(events)-1].Action)
		}
	})
}
