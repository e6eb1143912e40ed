// Package termination runs the end of a contract for one tenant (END-3,
// END-4, END-5): a guided procedure whose every step a person confirms —
// freeze, final export handed over, receipt (or its deadline), processing
// stopped, live data deleted, keys destroyed in the keyring and in every
// keyring backup, a check that an old copy no longer opens — ending in a
// destruction certificate signed with the platform key. The store keeps
// the steps, their order and the database work; this package does what
// lies outside the database (the export, the keyring, the backups) and
// records it through the store. It imports store, seal and objstore.
package termination

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/seal"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/tenant"
)

// FinalExporter writes a tenant's complete export (END-3) to a directory
// or file and returns the SHA-256 of its manifest and the number of files.
type FinalExporter interface {
	ExportTenant(ctx context.Context, tenantID, to string) (manifestSHA256 string, files int, err error)
}

// BackupRef names one data backup.
type BackupRef struct {
	ID    string
	Taken time.Time
}

// KeyBackups is what the platform knows of its backups: the keyring
// backups, from which a tenant's keys are removed, and the data backups,
// which must no longer open for the tenant once its keys are gone.
type KeyBackups interface {
	DestroyTenantKeys(ctx context.Context, tenantID string) (removed []string, err error)
	DataBackupsBefore(ctx context.Context, t time.Time) ([]BackupRef, error)
	CanOpen(ctx context.Context, backupID, tenantID string) (bool, error)
}

// Procedure runs the steps. Exporter and Backups may be nil: the
// certificate then says honestly that they were not configured.
type Procedure struct {
	DB       *store.DB
	Exporter FinalExporter
	Backups  KeyBackups
	// KeyName names the platform signing key if it must be made.
	KeyName string
}

// Input is what a step needs from the person confirming it.
type Input struct {
	ReceiptDays    int    // freeze: days the controller has to confirm receipt (default 30)
	ExportTo       string // export: where the exporter writes the final export
	ManifestSHA256 string // export: the manifest of an export made by hand, when no exporter is configured
	Files          int    // export: its number of files
	ReceivedBy     string // export: who received it for the controller (a function and organisation)
}

// ValidationError says, field by field, why a step's input was refused, as
// locale keys.
type ValidationError struct{ Fields map[string]string }

func (e *ValidationError) Error() string {
	var parts []string
	for _, f := range []string{"receipt_days", "export_to", "manifest", "received_by"} {
		if m, ok := e.Fields[f]; ok {
			parts = append(parts, f+": "+m)
		}
	}
	return "termination step refused: " + strings.Join(parts, "; ")
}

// ErrCopyStillOpens: the check found a copy that still opens for the
// tenant; the procedure cannot go on until it is dealt with.
var ErrCopyStillOpens = errors.New("a copy of the tenant's data still opens")

// Step does step for tenantID on actor's confirmation and records it.
// Refusals (order, hold, realm, terminated twice, bad input) change nothing.
func (p *Procedure) Step(ctx context.Context, actor audit.Actor, tenantID, step string, in Input) (store.TerminationStep, error) {
	t, err := p.DB.Tenant(ctx, tenantID)
	if err != nil {
		return store.TerminationStep{}, err
	}
	if t.IsPlatform() {
		return store.TerminationStep{}, store.ErrTerminationRealm
	}
	term, err := p.DB.Termination(ctx, t.ID)
	if err != nil {
		return store.TerminationStep{}, err
	}
	// The order is checked here before any work outside the database is
	// done, and again by the store in the recording transaction.
	switch next := term.Next(); {
	case next == "":
		return store.TerminationStep{}, store.ErrTerminated
	case next != step:
		return store.TerminationStep{}, fmt.Errorf("%w: %s comes next, not %s", store.ErrTerminationOrder, next, step)
	}
	if err := p.Check(step, in); err != nil {
		return store.TerminationStep{}, err
	}
	var detail map[string]any
	switch step {
	case store.TermFreeze:
		detail, err = freezeDetail(in)
	case store.TermExport:
		detail, err = p.export(ctx, t, in)
	case store.TermReceipt:
		by := "deadline"
		if actor.Kind == audit.KindUser {
			by = "controller"
		}
		detail = map[string]any{"by": by}
	case store.TermKeys:
		detail, err = p.destroyKeys(ctx, t)
	case store.TermCheck:
		detail, err = p.check(ctx, actor, t, term)
	case store.TermCertificate:
		detail, err = p.certificate(ctx, t, term, actor)
	}
	if err != nil {
		return store.TerminationStep{}, err
	}
	return p.DB.RecordTerminationStep(ctx, actor, t.ID, step, detail)
}

// ConfirmReceipt is the controller's own confirmation that the final
// export was received (END-3), from the tenant's admin page.
func (p *Procedure) ConfirmReceipt(ctx context.Context, actor audit.Actor, tenantID string) (store.TerminationStep, error) {
	if actor.Kind != audit.KindUser {
		return store.TerminationStep{}, store.ErrControllerOnly
	}
	return p.Step(ctx, actor, tenantID, store.TermReceipt, Input{})
}

// Check validates a step's input without doing anything: a
// *ValidationError field by field, or nil.
func (p *Procedure) Check(step string, in Input) error {
	bad := map[string]string{}
	switch step {
	case store.TermFreeze:
		if in.ReceiptDays != 0 && (in.ReceiptDays < 1 || in.ReceiptDays > 365) {
			bad["receipt_days"] = "termination.error.receipt_days"
		}
	case store.TermExport:
		by := strings.TrimSpace(in.ReceivedBy)
		if by == "" {
			bad["received_by"] = "termination.error.received_by"
		} else if len([]rune(by)) > 200 {
			bad["received_by"] = "termination.error.received_by_long"
		}
		switch {
		case p.Exporter != nil && strings.TrimSpace(in.ExportTo) == "":
			bad["export_to"] = "termination.error.export_to"
		case p.Exporter == nil && !isSHA256(strings.ToLower(strings.TrimSpace(in.ManifestSHA256))):
			bad["manifest"] = "termination.error.manifest"
		}
	}
	if len(bad) > 0 {
		return &ValidationError{Fields: bad}
	}
	return nil
}

func freezeDetail(in Input) (map[string]any, error) {
	days := in.ReceiptDays
	if days == 0 {
		days = store.DefaultReceiptDays
	}
	return map[string]any{"receipt_days": days}, nil
}

func (p *Procedure) export(ctx context.Context, t tenant.Tenant, in Input) (map[string]any, error) {
	in.ReceivedBy = strings.TrimSpace(in.ReceivedBy)
	manual := strings.ToLower(strings.TrimSpace(in.ManifestSHA256))
	d := map[string]any{"received_by": in.ReceivedBy}
	if p.Exporter == nil {
		d["exporter"], d["manifest_sha256"], d["files"] = "manual", manual, in.Files
		return d, nil
	}
	sum, files, err := p.Exporter.ExportTenant(ctx, t.ID, in.ExportTo)
	if err != nil {
		return nil, fmt.Errorf("final export: %w", err)
	}
	d["exporter"], d["manifest_sha256"], d["files"] = "kluis", sum, files
	return d, nil
}

func isSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !strings.ContainsRune("0123456789abcdef", c) {
			return false
		}
	}
	return true
}

// destroyKeys shreds the tenant in the keyring, then in every keyring
// backup. Run again after a failure, it finds the keyring already without
// the tenant and goes on with the backups.
func (p *Procedure) destroyKeys(ctx context.Context, t tenant.Tenant) (map[string]any, error) {
	keys := p.DB.Keys()
	if keys == nil {
		return nil, errors.New("no keyring: the keys cannot be destroyed")
	}
	d := map[string]any{}
	ids, _, err := keys.KeyIDs(t.ID)
	switch {
	case errors.Is(err, seal.ErrUnknownTenant):
		d["keyring"] = "absent"
	case err != nil:
		return nil, err
	default:
		if err := keys.DestroyTenant(t.ID); err != nil {
			return nil, fmt.Errorf("destroy keys in the keyring: %w", err)
		}
		d["keyring"], d["data_key_ids"] = "destroyed", ids
	}
	d["backups_configured"] = p.Backups != nil
	if p.Backups != nil {
		removed, err := p.Backups.DestroyTenantKeys(ctx, t.ID)
		if err != nil {
			return nil, fmt.Errorf("destroy keys in the keyring backups: %w", err)
		}
		d["keyring_backups"] = nonNil(removed)
	}
	return d, nil
}

// check proves the destruction: the live keyring no longer knows the
// tenant, a sealed value kept in the database (the tenant's contact) no
// longer opens, and no data backup taken before the freeze opens for the
// tenant with any keyring backup the platform knows.
func (p *Procedure) check(ctx context.Context, actor audit.Actor, t tenant.Tenant, term store.Termination) (map[string]any, error) {
	if p.DB.Keys() != nil && p.DB.Keys().HasTenant(t.ID) {
		return nil, fmt.Errorf("%w: the keyring still holds the tenant's keys", ErrCopyStillOpens)
	}
	if _, err := p.DB.TenantContact(ctx, actor, t.ID, "termination check"); !errors.Is(err, store.ErrUnreadable) {
		if err == nil {
			return nil, fmt.Errorf("%w: the tenant's sealed contact still opens", ErrCopyStillOpens)
		}
		return nil, err
	}
	d := map[string]any{"live_value_opens": false, "backups_configured": p.Backups != nil}
	if p.Backups == nil {
		return d, nil
	}
	freeze, _ := term.Step(store.TermFreeze)
	refs, err := p.Backups.DataBackupsBefore(ctx, freeze.DoneAt)
	if err != nil {
		return nil, fmt.Errorf("list data backups: %w", err)
	}
	checked := []string{}
	for _, b := range refs {
		opens, err := p.Backups.CanOpen(ctx, b.ID, t.ID)
		if err != nil {
			return nil, fmt.Errorf("check backup %s: %w", b.ID, err)
		}
		if opens {
			return nil, fmt.Errorf("%w: data backup %s", ErrCopyStillOpens, b.ID)
		}
		checked = append(checked, b.ID)
	}
	d["data_backups_unreadable"] = checked
	return d, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
