-- The mail outbox: messages waiting for (or done with) the SMTP relay.
-- Recipient, subject and body are personal data and sealed; last_error holds
-- only an SMTP status (code and class), never an address or a server's text.
-- next_attempt_at is when a pending mail is due; for a mail being sent it is
-- when the attempt counts as abandoned (a crash) and the mail is due again.

CREATE TABLE mail_outbox (
    id              TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL REFERENCES tenants (id),
    recipient       BLOB NOT NULL, -- sealed
    recipient_index BLOB NOT NULL, -- keyed blind index of the address: the audit pseudonym
    subject         BLOB NOT NULL, -- sealed
    body            BLOB NOT NULL, -- sealed, text/plain
    lang            TEXT NOT NULL,
    kind            TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL,
    sent_at         BIGINT
);
CREATE INDEX mail_outbox_due ON mail_outbox (status, next_attempt_at);
CREATE INDEX mail_outbox_tenant ON mail_outbox (tenant_id, created_at);
