package web

import (
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/form"
)

// TestTenantPagesAreReservedFormKeys: every fixed first segment under
// /{tenant}/ (inbox, admin, login, …) is refused as a form key — a form
// named like a tenant page would be unreachable behind it, or hide it.
func TestTenantPagesAreReservedFormKeys(t *testing.T) {
	a, _ := newTestApp(t, Options{})
	seen := map[string]bool{}
	for _, p := range a.patterns {
		_, path, _ := strings.Cut(p, " ")
		rest, ok := strings.CutPrefix(path, "/{tenant}/")
		if !ok {
			continue
		}
		seg, _, _ := strings.Cut(rest, "/")
		if seg == "" || strings.HasPrefix(seg, "{") || seen[seg] {
			continue
		}
		seen[seg] = true
		reserved := false
		for _, pr := range (form.Form{Key: seg}).Validate() {
			if pr.Path == "key" && pr.Key == "key_reserved" {
				reserved = true
			}
		}
		if !reserved {
			t.Errorf("tenant page /{tenant}/%s is not a reserved form key (form.reservedKeys)", seg)
		}
	}
	if !seen["inbox"] || !seen["admin"] {
		t.Fatalf("the route table was not read: %v", seen)
	}
}
