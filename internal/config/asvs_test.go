package config

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestASVS_13_3_1_SecretsNeverInConfigDumpOrRepository: every setting that
// holds a secret is marked so and `kluis config` shows none of them (nor a
// database password), and no file the repository tracks, tests and test
// data aside, holds a private key or a credential. Where the secrets live
// in production (files readable by the service account only, or a vault
// feeding the environment) is the operator's: docs/operations.md.
func TestASVS_13_3_1_SecretsNeverInConfigDumpOrRepository(t *testing.T) {
	secretName := regexp.MustCompile(`PASSWORD$|SECRET|MASTER_KEY$|TOKEN$`)
	for _, s := range settings() {
		if secretName.MatchString(s.env) != s.secret {
			t.Errorf("%s: secret = %v", s.env, s.secret)
		}
	}
	c, err := load(map[string]string{"KLUIS_MASTER_KEY": "c2VjcmV0", "KLUIS_SMTP_HOST": "smtp.example.be",
		"KLUIS_SMTP_USERNAME": "kluis", "KLUIS_SMTP_PASSWORD": "Hunter2pw",
		"KLUIS_DATABASE_URL": "postgres://kluis:Hunter2db@db/kluis"})
	if err != nil {
		t.Fatal(err)
	}
	var dump strings.Builder
	for _, it := range c.Redacted() {
		dump.WriteString(it.Name + "=" + it.Value + "\n")
	}
	for _, secret := range []string{"c2VjcmV0", "Hunter2pw", "Hunter2db"} {
		if strings.Contains(dump.String(), secret) {
			t.Errorf("the configuration dump shows %q", secret)
		}
	}

	root := filepath.Join("..", "..")
	out, err := exec.Command("git", "-C", root, "ls-files").Output()
	if err != nil {
		t.Skipf("not a git checkout: %v", err)
	}
	credential := regexp.MustCompile(`-----BEGIN ([A-Z]+ )?PRIVATE KEY-----|AKIA[0-9A-Z]{16}|AGE-SECRET-KEY-1[0-9A-Z]{20,}|` +
		`whsec_[A-Za-z0-9+/=]{24,}|(postgres|postgresql|smtp)://[^:/\s"]+:[^@/\s"]{6,}@`)
	placeholder := regexp.MustCompile(`://[^:]+:(password|PASSWORD|secret|xxxxx|\*+|\$\{?[A-Z_]+\}?|<[a-z-]+>)@`)
	n := 0
	for _, p := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if strings.HasSuffix(p, "_test.go") || strings.Contains(p, "testdata/") || strings.HasSuffix(p, ".test.mjs") ||
			strings.Contains(p, "mailtest/") || strings.Contains(p, "pebbletest/") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(root, p))
		if err != nil {
			continue // deleted in the worktree
		}
		n++
		for _, m := range credential.FindAllString(string(b), -1) {
			if placeholder.MatchString(m) {
				continue // an example in a comment or a document
			}
			t.Errorf("%s holds what looks like a secret: %.40s…", p, m)
		}
	}
	if n < 100 {
		t.Errorf("scanned %d files: the listing is broken", n)
	}
}
