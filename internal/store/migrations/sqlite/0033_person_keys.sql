-- Per-person keys (DSR-1, SEC-1, SEC-2). A tenant that switches them on
-- (tenants.person_keys = 1; admins only, audited) seals each citizen's
-- submission values with a data key of that citizen's own. The citizen is
-- known by the keyed blind index of their national register number, else of
-- their contact address (person_index). wrapped: the person key, AES-GCM
-- under a wrapping key that only the keyring (outside the database) derives
-- for this id (package seal, person.go); useless without the keyring.
-- Erasure overwrites wrapped and person_index with NULL (destroyed_at) and
-- then punctures the keyring at the id (punctured_at): from then on no copy
-- of this row, in any backup, unwraps with the current keyring.
-- submissions.person_key_id names the key that sealed the submission's
-- values (NULL: the tenant key). Ids grow with time (seal.NewPersonKey), so
-- new rows land at the end of the primary key; on SQLite the table is that
-- key (WITHOUT ROWID): one B-tree less to write per new citizen.
ALTER TABLE tenants ADD COLUMN person_keys INTEGER NOT NULL DEFAULT 0;

CREATE TABLE person_keys (
    tenant_id    TEXT NOT NULL REFERENCES tenants (id),
    id           BIGINT NOT NULL,
    person_index BLOB,
    wrapped      BLOB,
    created_at   BIGINT NOT NULL,
    destroyed_at BIGINT,
    punctured_at BIGINT,
    PRIMARY KEY (tenant_id, id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX person_keys_person ON person_keys (tenant_id, person_index);
CREATE INDEX person_keys_unpunctured ON person_keys (tenant_id) WHERE destroyed_at IS NOT NULL AND punctured_at IS NULL;

ALTER TABLE submissions ADD COLUMN person_key_id BIGINT;
