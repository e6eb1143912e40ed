package seal

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
)

// Keyring backups (END-2, END-4). The keyring is backed up apart from the
// data, one document per tenant and one for the platform keys, each still
// wrapped by the master key: a backup of tenant A's keys can then be
// deleted everywhere at the end of A's contract, which makes every data
// backup holding A's rows unreadable for A (crypto-shredding) while B's
// stay readable with B's own keyring backup.

const (
	tenantExportFormat   = "kluis-keyring-tenant"
	platformExportFormat = "kluis-keyring-platform"
)

// ErrForeignKeyring: a keyring backup was wrapped under another master key.
var ErrForeignKeyring = errors.New("seal: the keyring backup was made under another master key")

type tenantExport struct {
	Format  string     `json:"format"`
	Version int        `json:"version"`
	Check   string     `json:"check"`
	Tenant  string     `json:"tenant"`
	Keys    *tenantDoc `json:"keys"`
}

type platformExport struct {
	Format   string       `json:"format"`
	Version  int          `json:"version"`
	Check    string       `json:"check"`
	Platform *platformDoc `json:"platform"`
}

// Tenants lists the tenants the keyring holds keys for, sorted.
func (k *Keyring) Tenants() []string {
	k.maybeRefresh()
	k.mu.RLock()
	defer k.mu.RUnlock()
	out := make([]string, 0, len(k.tenants))
	for name := range k.tenants {
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

// ExportTenant returns the tenant's keys as they are in the keyring file
// (wrapped by the master key), with the keyring's check value, as a JSON
// document for a keyring backup.
func (k *Keyring) ExportTenant(tenant string) ([]byte, error) {
	var doc tenantExport
	err := k.withTenant(tenant, func(t *tenantKeys) error {
		doc = tenantExport{Format: tenantExportFormat, Version: fileVersion, Check: k.check, Tenant: tenant, Keys: t.doc()}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return json.Marshal(doc)
}

// ImportTenant adds the tenant's keys from a document of ExportTenant,
// made under the same master key, to this keyring (restore into a fresh
// keyring). It refuses a tenant the keyring already holds, and keys that
// do not unwrap.
func (k *Keyring) ImportTenant(data []byte) (tenant string, err error) {
	var doc tenantExport
	if err := decodeStrict(data, &doc); err != nil || doc.Format != tenantExportFormat || doc.Keys == nil {
		return "", fmt.Errorf("%w: not a tenant keyring backup", ErrCorrupt)
	}
	if doc.Version != fileVersion {
		return "", fmt.Errorf("%w: unsupported keyring backup version %d", ErrCorrupt, doc.Version)
	}
	if err := validTenant(doc.Tenant); err != nil {
		return "", fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if err := k.checkForeign(doc.Check); err != nil {
		return "", err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, err := k.refreshLocked(); err != nil {
		return "", err
	}
	if k.tenants[doc.Tenant] != nil {
		return "", fmt.Errorf("%w: %q", ErrTenantExists, doc.Tenant)
	}
	t, err := k.parseTenant(doc.Tenant, doc.Keys)
	if err != nil {
		return "", err
	}
	fd := k.doc()
	fd.Tenants[doc.Tenant] = t.doc()
	if err := k.save(fd); err != nil {
		t.wipe()
		return "", err
	}
	k.tenants[doc.Tenant] = t
	return doc.Tenant, nil
}

// ExportPlatform returns the platform's own keys (checkpoint and backup
// signing keys, wrapped) as a JSON document for a keyring backup.
func (k *Keyring) ExportPlatform() ([]byte, error) {
	k.maybeRefresh()
	k.mu.RLock()
	defer k.mu.RUnlock()
	p := k.platform
	if p == nil {
		p = &platformDoc{}
	}
	return json.Marshal(platformExport{Format: platformExportFormat, Version: fileVersion, Check: k.check, Platform: p})
}

// ImportPlatform puts the platform keys of a document of ExportPlatform,
// made under the same master key, into a keyring that has none yet.
func (k *Keyring) ImportPlatform(data []byte) error {
	var doc platformExport
	if err := decodeStrict(data, &doc); err != nil || doc.Format != platformExportFormat || doc.Platform == nil {
		return fmt.Errorf("%w: not a platform keyring backup", ErrCorrupt)
	}
	if doc.Version != fileVersion {
		return fmt.Errorf("%w: unsupported keyring backup version %d", ErrCorrupt, doc.Version)
	}
	if err := k.checkForeign(doc.Check); err != nil {
		return err
	}
	if err := k.checkPlatform(doc.Platform); err != nil {
		return err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, err := k.refreshLocked(); err != nil {
		return err
	}
	if k.platform != nil && (k.platform.Checkpoint != nil || k.platform.Backup != nil) {
		return errors.New("seal: this keyring already has platform keys; import into a fresh keyring")
	}
	fd := k.doc()
	fd.Platform = doc.Platform
	if err := k.save(fd); err != nil {
		return err
	}
	k.platform = doc.Platform
	return nil
}

// checkForeign tells a backup made under another master key apart from a
// damaged one: its check value does not unwrap under this keyring's.
func (k *Keyring) checkForeign(check string) error {
	sealed, err := base64.StdEncoding.DecodeString(check)
	if err != nil {
		return fmt.Errorf("%w: malformed check value", ErrCorrupt)
	}
	if pt, err := unwrap(k.kek, sealed, []byte(checkAD)); err != nil || string(pt) != checkText {
		return ErrForeignKeyring
	}
	return nil
}

func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("data after the JSON document")
	}
	return nil
}
