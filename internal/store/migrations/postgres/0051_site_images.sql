-- Images of a tenant's site pages: uploaded by an editor, served publicly
-- at /{tenant}/site/images/{id}, pasted into a page's Markdown.
--
-- Only PNG, JPEG and WebP are kept (checked by their magic bytes; SVG,
-- which can carry script, never), at most 2 MiB, with an alternative text
-- per language (nl required, fr/en optional and falling back to nl; WCAG
-- 1.1.1) as JSON {"nl": "...", ...}. Published site content is public, so
-- the image and its text are stored in clear. The uploader is named by
-- account id only (the name sits sealed in users). Upload and delete are
-- in the audit log in the same transaction.

CREATE TABLE site_images (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    mime        TEXT NOT NULL,
    size        BIGINT NOT NULL,
    alt         TEXT NOT NULL,
    data        BYTEA NOT NULL,
    created_at  BIGINT NOT NULL,
    created_by  TEXT NOT NULL
);

CREATE INDEX site_images_tenant ON site_images (tenant_id, created_at);
