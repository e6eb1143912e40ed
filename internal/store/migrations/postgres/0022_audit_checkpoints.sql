-- Placeholder on the notice branch only: migration 0022 is the lead's
-- (audit checkpoints). At merge, take main's file.
SELECT 1;
