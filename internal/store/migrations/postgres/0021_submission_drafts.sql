-- A citizen's attachments while a form in steps is being filled in (issue
-- 10): the clean (scanned) file, sealed with the tenant key, waits here
-- until the last step sends the form, so that "previous" and "change" keep
-- it without the citizen choosing it again and without plaintext at rest.
-- The browser holds the draft's token in a hidden field; only its SHA-256
-- is stored. Rows expire after a few hours and the draft sweep deletes
-- them. Personal data: name and data are sealed (AD: table
-- submission_drafts, the row's id).
CREATE TABLE submission_drafts (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants (id),
    token_hash    BYTEA NOT NULL,
    form_key      TEXT NOT NULL,
    field_key     TEXT NOT NULL,
    name          BYTEA NOT NULL, -- sealed
    content_type  TEXT NOT NULL, -- sniffed from the content
    size          BIGINT NOT NULL,
    data          BYTEA NOT NULL, -- sealed
    scanned_at    BIGINT NOT NULL,
    scanner       TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL
);
CREATE UNIQUE INDEX submission_drafts_field ON submission_drafts (tenant_id, token_hash, field_key);
CREATE INDEX submission_drafts_expires ON submission_drafts (expires_at);
