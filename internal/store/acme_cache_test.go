package store_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

// TestClauseLOC2_ACMECacheSealedSharedMissing: the ACME cache keeps an
// entry (a certificate's private key) sealed with the platform key — the
// raw row holds no byte run of it — returns it opened, replaces it on a
// second put, answers ErrNotFound for a name never stored or deleted, and
// refuses a row copied under another name (the name is bound to the
// ciphertext), on both databases.
func TestClauseLOC2_ACMECacheSealedSharedMissing(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		if _, err := env.DB.ACMECacheGet(ctx, "www.gent.be"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("get before put: %v", err)
		}
		secret := []byte("-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIA-a-private-key-of-www.gent.be\n-----END EC PRIVATE KEY-----\n")
		if err := env.DB.ACMECachePut(ctx, "www.gent.be", secret); err != nil {
			t.Fatal(err)
		}
		got, err := env.DB.ACMECacheGet(ctx, "www.gent.be")
		if err != nil || !bytes.Equal(got, secret) {
			t.Fatalf("get: %q %v", got, err)
		}
		raw := env.Raw(t)
		var stored []byte
		if err := raw.QueryRow(`SELECT data FROM acme_cache WHERE name = 'www.gent.be'`).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(stored, []byte("PRIVATE KEY")) || bytes.Contains(stored, []byte("a-private-key")) {
			t.Fatal("the private key is stored in plaintext")
		}

		// Moved to another name by someone with database access: refused.
		if _, err := raw.Exec(`INSERT INTO acme_cache (name, data, updated_at) VALUES ('www.elders.be', $1, 0)`, stored); err != nil {
			t.Fatal(err)
		}
		if _, err := env.DB.ACMECacheGet(ctx, "www.elders.be"); err == nil {
			t.Fatal("an entry copied under another name opened")
		}

		second := []byte("renewed")
		if err := env.DB.ACMECachePut(ctx, "www.gent.be", second); err != nil {
			t.Fatal(err)
		}
		if got, err := env.DB.ACMECacheGet(ctx, "www.gent.be"); err != nil || !bytes.Equal(got, second) {
			t.Fatalf("after replace: %q %v", got, err)
		}
		if err := env.DB.ACMECacheDelete(ctx, "www.gent.be"); err != nil {
			t.Fatal(err)
		}
		if err := env.DB.ACMECacheDelete(ctx, "www.gent.be"); err != nil {
			t.Fatalf("delete twice: %v", err)
		}
		if _, err := env.DB.ACMECacheGet(ctx, "www.gent.be"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("get after delete: %v", err)
		}
	})
}
