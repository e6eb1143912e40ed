-- A placeholder for migration 43, which another branch holds: this branch's
-- 0044 needs the numbers contiguous to run its tests. DROP THIS FILE when
-- merging after the branch that brings the real 0043.
SELECT 1;
