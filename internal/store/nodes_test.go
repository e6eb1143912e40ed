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
