package store_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
	"github.com/kluis/kluis/internal/tenant"
)

// TestClauseADT1_DriftRecordedOncePerFlip: the first run is a silent
// baseline; a flip is recorded once, audited, kept in the snapshot with
// its time, and mailed once per run to the DPO (the tenant's language) and
// each active admin (their own), the mail listing every flip; the same
// states again, or a changed count under an unchanged status, mail nobody;
// the flip back is recorded too, and the list reads newest first.
func TestClauseADT1_DriftRecordedOncePerFlip(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		tn := newTenant(t, env, "gent")
		h := fastHasher()
		activeUser(t, env, tn, "admin@gent.be", account.RoleAdmin, h)
		_, tok, err := env.DB.InviteUser(ctx, operator, tn.ID, account.Invite{Email: "admin.fr@gent.be", Name: "Admin FR",
			Role: account.RoleAdmin, Lang: "fr"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := env.DB.ActivateUser(ctx, tn.ID, tok.Plain, "not-a-real-hash", "r"); err != nil {
			t.Fatal(err)
		}
		activeUser(t, env, tn, "clerk@gent.be", account.RoleUser, h)
		claimAll(t, env) // the invitations
		actor := audit.System("compliance.drift")
		var composed [][]string
		compose := func(t tenant.Tenant, lang string, flips []store.ComplianceDrift) store.OutgoingMail {
			var lines []string
			for _, f := range flips {
				lines = append(lines, fmt.Sprintf("%s %s->%s %v", f.Clause, f.From, f.To, f.ChangedFacts()))
			}
			composed = append(composed, lines)
			return store.OutgoingMail{Lang: lang, Subject: "Wijziging " + t.LegalName, Body: strings.Join(lines, "\n")}
		}
		state := func(clause, status, withoutMFA string) store.ClauseState {
			return store.ClauseState{Clause: clause, Status: status, Facts: map[string]string{"admins": "2", "admins_without_mfa": withoutMFA},
				MeasuredAt: env.Clock.Now()}
		}
		run := func(states ...store.ClauseState) store.DriftRun {
			t.Helper()
			composed = nil
			r, err := env.DB.RecordComplianceDrift(ctx, actor, tn.ID, states, compose)
			if err != nil {
				t.Fatal(err)
			}
			return r
		}

		if r := run(state("USR-2", "met", "0"), state("AUD-1", "met", "0")); !r.Baseline || len(r.Flips) != 0 {
			t.Fatalf("first run %+v, want the baseline", r)
		}
		if lines, _ := claimAll(t, env); len(lines) != 0 || auditCount(t, env, tn.ID, "compliance.baseline", "") != 1 {
			t.Fatalf("the baseline mailed %q", lines)
		}
		base := env.Clock.Now()

		env.Clock.Advance(time.Hour)
		r := run(state("USR-2", "partly", "1"), state("AUD-1", "met", "0"))
		if r.Baseline || len(r.Flips) != 1 || r.Flips[0].Clause != "USR-2" || r.Flips[0].From != "met" || r.Flips[0].To != "partly" {
			t.Fatalf("flip run %+v", r)
		}
		lines, ms := claimAll(t, env)
		if want := []string{"compliance.drift fr admin.fr@gent.be", "compliance.drift nl admin@gent.be", "compliance.drift nl dpo@gent.example"}; !reflect.DeepEqual(lines, want) {
			t.Fatalf("mails %q, want %q", lines, want)
		}
		if !strings.Contains(ms[0].Body, "USR-2 met->partly [admins_without_mfa]") || len(composed) != 3 || len(composed[0]) != 1 {
			t.Fatalf("mail %q (composed %q)", ms[0].Body, composed)
		}
		if n := auditCount(t, env, tn.ID, "compliance.drift", "met -> partly"); n != 1 {
			t.Fatalf("%d drift events", n)
		}
		snap, err := env.DB.ComplianceSnapshot(ctx, tn.ID)
		if err != nil {
			t.Fatal(err)
		}
		if s := snap["USR-2"]; s.Status != "partly" || s.Facts["admins_without_mfa"] != "1" || !s.ChangedAt.Equal(env.Clock.Now()) {
			t.Fatalf("snapshot %+v", s)
		}
		if s := snap["AUD-1"]; s.Status != "met" || !s.ChangedAt.Equal(base) {
			t.Fatalf("an unchanged clause's snapshot %+v", s)
		}

		// The same again, and a worse count under the same status: nothing.
		env.Clock.Advance(time.Hour)
		if r := run(state("USR-2", "partly", "1"), state("AUD-1", "met", "0")); len(r.Flips) != 0 {
			t.Fatalf("a run without change flipped %+v", r.Flips)
		}
		if r := run(state("USR-2", "partly", "2"), state("AUD-1", "met", "0")); len(r.Flips) != 0 {
			t.Fatalf("a changed count under the same status flipped %+v", r.Flips)
		}
		if lines, _ := claimAll(t, env); len(lines) != 0 {
			t.Fatalf("no flip mailed %q", lines)
		}

		// Two flips in one run: one mail each, listing both.
		env.Clock.Advance(time.Hour)
		r = run(state("USR-2", "met", "0"), state("AUD-1", "not_met", "0"))
		if len(r.Flips) != 2 {
			t.Fatalf("flips %+v", r.Flips)
		}
		if lines, ms := claimAll(t, env); len(lines) != 3 || !strings.Contains(ms[0].Body, "USR-2 partly->met") || !strings.Contains(ms[0].Body, "AUD-1 met->not_met") {
			t.Fatalf("mails %q", lines)
		}
		list, err := env.DB.ComplianceDrifts(ctx, tn.ID, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 3 || list[2].Clause != "USR-2" || list[2].To != "partly" || !list[0].ChangedAt.Equal(env.Clock.Now()) ||
			list[2].Notified != 3 || len(list[2].MailSHA) != 64 {
			t.Fatalf("drift list %+v", list)
		}
		// Another tenant sees none of it.
		other := newTenant(t, env, "brugge")
		if list, err := env.DB.ComplianceDrifts(ctx, other.ID, 10); err != nil || len(list) != 0 {
			t.Fatalf("another tenant's drifts %+v %v", list, err)
		}
	})
}
