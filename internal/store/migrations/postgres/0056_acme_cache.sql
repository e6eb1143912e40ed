-- The ACME cache shared by every node on one database (SEC-1): the
-- account key and each host's certificate with its private key, one row
-- per autocert cache key, sealed with the platform realm's data key, so
-- that nodes behind one load balancer order a certificate once and no
-- private key is ever at rest in plaintext. No personal data, no tenant:
-- these are the platform's own secrets.
CREATE TABLE acme_cache (
    name       TEXT PRIMARY KEY,
    data       BYTEA NOT NULL,
    updated_at BIGINT NOT NULL
);

-- A tenant may mark one of its host names primary: every link Kluis
-- writes for its citizens and staff (mails, receipts, documents) then
-- starts with https://<that host>/ instead of the platform's address and
-- /{tenant}. At most one per tenant (1 = primary).
ALTER TABLE tenant_hosts ADD COLUMN is_primary INTEGER NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX tenant_hosts_primary ON tenant_hosts (tenant_id) WHERE is_primary = 1;
