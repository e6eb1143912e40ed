package store_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/agreement"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

// TestClauseREG1_AgreementAcceptedByBothPartiesWithItsHash: a version is
// in force once the controller and the supplier each accepted exactly its
// bytes; each acceptance is in the tenant's log with the SHA-256 and the
// signer's name is sealed at rest. Refused, nothing saved: another hash, a
// second acceptance by the same party, a party the actor cannot speak for,
// and a version a newer one replaced.
func TestClauseREG1_AgreementAcceptedByBothPartiesWithItsHash(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		gent := newTenant(t, env, "gent")
		dpo := audit.Actor{Kind: audit.KindUser, ID: "u-dpo", Role: "dpo"}
		op := audit.Actor{Kind: audit.KindOperator, ID: "op-1", Role: "operator"}
		gen := func(pdf string) store.AgreementVersion {
			t.Helper()
			n, err := env.DB.NextAgreementNumber(ctx, gent.ID)
			if err != nil {
				t.Fatal(err)
			}
			v, err := env.DB.GenerateAgreementVersion(ctx, dpo, gent.ID, store.NewAgreementVersion{Number: n, At: env.Clock.Now(),
				Kind: agreement.KindAgreement, Lang: "nl", Inputs: agreement.Inputs{RegisterVersion: 1}, PDF: []byte(pdf)})
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
		v1 := gen("%PDF one")
		if sum := sha256.Sum256([]byte("%PDF one")); v1.SHA256 != hex.EncodeToString(sum[:]) {
			t.Fatalf("stored hash %s", v1.SHA256)
		}
		if _, err := env.DB.GenerateAgreementVersion(ctx, dpo, gent.ID, store.NewAgreementVersion{Number: 1, At: env.Clock.Now(),
			Kind: agreement.KindAgreement, Lang: "nl", PDF: []byte("x")}); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("a second version 1: %v, want ErrConflict", err)
		}
		accept := func(actor audit.Actor, n int, party, sum string) error {
			return env.DB.AcceptAgreement(ctx, actor, gent.ID, n, store.AgreementAcceptance{Party: party, Name: "Dirk Privé",
				Capacity: "dpo", Method: "fas-eid", SHA256: sum})
		}
		for name, err := range map[string]error{
			"another hash":              accept(dpo, 1, agreement.Controller, strings.Repeat("0", 64)),
			"operator as controller":    accept(op, 1, agreement.Controller, v1.SHA256),
			"controller as supplier":    accept(dpo, 1, agreement.Supplier, v1.SHA256),
			"a version that is missing": accept(dpo, 9, agreement.Controller, v1.SHA256),
		} {
			if !errors.Is(err, store.ErrAgreementState) && !errors.Is(err, store.ErrNotFound) {
				t.Errorf("%s: %v, want refused", name, err)
			}
		}
		if err := accept(dpo, 1, agreement.Controller, v1.SHA256); err != nil {
			t.Fatal(err)
		}
		if err := accept(dpo, 1, agreement.Controller, v1.SHA256); !errors.Is(err, store.ErrAgreementState) {
			t.Fatalf("accepted twice: %v", err)
		}
		vs, err := env.DB.AgreementVersions(ctx, dpo, gent.ID)
		if err != nil {
			t.Fatal(err)
		}
		if vs[0].InForce() || len(vs[0].Acceptances) != 1 || vs[0].Acceptances[0].Name != "Dirk Privé" {
			t.Fatalf("after the controller only: %+v", vs[0])
		}
		if err := accept(op, 1, agreement.Supplier, v1.SHA256); err != nil {
			t.Fatal(err)
		}
		if vs, _ = env.DB.AgreementVersions(ctx, dpo, gent.ID); !vs[0].InForce() {
			t.Fatalf("not in force after both: %+v", vs[0].Acceptances)
		}
		// A newer version replaces a pending one: the older cannot be accepted.
		v2 := gen("%PDF two")
		gen("%PDF three")
		if err := accept(dpo, v2.Number, agreement.Controller, v2.SHA256); !errors.Is(err, store.ErrAgreementState) {
			t.Fatalf("accepting a replaced version: %v", err)
		}
		var accepted []string
		if err := env.DB.EachAuditEvent(ctx, gent.ID, func(e *audit.Event) error {
			if e.Action == "agreement.accept" {
				accepted = append(accepted, e.Actor.ID+" "+e.Purpose)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if len(accepted) != 2 || !strings.HasSuffix(accepted[0], "sha256="+v1.SHA256) || !strings.HasPrefix(accepted[1], "op-1 supplier") {
			t.Fatalf("acceptance events %q", accepted)
		}
		var sealed []byte
		if err := env.Raw(t).QueryRow(`SELECT signer_name FROM agreement_acceptances WHERE party = 'controller'`).Scan(&sealed); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(sealed), "Dirk") {
			t.Fatal("the signer's name is stored in plaintext")
		}
	})
}
