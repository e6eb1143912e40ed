package store_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/form"
	"github.com/kluis/kluis/internal/register"
	"github.com/kluis/kluis/internal/seal"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

// personKeyCount is the run's count of person keys destroyed.
func personKeyCount(rep store.RetentionReport) int64 {
	for _, c := range rep.Counts {
		if c.Category == "" && c.Table == "person_keys" && c.Action == "delete" {
			return c.Count
		}
	}
	return 0
}

// TestClauseSEC1_PersonKeyDestroyedWhenLastSubmissionExpires: with
// per-person keys on, the retention run destroys a person's key once the
// last of their submissions has expired (spent), not while one still holds
// values; the keyring forgets it (a copy of the wrapped key no longer
// unwraps), each destroying chunk is audited with its count, a dry run
// destroys nothing (it counts the keys already due, not those of the
// submissions the run itself would spend), and what retention kept of the
// spent submissions (pseudonyms) still opens.
func TestClauseSEC1_PersonKeyDestroyedWhenLastSubmissionExpires(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fx := retentionFixture(t, env, "gent", register.ExpiryAnonymise)
		personKeysOn(t, env)(fx)
		pub := fx.forms["vraag"]
		submit := func(person, marker string) string {
			answers, _ := json.Marshal(form.Answers{"name": {Value: "Naam " + marker}, "email": {Value: person},
				"topic": {Value: "street"}, "message": {Value: "Vraag " + marker}})
			return fx.stored(t, env, store.NewFormSubmission{FormKey: "vraag", FormVersion: pub.Version, RegisterVersion: pub.RegisterVersion,
				Answers: answers, Subject: person, Contact: person, Lang: "nl", Idempotency: "tok-" + marker, Receipt: "rc-" + marker})
		}
		a1 := submit("an@example.be", "a1")
		b1 := submit("bart@example.be", "b1")
		env.Clock.Advance(15 * day)
		a2 := submit("an@example.be", "a2")
		rows := sealedRows(t, env, fx.tn.ID)
		keyA, keyB := rows[a1].personKey, rows[b1].personKey
		if keyA == 0 || keyB == 0 || keyA == keyB || rows[a2].personKey != keyA {
			t.Fatalf("keys: a1 %d, a2 %d, b1 %d", keyA, rows[a2].personKey, keyB)
		}
		wrapped := wrappedPersonKeys(t, env, fx.tn.ID)

		// 21 days after the first two: a1 and b1 are spent, a2 is not.
		env.Clock.Advance(6 * day)
		if rep := runRetention(t, env, fx.tn.ID, store.RetentionOptions{DryRun: true}); personKeyCount(rep) != 0 {
			t.Fatalf("dry run before the submissions expired counts %d keys", personKeyCount(rep))
		}
		rep := runRetention(t, env, fx.tn.ID, store.RetentionOptions{})
		if n := personKeyCount(rep); n != 1 {
			t.Fatalf("person keys destroyed: %d, want 1 (%+v)", n, rep.Counts)
		}
		live := wrappedPersonKeys(t, env, fx.tn.ID)
		if _, ok := live[keyB]; ok {
			t.Fatal("the key of a person whose only submission expired is still in the database")
		}
		if _, ok := live[keyA]; !ok {
			t.Fatal("the key of a person with a submission still holding values was destroyed")
		}
		if _, err := env.Keys.OpenPersonKey(fx.tn.ID, uint64(keyB), wrapped[keyB]); !errors.Is(err, seal.ErrPersonKeyDestroyed) {
			t.Fatalf("a copy of the destroyed key from before the run: %v, want ErrPersonKeyDestroyed", err)
		}
		if _, err := env.Keys.OpenPersonKey(fx.tn.ID, uint64(keyA), wrapped[keyA]); err != nil {
			t.Fatalf("the live key no longer opens: %v", err)
		}
		// What retention kept of the spent submissions (pseudonyms, under
		// the tenant key) still opens; the live one opens whole.
		if a := answersOf(t, env, fx, b1); a["topic"].Value == "" || a["topic"].Value == "street" {
			t.Fatalf("the spent submission's pseudonyms: %+v", a)
		}
		if a := answersOf(t, env, fx, a2); a["message"].Value != "Vraag a2" {
			t.Fatalf("the live submission: %+v", a)
		}

		// 12 days after a2: its contact values expired, the rest not; what
		// is left stays under An's key.
		env.Clock.Advance(6 * day)
		runRetention(t, env, fx.tn.ID, store.RetentionOptions{})
		if a := answersOf(t, env, fx, a2); a["name"].Value != "" || a["message"].Value != "Vraag a2" {
			t.Fatalf("a2 after its contact expired: %+v", a)
		}
		if id, ok := seal.PersonKeyIDOf(sealedRows(t, env, fx.tn.ID)[a2].data); !ok || int64(id) != keyA {
			t.Fatal("what retention left of a2 is no longer sealed with An's key")
		}

		// a2 expires too: An's key goes (not in a dry run).
		env.Clock.Advance(14 * day)
		runRetention(t, env, fx.tn.ID, store.RetentionOptions{DryRun: true})
		if len(wrappedPersonKeys(t, env, fx.tn.ID)) != 1 {
			t.Fatal("a dry run destroyed a key")
		}
		if n := personKeyCount(runRetention(t, env, fx.tn.ID, store.RetentionOptions{})); n != 1 {
			t.Fatalf("second run destroyed %d keys, want 1", n)
		}
		if n := len(wrappedPersonKeys(t, env, fx.tn.ID)); n != 0 {
			t.Fatalf("%d person keys left for nobody", n)
		}
		if n := personKeyCount(runRetention(t, env, fx.tn.ID, store.RetentionOptions{})); n != 0 {
			t.Fatalf("a third run destroyed %d keys again", n)
		}
		var events, total int
		env.DB.EachAuditEvent(ctx, fx.tn.ID, func(e *audit.Event) error {
			if e.Action == "retention.person_key" {
				events++
				if e.ObjectID == "1" {
					total++
				}
			}
			return nil
		})
		if events != 2 || total != 2 {
			t.Fatalf("retention.person_key events: %d (with count 1: %d), want 2", events, total)
		}
	})
}
