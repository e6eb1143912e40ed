-- News items and the composed home page (issue 15, content pages) reuse
-- the site page machinery (site_pages, site_page_versions, migration 0048):
-- the same versions, drafts, preview, publish, history and audit.
--
-- kind says what a row is: 'page' (a content page at /{tenant}/site/{slug}),
-- 'news' (a news item at /{tenant}/site/news/{slug}, with a date) or 'home'
-- (the composed front page at /{tenant}/, at most one per tenant, under the
-- reserved slug '_home' that no editor's slug can take).
--
-- news_date is a news item's date (ISO yyyy-mm-dd), versioned with its
-- text; home is the composed front page's layout as JSON
-- {"featured": [page ids in order], "news": how many latest items}.
-- Neither holds personal data: published content is public.

ALTER TABLE site_pages ADD COLUMN kind TEXT NOT NULL DEFAULT 'page';
ALTER TABLE site_page_versions ADD COLUMN news_date TEXT NOT NULL DEFAULT '';
ALTER TABLE site_page_versions ADD COLUMN home TEXT NOT NULL DEFAULT '';
