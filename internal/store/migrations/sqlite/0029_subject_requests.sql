-- Data-subject requests (DSR-1, DSR-2): a request under chapter III GDPR
-- about one person, filed by staff on the citizen's behalf or by supplier
-- staff, that runs only after the controller's approval.

-- person: the person as the request names them (sealed JSON: name,
-- e-mail, national register number, language, details; AD
-- subject_requests/person/<id>). subject_index and email_index: the
-- tenant's keyed blind index ("subject") of the national register number's
-- digits and of the lower-cased e-mail address, the same values intake
-- indexes submissions by, so the person's data is found across all forms
-- without plaintext. status: received, approved, refused, executed,
-- closed (checked in Go). reason: the approval's or refusal's reason,
-- sealed (it may name the person); extend_reason likewise. due_at: one
-- month after receipt, once extended by two months. reminded: the last
-- reminder sent (0 none, 7, 2 days before the deadline). outcome: what an
-- execution did, without personal data (JSON: for an erasure, how many
-- submissions were erased and which forms' were kept by legal obligation,
-- with the register purpose that obliges).
CREATE TABLE subject_requests (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants (id),
    kind          TEXT NOT NULL CHECK (kind IN ('access', 'portability', 'rectification', 'erasure', 'restriction', 'objection')),
    person        BLOB NOT NULL,
    subject_index BLOB,
    email_index   BLOB,
    filed_by_kind TEXT NOT NULL, -- user or operator
    filed_by      TEXT NOT NULL, -- users.id or operator id
    status        TEXT NOT NULL,
    reason        BLOB,
    decided_by    TEXT,
    decided_at    BIGINT,
    received_at   BIGINT NOT NULL,
    due_at        BIGINT NOT NULL,
    extend_reason BLOB,
    executed_by   TEXT,
    executed_at   BIGINT,
    reminded      INTEGER NOT NULL DEFAULT 0,
    outcome       TEXT NOT NULL DEFAULT '',
    updated_at    BIGINT NOT NULL
);
-- The open requests by deadline, for the controller's list and the
-- reminder job; duplicates are found among a person's open requests.
CREATE INDEX subject_requests_open ON subject_requests (tenant_id, due_at, id) WHERE status IN ('received', 'approved');
CREATE INDEX subject_requests_subject ON subject_requests (tenant_id, subject_index) WHERE subject_index IS NOT NULL;
CREATE INDEX subject_requests_email ON subject_requests (tenant_id, email_index) WHERE email_index IS NOT NULL;
CREATE INDEX subject_requests_received ON subject_requests (tenant_id, received_at, id);
-- Submissions are found by the contact address's index too (a form with a
-- national register number indexes the subject by that number).
CREATE INDEX IF NOT EXISTS submissions_tenant_contact ON submissions (tenant_id, contact_index) WHERE contact_index IS NOT NULL;
