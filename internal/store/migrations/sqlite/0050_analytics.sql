-- Consent-free analytics: counts of public page views and of form funnel
-- steps, per tenant and day. Aggregates only: no IP address, User-Agent,
-- cookie or any other visitor identifier has a column here. The register's
-- analytics category sets how long they are kept (store.AnalyticsRetentionDays
-- until the retention engine reads it).
CREATE TABLE analytics_views (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    day       TEXT NOT NULL, -- YYYY-MM-DD, Europe/Brussels
    path      TEXT NOT NULL, -- within the tenant, no query string
    referrer  TEXT NOT NULL, -- "direct", "internal" or a host name
    browser   TEXT NOT NULL, -- a family
    device    TEXT NOT NULL, -- desktop, mobile, tablet
    lang      TEXT NOT NULL,
    count     BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, day, path, referrer, browser, device, lang)
);
CREATE TABLE analytics_form_events (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    day       TEXT NOT NULL,
    form_key  TEXT NOT NULL,
    event     TEXT NOT NULL, -- started, page, submitted, error
    page      INTEGER NOT NULL, -- event page: the page reached
    field     TEXT NOT NULL, -- event error: the field's key
    count     BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, day, form_key, event, page, field)
);
