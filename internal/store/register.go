package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/register"
)

// RegisterVersion is one saved version of a tenant's processing register.
type RegisterVersion struct {
	Version   int
	CreatedAt time.Time
	CreatedBy string
	Register  register.Register
}

// RegisterInvalidError lists every problem of a register that was not saved.
type RegisterInvalidError struct{ Problems []register.Problem }

func (e *RegisterInvalidError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.String()
	}
	return "register not saved: " + strings.Join(parts, "; ")
}

// SaveRegister validates r and stores it as the tenant's next register
// version, audited. Nothing is saved when any problem exists.
func (db *DB) SaveRegister(ctx context.Context, actor audit.Actor, tenantID string, r register.Register) (int, error) {
	return db.SaveRegisterOver(ctx, actor, tenantID, r, -1)
}

// SaveRegisterOver is SaveRegister for a change made on a page built from
// version base of the register (0: there was none): when another version
// was saved since, nothing is saved and the error is ErrConflict, so that
// a change compared against one version is never saved over another. A
// negative base checks nothing.
func (db *DB) SaveRegisterOver(ctx context.Context, actor audit.Actor, tenantID string, r register.Register, base int) (int, error) {
	if probs := r.Validate(); len(probs) > 0 {
		return 0, &RegisterInvalidError{Problems: probs}
	}
	doc, err := json.Marshal(r)
	if err != nil {
		return 0, err
	}
	var version int
	err = db.write(ctx, func(tx *Tx) error {
		if err := tx.queryRow(`SELECT COALESCE(MAX(version), 0) + 1 FROM registers WHERE tenant_id = $1`, tenantID).Scan(&version); err != nil {
			return err
		}
		if base >= 0 && version != base+1 {
			return fmt.Errorf("register version %d was saved after version %d: %w", version-1, base, ErrConflict)
		}
		if _, err := tx.exec(`INSERT INTO registers (tenant_id, version, created_at, created_by, document) VALUES ($1, $2, $3, $4, $5)`,
			tenantID, version, micros(db.now()), actorName(actor), string(doc)); err != nil {
			return err
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "register.save",
			ObjectType: "register", ObjectID: fmt.Sprint(version), Purpose: "register"})
	})
	if err != nil {
		return 0, fmt.Errorf("save register: %w", err)
	}
	return version, nil
}

// CurrentRegister returns the tenant's latest register version, or
// ErrNotFound when it has none. The register holds no personal data.
func (db *DB) CurrentRegister(ctx context.Context, tenantID string) (RegisterVersion, error) {
	return db.RegisterAt(ctx, tenantID, 0)
}

// RegisterAt returns version n of the tenant's register (0: the latest);
// earlier versions stay readable. ErrNotFound when there is no such version.
func (db *DB) RegisterAt(ctx context.Context, tenantID string, n int) (RegisterVersion, error) {
	// A saved version never changes (there is no update path): a numbered
	// version is served from memory after its first read.
	key := tenantID + "/" + strconv.Itoa(n)
	if n > 0 {
		if rv, ok := db.registers.Load(key); ok {
			return rv.(RegisterVersion), nil
		}
	}
	rv, err := db.readRegister(ctx, tenantID, n)
	if err == nil && n > 0 {
		db.registers.Store(key, rv)
	}
	return rv, err
}

func (db *DB) readRegister(ctx context.Context, tenantID string, n int) (RegisterVersion, error) {
	var rv RegisterVersion
	var created int64
	var doc string
	err := db.sql.QueryRowContext(ctx, `SELECT version, created_at, created_by, document FROM registers
		WHERE tenant_id = $1 AND ($2 = 0 OR version = $2) ORDER BY version DESC LIMIT 1`, tenantID, n).Scan(&rv.Version, &created, &rv.CreatedBy, &doc)
	if errors.Is(err, sql.ErrNoRows) {
		return rv, fmt.Errorf("register of tenant %s: %w", tenantID, ErrNotFound)
	}
	if err != nil {
		return rv, fmt.Errorf("read register: %w", err)
	}
	rv.CreatedAt = fromMicros(created)
	if err := json.Unmarshal([]byte(doc), &rv.Register); err != nil {
		return rv, fmt.Errorf("read register version %d: %w", rv.Version, err)
	}
	return rv, nil
}

// RegisterHistory lists the tenant's register versions, newest first,
// without their documents: who saved which version when.
func (db *DB) RegisterHistory(ctx context.Context, tenantID string) ([]RegisterVersion, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT version, created_at, created_by FROM registers WHERE tenant_id = $1
		ORDER BY version DESC`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("register history: %w", err)
	}
	defer rows.Close()
	var out []RegisterVersion
	for rows.Next() {
		var rv RegisterVersion
		var created int64
		if err := rows.Scan(&rv.Version, &created, &rv.CreatedBy); err != nil {
			return nil, err
		}
		rv.CreatedAt = fromMicros(created)
		out = append(out, rv)
	}
	return out, rows.Err()
}
