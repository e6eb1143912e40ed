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
//     transaction that the row still names it (inbox download); the full
//     export reads outside any write transaction; a transaction that finds
//     the objects it needs only as it goes (subject package, re-seal of a
//     kept file on erasure) names them and is rolled back, they are
//     fetched, and it runs again (withObjects).
//   - a kept file re-sealed with the tenant key on erasure moves into its
//     row (writing a new object would be a network call in the
//     transaction); the old object is swept.
//
// A path that meets an object it cannot read (no store configured, or a
// transaction run without withObjects) fails closed with
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
		tenantID, _, ok := strings.Cut(o.Key, "/")
		if !ok {
			continue // not ours
		}
		var rows int
		if err := db.sql.QueryRowContext(ctx, `SELECT count(*) FROM attachments WHERE tenant_id = $1 AND blob_key = $2`,
			tenantID, o.Key).Scan(&rows); err != nil {
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

// objectCache holds the sealed bytes of attachment objects fetched before
// a transaction that needs them (subject package, re-seal on erasure): the
// transaction makes no network call, it names what it lacks and fails with
// errNeedObjects; db.withObjects fetches those and runs it again.
type objectCache struct {
	got     map[string][]byte
	missing map[string]bool
}

// errNeedObjects: the transaction needs objects not fetched yet; it is
// rolled back and run again once they are.
var errNeedObjects = errors.New("attachment objects are needed")

// objectAttempts bounds the runs of one withObjects: each run fetches
// every object a step of it found missing.
const objectAttempts = 16

// withObjects runs step — one db.write whose function calls
// tx.withObjects(c, …) — until it no longer lacks objects. Without an
// object store no row names one, and step runs once.
func (db *DB) withObjects(ctx context.Context, step func(c *objectCache) error) error {
	c := &objectCache{got: map[string][]byte{}, missing: map[string]bool{}}
	for attempt := 1; ; attempt++ {
		err := step(c)
		if !errors.Is(err, errNeedObjects) {
			return err
		}
		if attempt == objectAttempts {
			return fmt.Errorf("%w: still missing after %d attempts", ErrAttachmentInObjectStore, attempt)
		}
		for k := range c.missing {
			b, err := db.attachmentObject(ctx, k)
			if err != nil {
				return err
			}
			c.got[k] = b
		}
		clear(c.missing)
	}
}

// withObjects makes c's objects readable by tx.object while fn runs; the
// requests batched into one transaction run one after the other, so the
// field is the running request's.
func (tx *Tx) withObjects(c *objectCache, fn func() error) error {
	tx.objects = c
	defer func() { tx.objects = nil }()
	return fn()
}

// object returns the sealed bytes under key fetched before the
// transaction; when they were not, it notes key as missing and returns
// nil: the caller goes on collecting and then ends with tx.lacksObjects.
func (tx *Tx) object(key string) ([]byte, error) {
	c := tx.objects
	if c == nil {
		return nil, ErrAttachmentInObjectStore
	}
	if b, ok := c.got[key]; ok {
		return b, nil
	}
	c.missing[key] = true
	return nil, nil
}

// lacksObjects is errNeedObjects when tx.object noted a missing object.
func (tx *Tx) lacksObjects() error {
	if tx.objects != nil && len(tx.objects.missing) > 0 {
		return errNeedObjects
	}
	return nil
}
