-- Second factor (contract USR-2, ASVS 5.0 V6.5/V6.6): a TOTP secret per
-- user and single-use recovery codes.
-- The secret is sealed with the tenant's key. confirmed_at stays NULL until
-- the user has proved, with a code, that their app holds the secret; only a
-- confirmed secret is accepted at login. last_step is the time step of the
-- last code accepted: a code of that step or an earlier one is refused, so
-- a code is accepted once only. The MFA failure counter is its own, apart
-- from the password's (users.failed_count): mfa_failed_count wrong codes in
-- a row lock the second factor until mfa_locked_until.
-- Recovery codes are kept as SHA-256 of the normalised code only.

CREATE TABLE mfa_totp (
    user_id          TEXT PRIMARY KEY REFERENCES users (id),
    tenant_id        TEXT NOT NULL REFERENCES tenants (id),
    secret           BYTEA NOT NULL, -- sealed
    confirmed_at     BIGINT,
    last_step        BIGINT NOT NULL DEFAULT 0,
    mfa_failed_count INTEGER NOT NULL DEFAULT 0,
    mfa_locked_until BIGINT,
    created_at       BIGINT NOT NULL
);

CREATE TABLE mfa_recovery_codes (
    code_hash  BYTEA PRIMARY KEY, -- SHA-256 of the normalised code; the code itself is never stored
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    user_id    TEXT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    used_at    BIGINT
);
CREATE INDEX mfa_recovery_codes_user ON mfa_recovery_codes (tenant_id, user_id);
