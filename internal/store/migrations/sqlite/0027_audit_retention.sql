-- Audit retention per tenant and pruning at checkpoint boundaries (AUD-2,
-- ADT-1).
--
-- audit_retention keeps every version of a tenant's audit retention: a
-- change adds a row, nothing is updated or deleted; the current one is the
-- highest version, and a tenant without a row keeps its log 24 months.
-- created_by is the actor's id, never a name.
CREATE TABLE audit_retention (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    version    INTEGER NOT NULL,
    months     INTEGER NOT NULL CHECK (months >= 6),
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    PRIMARY KEY (tenant_id, version)
);

-- audit_prunings: one row per pruning of a tenant's log, the record that
-- replaces the events 1..size it removed. It holds hashes only, no personal
-- data: the chain hash of event `size` (where the chain verifier resumes),
-- the Merkle frontier of size `size` (where the tree resumes), the signed
-- checkpoint of that size the pruning stopped at, and the signed pruning
-- note (docs/audit.md). Append-only like the log itself.
CREATE TABLE audit_prunings (
    tenant_id  TEXT NOT NULL,
    size       BIGINT NOT NULL,
    last_hash  BLOB NOT NULL,
    frontier   BLOB NOT NULL,
    checkpoint TEXT NOT NULL,
    note       TEXT NOT NULL,
    pruned_at  BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, size)
) WITHOUT ROWID;
CREATE TRIGGER audit_prunings_no_update BEFORE UPDATE ON audit_prunings
BEGIN
    SELECT RAISE(ABORT, 'audit_prunings is append-only');
END;
CREATE TRIGGER audit_prunings_no_delete BEFORE DELETE ON audit_prunings
BEGIN
    SELECT RAISE(ABORT, 'audit_prunings is append-only');
END;

-- The log stays append-only, but an event at or below a pruning record's
-- size may be deleted: the store writes the record and deletes the events
-- it covers in one transaction. A plain DELETE, with no record covering
-- the event, still fails.
DROP TRIGGER audit_events_no_delete;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
WHEN OLD.seq > COALESCE((SELECT max(size) FROM audit_prunings WHERE tenant_id = OLD.tenant_id), 0)
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;
