-- Signed checkpoints of each tenant's audit log (AUD-2, AUD-3, ADT-1).
--
-- audit_heads.tree is the frontier of the tenant's RFC 6962 Merkle tree
-- over its events (the roots of the perfect subtrees covering events
-- 1..seq, 32 bytes each, left to right), moved with the head in the same
-- statement on every append, so that a checkpoint can be signed in constant
-- time. NULL on a log written before this migration: the store builds it
-- from the events on the first append or checkpoint.
ALTER TABLE audit_heads ADD COLUMN tree BLOB;

-- Every checkpoint the platform signed: the signed note as it was handed
-- out (downloaded, mailed, pushed). Holds hashes only, no personal data.
-- A copy here proves nothing by itself — the controller keeps its own —
-- but it lets the audit page offer every checkpoint for download and the
-- job know when the log last grew.
CREATE TABLE audit_checkpoints (
    tenant_id TEXT NOT NULL,
    size      BIGINT NOT NULL,
    root      BLOB NOT NULL,
    note      TEXT NOT NULL,
    signed_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, size)
) WITHOUT ROWID;
CREATE INDEX audit_checkpoints_signed ON audit_checkpoints (tenant_id, signed_at);
