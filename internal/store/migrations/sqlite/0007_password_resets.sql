-- Single-use password reset tokens (contract USR-4, ASVS 5.0 V6.4), valid
-- 30 minutes. Only the SHA-256 of a token is stored.

CREATE TABLE password_resets (
    token_hash BLOB PRIMARY KEY, -- SHA-256 of the token; the token itself is never stored
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    user_id    TEXT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);
CREATE INDEX password_resets_user ON password_resets (tenant_id, user_id);
