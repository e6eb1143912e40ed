package jobs

import (
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/breach"
	"github.com/kluis/kluis/internal/compliance"
	"github.com/kluis/kluis/internal/mail/mailtest"
	"github.com/kluis/kluis/internal/mfa"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
	"github.com/kluis/kluis/internal/tenant"
)

// mfaAdmin invites and activates an admin in lang and enrols a second
// factor for them.
func mfaAdmin(t *testing.T, env *storetest.Env, tn tenant.Tenant, email, name, lang string) account.User {
	t.Helper()
	op := audit.Actor{Kind: audit.KindOperator, ID: "op"}
	_, tok, err := env.DB.InviteUser(ctx, op, tn.ID, account.Invite{Email: email, Name: name, Role: account.RoleAdmin, Lang: lang})
	if err != nil {
		t.Fatal(err)
	}
	u, err := env.DB.ActivateUser(ctx, tn.ID, tok.Plain, "not-a-real-hash", "req-activate")
	if err != nil {
		t.Fatal(err)
	}
	enrolTOTP(t, env, tn, u)
	return u
}

func enrolTOTP(t *testing.T, env *storetest.Env, tn tenant.Tenant, u account.User) {
	t.Helper()
	self := audit.Actor{Kind: audit.KindUser, ID: u.ID, Role: "admin", RequestID: "req-" + u.ID}
	secret, err := env.DB.BeginTOTP(ctx, self, tn.ID, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.DB.ConfirmTOTP(ctx, self, tn.ID, u.ID, mfa.CodeAt(secret, env.Clock.Now())); err != nil {
		t.Fatal(err)
	}
	env.Clock.Advance(mfa.Period)
}

// TestClauseADT1_DriftMailsTheDPOWhenAFactFlips: through the real relay,
// the hourly compliance.drift job sends nothing on its first run (the
// baseline); when an admin loses their second factor, the next run mails
// the DPO once (in the tenant's language; a French-speaking admin in
// French), naming USR-2, the change, since when and why, with the link to
// the report's changes, and records the flip in the snapshot, the list and
// the audit log — never the admin's name; a run without change mails
// nothing; the second factor back is a "met again" mail; a breach left
// past its 24-hour clock (the injectable clock) is a mail naming BRE-1; a
// failed restore test one mail naming END-2 and SEC-5.
func TestClauseADT1_DriftMailsTheDPOWhenAFactFlips(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		m := newMailEnv(t, env)
		platform := compliance.Platform{Database: string(env.Dialect), Scheduled: true}
		m.runner.Handlers[KindComplianceDrift] = ComplianceDriftHandler("https://loket.example.be", MeasureCompliance(platform))
		// Only the mail and the drift job: the other clocks' own flips
		// (a checkpoint signed, a retention run) are theirs to test.
		m.runner.Schedule = []Periodic{{Kind: KindMailSend, Every: 30 * time.Second}, {Kind: KindComplianceDrift, Every: time.Hour}}
		an := mfaAdmin(t, env, m.tenant, "an@demo.example", "MARKER-An Peeters", "nl")
		mfaAdmin(t, env, m.tenant, "luc@demo.example", "Luc Dubois", "fr")
		op := audit.Actor{Kind: audit.KindOperator, ID: "op"}
		backupsPass := func() {
			t.Helper()
			for _, kind := range []string{store.RunBackup, store.RunRestoreTest} {
				now := env.Clock.Now()
				if _, err := env.DB.RecordBackupRun(ctx, op, store.BackupRun{Kind: kind, BackupID: "b-" + now.Format("150405"), Location: "dir:/b",
					StartedAt: now.Add(-time.Minute), FinishedAt: now, OK: true, Detail: "d"}); err != nil {
					t.Fatal(err)
				}
			}
		}
		backupsPass()
		var seen int
		// hour lets an hour pass and ticks: the job's next slot; it
		// returns the drift mails the relay got since the last call.
		hour := func() []mailtest.Message {
			t.Helper()
			env.Clock.Advance(time.Hour)
			m.tick(t)
			m.tick(t) // the mails the drift run queued go out
			var out []mailtest.Message
			all := m.relay.Messages()
			for _, msg := range all[seen:] {
				if strings.Contains(msg.Subject, "verwerkersovereenkomst") || strings.Contains(msg.Subject, "sous-traitance") {
					out = append(out, msg)
				}
			}
			seen = len(all)
			return out
		}
		to := func(msgs []mailtest.Message, addr string) []mailtest.Message {
			var out []mailtest.Message
			for _, msg := range msgs {
				if len(msg.To) == 1 && msg.To[0] == addr {
					out = append(out, msg)
				}
			}
			return out
		}

		if got := hour(); len(got) != 0 {
			t.Fatalf("the baseline run mailed %q", got[0].Subject)
		}
		if n := len(env.Events(t, m.tenant.ID, "compliance.baseline")); n != 1 {
			t.Fatalf("%d baseline events", n)
		}
		// The hourly check counts and opens no name, so it records no read:
		// the log is not filled with a system read every hour.
		if n := len(env.Events(t, m.tenant.ID, "compliance.read")); n != 0 {
			t.Fatalf("%d compliance.read events from the drift check, want none", n)
		}
		snap, err := env.DB.ComplianceSnapshot(ctx, m.tenant.ID)
		if err != nil || len(snap) != len(compliance.Clauses) || snap["USR-2"].Status != "met" {
			t.Fatalf("baseline snapshot: %d clauses, USR-2 %+v (%v)", len(snap), snap["USR-2"], err)
		}

		// An admin loses the second factor.
		if err := env.DB.RemoveTOTP(ctx, op, m.tenant.ID, an.ID); err != nil {
			t.Fatal(err)
		}
		got := hour()
		flippedAt := env.Clock.Now()
		dpo := to(got, "dpo@demo.example")
		if len(dpo) != 1 {
			t.Fatalf("%d drift mails to the DPO, want 1 (all: %d)", len(dpo), len(got))
		}
		body := dpo[0].Body
		since := flippedAt.In(brussels).Format("02.01.2006 15:04")
		for _, want := range []string{"USR-2 (Tweestapsverificatie)", "was voldaan, is nu gedeeltelijk voldaan", "sinds " + since,
			"Nu: 1 van de 2 beheerders en DPO's hebben geen tweestapsverificatie.", "Voorheen: Alle 2 beheerders",
			"https://loket.example.be/demo/admin/compliance/changes"} {
			if !strings.Contains(body, want) {
				t.Errorf("the DPO's mail lacks %q:\n%s", want, body)
			}
		}
		if !strings.Contains(dpo[0].Subject, "niet langer voldaan") || strings.Contains(body, "MARKER") || strings.Contains(body, "compliance.") {
			t.Errorf("the DPO's mail: %q\n%s", dpo[0].Subject, body)
		}
		if fr := to(got, "luc@demo.example"); len(fr) != 1 || !strings.Contains(fr[0].Body, "USR-2") ||
			!strings.Contains(fr[0].Body, "était respectée, est maintenant partiellement respectée") {
			t.Errorf("the French admin's mail: %+v", fr)
		}
		snap, err = env.DB.ComplianceSnapshot(ctx, m.tenant.ID)
		if err != nil {
			t.Fatal(err)
		}
		if s := snap["USR-2"]; s.Status != "partly" || !s.ChangedAt.Equal(flippedAt) {
			t.Errorf("USR-2 in the snapshot: %+v", s)
		}
		list, err := env.DB.ComplianceDrifts(ctx, m.tenant.ID, 10)
		if err != nil || len(list) != 1 || list[0].Clause != "USR-2" || list[0].From != "met" || list[0].To != "partly" || list[0].Notified != 3 {
			t.Fatalf("drift list %+v (%v)", list, err)
		}
		if ev := env.Events(t, m.tenant.ID, "compliance.drift"); len(ev) != 1 || ev[0].ObjectID != "USR-2" || ev[0].Actor.Kind != audit.KindSystem {
			t.Fatalf("drift events %+v", ev)
		}
		var leaked int
		if err := env.Raw(t).QueryRow(`SELECT count(*) FROM compliance_snapshot WHERE facts LIKE '%MARKER%'`).Scan(&leaked); err != nil || leaked != 0 {
			t.Fatalf("the snapshot holds an admin's name (%d rows, %v)", leaked, err)
		}

		// Nothing changed: no mail.
		if got := hour(); len(got) != 0 {
			t.Fatalf("a run without change mailed %q", got[0].Subject)
		}

		// The second factor is back: met again.
		enrolTOTP(t, env, m.tenant, an)
		dpo = to(hour(), "dpo@demo.example")
		if len(dpo) != 1 || !strings.Contains(dpo[0].Subject, "opnieuw voldaan") ||
			!strings.Contains(dpo[0].Body, "was gedeeltelijk voldaan, is nu voldaan") {
			t.Fatalf("back to met: %+v", dpo)
		}

		// A breach's 24-hour clock runs out (BRE-1).
		if _, err := env.DB.OpenBreach(ctx, op, m.tenant.ID, breach.Report{Description: "Verkeerde bijlage verstuurd",
			DiscoveredAt: env.Clock.Now()}, nil); err != nil {
			t.Fatal(err)
		}
		if got := hour(); len(got) != 0 {
			t.Fatalf("a breach inside its clock mailed %q", got[0].Subject)
		}
		env.Clock.Advance(23 * time.Hour)
		backupsPass() // a fresh restore test: only the breach flips
		dpo = to(hour(), "dpo@demo.example")
		if len(dpo) != 1 || !strings.Contains(dpo[0].Body, "BRE-1") || !strings.Contains(dpo[0].Body, "was voldaan, is nu niet voldaan") {
			t.Fatalf("breach overdue: %+v", dpo)
		}
		if strings.Contains(dpo[0].Body, "USR-2") {
			t.Errorf("the breach's mail repeats an earlier flip:\n%s", dpo[0].Body)
		}
		if list, _ := env.DB.ComplianceDrifts(ctx, m.tenant.ID, 10); len(list) != 3 || list[0].Clause != "BRE-1" {
			t.Errorf("drift list, newest first: %+v", list)
		}

		// A restore test fails (END-2, SEC-5): both in one mail.
		now := env.Clock.Now()
		if _, err := env.DB.RecordBackupRun(ctx, op, store.BackupRun{Kind: store.RunRestoreTest, BackupID: "b-failed", Location: "dir:/b",
			StartedAt: now.Add(-time.Minute), FinishedAt: now, OK: false, Detail: "d"}); err != nil {
			t.Fatal(err)
		}
		dpo = to(hour(), "dpo@demo.example")
		if len(dpo) != 1 || !strings.Contains(dpo[0].Body, "END-2") || !strings.Contains(dpo[0].Body, "SEC-5") ||
			strings.Count(dpo[0].Body, "is nu niet voldaan") < 2 {
			t.Fatalf("failed restore test: %+v", dpo)
		}
	})
}
