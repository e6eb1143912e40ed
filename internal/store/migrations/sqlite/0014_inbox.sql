-- The staff inbox (issue 5): who handles a submission and its history,
-- which users see which forms (ORG-6), and figures that outlive the
-- submissions they count.

-- Workflow: status is new, in_progress, done or rejected (checked in Go:
-- SQLite cannot add a CHECK to an existing column); the assignee is a
-- user of the tenant.
ALTER TABLE submissions ADD COLUMN assignee_id TEXT;
ALTER TABLE submissions ADD COLUMN updated_at BIGINT NOT NULL DEFAULT 0;
-- Inbox filters page newest first by keyset (created_at, id). Intake
-- inserts only 'new' and unassigned rows, so the status and assignee
-- indexes are partial: they cost intake nothing.
CREATE INDEX submissions_form_created ON submissions (tenant_id, form_key, created_at DESC, id DESC);
CREATE INDEX submissions_status_created ON submissions (tenant_id, status, created_at DESC, id DESC) WHERE status <> 'new';
CREATE INDEX submissions_assignee_created ON submissions (tenant_id, assignee_id, created_at DESC, id DESC)
    WHERE assignee_id IS NOT NULL;

-- The history of a submission as staff see it: status changes (with the
-- reason), assignments and internal notes. Reasons and notes are sealed.
CREATE TABLE submission_events (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants (id),
    submission_id TEXT NOT NULL REFERENCES submissions (id),
    kind          TEXT NOT NULL CHECK (kind IN ('status', 'assign', 'note')),
    actor_id      TEXT NOT NULL, -- users.id
    status        TEXT,          -- kind status: the new status
    assignee_id   TEXT,          -- kind assign: the new assignee (NULL: nobody)
    body          BLOB,         -- sealed: the reason or the note
    created_at    BIGINT NOT NULL
);
CREATE INDEX submission_events_submission ON submission_events (tenant_id, submission_id, created_at);

-- ORG-6: a user sees a form's submissions only with a grant from an admin.
CREATE TABLE form_access (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    user_id    TEXT NOT NULL REFERENCES users (id),
    form_key   TEXT NOT NULL,
    granted_by TEXT NOT NULL,
    granted_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, user_id, form_key)
);
CREATE INDEX form_access_form ON form_access (tenant_id, form_key);

-- Statistics without personal data: per form, day of receipt (Europe/
-- Brussels) and current status. Kept when retention removes submissions.
CREATE TABLE form_stats (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    form_key  TEXT NOT NULL,
    day       TEXT NOT NULL, -- YYYY-MM-DD
    status    TEXT NOT NULL,
    count     BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, form_key, day, status)
);
