package web

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/ident"
	"github.com/kluis/kluis/internal/locale"
	"github.com/kluis/kluis/internal/magda"
	"github.com/kluis/kluis/internal/magda/magdasim"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
	"github.com/kluis/kluis/internal/tenant"
)

// magdaSimCapacity is the capacity code (hoedanigheid) the test
// simulators accept.
const magdaSimCapacity = "10086"

// startMagdaSim starts a MAGDA simulator (its own throwaway PKI, mutual
// TLS, the fictitious personas of magdasim) that accepts tenant tn as
// consumer (its KBO number) and stores tn's connection to it, with a
// client certificate the simulator trusts. It returns the simulator, which
// closes when the test ends: SetSlow, SetTamper, Close and Calls drive and
// inspect it. Web tests of anything that asks the national register start
// here.
func startMagdaSim(t testing.TB, db *store.DB, tn tenant.Tenant) *magdasim.Server {
	t.Helper()
	pki, err := magdasim.NewPKI()
	if err != nil {
		t.Fatal(err)
	}
	sim, err := magdasim.Start(magdasim.Config{PKI: pki, ConsumerID: tn.EnterpriseNumber, Capacities: []string{magdaSimCapacity}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	cert, err := pki.Issue("kluis-"+tn.Slug, false)
	if err != nil {
		t.Fatal(err)
	}
	s, err := sim.Settings(cert)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SetMagdaConnection(context.Background(), audit.Actor{Kind: audit.KindOperator, ID: "op-magda-test"}, tn.ID, s); err != nil {
		t.Fatal(err)
	}
	return sim
}

// setMagdaConnection changes tn's stored connection with mod.
func setMagdaConnection(t testing.TB, db *store.DB, tn tenant.Tenant, mod func(*magda.Settings)) {
	t.Helper()
	c, err := db.MagdaConnection(context.Background(), tn.ID)
	if err != nil {
		t.Fatal(err)
	}
	s := c.Settings
	mod(&s)
	if err := db.SetMagdaConnection(context.Background(), audit.Actor{Kind: audit.KindOperator, ID: "op-magda-test"}, tn.ID, s); err != nil {
		t.Fatal(err)
	}
}

func magdaTestTenant(t *testing.T, env *storetest.Env, slug string) tenant.Tenant {
	t.Helper()
	tn, err := env.DB.CreateTenant(context.Background(), audit.Actor{Kind: audit.KindOperator, ID: "op"},
		tenant.New{Slug: slug, LegalName: "Gemeente " + slug, EnterpriseNumber: "0207451227", DPOName: "DPO", DPOEmail: "dpo@" + slug + ".be"})
	if err != nil {
		t.Fatal(err)
	}
	return tn
}

// TestClauseLOC2_MagdaCallAuditedWithReference: every national-register
// call made through magdaPerson is recorded before it leaves (magda.call:
// its MAGDA reference, purpose, actor, the person's pseudonym, never the
// INSZ) and its outcome after it under the same reference (magda.answer),
// for each outcome: found (with or without a warning), not found, not in
// the repertory, a client certificate the service refuses, a tampered
// answer, the service down and the service too slow for the configured
// timeout. Each outcome has a sentence for people.
func TestClauseLOC2_MagdaCallAuditedWithReference(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		tn := magdaTestTenant(t, env, "gent")
		sim := startMagdaSim(t, env.DB, tn)
		a, _ := newTestApp(t, Options{Store: env.DB})
		staff := audit.Actor{Kind: audit.KindUser, ID: "u-civil-servant", Role: "user"}
		purpose := MagdaPurpose{ID: "p-parking", Reason: "adrescontrole bewonerskaart"}
		r := httptest.NewRequest("GET", "/gent/", nil)

		foreign, err := magdasim.NewPKI()
		if err != nil {
			t.Fatal(err)
		}
		wrongCert, err := foreign.Issue("not-trusted", false)
		if err != nil {
			t.Fatal(err)
		}

		tests := []struct {
			name    string
			insz    string
			setup   func()
			want    string // outcome code
			wantErr error
			result  string
		}{
			{"found", "85073003328", nil, magda.OutcomeFound, nil, audit.OutcomeSuccess},
			{"found with a warning", "03.11.15-128.76", nil, magda.OutcomeFound, nil, audit.OutcomeSuccess},
			{"not found", "60010199746", nil, magda.OutcomeNotFound, magda.ErrNotFound, audit.OutcomeSuccess},
			{"not in repertory", "77041239121", nil, magda.OutcomeNotInRepertory, magda.ErrNotInRepertory, audit.OutcomeSuccess},
			{"tampered answer", "85073003328", func() { sim.SetTamper(true) }, magda.OutcomeBadSignature, magda.ErrBadSignature, audit.OutcomeFailure},
			{"wrong client certificate", "85073003328", func() {
				sim.SetTamper(false)
				setMagdaConnection(t, env.DB, tn, func(s *magda.Settings) {
					w, err := sim.Settings(wrongCert)
					if err != nil {
						t.Fatal(err)
					}
					s.ClientCertPEM, s.ClientKeyPEM = w.ClientCertPEM, w.ClientKeyPEM
				})
			}, magda.OutcomeTLSRefused, magda.ErrTLSRefused, audit.OutcomeFailure},
			{"slow: the configured timeout ends the call", "85073003328", func() {
				sim = startMagdaSim(t, env.DB, tn)
				setMagdaConnection(t, env.DB, tn, func(s *magda.Settings) { s.Timeout = 200 * time.Millisecond })
				sim.SetSlow(true)
			}, magda.OutcomeTimeout, magda.ErrTimeout, audit.OutcomeFailure},
			{"simulator down", "85073003328", func() { sim.Close() }, magda.OutcomeUnavailable, magda.ErrUnavailable, audit.OutcomeFailure},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if tt.setup != nil {
					tt.setup()
				}
				before := len(env.Events(t, tn.ID, "magda.call"))
				res, out, err := a.magdaPerson(context.Background(), tn, staff, purpose, tt.insz)
				if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
					t.Fatalf("error %v, want %v", err, tt.wantErr)
				}
				if out == nil || out.Code != tt.want || out.Reference == "" {
					t.Fatalf("outcome %+v, want %s with a reference", out, tt.want)
				}
				if (res != nil) != (tt.want == magda.OutcomeFound) {
					t.Fatalf("result %v for outcome %s", res, tt.want)
				}
				if res != nil && res.Reference != out.Reference {
					t.Errorf("result reference %s, outcome reference %s", res.Reference, out.Reference)
				}
				calls, answers := env.Events(t, tn.ID, "magda.call"), env.Events(t, tn.ID, "magda.answer")
				if len(calls) != before+1 || len(answers) != len(calls) {
					t.Fatalf("%d calls and %d answers recorded, want %d of each", len(calls), len(answers), before+1)
				}
				call, ans := calls[len(calls)-1], answers[len(answers)-1]
				if call.Seq >= ans.Seq {
					t.Errorf("the call (seq %d) was not recorded before its answer (seq %d)", call.Seq, ans.Seq)
				}
				for _, e := range []audit.Event{call, ans} {
					if e.ObjectID != out.Reference || !strings.Contains(e.Purpose, "MAGDA reference "+out.Reference) {
						t.Errorf("%s: object %q purpose %q, want reference %s", e.Action, e.ObjectID, e.Purpose, out.Reference)
					}
					if e.Actor.ID != staff.ID || !strings.Contains(e.Purpose, "purpose p-parking: adrescontrole bewonerskaart") {
						t.Errorf("%s: actor %v purpose %q", e.Action, e.Actor, e.Purpose)
					}
					if len(e.Subject) != 32 || e.Subject != call.Subject {
						t.Errorf("%s: subject %q is not the person's pseudonym", e.Action, e.Subject)
					}
					n, _ := ident.INSZ(tt.insz)
					if digits := n.Digits; strings.Contains(e.Subject+e.Purpose+e.ObjectID, digits) {
						t.Errorf("%s holds the INSZ in clear", e.Action)
					}
				}
				if !strings.Contains(ans.Purpose, "outcome "+tt.want) || ans.Outcome != tt.result {
					t.Errorf("answer event purpose %q outcome %s, want %s / %s", ans.Purpose, ans.Outcome, tt.want, tt.result)
				}
				if tt.name == "found with a warning" && (len(out.Warnings) == 0 || !strings.Contains(ans.Purpose, "warnings "+magda.CodeDataIncomplete)) {
					t.Errorf("warning not passed on or not recorded: %+v, %q", out.Warnings, ans.Purpose)
				}
				msg := a.magdaMessage(r, err)
				if msg == "" || strings.HasPrefix(msg, "magda.") || strings.Contains(msg, tt.want) {
					t.Errorf("message %q is not a sentence", msg)
				}
			})
		}
		if got := len(env.Events(t, tn.ID, "magda.call")); got != len(tests) {
			t.Errorf("%d calls recorded, want %d", got, len(tests))
		}
	})
}

// TestClauseAUD1_MagdaCallNotMadeWithoutItsRecord: when the audit log
// cannot take the call's record, no call leaves (the simulator sees none);
// a tenant without a connection, a bad INSZ or a missing purpose make no
// call and say so in words.
func TestClauseAUD1_MagdaCallNotMadeWithoutItsRecord(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		tn := magdaTestTenant(t, env, "gent")
		other := func() tenant.Tenant {
			o, err := env.DB.CreateTenant(context.Background(), audit.Actor{Kind: audit.KindOperator, ID: "op"},
				tenant.New{Slug: "leeg", LegalName: "Gemeente Leeg", EnterpriseNumber: "0207451227", DPOName: "DPO", DPOEmail: "dpo@leeg.be"})
			if err != nil {
				t.Fatal(err)
			}
			return o
		}()
		sim := startMagdaSim(t, env.DB, tn)
		a, _ := newTestApp(t, Options{Store: env.DB})
		staff := audit.Actor{Kind: audit.KindUser, ID: "u1", Role: "user"}
		r := httptest.NewRequest("GET", "/gent/?lang=fr", nil)

		restore := storetest.RefuseAuditInserts(t, env)
		_, out, err := a.magdaPerson(context.Background(), tn, staff, MagdaPurpose{ID: "p1"}, "85073003328")
		restore()
		if err == nil || out != nil || len(sim.Calls()) != 0 {
			t.Fatalf("with the audit log refusing: err %v, outcome %v, %d calls reached the register", err, out, len(sim.Calls()))
		}

		for _, tt := range []struct {
			name    string
			tn      tenant.Tenant
			purpose string
			insz    string
			want    error
		}{
			{"no connection", other, "p1", "85073003328", errMagdaNotConfigured},
			{"bad check digits", tn, "p1", "85073003329", errMagdaBadINSZ},
			{"not a number", tn, "p1", "8507300332a", errMagdaBadINSZ},
			{"no purpose", tn, " ", "85073003328", errMagdaNoPurpose},
		} {
			t.Run(tt.name, func(t *testing.T) {
				_, out, err := a.magdaPerson(context.Background(), tt.tn, staff, MagdaPurpose{ID: tt.purpose}, tt.insz)
				if !errors.Is(err, tt.want) || out != nil {
					t.Fatalf("err %v outcome %v, want %v", err, out, tt.want)
				}
				if msg := a.magdaMessage(r, err); msg == "" || strings.HasPrefix(msg, "magda.") || !strings.Contains(strings.ToLower(msg), "registre national") {
					t.Errorf("message %q", msg)
				}
			})
		}
		if n := len(env.Events(t, tn.ID, "magda.call")) + len(env.Events(t, other.ID, "magda.call")); n != 0 || len(sim.Calls()) != 0 {
			t.Errorf("%d calls recorded, %d reached the register; want none", n, len(sim.Calls()))
		}
	})
}

// TestMagdaAuditDetailsInReadersLanguage (AUD-2): the log reads a call's
// recorded purpose and outcome as a sentence in the reader's language with
// the MAGDA reference, never as the recorded text.
func TestMagdaAuditDetailsInReadersLanguage(t *testing.T) {
	cases := []struct{ action, purpose, nl string }{
		{"magda.call", "MAGDA reference 4f1c; purpose p-parking: adrescontrole", "MAGDA-referentie 4f1c; doel: p-parking: adrescontrole"},
		{"magda.answer", "MAGDA reference 4f1c; outcome not_found; purpose p-parking", "MAGDA-referentie 4f1c: niet gevonden; doel: p-parking"},
		{"magda.answer", "MAGDA reference 4f1c; outcome found (warnings GEGEVENS_ONVOLLEDIG); purpose prefill", "MAGDA-referentie 4f1c: persoon gevonden; doel: prefill"},
		{"magda.connection.set", "national register connection: https://magda.example/x as 0207451227 (10086)", ""},
		{"magda.connection.remove", "national register connection removed", ""},
	}
	r := httptest.NewRequest("GET", "/gent/admin/audit", nil)
	for _, lang := range []locale.Lang{locale.NL, locale.FR, locale.EN} {
		n := &auditNamer{a: &App{}, r: r, lang: lang, slug: "gent", tenantID: "t"}
		for _, c := range cases {
			act, _ := audit.LookupAction(c.action)
			got := n.detail(audit.Event{Action: c.action, Purpose: c.purpose}, act).text
			if strings.Contains(got, locale.T(lang, "auditlog.detail.recorded")) || strings.Contains(got, "outcome") {
				t.Errorf("%s: %q reads %q", lang, c.purpose, got)
			}
			if lang == locale.NL && got != c.nl {
				t.Errorf("nl: %q reads %q, want %q", c.purpose, got, c.nl)
			}
		}
	}
}
