-- Maintenance notices (AUD-4): besides the controller's own grant, a
-- supplier operator may look at a controller's data after announcing
-- maintenance a number of Belgian working days ahead. The controller sees
-- each notice, may object (it never opens) or shorten it (a later start, an
-- earlier end, or open it now: the controller's consent to less notice),
-- and the operator's access opens only inside the window.

-- The controller's minimum notice in working days; no row: the default (5).
CREATE TABLE maintenance_settings (
    tenant_id       TEXT PRIMARY KEY REFERENCES tenants (id),
    min_notice_days INTEGER NOT NULL CHECK (min_notice_days BETWEEN 1 AND 30),
    updated_at      BIGINT NOT NULL,
    updated_by      TEXT NOT NULL -- the tenant user who set it
);

-- One announced window. label, scope and reason are sealed with the tenant key
-- (AD maintenance_notices/<column>/<id>), like a grant's reason: they may
-- name people or cases. starts_at and ends_at are the window as it stands
-- (the controller may have shortened it); announced_* what the operator
-- announced. objected_at ends it for good.
CREATE TABLE maintenance_notices (
    id              TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL REFERENCES tenants (id),
    operator_id     TEXT NOT NULL REFERENCES users (id), -- a user of the platform realm
    label           BLOB NOT NULL, -- the operator's address as they gave it
    scope           BLOB NOT NULL,
    reason          BLOB NOT NULL,
    announced_at    BIGINT NOT NULL,
    announced_start BIGINT NOT NULL,
    announced_end   BIGINT NOT NULL,
    min_notice_days INTEGER NOT NULL, -- the tenant's minimum when it was announced
    starts_at       BIGINT NOT NULL,
    ends_at         BIGINT NOT NULL,
    changed_at      BIGINT,
    changed_by      TEXT,
    objected_at     BIGINT,
    objected_by     TEXT,
    CHECK (ends_at > starts_at)
);
CREATE INDEX maintenance_notices_tenant ON maintenance_notices (tenant_id, ends_at);
CREATE INDEX maintenance_notices_operator ON maintenance_notices (operator_id, ends_at);
