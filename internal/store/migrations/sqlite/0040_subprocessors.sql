-- Sub-processors (SUB-1…SUB-3). subprocessors: the platform's list, kept by
-- the supplier's operators; companies, no personal data. eea: 1 when the
-- processing location is inside the EEA; transfer_mechanism names the
-- art. 45–47 GDPR ground otherwise. agreement_ref/agreement_date: the
-- sub-processing agreement (SUB-3). hosts: the host names the
-- sub-processor receives data on, space-separated; Kluis refuses to route a
-- tenant's data there until the tenant accepted it (SUB-2).
CREATE TABLE subprocessors (
    id                 TEXT PRIMARY KEY,
    name               TEXT NOT NULL,
    head_office        TEXT NOT NULL,
    location           TEXT NOT NULL,
    eea                INTEGER NOT NULL,
    transfer_mechanism TEXT NOT NULL,
    measures           TEXT NOT NULL,
    agreement_ref      TEXT NOT NULL,
    agreement_date     TEXT NOT NULL,
    services           TEXT NOT NULL,
    hosts              TEXT NOT NULL,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL
);

-- One sub-processor's applicability to one tenant and the controller's
-- decision (SUB-2). kind: agreed (in the signed annex 1, accepted from the
-- start), add or replace (announced, replaces_id the one it replaces).
-- status: accepted, pending or objected. objection: the controller's
-- reason, sealed with the tenant key (AD subprocessor_tenants/objection/
-- <subprocessor id>); window_ends_at: 3 months after the objection, when
-- the controller may end the agreement at once if no reasonable change was
-- found.
CREATE TABLE subprocessor_tenants (
    tenant_id       TEXT NOT NULL REFERENCES tenants (id),
    subprocessor_id TEXT NOT NULL REFERENCES subprocessors (id),
    kind            TEXT NOT NULL,
    replaces_id     TEXT REFERENCES subprocessors (id),
    effective_at    BIGINT NOT NULL,
    announced_at    BIGINT NOT NULL,
    status          TEXT NOT NULL,
    decided_at      BIGINT,
    decided_by      TEXT,
    objection       BLOB,
    window_ends_at  BIGINT,
    PRIMARY KEY (tenant_id, subprocessor_id)
);
CREATE INDEX subprocessor_tenants_sub ON subprocessor_tenants (subprocessor_id);
