package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/tenant"
)

// TenantHost is one of a tenant's own host names.
type TenantHost struct {
	Host      string
	TenantID  string
	CreatedAt time.Time
	// Primary: links Kluis writes for the tenant use this host.
	Primary bool
}

// TenantHosts lists the tenant's host names in name order. They are no
// personal data, so reading them is not audited.
func (db *DB) TenantHosts(ctx context.Context, tenantID string) ([]TenantHost, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT host, tenant_id, created_at, is_primary FROM tenant_hosts WHERE tenant_id = $1 ORDER BY host`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("tenant hosts: %w", err)
	}
	defer rows.Close()
	var out []TenantHost
	for rows.Next() {
		var h TenantHost
		var at, primary int64
		if err := rows.Scan(&h.Host, &h.TenantID, &at, &primary); err != nil {
			return nil, fmt.Errorf("tenant hosts: %w", err)
		}
		h.CreatedAt, h.Primary = fromMicros(at), primary == 1
		out = append(out, h)
	}
	return out, rows.Err()
}

// TenantByHost returns the tenant that holds the host name host (already
// normalised: lower-case, no port); ErrNotFound when none does. The web
// side routes requests and the ACME host policy allows certificates by it.
func (db *DB) TenantByHost(ctx context.Context, host string) (tenant.Tenant, error) {
	var id string
	err := db.sql.QueryRowContext(ctx, `SELECT tenant_id FROM tenant_hosts WHERE host = $1`, host).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return tenant.Tenant{}, fmt.Errorf("host %q: %w", host, ErrNotFound)
	}
	if err != nil {
		return tenant.Tenant{}, fmt.Errorf("tenant by host: %w", err)
	}
	return db.Tenant(ctx, id)
}

// AddTenantHost gives the tenant the host name raw, normalised by
// tenant.NormalizeHost, and records "tenant_host.add" in the tenant's audit
// log in the same transaction. A bad name, or one a tenant already holds
// (this one or another: the name is the table's key), is a
// *tenant.ValidationError on tenant.FieldHost and nothing is saved; the
// message never says which tenant holds it. ErrNotFound for an unknown
// tenant. The handler checks that actor may edit settings.
func (db *DB) AddTenantHost(ctx context.Context, actor audit.Actor, tenantID, raw string) (string, error) {
	host, err := tenant.NormalizeHost(raw)
	if err != nil {
		return "", err
	}
	taken := &tenant.ValidationError{Fields: map[string]string{tenant.FieldHost: tenant.HostTaken}}
	err = db.write(ctx, func(tx *Tx) error {
		if err := tx.lockTenant(tenantID); err != nil {
			return err
		}
		var holder string
		switch err := tx.queryRow(`SELECT tenant_id FROM tenant_hosts WHERE host = $1`, host).Scan(&holder); {
		case err == nil:
			return taken
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		if _, err := tx.exec(`INSERT INTO tenant_hosts (host, tenant_id, created_at, created_by) VALUES ($1, $2, $3, $4)`,
			host, tenantID, micros(db.now()), actor.ID); err != nil {
			if isUniqueViolation(err) { // another tenant added it meanwhile
				return taken
			}
			return err
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "tenant_host.add", ObjectType: "host",
			ObjectID: host, Outcome: audit.OutcomeSuccess, Purpose: "host name " + host})
	})
	if err != nil {
		var ve *tenant.ValidationError
		if errors.As(err, &ve) || errors.Is(err, ErrNotFound) {
			return "", err
		}
		return "", fmt.Errorf("add tenant host: %w", err)
	}
	return host, nil
}

// RemoveTenantHost takes the host name from the tenant and records
// "tenant_host.remove" in the same transaction. ErrNotFound when the
// tenant does not hold it (also when another tenant does).
func (db *DB) RemoveTenantHost(ctx context.Context, actor audit.Actor, tenantID, raw string) error {
	host, err := tenant.NormalizeHost(raw)
	if err != nil {
		return fmt.Errorf("host %q: %w", raw, ErrNotFound)
	}
	err = db.write(ctx, func(tx *Tx) error {
		if err := tx.lockTenant(tenantID); err != nil {
			return err
		}
		res, err := tx.exec(`DELETE FROM tenant_hosts WHERE host = $1 AND tenant_id = $2`, host, tenantID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return fmt.Errorf("host %q of tenant %q: %w", host, tenantID, ErrNotFound)
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "tenant_host.remove", ObjectType: "host",
			ObjectID: host, Outcome: audit.OutcomeSuccess, Purpose: "host name " + host})
	})
	if err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("remove tenant host: %w", err)
	}
	return err
}

// TenantPrimaryHost returns the host name the tenant marked primary, ""
// when none: the address tenant.Link puts in the links Kluis writes.
func (db *DB) TenantPrimaryHost(ctx context.Context, tenantID string) (string, error) {
	var host string
	err := db.sql.QueryRowContext(ctx, `SELECT host FROM tenant_hosts WHERE tenant_id = $1 AND is_primary = 1`, tenantID).Scan(&host)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("tenant primary host: %w", err)
	}
	return host, nil
}

// SetTenantPrimaryHost marks the tenant's host name raw primary (the
// one before it no longer is), or, with raw "", leaves the tenant without
// one (links go back to the platform's address); recorded as
// "tenant_host.primary" in the same transaction. A name that is not one
// of this tenant's (another tenant's included, without saying so) is a
// *tenant.ValidationError on tenant.FieldHost and nothing is saved.
func (db *DB) SetTenantPrimaryHost(ctx context.Context, actor audit.Actor, tenantID, raw string) error {
	host := ""
	if raw != "" {
		h, err := tenant.NormalizeHost(raw)
		if err != nil {
			return &tenant.ValidationError{Fields: map[string]string{tenant.FieldHost: tenant.HostNotOwn}}
		}
		host = h
	}
	err := db.write(ctx, func(tx *Tx) error {
		if err := tx.lockTenant(tenantID); err != nil {
			return err
		}
		if host != "" {
			var n int
			if err := tx.queryRow(`SELECT count(*) FROM tenant_hosts WHERE host = $1 AND tenant_id = $2`, host, tenantID).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return &tenant.ValidationError{Fields: map[string]string{tenant.FieldHost: tenant.HostNotOwn}}
			}
		}
		if _, err := tx.exec(`UPDATE tenant_hosts SET is_primary = 0 WHERE tenant_id = $1 AND is_primary = 1`, tenantID); err != nil {
			return err
		}
		objType, objID, purpose := "tenant", tenantID, "links on the platform's address"
		if host != "" {
			objType, objID = "host", host
			if _, err := tx.exec(`UPDATE tenant_hosts SET is_primary = 1 WHERE host = $1 AND tenant_id = $2`, host, tenantID); err != nil {
				return err
			}
			purpose = "links on " + host
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "tenant_host.primary", ObjectType: objType,
			ObjectID: objID, Outcome: audit.OutcomeSuccess, Purpose: purpose})
	})
	if err != nil {
		var ve *tenant.ValidationError
		if errors.As(err, &ve) || errors.Is(err, ErrNotFound) {
			return err
		}
		return fmt.Errorf("set tenant primary host: %w", err)
	}
	return nil
}
