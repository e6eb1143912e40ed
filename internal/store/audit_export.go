package store

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/auditproof"
)

// ExportAuditLog writes tenant's whole log to w in the export format of
// docs/audit.md (JSON Lines), for verification against kept checkpoints
// (ADT-1), and returns the number of events written. The export is first
// recorded in the log itself (audit.export, by actor: AUD-3), so that it
// holds its own event. A pruned log's export starts after its latest
// pruning record, which its header carries (AUD-2). The events are
// streamed from the database, never held together in memory.
//
// A pruning moving on between the record's read and the events' makes an
// export that fails its chain check: export again then.
func (db *DB) ExportAuditLog(ctx context.Context, actor audit.Actor, tenantID string, w io.Writer) (int64, error) {
	head, err := db.AuditHead(ctx, tenantID)
	if err != nil {
		return 0, err
	}
	var pruned *auditproof.Pruned
	first := int64(1)
	if p, err := db.LatestAuditPruning(ctx, tenantID); err == nil {
		pruned, first = p.Pruned(), p.Size+1
	} else if !errors.Is(err, ErrNotFound) {
		return 0, err
	}
	if err := db.Audit(ctx, audit.Event{TenantID: tenantID, Actor: actor, Action: "audit.export",
		ObjectType: "audit_log", ObjectID: fmt.Sprintf("%d-%d", first, head.Seq+1),
		Purpose: "audit log export for offline verification", Outcome: audit.OutcomeSuccess}); err != nil {
		return 0, err
	}
	x, err := auditproof.NewPrunedExportWriter(w, tenantID, pruned)
	if err != nil {
		return 0, err
	}
	var n int64
	if err := db.EachAuditEvent(ctx, tenantID, func(e *audit.Event) error {
		n++
		return x.Write(e)
	}); err != nil {
		return n, err
	}
	return n, x.Flush()
}
