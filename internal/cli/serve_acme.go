package cli

import (
	"context"
	"errors"
	"net/url"
	"strings"

	"golang.org/x/crypto/acme/autocert"

	"github.com/kluis/kluis/internal/acmecert"
	"github.com/kluis/kluis/internal/config"
	"github.com/kluis/kluis/internal/store"
)

// acmeManager gets certificates for the host names tenants configured and,
// without certificate files, for the base URL's own name.
func acmeManager(cfg config.Config, db *store.DB) (*acmecert.Manager, error) {
	base := ""
	if u, err := url.Parse(cfg.BaseURL); err == nil {
		base = strings.ToLower(u.Hostname())
	}
	ownName := !(cfg.TLSCert != "" && cfg.TLSKey != "")
	// The database by default: every node then serves the certificate one
	// of them ordered, and its private key is sealed, never plaintext at
	// rest (LOC-2). A directory only when the operator names one.
	var cache autocert.Cache
	if cfg.ACMECacheDir == "" {
		cache = acmecert.DBCache{DB: db}
	}
	return acmecert.New(acmecert.Options{DirectoryURL: cfg.ACMEDirectory, Email: cfg.ACMEEmail, Cache: cache, CacheDir: cfg.ACMECacheDir,
		Known: func(ctx context.Context, host string) (bool, error) {
			if ownName && host == base {
				return true, nil
			}
			_, err := db.TenantByHost(ctx, host)
			if errors.Is(err, store.ErrNotFound) {
				return false, nil
			}
			return err == nil, err
		}})
}
