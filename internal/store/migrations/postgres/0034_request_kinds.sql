-- Every kind of data-subject request carried out (DSR-1): a short
-- reference per tenant and year, the controller's decision on an
-- objection, the kind-specific details a citizen gives on the public page,
-- and the sealed history of rectified values.

-- reference: VZ-<year>-<nnnn>, sequential per tenant and year, shown to
-- citizens and staff (lookups stay by id). objection: the controller's
-- decision on an objection ('' none yet, 'upheld' or 'compelling');
-- objection_purpose: the register purpose objected to ('' all processing);
-- objection_effect: what an upheld objection does ('restrict' or 'erase');
-- objection_forms: the forms it restricts, ",key,key," ('' all), fixed
-- when it is executed.
ALTER TABLE subject_requests ADD COLUMN reference TEXT;
ALTER TABLE subject_requests ADD COLUMN objection TEXT NOT NULL DEFAULT '';
ALTER TABLE subject_requests ADD COLUMN objection_purpose TEXT NOT NULL DEFAULT '';
ALTER TABLE subject_requests ADD COLUMN objection_effect TEXT NOT NULL DEFAULT '';
ALTER TABLE subject_requests ADD COLUMN objection_forms TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX subject_requests_reference ON subject_requests (tenant_id, reference) WHERE reference IS NOT NULL;
-- The last reference number given per tenant and year.
CREATE TABLE subject_request_numbers (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    year      INTEGER NOT NULL,
    last      INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, year)
);
-- details: what the citizen typed on the public page for the kind (what is
-- wrong and the correction, or the grounds), sealed (AD
-- subject_request_codes/details/<id>), carried to the request once the
-- code is proven.
ALTER TABLE subject_request_codes ADD COLUMN details BYTEA;
-- A rectified value's history (art. 16 GDPR): which submission and field,
-- the value before and after (sealed, AD submission_rectifications/<column>/<id>),
-- who changed it, when and under which request. Personal data: known to
-- the access package and erased with the submission.
CREATE TABLE submission_rectifications (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants (id),
    submission_id TEXT NOT NULL,
    request_id    TEXT NOT NULL,
    field_key     TEXT NOT NULL,
    old_value     BYTEA NOT NULL,
    new_value     BYTEA NOT NULL,
    actor_id      TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE INDEX submission_rectifications_submission ON submission_rectifications (tenant_id, submission_id, created_at);
CREATE INDEX submission_rectifications_request ON submission_rectifications (tenant_id, request_id, created_at);
