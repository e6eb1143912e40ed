-- Retention (SEC-1): a swept submission's subject index is cleared, and a
-- million cleared rows all landed in the index's NULL entries, so clearing
-- one cost a delete at a random place and an insert. The index only ever
-- serves lookups by a value (a data-subject request, the citizen's code),
-- so it leaves the NULLs out: clearing is a delete only, and the index
-- shrinks as data expires. (submissions_tenant_contact is partial already.)
DROP INDEX submissions_tenant_subject;
CREATE INDEX submissions_tenant_subject ON submissions (tenant_id, subject_index) WHERE subject_index IS NOT NULL;

-- A run's lease (SEC-1): a run holds its tenant's running record for
-- RetentionLease, renewed by every chunk; a second run (the CLI while the
-- daily job runs) finds the lease held and stops, saying so, instead of
-- adding its counts to the same record. A crashed run's lease runs out
-- and the next run takes the record up. lease_holder: a random token of
-- the holding run.
ALTER TABLE retention_runs ADD COLUMN lease_until BIGINT;
ALTER TABLE retention_runs ADD COLUMN lease_holder TEXT;
-- One running record per tenant, so that two processes starting at once
-- cannot both open one (the older of any left running is marked failed).
UPDATE retention_runs SET status = 'failed' WHERE status = 'running' AND id NOT IN
    (SELECT max(id) FROM retention_runs WHERE status = 'running' GROUP BY tenant_id);
CREATE UNIQUE INDEX retention_runs_running ON retention_runs (tenant_id) WHERE status = 'running';

-- A data-subject request is kept, after it was closed, for
-- SubjectRequestRetentionDays as the controller's evidence; then its
-- person, indexes and reasons are erased and the skeleton (kind, dates,
-- outcome counts) stays. person_erased_at: when that happened.
ALTER TABLE subject_requests ADD COLUMN person_erased_at BIGINT;
