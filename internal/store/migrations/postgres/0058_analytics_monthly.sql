-- Consent-free analytics, rolled up per calendar month for the dashboard:
-- a period of a year then reads twelve monthly rows per key plus the daily
-- rows of the partial months at its ends, instead of 365 daily rows per
-- key (the funnels are day × form × step, the time-to-complete histograms
-- day × form × bucket). month_start is the month's first day (YYYY-MM-01,
-- Europe/Brussels). store.AddAnalytics writes them in the same transaction
-- as the daily rows they sum; the analytics category's retention deletes
-- the months before its cut-off and rebuilds the month holding it from the
-- daily rows it keeps. Aggregates only: no visitor identifier.
CREATE TABLE analytics_view_rollups_monthly (
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    dim         TEXT NOT NULL, -- path, referrer, browser, device, lang
    month_start TEXT NOT NULL, -- YYYY-MM-01
    dim_value   TEXT NOT NULL,
    count       BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, dim, month_start, dim_value) INCLUDE (count)
);
CREATE TABLE analytics_form_events_monthly (
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    month_start TEXT NOT NULL, -- YYYY-MM-01
    form_key    TEXT NOT NULL,
    event       TEXT NOT NULL,
    page        INTEGER NOT NULL,
    field       TEXT NOT NULL,
    count       BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, month_start, form_key, event, page, field) INCLUDE (count)
);
CREATE TABLE analytics_form_durations_monthly (
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    month_start TEXT NOT NULL, -- YYYY-MM-01
    form_key    TEXT NOT NULL,
    bucket      INTEGER NOT NULL,
    count       BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, month_start, form_key, bucket) INCLUDE (count)
);
INSERT INTO analytics_view_rollups_monthly (tenant_id, dim, month_start, dim_value, count)
    SELECT tenant_id, dim, substr(day, 1, 8) || '01', dim_value, SUM(count) FROM analytics_view_rollups
    WHERE dim <> 'day' GROUP BY tenant_id, dim, substr(day, 1, 8) || '01', dim_value;
INSERT INTO analytics_form_events_monthly (tenant_id, month_start, form_key, event, page, field, count)
    SELECT tenant_id, substr(day, 1, 8) || '01', form_key, event, page, field, SUM(count) FROM analytics_form_events
    GROUP BY tenant_id, substr(day, 1, 8) || '01', form_key, event, page, field;
INSERT INTO analytics_form_durations_monthly (tenant_id, month_start, form_key, bucket, count)
    SELECT tenant_id, substr(day, 1, 8) || '01', form_key, bucket, SUM(count) FROM analytics_form_durations
    GROUP BY tenant_id, substr(day, 1, 8) || '01', form_key, bucket;
