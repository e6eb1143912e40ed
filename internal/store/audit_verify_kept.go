package store

import (
	"context"
	"errors"

	"github.com/kluis/kluis/internal/auditproof"
	"golang.org/x/mod/sumdb/note"
)

// VerifyAgainstCheckpoints checks tenant's log as stored against signed
// checkpoints (ADT-1): those a controller kept (kluis audit verify
// --checkpoint) or those kept in a restored copy (the restore test,
// SEC-5). A pruned log (AUD-2) is verified from its pruning record, read
// as an export carries it. v verifies the checkpoints; the log's origin is
// the tenant's under v's name.
func (db *DB) VerifyAgainstCheckpoints(ctx context.Context, tenantID string, v note.Verifier, kept []auditproof.SignedCheckpoint) (*auditproof.Report, error) {
	var pruned *auditproof.Pruned
	if p, err := db.LatestAuditPruning(ctx, tenantID); err == nil {
		pruned = p.Pruned()
	} else if !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	next, stop, err := db.AuditEvents(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	defer stop()
	return auditproof.VerifyFrom(tenantID, auditproof.Origin(v.Name()+"/", tenantID), v, pruned, kept, next)
}
