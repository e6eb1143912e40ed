-- Tenant security policy (contract USR-3, USR-6, USR-7; issue 3) and
-- in-flight login attempts.
--
-- tenant_policies keeps every version of a tenant's policy: a change adds
-- a row with the next version, nothing is updated or deleted, and the
-- current policy is the highest version. A tenant without a row has the
-- platform defaults. Durations are in seconds. created_by is the actor's
-- id, never a name. Booleans are INTEGER 0/1 on both dialects.
--
-- login_inflight counts login attempts reserved but not yet evaluated (see
-- account.LockState): failed_count now counts only evaluated failures, so
-- concurrent correct logins never lock an account.

CREATE TABLE tenant_policies (
    tenant_id                  TEXT NOT NULL REFERENCES tenants (id),
    version                    INTEGER NOT NULL,
    password_min_length        INTEGER NOT NULL,
    password_max_length        INTEGER NOT NULL,
    breach_check               INTEGER NOT NULL,
    lockout_max_failures       INTEGER NOT NULL,
    lockout_window_s           INTEGER NOT NULL,
    lockout_lock1_s            INTEGER NOT NULL,
    lockout_lock2_s            INTEGER NOT NULL,
    lockout_lock3_s            INTEGER NOT NULL,
    lockout_admin_unlock_after INTEGER NOT NULL,
    mfa_max_failures           INTEGER NOT NULL,
    session_idle_s             INTEGER NOT NULL,
    session_admin_idle_s       INTEGER NOT NULL,
    session_absolute_s         INTEGER NOT NULL,
    mfa_required               INTEGER NOT NULL,
    created_at                 BIGINT NOT NULL,
    created_by                 TEXT NOT NULL,
    PRIMARY KEY (tenant_id, version)
);

ALTER TABLE users ADD COLUMN login_inflight INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN login_inflight_at BIGINT;
