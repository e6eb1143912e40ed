package store

import (
	"context"

	"github.com/kluis/kluis/internal/audit"
)

// VerifyAuditInParts lets the external tests choose how many parts a chain
// is verified in.
func (db *DB) VerifyAuditInParts(ctx context.Context, tenantID string, head audit.Head, parts int) (int64, error) {
	return db.verifyAudit(ctx, tenantID, head, parts)
}

// ResetDecoys is how many decoy reset mails db has sealed.
func (db *DB) ResetDecoys() int64 { return db.resetDecoys.Load() }
