package backup

import (
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
	"github.com/kluis/kluis/internal/objstore"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

// TestClauseSEC5_StatusSaysWhatTheRestoreTestChecked: after a backup to
// a directory and a real restore test, the status names both runs, reads
// back what the test checked (tenants, rows, audit events), lists the
// backup at the directory, names the second site's registered EEA
// sub-processor by its host, says why that site cannot be read, and shows
// its location without the access key.
func TestClauseSEC5_StatusSaysWhatTheRestoreTestChecked(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		f := newFixture(t, env)
		m, err := MakeRecorded(ctx, op, Options{DB: env.DB, DatabaseURL: env.URL, Keys: env.Keys,
			Stores: []objstore.Store{f.st}, Recipients: []string{f.id.Recipient().String()}, TempDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		o := TestOptions{Store: f.st, Identities: []age.Identity{f.id}, Master: env.Master, LiveDatabaseURL: env.URL, TempDir: t.TempDir()}
		if env.Dialect == store.Postgres {
			o.ScratchDatabaseURL = storetest.NewPostgresDatabase(t)
		}
		res, err := RestoreTest(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := env.DB.RecordBackupRun(ctx, op, store.BackupRun{Kind: store.RunRestoreTest, BackupID: res.BackupID,
			Location: f.st.Location(), StartedAt: env.DB.Now(), FinishedAt: env.DB.Now(), OK: true, Detail: res.String()}); err != nil {
			t.Fatal(err)
		}
		if _, err := env.DB.CreateSubProcessor(ctx, op, store.SubProcessorInput{Name: "Tweede Site NV", HeadOffice: "Luik",
			Location: "Luik", EEA: "yes", Measures: "ISO 27001", AgreementRef: "VWO-2", AgreementDate: "2026-01-01",
			Services: "back-ups", Hosts: "backup.eu.example"}); err != nil {
			t.Fatal(err)
		}
		dir := filepath.Join(t.TempDir(), "target")
		st, err := ReadStatus(ctx, env.DB, Settings{Targets: []string{dir},
			SecondSite: "s3://AKIASECRET@s3.backup.eu.example/kluis/site2", At: "03:30", Retention: Retention{7, 4, 6}}, 10)
		if err != nil {
			t.Fatal(err)
		}
		if !st.Scheduled() || st.LastGoodBackup.BackupID != m.ID || st.LastGoodTest.BackupID != m.ID || len(st.Recent) != 2 {
			t.Fatalf("runs: %+v", st.BackupFacts)
		}
		if !st.CheckedKnown || st.Checked.BackupID != m.ID || st.Checked.Tenants < 2 || st.Checked.Rows == 0 || st.Checked.Events == 0 {
			t.Errorf("checked: %+v (known %v), from %q", st.Checked, st.CheckedKnown, st.LastGoodTest.Detail)
		}
		if len(st.Sites) != 2 {
			t.Fatalf("sites: %+v", st.Sites)
		}
		// The directory here is a new one: empty, readable.
		if ms, err := st.Sites[0].Contents(ctx); err != nil || len(ms) != 0 || st.Sites[0].Second || st.Sites[0].SubProcessor != "" {
			t.Errorf("first site: %+v: %d backups, %v", st.Sites[0], len(ms), err)
		}
		second := st.Sites[1]
		if !second.Second || second.SubProcessor != "Tweede Site NV" || !second.EEA || strings.Contains(second.Location, "AKIA") {
			t.Errorf("second site: %+v", second)
		}
		if _, err := second.Contents(ctx); err == nil {
			t.Error("an s3 site without its client read as fine")
		}
		// The real target holds the backup, with its manifest time.
		st, err = ReadStatus(ctx, env.DB, Settings{Targets: []string{strings.TrimPrefix(f.st.Location(), "dir:")}}, 10)
		if err != nil {
			t.Fatal(err)
		}
		ms, err := st.Sites[0].Contents(ctx)
		if err != nil || len(ms) != 1 || ms[0].ID != m.ID || !ms[0].Created.Equal(m.Created) {
			t.Errorf("contents: %+v, %v", ms, err)
		}
	})
}

func TestParseTestResultReadsWhatStringWrites(t *testing.T) {
	want := TestResult{BackupID: "20261205T033000Z-a1b2c3", Tenants: 3, Rows: 1234, Events: 567, Marks: 8}
	got, ok := ParseTestResult(want.String())
	if !ok || got.BackupID != want.BackupID || got.Tenants != 3 || got.Rows != 1234 || got.Events != 567 || got.Marks != 8 {
		t.Errorf("got %+v, %v", got, ok)
	}
	if _, ok := ParseTestResult("tenant gent: audit chain: broken at 12"); ok {
		t.Error("a failure read as a result")
	}
}
