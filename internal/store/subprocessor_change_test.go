package store_test

import (
	"errors"
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

// subWithTenants creates mailBox() and applies it to gent (announced, then
// accepted), aalst (announced, pending) and brugge (objected).
func subWithTenants(t *testing.T, env *storetest.Env) (s store.SubProcessor, gent, aalst, brugge tenant.Tenant) {
	t.Helper()
	gent, aalst, brugge = newTenant(t, env, "gent"), newTenant(t, env, "aalst"), newTenant(t, env, "brugge")
	activeUser(t, env, gent, "admin@gent.be", account.RoleAdmin, fastHasher())
	s, err := env.DB.CreateSubProcessor(ctx, operator, mailBox())
	if err != nil {
		t.Fatal(err)
	}
	if err := env.DB.AnnounceSubProcessor(ctx, operator, s.ID, store.SubAnnouncement{Kind: store.SubKindAdd, EffectiveAt: env.Clock.Now().AddDate(0, 0, 30),
		TenantIDs: []string{gent.ID, aalst.ID, brugge.ID}}, subMail); err != nil {
		t.Fatal(err)
	}
	if err := env.DB.DecideSubProcessor(ctx, dsrAdmin, gent.ID, s.ID, true, ""); err != nil {
		t.Fatal(err)
	}
	if err := env.DB.DecideSubProcessor(ctx, dsrAdmin, brugge.ID, s.ID, false, "Niet buiten België"); err != nil {
		t.Fatal(err)
	}
	claimAll(t, env)
	return s, gent, aalst, brugge
}

func standing(t *testing.T, env *storetest.Env, tenantID string) store.TenantSubProcessor {
	t.Helper()
	list, err := env.DB.TenantSubProcessors(ctx, dsrAdmin, tenantID)
	if err != nil || len(list) != 1 {
		t.Fatalf("%s's list %+v %v", tenantID, list, err)
	}
	return list[0]
}

// TestClauseSUB2_MaterialChangeAnnouncedWithObjectionWindow: changing only
// the agreement's reference and date is saved and announced to nobody; a
// material change (the processing location) is announced to every tenant
// it applies to with its effective date — the one that had accepted sees a
// pending change it may object to until then while its data still flows
// (the earlier authorisation stands), the pending one keeps waiting, the
// objection stands — each told by mail and in its log. Objecting to the
// change stops the routing, refused and audited.
func TestClauseSUB2_MaterialChangeAnnouncedWithObjectionWindow(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		s, gent, aalst, brugge := subWithTenants(t, env)
		in := mailBox()
		in.AgreementRef, in.AgreementDate = "SVO-2026-007bis", "2026-04-01"
		changed, err := env.DB.EditSubProcessor(ctx, operator, s.ID, store.SubChange{SubProcessorInput: in}, subMail)
		if err != nil || len(changed) != 0 {
			t.Fatalf("agreement edit: %v %v", changed, err)
		}
		if lines, _ := claimAll(t, env); len(lines) != 0 || standing(t, env, gent.ID).Status != store.SubAccepted {
			t.Fatalf("an agreement's new reference was announced: %v", lines)
		}
		if got, _ := env.DB.SubProcessor(ctx, s.ID); got.AgreementRef != "SVO-2026-007bis" {
			t.Fatalf("not saved: %+v", got)
		}
		in.Location = "Dublin, Ierland"
		effective := env.Clock.Now().AddDate(0, 0, 30)
		changed, err = env.DB.EditSubProcessor(ctx, operator, s.ID, store.SubChange{SubProcessorInput: in, EffectiveAt: effective}, subMail)
		if err != nil || !reflect.DeepEqual(changed, []string{"location"}) {
			t.Fatalf("material edit: %v %v", changed, err)
		}
		lines, _ := claimAll(t, env)
		want := []string{"subprocessor.announce nl admin@gent.be", "subprocessor.announce nl dpo@aalst.example", "subprocessor.announce nl dpo@brugge.example",
			"subprocessor.announce nl dpo@gent.example"}
		if !reflect.DeepEqual(lines, want) {
			t.Fatalf("mails %v, want %v", lines, want)
		}
		g := standing(t, env, gent.ID)
		if g.Kind != store.SubKindChange || g.Status != store.SubPending || !g.EffectiveAt.Equal(effective.Truncate(time.Microsecond)) ||
			g.Location != "Dublin, Ierland" || g.DecidedAt != nil {
			t.Fatalf("gent after the change %+v", g)
		}
		if a := standing(t, env, aalst.ID); a.Kind != store.SubKindAdd || a.Status != store.SubPending || !a.EffectiveAt.Equal(effective.Truncate(time.Microsecond)) {
			t.Fatalf("aalst after the change %+v", a)
		}
		if b := standing(t, env, brugge.ID); b.Status != store.SubObjected || b.WindowEndsAt == nil || b.Objection != "Niet buiten België" {
			t.Fatalf("brugge's objection did not stand %+v", b)
		}
		for _, tn := range []tenant.Tenant{gent, aalst, brugge} {
			if e, ok := lastAudit(t, env, tn.ID, "subprocessor.change"); !ok || !strings.Contains(e.Purpose, "location") {
				t.Errorf("%s: change not in its log (%+v)", tn.Slug, e)
			}
		}
		if refused, err := env.DB.SubProcessorRouteRefused(ctx, gent.ID, "relay.mailbox.example", "mail relay"); err != nil || refused {
			t.Fatalf("gent's earlier authorisation no longer stands: %v %v", refused, err)
		}
		if refused, _ := env.DB.SubProcessorRouteRefused(ctx, aalst.ID, "relay.mailbox.example", "mail relay"); !refused {
			t.Fatal("aalst never accepted, yet its data flows")
		}
		if err := env.DB.DecideSubProcessor(ctx, dsrAdmin, gent.ID, s.ID, false, "Niet naar Ierland"); err != nil {
			t.Fatal(err)
		}
		if refused, err := env.DB.SubProcessorRouteRefused(ctx, gent.ID, "relay.mailbox.example", "mail relay"); err != nil || !refused {
			t.Fatalf("routing after gent objected to the change: %v %v", refused, err)
		}
		if e, ok := lastAudit(t, env, gent.ID, "subprocessor.refused"); !ok || e.Outcome != audit.OutcomeDenied {
			t.Fatalf("refusal not audited %+v", e)
		}
		if got := standing(t, env, gent.ID); got.WindowEndsAt == nil || !got.ObjectionOpen(env.Clock.Now()) {
			t.Fatalf("no 3-month window after objecting to the change %+v", got)
		}
	})
}

// TestClauseSUB2_ChangeRefusedFieldByField: a material change without an
// effective date, or with one not after today, and an entry with empty
// required fields are refused field by field, nothing saved, nobody told.
func TestClauseSUB2_ChangeRefusedFieldByField(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		s, gent, _, _ := subWithTenants(t, env)
		in := mailBox()
		in.Location = "Dublin, Ierland"
		_, err := env.DB.EditSubProcessor(ctx, operator, s.ID, store.SubChange{SubProcessorInput: in}, subMail)
		if f := subFields(t, err); !reflect.DeepEqual(f, map[string]string{"effective": "subproc.error.effective_required"}) {
			t.Fatalf("no date: %v", f)
		}
		_, err = env.DB.EditSubProcessor(ctx, operator, s.ID, store.SubChange{SubProcessorInput: in, EffectiveAt: env.Clock.Now()}, subMail)
		if f := subFields(t, err); f["effective"] != "subproc.error.effective_past" {
			t.Fatalf("today: %v", f)
		}
		in.Name, in.EEA, in.AgreementDate = " ", "maybe", "31.02.2026"
		_, err = env.DB.EditSubProcessor(ctx, operator, s.ID, store.SubChange{SubProcessorInput: in, EffectiveAt: env.Clock.Now().AddDate(0, 0, 30)}, subMail)
		if f := subFields(t, err); f["name"] == "" || f["eea"] == "" || f["agreement_date"] == "" || f["effective"] != "" {
			t.Fatalf("bad entry: %v", f)
		}
		if got, _ := env.DB.SubProcessor(ctx, s.ID); got.Location != mailBox().Location || got.Name != "MailBox NV" {
			t.Fatalf("half saved: %+v", got)
		}
		if lines, _ := claimAll(t, env); len(lines) != 0 || standing(t, env, gent.ID).Status != store.SubAccepted {
			t.Fatalf("a refused change was announced: %v", lines)
		}
	})
}

// TestClauseSUB3_RetiredLeavesTheOverviewRoutingRefused: a retired
// sub-processor keeps its row with its end date and reason, leaves the
// current overview and annex 1, is announced to each tenant it applied to
// (log and mail), and routing to it is refused and audited even for the
// tenant that had accepted it. It is neither changed nor announced again;
// a bad retirement (no date, a future date, a date before the agreement,
// no reason) is refused field by field with nothing saved.
func TestClauseSUB3_RetiredLeavesTheOverviewRoutingRefused(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		s, gent, aalst, _ := subWithTenants(t, env)
		mail := func(t tenant.Tenant, s store.SubProcessor) store.OutgoingMail {
			return store.OutgoingMail{Lang: "nl", Subject: "Beëindigd: " + s.Name, Body: "Sinds " + s.EndDay()}
		}
		for _, c := range []struct {
			ended  time.Time
			reason string
			want   map[string]string
		}{
			{time.Time{}, "", map[string]string{"ended": "gaps.subproc.error.ended_required", "reason": "gaps.subproc.error.retire_reason_required"}},
			{env.Clock.Now().Add(48 * time.Hour), "Contract opgezegd", map[string]string{"ended": "gaps.subproc.error.ended_future"}},
			{time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), "Contract opgezegd", map[string]string{"ended": "gaps.subproc.error.ended_before_agreement"}},
		} {
			err := env.DB.RetireSubProcessor(ctx, operator, s.ID, c.ended, c.reason, mail)
			if f := subFields(t, err); !reflect.DeepEqual(f, c.want) {
				t.Fatalf("retire %v %q: %v, want %v", c.ended, c.reason, f, c.want)
			}
		}
		if got, _ := env.DB.SubProcessor(ctx, s.ID); got.Retired() {
			t.Fatal("retired by a refused form")
		}
		ended := env.Clock.Now().Add(-time.Hour)
		if err := env.DB.RetireSubProcessor(ctx, operator, s.ID, ended, "Contract opgezegd", mail); err != nil {
			t.Fatal(err)
		}
		lines, _ := claimAll(t, env)
		want := []string{"subprocessor.retire nl admin@gent.be", "subprocessor.retire nl dpo@aalst.example", "subprocessor.retire nl dpo@brugge.example",
			"subprocessor.retire nl dpo@gent.example"}
		if !reflect.DeepEqual(lines, want) {
			t.Fatalf("mails %v, want %v", lines, want)
		}
		got := standing(t, env, gent.ID)
		if !got.Retired() || !got.RetiredAt.Equal(ended.Truncate(time.Microsecond)) || got.RetiredReason != "Contract opgezegd" {
			t.Fatalf("history lost its end: %+v", got)
		}
		current, old := store.CurrentSubProcessors([]store.TenantSubProcessor{got})
		if len(current) != 0 || len(old) != 1 {
			t.Fatal("a retired one is in the current overview")
		}
		if acc, err := env.DB.AcceptedSubProcessors(ctx, gent.ID); err != nil || len(acc) != 0 {
			t.Fatalf("annex 1 still names it: %+v %v", acc, err)
		}
		for _, tn := range []tenant.Tenant{gent, aalst} {
			if _, ok := lastAudit(t, env, tn.ID, "subprocessor.retire"); !ok {
				t.Errorf("%s: the end is not in its log", tn.Slug)
			}
		}
		refused, err := env.DB.SubProcessorRouteRefused(ctx, gent.ID, "relay.mailbox.example", "mail relay")
		if err != nil || !refused {
			t.Fatalf("routing to a retired one: %v %v", refused, err)
		}
		if e, ok := lastAudit(t, env, gent.ID, "subprocessor.refused"); !ok || e.Outcome != audit.OutcomeDenied || !strings.Contains(e.Purpose, "ended on") {
			t.Fatalf("refusal audit %+v", e)
		}
		if err := env.DB.RetireSubProcessor(ctx, operator, s.ID, ended, "Nogmaals", mail); !errors.Is(err, store.ErrSubRetired) {
			t.Fatalf("retired twice: %v", err)
		}
		if _, err := env.DB.EditSubProcessor(ctx, operator, s.ID, store.SubChange{SubProcessorInput: mailBox()}, subMail); !errors.Is(err, store.ErrSubRetired) {
			t.Fatalf("a retired one changed: %v", err)
		}
		other := newTenant(t, env, "leuven")
		if err := env.DB.AnnounceSubProcessor(ctx, operator, s.ID, store.SubAnnouncement{Kind: store.SubKindAgreed, TenantIDs: []string{other.ID}}, nil); !errors.Is(err, store.ErrSubRetired) {
			t.Fatalf("a retired one announced: %v", err)
		}
	})
}
