package jobs

import (
	"context"
	"time"

	"github.com/kluis/kluis/internal/store"
)

// KindAttachmentSweep deletes the objects of large attachments (in the
// shared object store, KLUIS_STORAGE) that no attachment row names any
// more: the files of submissions deleted by retention (SEC-1), erasure
// (DSR-1) or the end of a contract (END-4), and those of intakes that never
// committed. Deleting rows makes no network call inside its transaction;
// this sweep does the store's part after (see store/attachment_objects.go).
const KindAttachmentSweep = "attachment.sweep"

// attachmentSweep is the handler of KindAttachmentSweep; idempotent, and
// a no-op without an object store. Objects younger than
// store.AttachmentObjectGrace are left: their intake may still commit.
func attachmentSweep(ctx context.Context, db *store.DB, j store.Job) error {
	_, err := db.SweepAttachmentObjects(ctx, time.Now().Add(-store.AttachmentObjectGrace))
	return err
}
