-- The audit log page stays fast at millions of events (AUD-1): each filter
-- of the page is a range of one index, read newest first (at, seq), so a
-- filter on a rare action or on one citizen reads only what it shows
-- instead of scanning back through the whole log. The page orders by
-- (at DESC, seq DESC); the date filter is a range on at in every index.
CREATE INDEX audit_events_at ON audit_events (tenant_id, at, seq);
CREATE INDEX audit_events_action ON audit_events (tenant_id, action, at, seq);
CREATE INDEX audit_events_actor ON audit_events (tenant_id, actor_id, at, seq);
CREATE INDEX audit_events_actor_action ON audit_events (tenant_id, actor_id, action, at, seq);
CREATE INDEX audit_events_object ON audit_events (tenant_id, object_id, at, seq);
-- Most events are about no citizen: only those that are take room here.
CREATE INDEX audit_events_subject ON audit_events (tenant_id, subject, at, seq) WHERE subject <> '';

-- A list event (submission.list) names the rows it showed as "id,id,…" in
-- its object_id; the object filter finds them here, one row per id, instead
-- of matching every list event with LIKE. Ids only, no personal data. It is
-- an index of audit_events kept by the store, not part of the proof (the
-- chain and the checkpoints are): written with each list event, and
-- deleted with the events a pruning removes (AUD-2).
CREATE TABLE audit_list_objects (
    tenant_id TEXT NOT NULL,
    object_id TEXT NOT NULL,
    seq       BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, object_id, seq)
) WITHOUT ROWID;

-- The pruning deletes by sequence number.
CREATE INDEX audit_list_objects_seq ON audit_list_objects (tenant_id, seq);

-- The list events already in the log.
WITH RECURSIVE split (tenant_id, seq, id, rest) AS (
    SELECT tenant_id, seq, '', object_id || ',' FROM audit_events WHERE instr(object_id, ',') > 0
    UNION ALL
    SELECT tenant_id, seq, substr(rest, 1, instr(rest, ',') - 1), substr(rest, instr(rest, ',') + 1)
    FROM split WHERE rest <> ''
)
INSERT OR IGNORE INTO audit_list_objects (tenant_id, object_id, seq)
SELECT tenant_id, id, seq FROM split WHERE id <> '';
