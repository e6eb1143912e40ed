-- Account hygiene (issue 3): step-up re-authentication, the user's own
-- list of sessions, and user removal (contract USR-1).
--
-- reauth_at is when the session's user last proved their credentials: the
-- login, the second login step, or a step-up confirmation. Sensitive
-- actions (role change, MFA reset, removal, exports) need it recent.
-- device is the coarse browser label of the session ("Firefox on Linux"),
-- now sealed like other personal data; the plaintext user_agent_hint is
-- emptied and no longer written (the label of older sessions is lost).
-- removed_at marks a removed user: the row stays so that the audit trail
-- keeps naming an existing id, but the sealed name and address are erased
-- and the e-mail blind index is replaced, so the address can be invited
-- again. The status stays 'disabled' in the database (the CHECK constraint
-- cannot be changed in place on SQLite); the store reports "removed".

ALTER TABLE sessions ADD COLUMN reauth_at BIGINT;
UPDATE sessions SET reauth_at = COALESCE(mfa_verified_at, created_at);
ALTER TABLE sessions ADD COLUMN device BLOB; -- sealed
UPDATE sessions SET user_agent_hint = '';

ALTER TABLE users ADD COLUMN removed_at BIGINT;
