-- Large attachments in the shared object store (SEC-2): with KLUIS_STORAGE
-- set, a file above KLUIS_STORAGE_ATTACHMENT_THRESHOLD is sealed exactly as
-- before (same key, same associated data) but its sealed bytes live in the
-- object store under blob_key ("<tenant>/<attachment id>" below the store's
-- "attachments/" prefix: no personal data in the key), and data is left
-- empty. NULL: the sealed bytes are in data, as before.
ALTER TABLE attachments ADD COLUMN blob_key TEXT;
-- The sweep of objects no row names (attachment.sweep) looks them up here.
CREATE INDEX attachments_blob_key ON attachments (tenant_id, blob_key) WHERE blob_key IS NOT NULL;
