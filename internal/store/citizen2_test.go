package store_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/dsr"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

// wrongEvents returns the tenant's audit events of action.
func eventsOf(t *testing.T, env *storetest.Env, tenantID, action string) []audit.Event {
	t.Helper()
	var out []audit.Event
	if err := env.DB.EachAuditEvent(ctx, tenantID, func(e *audit.Event) error {
		if e.Action == action {
			out = append(out, *e)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestClauseAUD1_WrongCodesAuditedWithoutTheCode: a wrong one-time code on
// the request, view and package paths is audited under the pseudonym of
// the challenge's person, denied, without the code; a burst of
// store.CodeBurstMin within store.CodeBurstWindow is reported, and no
// longer once the window has passed.
func TestClauseAUD1_WrongCodesAuditedWithoutTheCode(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fx, _, _ := personOnThreeForms(t, env)
		claimed(t, env)
		wrongOf := func(code string) string {
			if code == "000000" {
				return "000001"
			}
			return "000000"
		}
		check := func(action, pseudonym, code string) {
			t.Helper()
			evs := eventsOf(t, env, fx.tn.ID, action)
			if len(evs) != 1 {
				t.Fatalf("%s: %d events", action, len(evs))
			}
			e := evs[0]
			if e.Subject == "" || e.Actor.Kind != audit.KindCitizen || e.Outcome != audit.OutcomeDenied || (pseudonym != "" && e.Subject != pseudonym) {
				t.Fatalf("%s recorded as %+v", action, e)
			}
			for _, s := range []string{e.Purpose, e.ObjectID, e.Actor.ID} {
				if strings.Contains(s, wrongOf(code)) || strings.Contains(s, code) {
					t.Fatalf("%s carries a code: %+v", action, e)
				}
			}
		}
		// The request page.
		id, err := env.DB.RequestCitizenCode(ctx, fx.tn.ID, fx.tn.LegalName, anAddress, dsr.Access, "nl")
		if err != nil {
			t.Fatal(err)
		}
		code := codeFrom(t, env, anAddress)
		if _, err := env.DB.FileCitizenRequest(ctx, fx.tn.ID, id, wrongOf(code)); !errors.Is(err, store.ErrWrongCode) {
			t.Fatalf("wrong code: %v", err)
		}
		check("dsr.code.wrong", "", code)
		pseudonym := eventsOf(t, env, fx.tn.ID, "dsr.code.wrong")[0].Subject
		// An unknown challenge names no one: nothing to audit it under.
		if _, err := env.DB.FileCitizenRequest(ctx, fx.tn.ID, "no-such", code); !errors.Is(err, store.ErrWrongCode) {
			t.Fatal(err)
		}
		if n := len(eventsOf(t, env, fx.tn.ID, "dsr.code.wrong")); n != 1 {
			t.Fatalf("unknown challenge audited: %d", n)
		}
		// The view's sign-in.
		pid, pcode := portalCode(t, env, fx.tn.ID, fx.tn.LegalName, anAddress)
		if _, err := env.DB.OpenPortalWithCode(ctx, fx.tn.ID, pid, wrongOf(pcode), "r"); !errors.Is(err, store.ErrWrongCode) {
			t.Fatalf("wrong sign-in code: %v", err)
		}
		check("portal.code.wrong", pseudonym, pcode)
		// The package's download.
		r, err := env.DB.FileCitizenRequest(ctx, fx.tn.ID, id, code)
		if err != nil {
			t.Fatal(err)
		}
		if err := env.DB.DecideSubjectRequest(ctx, dsrDPO, fx.tn.ID, r.ID, true, "Adres bevestigd"); err != nil {
			t.Fatal(err)
		}
		claimedSent(t, env)
		token := executeWithLink(t, env, fx.tn.ID, r.ID, "nl")
		dcode := packageCode(t, env, fx, token, "nl")
		if _, _, err := env.DB.DownloadSubjectPackage(ctx, fx.tn.ID, token, wrongOf(dcode)); !errors.Is(err, store.ErrWrongCode) {
			t.Fatalf("wrong download code: %v", err)
		}
		check("dsr.package.code.wrong", pseudonym, dcode)

		n, burst, err := env.DB.WrongCodeBurst(ctx, fx.tn.ID)
		if err != nil || n != 3 || burst {
			t.Fatalf("three wrong codes: %d %v %v", n, burst, err)
		}
		for n < store.CodeBurstMin {
			id, err := env.DB.RequestCitizenCode(ctx, fx.tn.ID, fx.tn.LegalName, anAddress, dsr.Portability, "nl")
			if err != nil {
				t.Fatal(err)
			}
			code := codeFrom(t, env, anAddress)
			for i := 0; i < store.CitizenCodeAttempts && n < store.CodeBurstMin; i++ {
				if _, err := env.DB.FileCitizenRequest(ctx, fx.tn.ID, id, wrongOf(code)); !errors.Is(err, store.ErrWrongCode) {
					t.Fatal(err)
				}
				n++
			}
		}
		if got, burst, err := env.DB.WrongCodeBurst(ctx, fx.tn.ID); err != nil || got != store.CodeBurstMin || !burst {
			t.Fatalf("burst: %d %v %v", got, burst, err)
		}
		other := newTenant(t, env, "brugge")
		if got, burst, _ := env.DB.WrongCodeBurst(ctx, other.ID); got != 0 || burst {
			t.Fatalf("another tenant's burst: %d", got)
		}
		env.Clock.Advance(store.CodeBurstWindow + time.Second)
		if got, burst, _ := env.DB.WrongCodeBurst(ctx, fx.tn.ID); got != 0 || burst {
			t.Fatalf("after the window: %d %v", got, burst)
		}
	})
}
