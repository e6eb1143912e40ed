-- The end of a contract (END-3, END-4, END-5): one row per step of a
-- tenant's termination, done by whom and when. detail holds the facts the
-- destruction certificate states (manifest hash, row counts per table, key
-- and backup ids, the signed certificate itself); no personal data, so
-- that it stays readable after the tenant's keys are destroyed. Kept by
-- legal obligation with the audit log when the tenant's rows are deleted.
CREATE TABLE termination_steps (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    step       TEXT NOT NULL,
    done_at    BIGINT NOT NULL,
    actor_kind TEXT NOT NULL,
    actor_id   TEXT NOT NULL,
    detail     TEXT NOT NULL,
    PRIMARY KEY (tenant_id, step)
);
