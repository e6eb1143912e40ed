package asvs

import (
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/asvs.md from the table")

// MinProven is the floor of requirements proven by tests (tested or
// partly); it only goes up.
const MinProven = 161

var testName = regexp.MustCompile(`TestASVS_(\d+)_(\d+)_(\d+)_[A-Za-z0-9_]+`)

// testsByID scans the repository's Go tests and browser tests for names
// that claim an ASVS requirement.
func testsByID(t *testing.T) map[string][]string {
	t.Helper()
	root := filepath.Join("..", "..")
	seen := map[string]map[string]bool{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "node_modules", "artifacts", "testdata":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, "_test.go") && !strings.HasSuffix(path, ".test.mjs") {
			return nil
		}
		if strings.HasSuffix(path, filepath.Join("asvs", "asvs_test.go")) {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range testName.FindAllStringSubmatch(string(b), -1) {
			id := m[1] + "." + m[2] + "." + m[3]
			if seen[id] == nil {
				seen[id] = map[string]bool{}
			}
			seen[id][m[0]] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for id, names := range seen {
		for n := range names {
			out[id] = append(out[id], n)
		}
		sort.Strings(out[id])
	}
	return out
}

func TestTableAndTestNamesAgree(t *testing.T) {
	reqs := All()
	tests := testsByID(t)
	byID := map[string]Requirement{}
	for _, r := range reqs {
		if _, dup := byID[r.ID]; dup {
			t.Errorf("%s is in the table twice", r.ID)
		}
		byID[r.ID] = r
		switch r.Status {
		case Tested, Partly:
			if len(tests[r.ID]) == 0 {
				t.Errorf("%s is marked %s but no test is named %s…", r.ID, r.Status, r.TestPrefix())
			}
			if r.Topic == "" {
				t.Errorf("%s is marked %s without a topic", r.ID, r.Status)
			}
		}
		if (r.Status == Partly || r.Status == Documented || r.Status == NotApplicable) && r.Note == "" {
			t.Errorf("%s is marked %s without a note saying why", r.ID, r.Status)
		}
		if r.Level < 1 || r.Level > 3 {
			t.Errorf("%s has level %d", r.ID, r.Level)
		}
	}
	for id, names := range tests {
		r, ok := byID[id]
		if !ok {
			t.Errorf("%v name ASVS %s, which is not in the table (a wrong number, or a level 3 item to add)", names, id)
			continue
		}
		if r.Status != Tested && r.Status != Partly {
			t.Errorf("%v name ASVS %s, which the table marks %s", names, id, r.Status)
		}
	}
	c := Counts(reqs)
	if got := c[Tested] + c[Partly]; got < MinProven {
		t.Errorf("%d requirements proven by tests, fewer than the floor of %d", got, MinProven)
	}
}

func TestDocIsGenerated(t *testing.T) {
	want := Markdown(All(), testsByID(t))
	path := filepath.Join("..", "..", "docs", "asvs.md")
	if *update {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/asvs -run Doc -update)", err)
	}
	if string(got) != want {
		t.Error("docs/asvs.md is out of date with the table or the test names: run go test ./internal/asvs -run Doc -update")
	}
}

// TestTableHoldsEveryLevel1And2Requirement guards against a row lost in an
// edit: the standard has 253 requirements at levels 1 and 2.
func TestTableHoldsEveryLevel1And2Requirement(t *testing.T) {
	n := 0
	for _, r := range All() {
		if r.Level <= 2 {
			n++
		}
	}
	if n != 253 {
		t.Errorf("%d level 1 and 2 requirements in the table, the standard has 253", n)
	}
}
