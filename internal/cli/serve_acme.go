package cli

import (
	"context"
	"errors"
	"net/url"
	"strings"

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
	return acmecert.New(acmecert.Options{DirectoryURL: cfg.ACMEDirectory, Email: cfg.ACMEEmail, CacheDir: cfg.ACMECacheDir,
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
