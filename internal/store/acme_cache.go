package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/seal"
)

// The ACME cache (LOC-2, SEC-3): what autocert keeps between runs — the
// account key and, per host name, the certificate chain with its private
// key — in the database that every node shares, so that nodes behind one
// load balancer order a host's certificate once and serve the same one.
// Each entry is sealed with the platform realm's data key (the keyring
// lives apart from the database), bound to its name: a database dump or
// backup holds no usable private key, and an entry cannot be moved to
// another name.

// acmeCacheActor creates the platform realm (and its keys) if this is the
// first thing that needs them.
var acmeCacheActor = audit.System("acme")

func acmeCacheAD(realmID, name string) seal.AD {
	return seal.AD{Tenant: realmID, Table: "acme_cache", Column: "data", Row: name}
}

func (db *DB) acmeRealm(ctx context.Context) (string, error) {
	if err := db.requireKeys(); err != nil {
		return "", err
	}
	realm, err := db.OperatorRealm(ctx, acmeCacheActor)
	if err != nil {
		return "", err
	}
	return realm.ID, nil
}

// ACMECacheGet returns the entry stored under name, opened; ErrNotFound
// when there is none.
func (db *DB) ACMECacheGet(ctx context.Context, name string) ([]byte, error) {
	realm, err := db.acmeRealm(ctx)
	if err != nil {
		return nil, fmt.Errorf("acme cache: %w", err)
	}
	var sealed []byte
	err = db.sql.QueryRowContext(ctx, `SELECT data FROM acme_cache WHERE name = $1`, name).Scan(&sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("acme cache: %w", err)
	}
	data, err := db.keys.Open(realm, acmeCacheAD(realm, name), sealed)
	if err != nil {
		return nil, fmt.Errorf("acme cache: %w", err)
	}
	return data, nil
}

// ACMECachePut stores data under name, sealed, replacing what was there.
func (db *DB) ACMECachePut(ctx context.Context, name string, data []byte) error {
	realm, err := db.acmeRealm(ctx)
	if err != nil {
		return fmt.Errorf("acme cache: %w", err)
	}
	sealed, err := db.keys.Seal(realm, acmeCacheAD(realm, name), data)
	if err != nil {
		return fmt.Errorf("acme cache: %w", err)
	}
	err = db.write(ctx, func(tx *Tx) error {
		_, err := tx.exec(`INSERT INTO acme_cache (name, data, updated_at) VALUES ($1, $2, $3)
			ON CONFLICT (name) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at`, name, sealed, micros(db.now()))
		return err
	})
	if err != nil {
		return fmt.Errorf("acme cache: %w", err)
	}
	return nil
}

// ACMECacheDelete removes the entry under name; none is no error.
func (db *DB) ACMECacheDelete(ctx context.Context, name string) error {
	err := db.write(ctx, func(tx *Tx) error {
		_, err := tx.exec(`DELETE FROM acme_cache WHERE name = $1`, name)
		return err
	})
	if err != nil {
		return fmt.Errorf("acme cache: %w", err)
	}
	return nil
}
