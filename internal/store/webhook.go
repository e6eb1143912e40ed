package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/register"
	"github.com/kluis/kluis/internal/seal"
	"github.com/kluis/kluis/internal/webhook"
)

// Webhook statuses.
const (
	WebhookActive   = "active"
	WebhookDisabled = "disabled"
	WebhookDeleted  = "deleted"
)

// Webhook delivery statuses.
const (
	DeliveryPending   = "pending"
	DeliverySending   = "sending"
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed"
	DeliveryCancelled = "cancelled"
)

// WebhookSendingTimeout is how long a claimed delivery may stay "sending"
// before it counts as abandoned (the sender crashed) and is due again.
const WebhookSendingTimeout = 10 * time.Minute

// webhookActor is the party that delivers webhooks.
var webhookActor = audit.System("webhook.send")

// WebhookSubmission is what a webhook event says about a submission:
// identifiers and status, no personal data.
type WebhookSubmission struct {
	ID          string
	Reference   string
	FormKey     string
	FormVersion int
	Status      string
}

// NewWebhook is the input of CreateWebhook. Entry names the register
// entry the destination is registered under ("recipient:KEY",
// "sub_processor:KEY"); "" finds it by the URL's origin.
type NewWebhook struct {
	URL    string
	Events []string
	Entry  string
}

// Webhook is a tenant's hook, without its secret.
type Webhook struct {
	ID, TenantID, URL, Origin string
	Events                    []string
	EntryKind, EntryKey       string
	Status                    string
	CreatedAt, UpdatedAt      time.Time
	CreatedBy                 string
}

// EntryRef names the hook's register entry ("recipient:KEY").
func (w Webhook) EntryRef() string { return w.EntryKind + ":" + w.EntryKey }

// WebhookDelivery is one event for one hook in the outbox.
type WebhookDelivery struct {
	ID, TenantID, WebhookID, EventID, Event, Status string
	Attempts                                        int
	NextAttemptAt                                   time.Time
	// LastStatus is the HTTP status of the last attempt (0: none came).
	LastStatus int
	// LastError is a short reason of Kluis's own wording, never the
	// receiver's answer.
	LastError   string
	CreatedAt   time.Time
	DeliveredAt *time.Time
}

// ClaimedWebhook is a delivery taken for sending, with what the sender
// needs: the destination, the opened secret and the body.
type ClaimedWebhook struct {
	WebhookDelivery
	URL    string
	Secret string
	Body   []byte
}

// WebhookRefusedError lists why a hook was not created: each problem
// names its form field and a locale key; the register rules (REG-2,
// LOC-1) are named in the messages.
type WebhookRefusedError struct{ Problems []webhook.Problem }

func (e *WebhookRefusedError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.Field + ": " + p.Reason()
	}
	return "webhook refused: " + strings.Join(parts, "; ")
}

func webhookSecretAD(tenantID, id string) seal.AD {
	return seal.AD{Tenant: tenantID, Table: "webhooks", Column: "secret", Row: id}
}

// CreateWebhook checks a hook against the tenant's current register and,
// when the destination is an endpoint of a recipient or sub-processor
// processing in the EEA, stores it with a new secret (sealed) and returns
// it with the secret, which is not shown again. Creation is audited
// ("webhook.create"), and so is a refusal (outcome denied) — then nothing
// else is saved and the error is a *WebhookRefusedError naming the
// register rule broken (REG-2, LOC-1).
func (db *DB) CreateWebhook(ctx context.Context, actor audit.Actor, tenantID string, in NewWebhook) (Webhook, string, error) {
	if err := db.requireKeys(); err != nil {
		return Webhook{}, "", err
	}
	in.URL = strings.TrimSpace(in.URL)
	secret, err := webhook.NewSecret()
	if err != nil {
		return Webhook{}, "", fmt.Errorf("create webhook: %w", err)
	}
	now := db.now()
	w := Webhook{ID: newID(now), TenantID: tenantID, URL: in.URL, Status: WebhookActive, CreatedAt: now, UpdatedAt: now,
		CreatedBy: actorName(actor)}
	for _, e := range webhook.Events { // canonical order, no duplicates
		if slices.Contains(in.Events, e) {
			w.Events = append(w.Events, e)
		}
	}
	sealed, err := db.keys.Seal(tenantID, webhookSecretAD(tenantID, w.ID), []byte(secret))
	if err != nil {
		return Webhook{}, "", fmt.Errorf("create webhook: %w", err)
	}
	err = db.write(ctx, func(tx *Tx) error {
		var active bool
		if err := tx.queryRow(`SELECT count(*) > 0 FROM tenants WHERE id = $1 AND status = 'active'`, tenantID).Scan(&active); err != nil {
			return err
		}
		if !active {
			return fmt.Errorf("tenant %q: %w", tenantID, ErrNotFound)
		}
		reg, _, err := tx.currentRegister(tenantID) // no register: nothing is registered (REG-2)
		if err != nil {
			return err
		}
		entry, problems := webhook.Check(reg, in.URL, in.Events, in.Entry)
		if len(problems) > 0 {
			reasons := make([]string, len(problems))
			for i, p := range problems {
				reasons[i] = p.Reason()
			}
			what := "refused"
			if origin, ok := webhook.Origin(in.URL); ok {
				what += " " + origin // an origin, never a path or query
			}
			if err := tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "webhook.create", ObjectType: "webhook",
				ObjectID: w.ID, Purpose: what + ": " + strings.Join(reasons, "; "),
				Outcome: audit.OutcomeDenied}); err != nil {
				return err
			}
			return keep(&WebhookRefusedError{Problems: problems})
		}
		w.Origin, _ = webhook.Origin(in.URL)
		w.EntryKind, w.EntryKey = entry.Kind, entry.Key
		if _, err := tx.exec(`INSERT INTO webhooks (id, tenant_id, url, origin, events, entry_kind, entry_key, secret, status,
			created_at, created_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'active', $9, $10, $9)`,
			w.ID, tenantID, w.URL, w.Origin, ","+strings.Join(w.Events, ",")+",", w.EntryKind, w.EntryKey, sealed,
			micros(now), w.CreatedBy); err != nil {
			return err
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "webhook.create", ObjectType: "webhook",
			ObjectID: w.ID, Purpose: fmt.Sprintf("%s for %s under %s (%s)", w.Origin, strings.Join(w.Events, ", "), w.EntryRef(),
				strings.ToUpper(entry.Country))})
	})
	var refused *WebhookRefusedError
	if errors.As(err, &refused) {
		return Webhook{}, "", refused
	}
	if err != nil {
		return Webhook{}, "", fmt.Errorf("create webhook: %w", err)
	}
	return w, secret, nil
}

const webhookColumns = `id, tenant_id, url, origin, events, entry_kind, entry_key, status, created_at, created_by, updated_at`

func scanWebhook(sc interface{ Scan(...any) error }) (Webhook, error) {
	var w Webhook
	var events string
	var created, updated int64
	err := sc.Scan(&w.ID, &w.TenantID, &w.URL, &w.Origin, &events, &w.EntryKind, &w.EntryKey, &w.Status, &created, &w.CreatedBy, &updated)
	w.Events = strings.FieldsFunc(events, func(r rune) bool { return r == ',' })
	w.CreatedAt, w.UpdatedAt = fromMicros(created), fromMicros(updated)
	return w, err
}

// Webhooks lists the tenant's hooks that are not deleted, oldest first.
// Hooks hold no personal data: the read is not audited.
func (db *DB) Webhooks(ctx context.Context, tenantID string) ([]Webhook, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT `+webhookColumns+` FROM webhooks WHERE tenant_id = $1 AND status <> 'deleted'
		ORDER BY created_at, id`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("list webhooks: %w", err)
	}
	defer rows.Close()
	var out []Webhook
	for rows.Next() {
		w, err := scanWebhook(rows)
		if err != nil {
			return nil, fmt.Errorf("list webhooks: %w", err)
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

// WebhookDeliveries lists up to limit of the newest deliveries of the
// tenant's hook webhookID. They hold no personal data.
func (db *DB) WebhookDeliveries(ctx context.Context, tenantID, webhookID string, limit int) ([]WebhookDelivery, error) {
	if limit <= 0 {
		limit = 10
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT id, tenant_id, webhook_id, event_id, event, status, attempts, next_attempt_at,
		last_status, last_error, created_at, delivered_at FROM webhook_deliveries WHERE tenant_id = $1 AND webhook_id = $2
		ORDER BY created_at DESC, id DESC LIMIT $3`, tenantID, webhookID, limit)
	if err != nil {
		return nil, fmt.Errorf("list webhook deliveries: %w", err)
	}
	defer rows.Close()
	var out []WebhookDelivery
	for rows.Next() {
		var d WebhookDelivery
		var next, created int64
		var delivered sql.NullInt64
		if err := rows.Scan(&d.ID, &d.TenantID, &d.WebhookID, &d.EventID, &d.Event, &d.Status, &d.Attempts, &next,
			&d.LastStatus, &d.LastError, &created, &delivered); err != nil {
			return nil, fmt.Errorf("list webhook deliveries: %w", err)
		}
		d.NextAttemptAt, d.CreatedAt = fromMicros(next), fromMicros(created)
		if delivered.Valid {
			t := fromMicros(delivered.Int64)
			d.DeliveredAt = &t
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// DisableWebhook stops a hook: it gets no new events and its pending
// deliveries are cancelled; audited ("webhook.disable"). ErrNotFound when
// the tenant has no such hook (or it is deleted), ErrConflict when it is
// not active.
func (db *DB) DisableWebhook(ctx context.Context, actor audit.Actor, tenantID, id string) error {
	return db.endWebhook(ctx, actor, tenantID, id, WebhookDisabled)
}

// DeleteWebhook removes a hook: like DisableWebhook, and its secret is
// erased; the row stays for its delivery history. Audited
// ("webhook.delete"). ErrNotFound when the tenant has no such hook.
func (db *DB) DeleteWebhook(ctx context.Context, actor audit.Actor, tenantID, id string) error {
	return db.endWebhook(ctx, actor, tenantID, id, WebhookDeleted)
}

func (db *DB) endWebhook(ctx context.Context, actor audit.Actor, tenantID, id, to string) error {
	err := db.write(ctx, func(tx *Tx) error { return tx.endWebhook(actor, tenantID, id, to) })
	if err != nil {
		return fmt.Errorf("%s: %w", webhookEndAction[to], err)
	}
	return nil
}

var webhookEndAction = map[string]string{WebhookDisabled: "webhook.disable", WebhookDeleted: "webhook.delete"}

// endWebhook disables or deletes a hook inside a write, with its audit
// event; disabling is also the containment of a breach (BRE-2).
func (tx *Tx) endWebhook(actor audit.Actor, tenantID, id, to string) error {
	action := webhookEndAction[to]
	var status string
	err := tx.queryRow(`SELECT status FROM webhooks WHERE tenant_id = $1 AND id = $2`, tenantID, id).Scan(&status)
	if errors.Is(err, sql.ErrNoRows) || status == WebhookDeleted {
		return fmt.Errorf("webhook %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return err
	}
	if to == WebhookDisabled && status != WebhookActive {
		return fmt.Errorf("webhook %s is %s: %w", id, status, ErrConflict)
	}
	now := micros(tx.db.now())
	q := `UPDATE webhooks SET status = $1, updated_at = $2 WHERE id = $3`
	if to == WebhookDeleted {
		q = `UPDATE webhooks SET status = $1, updated_at = $2, secret = $4 WHERE id = $3`
	}
	args := []any{to, now, id}
	if to == WebhookDeleted {
		args = append(args, []byte{})
	}
	if _, err := tx.exec(q, args...); err != nil {
		return err
	}
	res, err := tx.exec(`UPDATE webhook_deliveries SET status = 'cancelled', last_error = $1
		WHERE webhook_id = $2 AND status = 'pending'`, "cancelled: the hook was "+to, id)
	if err != nil {
		return err
	}
	n, _ := res.RowsAffected()
	return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: action, ObjectType: "webhook", ObjectID: id,
		Purpose: fmt.Sprintf("%d pending deliveries cancelled", n)})
}

// enqueueWebhooks queues event (webhook.EventSubmissionCreated, …) about s
// for every active hook of the tenant that subscribes to it, inside tx, so
// that a notice goes out if and only if the change commits. It is one
// INSERT … SELECT: a tenant without hooks pays one indexed lookup and no
// extra round trip. When anything was queued it records "webhook.queue"
// on the submission.
func (tx *Tx) enqueueWebhooks(tenantID, event string, s WebhookSubmission) error {
	ev, err := newWebhookEvent(tx.db.now(), event, s)
	if err != nil {
		return err
	}
	return tx.queueWebhookEvent(tenantID, ev)
}

// webhookEvent is one notice, its body already encoded: intake encodes it
// before the writer's transaction, so the single writer only inserts.
type webhookEvent struct {
	id, event, subjectID string
	body                 []byte
	at                   time.Time
}

func newWebhookEvent(now time.Time, event string, s WebhookSubmission) (webhookEvent, error) {
	if !slices.Contains(webhook.Events, event) {
		return webhookEvent{}, fmt.Errorf("queue webhooks: unknown event %q", event)
	}
	id := newID(now)
	body, err := webhook.Body(id, event, now, webhook.Submission{ID: s.ID, Reference: s.Reference, FormKey: s.FormKey,
		FormVersion: s.FormVersion, Status: s.Status})
	if err != nil {
		return webhookEvent{}, err
	}
	return webhookEvent{id: id, event: event, subjectID: s.ID, body: body, at: now}, nil
}

// queueWebhookEvent is enqueueWebhooks for an event encoded beforehand.
func (tx *Tx) queueWebhookEvent(tenantID string, ev webhookEvent) error {
	res, err := tx.exec(`INSERT INTO webhook_deliveries (id, tenant_id, webhook_id, event_id, event, body, status, attempts,
		next_attempt_at, last_status, last_error, created_at)
		SELECT CAST($1 AS TEXT) || '.' || id, tenant_id, id, CAST($1 AS TEXT), CAST($2 AS TEXT), CAST($3 AS TEXT), 'pending', 0,
		CAST($4 AS BIGINT), 0, '', CAST($4 AS BIGINT)
		FROM webhooks WHERE tenant_id = $5 AND status = 'active' AND events LIKE '%,' || CAST($2 AS TEXT) || ',%'`,
		ev.id, ev.event, string(ev.body), micros(ev.at), tenantID)
	if err != nil {
		return fmt.Errorf("queue webhooks: %w", err)
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: webhookActor, Action: "webhook.queue", ObjectType: "submission",
			ObjectID: ev.subjectID, Purpose: fmt.Sprintf("%s %s to %d hook(s)", ev.event, ev.id, n)})
	}
	return nil
}

// ClaimWebhookDeliveries takes up to limit due deliveries of every tenant
// (a platform-level query for the sender), marks them "sending" and
// returns them with their opened secrets. Before a delivery is handed out
// its destination is checked again against the tenant's current register:
// a destination no longer registered as a recipient or sub-processor in
// the EEA fails ("webhook.refused", naming the rule), as does one whose
// hook was disabled or whose secret cannot be opened. The caller reports
// each outcome with WebhookDelivered or WebhookAttemptFailed.
func (db *DB) ClaimWebhookDeliveries(ctx context.Context, limit int) ([]ClaimedWebhook, error) {
	if err := db.requireKeys(); err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = 20
	}
	var claimed []ClaimedWebhook
	var bad []unreadable // alerted once committed
	err := db.write(ctx, func(tx *Tx) error {
		claimed, bad = claimed[:0], nil // the writer may run fn again
		now := db.now()
		q := `SELECT d.id, d.tenant_id, d.webhook_id, d.event_id, d.event, d.body, d.status, d.attempts, d.created_at,
			w.url, w.entry_kind, w.entry_key, w.status, w.secret
			FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
			WHERE d.status IN ('pending', 'sending') AND d.next_attempt_at <= $1
			ORDER BY d.next_attempt_at, d.id LIMIT $2`
		if db.dialect == Postgres {
			q += ` FOR UPDATE OF d SKIP LOCKED`
		}
		type row struct {
			ClaimedWebhook
			kind, key, hookStatus string
			secret                []byte
			created               int64
		}
		rows, err := tx.tx.QueryContext(tx.ctx, q, micros(now), limit)
		if err != nil {
			return err
		}
		var due []row
		for rows.Next() {
			var r row
			var body string
			if err := rows.Scan(&r.ID, &r.TenantID, &r.WebhookID, &r.EventID, &r.Event, &body, &r.Status, &r.Attempts, &r.created,
				&r.URL, &r.kind, &r.key, &r.hookStatus, &r.secret); err != nil {
				rows.Close()
				return err
			}
			r.Body = []byte(body)
			due = append(due, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		registers := map[string]register.Register{}
		for _, r := range due {
			switch {
			case r.hookStatus != WebhookActive:
				if err := tx.endDelivery(r.WebhookDelivery, DeliveryCancelled, "webhook.cancel", audit.OutcomeSuccess,
					"cancelled: the hook was "+r.hookStatus, now); err != nil {
					return err
				}
				continue
			case r.Status == DeliverySending && r.Attempts >= webhook.MaxAttempts:
				if err := tx.endDelivery(r.WebhookDelivery, DeliveryFailed, "webhook.failed", audit.OutcomeFailure,
					"abandoned: the sender stopped during the last attempt", now); err != nil {
					return err
				}
				continue
			}
			reg, ok := registers[r.TenantID]
			if !ok {
				if reg, _, err = tx.currentRegister(r.TenantID); err != nil {
					return err
				}
				registers[r.TenantID] = reg
			}
			if _, p := webhook.Destination(reg, r.URL, r.kind+":"+r.key); p != nil {
				if err := tx.endDelivery(r.WebhookDelivery, DeliveryFailed, "webhook.refused", audit.OutcomeDenied,
					"refused: "+p.Reason(), now); err != nil {
					return err
				}
				continue
			}
			// A sub-processor the tenant has not accepted (SUB-2) gets
			// nothing: the delivery waits, refused and recorded, until
			// the controller accepts it (DecideSubProcessor makes it due).
			if held, err := tx.holdForSubProcessor(r.WebhookDelivery, r.URL, now); err != nil {
				return err
			} else if held {
				continue
			}
			secret, err := db.keys.Open(r.TenantID, webhookSecretAD(r.TenantID, r.WebhookID), r.secret)
			if err != nil {
				bad = append(bad, unreadableOf(audit.Actor{}, r.TenantID, "webhook", r.WebhookID, r.secret, err))
				if err := tx.endDelivery(r.WebhookDelivery, DeliveryFailed, "webhook.failed", audit.OutcomeFailure,
					"unreadable: the sealed secret cannot be opened", now); err != nil {
					return err
				}
				continue
			}
			if _, err := tx.exec(`UPDATE webhook_deliveries SET status = 'sending', attempts = attempts + 1, next_attempt_at = $1
				WHERE id = $2`, micros(now.Add(WebhookSendingTimeout)), r.ID); err != nil {
				return err
			}
			c := r.ClaimedWebhook
			c.Secret = string(secret)
			c.Status = DeliverySending
			c.Attempts++
			c.CreatedAt = fromMicros(r.created)
			claimed = append(claimed, c)
		}
		return nil
	})
	db.alertUnreadable(ctx, bad)
	if err != nil {
		return nil, fmt.Errorf("claim webhook deliveries: %w", err)
	}
	return claimed, nil
}

// endDelivery ends a delivery for good with status and reason, and
// records action.
func (tx *Tx) endDelivery(d WebhookDelivery, status, action, outcome, reason string, now time.Time) error {
	if _, err := tx.exec(`UPDATE webhook_deliveries SET status = $1, last_error = $2, next_attempt_at = $3 WHERE id = $4`,
		status, reason, micros(now), d.ID); err != nil {
		return err
	}
	return tx.appendAudit(audit.Event{TenantID: d.TenantID, Actor: webhookActor, Action: action, ObjectType: "webhook_delivery",
		ObjectID: d.ID, Purpose: fmt.Sprintf("%s, attempt %d: %s", d.Event, d.Attempts, reason), Outcome: outcome})
}

// deliveryRow reads what the outcome methods need of a claimed delivery.
func (tx *Tx) deliveryRow(id string) (WebhookDelivery, error) {
	q := `SELECT id, tenant_id, webhook_id, event, status, attempts FROM webhook_deliveries WHERE id = $1`
	if tx.db.dialect == Postgres {
		q += ` FOR UPDATE`
	}
	var d WebhookDelivery
	err := tx.queryRow(q, id).Scan(&d.ID, &d.TenantID, &d.WebhookID, &d.Event, &d.Status, &d.Attempts)
	if errors.Is(err, sql.ErrNoRows) {
		return d, fmt.Errorf("webhook delivery %s: %w", id, ErrNotFound)
	}
	if err == nil && d.Status != DeliverySending {
		err = fmt.Errorf("webhook delivery %s is %s, not sending: %w", id, d.Status, ErrConflict)
	}
	return d, err
}

// WebhookDelivered records that the receiver accepted a claimed delivery
// with HTTP status, as "webhook.delivered". ErrNotFound when there is no
// such delivery, ErrConflict when it is not being sent.
func (db *DB) WebhookDelivered(ctx context.Context, id string, status int) error {
	err := db.write(ctx, func(tx *Tx) error {
		d, err := tx.deliveryRow(id)
		if err != nil {
			return err
		}
		now := micros(db.now())
		if _, err := tx.exec(`UPDATE webhook_deliveries SET status = 'delivered', delivered_at = $1, last_status = $2, last_error = ''
			WHERE id = $3`, now, status, id); err != nil {
			return err
		}
		return tx.appendAudit(audit.Event{TenantID: d.TenantID, Actor: webhookActor, Action: "webhook.delivered",
			ObjectType: "webhook_delivery", ObjectID: id, Purpose: fmt.Sprintf("%s, attempt %d: http status %d", d.Event, d.Attempts, status)})
	})
	if err != nil {
		return fmt.Errorf("webhook delivered: %w", err)
	}
	return nil
}

// WebhookAttemptFailed records a failed attempt at a claimed delivery:
// the HTTP status (0 for none) and a short reason of the sender's own
// wording. A permanent failure, or the last of webhook.MaxAttempts, fails
// the delivery ("webhook.failed"); otherwise it is due again after
// webhook.Backoff ("webhook.retry"). ErrNotFound when there is no such
// delivery, ErrConflict when it is not being sent.
func (db *DB) WebhookAttemptFailed(ctx context.Context, id string, status int, permanent bool, reason string) error {
	if len(reason) > 200 {
		reason = reason[:200]
	}
	err := db.write(ctx, func(tx *Tx) error {
		d, err := tx.deliveryRow(id)
		if err != nil {
			return err
		}
		now := db.now()
		wait, again := webhook.Backoff(d.Attempts)
		if permanent || !again {
			if _, err := tx.exec(`UPDATE webhook_deliveries SET last_status = $1 WHERE id = $2`, status, id); err != nil {
				return err
			}
			return tx.endDelivery(d, DeliveryFailed, "webhook.failed", audit.OutcomeFailure, reason, now)
		}
		if _, err := tx.exec(`UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = $1, last_status = $2, last_error = $3
			WHERE id = $4`, micros(now.Add(wait)), status, reason, id); err != nil {
			return err
		}
		return tx.appendAudit(audit.Event{TenantID: d.TenantID, Actor: webhookActor, Action: "webhook.retry",
			ObjectType: "webhook_delivery", ObjectID: id, Outcome: audit.OutcomeFailure,
			Purpose: fmt.Sprintf("%s, attempt %d: %s; next in %s", d.Event, d.Attempts, reason, wait)})
	})
	if err != nil {
		return fmt.Errorf("webhook attempt failed: %w", err)
	}
	return nil
}

// holdForSubProcessor keeps delivery d back when its destination is a
// sub-processor its tenant has not accepted (SUB-2): the refusal is
// recorded ("subprocessor.refused", denied) and the delivery is due again
// after SubProcessorHoldRetry, or at once when the tenant accepts.
func (tx *Tx) holdForSubProcessor(d WebhookDelivery, rawURL string, now time.Time) (bool, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return false, nil // the destination check refuses it
	}
	s, blocked, err := tx.unacceptedSubProcessor(d.TenantID, u.Hostname())
	if err != nil || !blocked {
		return false, err
	}
	if _, err := tx.exec(`UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = $1, last_error = $2 WHERE id = $3`,
		micros(now.Add(SubProcessorHoldRetry)), "held: sub-processor "+s.refusal(), d.ID); err != nil {
		return false, err
	}
	return true, tx.appendAudit(audit.Event{TenantID: d.TenantID, Actor: webhookActor, Action: "subprocessor.refused",
		ObjectType: "webhook_delivery", ObjectID: d.ID, Outcome: audit.OutcomeDenied,
		Purpose: fmt.Sprintf("%s to %s: sub-processor %s %s", d.Event, u.Hostname(), s.ID, s.refusal())})
}
