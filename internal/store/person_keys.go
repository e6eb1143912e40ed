package store

// Per-person keys (DSR-1, SEC-1, SEC-2): when a tenant switches them on,
// each citizen's submission values are sealed with a data key of their
// own, kept in person_keys wrapped under a key only the keyring derives
// (seal.PersonKey). Erasure destroys the key, which reaches every copy of
// the database made before it. See migration 0033 and docs.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/seal"
)

// keyring is the tenant keyring as the store uses it: the seal.Keyring,
// whose Open also opens a value sealed with a person key, found by the id
// the value names in this database's person_keys.
type keyring struct {
	*seal.Keyring
	db *DB

	// ids caches unwrapped person keys by tenant and id (reads), persons
	// by tenant and person index (intake); settings caches each tenant's
	// switch for settingTTL.
	ids, persons personKeyCache
	settings     sync.Map // tenant id -> personKeySetting
}

type personKeySetting struct {
	on bool
	at time.Time
}

// settingTTL is how long a node goes on with a tenant's old setting after
// another node changed it.
const settingTTL = 2 * time.Second

// personKeyCache is a bounded cache of unwrapped person keys: a burst of
// intake from many different people must not grow memory without bound,
// so a full cache is simply emptied.
type personKeyCache struct {
	mu sync.Mutex
	m  map[string]*seal.PersonKey
}

const personKeyCacheSize = 20000

func (c *personKeyCache) get(k string) *seal.PersonKey {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[k]
}

func (c *personKeyCache) put(k string, pk *seal.PersonKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= personKeyCacheSize {
		c.m = make(map[string]*seal.PersonKey)
	}
	c.m[k] = pk
}

func (c *personKeyCache) drop(match func(*seal.PersonKey) bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, pk := range c.m {
		if match(pk) {
			delete(c.m, k)
		}
	}
}

func idKey(tenantID string, id uint64) string {
	return fmt.Sprintf("%s\x00%d", tenantID, id)
}

// Open opens a value sealed with the tenant's key or with a person key.
// A person key that was destroyed (erasure) fails with
// seal.ErrPersonKeyDestroyed, as does one this database no longer holds.
func (k *keyring) Open(tenantID string, ad seal.AD, ciphertext []byte) ([]byte, error) {
	id, ok := seal.PersonKeyIDOf(ciphertext)
	if !ok {
		return k.Keyring.Open(tenantID, ad, ciphertext)
	}
	pk, err := k.personKeyByID(tenantID, id)
	if err != nil {
		return nil, err
	}
	return pk.Open(ad, ciphertext)
}

// personKeyByID unwraps the person key id from this database. The read
// runs outside any write (a committed key is all it may use).
func (k *keyring) personKeyByID(tenantID string, id uint64) (*seal.PersonKey, error) {
	if pk := k.ids.get(idKey(tenantID, id)); pk != nil {
		return pk, nil
	}
	var wrapped []byte
	err := k.db.readRow(context.Background(), `SELECT wrapped FROM person_keys WHERE tenant_id = $1 AND id = $2`,
		tenantID, int64(id)).Scan(&wrapped)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && wrapped == nil) {
		return nil, fmt.Errorf("%w: person key %d is not in the database", seal.ErrPersonKeyDestroyed, id)
	}
	if err != nil {
		return nil, fmt.Errorf("person key %d: %w", id, err)
	}
	pk, err := k.OpenPersonKey(tenantID, id, wrapped)
	if err != nil {
		return nil, err
	}
	k.ids.put(idKey(tenantID, id), pk)
	return pk, nil
}

// readRow runs a read outside the writer through the prepared statement
// on SQLite: intake looks a person's key up on every new person, and
// parsing the SQL each time cost more than the lookup.
func (db *DB) readRow(ctx context.Context, query string, args ...any) *sql.Row {
	if st := db.stmt(query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return db.sql.QueryRowContext(ctx, query, args...)
}

// readRows is readRow for a query of several rows: the API's key check
// runs two reads on every call.
func (db *DB) readRows(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := db.stmt(query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return db.sql.QueryContext(ctx, query, args...)
}

// PersonKeys reports whether the tenant seals each citizen's values with a
// key of their own. The setting holds no personal data: not audited.
func (db *DB) PersonKeys(ctx context.Context, tenantID string) (bool, error) {
	if db.keys != nil {
		if s, ok := db.keys.settings.Load(tenantID); ok && time.Since(s.(personKeySetting).at) < settingTTL {
			return s.(personKeySetting).on, nil
		}
	}
	var on int
	err := db.sql.QueryRowContext(ctx, `SELECT person_keys FROM tenants WHERE id = $1`, tenantID).Scan(&on)
	if errors.Is(err, sql.ErrNoRows) {
		return false, ErrNotFound
	}
	if err != nil {
		return false, fmt.Errorf("person keys setting: %w", err)
	}
	if db.keys != nil {
		db.keys.settings.Store(tenantID, personKeySetting{on: on != 0, at: time.Now()})
	}
	return on != 0, nil
}

// SetPersonKeys switches the tenant's per-person keys on or off and records
// "person_keys.enable" or "person_keys.disable" in the same transaction;
// nothing when the setting is already so. Switching on first gives the
// tenant its person-key tree in the keyring. Values sealed before keep the
// key they were sealed with: switching off does not make person-sealed
// values unreadable, and switching on does not re-seal older ones. The
// handler (or command) checks that actor is the tenant's admin.
func (db *DB) SetPersonKeys(ctx context.Context, actor audit.Actor, tenantID string, on bool) error {
	if err := db.requireKeys(); err != nil {
		return err
	}
	if on {
		if err := db.keys.EnablePersonKeys(tenantID); err != nil {
			return fmt.Errorf("set person keys: %w", err)
		}
	}
	err := db.write(ctx, func(tx *Tx) error {
		if err := tx.lockTenant(tenantID); err != nil {
			return err
		}
		var cur int
		if err := tx.queryRow(`SELECT person_keys FROM tenants WHERE id = $1`, tenantID).Scan(&cur); err != nil {
			return err
		}
		want, action := 0, "person_keys.disable"
		if on {
			want, action = 1, "person_keys.enable"
		}
		if cur == want {
			return nil
		}
		if _, err := tx.exec(`UPDATE tenants SET person_keys = $1 WHERE id = $2`, want, tenantID); err != nil {
			return err
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: action, ObjectType: "tenant", ObjectID: tenantID,
			Purpose: "per-person keys (DSR-1)"})
	})
	db.keys.settings.Delete(tenantID)
	if err != nil {
		return fmt.Errorf("set person keys: %w", err)
	}
	return nil
}

// intakeKey is the key a submission is sealed with at intake: a person
// key (with its wrapped form when it is new, to be stored in the same
// transaction as the submission), or nil for the tenant key.
type intakeKey struct {
	pk      *seal.PersonKey
	index   []byte
	wrapped []byte // non-nil: a new key
}

// id is the person key's id for the submission row (0: the tenant key).
func (k intakeKey) id() int64 {
	if k.pk == nil {
		return 0
	}
	return int64(k.pk.ID())
}

// seal seals with the person key, or the tenant key when there is none.
func (db *DB) sealWith(k intakeKey, tenantID string, ad seal.AD, plaintext []byte) ([]byte, error) {
	if k.pk == nil {
		return db.keys.Seal(tenantID, ad, plaintext)
	}
	return k.pk.Seal(ad, plaintext)
}

// intakeKeyFor finds, or makes, the key of the person whose blind index is
// given (the subject's, else the contact address's), when the tenant has
// per-person keys on; the zero intakeKey (tenant key) otherwise or when no
// person is known. A person not in this node's cache is taken to be new
// (most citizens are): the key made for them is inserted with the
// submission, and when the person turns out to have a key already the
// insert fails (errPersonKeyRace) and the intake runs again with lookup
// set, which reads the key from the database. That spares every new
// person a read before the write.
func (db *DB) intakeKeyFor(ctx context.Context, tenantID string, index []byte, lookup bool) (intakeKey, error) {
	if len(index) == 0 {
		return intakeKey{}, nil
	}
	on, err := db.PersonKeys(ctx, tenantID)
	if err != nil || !on {
		return intakeKey{}, err
	}
	ck := tenantID + "\x00" + string(index)
	if pk := db.keys.persons.get(ck); pk != nil {
		return intakeKey{pk: pk, index: index}, nil
	}
	if lookup {
		var id int64
		var wrapped []byte
		err = db.readRow(ctx, `SELECT id, wrapped FROM person_keys WHERE tenant_id = $1 AND person_index = $2`,
			tenantID, index).Scan(&id, &wrapped)
		if err == nil {
			pk, err := db.keys.OpenPersonKey(tenantID, uint64(id), wrapped)
			if err != nil {
				return intakeKey{}, err
			}
			db.keys.persons.put(ck, pk)
			return intakeKey{pk: pk, index: index}, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return intakeKey{}, err
		}
	}
	pk, w, err := db.keys.NewPersonKey(tenantID)
	if errors.Is(err, seal.ErrNoPersonKeys) {
		// The setting is on but this keyring has no tree (a keyring
		// restored from before the switch): give it one.
		if err = db.keys.EnablePersonKeys(tenantID); err == nil {
			pk, w, err = db.keys.NewPersonKey(tenantID)
		}
	}
	if err != nil {
		return intakeKey{}, err
	}
	return intakeKey{pk: pk, index: index, wrapped: w}, nil
}

// errPersonKeyRace: the person's key was made by a concurrent intake, or
// destroyed since it was cached; the submission is sealed again.
var errPersonKeyRace = errors.New("person key changed meanwhile")

// storePersonKey inserts a new person key in the submission's transaction
// (errPersonKeyRace when a concurrent intake made the person's key first).
// A cached key is checked by the submission's insert itself.
func (tx *Tx) storePersonKey(tenantID string, k intakeKey) error {
	if k.wrapped == nil {
		return nil
	}
	res, err := tx.exec(`INSERT INTO person_keys (tenant_id, id, person_index, wrapped, created_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT DO NOTHING`, tenantID, k.id(), k.index, k.wrapped, micros(tx.db.now()))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return errPersonKeyRace
	}
	return nil
}

// insertSubmission inserts a submission row with the person key that
// sealed it, only into an active tenant, only while the form version is the
// published one, and only while a cached person key is still live (else no
// row: the caller finds out why). A new person key goes in with it: on
// PostgreSQL in the same statement (a data-modifying WITH), sparing every
// new citizen a round trip inside the group commit that all intake waits
// on; on SQLite, in process, as a statement before it. Arguments from id
// on are the submissions columns in the order of the insert below.
func (tx *Tx) insertSubmission(tenantID string, k intakeKey, args ...any) (sql.Result, error) {
	const insert = `INSERT INTO submissions (id, tenant_id, form_key, subject_index, data, created_at, form_version,
			register_version, reference, receipt_hash, receipt_expires_at, contact, contact_index, due_at, lang, person_key_id)
			SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16
			WHERE EXISTS (SELECT 1 FROM tenants WHERE id = $2 AND status = 'active')
			AND EXISTS (SELECT 1 FROM forms WHERE tenant_id = $2 AND form_key = $3 AND version = $7 AND status = 'published')
			AND NOT EXISTS (SELECT 1 FROM termination_steps WHERE tenant_id = $2)`
	const live = ` EXISTS (SELECT 1 FROM person_keys WHERE tenant_id = $2 AND id = CAST($16 AS BIGINT) AND wrapped IS NOT NULL)`
	all := append([]any{args[0], tenantID}, args[1:]...)
	switch {
	case k.pk == nil:
		return tx.exec(insert, all...)
	case k.wrapped == nil:
		return tx.exec(insert+` AND`+live, all...)
	case tx.db.dialect == Postgres:
		// The statement cannot see the row its WITH inserts, only what
		// that returns: none when the person (or the id) has a key
		// already, and then no submission either (errPersonKeyRace).
		return tx.exec(`WITH k AS (INSERT INTO person_keys (tenant_id, id, person_index, wrapped, created_at)
			VALUES ($2, CAST($16 AS BIGINT), CAST($17 AS BYTEA), CAST($18 AS BYTEA), $6) ON CONFLICT DO NOTHING RETURNING id) `+
			insert+` AND EXISTS (SELECT 1 FROM k)`, append(all, k.index, k.wrapped)...)
	}
	if err := tx.storePersonKey(tenantID, k); err != nil {
		return nil, err
	}
	return tx.exec(insert, all...)
}

// sealForSubmission seals a value about a submission — a note, a reason,
// a staff reply — with the key that sealed the submission's own values: its
// person key when it has a live one (DSR-1: an erasure then reaches the
// copies of these too), else the tenant key. It returns the person key's
// id (0: the tenant key) for sameSubmissionKey. The read runs before the
// write, like the sealing; it reveals nothing to the caller.
func (db *DB) sealForSubmission(ctx context.Context, tenantID, submissionID string, ad seal.AD, plaintext []byte) ([]byte, int64, error) {
	var id sql.NullInt64
	err := db.readRow(ctx, `SELECT person_key_id FROM submissions WHERE tenant_id = $1 AND id = $2`, tenantID, submissionID).Scan(&id)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, 0, err
	}
	if id.Valid {
		pk, err := db.keys.personKeyByID(tenantID, uint64(id.Int64))
		switch {
		case err == nil:
			sealed, err := pk.Seal(ad, plaintext)
			return sealed, id.Int64, err
		case !errors.Is(err, seal.ErrPersonKeyDestroyed):
			return nil, 0, err
		}
	}
	sealed, err := db.keys.Seal(tenantID, ad, plaintext)
	return sealed, 0, err
}

// sealLike seals a submission's values anew with the person key that
// sealed was (what retention leaves of a submission's answers stays under
// the person's key while the submission holds values, DSR-1), or with the
// tenant key when was was not sealed with a live person key or person is
// false (nothing of the person is left: the key is about to go).
func (db *DB) sealLike(tenantID string, was []byte, person bool, ad seal.AD, plaintext []byte) ([]byte, error) {
	if id, ok := seal.PersonKeyIDOf(was); ok && person {
		pk, err := db.keys.personKeyByID(tenantID, id)
		if err == nil {
			return pk.Seal(ad, plaintext)
		}
		if !errors.Is(err, seal.ErrPersonKeyDestroyed) {
			return nil, err
		}
	}
	return db.keys.Seal(tenantID, ad, plaintext)
}

// sameSubmissionKey, in the write, refuses (ErrConflict) a value sealed by
// sealForSubmission when the submission's key changed meanwhile (an
// erasure re-sealed it with the tenant key and destroyed the person key):
// nothing is stored that no key opens.
func (tx *Tx) sameSubmissionKey(tenantID, submissionID string, keyID int64) error {
	var id sql.NullInt64
	err := tx.queryRow(`SELECT person_key_id FROM submissions WHERE tenant_id = $1 AND id = $2`, tenantID, submissionID).Scan(&id)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	if id.Int64 != keyID {
		return fmt.Errorf("the submission's key changed meanwhile: %w", ErrConflict)
	}
	return nil
}

// remember caches a key once the submission it sealed has committed.
func (db *DB) remember(tenantID string, k intakeKey) {
	if k.wrapped != nil {
		db.keys.persons.put(tenantID+"\x00"+string(k.index), k.pk)
	}
}

// forgetPersonKeys drops the tenant's cached person keys that match.
func (db *DB) forgetPersonKeys(tenantID string, ids map[uint64]bool) {
	if db.keys == nil {
		return
	}
	match := func(pk *seal.PersonKey) bool { return ids[pk.ID()] }
	db.keys.ids.drop(match)
	db.keys.persons.drop(match)
}

// destroyPersonKeys, in an erasure's transaction, destroys the person keys
// of the person whose indexes are given and of the submissions erased
// (ids: what person_key_id they named, collected before they were deleted).
//
// What a legal obligation keeps must stay readable (DSR-1, SEC-1): every
// submission still sealed with one of these keys — kept by law, or found
// under another index of the same person — is first re-sealed with the
// tenant key (answers, language, contact address, files), and only then is
// the key overwritten. The copies of such a submission in backups taken
// before stay sealed with the destroyed key: the live database is where
// the kept values live on. The keyring forgets the keys once the
// transaction has committed (punctureDestroyed): until then a failed
// erasure leaves everything as it was.
func (tx *Tx) destroyPersonKeys(tenantID string, actor audit.Actor, pseudonym string, indexes [][]byte, ids map[uint64]bool) error {
	for _, index := range indexes {
		if len(index) == 0 {
			continue
		}
		var id int64
		err := tx.queryRow(`SELECT id FROM person_keys WHERE tenant_id = $1 AND person_index = $2 AND wrapped IS NOT NULL`,
			tenantID, index).Scan(&id)
		if err == nil {
			ids[uint64(id)] = true
		} else if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
	}
	for id := range ids {
		if err := tx.resealWithTenantKey(tenantID, id); err != nil {
			return err
		}
		res, err := tx.exec(`UPDATE person_keys SET wrapped = NULL, person_index = NULL, destroyed_at = $1
			WHERE tenant_id = $2 AND id = $3 AND wrapped IS NOT NULL`, micros(tx.db.now()), tenantID, int64(id))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			continue
		}
		if err := tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "person_keys.destroy", ObjectType: "person_key",
			ObjectID: fmt.Sprint(id), Subject: pseudonym, Purpose: "erasure (DSR-1): the person's key is destroyed"}); err != nil {
			return err
		}
	}
	return nil
}

// personKeyIDsOf collects the person keys that sealed the given submissions.
func (tx *Tx) personKeyIDsOf(tenantID string, subIDs []string, into map[uint64]bool) error {
	for _, id := range subIDs {
		var pk sql.NullInt64
		if err := tx.queryRow(`SELECT person_key_id FROM submissions WHERE tenant_id = $1 AND id = $2`, tenantID, id).Scan(&pk); err != nil {
			return err
		}
		if pk.Valid {
			into[uint64(pk.Int64)] = true
		}
	}
	return nil
}

// resealWithTenantKey opens every value still sealed with person key id
// and seals it again with the tenant key.
func (tx *Tx) resealWithTenantKey(tenantID string, id uint64) error {
	type value struct {
		table, column, row string
		sealed             []byte
		object             bool // a large file's, from the object store
	}
	var values []value
	var subs []string
	rows, err := tx.query(`SELECT id, data, lang, contact FROM submissions WHERE tenant_id = $1 AND person_key_id = $2`, tenantID, int64(id))
	if err != nil {
		return err
	}
	for rows.Next() {
		var sid string
		var data, lang, contact []byte
		if err := rows.Scan(&sid, &data, &lang, &contact); err != nil {
			rows.Close()
			return err
		}
		subs = append(subs, sid)
		values = append(values, value{"submissions", "data", sid, data, false}, value{"submissions", "lang", sid, lang, false},
			value{"submissions", "contact", sid, contact, false})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	// What hangs off the submissions: files, and the history and staff
	// replies sealed with the submission's key (sealForSubmission).
	for _, sid := range subs {
		for _, q := range []struct{ table, cols string }{{"attachments", "name, data, blob_key"}, {"submission_events", "body, NULL, NULL"},
			{"submission_replies", "body, NULL, NULL"}} {
			rows, err := tx.query(`SELECT id, `+q.cols+` FROM `+q.table+` WHERE tenant_id = $1 AND submission_id = $2`, tenantID, sid)
			if err != nil {
				return err
			}
			for rows.Next() {
				var rid string
				var first, second []byte
				var blobKey sql.NullString
				if err := rows.Scan(&rid, &first, &second, &blobKey); err != nil {
					rows.Close()
					return err
				}
				if blobKey.Valid {
					// A large file's sealed bytes, fetched before the
					// transaction (withObjects); no network call here.
					if second, err = tx.object(blobKey.String); err != nil {
						rows.Close()
						return err
					}
				}
				if q.table == "attachments" {
					values = append(values, value{q.table, "name", rid, first, false}, value{q.table, "data", rid, second, blobKey.Valid})
				} else {
					values = append(values, value{q.table, "body", rid, first, false})
				}
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
	}
	if err := tx.lacksObjects(); err != nil {
		return err
	}
	for _, v := range values {
		if _, ok := seal.PersonKeyIDOf(v.sealed); !ok {
			continue // empty, or already the tenant's
		}
		ad := seal.AD{Tenant: tenantID, Table: v.table, Column: v.column, Row: v.row}
		plain, err := tx.db.keys.Open(tenantID, ad, v.sealed)
		if err != nil {
			return fmt.Errorf("re-seal %s.%s %s: %w", v.table, v.column, v.row, ErrUnreadable)
		}
		sealed, err := tx.db.keys.Seal(tenantID, ad, plain)
		clear(plain)
		if err != nil {
			return err
		}
		// The column name comes from the fixed list above, never from input.
		q := `UPDATE ` + v.table + ` SET ` + v.column + ` = $1 WHERE tenant_id = $2 AND id = $3`
		if v.object {
			// The kept file, re-sealed, moves into the database: writing
			// a new object would be a network call in this transaction.
			// The old object, named by no row, goes with the next sweep.
			q = `UPDATE attachments SET data = $1, blob_key = NULL WHERE tenant_id = $2 AND id = $3`
		}
		if _, err := tx.exec(q, sealed, tenantID, v.row); err != nil {
			return err
		}
	}
	_, err = tx.exec(`UPDATE submissions SET person_key_id = NULL WHERE tenant_id = $1 AND person_key_id = $2`, tenantID, int64(id))
	return err
}

// punctureDestroyed makes the keyring forget every person key of the
// tenant destroyed in the database and not yet forgotten, and marks them
// so. It runs after the erasure committed; if it fails (the keyring file
// could not be written), the next erasure's run forgets them too.
func (db *DB) punctureDestroyed(ctx context.Context, tenantID string) error {
	rows, err := db.sql.QueryContext(ctx, `SELECT id FROM person_keys WHERE tenant_id = $1 AND destroyed_at IS NOT NULL
		AND punctured_at IS NULL`, tenantID)
	if err != nil {
		return err
	}
	ids := map[uint64]bool{}
	var list []uint64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		ids[uint64(id)] = true
		list = append(list, uint64(id))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	db.forgetPersonKeys(tenantID, ids)
	if len(list) == 0 {
		return nil
	}
	if err := db.keys.DestroyPersonKeys(tenantID, list...); err != nil {
		return fmt.Errorf("forget destroyed person keys: %w", err)
	}
	return db.write(ctx, func(tx *Tx) error {
		for _, id := range list {
			if _, err := tx.exec(`UPDATE person_keys SET punctured_at = $1 WHERE tenant_id = $2 AND id = $3`,
				micros(db.now()), tenantID, int64(id)); err != nil {
				return err
			}
		}
		// The keyring objects at the backup targets still hold the keys
		// until they are written again (KeyringRefreshJobKind).
		now := db.now()
		_, err := tx.exec(`INSERT INTO jobs (id, tenant_id, kind, dedupe_key, payload, status, run_at, max_attempts, created_at)
			VALUES ($1, $2, $3, NULL, '', 'pending', $4, 10, $4)`, newID(now), tenantID, KeyringRefreshJobKind, micros(now))
		return err
	})
}

// KeyringRefreshJobKind writes a tenant's keyring object at every backup
// target again from the live keyring, once an erasure has destroyed
// person keys: a backup taken before the erasure keeps the wrapped person
// keys, and must no longer find a keyring object able to unwrap them
// (DSR-1; the same crypto-shredding as at the end of a contract, END-4).
const KeyringRefreshJobKind = "backup.keyring"
