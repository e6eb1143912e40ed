-- A FAS flow may now sign a citizen in to have a form prefilled from the
-- national register ('prefill'; LOC-2, REG-4). The flow keeps only what
-- every flow keeps (hashes, the sealed verifier, the form's key in next):
-- the register's answer is never stored.
ALTER TABLE oidc_flows DROP CONSTRAINT oidc_flows_purpose_check;
ALTER TABLE oidc_flows ADD CONSTRAINT oidc_flows_purpose_check CHECK (purpose IN ('login', 'link', 'activate', 'citizen', 'prefill'));
