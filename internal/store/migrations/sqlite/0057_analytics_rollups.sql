-- Consent-free analytics, rolled up for the dashboard: the views of each
-- day summed by one dimension at a time (day, path, referrer, browser,
-- device, lang). A breakdown over a year then reads at most 365 × the
-- distinct values of its dimension instead of every row of analytics_views
-- (keyed per day × path × referrer × browser × device × language). The
-- batch that writes analytics_views writes these rows in the same
-- transaction (store.AddAnalytics), so both always add up to the same
-- counts. Aggregates only, like analytics_views: no visitor identifier;
-- the register's analytics category sets how long they are kept.
-- WITHOUT ROWID: the primary key is the table, so a breakdown's range
-- scan reads count from the same b-tree.
CREATE TABLE analytics_view_rollups (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    dim       TEXT NOT NULL, -- day, path, referrer, browser, device, lang
    day       TEXT NOT NULL, -- YYYY-MM-DD, Europe/Brussels
    dim_value TEXT NOT NULL, -- the dimension's value (for dim day: the day)
    count     BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, dim, day, dim_value)
) WITHOUT ROWID;
INSERT INTO analytics_view_rollups (tenant_id, dim, day, dim_value, count)
    SELECT tenant_id, 'day', day, day, SUM(count) FROM analytics_views GROUP BY tenant_id, day;
INSERT INTO analytics_view_rollups (tenant_id, dim, day, dim_value, count)
    SELECT tenant_id, 'path', day, path, SUM(count) FROM analytics_views GROUP BY tenant_id, day, path;
INSERT INTO analytics_view_rollups (tenant_id, dim, day, dim_value, count)
    SELECT tenant_id, 'referrer', day, referrer, SUM(count) FROM analytics_views GROUP BY tenant_id, day, referrer;
INSERT INTO analytics_view_rollups (tenant_id, dim, day, dim_value, count)
    SELECT tenant_id, 'browser', day, browser, SUM(count) FROM analytics_views GROUP BY tenant_id, day, browser;
INSERT INTO analytics_view_rollups (tenant_id, dim, day, dim_value, count)
    SELECT tenant_id, 'device', day, device, SUM(count) FROM analytics_views GROUP BY tenant_id, day, device;
INSERT INTO analytics_view_rollups (tenant_id, dim, day, dim_value, count)
    SELECT tenant_id, 'lang', day, lang, SUM(count) FROM analytics_views GROUP BY tenant_id, day, lang;
-- The funnel and time-to-complete reads of a period: covering indexes, so
-- that they read count from the index instead of one table lookup a row.
CREATE INDEX analytics_form_events_period ON analytics_form_events (tenant_id, day, form_key, event, page, field, count);
CREATE INDEX analytics_form_durations_period ON analytics_form_durations (tenant_id, day, form_key, bucket, count);
