-- The retention engine (SEC-1): the register's retention applied to live
-- data, per register category of each form field, with legal holds that
-- stop it and a history of runs.

-- closed_at: when the case was closed (done or rejected), the start of a
-- category whose retention counts from "case closed"; NULL while open
-- (a reopened case starts counting again when it is closed again).
ALTER TABLE submissions ADD COLUMN closed_at BIGINT;
UPDATE submissions SET closed_at = (SELECT max(e.created_at) FROM submission_events e
    WHERE e.tenant_id = submissions.tenant_id AND e.submission_id = submissions.id AND e.kind = 'status'
    AND e.status IN ('done', 'rejected'))
WHERE status IN ('done', 'rejected');
UPDATE submissions SET closed_at = updated_at WHERE status IN ('done', 'rejected') AND closed_at IS NULL;
-- retention_applied: the register categories whose retention this row has
-- had applied, comma-wrapped (",contact,income,"): a category is applied
-- once, so a run that crashed and runs again does no work twice.
-- retention_spent_at: when the last personal value went; the engine never
-- looks at a spent row again (the partial index below leaves it out).
ALTER TABLE submissions ADD COLUMN retention_applied TEXT NOT NULL DEFAULT '';
ALTER TABLE submissions ADD COLUMN retention_spent_at BIGINT;
CREATE INDEX submissions_retention ON submissions (tenant_id, form_key, form_version, created_at, id)
    WHERE retention_spent_at IS NULL;

-- A legal hold keeps a submission, or every submission of a form, from
-- expiring (a dispute, an inspection) until it is lifted or its date
-- passes. The reason may name people, so it is sealed (AD legal_holds/
-- reason/<id>).
CREATE TABLE legal_holds (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants (id),
    submission_id TEXT,          -- the submission held, or NULL for the whole form
    form_key      TEXT NOT NULL, -- the form (of the submission)
    reason        BYTEA NOT NULL,  -- sealed
    set_by        TEXT NOT NULL, -- users.id
    set_at        BIGINT NOT NULL,
    until_at      BIGINT NOT NULL,
    lifted_by     TEXT,
    lifted_at     BIGINT
);
CREATE INDEX legal_holds_active ON legal_holds (tenant_id, form_key) WHERE lifted_at IS NULL;

-- The history of retention runs: who or what started it, how far it got
-- and the counts per category and action (JSON, no personal data). A run
-- still 'running' after a crash is taken up again by the next one.
CREATE TABLE retention_runs (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    started_at  BIGINT NOT NULL,
    finished_at BIGINT,
    status      TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed')),
    started_by  TEXT NOT NULL,
    resumed     INTEGER NOT NULL DEFAULT 0, -- times taken up again after a crash
    counts      TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX retention_runs_tenant ON retention_runs (tenant_id, started_at);
