-- Foundation: tenants, registers, sealed submissions, the audit log and jobs.
-- Times are microseconds since the epoch (BIGINT) on both dialects.

CREATE TABLE tenants (
    id                TEXT PRIMARY KEY,
    slug              TEXT NOT NULL UNIQUE,
    legal_name        TEXT NOT NULL,
    enterprise_number TEXT NOT NULL,
    dpo_name          BLOB NOT NULL, -- sealed
    dpo_email         BLOB NOT NULL, -- sealed
    default_lang      TEXT NOT NULL CHECK (default_lang IN ('nl', 'fr', 'en')),
    status            TEXT NOT NULL CHECK (status IN ('active', 'suspended')),
    created_at        BIGINT NOT NULL,
    suspended_at      BIGINT
);

CREATE TABLE registers (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    version    INTEGER NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    document   TEXT NOT NULL,
    PRIMARY KEY (tenant_id, version)
);

CREATE TABLE submissions (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants (id),
    form_key      TEXT NOT NULL,
    subject_index BLOB,
    data          BLOB NOT NULL, -- sealed
    created_at    BIGINT NOT NULL
);
CREATE INDEX submissions_tenant_created ON submissions (tenant_id, created_at DESC, id);
CREATE INDEX submissions_tenant_subject ON submissions (tenant_id, subject_index);

CREATE TABLE audit_events (
    tenant_id    TEXT NOT NULL,
    seq          BIGINT NOT NULL,
    at           BIGINT NOT NULL,
    actor_kind   TEXT NOT NULL,
    actor_id     TEXT NOT NULL,
    actor_role   TEXT NOT NULL,
    on_behalf_of TEXT NOT NULL,
    request_id   TEXT NOT NULL,
    action       TEXT NOT NULL,
    object_type  TEXT NOT NULL,
    object_id    TEXT NOT NULL,
    subject      TEXT NOT NULL,
    purpose      TEXT NOT NULL,
    outcome      TEXT NOT NULL,
    prev_hash    BLOB NOT NULL,
    hash         BLOB NOT NULL,
    PRIMARY KEY (tenant_id, seq)
) WITHOUT ROWID; -- one b-tree instead of two: fewer pages per durable commit

-- The log is append-only: the database itself refuses changes.
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;

CREATE TABLE audit_heads (
    tenant_id TEXT PRIMARY KEY,
    seq       BIGINT NOT NULL,
    hash      BLOB NOT NULL
) WITHOUT ROWID;

CREATE TABLE jobs (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT,
    kind         TEXT NOT NULL,
    dedupe_key   TEXT UNIQUE,
    payload      TEXT NOT NULL DEFAULT '',
    status       TEXT NOT NULL CHECK (status IN ('pending', 'running', 'done', 'failed')),
    run_at       BIGINT NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL DEFAULT 5,
    last_error   TEXT NOT NULL DEFAULT '',
    locked_by    TEXT NOT NULL DEFAULT '',
    locked_until BIGINT NOT NULL DEFAULT 0,
    created_at   BIGINT NOT NULL,
    finished_at  BIGINT
);
CREATE INDEX jobs_due ON jobs (status, run_at);
