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
