package cli

import (
	"fmt"

	"github.com/kluis/kluis/internal/config"
	"github.com/kluis/kluis/internal/objstore"
	_ "github.com/kluis/kluis/internal/objstore/s3store" // the "s3" scheme of KLUIS_STORAGE and KLUIS_BACKUP_SECOND_SITE
)

// exportStore is where export files wait, encrypted, for download: under
// "exports/" in the object store the nodes share when KLUIS_STORAGE is
// set, so that any node serves a file another node built; else the data
// directory's "exports" (exportDir), as on a single node.
func exportStore(cfg config.Config) (objstore.Store, error) {
	if cfg.Storage == "" {
		return objstore.Dir(exportDir(cfg))
	}
	s, err := objstore.Open(cfg.Storage)
	if err != nil {
		return nil, fmt.Errorf("KLUIS_STORAGE: %w", err)
	}
	return objstore.Sub(s, "exports"), nil
}
