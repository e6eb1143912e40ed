-- Placeholder for the casework branch's migration 0018 (numbers must be
-- contiguous). The lead drops this file when merging that branch.
SELECT 1;
