-- Second factor per session (contract USR-2, ASVS 5.0 V6.4–6.6): when the
-- session's user proved their second factor (a TOTP or recovery code at
-- login, or the code that confirmed their enrolment). NULL: password only.
-- A password-only session of a user with a confirmed TOTP is pending: it
-- reaches the second login step and logout, nothing else.

ALTER TABLE sessions ADD COLUMN mfa_verified_at BIGINT;
