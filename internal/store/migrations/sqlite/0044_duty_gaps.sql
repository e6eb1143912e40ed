-- The gaps of the contract workflows: a reminder before an authority's
-- deadline (REG-5).

-- reminded: how far the deadline clock has mailed about the request:
-- 0 not yet, 1 the reminder some working days ahead, 2 the deadline passed.
ALTER TABLE authority_requests ADD COLUMN reminded INTEGER NOT NULL DEFAULT 0;
