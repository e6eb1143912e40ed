package web

import (
	"regexp"
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/storetest"
)

// A long section's sub-navigation is read in named groups (Beheer has
// fifteen pages): each group's list is labelled by its name, the pages sit
// in the group that says what they are for, and the current page is marked.
// A short section keeps its one flat list.
func TestStaffNavLongSectionsInNamedGroups(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fe := newFormsEnv(t, env)
		_, page := fe.get(t, "/gent/admin/hosts", fe.admin)
		sub := regexp.MustCompile(`(?s)<nav class="sub-nav".*?</nav>`).FindString(page)
		if sub == "" {
			t.Fatal("no sub-navigation on a Beheer page")
		}
		groups := regexp.MustCompile(`(?s)<span class="sub-nav-heading" id="([^"]+)">([^<]+)</span>\s*<ul aria-labelledby="([^"]+)">(.*?)</ul>`).FindAllStringSubmatch(sub, -1)
		want := []struct{ name, holds string }{
			{"Mensen en toegang", "/gent/admin/users"},
			{"Organisatie en website", "/gent/admin/hosts"},
			{"Koppelingen", "/gent/admin/api-keys"},
			{"Gegevens en sleutels", "/gent/admin/backups"},
		}
		if len(groups) != len(want) {
			t.Fatalf("%d groups in Beheer's sub-navigation, want %d:\n%s", len(groups), len(want), sub)
		}
		for i, w := range want {
			g := groups[i]
			if g[2] != w.name || g[1] != g[3] || !strings.Contains(g[4], `href="`+w.holds+`"`) {
				t.Errorf("group %d: %q labelled %q by %q holds %q; want %q holding %s", i, g[2], g[3], g[1], g[4], w.name, w.holds)
			}
		}
		if !regexp.MustCompile(`href="/gent/admin/hosts" aria-current="page"`).MatchString(groups[1][4]) {
			t.Error("the current page is not marked in its group")
		}
		_, reg := fe.get(t, "/gent/admin/register", fe.admin)
		if strings.Contains(reg, "sub-nav-heading") || !strings.Contains(reg, `<nav class="sub-nav"`) {
			t.Error("the register's short section should keep one flat list")
		}
		_, fr := fe.get(t, "/gent/admin/hosts?lang=fr", fe.admin)
		if !strings.Contains(fr, ">Personnes et accès</span>") {
			t.Error("the group names are not in the reader's language")
		}
	})
}
