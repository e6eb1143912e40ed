-- A tenant's own host names (www.gemeente.be): requests whose Host is one
-- of them are served as that tenant's pages without the /{tenant} prefix,
-- and only these names get an ACME certificate. The name is the primary
-- key, so two tenants can never hold the same one. Stored lower-case in
-- ASCII (IDNA) form; no personal data.
CREATE TABLE tenant_hosts (
    host       TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX tenant_hosts_tenant ON tenant_hosts (tenant_id, host);
