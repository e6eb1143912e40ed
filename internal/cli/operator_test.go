package cli

import (
	"strings"
	"testing"
)

// TestOperatorAddAndList: `kluis operator add` creates the operators' realm
// on first use and prints a one-time activation link on it; the realm is
// no tenant (not listed, not usable with tenant commands); bad input is one
// sentence naming the flags.
func TestOperatorAddAndList(t *testing.T) {
	s := newSandbox(t)
	s.setup()
	s.fails("operator not added: --email is not a valid e-mail address; --name is required",
		"operator", "add", "--email", "piet@", "--name", "")
	out := s.ok("operator", "list")
	if !strings.Contains(out, "no operators yet") {
		t.Fatalf("operator list before any: %q", out)
	}
	out = s.ok("operator", "add", "--email", "piet@leverancier.example", "--name", "Piet Support")
	if !strings.Contains(out, "http://localhost:8080/operator/activate/") || !strings.Contains(out, "no access to any controller's data") {
		t.Fatalf("operator add output: %q", out)
	}
	s.fails("an operator with that e-mail address exists already", "operator", "add", "--email", "piet@leverancier.example", "--name", "Piet")
	out = s.ok("operator", "list")
	if !strings.Contains(out, "piet@leverancier.example") || !strings.Contains(out, "invited") {
		t.Fatalf("operator list: %q", out)
	}
	if out := s.ok("tenant", "list"); strings.Contains(out, "operator") {
		t.Fatalf("the realm is listed as a tenant: %q", out)
	}
	s.fails("is the operators' realm, not a tenant", "user", "invite", "--tenant", "operator", "--email", "x@y.example", "--name", "X")
	s.fails("unknown operator command", "operator", "explode")
	// The department shown on every controller's staff list (AUD-5).
	s.fails("--department must be one line", "operator", "add", "--email", "jan@leverancier.example", "--name", "Jan",
		"--department", strings.Repeat("x", 101))
	s.ok("operator", "add", "--email", "jan@leverancier.example", "--name", "Jan", "--department", "Hosting")
	s.ok("operator", "set", "--email", "jan@leverancier.example", "--department", "Support")
	s.fails("no operator has that e-mail address", "operator", "set", "--email", "nobody@leverancier.example", "--department", "X")
	s.fails("kluis operator set --email ADDRESS --department NAME", "operator", "set", "--email", "jan@leverancier.example")
	s.ok("operator", "suspend", "--email", "jan@leverancier.example")
	s.ok("operator", "reactivate", "--email", "jan@leverancier.example")
	s.ok("operator", "remove", "--email", "jan@leverancier.example")
	s.fails("no operator has that e-mail address", "operator", "remove", "--email", "jan@leverancier.example")
	s.fails("say whom", "operator", "suspend")
	// The realm's audit chain is verified with the tenants'.
	if out := s.ok("audit", "verify", "--all"); !strings.Contains(out, "operator") {
		t.Fatalf("audit verify --all skips the realm: %q", out)
	}
}
