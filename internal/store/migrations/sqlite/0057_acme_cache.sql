-- The ACME cache shared by every node on one database (SEC-1): the
-- account key and each host's certificate with its private key, one row
-- per autocert cache key, sealed with the platform realm's data key, so
-- that nodes behind one load balancer order a certificate once and no
-- private key is ever at rest in plaintext. No personal data, no tenant:
-- these are the platform's own secrets.
CREATE TABLE acme_cache (
    name       TEXT PRIMARY KEY,
    data       BLOB NOT NULL,
    updated_at BIGINT NOT NULL
);
