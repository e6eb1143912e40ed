package store

import (
	"context"
	"crypto/rand"
	"fmt"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/audit"
)

// VerifyAuditInParts lets the external tests choose how many parts a chain
// is verified in.
func (db *DB) VerifyAuditInParts(ctx context.Context, tenantID string, head audit.Head, parts int) (int64, error) {
	return db.verifyAudit(ctx, tenantID, head, parts)
}

// ResetDecoys is how many decoy reset mails db has sealed.
func (db *DB) ResetDecoys() int64 { return db.resetDecoys.Load() }

// BenchSubmission is one row for BulkSubmissions.
type BenchSubmission struct {
	FormKey     string
	FormVersion int
	Answers     []byte
	Subject     string
	Status      string
	AssigneeID  string
	CreatedAt   time.Time
	DueAt       time.Time // zero: no handling time
}

// BulkSubmissions stores n sealed submissions of tenantID for the
// benchmarks, 100 rows per statement in transactions of 10,000, without
// audit events or statistics: test data only, never a product path (it
// lives in a _test.go file).
func (db *DB) BulkSubmissions(ctx context.Context, tenantID string, n int, gen func(i int) BenchSubmission) error {
	const perStmt, perTx = 100, 10_000
	for start := 0; start < n; start += perTx {
		tx, err := db.sql.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		for s := start; s < min(n, start+perTx); s += perStmt {
			var b strings.Builder
			b.WriteString(`INSERT INTO submissions (id, tenant_id, form_key, subject_index, data, created_at, form_version, register_version,
				reference, status, assignee_id, updated_at, due_at) VALUES `)
			var args []any
			for i := s; i < min(n, start+perTx, s+perStmt); i++ {
				r := gen(i)
				id := newID(r.CreatedAt)
				sealed, err := db.keys.Seal(tenantID, submissionAD(tenantID, id), r.Answers)
				if err != nil {
					tx.Rollback()
					return err
				}
				index, err := db.keys.BlindIndex(tenantID, "subject", []byte(r.Subject))
				if err != nil {
					tx.Rollback()
					return err
				}
				var ref [10]byte
				rand.Read(ref[:])
				var assignee any
				if r.AssigneeID != "" {
					assignee = r.AssigneeID
				}
				if len(args) > 0 {
					b.WriteString(", ")
				}
				p := len(args)
				fmt.Fprintf(&b, "($%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d)", p+1, p+2, p+3, p+4, p+5, p+6, p+7, p+8, p+9,
					p+10, p+11, p+12, p+13)
				args = append(args, id, tenantID, r.FormKey, index, sealed, micros(r.CreatedAt), r.FormVersion, 1, referenceOf(ref[:]),
					r.Status, assignee, micros(r.CreatedAt), dueMicros(r.DueAt))
			}
			if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
				tx.Rollback()
				return err
			}
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	if db.dialect == Postgres {
		_, err := db.sql.ExecContext(ctx, `ANALYZE submissions`)
		return err
	}
	_, err := db.sql.ExecContext(ctx, `ANALYZE`)
	return err
}

// ComingWrites is how many announced writes the writer still waits for.
func (db *DB) ComingWrites() int64 { return db.coming.Load() }
