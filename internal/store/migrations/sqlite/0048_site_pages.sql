-- A tenant's site pages (issue 15, content pages): public pages the
-- tenant's editors write in nl/fr/en, served at /{tenant}/site/{slug}
-- (under the "site" prefix, a reserved form key, so that no slug can clash
-- with a form or a tenant page).
--
-- site_pages holds what is current: the address (slug), the menu position,
-- the last version saved and the version published (0: not published, a
-- draft; the public route answers 404). site_page_versions keeps every
-- save as a version (the history): its content as JSON
-- {"nl": {"title", "summary", "body"}, ...} with the body in the safe
-- Markdown subset (internal/sitemd), and who saved it and when.
--
-- Published content is public and stored in clear. The editor is named
-- only by their account id (created_by, updated_by): the name sits sealed
-- in users. Every save, publish and unpublish is in the audit log in the
-- same transaction.

CREATE TABLE site_pages (
    id                TEXT PRIMARY KEY,
    tenant_id         TEXT NOT NULL REFERENCES tenants (id),
    slug              TEXT NOT NULL,
    position          INTEGER NOT NULL,
    version           INTEGER NOT NULL,
    published_version INTEGER NOT NULL,
    published_at      BIGINT,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    updated_by        TEXT NOT NULL,
    UNIQUE (tenant_id, slug)
);

CREATE TABLE site_page_versions (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    page_id    TEXT NOT NULL REFERENCES site_pages (id),
    version    INTEGER NOT NULL,
    slug       TEXT NOT NULL,
    content    TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    PRIMARY KEY (page_id, version)
);
