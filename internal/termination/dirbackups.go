package termination

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/objstore"
	"github.com/kluis/kluis/internal/seal"
)

// StoreBackups is KeyBackups over one objstore.Store with a plain layout:
// keyring backups are copies of the keyring file under "keyring/" and data
// backups are objects under "data/<id>/". It stands in until the backup
// package wires its own (the layout is the same idea: the keyring is never
// inside a data backup, so a data backup opens for a tenant only as long
// as some keyring still holds the tenant's keys — crypto-shredding, END-4).
type StoreBackups struct {
	Store  objstore.Store
	Master seal.MasterKey // opens the keyring backups for the check
}

const (
	keyringPrefix = "keyring/"
	dataPrefix    = "data/"
)

// DestroyTenantKeys removes the tenant's entry from every keyring backup
// that holds one and returns their keys. The rest of each file is kept
// byte for byte in meaning: the other tenants' wrapped keys are untouched.
func (b StoreBackups) DestroyTenantKeys(ctx context.Context, tenantID string) ([]string, error) {
	objs, err := b.Store.List(ctx, keyringPrefix)
	if err != nil {
		return nil, err
	}
	removed := []string{}
	for _, o := range objs {
		doc, err := b.read(ctx, o.Key)
		if err != nil {
			return removed, err
		}
		var tenants map[string]json.RawMessage
		if err := json.Unmarshal(doc["tenants"], &tenants); err != nil {
			return removed, fmt.Errorf("keyring backup %s: %w", o.Key, err)
		}
		if _, ok := tenants[tenantID]; !ok {
			continue
		}
		delete(tenants, tenantID)
		if doc["tenants"], err = json.Marshal(tenants); err != nil {
			return removed, err
		}
		out, err := json.MarshalIndent(doc, "", "  ")
		if err != nil {
			return removed, err
		}
		if err := b.Store.Put(ctx, o.Key, bytes.NewReader(out), int64(len(out))); err != nil {
			return removed, fmt.Errorf("rewrite keyring backup %s: %w", o.Key, err)
		}
		removed = append(removed, o.Key)
	}
	return removed, nil
}

func (b StoreBackups) read(ctx context.Context, key string) (map[string]json.RawMessage, error) {
	r, err := b.Store.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	data, err := io.ReadAll(io.LimitReader(r, 64<<20))
	if err != nil {
		return nil, err
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("keyring backup %s: %w", key, err)
	}
	return doc, nil
}

// DataBackupsBefore lists the data backups (the second element of their
// keys) with an object written before t.
func (b StoreBackups) DataBackupsBefore(ctx context.Context, t time.Time) ([]BackupRef, error) {
	objs, err := b.Store.List(ctx, dataPrefix)
	if err != nil {
		return nil, err
	}
	var refs []BackupRef
	seen := map[string]bool{}
	for _, o := range objs {
		id, _, _ := strings.Cut(strings.TrimPrefix(o.Key, dataPrefix), "/")
		if id == "" || seen[id] || !o.Modified.Before(t) {
			continue
		}
		seen[id] = true
		refs = append(refs, BackupRef{ID: id, Taken: o.Modified})
	}
	return refs, nil
}

// CanOpen reports whether the data backup could still be opened for the
// tenant: whether any keyring backup, opened with the master key, still
// holds the tenant's keys.
func (b StoreBackups) CanOpen(ctx context.Context, backupID, tenantID string) (bool, error) {
	objs, err := b.Store.List(ctx, dataPrefix+backupID+"/")
	if err != nil {
		return false, err
	}
	if len(objs) == 0 {
		return false, fmt.Errorf("data backup %q: %w", backupID, objstore.ErrNotFound)
	}
	keyrings, err := b.Store.List(ctx, keyringPrefix)
	if err != nil {
		return false, err
	}
	for _, o := range keyrings {
		opens, err := b.keyringHolds(ctx, o.Key, tenantID)
		if err != nil || opens {
			return opens, err
		}
	}
	return false, nil
}

// keyringHolds opens a keyring backup in a private scratch directory, as a
// restore would, and asks it for the tenant.
func (b StoreBackups) keyringHolds(ctx context.Context, key, tenantID string) (bool, error) {
	r, err := b.Store.Get(ctx, key)
	if err != nil {
		return false, err
	}
	data, err := io.ReadAll(io.LimitReader(r, 64<<20))
	r.Close()
	if err != nil {
		return false, err
	}
	dir, err := os.MkdirTemp("", "kluis-keycheck-*")
	if err != nil {
		return false, err
	}
	defer os.RemoveAll(dir)
	if err := os.WriteFile(filepath.Join(dir, seal.FileName), data, 0o600); err != nil {
		return false, err
	}
	k, err := seal.OpenKeyring(dir, b.Master)
	if err != nil {
		return false, fmt.Errorf("open keyring backup %s: %w", key, err)
	}
	return k.HasTenant(tenantID), nil
}
