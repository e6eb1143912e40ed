-- The citizen's own view, "Mijn gegevens" (DSR-1): a short session of a
-- citizen who proved an address (a one-time code, subject_request_codes
-- with kind 'portal') or their national register number (FAS eID/itsme).
-- id_hash: SHA-256 of the cookie's token, never the token; person_index:
-- the keyed blind index (of the address or the number) the person's
-- submissions and requests are found by; via: 'code' or 'fas'. No
-- address, no number, no name. Expired rows are deleted whenever the
-- tenant's next citizen session opens.
CREATE TABLE citizen_sessions (
    id_hash      BYTEA PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants (id),
    person_index BYTEA NOT NULL,
    via          TEXT NOT NULL CHECK (via IN ('code', 'fas')),
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL
);
CREATE INDEX citizen_sessions_expiry ON citizen_sessions (tenant_id, expires_at);

-- A citizen's report of an access to their data they find suspicious
-- (DSR-1, BRE-1): which audit event (seq), why in their words (reason,
-- sealed: AD access_reports/reason/<id>), and the DPO's handling: status
-- open, breach_candidate or no_issue, with the DPO's reason (sealed:
-- AD access_reports/decision/<id>). person_index: the reporter's keyed
-- blind index, so that a report is the person's own.
CREATE TABLE access_reports (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants (id),
    person_index BYTEA NOT NULL,
    audit_seq    BIGINT NOT NULL,
    reason       BYTEA NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('open', 'breach_candidate', 'no_issue')),
    decision     BYTEA,
    decided_by   TEXT,
    decided_at   BIGINT,
    created_at   BIGINT NOT NULL
);
CREATE INDEX access_reports_tenant ON access_reports (tenant_id, created_at);

-- The tenant's choice to show citizens the names of the staff who used
-- their data instead of only the service (DSR-1; off by default).
ALTER TABLE tenants ADD COLUMN citizen_staff_names INTEGER NOT NULL DEFAULT 0;

-- A FAS flow may now sign a citizen in to their own view ('citizen').
ALTER TABLE oidc_flows DROP CONSTRAINT oidc_flows_purpose_check;
ALTER TABLE oidc_flows ADD CONSTRAINT oidc_flows_purpose_check CHECK (purpose IN ('login', 'link', 'activate', 'citizen'));
