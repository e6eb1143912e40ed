package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/form"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

// TestClauseSEC2_IntakeAnnouncementsNeverLeak: a submission tells the
// single writer it is coming while it is sealed, so that concurrent
// submissions share one durable commit. Whatever becomes of it —
// committed, a double post, refused for a changed form, its request
// cancelled — the announcement is taken back: a leaked one would make
// every later batch wait for a write that never comes. Every concurrent
// submission is committed with its audit event.
func TestClauseSEC2_IntakeAnnouncementsNeverLeak(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		tn := newTenant(t, env, "gent")
		f := form.DemoForms()[1]
		pub := publishDemo(t, env, tn.ID, f)
		citizen := audit.Actor{Kind: audit.KindCitizen, ID: "anonymous", RequestID: "r1"}
		answers, _ := json.Marshal(form.Answers{"insz": {Value: "85071512397"}, "name": {Value: "Batch"}, "iban": {Value: "BE68539007547034"}})
		sub := func(n int) store.NewFormSubmission {
			return store.NewFormSubmission{FormKey: f.Key, FormVersion: pub.Version, RegisterVersion: pub.RegisterVersion, Answers: answers,
				Subject: "85071512397", Idempotency: fmt.Sprintf("page-%d", n), Receipt: fmt.Sprintf("receipt-%d", n)}
		}
		const n = 16
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, created, err := env.DB.SubmitForm(ctx, citizen, tn.ID, sub(i))
				if err == nil && !created {
					err = errors.New("not created")
				}
				errs[i] = err
			}()
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
		if c := env.DB.ComingWrites(); c != 0 {
			t.Fatalf("after concurrent submissions %d announcements are left", c)
		}
		if _, created, err := env.DB.SubmitForm(ctx, citizen, tn.ID, sub(0)); err != nil || created {
			t.Fatalf("double post: %v %v", created, err)
		}
		stale := sub(100)
		stale.FormVersion = pub.Version + 1
		if _, _, err := env.DB.SubmitForm(ctx, citizen, tn.ID, stale); !errors.Is(err, store.ErrFormChanged) {
			t.Fatalf("changed form: %v", err)
		}
		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		if _, _, err := env.DB.SubmitForm(cancelled, citizen, tn.ID, sub(101)); err == nil {
			t.Fatal("a cancelled request was stored")
		}
		if c := env.DB.ComingWrites(); c != 0 {
			t.Fatalf("%d announcements are left", c)
		}
		creates := 0
		env.DB.EachAuditEvent(ctx, tn.ID, func(e *audit.Event) error {
			if e.Action == "submission.create" {
				creates++
			}
			return nil
		})
		if creates != n {
			t.Fatalf("%d submission.create events for %d submissions", creates, n)
		}
	})
}
