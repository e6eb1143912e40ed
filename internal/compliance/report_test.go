package compliance

import (
	"strings"

	"github.com/kluis/kluis/internal/clausecov"
	"github.com/kluis/kluis/internal/locale"
	"os"
	"regexp"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/store"
)

var at = time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)

// goodFacts is a tenant where every measured clause is met.
func goodFacts() Facts {
	m := Measured{At: at, Link: "/gent/admin/x"}
	ok := func(kind string, hoursAgo int) store.BackupRun {
		t := at.Add(-time.Duration(hoursAgo) * time.Hour)
		return store.BackupRun{ID: kind + "1", Kind: kind, BackupID: "b1", StartedAt: t.Add(-time.Minute), FinishedAt: t, OK: true}
	}
	done := at.Add(-2 * time.Hour)
	declared := map[string]time.Time{}
	for _, k := range store.OrgKinds {
		declared[k] = at.Add(-24 * time.Hour)
	}
	return Facts{TenantID: "t1", TenantSlug: "gent", TenantName: "Stad Gent", At: at,
		Users:  UserFacts{Measured: m, Total: 4, Active: 4, WithMFA: 3, Admins: 2, AdminsWithoutMFA: []string{}},
		Policy: PolicyFacts{Measured: m, Version: 1},
		Backup: BackupFacts{Measured: m, LastBackup: ok(store.RunBackup, 3), LastGoodBackup: ok(store.RunBackup, 3), LastTest: ok(store.RunRestoreTest, 2), LastGoodTest: ok(store.RunRestoreTest, 2), Scheduled: true, SecondSite: true, TestEvery: 24 * time.Hour},
		Audit:  AuditFacts{Measured: m, Events: 120, Verified: true, CheckpointAt: at.Add(-10 * time.Minute), CheckpointSize: 118, CheckpointLink: "/gent/admin/audit/checkpoints", CheckpointMax: 30 * time.Minute},
		Access: AccessFacts{Measured: m},
		Retention: RetentionFacts{Measured: m, Every: 24 * time.Hour, Runs: []RetentionRun{{StartedAt: done, FinishedAt: &done, Status: "done",
			Counts: map[string]int64{"delete": 3}}}},
		Requests:      RequestFacts{Measured: m},
		Breaches:      BreachFacts{Measured: m},
		SubProcessors: SubProcessorFacts{Measured: m, All: []SubProcessor{{Name: "Mailer NV", Location: "BE", EEA: true, Platform: true, Status: store.SubAccepted, Hosts: []string{"mail.example.be"}}}},
		Location:      LocationFacts{Measured: m, Database: "postgres", Attachments: "database", MailRelay: "smtp.mail.example.be", MailRelaySub: "Mailer NV", MailRelayEEA: true},
		Register:      RegisterFacts{Measured: m, Version: 3, SavedAt: at.Add(-48 * time.Hour), Purposes: 2, Categories: 5, Applications: 1},
		Org:           OrgFacts{Measured: m, Declared: declared, DPONamed: true},
	}
}

func withPolicy(f Facts) Facts {
	f.Policy.PasswordMinLength, f.Policy.LockoutMaxFailures, f.Policy.LockoutWindow = 12, 5, 15*time.Minute
	return f
}

// TestClauseADT1_EveryClauseOfTheDigestIsInTheReport: the clause list is
// the digest's (as docs/clauses.md lists it), 55 ids, and Build answers
// each with a status and the tests named after it.
func TestClauseADT1_EveryClauseOfTheDigestIsInTheReport(t *testing.T) {
	doc, err := os.ReadFile("../../docs/clauses.md")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^\| ([A-Z]{3}-[0-9]+) \|`).FindAllStringSubmatch(string(doc), -1) {
		want[m[1]] = true
	}
	if len(want) != 55 || len(Clauses) != 55 {
		t.Fatalf("docs/clauses.md lists %d ids, Clauses %d; the digest has 55", len(want), len(Clauses))
	}
	seen := map[string]bool{}
	for _, c := range Clauses {
		if !want[c.ID] || seen[c.ID] {
			t.Errorf("clause %s: in the docs %v, twice %v", c.ID, want[c.ID], seen[c.ID])
		}
		seen[c.ID] = true
		if c.Section < 1 || c.Section > Sections {
			t.Errorf("clause %s: section %d", c.ID, c.Section)
		}
	}
	r := Build(withPolicy(goodFacts()))
	if len(r.Items) != len(Clauses) {
		t.Fatalf("report has %d items, want %d", len(r.Items), len(Clauses))
	}
	for i, it := range r.Items {
		if it.ID != Clauses[i].ID {
			t.Errorf("item %d is %s, want %s", i, it.ID, Clauses[i].ID)
		}
		if _, ok := rules[it.ID]; !ok {
			t.Errorf("%s has no rule", it.ID)
		}
		if it.Status == "" || it.Reason == "" || len(it.Evidence) == 0 {
			t.Errorf("%s: status %q reason %q evidence %d", it.ID, it.Status, it.Reason, len(it.Evidence))
		}
		if len(it.Tests) == 0 && it.ID != "LOC-4" { // LOC-4 is the operator's: no test in the product
			t.Errorf("%s: no test named after it", it.ID)
		}
		for _, e := range it.Evidence {
			if e.Label == "" || e.MeasuredAt.IsZero() || e.Link == "" {
				t.Errorf("%s: evidence %+v lacks a label, time or link", it.ID, e)
			}
		}
		want := Met
		if it.Kind == Organisational {
			want = Declared
		}
		if it.ID == "LOC-4" {
			want = Partly // the operator's updates: not measurable
		}
		if it.Status != want {
			t.Errorf("%s on good facts: %s (%s), want %s", it.ID, it.Status, it.Reason, want)
		}
	}
	for _, s := range r.Sections() {
		if len(s.Items) == 0 {
			t.Errorf("section %d is empty", s.N)
		}
	}
}

// TestClauseADT1_RulesFollowTheFacts: each kind of fact moves its
// clauses' status, with the reason and evidence that say why.
func TestClauseADT1_RulesFollowTheFacts(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*Facts)
		want   map[string]Status
		reason string
	}{
		{"one admin of two without MFA", func(f *Facts) { f.Users.AdminsWithoutMFA = []string{"An Peeters"} },
			map[string]Status{"USR-2": Partly}, "compliance.reason.admins_without_mfa"},
		{"no admin with MFA", func(f *Facts) { f.Users.AdminsWithoutMFA = []string{"An Peeters", "Jan Claes"} },
			map[string]Status{"USR-2": NotMet}, "compliance.reason.admins_without_mfa"},
		{"restore test failed", func(f *Facts) { f.Backup.LastTest.OK = false },
			map[string]Status{"END-2": NotMet, "SEC-5": NotMet, "SEC-3": Partly, "SEC-4": Met}, "compliance.reason.test_failed"},
		{"restore test older than the policy", func(f *Facts) { f.Backup.LastTest.FinishedAt = at.Add(-26 * time.Hour) },
			map[string]Status{"END-2": NotMet, "SEC-5": NotMet}, "compliance.reason.test_old"},
		{"never restored", func(f *Facts) { f.Backup.LastTest, f.Backup.LastGoodTest = store.BackupRun{}, store.BackupRun{} },
			map[string]Status{"END-2": NotMet, "SEC-4": NotMet}, "compliance.reason.never_tested"},
		{"backup failed, test passed", func(f *Facts) { f.Backup.LastBackup.OK = false },
			map[string]Status{"END-2": Partly}, "compliance.reason.backup_failed"},
		{"chain broken", func(f *Facts) { f.Audit.Verified, f.Audit.Broken = false, "audit chain broken at event 3: hash" },
			map[string]Status{"AUD-1": NotMet, "AUD-3": NotMet, "ADT-1": NotMet, "SEC-3": NotMet}, "compliance.reason.chain_broken"},
		{"checkpoint late", func(f *Facts) { f.Audit.CheckpointAt = at.Add(-3 * time.Hour) },
			map[string]Status{"AUD-2": Partly, "AUD-1": Met}, "compliance.reason.checkpoint_old"},
		{"breach past its 24 h clock", func(f *Facts) {
			f.Breaches.All = []store.ComplianceBreach{{ID: "b1", DiscoveredAt: at.Add(-25 * time.Hour)}}
		}, map[string]Status{"BRE-1": NotMet, "BRE-3": Met}, "compliance.reason.breach_overdue"},
		{"breach inside its clock", func(f *Facts) {
			f.Breaches.All = []store.ComplianceBreach{{ID: "b1", DiscoveredAt: at.Add(-23 * time.Hour)}}
		}, map[string]Status{"BRE-1": Met}, "compliance.reason.breaches"},
		{"breach reported late", func(f *Facts) {
			n := at.Add(-time.Hour)
			f.Breaches.All = []store.ComplianceBreach{{ID: "b1", DiscoveredAt: at.Add(-30 * time.Hour), NotifiedAt: &n}}
		}, map[string]Status{"BRE-1": Partly}, "compliance.reason.breach_late"},
		{"request overdue", func(f *Facts) {
			f.Requests.Open = []store.ComplianceRequest{{ID: "r1", Kind: "access", Status: "received", DueAt: at.Add(-time.Hour)}}
			f.Requests.Overdue = 1
		}, map[string]Status{"DSR-1": NotMet}, "compliance.reason.requests_overdue"},
		{"retention failed", func(f *Facts) { f.Retention.Runs[0].Status = "failed" },
			map[string]Status{"SEC-1": NotMet}, "compliance.reason.retention_failed"},
		{"no register", func(f *Facts) { f.Register = RegisterFacts{Measured: f.Register.Measured} },
			map[string]Status{"REG-1": NotMet, "REG-7": NotMet}, "compliance.reason.no_register"},
		{"relay outside the EEA", func(f *Facts) { f.Location.MailRelayEEA = false },
			map[string]Status{"REG-2": NotMet, "LOC-1": NotMet}, "compliance.reason.relay_outside_eea"},
		{"relay no sub-processor names", func(f *Facts) { f.Location.MailRelaySub = "" },
			map[string]Status{"REG-2": Partly, "LOC-1": Met}, "compliance.reason.relay_unknown"},
		{"sub-processor outside the EEA without mechanism", func(f *Facts) {
			f.SubProcessors.All = append(f.SubProcessors.All, SubProcessor{Name: "Cloud Inc", Location: "US"})
		}, map[string]Status{"SUB-1": NotMet, "LOC-1": Partly}, "compliance.reason.sub_outside_eea"},
		{"SLA not declared", func(f *Facts) { delete(f.Org.Declared, store.OrgSLA) },
			map[string]Status{"ORG-4": NotMet, "ORG-3": Declared}, "compliance.reason.not_declared"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := withPolicy(goodFacts())
			tc.change(&f)
			r := Build(f)
			for id, want := range tc.want {
				it, _ := r.Item(id)
				if it.Status != want {
					t.Errorf("%s: %s (%s), want %s", id, it.Status, it.Reason, want)
				}
			}
			found := false
			for _, it := range r.Items {
				if it.Reason == tc.reason {
					found = true
				}
			}
			if !found {
				t.Errorf("no clause gives the reason %s", tc.reason)
			}
		})
	}
	// USR-2 names the admins without a second factor, and how many.
	f := withPolicy(goodFacts())
	f.Users.AdminsWithoutMFA = []string{"An Peeters"}
	it, _ := Build(f).Item("USR-2")
	named := false
	for _, e := range it.Evidence {
		if e.Label == "compliance.ev.admin_without_mfa" && e.Value == "An Peeters" {
			named = true
		}
	}
	if !named || len(it.ReasonArgs) != 2 || it.ReasonArgs[0] != 1 || it.ReasonArgs[1] != 2 {
		t.Errorf("USR-2 evidence %+v, reason args %v", it.Evidence, it.ReasonArgs)
	}
}

// TestClauseADT1_EveryAnswerReadsInEveryLanguage: whatever the facts, every
// title, status, reason and evidence sentence is in the nl, fr and en
// catalogues and formats without a missing or extra argument.
func TestClauseADT1_EveryAnswerReadsInEveryLanguage(t *testing.T) {
	variants := []Facts{withPolicy(goodFacts()), {TenantSlug: "gent", At: at}}
	bad := withPolicy(goodFacts())
	n := at.Add(-time.Hour)
	bad.Users.AdminsWithoutMFA = []string{"An", ""}
	bad.Backup.LastTest.OK, bad.Backup.LastBackup.OK = false, false
	bad.Audit.Verified, bad.Audit.CheckpointAt = false, time.Time{}
	bad.Breaches.All = []store.ComplianceBreach{{DiscoveredAt: at.Add(-30 * time.Hour)}, {DiscoveredAt: at.Add(-30 * time.Hour), NotifiedAt: &n},
		{DiscoveredAt: at.Add(-time.Hour)}}
	bad.Requests.Open = []store.ComplianceRequest{{DueAt: at}}
	bad.Requests.Overdue = 1
	bad.Retention.Runs[0].Status = "failed"
	bad.Location.MailRelayEEA, bad.Location.AttachmentsSub = false, "S3 NV"
	bad.SubProcessors.All = append(bad.SubProcessors.All, SubProcessor{Name: "X", Location: "US", Status: store.SubPending})
	bad.Org.Declared = map[string]time.Time{}
	bad.Register.Unclassified = 1
	late := withPolicy(goodFacts())
	late.Backup.LastTest.FinishedAt = at.Add(-48 * time.Hour)
	late.Audit.CheckpointAt = at.Add(-5 * time.Hour)
	late.Retention.Runs[0].StartedAt = at.Add(-72 * time.Hour)
	late.Location.MailRelaySub = ""
	late.Policy.PasswordMinLength = 8
	variants = append(variants, bad, late)
	for _, lang := range locale.Supported() {
		for _, f := range variants {
			v := ViewIn(Build(f), lang)
			check := func(what, s string) {
				if s == "" || strings.Contains(s, "%!") || strings.HasPrefix(s, "compliance.") {
					t.Errorf("%s in %s reads %q", what, lang, s)
				}
			}
			for _, c := range v.Counts {
				check(string(c.Status), c.Label)
			}
			for _, s := range v.Sections {
				check("section", s.Title)
				for _, it := range s.Items {
					check(it.ID+" title", it.Title)
					check(it.ID+" status", it.StatusLabel)
					check(it.ID+" reason", it.Reason)
					for _, e := range it.Evidence {
						check(it.ID+" evidence", e.Text)
					}
				}
			}
		}
	}
	for _, c := range Clauses {
		for _, lang := range locale.Supported() {
			if !locale.Has(lang, c.TitleKey()) {
				t.Errorf("%s has no title in %s", c.ID, lang)
			}
		}
	}
}

// TestClauseADT1_ClausesAgreeWithClauseCoverage: the report's clause list
// is the one the build's clause coverage embeds, id for id, section for
// section.
func TestClauseADT1_ClausesAgreeWithClauseCoverage(t *testing.T) {
	cov := clausecov.Clauses()
	if len(cov) != len(Clauses) {
		t.Fatalf("clausecov has %d clauses, compliance %d", len(cov), len(Clauses))
	}
	for i, c := range cov {
		if c.ID != Clauses[i].ID || c.Section != Clauses[i].Section {
			t.Errorf("clause %d: clausecov %s §%d, compliance %s §%d", i, c.ID, c.Section, Clauses[i].ID, Clauses[i].Section)
		}
	}
}
