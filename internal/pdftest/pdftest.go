// Package pdftest reads PDFs back for tests with poppler's pdftotext, a
// parser independent of the library that wrote them: a test that finds its
// texts there proves the file is a valid PDF whose text a reader (and a
// screen reader) can get at, accents included.
package pdftest

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Text returns the text of pdf, one string per page, as pdftotext reads it
// (UTF-8, in reading order, runs of white space as one space, so that a
// line wrapped in a table cell still matches as a phrase). Without
// pdftotext the test is skipped, except when KLUIS_TEST_REQUIRE_PDFTOTEXT=1
// (set by .ci/run, which installs Debian's poppler-utils), where it fails.
func Text(t testing.TB, pdf []byte) []string {
	t.Helper()
	pages := run(t, pdf)
	for i, p := range pages {
		pages[i] = strings.Join(strings.Fields(p), " ")
	}
	return pages
}

// Raw returns the text of pdf, one string per page, in the order the
// file draws it (pdftotext -raw), lines kept: a table reads row by row and
// cell by cell, which suits a golden text whose differences a person reads.
func Raw(t testing.TB, pdf []byte) []string {
	t.Helper()
	pages := run(t, pdf, "-raw")
	for i, p := range pages {
		lines := strings.Split(strings.TrimSpace(p), "\n")
		for j, l := range lines {
			lines[j] = strings.TrimRight(l, " ")
		}
		pages[i] = strings.Join(lines, "\n")
	}
	return pages
}

// run is pdftotext's output for pdf with the extra flags, split into pages.
func run(t testing.TB, pdf []byte, flags ...string) []string {
	t.Helper()
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		msg := "pdftotext not installed (apt-get install poppler-utils): PDF tests read the PDF back with it"
		if os.Getenv("KLUIS_TEST_REQUIRE_PDFTOTEXT") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	in := filepath.Join(t.TempDir(), "doc.pdf")
	if err := os.WriteFile(in, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd := exec.Command(bin, append(append([]string{"-enc", "UTF-8"}, flags...), in, "-")...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil || stderr.Len() > 0 {
		t.Fatalf("pdftotext: %v %s", err, stderr.String())
	}
	return strings.Split(strings.TrimSuffix(string(out), "\f"), "\f")
}

var update = flag.Bool("update", false, "rewrite the golden texts (testdata/*.golden) from what the tests make")

// Golden compares got with the golden text in the file at path; with
// go test -update (or KLUIS_UPDATE_GOLDEN=1) it first rewrites the file.
func Golden(t testing.TB, path, got string) {
	t.Helper()
	if *update || os.Getenv("KLUIS_UPDATE_GOLDEN") == "1" {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update writes it)", err)
	}
	if strings.TrimSuffix(string(want), "\n") != got {
		t.Fatalf("%s differs (go test -update rewrites it):\n got: %s\nwant: %s", path, got, want)
	}
}
