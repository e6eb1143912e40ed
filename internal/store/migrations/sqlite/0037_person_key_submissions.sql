-- Per-person keys (DSR-1, SEC-1): the submissions sealed with each person
-- key, found without reading the whole table. The retention engine destroys
-- a person key once no submission that still holds values names it (the
-- person's last submission expired); erasure re-seals, with the tenant key,
-- what the law keeps of the submissions a destroyed key sealed. Partial:
-- submissions sealed with the tenant key (per-person keys off) add nothing.
CREATE INDEX submissions_person_key ON submissions (tenant_id, person_key_id) WHERE person_key_id IS NOT NULL;
