-- A tenant's look (issue 10): the name shown, the logo, the accent colour
-- and the contact block, one row per tenant, changed in place with a
-- version for optimistic concurrency; every change is in the audit log
-- ("branding.update", with the names of the fields changed).
--
-- Nothing here is personal data: the contact block is the municipality's
-- general contact (the admin page asks for that, not a person's), shown on
-- every public page, mail and PDF. The logo is stored as checked: a PNG
-- decoded and re-encoded by Kluis, or an SVG sanitised to an allow-list
-- (see internal/brand and internal/svgsafe); logo_type is '' when there is
-- none, logo_hash a short SHA-256 of the bytes (the ETag and cache key).
-- A tenant without a row has the defaults: its legal name, Kluis's accent.

CREATE TABLE tenant_branding (
    tenant_id  TEXT PRIMARY KEY REFERENCES tenants (id),
    version    INTEGER NOT NULL,
    name       TEXT NOT NULL,
    accent     TEXT NOT NULL,
    address    TEXT NOT NULL,
    phone      TEXT NOT NULL,
    email      TEXT NOT NULL,
    website    TEXT NOT NULL,
    hours      TEXT NOT NULL,
    logo       BYTEA,
    logo_type  TEXT NOT NULL,
    logo_hash  TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL
);
