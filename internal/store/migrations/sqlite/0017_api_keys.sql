-- API keys (issue 5): integrations call /api/v1 with a tenant's key. The
-- secret is shown once and stored only as its SHA-256; a key sees the
-- forms it was issued for (ORG-6) and holds scopes.
CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants (id),
    name         TEXT NOT NULL,
    secret_hash  BLOB NOT NULL,  -- SHA-256 of the 32-byte random secret
    scopes       TEXT NOT NULL,  -- space-separated, e.g. "submissions:read attachments:read"
    created_by   TEXT NOT NULL,  -- actor, kind:id
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT,         -- NULL: no expiry
    revoked_at   BIGINT,
    revoked_by   TEXT,
    last_used_at BIGINT
);
CREATE INDEX api_keys_tenant ON api_keys (tenant_id, created_at);

-- ORG-6: the forms whose submissions a key sees.
CREATE TABLE api_key_forms (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    key_id    TEXT NOT NULL REFERENCES api_keys (id),
    form_key  TEXT NOT NULL,
    PRIMARY KEY (tenant_id, key_id, form_key)
);
CREATE INDEX api_key_forms_key ON api_key_forms (key_id, form_key);
