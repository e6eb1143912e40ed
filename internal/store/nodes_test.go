package store_test

import (
	"sync"
	"testing"

	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

// TestClauseAUD1_ChainLinearAcrossNodes: two store handles on one database
// (two nodes on PostgreSQL; serve and a CLI command on SQLite) append to the
// same tenant at the same time. Each handle's cached chain head goes stale
// all the time; the chain must still come out linear and complete.
func TestClauseAUD1_ChainLinearAcrossNodes(t *testing.T) {
	const perWriter, writers = 100, 4
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		tn := newTenant(t, env, "gent")
		other, err := store.Open(ctx, env.URL, store.Options{Keys: env.Keys, Now: env.Clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		defer other.Close()
		var wg sync.WaitGroup
		errc := make(chan error, 2*writers)
		for _, db := range []*store.DB{env.DB, other} {
			for w := 0; w < writers; w++ {
				wg.Add(1)
				go func(db *store.DB) {
					defer wg.Done()
					for i := 0; i < perWriter; i++ {
						if _, err := db.CreateSubmission(ctx, clerk("u"), tn.ID, store.NewSubmission{FormKey: "f", Data: []byte("x")}); err != nil {
							errc <- err
							return
						}
					}
				}(db)
			}
		}
		wg.Wait()
		close(errc)
		for err := range errc {
			t.Fatal(err)
		}
		n, err := env.DB.VerifyAudit(ctx, tn.ID)
		if err != nil {
			t.Fatal(err)
		}
		if want := int64(2*writers*perWriter + 1); n != want {
			t.Fatalf("verified %d events, want %d", n, want)
		}
	})
}

// TestVerifyAuditWhileAppending: the daily verification runs while Kluis
// keeps writing. Appends that land during the walk must never look like
// tampering ("events after the recorded head", "truncated").
func TestVerifyAuditWhileAppending(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		tn := newTenant(t, env, "gent")
		done := make(chan struct{})
		var wg sync.WaitGroup
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 300; i++ {
					if _, err := env.DB.CreateSubmission(ctx, clerk("u"), tn.ID, store.NewSubmission{FormKey: "f", Data: []byte("x")}); err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
		go func() { wg.Wait(); close(done) }()
		verified := 0
		for running := true; running; {
			select {
			case <-done:
				running = false
			default:
			}
			if _, err := env.DB.VerifyAudit(ctx, tn.ID); err != nil {
				t.Fatalf("verification %d during appends: %v", verified+1, err)
			}
			verified++
		}
		if verified < 2 {
			t.Fatalf("only %d verifications overlapped the appends", verified)
		}
	})
}
