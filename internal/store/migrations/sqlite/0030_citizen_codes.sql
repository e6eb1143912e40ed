-- One-time codes by which a citizen proves an e-mail address before filing
-- a data-subject request on the public page (DSR-1). Only an address found
-- in the tenant's submissions (through the blind index) gets a row and a
-- mail. email: the address, sealed (AD subject_request_codes/email/<id>);
-- email_index: its keyed blind index; code_hash: a keyed hash of the
-- challenge id and the six digits, never the code; attempts: wrong codes
-- so far (the code dies at the fifth); used_at: set when it filed.
CREATE TABLE subject_request_codes (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    kind        TEXT NOT NULL,
    lang        TEXT NOT NULL,
    email       BLOB NOT NULL,
    email_index BLOB NOT NULL,
    code_hash   BLOB NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT
);
CREATE INDEX subject_request_codes_expiry ON subject_request_codes (tenant_id, expires_at);
