package store

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/auditproof"
	"golang.org/x/mod/sumdb/note"
)

// A checkpoint is the platform's signed statement of a tenant's log: its
// first Size events have the Merkle root Root (AUD-2, AUD-3, ADT-1). The
// store signs one from the tree frontier kept beside the chain's head, so
// signing costs the same for ten events or ten million. Every checkpoint
// signed is kept in audit_checkpoints for the audit page, the DPO's digest
// and the webhook; the copies that prove something are the ones the
// controller keeps outside the platform.

// Checkpoint is a signed checkpoint as the store keeps it.
type Checkpoint struct {
	TenantID string
	Size     int64
	Root     []byte
	Note     []byte // the signed note, as handed out
	SignedAt time.Time
}

// CheckpointKey is the platform's checkpoint signer with the
// verification key controllers hold for it.
type CheckpointKey struct {
	Signer      note.Signer
	VerifierKey string // the note verifier key, "name+hash+base64"
	Fingerprint string
	Created     bool // made by this call (first use)
}

// CheckpointKey is CheckpointKeyBy for the platform itself (the job, a
// page): the key's making, if it happens, is the system's.
func (db *DB) CheckpointKey(name string) (CheckpointKey, error) {
	return db.CheckpointKeyBy(context.Background(), audit.System("checkpoint-key"), name)
}

// CheckpointKeyBy returns the platform's checkpoint-signing key from the
// keyring, making it, named name, on first use; its making is recorded in
// the platform log, by actor, with its fingerprint: it concerns every
// tenant (AUD-3).
func (db *DB) CheckpointKeyBy(ctx context.Context, actor audit.Actor, name string) (CheckpointKey, error) {
	if err := db.requireKeys(); err != nil {
		return CheckpointKey{}, err
	}
	keyName, priv, created, err := db.keys.CheckpointKey(name)
	if err != nil {
		return CheckpointKey{}, err
	}
	// The signer holds priv for as long as the caller keeps it.
	signer, err := auditproof.NewSigner(keyName, priv)
	if err != nil {
		return CheckpointKey{}, err
	}
	vkey, err := auditproof.VerifierKey(keyName, priv.Public().(ed25519.PublicKey))
	if err != nil {
		return CheckpointKey{}, err
	}
	fp, err := auditproof.Fingerprint(vkey)
	if err != nil {
		return CheckpointKey{}, err
	}
	if created {
		if err := db.PlatformLog(ctx, actor, "platform.checkpoint_key", PlatformAll, fp); err != nil {
			return CheckpointKey{}, err
		}
	}
	return CheckpointKey{Signer: signer, VerifierKey: vkey, Fingerprint: fp, Created: created}, nil
}

// CheckpointOrigin is the origin line of tenant's checkpoints signed by signer.
func CheckpointOrigin(signer note.Signer, tenantID string) string {
	return auditproof.Origin(signer.Name()+"/", tenantID)
}

// SignCheckpoint signs a checkpoint of tenant's log as it stands and keeps
// it. When actor is not nil (a person or the CLI asked for it), its request
// is first recorded in the log as audit.checkpoint (AUD-3), and the
// checkpoint covers that event too. Without an actor (the periodic job),
// a log that has not grown since its latest checkpoint gets no new one:
// that one is returned and created is false.
//
// Before it signs, it checks that the last event is the head the tree was
// moved with: a log whose end was cut or replaced behind the store's back
// is not blessed with a signature.
func (db *DB) SignCheckpoint(ctx context.Context, tenantID string, signer note.Signer, actor *audit.Actor) (cp Checkpoint, created bool, err error) {
	err = db.write(ctx, func(tx *Tx) error {
		head, err := tx.head(tenantID)
		if err != nil {
			return err
		}
		if actor == nil {
			latest, err := tx.latestCheckpoint(tenantID)
			if err == nil && latest.Size == head.Seq {
				cp, created = latest, false
				return nil
			} else if err != nil && !errors.Is(err, ErrNotFound) {
				return err
			}
		} else {
			if err := tx.appendAudit(audit.Event{TenantID: tenantID, Actor: *actor, Action: "audit.checkpoint",
				ObjectType: "audit_log", ObjectID: fmt.Sprint(head.Seq + 1),
				Purpose: "signed checkpoint for the controller"}); err != nil {
				return err
			}
			if head, err = tx.head(tenantID); err != nil {
				return err
			}
		}
		if head.Seq > 0 {
			var last []byte
			if err := tx.queryRow(`SELECT hash FROM audit_events WHERE tenant_id = $1 AND seq = $2`, tenantID, head.Seq).Scan(&last); err != nil || !bytes.Equal(last, head.Hash) {
				return fmt.Errorf("audit: the last event of tenant %s is not its head %d: no checkpoint signed", tenantID, head.Seq)
			}
		}
		tree, err := auditproof.ResumeLogBytes(uint64(head.Seq), head.tree)
		if err != nil {
			return fmt.Errorf("audit: tree of tenant %s: %w", tenantID, err)
		}
		c := auditproof.Checkpoint{Origin: CheckpointOrigin(signer, tenantID), Size: tree.Size(), Root: tree.Root()}
		signed, err := auditproof.Sign(c, signer)
		if err != nil {
			return err
		}
		cp = Checkpoint{TenantID: tenantID, Size: head.Seq, Root: c.Root, Note: signed, SignedAt: fromMicros(micros(db.now()))}
		if _, err := tx.exec(`INSERT INTO audit_checkpoints (tenant_id, size, root, note, signed_at) VALUES ($1, $2, $3, $4, $5)`,
			cp.TenantID, cp.Size, cp.Root, string(cp.Note), micros(cp.SignedAt)); err != nil {
			return fmt.Errorf("keep checkpoint: %w", err)
		}
		created = true
		return nil
	})
	return cp, created, err
}

// head is tenant's head and tree as this transaction sees them.
func (tx *Tx) head(tenantID string) (chainHead, error) {
	if h, ok := tx.heads[tenantID]; ok {
		return h, nil
	}
	h, err := tx.readHead(tenantID, true)
	if err == nil {
		tx.heads[tenantID] = h
	}
	return h, err
}

const checkpointColumns = `tenant_id, size, root, note, signed_at`

func scanCheckpoint(row interface{ Scan(...any) error }) (Checkpoint, error) {
	var c Checkpoint
	var n string
	var at int64
	if err := row.Scan(&c.TenantID, &c.Size, &c.Root, &n, &at); err != nil {
		return c, err
	}
	c.Note, c.SignedAt = []byte(n), fromMicros(at)
	return c, nil
}

func (tx *Tx) latestCheckpoint(tenantID string) (Checkpoint, error) {
	c, err := scanCheckpoint(tx.queryRow(`SELECT `+checkpointColumns+` FROM audit_checkpoints
		WHERE tenant_id = $1 ORDER BY size DESC LIMIT 1`, tenantID))
	if errors.Is(err, sql.ErrNoRows) {
		return c, ErrNotFound
	}
	return c, err
}

// LatestCheckpoint is tenant's most recent checkpoint; ErrNotFound when
// none was signed yet.
func (db *DB) LatestCheckpoint(ctx context.Context, tenantID string) (Checkpoint, error) {
	c, err := scanCheckpoint(db.sql.QueryRowContext(ctx, `SELECT `+checkpointColumns+` FROM audit_checkpoints
		WHERE tenant_id = $1 ORDER BY size DESC LIMIT 1`, tenantID))
	if errors.Is(err, sql.ErrNoRows) {
		return c, ErrNotFound
	}
	if err != nil {
		return c, fmt.Errorf("latest checkpoint: %w", err)
	}
	return c, nil
}

// CheckpointOfSize is tenant's checkpoint of the given size; ErrNotFound
// when none was signed at that size.
func (db *DB) CheckpointOfSize(ctx context.Context, tenantID string, size int64) (Checkpoint, error) {
	c, err := scanCheckpoint(db.sql.QueryRowContext(ctx, `SELECT `+checkpointColumns+` FROM audit_checkpoints
		WHERE tenant_id = $1 AND size = $2`, tenantID, size))
	if errors.Is(err, sql.ErrNoRows) {
		return c, ErrNotFound
	}
	if err != nil {
		return c, fmt.Errorf("checkpoint: %w", err)
	}
	return c, nil
}

// Checkpoints lists tenant's checkpoints signed at or after since, newest
// first, at most limit of them.
func (db *DB) Checkpoints(ctx context.Context, tenantID string, since time.Time, limit int) ([]Checkpoint, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT `+checkpointColumns+` FROM audit_checkpoints
		WHERE tenant_id = $1 AND signed_at >= $2 ORDER BY size DESC LIMIT $3`, tenantID, micros(since), limit)
	if err != nil {
		return nil, fmt.Errorf("checkpoints: %w", err)
	}
	defer rows.Close()
	var out []Checkpoint
	for rows.Next() {
		c, err := scanCheckpoint(rows)
		if err != nil {
			return nil, fmt.Errorf("checkpoints: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// UncheckpointedLogs lists the tenants (the operators' realm included)
// whose log grew since their latest checkpoint, or that have none.
func (db *DB) UncheckpointedLogs(ctx context.Context) ([]string, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT h.tenant_id FROM audit_heads h
		LEFT JOIN (SELECT tenant_id, max(size) AS size FROM audit_checkpoints GROUP BY tenant_id) c ON c.tenant_id = h.tenant_id
		WHERE h.seq > COALESCE(c.size, -1) ORDER BY h.tenant_id`)
	if err != nil {
		return nil, fmt.Errorf("logs to checkpoint: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}
