-- Exports of a form's submissions (issue 5, END-1, REG-4): who asked for
-- which form in which format, how far the background job got, and the
-- export's data key sealed with the tenant key. The file itself lives
-- under the data directory, encrypted with that data key (chunked
-- AES-256-GCM); the reason and the ids are in the audit event, never here
-- in clear beyond the selection. Deleting an export shreds its key.
CREATE TABLE exports (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    user_id     TEXT NOT NULL REFERENCES users (id),
    form_key    TEXT NOT NULL,
    format      TEXT NOT NULL CHECK (format IN ('csv', 'xlsx', 'pdf')),
    lang        TEXT NOT NULL,
    selection   TEXT NOT NULL, -- selected submission ids, newline-separated; '' for all
    until_at    BIGINT NOT NULL, -- "all" means received up to this moment
    total       BIGINT NOT NULL, -- rows to export, as audited
    done        BIGINT NOT NULL DEFAULT 0,
    status      TEXT NOT NULL CHECK (status IN ('pending', 'running', 'ready', 'failed', 'deleted')),
    data_key    BYTEA NOT NULL, -- sealed with the tenant key; emptied on delete
    size        BIGINT NOT NULL DEFAULT 0,
    created_at  BIGINT NOT NULL,
    finished_at BIGINT,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX exports_user ON exports (tenant_id, user_id, created_at);
CREATE INDEX exports_expires ON exports (expires_at) WHERE status <> 'deleted';
