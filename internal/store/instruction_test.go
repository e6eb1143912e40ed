package store_test

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
	"github.com/kluis/kluis/internal/tenant"
)

func dutyMail(t tenant.Tenant, kind, id string) store.OutgoingMail {
	return store.OutgoingMail{Lang: "nl", Subject: "Melding " + kind + " voor " + t.LegalName, Body: "Zie Kluis: " + id}
}

var supplier = audit.Actor{Kind: audit.KindOperator, ID: "op-1"}

// refusedFields is the sorted input ids of a *DutyValidationError, or nil.
func refusedFields(t *testing.T, err error) []string {
	t.Helper()
	var ve *store.DutyValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("not refused field by field: %v", err)
	}
	var keys []string
	for k := range ve.Fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// TestClauseREG3_FlaggedInstructionToldAtOnce: the controller records a
// written instruction (text sealed, author, date, subject); the supplier
// flags it as infringing the GDPR with its reasoning, and in the same
// transaction the controller's DPO and admins are mailed, with the proof
// on the step; the controller amends it, then withdraws it. The whole
// history is kept and every step audited; the supplier cannot record or
// answer on the controller's behalf, nor the controller flag.
func TestClauseREG3_FlaggedInstructionToldAtOnce(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		gent := newTenant(t, env, "gent")
		admin := activeUser(t, env, gent, "admin@gent.be", account.RoleAdmin, fastHasher())
		claimAll(t, env)
		ctl := controllerActor(admin)
		given := env.Clock.Now().Add(-48 * time.Hour)
		in := store.InstructionInput{Subject: "Bewaartermijn", Text: "Bewaar alle aanvragen 30 jaar, ook de medische bijlagen.",
			Author: "Schepen Janssens", GivenAt: given}
		if _, err := env.DB.RecordInstruction(ctx, supplier, gent.ID, in); !errors.Is(err, store.ErrControllerOnly) {
			t.Fatalf("supplier recorded an instruction: %v", err)
		}
		ins, err := env.DB.RecordInstruction(ctx, ctl, gent.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		if err := env.DB.AnswerInstruction(ctx, ctl, gent.ID, ins.ID, store.AnswerConfirm, "", store.InstructionInput{}); !errors.Is(err, store.ErrDutyState) {
			t.Fatalf("confirmed an instruction nobody flagged: %v", err)
		}
		if err := env.DB.FlagInstruction(ctx, ctl, gent.ID, ins.ID, "x", dutyMail); !errors.Is(err, store.ErrSupplierOnly) {
			t.Fatalf("controller flagged: %v", err)
		}
		if lines, _ := claimAll(t, env); len(lines) != 0 {
			t.Fatalf("mails before the flag: %v", lines)
		}
		reason := "Dertig jaar is buiten verhouding tot het doel (art. 5.1.e AVG)."
		if err := env.DB.FlagInstruction(ctx, supplier, gent.ID, ins.ID, reason, dutyMail); err != nil {
			t.Fatal(err)
		}
		lines, _ := claimAll(t, env)
		if want := []string{"duty.flag nl admin@gent.be", "duty.flag nl dpo@gent.example"}; !reflect.DeepEqual(lines, want) {
			t.Fatalf("flag mails %v, want %v", lines, want)
		}
		list, err := env.DB.Instructions(ctx, ctl, gent.ID)
		if err != nil || len(list) != 1 {
			t.Fatalf("%v %v", list, err)
		}
		got := list[0]
		if got.Status != store.InstructionFlagged || got.FlaggedAt == nil || got.Reasoning != reason || got.Text != in.Text ||
			got.Author != in.Author || got.Subject != in.Subject || !got.GivenAt.Equal(given) {
			t.Fatalf("after the flag: %+v", got)
		}
		flag := got.Steps[1]
		if flag.Kind != "flag" || flag.MailSHA256 == "" || !slices.Equal(flag.NotifiedTo, []string{"dpo@gent.example", "admin@gent.be"}) {
			t.Fatalf("flag step without proof: %+v", flag)
		}
		amended := store.InstructionInput{Subject: "Bewaartermijn", Text: "Bewaar aanvragen 5 jaar.", Author: "Schepen Janssens", GivenAt: env.Clock.Now()}
		if err := env.DB.AnswerInstruction(ctx, ctl, gent.ID, ins.ID, store.AnswerAmend, "Termijn ingekort", amended); err != nil {
			t.Fatal(err)
		}
		if err := env.DB.AnswerInstruction(ctx, ctl, gent.ID, ins.ID, store.AnswerWithdraw, "Niet meer nodig", store.InstructionInput{}); err != nil {
			t.Fatal(err)
		}
		if err := env.DB.FlagInstruction(ctx, supplier, gent.ID, ins.ID, reason, dutyMail); !errors.Is(err, store.ErrDutyState) {
			t.Fatalf("flagged a withdrawn instruction: %v", err)
		}
		list, _ = env.DB.Instructions(ctx, ctl, gent.ID)
		var kinds []string
		for _, s := range list[0].Steps {
			kinds = append(kinds, s.Kind)
		}
		if list[0].Status != store.InstructionWithdrawn || list[0].Text != amended.Text || strings.Join(kinds, ",") != "record,flag,amend,withdraw" {
			t.Fatalf("history %v, status %s, text %q", kinds, list[0].Status, list[0].Text)
		}
		for _, a := range []string{"instr.record", "instr.flag", "instr.amend", "instr.withdraw"} {
			if auditCount(t, env, gent.ID, a, "") != 1 {
				t.Fatalf("%s not audited once", a)
			}
		}
		assertNoPlaintext(t, env, "duty_steps", "medische bijlagen", "Janssens", "buiten verhouding")
	})
}

// TestClauseREG3_BadInstructionRefusedFieldByField: a blank subject, text
// and author and a date in the future are each refused, and nothing is
// saved; so is a flag without reasoning.
func TestClauseREG3_BadInstructionRefusedFieldByField(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		gent := newTenant(t, env, "gent")
		admin := activeUser(t, env, gent, "admin@gent.be", account.RoleAdmin, fastHasher())
		_, err := env.DB.RecordInstruction(ctx, controllerActor(admin), gent.ID, store.InstructionInput{Subject: " ", GivenAt: env.Clock.Now().Add(time.Hour)})
		if got := refusedFields(t, err); !reflect.DeepEqual(got, []string{"author", "given_at", "subject", "text"}) {
			t.Fatalf("refused %v", got)
		}
		if list, _ := env.DB.Instructions(ctx, controllerActor(admin), gent.ID); len(list) != 0 {
			t.Fatalf("saved: %v", list)
		}
		ins, err := env.DB.RecordInstruction(ctx, controllerActor(admin), gent.ID, store.InstructionInput{Subject: "a", Text: "b", Author: "c", GivenAt: env.Clock.Now()})
		if err != nil {
			t.Fatal(err)
		}
		if got := refusedFields(t, env.DB.FlagInstruction(ctx, supplier, gent.ID, ins.ID, "  ", dutyMail)); !reflect.DeepEqual(got, []string{"reasoning"}) {
			t.Fatalf("refused %v", got)
		}
		if auditCount(t, env, gent.ID, "instr.flag", "") != 0 {
			t.Fatal("a refused flag was audited")
		}
	})
}

// assertNoPlaintext fails when any marker is stored as plaintext anywhere
// in the database (the tenant name "Gemeente gent" is the scan's control).
func assertNoPlaintext(t *testing.T, env *storetest.Env, where string, markers ...string) {
	t.Helper()
	if found := storetest.FindPlaintext(t, env, "Gemeente gent", markers...); len(found) > 0 {
		t.Fatalf("%s: plaintext at rest: %v", where, found)
	}
}

func authorityInput(env *storetest.Env) store.AuthorityInput {
	now := env.Clock.Now()
	return store.AuthorityInput{Authority: "Federale Gerechtelijke Politie Gent", LegalBasis: "art. 46quater Sv.",
		Asked: "Alle aanvragen van dossier MARKER-DOSSIER-31", ReceivedAt: now.Add(-time.Hour), Deadline: now.Add(10 * 24 * time.Hour)}
}

// TestClauseREG5_ControllerToldBeforeDisclosure: supplier staff record an
// authority's request; a disclosure is refused before the assessment and
// again before the controller was told; telling the controller mails its
// DPO and admins with proof, and only then is the disclosure recorded. The
// controller sees the request and its steps in order; every step audited.
func TestClauseREG5_ControllerToldBeforeDisclosure(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		gent := newTenant(t, env, "gent")
		admin := activeUser(t, env, gent, "admin@gent.be", account.RoleAdmin, fastHasher())
		claimAll(t, env)
		if _, err := env.DB.RecordAuthorityRequest(ctx, controllerActor(admin), gent.ID, authorityInput(env)); !errors.Is(err, store.ErrSupplierOnly) {
			t.Fatalf("controller recorded a request: %v", err)
		}
		ar, err := env.DB.RecordAuthorityRequest(ctx, supplier, gent.ID, authorityInput(env))
		if err != nil {
			t.Fatal(err)
		}
		step := func(s, text string) error {
			return env.DB.AuthorityStep(ctx, supplier, gent.ID, ar.ID, s, text, dutyMail)
		}
		if err := step(store.AuthorityDisclose, "Lijst van dossiers"); !errors.Is(err, store.ErrDutyState) {
			t.Fatalf("disclosed before the assessment: %v", err)
		}
		if err := step(store.AuthorityAssess, "Vordering rechtsgeldig, beperkt tot één dossier"); err != nil {
			t.Fatal(err)
		}
		if err := step(store.AuthorityDisclose, "Lijst van dossiers"); !errors.Is(err, store.ErrDutyState) {
			t.Fatalf("disclosed before the controller was told: %v", err)
		}
		if lines, _ := claimAll(t, env); len(lines) != 0 {
			t.Fatalf("mails before telling: %v", lines)
		}
		if err := step(store.AuthorityNotify, "De politie vraagt dossier 31; antwoord uiterlijk over tien dagen."); err != nil {
			t.Fatal(err)
		}
		lines, _ := claimAll(t, env)
		if want := []string{"duty.notify nl admin@gent.be", "duty.notify nl dpo@gent.example"}; !reflect.DeepEqual(lines, want) {
			t.Fatalf("mails %v, want %v", lines, want)
		}
		if err := step(store.AuthorityDisclose, "Dossier 31 overgemaakt"); err != nil {
			t.Fatal(err)
		}
		list, err := env.DB.AuthorityRequests(ctx, controllerActor(admin), gent.ID)
		if err != nil || len(list) != 1 {
			t.Fatalf("%v %v", list, err)
		}
		got := list[0]
		var kinds []string
		for _, s := range got.Steps {
			kinds = append(kinds, s.Kind)
		}
		if strings.Join(kinds, ",") != "record,assess,notify,disclose" || got.Status != store.AuthorityDisclosed ||
			got.NotifiedAt == nil || got.DisclosedAt == nil || got.DisclosedAt.Before(*got.NotifiedAt) || got.Steps[2].MailSHA256 == "" {
			t.Fatalf("history %v: %+v", kinds, got)
		}
		if got.Authority != "Federale Gerechtelijke Politie Gent" || got.LegalBasis != "art. 46quater Sv." || !got.Deadline.Equal(authorityInput(env).Deadline) {
			t.Fatalf("request %+v", got)
		}
		for _, a := range []string{"authority.record", "authority.assess", "authority.notify", "authority.disclose"} {
			if auditCount(t, env, gent.ID, a, "") != 1 {
				t.Fatalf("%s not audited once", a)
			}
		}
		assertNoPlaintext(t, env, "authority", "MARKER-DOSSIER-31", "46quater")
	})
}

// TestClauseREG5_ProhibitionRecordedThenShownLater: when the law forbids
// telling the controller, the prohibition is recorded with its basis; the
// disclosure may follow, the controller does not see the request while the
// prohibition stands, and sees it with its whole history once it is lifted
// (which mails the controller).
func TestClauseREG5_ProhibitionRecordedThenShownLater(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		gent := newTenant(t, env, "gent")
		admin := activeUser(t, env, gent, "admin@gent.be", account.RoleAdmin, fastHasher())
		claimAll(t, env)
		ar, err := env.DB.RecordAuthorityRequest(ctx, supplier, gent.ID, authorityInput(env))
		if err != nil {
			t.Fatal(err)
		}
		step := func(s, text string) error {
			return env.DB.AuthorityStep(ctx, supplier, gent.ID, ar.ID, s, text, dutyMail)
		}
		if err := step(store.AuthorityAssess, "Rechtsgeldig"); err != nil {
			t.Fatal(err)
		}
		if got := refusedFields(t, step(store.AuthorityProhibit, " ")); !reflect.DeepEqual(got, []string{"prohibition_basis"}) {
			t.Fatalf("refused %v", got)
		}
		if err := step(store.AuthorityProhibit, "Geheim van het onderzoek, art. 28quinquies Sv."); err != nil {
			t.Fatal(err)
		}
		if err := step(store.AuthorityNotify, "x"); !errors.Is(err, store.ErrDutyState) {
			t.Fatalf("told the controller despite the prohibition: %v", err)
		}
		if err := step(store.AuthorityDisclose, "Dossier overgemaakt"); err != nil {
			t.Fatal(err)
		}
		if list, _ := env.DB.AuthorityRequests(ctx, controllerActor(admin), gent.ID); len(list) != 0 {
			t.Fatalf("the controller sees a prohibited request: %+v", list)
		}
		if list, _ := env.DB.AuthorityRequests(ctx, supplier, gent.ID); len(list) != 1 || !list[0].Prohibited {
			t.Fatalf("the supplier lost the request: %+v", list)
		}
		if lines, _ := claimAll(t, env); len(lines) != 0 {
			t.Fatalf("mails under the prohibition: %v", lines)
		}
		if err := step(store.AuthorityLift, "Onderzoek afgesloten"); err != nil {
			t.Fatal(err)
		}
		if lines, _ := claimAll(t, env); len(lines) != 2 {
			t.Fatalf("lifting mailed %v", lines)
		}
		list, _ := env.DB.AuthorityRequests(ctx, controllerActor(admin), gent.ID)
		if len(list) != 1 || !list[0].Lifted || len(list[0].Steps) != 5 || list[0].Steps[2].Content["prohibition_basis"] == "" {
			t.Fatalf("after lifting: %+v", list)
		}
	})
}

// TestClauseREG5_BadRequestRefusedFieldByField: blank authority, basis and
// question, a receipt in the future and a deadline before it are each
// refused; nothing is saved.
func TestClauseREG5_BadRequestRefusedFieldByField(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		gent := newTenant(t, env, "gent")
		now := env.Clock.Now()
		_, err := env.DB.RecordAuthorityRequest(ctx, supplier, gent.ID, store.AuthorityInput{ReceivedAt: now.Add(time.Hour), Deadline: now})
		if got := refusedFields(t, err); !reflect.DeepEqual(got, []string{"asked", "authority", "deadline", "legal_basis", "received_at"}) {
			t.Fatalf("refused %v", got)
		}
		if list, _ := env.DB.AuthorityRequests(ctx, supplier, gent.ID); len(list) != 0 {
			t.Fatalf("saved %v", list)
		}
	})
}
