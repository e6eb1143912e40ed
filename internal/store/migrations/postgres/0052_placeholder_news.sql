-- Placeholder for migration 0052, which another branch owns: the
-- runner wants consecutive numbers. Delete this file when merging.
SELECT 1;
