package docs

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestSystemdUnitIsHardened: docs/kluis.service keeps the settings that
// make it hardened (LOC-4, SEC-3): a dedicated user, no new privileges, no
// capabilities, a read-only system with only the data and keyring
// directories writable, a private /tmp, and the master key as a
// credential rather than a file on the data disk.
func TestSystemdUnitIsHardened(t *testing.T) {
	b, err := os.ReadFile("kluis.service")
	if err != nil {
		t.Fatal(err)
	}
	unit := string(b)
	for _, line := range []string{
		"User=kluis",
		"NoNewPrivileges=yes",
		"ProtectSystem=strict",
		"ReadWritePaths=/var/lib/kluis /var/lib/kluis-keys",
		"PrivateTmp=yes",
		"PrivateDevices=yes",
		"CapabilityBoundingSet=",
		"AmbientCapabilities=",
		"ProtectHome=yes",
		"RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6",
		"SystemCallFilter=@system-service",
		"LoadCredential=kluis-master.key:/etc/kluis/master.key",
		"Environment=KLUIS_MASTER_KEY_FILE=%d/kluis-master.key",
		"ExecStart=/usr/local/bin/kluis serve",
	} {
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(line) + `$`).MatchString(unit) {
			t.Errorf("kluis.service lacks the line %q", line)
		}
	}
	if regexp.MustCompile(`(?m)^(User=root|CapabilityBoundingSet=.+|AmbientCapabilities=.+)$`).MatchString(unit) {
		t.Error("kluis.service runs as root or keeps a capability outside the commented :443 variant")
	}
}

// TestContainerfileIsMinimalAndNonRoot: the image is the static release
// binary on an empty base, run by a non-root user, with the data and the
// keyring on separate volumes and no master key baked in.
func TestContainerfileIsMinimalAndNonRoot(t *testing.T) {
	b, err := os.ReadFile("../Containerfile")
	if err != nil {
		t.Fatal(err)
	}
	cf := string(b)
	for _, want := range []string{
		"RUN make release ",
		"\nFROM scratch\n",
		"\nUSER 65532:65532\n",
		`VOLUME ["/data", "/keys"]`,
		"KLUIS_MASTER_KEY_FILE=/run/secrets/kluis-master-key",
		`ENTRYPOINT ["/usr/local/bin/kluis"]`,
	} {
		if !strings.Contains(cf, want) {
			t.Errorf("Containerfile lacks %q", want)
		}
	}
	if strings.Contains(cf, "KLUIS_MASTER_KEY=") {
		t.Error("Containerfile sets a master key")
	}
	ignore, err := os.ReadFile("../.containerignore")
	if err != nil {
		t.Fatal(err)
	}
	for _, never := range []string{"kluis-keys", "kluis-master.key", "kluis-data"} {
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(never) + `$`).Match(ignore) {
			t.Errorf(".containerignore does not keep %s out of the build context", never)
		}
	}
}
