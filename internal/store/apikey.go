package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kluis/kluis/internal/audit"
)

// The scopes an API key may hold. A key reads submissions with
// ScopeSubmissionsRead, changes their status with ScopeSubmissionsWrite and
// downloads their files with ScopeAttachmentsRead; always only of the forms
// it was issued for. ScopeAnalyticsIngest lets a tenant's other web server
// send page views of a site Kluis does not host, to be counted as
// aggregates like Kluis's own public pages. ScopeAnalyticsRead reads the
// visitor statistics (aggregates only, small counts suppressed).
const (
	ScopeSubmissionsRead  = "submissions:read"
	ScopeSubmissionsWrite = "submissions:write"
	ScopeAttachmentsRead  = "attachments:read"
	ScopeAnalyticsIngest  = "analytics:ingest"
	ScopeAnalyticsRead    = "analytics:read"
)

// APIScopes lists the scopes in the order pages show them.
var APIScopes = []string{ScopeSubmissionsRead, ScopeSubmissionsWrite, ScopeAttachmentsRead, ScopeAnalyticsIngest, ScopeAnalyticsRead}

// formless reports whether a scope touches no form's submissions, so that
// a key holding only such scopes needs no forms.
func formless(scope string) bool { return scope == ScopeAnalyticsIngest || scope == ScopeAnalyticsRead }

// APIKeyNameMax bounds a key's name, in characters.
const APIKeyNameMax = 100

// apiTokenPrefix starts every token, so that secret scanners (and people)
// recognise a leaked Kluis key.
const apiTokenPrefix = "kluis_"

// APIKey is a tenant's key for /api/v1, without its secret (which is shown
// once, at creation, and never stored).
type APIKey struct {
	ID, TenantID, Name string
	Scopes             []string
	Forms              []string
	CreatedBy          string
	CreatedAt          time.Time
	ExpiresAt          time.Time // zero: no expiry
	RevokedAt          time.Time // zero: not revoked
	LastUsedAt         time.Time // zero: never used
}

// ActiveAt reports whether the key authenticates at now.
func (k APIKey) ActiveAt(now time.Time) bool {
	return k.RevokedAt.IsZero() && (k.ExpiresAt.IsZero() || now.Before(k.ExpiresAt))
}

// Has reports whether the key holds scope.
func (k APIKey) Has(scope string) bool { return slices.Contains(k.Scopes, scope) }

// Actor is the key as the actor of an API call, for the audit log.
func (k APIKey) Actor(requestID string) audit.Actor {
	return audit.Actor{Kind: audit.KindAPIKey, ID: k.ID, Role: "api_key", RequestID: requestID}
}

// NewAPIKey is what an admin fills in to create a key.
type NewAPIKey struct {
	Name      string
	Scopes    []string
	Forms     []string
	ExpiresAt time.Time // zero: no expiry
}

// APIKeyValidationError maps a field (name, scopes, forms, expires_at) to
// a message key.
type APIKeyValidationError struct{ Fields map[string]string }

func (e *APIKeyValidationError) Error() string {
	var parts []string
	for _, f := range []string{"name", "scopes", "forms", "expires_at"} {
		if m, ok := e.Fields[f]; ok {
			parts = append(parts, f+": "+m)
		}
	}
	return "invalid API key: " + strings.Join(parts, "; ")
}

// ErrAPIKeyInvalid: a token that is malformed, unknown, wrong, revoked or
// expired. The reason is in the wrapped message for logs; callers answer
// all of them alike.
var ErrAPIKeyInvalid = errors.New("invalid API key")

// hashSecret is the stored form of a key's secret. A plain SHA-256 is
// right here, unlike for passwords: the secret is 32 random bytes (256
// bits), so no dictionary or brute force can reverse the hash, and a slow
// hash (argon2id) would only make every API call expensive. A stolen
// database copy still yields no usable token.
func hashSecret(secret []byte) []byte {
	h := sha256.Sum256(secret)
	return h[:]
}

// CreateAPIKey creates a key of the tenant and returns it with its token,
// kluis_<key id>_<secret in hex>: the only time the secret exists outside
// the caller's hands. The creation is audited. *APIKeyValidationError for
// bad input (an unknown form too); nothing is stored then.
func (db *DB) CreateAPIKey(ctx context.Context, actor audit.Actor, tenantID string, in NewAPIKey) (APIKey, string, error) {
	now := db.now()
	in.Name = strings.TrimSpace(in.Name)
	in.Scopes = slices.Compact(slices.Sorted(slices.Values(in.Scopes)))
	in.Forms = slices.Compact(slices.Sorted(slices.Values(in.Forms)))
	f := map[string]string{}
	switch {
	case in.Name == "":
		f["name"] = "apikeys.error.name_required"
	case utf8.RuneCountInString(in.Name) > APIKeyNameMax:
		f["name"] = "apikeys.error.name_too_long"
	}
	if len(in.Scopes) == 0 {
		f["scopes"] = "apikeys.error.scopes_required"
	}
	for _, s := range in.Scopes {
		if !slices.Contains(APIScopes, s) {
			f["scopes"] = "apikeys.error.scopes_unknown"
		}
	}
	// A key that touches submissions sees only the forms it names (ORG-6);
	// a key that only sends or reads statistics touches no form and needs none.
	if len(in.Forms) == 0 && (len(in.Scopes) == 0 || slices.ContainsFunc(in.Scopes, func(s string) bool { return !formless(s) })) {
		f["forms"] = "apikeys.error.forms_required"
	}
	if !in.ExpiresAt.IsZero() && !in.ExpiresAt.After(now) {
		f["expires_at"] = "apikeys.error.expires_past"
	}
	if len(f) > 0 {
		return APIKey{}, "", &APIKeyValidationError{Fields: f}
	}
	var secret [32]byte
	rand.Read(secret[:]) // never returns an error; it crashes the program instead
	k := APIKey{ID: newID(now), TenantID: tenantID, Name: in.Name, Scopes: in.Scopes, Forms: in.Forms,
		CreatedBy: actorName(actor), CreatedAt: fromMicros(micros(now))}
	var expires any
	if !in.ExpiresAt.IsZero() {
		k.ExpiresAt = fromMicros(micros(in.ExpiresAt))
		expires = micros(in.ExpiresAt)
	}
	token := apiTokenPrefix + k.ID + "_" + hex.EncodeToString(secret[:])
	err := db.write(ctx, func(tx *Tx) error {
		for _, form := range in.Forms {
			var n int
			if err := tx.queryRow(`SELECT count(*) FROM forms WHERE tenant_id = $1 AND form_key = $2`, tenantID, form).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return &APIKeyValidationError{Fields: map[string]string{"forms": "apikeys.error.forms_unknown"}}
			}
		}
		if _, err := tx.exec(`INSERT INTO api_keys (id, tenant_id, name, secret_hash, scopes, created_by, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, k.ID, tenantID, k.Name, hashSecret(secret[:]),
			strings.Join(k.Scopes, " "), k.CreatedBy, micros(now), expires); err != nil {
			return err
		}
		for _, form := range in.Forms {
			if _, err := tx.exec(`INSERT INTO api_key_forms (tenant_id, key_id, form_key) VALUES ($1, $2, $3)`, tenantID, k.ID, form); err != nil {
				return err
			}
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "api_key.create", ObjectType: "api_key", ObjectID: k.ID,
			Purpose: "scopes " + strings.Join(k.Scopes, " ") + "; forms " + strings.Join(k.Forms, " ")})
	})
	if err != nil {
		return APIKey{}, "", fmt.Errorf("create API key: %w", err)
	}
	return k, token, nil
}

const apiKeyColumns = `id, tenant_id, name, scopes, created_by, created_at, expires_at, revoked_at, last_used_at`

// scanAPIKey reads apiKeyColumns, then extra.
func scanAPIKey(sc interface{ Scan(...any) error }, extra ...any) (APIKey, error) {
	var k APIKey
	var scopes string
	var created int64
	var expires, revoked, used sql.NullInt64
	if err := sc.Scan(append([]any{&k.ID, &k.TenantID, &k.Name, &scopes, &k.CreatedBy, &created, &expires, &revoked, &used}, extra...)...); err != nil {
		return k, err
	}
	k.Scopes, k.CreatedAt = strings.Fields(scopes), fromMicros(created)
	if expires.Valid {
		k.ExpiresAt = fromMicros(expires.Int64)
	}
	if revoked.Valid {
		k.RevokedAt = fromMicros(revoked.Int64)
	}
	if used.Valid {
		k.LastUsedAt = fromMicros(used.Int64)
	}
	return k, nil
}

// APIKeys lists the tenant's keys, newest first, revoked ones included,
// with their forms. Keys hold no personal data, so listing them is not
// audited.
func (db *DB) APIKeys(ctx context.Context, tenantID string) ([]APIKey, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT `+apiKeyColumns+` FROM api_keys WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("API keys: %w", err)
	}
	var keys []APIKey
	for rows.Next() {
		k, err := scanAPIKey(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("API keys: %w", err)
		}
		keys = append(keys, k)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("API keys: %w", err)
	}
	forms, err := db.sql.QueryContext(ctx, `SELECT key_id, form_key FROM api_key_forms WHERE tenant_id = $1 ORDER BY key_id, form_key`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("API key forms: %w", err)
	}
	defer forms.Close()
	byKey := map[string][]string{}
	for forms.Next() {
		var id, form string
		if err := forms.Scan(&id, &form); err != nil {
			return nil, fmt.Errorf("API key forms: %w", err)
		}
		byKey[id] = append(byKey[id], form)
	}
	if err := forms.Err(); err != nil {
		return nil, fmt.Errorf("API key forms: %w", err)
	}
	for i := range keys {
		keys[i].Forms = byKey[keys[i].ID]
	}
	return keys, nil
}

// RevokeAPIKey ends a key of the tenant at once, audited. ErrNotFound for
// a key the tenant does not have or one already revoked.
func (db *DB) RevokeAPIKey(ctx context.Context, actor audit.Actor, tenantID, keyID string) error {
	err := db.write(ctx, func(tx *Tx) error { return tx.revokeAPIKey(actor, tenantID, keyID) })
	if err != nil {
		return fmt.Errorf("revoke API key %s: %w", keyID, err)
	}
	return nil
}

// revokeAPIKey ends a key inside a write, with its audit event; also the
// containment of a breach (BRE-2).
func (tx *Tx) revokeAPIKey(actor audit.Actor, tenantID, keyID string) error {
	res, err := tx.exec(`UPDATE api_keys SET revoked_at = $1, revoked_by = $2 WHERE tenant_id = $3 AND id = $4 AND revoked_at IS NULL`,
		micros(tx.db.now()), actorName(actor), tenantID, keyID)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return ErrNotFound
	}
	return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "api_key.revoke", ObjectType: "api_key", ObjectID: keyID})
}

// apiKeyUseGranularity is how stale a key's last-used time may get: an
// API call writes it at most once a minute, not on every request.
const apiKeyUseGranularity = time.Minute

// dummySecretHash is compared against when a token names no key, so that
// an unknown key takes as long to refuse as a wrong secret.
var dummySecretHash = hashSecret(nil)

// AuthenticateAPIKey returns the active key a token
// (kluis_<key id>_<secret>) proves, of whichever tenant — the caller checks
// that it is the tenant of the request — and notes when it was last used.
// The secret is compared in constant time. ErrAPIKeyInvalid for a token
// that is malformed, unknown, wrong, revoked or expired; for a key that
// exists (a wrong secret, revoked, expired) the returned APIKey then holds
// only its ID and TenantID, for the record of the refusal.
func (db *DB) AuthenticateAPIKey(ctx context.Context, token string) (APIKey, error) {
	rest, ok := strings.CutPrefix(token, apiTokenPrefix)
	id, secret, ok2 := strings.Cut(rest, "_")
	if !ok || !ok2 || len(id) != 32 || len(secret) != 64 {
		return APIKey{}, fmt.Errorf("%w: malformed", ErrAPIKeyInvalid)
	}
	raw, err := hex.DecodeString(secret)
	if err != nil {
		return APIKey{}, fmt.Errorf("%w: malformed", ErrAPIKeyInvalid)
	}
	var hash []byte
	k, err := scanAPIKey(db.readRow(ctx, `SELECT `+apiKeyColumns+`, secret_hash FROM api_keys WHERE id = $1`, id), &hash)
	if errors.Is(err, sql.ErrNoRows) {
		subtle.ConstantTimeCompare(dummySecretHash, hashSecret(raw))
		return APIKey{}, fmt.Errorf("%w: unknown", ErrAPIKeyInvalid)
	} else if err != nil {
		return APIKey{}, fmt.Errorf("authenticate API key: %w", err)
	}
	// A refused key that exists is named (id and tenant only) so that the
	// caller can record the refusal in that tenant's audit log.
	known := APIKey{ID: k.ID, TenantID: k.TenantID}
	if subtle.ConstantTimeCompare(hash, hashSecret(raw)) != 1 {
		return known, fmt.Errorf("%w: wrong secret", ErrAPIKeyInvalid)
	}
	now := db.now()
	switch {
	case !k.RevokedAt.IsZero():
		return known, fmt.Errorf("%w: revoked", ErrAPIKeyInvalid)
	case !k.ExpiresAt.IsZero() && !now.Before(k.ExpiresAt):
		return known, fmt.Errorf("%w: expired", ErrAPIKeyInvalid)
	}
	rows, err := db.readRows(ctx, `SELECT form_key FROM api_key_forms WHERE tenant_id = $1 AND key_id = $2 ORDER BY form_key`, k.TenantID, k.ID)
	if err != nil {
		return APIKey{}, fmt.Errorf("authenticate API key: %w", err)
	}
	if k.Forms, err = scanStrings(rows); err != nil {
		return APIKey{}, fmt.Errorf("authenticate API key: %w", err)
	}
	if k.LastUsedAt.IsZero() || now.Sub(k.LastUsedAt) >= apiKeyUseGranularity {
		err := db.write(ctx, func(tx *Tx) error {
			_, err := tx.exec(`UPDATE api_keys SET last_used_at = $1 WHERE id = $2`, micros(now), k.ID)
			return err
		})
		if err != nil {
			return APIKey{}, fmt.Errorf("note API key use: %w", err)
		}
		k.LastUsedAt = fromMicros(micros(now))
	}
	return k, nil
}
