-- OpenID Connect login (contract USR-2): per-tenant providers (FAS eID or
-- itsme, the Flemish ACM, any OpenID provider), the identities users
-- linked, and the short-lived server-side state of a login in progress.
--
-- A FAS subject can lead to the national register number: it is sealed,
-- and found by a keyed blind index of issuer and subject, never stored in
-- plaintext. The client secret is sealed. A flow is found by the SHA-256
-- of its state; its nonce and browser binding are kept as SHA-256 too, its
-- PKCE verifier sealed (it must be sent to the provider).

CREATE TABLE oidc_providers (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants (id),
    name          TEXT NOT NULL, -- last segment of /{tenant}/login/oidc/{name}
    preset        TEXT NOT NULL CHECK (preset IN ('fas-eid', 'fas-itsme', 'acm', 'generic')),
    display_name  TEXT NOT NULL,
    issuer        TEXT NOT NULL,
    client_id     TEXT NOT NULL,
    client_secret BYTEA NOT NULL, -- sealed
    required_acr  TEXT NOT NULL DEFAULT '', -- generic only: accepted acr values, space-separated
    enabled       INTEGER NOT NULL DEFAULT 1,
    created_at    BIGINT NOT NULL,
    UNIQUE (tenant_id, name)
);

CREATE TABLE oidc_identities (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants (id),
    user_id       TEXT NOT NULL REFERENCES users (id),
    provider_id   TEXT NOT NULL REFERENCES oidc_providers (id), -- the provider it was linked through
    subject_index BYTEA NOT NULL, -- blind index of issuer and subject: the only way identities are matched
    subject       BYTEA NOT NULL, -- sealed
    created_at    BIGINT NOT NULL,
    last_used_at  BIGINT,
    UNIQUE (tenant_id, subject_index)
);
CREATE INDEX oidc_identities_user ON oidc_identities (tenant_id, user_id);

CREATE TABLE oidc_flows (
    state_hash      BYTEA PRIMARY KEY, -- SHA-256 of the state; the state itself is never stored
    tenant_id       TEXT NOT NULL REFERENCES tenants (id),
    provider_id     TEXT NOT NULL REFERENCES oidc_providers (id),
    purpose         TEXT NOT NULL CHECK (purpose IN ('login', 'link', 'activate')),
    user_id         TEXT REFERENCES users (id), -- link and activate: whose account
    invitation_hash BYTEA, -- activate: the invitation token's hash
    binding_hash    BYTEA NOT NULL, -- SHA-256 of the browser's flow cookie
    nonce_hash      BYTEA NOT NULL,
    verifier        BYTEA NOT NULL, -- sealed PKCE code verifier
    next            TEXT NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    used_at         BIGINT
);
CREATE INDEX oidc_flows_expiry ON oidc_flows (tenant_id, expires_at);
