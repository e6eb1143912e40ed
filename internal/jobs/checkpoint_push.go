package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/webhook"
)

// KindCheckpointPush pushes new checkpoints to the tenants' checkpoint
// webhooks (AUD-2, ADT-1).
const KindCheckpointPush = "checkpoint.push"

// Headers of a checkpoint push besides the Standard Webhooks ones: which
// tenant's log, and the checkpoint's size, so that a receiver can file it
// without parsing the note.
const (
	HeaderCheckpointTenant = "Kluis-Tenant"
	HeaderCheckpointSize   = "Kluis-Checkpoint-Size"
)

// checkpointPushBatch is how many hooks one claim takes.
const checkpointPushBatch = 20

// CheckpointPushHandler returns the handler of KindCheckpointPush,
// delivering with c (nil: webhook.NewClient with no allow-list). Each run
// pushes every hook's checkpoints not delivered yet, oldest first, one
// POST each: the signed note as text/plain, signed like every webhook
// (webhook-id "checkpoint_<tenant>_<size>", the same on every retry). A
// failed push is tried again after webhook.Backoff by a later run; the
// next checkpoint waits for it, so that the receiver gets them in order.
func CheckpointPushHandler(c *webhook.Client, log *slog.Logger) Handler {
	c, log = webhookDefaults(c, log)
	return func(ctx context.Context, db *store.DB, j store.Job) error {
		for ctx.Err() == nil {
			due, err := db.DueCheckpointPushes(ctx, checkpointPushBatch)
			if err != nil || len(due) == 0 {
				return err
			}
			for _, p := range due {
				size := strconv.FormatInt(p.Checkpoint.Size, 10)
				r := c.Deliver(ctx, webhook.Message{URL: p.URL, ID: fmt.Sprintf("checkpoint_%s_%s", p.TenantID, size), Secret: p.Secret,
					Body: p.Checkpoint.Note, Time: db.Now(), ContentType: "text/plain; charset=utf-8",
					Header: http.Header{HeaderCheckpointTenant: {p.Slug}, HeaderCheckpointSize: {size}}})
				octx := context.WithoutCancel(ctx)
				if r.Delivered {
					if err := db.CheckpointPushed(octx, p.TenantID, p.Checkpoint.Size, r.Status); err != nil {
						return err
					}
					log.Info("jobs: checkpoint pushed", "tenant", p.TenantID, "size", size, "status", r.Status, "job", j.ID)
					continue
				}
				if err := db.CheckpointPushFailed(octx, p.TenantID, r.Status, r.Reason); err != nil {
					return err
				}
				log.Warn("jobs: checkpoint not pushed", "tenant", p.TenantID, "size", size, "attempt", p.Attempts+1,
					"status", r.Status, "reason", r.Reason, "job", j.ID)
			}
		}
		return nil
	}
}
