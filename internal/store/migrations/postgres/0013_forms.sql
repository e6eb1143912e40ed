-- The e-loket's forms (issue 4): versioned definitions that name, field by
-- field, the register category and purpose they collect. A draft is
-- edited in place; publishing freezes it (REG-1, REG-4) together with the
-- register version and the art. 13 notice the tenant approved (DSR-3).
-- Definitions and notices hold no personal data.

CREATE TABLE forms (
    tenant_id          TEXT NOT NULL REFERENCES tenants (id),
    form_key           TEXT NOT NULL,
    version            INTEGER NOT NULL,
    status             TEXT NOT NULL CHECK (status IN ('draft', 'published', 'retired')),
    definition         TEXT NOT NULL, -- JSON (form.Form)
    created_at         BIGINT NOT NULL,
    created_by         TEXT NOT NULL,
    updated_at         BIGINT NOT NULL,
    revision           INTEGER NOT NULL DEFAULT 1, -- +1 at every save of the draft (lost-update check)
    notice             TEXT,          -- JSON (form.Notice) as approved
    notice_approved_at BIGINT,
    notice_approved_by TEXT,
    register_version   INTEGER,       -- the register it was published under
    published_at       BIGINT,
    published_by       TEXT,
    PRIMARY KEY (tenant_id, form_key, version)
);
-- At most one draft and one published version per form.
CREATE UNIQUE INDEX forms_one_draft ON forms (tenant_id, form_key) WHERE status = 'draft';
CREATE UNIQUE INDEX forms_one_published ON forms (tenant_id, form_key) WHERE status = 'published';

-- A submission records the form and register versions it was made under
-- and its receipt reference, derived from the form page's token with the
-- tenant's keyed index: the unique reference makes a double click store
-- once.
ALTER TABLE submissions ADD COLUMN form_version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE submissions ADD COLUMN register_version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE submissions ADD COLUMN reference TEXT;
ALTER TABLE submissions ADD COLUMN status TEXT NOT NULL DEFAULT 'new';
-- The citizen's receipt: a short-lived capability (hash only) that opens
-- their own submission once more, for the receipt page and its PDF.
ALTER TABLE submissions ADD COLUMN receipt_hash BYTEA;
ALTER TABLE submissions ADD COLUMN receipt_expires_at BIGINT;
CREATE UNIQUE INDEX submissions_reference ON submissions (tenant_id, reference);

-- Attachments: name and content sealed; stored only after a clean scan.
CREATE TABLE attachments (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants (id),
    submission_id TEXT NOT NULL REFERENCES submissions (id),
    field_key     TEXT NOT NULL,
    name          BYTEA NOT NULL, -- sealed
    content_type  TEXT NOT NULL, -- sniffed from the content
    size          BIGINT NOT NULL,
    data          BYTEA NOT NULL, -- sealed
    scanned_at    BIGINT NOT NULL,
    scanner       TEXT NOT NULL, -- what judged it clean
    created_at    BIGINT NOT NULL
);
CREATE INDEX attachments_submission ON attachments (tenant_id, submission_id);
