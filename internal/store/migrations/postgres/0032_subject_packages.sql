-- The package of an executed access or portability request (DSR-1), built
-- once at execution and kept until expires_at (PackageTTL), when the
-- retention run deletes it. content: the ZIP (package.json with its
-- schema, CSV, the readable PDF in the person's language and the
-- attachments' files), sealed with the tenant key (AD
-- subject_packages/content/<id>). token_hash: a keyed hash of the link's
-- token, never the token. code_hash, code_expires_at, code_attempts: the
-- one-time code mailed to the request's address before a download, stored
-- as a keyed hash (15 minutes, 5 wrong tries). downloads: how many times
-- the citizen downloaded it (the link is used up at PackageDownloadsMax).
CREATE TABLE subject_packages (
    id              TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL REFERENCES tenants (id),
    request_id      TEXT NOT NULL REFERENCES subject_requests (id),
    lang            TEXT NOT NULL,
    content         BYTEA NOT NULL,
    size            BIGINT NOT NULL,
    token_hash      BYTEA NOT NULL,
    code_hash       BYTEA,
    code_expires_at BIGINT,
    code_attempts   INTEGER NOT NULL DEFAULT 0,
    downloads       INTEGER NOT NULL DEFAULT 0,
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL
);
CREATE UNIQUE INDEX subject_packages_token ON subject_packages (tenant_id, token_hash);
CREATE INDEX subject_packages_request ON subject_packages (tenant_id, request_id);
CREATE INDEX subject_packages_expiry ON subject_packages (tenant_id, expires_at);
