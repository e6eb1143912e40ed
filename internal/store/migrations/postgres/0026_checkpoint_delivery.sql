-- Delivering checkpoints to the controller (AUD-2, ADT-1): where the
-- supplier cannot reach them afterwards. No personal data in either table.

-- One row per tenant and day whose digest was queued to the DPO: the
-- mail job of a day runs again after a crash without mailing twice, and
-- the next digest carries the checkpoints signed after up_to_size.
CREATE TABLE audit_checkpoint_digests (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    day        TEXT NOT NULL, -- YYYY-MM-DD, in Brussels
    up_to_size BIGINT NOT NULL,
    mail_id    TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, day)
);

-- The tenant's checkpoint webhook, at most one: every new checkpoint is
-- pushed to url, in order; pushed_size is where the pushes stand (the
-- checkpoints above it are due), delivered_at when the last was delivered
-- (NULL: none yet). The secret (Standard Webhooks signing) is sealed.
CREATE TABLE audit_checkpoint_hooks (
    tenant_id       TEXT PRIMARY KEY REFERENCES tenants (id),
    url             TEXT NOT NULL,
    secret          BYTEA NOT NULL,
    pushed_size     BIGINT NOT NULL,
    attempts        INTEGER NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    last_status     INTEGER NOT NULL,
    last_error      TEXT NOT NULL,
    delivered_at    BIGINT,
    created_at      BIGINT NOT NULL,
    created_by      TEXT NOT NULL
);
