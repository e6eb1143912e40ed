package store_test

import (
	"errors"
	"regexp"
	"testing"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/dsr"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

var sixDigits = regexp.MustCompile(`\b\d{6}\b`)

// codeFrom claims the queued mails and returns the one-time code of the
// only one, which must go to address.
func codeFrom(t *testing.T, env *storetest.Env, address string) string {
	t.Helper()
	mails := claimed(t, env)
	if len(mails) != 1 || mails[0].To != address || mails[0].Kind != "dsr.code" {
		t.Fatalf("code mail: %+v", mails)
	}
	if err := env.DB.MailSent(ctx, mails[0].ID); err != nil {
		t.Fatal(err)
	}
	code := sixDigits.FindString(mails[0].Body)
	if code == "" {
		t.Fatalf("no code in %q", mails[0].Body)
	}
	return code
}

// TestClauseDSR1_CitizenFilesWithOneTimeCode: a citizen whose address the
// tenant's submissions hold gets a code by mail; the right code files the
// request as the citizen (pseudonym, audited) through the staff path
// (a second one is a duplicate), the code is used up, nothing is stored in
// plaintext, and executing the approved access request mails the citizen
// that the answer is ready.
func TestClauseDSR1_CitizenFilesWithOneTimeCode(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fx, _, _ := personOnThreeForms(t, env)
		claimed(t, env)
		id, err := env.DB.RequestCitizenCode(ctx, fx.tn.ID, fx.tn.LegalName, " An.Peeters@Gent.be ", dsr.Access, "fr")
		if err != nil {
			t.Fatal(err)
		}
		code := codeFrom(t, env, anAddress)
		if found := storetest.FindPlaintext(t, env, fx.tn.LegalName, code); len(found) > 0 {
			t.Fatalf("the code at rest: %v", found)
		}
		r, err := env.DB.FileCitizenRequest(ctx, fx.tn.ID, id, code)
		if err != nil {
			t.Fatal(err)
		}
		if r.Kind != dsr.Access || r.FiledByKind != "citizen" || r.Person.Email != anAddress || !r.DueAt.Equal(dsr.DueAt(r.ReceivedAt)) {
			t.Fatalf("filed: %+v", r)
		}
		last := lastEvent(t, env, fx.tn.ID)
		if last.Action != "dsr.file" || last.Actor.Kind != audit.KindCitizen || last.Actor.ID != last.Subject || last.Subject == "" || last.ObjectID != r.ID {
			t.Fatalf("filing recorded as %+v", last)
		}
		if _, err := env.DB.FileCitizenRequest(ctx, fx.tn.ID, id, code); !errors.Is(err, store.ErrWrongCode) {
			t.Fatalf("a used code filed again: %v", err)
		}
		id2, err := env.DB.RequestCitizenCode(ctx, fx.tn.ID, fx.tn.LegalName, anAddress, dsr.Access, "nl")
		if err != nil {
			t.Fatal(err)
		}
		var dup *store.DuplicateRequestError
		if _, err := env.DB.FileCitizenRequest(ctx, fx.tn.ID, id2, codeFrom(t, env, anAddress)); !errors.As(err, &dup) || dup.ID != r.ID {
			t.Fatalf("duplicate: %v", err)
		}
		got, err := env.DB.SubjectRequestByID(ctx, dsrDPO, fx.tn.ID, r.ID)
		if err != nil || got.Person.Email != anAddress || got.Person.Lang != "fr" {
			t.Fatalf("read back: %+v %v", got, err)
		}
		if err := env.DB.DecideSubjectRequest(ctx, dsrDPO, fx.tn.ID, r.ID, true, "Adres bevestigd"); err != nil {
			t.Fatal(err)
		}
		if err := env.DB.ExecuteSubjectRequest(ctx, dsrDPO, fx.tn.ID, r.ID); err != nil {
			t.Fatal(err)
		}
		mails := claimed(t, env)
		if len(mails) != 1 || mails[0].To != anAddress || mails[0].Kind != "dsr.answer" || mails[0].Lang != "fr" {
			t.Fatalf("answer mail: %+v", mails)
		}
		var told bool
		env.DB.EachAuditEvent(ctx, fx.tn.ID, func(e *audit.Event) error {
			told = told || (e.Action == "dsr.answer" && e.ObjectID == r.ID && e.Subject != "")
			return nil
		})
		if !told {
			t.Fatal("no dsr.answer event")
		}
	})
}

// TestClauseDSR1_WrongOrExpiredCodeFilesNothing: a wrong code, an expired
// one, one tried after five wrong tries and an unknown challenge all file
// nothing and answer the same.
func TestClauseDSR1_WrongOrExpiredCodeFilesNothing(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fx, _, _ := personOnThreeForms(t, env)
		claimed(t, env)
		ask := func() (string, string) {
			id, err := env.DB.RequestCitizenCode(ctx, fx.tn.ID, fx.tn.LegalName, anAddress, dsr.Access, "nl")
			if err != nil {
				t.Fatal(err)
			}
			return id, codeFrom(t, env, anAddress)
		}
		wrongOf := func(code string) string {
			if code == "000000" {
				return "000001"
			}
			return "000000"
		}
		id, code := ask()
		if _, err := env.DB.FileCitizenRequest(ctx, fx.tn.ID, id, wrongOf(code)); !errors.Is(err, store.ErrWrongCode) {
			t.Fatalf("wrong code: %v", err)
		}
		env.Clock.Advance(store.CitizenCodeTTL)
		if _, err := env.DB.FileCitizenRequest(ctx, fx.tn.ID, id, code); !errors.Is(err, store.ErrWrongCode) {
			t.Fatalf("expired code: %v", err)
		}
		id, code = ask()
		for i := 0; i < store.CitizenCodeAttempts; i++ {
			if _, err := env.DB.FileCitizenRequest(ctx, fx.tn.ID, id, wrongOf(code)); !errors.Is(err, store.ErrWrongCode) {
				t.Fatalf("wrong code %d: %v", i, err)
			}
		}
		if _, err := env.DB.FileCitizenRequest(ctx, fx.tn.ID, id, code); !errors.Is(err, store.ErrWrongCode) {
			t.Fatalf("the right code after %d wrong ones: %v", store.CitizenCodeAttempts, err)
		}
		if _, err := env.DB.FileCitizenRequest(ctx, fx.tn.ID, "no-such-challenge", code); !errors.Is(err, store.ErrWrongCode) {
			t.Fatalf("unknown challenge: %v", err)
		}
		if list, err := env.DB.SubjectRequests(ctx, dsrDPO, fx.tn.ID, 50); err != nil || len(list) != 0 {
			t.Fatalf("filed: %d %v", len(list), err)
		}
	})
}

// TestClauseDSR1_UnknownAddressAnswersTheSame: an address the tenant holds
// nothing under gets a challenge like any other, no mail and no row, and
// no code files anything for it.
func TestClauseDSR1_UnknownAddressAnswersTheSame(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fx, _, _ := personOnThreeForms(t, env)
		claimed(t, env)
		id, err := env.DB.RequestCitizenCode(ctx, fx.tn.ID, fx.tn.LegalName, "nobody@gent.be", dsr.Access, "nl")
		if err != nil || id == "" {
			t.Fatalf("challenge %q: %v", id, err)
		}
		if mails := claimed(t, env); len(mails) != 0 {
			t.Fatalf("mailed an unknown address: %+v", mails)
		}
		// Another tenant's citizen is unknown here too.
		other := newTenant(t, env, "brugge")
		if _, err := env.DB.RequestCitizenCode(ctx, other.ID, other.LegalName, anAddress, dsr.Access, "nl"); err != nil {
			t.Fatal(err)
		}
		if mails := claimed(t, env); len(mails) != 0 {
			t.Fatalf("mailed across tenants: %+v", mails)
		}
		if _, err := env.DB.FileCitizenRequest(ctx, fx.tn.ID, id, "123456"); !errors.Is(err, store.ErrWrongCode) {
			t.Fatalf("unknown address filed: %v", err)
		}
	})
}
