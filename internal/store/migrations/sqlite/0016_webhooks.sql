-- Webhooks (issue 5): signed notices to the controller's case system on
-- new and changed submissions, only to a destination registered as a
-- recipient or sub-processor in the EEA (REG-2, LOC-1).

-- A hook: where to, for which events, under which register entry. The
-- signing secret is sealed; a deleted hook keeps its row (its deliveries
-- refer to it) but loses its secret.
CREATE TABLE webhooks (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    url         TEXT NOT NULL,
    origin      TEXT NOT NULL, -- https://host[:port], what the register lists
    events      TEXT NOT NULL, -- ",submission.created,submission.updated,"
    entry_kind  TEXT NOT NULL CHECK (entry_kind IN ('recipient', 'sub_processor')),
    entry_key   TEXT NOT NULL,
    secret      BLOB NOT NULL, -- sealed; empty once deleted
    status      TEXT NOT NULL CHECK (status IN ('active', 'disabled', 'deleted')),
    created_at  BIGINT NOT NULL,
    created_by  TEXT NOT NULL,
    updated_at  BIGINT NOT NULL
);
-- Intake looks up a tenant's active hooks in the same statement that
-- queues their deliveries.
CREATE INDEX webhooks_tenant ON webhooks (tenant_id, status);

-- The delivery outbox: one row per event and hook. The body is the thin
-- JSON payload (identifiers and status, no personal data); it is signed at
-- each attempt with that attempt's timestamp. last_error is a short reason
-- of our own wording, never what the receiver answered.
CREATE TABLE webhook_deliveries (
    id              TEXT PRIMARY KEY, -- event_id.webhook_id
    tenant_id       TEXT NOT NULL REFERENCES tenants (id),
    webhook_id      TEXT NOT NULL REFERENCES webhooks (id),
    event_id        TEXT NOT NULL,    -- the webhook-id header, the same on every retry
    event           TEXT NOT NULL,
    body            TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'delivered', 'failed', 'cancelled')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_status     INTEGER NOT NULL DEFAULT 0, -- HTTP status of the last attempt, 0 for none
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL,
    delivered_at    BIGINT
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_hook ON webhook_deliveries (tenant_id, webhook_id, created_at);
