// Package docs holds the repository's documentation and the test that
// keeps its links true: a clone has nothing outside the repository.
package docs

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var (
	// linkRE finds Markdown link and image targets: [text](target "title").
	linkRE = regexp.MustCompile(`!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)`)
	// codeRE finds code spans, which name paths too (`../shared/x.md`).
	codeRE = regexp.MustCompile("`([^`\n]+)`")
)

// TestDocsLinkOnlyToFilesInTheRepository: README.md and docs/*.md link
// only to files of this repository that exist (web addresses and anchors
// aside), and name no path outside it, not even in a code span.
func TestDocsLinkOnlyToFilesInTheRepository(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, filepath.Join(root, "README.md"))
	if len(files) < 5 {
		t.Fatalf("found only %d documents: is the test running in docs/?", len(files))
	}
	links := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name, _ := filepath.Rel(root, f)
		for _, problem := range check(root, filepath.Dir(f), string(b), &links) {
			t.Errorf("%s: %s", name, problem)
		}
	}
	if links < 10 {
		t.Errorf("checked only %d links: is the pattern still finding them?", links)
	}
}

// check returns what is wrong with the links and paths of one document in
// dir, counting the repository links it checked.
func check(root, dir, text string, links *int) []string {
	var problems []string
	inside := func(target string) (string, bool) {
		p := filepath.Clean(filepath.Join(dir, target))
		rel, err := filepath.Rel(root, p)
		return p, err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
	}
	for _, m := range linkRE.FindAllStringSubmatch(text, -1) {
		target := m[1]
		if i := strings.IndexByte(target, '#'); i >= 0 {
			target = target[:i]
		}
		if target == "" || strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
			continue
		}
		if strings.HasPrefix(target, "/") {
			problems = append(problems, "link "+m[1]+" is absolute: a clone has it elsewhere")
			continue
		}
		*links++
		p, ok := inside(target)
		if !ok {
			problems = append(problems, "link "+m[1]+" points outside the repository")
			continue
		}
		if _, err := os.Stat(p); err != nil {
			problems = append(problems, "link "+m[1]+" points to a file that does not exist")
		}
	}
	for _, m := range codeRE.FindAllStringSubmatch(text, -1) {
		if s := m[1]; strings.HasPrefix(s, "../") {
			p, ok := inside(strings.Fields(s)[0])
			if !ok {
				problems = append(problems, "`"+s+"` names a path outside the repository")
			} else if _, err := os.Stat(p); err != nil {
				problems = append(problems, "`"+s+"` names a file that does not exist")
			}
		}
	}
	return problems
}

// TestCheckFindsBadLinks: the checker itself catches what it must, in the
// README (at the root, where ../ leaves the repository) and in docs/.
func TestCheckFindsBadLinks(t *testing.T) {
	root, _ := filepath.Abs("..")
	var n int
	readme := "See [ops](docs/operations.md#keys), [web](https://example.org/x), [top](#top),\n" +
		"[gone](docs/missing.md), [out](../shared/docs/contract.md), ![img](/etc/passwd) and `../shared/docs/design.md`;\n" +
		"`./kluis-data/kluis.db` is a runtime path, [code](internal/store/) a folder."
	doc := "[up](../README.md), [store](../internal/store/store.go), `../docs/nothing.md`, [far](../../x.md)"
	got := append(check(root, root, readme, &n), check(root, filepath.Join(root, "docs"), doc, &n)...)
	want := []string{"docs/missing.md", "../shared/docs/contract.md", "/etc/passwd", "../shared/docs/design.md", "../docs/nothing.md", "../../x.md"}
	if n != 7 {
		t.Errorf("checked %d repository links, want 7", n)
	}
	if len(got) != len(want) {
		t.Errorf("problems %q, want one for each of %q", got, want)
	}
	for _, w := range want {
		found := false
		for _, g := range got {
			found = found || strings.Contains(g, " "+w+" ") || strings.Contains(g, "`"+w+"`")
		}
		if !found {
			t.Errorf("no problem reported about %s: %q", w, got)
		}
	}
}
