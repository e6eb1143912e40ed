-- The breach register (BRE-1…BRE-5): per tenant, every breach and serious
-- attempt, on the annex-2 form, every update a new version.

-- discovered_at: when the breach was discovered (the clocks run from it;
-- also in the sealed form). version: the latest version's number.
-- opened_by_kind/opened_by: user (users.id) or operator (operator id).
-- notified_at: the first notification to the controller (BRE-1: at most 24
-- hours after discovery); NULL while not yet notified. escalated: the
-- security officer's warnings sent (0 none, 18 at 18 hours, 24 overdue).
-- gba_notified_at, subjects_informed_at: when the controller says it
-- notified the GBA and informed the people affected (BRE-3: Kluis never
-- does either itself).
CREATE TABLE breaches (
    id                   TEXT PRIMARY KEY,
    tenant_id            TEXT NOT NULL REFERENCES tenants (id),
    discovered_at        BIGINT NOT NULL,
    version              INTEGER NOT NULL,
    opened_by_kind       TEXT NOT NULL,
    opened_by            TEXT NOT NULL,
    opened_at            BIGINT NOT NULL,
    notified_at          BIGINT,
    escalated            INTEGER NOT NULL DEFAULT 0,
    gba_notified_at      BIGINT,
    subjects_informed_at BIGINT,
    updated_at           BIGINT NOT NULL
);
CREATE INDEX breaches_tenant ON breaches (tenant_id, discovered_at, id);
-- The escalation job reads only the breaches not yet reported.
CREATE INDEX breaches_unnotified ON breaches (tenant_id, discovered_at) WHERE notified_at IS NULL;

-- One version of a breach's annex-2 form. content: the form as JSON, sealed
-- with the tenant key (AD breach_versions/content/<breach id>/<version>);
-- content_sha256: hex SHA-256 of that JSON, the version's fingerprint.
-- notified_at/notified_to/mail_sha256: the proof of its notification to
-- the controller: when, to whom (sealed JSON list of addresses, AD
-- breach_versions/notified_to/…) and the hex SHA-256 of the mail as queued.
CREATE TABLE breach_versions (
    tenant_id      TEXT NOT NULL REFERENCES tenants (id),
    breach_id      TEXT NOT NULL REFERENCES breaches (id),
    version        INTEGER NOT NULL,
    content        BLOB NOT NULL,
    content_sha256 TEXT NOT NULL,
    author_kind    TEXT NOT NULL,
    author         TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    notified_at    BIGINT,
    notified_to    BLOB,
    mail_sha256    TEXT,
    PRIMARY KEY (breach_id, version)
);
CREATE INDEX breach_versions_tenant ON breach_versions (tenant_id, breach_id);
