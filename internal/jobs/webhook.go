package jobs

import (
	"context"
	"log/slog"

	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/webhook"
)

// KindWebhookSend delivers the webhook outbox.
const KindWebhookSend = "webhook.send"

// webhookBatch is how many deliveries one claim takes; with the client's
// timeout it bounds a run well inside store.WebhookSendingTimeout.
const webhookBatch = 20

// WebhookHandler returns the handler of KindWebhookSend, delivering with
// c. Each run claims due deliveries (the store re-checks each destination
// against the tenant's current register first), signs and posts them, and
// records every outcome: delivered, or failed (for good when the
// destination was refused, else to be retried after webhook.Backoff).
// With no client (nil) it uses webhook.NewClient with no allow-list.
//
// Handlers() holds the handler without a client; `kluis serve` replaces
// it with one that honours KLUIS_WEBHOOK_ALLOW_NETWORKS:
//
//	h[jobs.KindWebhookSend] = jobs.WebhookHandler(webhook.NewClient(…), log)
func WebhookHandler(c *webhook.Client, log *slog.Logger) Handler {
	c, log = webhookDefaults(c, log)
	return func(ctx context.Context, db *store.DB, j store.Job) error {
		for ctx.Err() == nil {
			ds, err := db.ClaimWebhookDeliveries(ctx, webhookBatch)
			if err != nil {
				return err
			}
			for _, d := range ds {
				if ctx.Err() != nil {
					return nil // what is left is due again after the sending timeout
				}
				r := c.Deliver(ctx, webhook.Message{URL: d.URL, ID: d.EventID, Secret: d.Secret, Body: d.Body, Time: db.Now()})
				// Record the outcome even when ctx ends meanwhile: an
				// accepted delivery must not go out again.
				octx := context.WithoutCancel(ctx)
				if r.Delivered {
					if err := db.WebhookDelivered(octx, d.ID, r.Status); err != nil {
						return err
					}
					log.Info("jobs: webhook delivered", "delivery", d.ID, "tenant", d.TenantID, "event", d.Event,
						"attempt", d.Attempts, "status", r.Status, "job", j.ID)
					continue
				}
				if err := db.WebhookAttemptFailed(octx, d.ID, r.Status, r.Permanent, r.Reason); err != nil {
					return err
				}
				log.Warn("jobs: webhook not delivered", "delivery", d.ID, "tenant", d.TenantID, "event", d.Event,
					"attempt", d.Attempts, "status", r.Status, "permanent", r.Permanent, "reason", r.Reason, "job", j.ID)
			}
			if len(ds) < webhookBatch {
				return nil
			}
		}
		return nil
	}
}

// webhookDefaults are a webhook handler's client and logger: without a
// client, one with no allow-list; without a logger, slog's default.
func webhookDefaults(c *webhook.Client, log *slog.Logger) (*webhook.Client, *slog.Logger) {
	if log == nil {
		log = slog.Default()
	}
	if c == nil {
		c = webhook.NewClient(webhook.ClientOptions{})
	}
	return c, log
}
