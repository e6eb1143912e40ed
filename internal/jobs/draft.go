package jobs

import (
	"context"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/store"
)

// KindDraftSweep deletes the attachments of form drafts whose time ran out
// (store.DraftTTL): a citizen who never sent the form leaves nothing
// behind for longer than that and a sweep period (SEC-1, REG-4).
const KindDraftSweep = "submission.draft.sweep"

// draftSweep is the handler of KindDraftSweep; idempotent, since what is
// deleted is gone and the rest has not expired.
func draftSweep(ctx context.Context, db *store.DB, j store.Job) error {
	actor := audit.System(KindDraftSweep)
	actor.RequestID = "job-" + j.ID
	_, err := db.SweepDrafts(ctx, actor)
	return err
}
