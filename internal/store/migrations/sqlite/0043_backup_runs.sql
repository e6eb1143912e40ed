-- Backups and restore tests (END-2, SEC-4, SEC-5): one row per backup made
-- and per scheduled restore test, so that the compliance report, the
-- controllers' pages and the health check can tell when the last good one
-- ran. Platform rows: no tenant, no personal data (detail is a reason such
-- as "row counts differ for table submissions", never a value).
-- kind: backup or restore_test. ok: 1 passed, 0 failed.
CREATE TABLE backup_runs (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    backup_id   TEXT NOT NULL,
    location    TEXT NOT NULL,
    started_at  BIGINT NOT NULL,
    finished_at BIGINT NOT NULL,
    ok          INTEGER NOT NULL,
    detail      TEXT NOT NULL
);
CREATE INDEX backup_runs_kind ON backup_runs (kind, finished_at);
