-- Casework (issue 10): a due date per submission and the language the
-- citizen filled the form in, for the staff inbox.

-- due_at is the instant a case becomes overdue: the start (Europe/
-- Brussels) of the day after its due day, the day of receipt plus the
-- form's handling time in calendar days. It is fixed at intake, so that a
-- later change of the form's handling time does not move existing cases,
-- and it is a column so that counts, the overdue filter and the sort by
-- due date run on indexes. No handling time: the largest BIGINT, so that
-- such cases sort last and are never overdue without a NULL case in every
-- query and keyset.
ALTER TABLE submissions ADD COLUMN due_at BIGINT NOT NULL DEFAULT 9223372036854775807;
-- The page language the citizen used (nl, fr, en): a technical setting
-- about a person (VO-B annex 1), so sealed like the answers. NULL for
-- submissions made before it was recorded.
ALTER TABLE submissions ADD COLUMN lang BLOB;

-- Counts per status and the overdue filter read only the open cases (new
-- and in progress: the backlog), by form, status and due date.
CREATE INDEX submissions_open ON submissions (tenant_id, form_key, status, due_at)
    WHERE status IN ('new', 'in_progress');
-- Counts of ended cases; intake inserts only new rows, so this one costs
-- it nothing.
CREATE INDEX submissions_closed ON submissions (tenant_id, form_key, status)
    WHERE status IN ('done', 'rejected');
-- Sorted by due date: open cases first, soonest due first, then ended
-- ones; the keyset is (open or ended, due_at, id).
CREATE INDEX submissions_due ON submissions (tenant_id, (CASE WHEN status IN ('done', 'rejected') THEN 1 ELSE 0 END), due_at, id);
