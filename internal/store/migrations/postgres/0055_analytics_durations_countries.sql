-- Consent-free analytics, continued: the time to complete a form as a
-- histogram per form × day with fixed buckets (analytics.DurationBuckets),
-- and the visitors' country per day (only when a local GeoIP database is
-- configured). Aggregates only: no duration of one submission, no start
-- time, no IP address has a column here. The register's analytics category
-- sets how long they are kept, as for analytics_views.
CREATE TABLE analytics_form_durations (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    day       TEXT NOT NULL, -- YYYY-MM-DD, Europe/Brussels
    form_key  TEXT NOT NULL,
    bucket    INTEGER NOT NULL, -- the bucket's upper bound in seconds
    count     BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, day, form_key, bucket)
);
CREATE TABLE analytics_countries (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    day       TEXT NOT NULL,
    country   TEXT NOT NULL, -- ISO 3166-1 alpha-2
    count     BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, day, country)
);
