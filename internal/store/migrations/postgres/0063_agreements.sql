-- The data processing agreement generated and accepted in Kluis (REG-1,
-- SUB-1, BRE-5; issue: the agreement kept true by the system).

-- How the login that opened a session was made: the OpenID provider's
-- preset ("fas-eid", "fas-itsme", "acm", "generic") or '' for a password.
-- Accepting the agreement for the controller needs a FAS eID or itsme login
-- in this session.
ALTER TABLE sessions ADD COLUMN login_method TEXT NOT NULL DEFAULT '';

-- One generated version of a tenant's agreement: the full agreement with
-- its annexes, or an amendment of the version in force (base_number). The
-- PDF is kept as generated, so that what was accepted downloads
-- byte-identically; sha256 is its hash. inputs is what it was made of
-- (register version, sub-processors, measures' answers; JSON) and
-- fingerprint the SHA-256 of that JSON: a different fingerprint means the
-- agreement is no longer true and an amendment is due. No personal data:
-- the organisations' names and the register.
CREATE TABLE agreement_versions (
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    number      INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    base_number INTEGER,
    lang        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    created_by  TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    inputs      TEXT NOT NULL,
    pdf         BYTEA NOT NULL,
    PRIMARY KEY (tenant_id, number)
);

-- A party's acceptance of a version, with the SHA-256 of the PDF it
-- accepted. party: controller or supplier; signer_name sealed (the
-- person's name as it was when they accepted); method: how they signed in.
CREATE TABLE agreement_acceptances (
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    number      INTEGER NOT NULL,
    party       TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    signer_name BYTEA NOT NULL,
    capacity    TEXT NOT NULL,
    method      TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    accepted_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, number, party),
    FOREIGN KEY (tenant_id, number) REFERENCES agreement_versions (tenant_id, number)
);
