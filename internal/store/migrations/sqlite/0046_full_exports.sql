-- Full exports of a tenant asked for from the web (END-3): a tenant admin
-- asks, behind the step-up and with a reason (in the audit log, not here);
-- a job writes the archive (tenantexport) into the export store, encrypted
-- with a per-export data key sealed here and shredded on delete or after
-- 24 hours. recipient is the controller's age public key (no personal
-- data); summary is the manifest's rows per entity as JSON (counts only).
CREATE TABLE full_exports (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    user_id     TEXT NOT NULL REFERENCES users (id),
    recipient   TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('pending', 'running', 'ready', 'failed', 'deleted')),
    data_key    BLOB NOT NULL, -- sealed with the tenant key; emptied on delete
    size        BIGINT NOT NULL DEFAULT 0,
    summary     TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL,
    finished_at BIGINT,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX full_exports_tenant ON full_exports (tenant_id, created_at);
CREATE INDEX full_exports_expires ON full_exports (expires_at) WHERE status <> 'deleted';
