-- A tenant's connection to the national register through MAGDA
-- (GeefPersoon; LOC-2): the endpoint, the consumer identity (the
-- organisation's KBO number), the capacity code (hoedanigheid), the
-- authorisation the calls rest on, the TLS client certificate and its RSA
-- key, the roots the service's certificate must chain to, the certificate
-- answers are signed with, and the timeout of a call. One per tenant.
-- The private key is sealed with the tenant's key; the certificates are
-- public. No personal data: every call is recorded in the audit log
-- (magda.call before it leaves, magda.answer after), not here.
CREATE TABLE magda_connections (
    tenant_id         TEXT PRIMARY KEY REFERENCES tenants (id),
    endpoint          TEXT NOT NULL,
    consumer_id       TEXT NOT NULL,
    capacity          TEXT NOT NULL,
    authorisation_ref TEXT NOT NULL,
    client_cert_pem   TEXT NOT NULL,
    client_key        BLOB NOT NULL, -- sealed PEM
    server_ca_pem     TEXT NOT NULL,
    response_cert_pem TEXT NOT NULL,
    timeout_ms        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    updated_by        TEXT NOT NULL -- who changed it last (an actor id)
);
