package store

import (
	"context"
	"fmt"
)

// WriterQueueLength is how many writes wait for the single writer, both
// lanes (interactive and bulk) together: the operators' early sign that
// the disk no longer keeps up (SEC-3).
func (db *DB) WriterQueueLength() int { return len(db.wq) + len(db.bq) }

// ObserveBatches makes fn hear the number of requests in every batch the
// writer commits from now on; nil stops it. fn runs on the writer's
// goroutine and must be quick.
func (db *DB) ObserveBatches(fn func(size int)) {
	if fn == nil {
		db.onBatch.Store(nil)
		return
	}
	db.onBatch.Store(&fn)
}

// OutboxCounts are the platform's outgoing queues by state: counts only,
// across tenants, with nothing about any message or person.
type OutboxCounts struct {
	MailPending, MailFailed       int64
	WebhookPending, WebhookFailed int64
}

// Outboxes counts the mail outbox and the webhook deliveries that wait
// (pending or being sent) or have given up (failed). A platform-level read
// for the operators' metrics: it reads no personal data, only row counts,
// so it writes no audit event.
func (db *DB) Outboxes(ctx context.Context) (OutboxCounts, error) {
	var c OutboxCounts
	err := db.sql.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM mail_outbox WHERE status IN ('pending', 'sending')),
		(SELECT count(*) FROM mail_outbox WHERE status = 'failed'),
		(SELECT count(*) FROM webhook_deliveries WHERE status IN ('pending', 'sending')),
		(SELECT count(*) FROM webhook_deliveries WHERE status = 'failed')`).
		Scan(&c.MailPending, &c.MailFailed, &c.WebhookPending, &c.WebhookFailed)
	if err != nil {
		return c, fmt.Errorf("count outboxes: %w", err)
	}
	return c, nil
}
