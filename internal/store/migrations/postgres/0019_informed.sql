-- The citizen kept informed (issue 10): the e-mail address a citizen gave
-- on a form, kept apart from the answers so that staff can reply and the
-- citizen can look the request up; the replies and status mails sent.

-- contact: the address (sealed, AD submissions/contact/<id>), the one the
-- form's confirmation field or first e-mail field holds. contact_index:
-- its keyed blind index ("subject", lower-cased: the same pseudonym as the
-- mail outbox's recipient), compared when a citizen looks a request up.
-- The language of every mail to the citizen is the form's, kept sealed
-- in submissions.lang (0018). confirmation_mail_id: the outbox
-- row of the confirmation mail, for the receipt to say whether it went.
ALTER TABLE submissions ADD COLUMN contact BYTEA;
ALTER TABLE submissions ADD COLUMN contact_index BYTEA;
ALTER TABLE submissions ADD COLUMN confirmation_mail_id TEXT;

-- Mails to the citizen about their submission, in its history: a staff
-- member's reply (body sealed, AD submission_replies/body/<id>) or a status
-- mail (no body: its text is the form's). mail_id is the outbox row.
CREATE TABLE submission_replies (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants (id),
    submission_id TEXT NOT NULL REFERENCES submissions (id),
    kind          TEXT NOT NULL CHECK (kind IN ('reply', 'status')),
    actor_id      TEXT NOT NULL, -- users.id or an API key's id
    mail_id       TEXT NOT NULL,
    lang          TEXT NOT NULL,
    status        TEXT,          -- kind status: the status announced
    body          BYTEA,          -- sealed: the reply's text
    created_at    BIGINT NOT NULL
);
CREATE INDEX submission_replies_submission ON submission_replies (tenant_id, submission_id, created_at);
