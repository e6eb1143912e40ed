package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/objstore"
)

// Large attachments in the shared object store (KLUIS_STORAGE, so that any
// node serves them). A file larger than Options.AttachmentThreshold is
// sealed exactly as one kept in the database — the same key (tenant or
// person), the same associated data (attachments.data of its row) — and
// only where the sealed bytes live differs: the object
// "<tenant>/<attachment id>" (ids only, no personal data in a key; SEC-2),
// named by the row's blob_key, with data left empty.
//
// The store makes no network call inside a write transaction:
//   - intake puts the objects before the transaction that inserts the rows,
//     and deletes them at once when that transaction does not commit;
//   - rows are deleted (retention, erasure, termination, drafts) without
//     touching the store; SweepAttachmentObjects, a job, deletes every
//     object older than a grace period that no row names. An object put by
//     a crashed intake is swept the same way. One sweep covers every delete
//     path, present and future, so no path can forget its objects (END-1,
//     DSR-1); until the sweep runs an orphan object is ciphertext whose row,
//     and so its name and purpose, is gone.
//   - a read fetches the object before its transaction and checks in the
//     transaction that the row still names it.
//
// Paths not yet able to read an object fail closed with
// ErrAttachmentInObjectStore rather than hand over an empty file.

// ErrAttachmentInObjectStore: an attachment's sealed bytes are in the
// object store and this path cannot read them there yet.
var ErrAttachmentInObjectStore = errors.New("attachment is kept in the object store, which this operation does not read yet")

// AttachmentObjectGrace is how old an object must be before a sweep may
// delete it for want of a row: longer than any intake transaction.
const AttachmentObjectGrace = time.Hour

func attachmentObjectKey(tenantID, id string) string { return tenantID + "/" + id }

// inObjectStore tells whether a file of size bytes goes to the object store.
func (db *DB) inObjectStore(size int) bool {
	return db.blobs != nil && int64(size) > db.blobOver
}

// deleteAttachmentObjects removes objects whose rows were never committed.
// A failure leaves them to the sweep.
func (db *DB) deleteAttachmentObjects(ctx context.Context, keys []string) {
	ctx = context.WithoutCancel(ctx)
	for _, k := range keys {
		if err := db.blobs.Delete(ctx, k); err != nil {
			db.logger().Warn("attachment object left for the sweep", "store", db.blobs.Location(), "error", err)
		}
	}
}

// fetchAttachmentObject reads the sealed bytes of an attachment before the
// transaction that opens it: its blob_key (no personal data) is looked up
// outside the transaction, then the object. key is "" for a file kept in
// the database. A missing object gives nil bytes, which fail to open and
// are recorded as unreadable.
func (db *DB) fetchAttachmentObject(ctx context.Context, tenantID, submissionID, attachmentID string) (key string, sealed []byte, err error) {
	var k sql.NullString
	err = db.sql.QueryRowContext(ctx, `SELECT blob_key FROM attachments WHERE tenant_id = $1 AND submission_id = $2 AND id = $3`,
		tenantID, submissionID, attachmentID).Scan(&k)
	if errors.Is(err, sql.ErrNoRows) || err == nil && !k.Valid {
		return "", nil, nil
	}
	if err != nil {
		return "", nil, err
	}
	if sealed, err = db.attachmentObject(ctx, k.String); err != nil {
		return "", nil, fmt.Errorf("attachment %s: %w", attachmentID, err)
	}
	return k.String, sealed, nil
}

// attachmentObject reads the sealed bytes under key; nil when the object
// is missing (they then fail to open, and are recorded as unreadable).
func (db *DB) attachmentObject(ctx context.Context, key string) ([]byte, error) {
	if db.blobs == nil {
		return nil, fmt.Errorf("%w (KLUIS_STORAGE is not set)", ErrAttachmentInObjectStore)
	}
	r, err := db.blobs.Get(ctx, key)
	if errors.Is(err, objstore.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("object store: %w", err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("object store: %w", err)
	}
	return b, nil
}

// SweepAttachmentObjects deletes every attachment object modified before
// before that no attachment row names: the files of submissions deleted by
// retention, erasure or termination, and those of intakes that never
// committed. It returns how many it deleted. Without an object store it
// does nothing.
func (db *DB) SweepAttachmentObjects(ctx context.Context, before time.Time) (int, error) {
	if db.blobs == nil {
		return 0, nil
	}
	objs, err := db.blobs.List(ctx, "")
	if err != nil {
		return 0, fmt.Errorf("sweep attachment objects: %w", err)
	}
	n := 0
	for _, o := range objs {
		if !o.Modified.Before(before) {
			continue
		}
		tenantID, id, ok := strings.Cut(o.Key, "/")
		if !ok {
			continue // not ours
		}
		var rows int
		if err := db.sql.QueryRowContext(ctx, `SELECT count(*) FROM attachments WHERE tenant_id = $1 AND id = $2 AND blob_key = $3`,
			tenantID, id, o.Key).Scan(&rows); err != nil {
			return n, fmt.Errorf("sweep attachment objects: %w", err)
		}
		if rows > 0 {
			continue
		}
		if err := db.blobs.Delete(ctx, o.Key); err != nil {
			return n, fmt.Errorf("sweep attachment objects: %w", err)
		}
		n++
	}
	return n, nil
}

// refuseObjectFiles fails with ErrAttachmentInObjectStore when a file of
// the submission has its sealed bytes in the object store: for paths that
// run inside a transaction, where no network call is made, and cannot yet
// read such a file (subject package, re-seal on erasure).
func (tx *Tx) refuseObjectFiles(tenantID, submissionID string) error {
	var n int
	if err := tx.queryRow(`SELECT count(*) FROM attachments WHERE tenant_id = $1 AND submission_id = $2 AND blob_key IS NOT NULL`,
		tenantID, submissionID).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return fmt.Errorf("submission %s: %w", submissionID, ErrAttachmentInObjectStore)
	}
	return nil
}
