-- A FAS flow may now sign a citizen in to have a form prefilled from the
-- national register ('prefill'; LOC-2, REG-4). The flow keeps only what
-- every flow keeps (hashes, the sealed verifier, the form's key in next):
-- the register's answer is never stored. SQLite cannot change a CHECK: the
-- table of flows in progress (minutes long, no lasting data) is made again
-- with the wider one.
DROP INDEX oidc_flows_expiry;
ALTER TABLE oidc_flows RENAME TO oidc_flows_0060;
CREATE TABLE oidc_flows (
    state_hash      BLOB PRIMARY KEY, -- SHA-256 of the state; the state itself is never stored
    tenant_id       TEXT NOT NULL REFERENCES tenants (id),
    provider_id     TEXT NOT NULL REFERENCES oidc_providers (id),
    purpose         TEXT NOT NULL CHECK (purpose IN ('login', 'link', 'activate', 'citizen', 'prefill')),
    user_id         TEXT REFERENCES users (id), -- link and activate: whose account
    invitation_hash BLOB, -- activate: the invitation token's hash
    binding_hash    BLOB NOT NULL, -- SHA-256 of the browser's flow cookie
    nonce_hash      BLOB NOT NULL,
    verifier        BLOB NOT NULL, -- sealed PKCE code verifier
    next            TEXT NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    used_at         BIGINT
);
INSERT INTO oidc_flows SELECT * FROM oidc_flows_0060;
DROP TABLE oidc_flows_0060;
CREATE INDEX oidc_flows_expiry ON oidc_flows (tenant_id, expires_at);
