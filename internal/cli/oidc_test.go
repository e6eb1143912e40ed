package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestClauseUSR2_OIDCProviderCommands(t *testing.T) {
	s := newSandbox(t)
	s.setup()
	const secret = "cli-client-secret-31b7"

	// Bad input: one sentence, nothing written.
	s.fails("the client secret ("+EnvOIDCClientSecret, "oidc", "add", "--tenant", "gent", "--grant", s.grant("gent"), "--preset", "fas-eid", "--client-id", "kluis-gent")
	s.env[EnvOIDCClientSecret] = secret
	s.fails("--preset must be one of fas-eid, fas-itsme, acm, generic", "oidc", "add", "--tenant", "gent", "--grant", s.grant("gent"), "--preset", "saml", "--client-id", "c")
	s.fails("--issuer must be an https:// URL", "oidc", "add", "--tenant", "gent", "--grant", s.grant("gent"), "--preset", "generic", "--issuer", "http://op.example.be", "--client-id", "c")
	s.fails("--issuer is required for the generic preset", "oidc", "add", "--tenant", "gent", "--grant", s.grant("gent"), "--preset", "generic", "--client-id", "c")
	s.fails("--acr can only be set for the generic preset", "oidc", "add", "--tenant", "gent", "--grant", s.grant("gent"), "--preset", "fas-eid", "--client-id", "c", "--acr", "x")
	s.fails("the client secret is not taken from the command line", "oidc", "add", "--tenant", "gent", "--grant", s.grant("gent"), "--preset", "acm", "--client-id", "c", "--client-secret", "x")
	s.fails("client secret file", "oidc", "add", "--tenant", "gent", "--grant", s.grant("gent"), "--preset", "acm", "--client-id", "c", "--client-secret-file", filepath.Join(s.dir, "nope"))
	s.fails(`no tenant "nowhere"`, "oidc", "add", "--tenant", "nowhere", "--preset", "acm", "--client-id", "c")
	if out := s.ok("oidc", "list", "--tenant", "gent", "--grant", s.grant("gent")); strings.Count(out, "\n") != 1 {
		t.Fatalf("a refused provider was added:\n%s", out)
	}

	out := s.ok("oidc", "add", "--tenant", "gent", "--grant", s.grant("gent"), "--preset", "fas-eid", "--client-id", "kluis-gent")
	if !strings.Contains(out, "https://idp.iamfas.belgium.be/fas/oauth2") || !strings.Contains(out, "/gent/login/oidc/callback") {
		t.Fatalf("add: %s", out)
	}
	file := filepath.Join(s.dir, "secret")
	if err := os.WriteFile(file, []byte(secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s.ok("oidc", "add", "--tenant", "gent", "--grant", s.grant("gent"), "--preset", "generic", "--name", "intranet", "--issuer", "https://login.gent.example/",
		"--client-id", "kluis", "--client-secret-file", file, "--acr", "urn:gent:mfa")
	s.fails(`already has an OpenID provider named "fas-eid"`, "oidc", "add", "--tenant", "gent", "--grant", s.grant("gent"), "--preset", "fas-eid", "--client-id", "x")
	out = s.ok("oidc", "list", "--tenant", "gent", "--grant", s.grant("gent"))
	for _, w := range []string{"fas-eid", "urn:be:fedict:iam:fas:Level500", "intranet", "urn:gent:mfa", "kluis-gent"} {
		if !strings.Contains(out, w) {
			t.Fatalf("list lacks %q:\n%s", w, out)
		}
	}
	if strings.Contains(out, secret) {
		t.Fatal("list shows the client secret")
	}
	s.fails(`has no OpenID provider named "nope"`, "oidc", "remove", "--tenant", "gent", "--grant", s.grant("gent"), "--name", "nope")
	if out := s.ok("oidc", "remove", "--tenant", "gent", "--grant", s.grant("gent"), "--name", "intranet"); !strings.Contains(out, "0 linked identities removed") {
		t.Fatalf("remove: %s", out)
	}
	// create, the operator added and activated (2 × staff change and its
	// mail), the grant, 2 × list, 2 × add, remove (each a command and,
	// but for the lists, its own event) = 16 events.
	if out := s.ok("audit", "verify", "--tenant", "gent"); !strings.Contains(out, "16 events verified") {
		t.Fatalf("verify: %s", out)
	}
}
