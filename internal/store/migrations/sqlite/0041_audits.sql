-- Audits by the controller and corrective actions (ADT-1…ADT-3).

-- One announced audit. kind: document or onsite; audit_date: the day (and
-- time) it takes place — an on-site audit at least 10 Belgian working days
-- after the announcement (ADT-2). details: scope and auditor as JSON, sealed
-- with the tenant key (AD controller_audits/details/<id>).
-- acknowledged_at/_by: when and which operator acknowledged it for the
-- supplier. findings_at: when the first finding was entered; the
-- corrective-action plan is due one month later (ADT-3). plan_status: ''
-- none yet, submitted, approved, returned; plan_reason: the controller's
-- reason for returning it (sealed, AD controller_audits/plan_reason/<id>).
-- plan_warned: the reminders sent (0 none, 7 a week before, 1 overdue).
CREATE TABLE controller_audits (
    id                TEXT PRIMARY KEY,
    tenant_id         TEXT NOT NULL REFERENCES tenants (id),
    kind              TEXT NOT NULL,
    audit_date        BIGINT NOT NULL,
    details           BLOB NOT NULL,
    announced_by      TEXT NOT NULL,
    announced_at      BIGINT NOT NULL,
    acknowledged_at   BIGINT,
    acknowledged_by   TEXT,
    findings_at       BIGINT,
    plan_status       TEXT NOT NULL DEFAULT '',
    plan_submitted_at BIGINT,
    plan_decided_at   BIGINT,
    plan_reason       BLOB,
    plan_warned       INTEGER NOT NULL DEFAULT 0,
    updated_at        BIGINT NOT NULL
);
CREATE INDEX controller_audits_tenant ON controller_audits (tenant_id, audit_date, id);

-- A finding of an audit: severity low/medium/high; content: title and
-- description as JSON, sealed (AD controller_audit_findings/content/<id>).
CREATE TABLE controller_audit_findings (
    id         TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    audit_id   TEXT NOT NULL REFERENCES controller_audits (id),
    severity   TEXT NOT NULL,
    content    BLOB NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX controller_audit_findings_audit ON controller_audit_findings (tenant_id, audit_id, created_at);

-- One action of the corrective-action plan, tracked to its due date.
-- content: what will be done, sealed (AD controller_audit_actions/content/<id>).
CREATE TABLE controller_audit_actions (
    id         TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    audit_id   TEXT NOT NULL REFERENCES controller_audits (id),
    position   INTEGER NOT NULL,
    content    BLOB NOT NULL,
    due_at     BIGINT NOT NULL,
    done_at    BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX controller_audit_actions_audit ON controller_audit_actions (tenant_id, audit_id, position);
