-- Login lockout (contract USR-6) and server-side sessions (ASVS 5.0 V7).
-- Booleans are INTEGER 0/1 on both dialects so the SQL stays common.
-- failed_count counts the attempts reserved in the current window: an
-- attempt counts from before its password is checked, so concurrent
-- attempts cannot get more passwords evaluated than the policy allows.

ALTER TABLE users ADD COLUMN failed_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN first_failure_at BIGINT;
ALTER TABLE users ADD COLUMN locked_until BIGINT;
ALTER TABLE users ADD COLUMN lock_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN needs_admin_unlock INTEGER NOT NULL DEFAULT 0;

CREATE TABLE sessions (
    id_hash         BLOB PRIMARY KEY, -- SHA-256 of the session token; the token itself is never stored
    tenant_id       TEXT NOT NULL REFERENCES tenants (id),
    user_id         TEXT NOT NULL REFERENCES users (id),
    created_at      BIGINT NOT NULL,
    last_seen_at    BIGINT NOT NULL,
    idle_timeout_us BIGINT NOT NULL,
    absolute_expiry BIGINT NOT NULL,
    user_agent_hint TEXT NOT NULL DEFAULT '', -- browser family only ("Firefox on Linux"), never the full User-Agent
    revoked_at      BIGINT
);
CREATE INDEX sessions_user ON sessions (tenant_id, user_id);
