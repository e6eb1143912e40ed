-- Drift of the measures report (ADT-1, issue item "drift alerts"): the job
-- compliance.drift measures every clause's status from live facts, compares
-- it with the last known one here, and records each flip. No personal data:
-- clause ids, statuses, and the fact values that decide them (counts, times,
-- ids) as a JSON object.
CREATE TABLE compliance_snapshot (
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    clause_id   TEXT NOT NULL,   -- USR-2
    status      TEXT NOT NULL,   -- met, partly, not_met, declared
    facts       TEXT NOT NULL,   -- JSON object: fact name -> value
    measured_at BIGINT NOT NULL, -- the last run that measured it
    changed_at  BIGINT NOT NULL, -- when the status last changed (the baseline's time at first)
    PRIMARY KEY (tenant_id, clause_id)
);
-- Every flip, with what it was and became; mail_sha256 is the proof of the
-- run's mail to the DPO (its subject, a blank line and its body), notified
-- how many addresses it went to (the addresses are in the mail outbox).
CREATE TABLE compliance_drift (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    clause_id   TEXT NOT NULL,
    from_status TEXT NOT NULL,
    to_status   TEXT NOT NULL,
    from_facts  TEXT NOT NULL,
    to_facts    TEXT NOT NULL,
    changed_at  BIGINT NOT NULL,
    run_seq     INTEGER NOT NULL, -- the clause's place among the run's flips, in the report's order
    notified    INTEGER NOT NULL,
    mail_sha256 TEXT NOT NULL
);
CREATE INDEX compliance_drift_tenant ON compliance_drift (tenant_id, changed_at);
