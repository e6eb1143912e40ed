package store

import "context"

// AllFormVersions lists every version of every form of the tenant, by key,
// newest version first: the builder's list, which also shows forms that
// were withdrawn and have no draft (Forms leaves those out). Form
// definitions hold no personal data, so reading them is not audited.
func (db *DB) AllFormVersions(ctx context.Context, tenantID string) ([]FormVersion, error) {
	return db.listForms(ctx, `WHERE tenant_id = $1 ORDER BY form_key, version DESC`, tenantID)
}
