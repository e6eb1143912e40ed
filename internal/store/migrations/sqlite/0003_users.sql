-- Tenant users (contract USR-1…USR-7) and their single-use invitations.
-- E-mail address and name are personal data: sealed, and found by a keyed
-- blind index of the normalised address, never by the address itself.

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants (id),
    email         BLOB NOT NULL, -- sealed
    email_index   BLOB NOT NULL, -- blind index of the normalised address
    name          BLOB NOT NULL, -- sealed
    role          TEXT NOT NULL CHECK (role IN ('admin', 'user', 'dpo')),
    status        TEXT NOT NULL CHECK (status IN ('invited', 'active', 'disabled')),
    lang          TEXT NOT NULL CHECK (lang IN ('nl', 'fr', 'en')),
    password_hash TEXT NOT NULL DEFAULT '', -- argon2id PHC string; empty until activation
    created_at    BIGINT NOT NULL,
    last_login_at BIGINT,
    UNIQUE (tenant_id, email_index)
);

CREATE TABLE invitations (
    token_hash BLOB PRIMARY KEY, -- SHA-256 of the token; the token itself is never stored
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    user_id    TEXT NOT NULL REFERENCES users (id),
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);
CREATE INDEX invitations_user ON invitations (tenant_id, user_id);
