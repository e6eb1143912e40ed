-- The gaps of the contract workflows: a reminder before an authority's
-- deadline (REG-5) and sub-processors that end (SUB-1, SUB-3).

-- reminded: how far the deadline clock has mailed about the request:
-- 0 not yet, 1 the reminder some working days ahead, 2 the deadline passed.
ALTER TABLE authority_requests ADD COLUMN reminded INTEGER NOT NULL DEFAULT 0;

-- retired_at: the day a sub-processor stopped receiving data; it then
-- leaves the current overview, stays in the history with that date, and
-- Kluis refuses to route any data to it. retired_reason: why (a company's
-- matter, no personal data).
ALTER TABLE subprocessors ADD COLUMN retired_at BIGINT;
ALTER TABLE subprocessors ADD COLUMN retired_reason TEXT NOT NULL DEFAULT '';
