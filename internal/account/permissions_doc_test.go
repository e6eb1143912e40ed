package account

import (
	"os"
	"strings"
	"testing"
)

// TestPermissionTableDocumented: docs/permissions.md shows the permission
// table the code enforces, so the documentation cannot drift from it.
// KLUIS_WRITE_DOCS=1 rewrites the table in the document.
func TestPermissionTableDocumented(t *testing.T) {
	const path = "../../docs/permissions.md"
	const begin, end = "<!-- permission-table:begin -->\n", "<!-- permission-table:end -->"
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	i, j := strings.Index(doc, begin), strings.Index(doc, end)
	if i < 0 || j < i {
		t.Fatalf("%s lacks the permission-table markers", path)
	}
	want := PermissionTable()
	if got := doc[i+len(begin) : j]; got != want {
		if os.Getenv("KLUIS_WRITE_DOCS") == "1" {
			if err := os.WriteFile(path, []byte(doc[:i+len(begin)]+want+doc[j:]), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Fatalf("%s is out of date (run with KLUIS_WRITE_DOCS=1); want:\n%s", path, want)
	}
}
