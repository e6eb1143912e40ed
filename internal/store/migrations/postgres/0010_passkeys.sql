-- WebAuthn passkeys (contract USR-2, ASVS 5.0 V6.5–6.7): a second factor
-- and, being discoverable and user-verifying, a passwordless login.
--
-- passkey_users gives each user who registers a passkey a random WebAuthn
-- user handle (32 bytes): the authenticator stores it with the credential
-- and hands it back at a passwordless login. It is neither the user id nor
-- the e-mail address, so an authenticator never learns either.
--
-- passkeys holds the credentials: the credential id and COSE public key
-- the authenticator made, its signature counter (an assertion whose
-- counter does not go up is refused as a possible clone), the AAGUID
-- (authenticator model), transports, the authenticator's flags at
-- registration (bit 0 backup eligible, bit 1 backed up, bit 2 user
-- verified) and the attestation format. name is the user's own label for
-- it ("laptop"), sealed with the tenant's key. A credential id is unique
-- over all tenants: they share one relying party.
--
-- passkey_ceremonies is the server side of a registration or assertion
-- between its options and its answer: keyed by the SHA-256 of the
-- challenge, which the browser's answer carries back signed; bound to the
-- session that asked (registration, second factor) or, for a passwordless
-- login, to the challenge alone; kind says which of the three it is;
-- state is the relying party's own record of the ceremony (JSON); deleted
-- when answered, right or wrong, so it is used once; refused after
-- expires_at.

CREATE TABLE passkey_users (
    user_id    TEXT PRIMARY KEY REFERENCES users (id),
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    handle     BYTEA NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);

CREATE TABLE passkeys (
    id                 TEXT PRIMARY KEY,
    tenant_id          TEXT NOT NULL REFERENCES tenants (id),
    user_id            TEXT NOT NULL REFERENCES users (id),
    credential_id      BYTEA NOT NULL UNIQUE,
    public_key         BYTEA NOT NULL,
    sign_count         BIGINT NOT NULL,
    aaguid             BYTEA NOT NULL,
    transports         TEXT NOT NULL DEFAULT '',
    flags              INTEGER NOT NULL DEFAULT 0,
    attestation_format TEXT NOT NULL DEFAULT '',
    name               BYTEA NOT NULL, -- sealed
    created_at         BIGINT NOT NULL,
    last_used_at       BIGINT
);
CREATE INDEX passkeys_user ON passkeys (tenant_id, user_id);

CREATE TABLE passkey_ceremonies (
    challenge_hash BYTEA PRIMARY KEY, -- SHA-256 of the challenge
    tenant_id      TEXT NOT NULL REFERENCES tenants (id),
    kind           TEXT NOT NULL, -- 'register', 'mfa', 'login'
    session_hash   BYTEA,          -- sessions.id_hash of the session that asked; NULL for a passwordless login
    user_id        TEXT REFERENCES users (id),
    state          TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL
);
CREATE INDEX passkey_ceremonies_expiry ON passkey_ceremonies (expires_at);
