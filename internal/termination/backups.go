package termination

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"filippo.io/age"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/backup"
	"github.com/kluis/kluis/internal/objstore"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/tenantexport"
)

// Backups is KeyBackups over the platform's backup targets and second site
// (internal/backup). Every tenant's keys are backed up as a keyring object
// of their own, never inside a data backup; removing that object from
// every target is what makes every data backup unreadable for the tenant
// while the other tenants' data in the same backups still opens
// (crypto-shredding, END-4).
type Backups struct {
	Stores []objstore.Store
}

// DestroyTenantKeys removes the tenant's keyring object from every target
// and returns "location key" of each one removed. The procedure destroys
// the live keyring first, so that a backup starting now no longer writes
// the object again.
func (b Backups) DestroyTenantKeys(ctx context.Context, tenantID string) ([]string, error) {
	return backup.DestroyTenantKeys(ctx, b.Stores, tenantID)
}

// DataBackupsBefore lists, once each, the backups whose manifest says they
// were made before t, at any target.
func (b Backups) DataBackupsBefore(ctx context.Context, t time.Time) ([]BackupRef, error) {
	seen := map[string]bool{}
	var refs []BackupRef
	for _, st := range b.Stores {
		ms, err := backup.List(ctx, st)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", st.Location(), err)
		}
		for _, m := range ms {
			if seen[m.ID] || !m.Created.Before(t) {
				continue
			}
			seen[m.ID] = true
			refs = append(refs, BackupRef{ID: m.ID, Taken: m.Created})
		}
	}
	sort.Slice(refs, func(i, j int) bool { return refs[i].Taken.Before(refs[j].Taken) })
	return refs, nil
}

// CanOpen reports whether the backup could still be opened for the tenant:
// whether its keyring object is still at any target (a restore opens a
// tenant's values only with it; the live keyring is checked apart).
func (b Backups) CanOpen(ctx context.Context, backupID, tenantID string) (bool, error) {
	key, err := backup.TenantKeysObject(tenantID)
	if err != nil {
		return false, err
	}
	for _, st := range b.Stores {
		_, err := st.Stat(ctx, key)
		if err == nil {
			return true, nil
		}
		if !errors.Is(err, objstore.ErrNotFound) {
			return false, fmt.Errorf("%s: %w", st.Location(), err)
		}
	}
	return false, nil
}

// Exporter is the final export (END-3): the full tenant export, recorded
// in the tenant's log as done by the operator who confirms the step, and
// encrypted to the controller's age recipients when there are any.
type Exporter struct {
	DB         *store.DB
	Actor      audit.Actor
	Recipients []age.Recipient
}

// ExportTenant writes the export to and returns the SHA-256 of its
// manifest.json, byte for byte as written, and the number of its files.
func (e Exporter) ExportTenant(ctx context.Context, tenantID, to string) (string, int, error) {
	m, err := tenantexport.Export(ctx, e.DB, tenantID, to, tenantexport.Options{Actor: e.Actor,
		Purpose: "end of contract: the final export handed over to the controller (END-3)", Recipients: e.Recipients})
	if err != nil {
		return "", 0, err
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return "", 0, err
	}
	sum := sha256.Sum256(append(b, '\n'))
	return hex.EncodeToString(sum[:]), len(m.Files), nil
}
