-- Supplier staff (platform operators) live in a realm of their own: a
-- tenants row with realm 'platform' and slug 'operator' (a slug no
-- controller may take). Its users are the operators; they reuse the
-- invitation, password, lockout, MFA and session machinery, and their
-- sessions are bound to the realm, so they have no standing access to any
-- controller's data. Access comes only from a time-boxed grant that a
-- controller's admin gives and can see and end (contract: operators see
-- personal data only under such a grant).

ALTER TABLE tenants ADD COLUMN realm TEXT NOT NULL DEFAULT 'controller' CHECK (realm IN ('controller', 'platform'));

CREATE TABLE operator_grants (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants (id), -- the controller that grants
    operator_id TEXT NOT NULL REFERENCES users (id),   -- a user of the platform realm
    label       BLOB NOT NULL, -- sealed (tenant key): the operator's address as the admin typed it
    reason      BLOB NOT NULL, -- sealed (tenant key): why access is needed
    granted_by  TEXT NOT NULL, -- the tenant user who granted it
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    revoked_at  BIGINT,
    revoked_by  TEXT
);
CREATE INDEX operator_grants_tenant ON operator_grants (tenant_id, expires_at);
CREATE INDEX operator_grants_operator ON operator_grants (operator_id, expires_at);
