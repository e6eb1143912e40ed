// Package testtool finds the binary of a real server the tests start
// (versitygw for S3, pebble for ACME): the path in the environment
// variable env, else name on PATH, else $GOPATH/bin/name, where
// `make tools` installs the pinned version; "" when it is nowhere.
package testtool

import (
	"go/build"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Find returns the path of the tool name, or "".
func Find(env, name string) string {
	if p := os.Getenv(env); p != "" {
		return p
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, dir := range filepath.SplitList(build.Default.GOPATH) {
		p := filepath.Join(dir, "bin", name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
	}
	return ""
}

// Tool names a test tool and how it is installed.
type Tool struct {
	Name    string // binary name: "pebble"
	Env     string // variable with its path: "KLUIS_TEST_PEBBLE"
	Require string // variable that, at "1", turns a missing tool into a failure (CI)
	What    string // "the ACME server of the tests"
	Tests   string // which tests then do not run: "ACME tests"
	Install string // go install argument: "github.com/letsencrypt/pebble/v2/cmd/pebble@v2.10.3"
}

// Need returns the tool's path; when it is missing the test is skipped
// with a loud message, or fails when the Require variable is "1".
func Need(t testing.TB, tool Tool) string {
	t.Helper()
	if bin := Find(tool.Env, tool.Name); bin != "" {
		return bin
	}
	msg := "\n########################################################################\n" +
		"##  " + tool.Name + " (" + tool.What + ") was NOT found: " + tool.Tests + " do not run.\n" +
		"##  Fix: make tools   (go install " + tool.Install + ")\n" +
		"##  or set " + tool.Env + "=/path/to/" + tool.Name + "\n" +
		"########################################################################"
	if os.Getenv(tool.Require) == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}
