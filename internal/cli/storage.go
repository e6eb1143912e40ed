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
	return sharedStore(cfg, "exports")
}

// sharedStore is the part under prefix of the object store KLUIS_STORAGE
// names: one bucket holds export files and attachments apart.
func sharedStore(cfg config.Config, prefix string) (objstore.Store, error) {
	s, err := objstore.Open(cfg.Storage)
	if err != nil {
		return nil, fmt.Errorf("KLUIS_STORAGE: %w", err)
	}
	return objstore.Sub(s, prefix), nil
}

// attachmentStore is where attachments above
// KLUIS_STORAGE_ATTACHMENT_THRESHOLD keep their sealed bytes: under
// "attachments/" in the object store the nodes share when KLUIS_STORAGE is
// set (SEC-2: sealed exactly as in the database); nil otherwise, and every
// attachment stays in the database as on a single node.
func attachmentStore(cfg config.Config) (objstore.Store, error) {
	if cfg.Storage == "" {
		return nil, nil
	}
	return sharedStore(cfg, "attachments")
}
