package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/backup"
	"github.com/kluis/kluis/internal/objstore"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
	"github.com/kluis/kluis/internal/tenant"
)

// TestClauseSEC5_BackupPagesShowTheRestoreTest: after a real backup, a
// passed restore test and a failed one, the operators' page lists the
// backup at its target with its time and size, each run with its result
// in words, what the passed test checked, the failing readiness check and
// a target that cannot be read (its access key never shown); a
// controller's admin and DPO read the same facts in words without the
// operators' locations or the platform's counts (SEC-4, SEC-5, SEC-6).
func TestClauseSEC5_BackupPagesShowTheRestoreTest(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		dir := filepath.Join(t.TempDir(), "backups")
		target, err := objstore.Dir(dir)
		if err != nil {
			t.Fatal(err)
		}
		id, err := age.GenerateX25519Identity()
		if err != nil {
			t.Fatal(err)
		}
		health := errors.New("the latest restore test failed")
		le := newLoginEnv(t, env, Options{LoginRateLimit: 1000,
			Backups: backup.Settings{Targets: []string{dir}, SecondSite: "s3://AKIASECRET@s3.site2.example/kluis",
				At: "03:30", Retention: backup.Retention{Daily: 7, Weekly: 4, Monthly: 6}},
			Checks: []Check{{Name: "backup", Fn: func(context.Context) error { return health }}}})
		op := audit.Actor{Kind: audit.KindOperator, ID: "op"}
		m, err := backup.MakeRecorded(ctx, op, backup.Options{DB: env.DB, DatabaseURL: env.URL, Keys: env.Keys,
			Stores: []objstore.Store{target}, Recipients: []string{id.Recipient().String()}, TempDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		passed := backup.TestResult{BackupID: m.ID, Tenants: 2, Rows: 321, Events: 45, Marks: 3}
		// The failed test a minute after the passed one: the latest.
		for i, r := range []store.BackupRun{
			{Kind: store.RunRestoreTest, BackupID: m.ID, Location: target.Location(), OK: true, Detail: passed.String()},
			{Kind: store.RunRestoreTest, BackupID: m.ID, Location: target.Location(), Detail: "tenant gent: audit chain: broken at 7"},
		} {
			r.StartedAt = env.DB.Now().Add(time.Duration(i) * time.Minute)
			r.FinishedAt = r.StartedAt
			if _, err := env.DB.RecordBackupRun(ctx, op, r); err != nil {
				t.Fatal(err)
			}
		}

		_, secret := activeOperator(t, le, env, "piet@leverancier.be")
		h := operatorSignIn(t, le, env, "piet@leverancier.be", secret)
		resp, body := le.get(t, "/operator/backups", h)
		if resp.StatusCode != 200 {
			t.Fatalf("operators' page: %d", resp.StatusCode)
		}
		for _, want := range []string{"dir:" + dir, m.ID, "Back-up", "Hersteltest", "geslaagd", "mislukt: tenant gent: audit chain: broken at 7",
			"321 rijen van 2 organisaties", "45 gebeurtenissen", "3 ondertekende checkpoints",
			"de back-upcontrole van de bewaking faalt", "De laatste hersteltest is mislukt.", "Tweede locatie",
			"Deze locatie kan niet gelezen worden", "Elke dag om 03:30 (UTC)", "7 dagen, 4 weken en 6 maanden", "De sleutelring zit nooit in een back-up"} {
			if !strings.Contains(body, want) {
				t.Errorf("operators' page lacks %q", want)
			}
		}
		if strings.Contains(body, "AKIASECRET") {
			t.Error("operators' page shows the access key")
		}

		for _, role := range []account.Role{account.RoleAdmin, account.RoleDPO} {
			email := string(role) + "@gent.be"
			u := le.addRoleUser(t, le.gent, email, role)
			ah, _ := le.login(t, email, "")
			ah["Cookie"] = sessionCookie + "=" + verifiedMFA(t, env, le.gent.ID, u.ID, strings.TrimPrefix(ah["Cookie"], sessionCookie+"="))
			resp, body := le.get(t, "/gent/admin/backups", ah)
			if resp.StatusCode != 200 {
				t.Fatalf("%s: controller's page: %d", role, resp.StatusCode)
			}
			for _, want := range []string{"Back-ups en hersteltest", "versleuteld (age)", "2 locaties", "mislukt",
				"De laatste geslaagde hersteltest was op", "ook de uwe, is gelijk aan het ondertekende manifest",
				"ongebroken keten", "7 dagen, 4 weken en 6 maanden"} {
				if !strings.Contains(body, want) {
					t.Errorf("%s: controller's page lacks %q", role, want)
				}
			}
			for _, not := range []string{dir, "s3.site2.example", "AKIA", "audit chain: broken", "321 rijen", "2 organisaties"} {
				if strings.Contains(body, not) {
					t.Errorf("%s: controller's page shows the operators' %q", role, not)
				}
			}
		}
	})
}

// TestClauseSEC5_OperatorQueuesTheRestoreTestNow: "run the restore test
// now" is refused until the operator ticks that they mean it (the error
// at its field, nothing queued); then it queues one restore test job,
// recorded in the platform log that controllers read too, and a second
// request in the same minute queues nothing more.
func TestClauseSEC5_OperatorQueuesTheRestoreTestNow(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		le := newLoginEnv(t, env, Options{LoginRateLimit: 1000, RestoreTestJob: "backup.restore_test",
			Backups: backup.Settings{Targets: []string{t.TempDir()}, At: "03:30"}})
		_, secret := activeOperator(t, le, env, "piet@leverancier.be")
		h := operatorSignIn(t, le, env, "piet@leverancier.be", secret)
		jobs := func() int {
			var n int
			if err := env.Raw(t).QueryRow(`SELECT count(*) FROM jobs WHERE kind = 'backup.restore_test'`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		resp, body := le.postForm(t, "/operator/backups/restore-test", h, url.Values{})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `href="#confirm"`) ||
			!strings.Contains(body, `aria-describedby="confirm-error"`) || jobs() != 0 {
			t.Fatalf("unconfirmed: %d, %d jobs\n%s", resp.StatusCode, jobs(), body)
		}
		resp, _ = le.postForm(t, "/operator/backups/restore-test", h, url.Values{"confirm": {"1"}})
		wantRedirect(t, "confirmed", resp, "/operator/backups?done=queued")
		if jobs() != 1 {
			t.Fatalf("%d restore test jobs, want 1", jobs())
		}
		resp, _ = le.postForm(t, "/operator/backups/restore-test", h, url.Values{"confirm": {"1"}})
		wantRedirect(t, "again", resp, "/operator/backups?done=already")
		if jobs() != 1 {
			t.Errorf("%d restore test jobs after asking twice, want 1", jobs())
		}
		_, body = le.get(t, "/operator/backups?done=queued", h)
		if !strings.Contains(body, "De hersteltest staat klaar") {
			t.Error("no confirmation on the page")
		}
		realm, err := env.DB.TenantBySlug(ctx, tenant.OperatorSlug)
		if err != nil {
			t.Fatal(err)
		}
		if evs := env.Events(t, realm.ID, "platform.restore_test_requested"); len(evs) != 1 || evs[0].Actor.Kind != audit.KindOperator {
			t.Errorf("audit events: %+v", evs)
		}
		// Controllers read it in their platform log, in words (AUD-3).
		u := le.addRoleUser(t, le.gent, "admin@gent.be", account.RoleAdmin)
		ah, _ := le.login(t, "admin@gent.be", "")
		ah["Cookie"] = sessionCookie + "=" + verifiedMFA(t, env, le.gent.ID, u.ID, strings.TrimPrefix(ah["Cookie"], sessionCookie+"="))
		if _, body := le.get(t, "/gent/admin/audit/platform", ah); !strings.Contains(body, "Hersteltest gevraagd") ||
			!strings.Contains(body, "de leverancier liet de hersteltest buiten de planning lopen") {
			t.Errorf("the platform log lacks the request:\n%s", body)
		}
	})
}
