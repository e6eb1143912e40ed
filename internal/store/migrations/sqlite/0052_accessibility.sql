-- The accessibility statement (toegankelijkheidsverklaring, Bestuursdecreet
-- 2018; EU model statement 2018/1523).
--
-- accessibility_audits is a platform table: the summary of each full run of
-- the browser suite's axe audit, recorded by an operator with
-- `kluis accessibility record` (no tenant's data; the platform log has the
-- event). Every tenant's statement shows the latest.
CREATE TABLE accessibility_audits (
    id             TEXT PRIMARY KEY,
    run_at         BIGINT NOT NULL,
    recorded_at    BIGINT NOT NULL,
    pages_checked  INTEGER NOT NULL,
    pages_failed   INTEGER NOT NULL,
    violations     INTEGER NOT NULL,
    tool           TEXT NOT NULL
);

CREATE INDEX accessibility_audits_run ON accessibility_audits (run_at);

-- The tenant's own facts: the functional contact for accessibility
-- feedback (an address of the organisation, published in the statement,
-- so in clear like the branding's contact) and the complaint route as
-- JSON {"nl": ..., "fr": ..., "en": ...}.
CREATE TABLE accessibility_settings (
    tenant_id      TEXT PRIMARY KEY REFERENCES tenants (id),
    feedback_email TEXT NOT NULL,
    feedback_phone TEXT NOT NULL,
    complaint      TEXT NOT NULL,
    updated_at     BIGINT NOT NULL,
    updated_by     TEXT NOT NULL
);

-- Known exceptions: description as JSON by language, the legal ground, an
-- optional planned fix date (YYYY-MM-DD or '').
CREATE TABLE accessibility_exceptions (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    description TEXT NOT NULL,
    ground      TEXT NOT NULL,
    planned_fix TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    created_by  TEXT NOT NULL
);

CREATE INDEX accessibility_exceptions_tenant ON accessibility_exceptions (tenant_id, created_at);

-- Every published statement, as published (JSON of the facts, the status
-- and its reasons): the history. The latest version is the public one.
CREATE TABLE accessibility_statements (
    tenant_id    TEXT NOT NULL REFERENCES tenants (id),
    version      INTEGER NOT NULL,
    content      TEXT NOT NULL,
    published_at BIGINT NOT NULL,
    published_by TEXT NOT NULL,
    PRIMARY KEY (tenant_id, version)
);
