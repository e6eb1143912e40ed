-- The controller's instructions (REG-3), the authorities' requests for data
-- (REG-5) and the supplier's organisational declarations (ORG-1…ORG-5).

-- A written instruction of the controller. status: given, flagged (the
-- supplier believes it infringes the GDPR), confirmed, amended, withdrawn.
-- Its subject, text, author and every flag's reasoning live in its steps,
-- sealed; the row keeps only the state and the dates.
CREATE TABLE instructions (
    id         TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    given_at   BIGINT NOT NULL,
    status     TEXT NOT NULL,
    flagged_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX instructions_tenant ON instructions (tenant_id, given_at, id);

-- An authority's request for data. status: received, assessed, notified
-- (the controller was told), prohibited (the law forbids telling it, with
-- its basis in the sealed content), disclosed, refused. notified_at: when
-- the controller was told (must precede disclosed_at unless prohibited).
CREATE TABLE authority_requests (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants (id),
    received_at  BIGINT NOT NULL,
    deadline     BIGINT NOT NULL,
    status       TEXT NOT NULL,
    assessed_at  BIGINT,
    notified_at  BIGINT,
    prohibited   INTEGER NOT NULL DEFAULT 0,
    disclosed_at BIGINT,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX authority_requests_tenant ON authority_requests (tenant_id, received_at, id);

-- The history of both: every step, its content (JSON, sealed with the
-- tenant key, AD duty_steps/content/<parent id>/<seq>), who and when.
-- parent_kind: instruction or authority. notified_to: the sealed list of
-- addresses a step's mail went to; mail_sha256 its fingerprint.
CREATE TABLE duty_steps (
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    parent_kind TEXT NOT NULL,
    parent_id   TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    content     BYTEA NOT NULL,
    actor_kind  TEXT NOT NULL,
    actor       TEXT NOT NULL,
    at          BIGINT NOT NULL,
    notified_to BYTEA,
    mail_sha256 TEXT,
    PRIMARY KEY (parent_id, seq)
);
CREATE INDEX duty_steps_tenant ON duty_steps (tenant_id, parent_id);

-- The supplier's declarations (ORG-1…ORG-5), kept in the operators' realm
-- (tenant_id) and shown to every controller. Every declaration is a new row:
-- the newest per kind and subject is current, the older ones its history.
-- subject: "" or, for a confidentiality undertaking, the staff member.
-- content: JSON sealed with the realm's key (AD org_facts/content/<id>).
-- fact_date: the date the fact holds from (signed, tested, analysed).
CREATE TABLE org_facts (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    kind        TEXT NOT NULL,
    subject     TEXT NOT NULL,
    content     BYTEA NOT NULL,
    fact_date   BIGINT NOT NULL,
    declared_by TEXT NOT NULL,
    declared_at BIGINT NOT NULL
);
CREATE INDEX org_facts_kind ON org_facts (tenant_id, kind, subject, declared_at);
