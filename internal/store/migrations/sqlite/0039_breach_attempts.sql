-- Serious attempts (BRE-1): the drafts Kluis opened on its own from the
-- audit log, one per tenant, cause and window. cause: lockouts, denied,
-- scanner, chain or report; window_start: the start of the 15-minute window
-- (micros) the evidence fell in; events: how many events of the cause the
-- window held when the draft was opened. No personal data: ids, a cause
-- and counts (the draft's form itself is sealed in breach_versions).
CREATE TABLE breach_attempts (
    tenant_id    TEXT NOT NULL REFERENCES tenants (id),
    cause        TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    events       INTEGER NOT NULL,
    breach_id    TEXT NOT NULL REFERENCES breaches (id),
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, cause, window_start)
);
CREATE INDEX breach_attempts_breach ON breach_attempts (tenant_id, breach_id);
