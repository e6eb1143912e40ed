-- Placeholder on the branding branch only, so that its migration 0020
-- follows a contiguous sequence: when merging, delete this file (the
-- migration 0019 of another branch takes its number).
SELECT 1;
