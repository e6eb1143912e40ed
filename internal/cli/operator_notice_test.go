package cli

import (
	"context"
	"flag"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/config"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/workdays"
)

// TestClauseAUD4_OperatorNoticeCLI: `kluis operator notice` announces
// maintenance for a tenant; a start fewer than the tenant's minimum working
// days ahead, a malformed time, a missing field, an unknown operator or
// tenant is refused with exit status 2 and one sentence naming the flags;
// a good notice prints its window.
func TestClauseAUD4_OperatorNoticeCLI(t *testing.T) {
	s := newSandbox(t)
	s.setup()
	out := s.ok("operator", "add", "--email", "piet@leverancier.example", "--name", "Piet Support")
	token := regexp.MustCompile(`/operator/activate/(\S+)`).FindStringSubmatch(out)[1]
	db := openSandbox(t, s)
	realm, err := db.TenantBySlug(context.Background(), "operator")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ActivateUser(context.Background(), realm.ID, token, "x", "test"); err != nil {
		t.Fatal(err)
	}
	db.Close()

	ok := workdays.Add(time.Now(), 5).Add(9 * time.Hour)
	day := func(t time.Time) string { return t.In(workdays.Brussels).Format("2006-01-02T15:04") }
	good := []string{"operator", "notice", "--tenant", "gent", "--operator", "piet@leverancier.example",
		"--from", day(ok), "--until", day(ok.Add(3 * time.Hour)), "--scope", "database upgrade", "--reason", "change 42"}
	with := func(flag, value string) []string {
		args := append([]string(nil), good...)
		for i := range args {
			if args[i] == flag {
				args[i+1] = value
			}
		}
		return args
	}
	earliest := workdays.Add(time.Now(), 5).Format("Mon 02.01.2006")
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"too soon", with("--from", day(time.Now().Add(time.Hour))),
			"maintenance not announced: --from: The start must be announced at least 5 working days ahead: on " + earliest + " at the earliest."},
		{"not a time", with("--until", "volgende week"), "--until: Enter the end as dd.mm.yyyy hh:mm"},
		{"end before start", with("--until", day(ok.Add(-time.Hour))), "--until: The end must be after the start."},
		{"no scope", with("--scope", ""), "--scope: Describe what is maintained."},
		{"unknown operator", with("--operator", "jan@leverancier.example"), "--operator: No active supplier staff member has this e-mail address."},
		{"bad address", with("--operator", "jan@"), "--operator: Enter a valid e-mail address"},
		{"unknown tenant", with("--tenant", "antwerpen"), `no tenant "antwerpen"`},
		{"the realm", with("--tenant", "operator"), "is the operators' realm"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, _, errs := s.run(context.Background(), c.args...)
			if code != 2 || !strings.Contains(errs, c.want) || strings.Count(strings.TrimSpace(errs), "\n") > 0 {
				t.Fatalf("exit %d, stderr %q; want 2 and %q", code, errs, c.want)
			}
		})
	}
	out = s.ok(good...)
	if !strings.Contains(out, "announced maintenance") || !strings.Contains(out, ok.In(workdays.Brussels).Format("02.01.2006 15:04")) {
		t.Fatalf("output: %q", out)
	}
}

// openSandbox opens the sandbox's store as the commands do.
func openSandbox(t *testing.T, s *sandbox) *store.DB {
	t.Helper()
	cfg, _, err := config.Load(func(k string) string { return s.env[k] }, flag.NewFlagSet("t", flag.ContinueOnError), nil)
	if err != nil {
		t.Fatal(err)
	}
	db, err := openAll(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return db
}
