-- Consulting the national register (Rijksregister, through MAGDA) from a
-- submission: the register's authorisation names the people who may do it,
-- so an admin grants it per user rather than by role (register.lookup, see
-- account.UserCan). 0 or 1; granting and revoking are audited
-- (user.register_lookup.grant / .revoke).
ALTER TABLE users ADD COLUMN register_lookup INTEGER NOT NULL DEFAULT 0;
