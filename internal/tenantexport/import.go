package tenantexport

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"filippo.io/age"

	"github.com/kluis/kluis/internal/store"
)

// ErrOtherTenant: the export is not of the tenant the import names.
var ErrOtherTenant = errors.New("the export is of another tenant")

// Import writes the export at from (a directory, or a .tar/.tar.age file)
// into db, which must not hold the tenant: its rows keep their ids, sealed
// values are sealed again with db's keys. Every file is checked against
// the manifest before anything is written. It returns the tenant's id.
func Import(ctx context.Context, db *store.DB, from string, opts Options) (string, error) {
	r, err := ImportTenant(ctx, db, from, opts)
	return r.TenantID, err
}

// ImportTenant is Import with its report: rows per entity, what was
// skipped and why, and the keyed indexes, person keys and pseudonyms made
// again under db's keys (END-3).
func ImportTenant(ctx context.Context, db *store.DB, from string, opts Options) (Report, error) {
	if IsArchive(from) {
		dir, ids, cleanup, err := unpack(from, opts.Identities)
		if err != nil {
			return Report{}, err
		}
		defer cleanup()
		opts.Identities = ids
		from = dir
	}
	src := dirSource{dir: from, ids: opts.Identities}
	var m Manifest
	if err := src.readJSON("manifest.json", &m); err != nil {
		return Report{}, fmt.Errorf("read the manifest: %w", err)
	}
	if m.Format != Format {
		return Report{}, fmt.Errorf("not a Kluis tenant export (format %q)", m.Format)
	}
	if opts.Tenant != "" && opts.Tenant != m.Slug && opts.Tenant != m.Tenant {
		return Report{}, fmt.Errorf("the export is of %s, not %s: %w", m.Slug, opts.Tenant, ErrOtherTenant)
	}
	for _, f := range m.Files {
		if f.Path == "files/" {
			continue // each file is checked against attachments.jsonl as it is read
		}
		if err := src.verify(f); err != nil {
			return Report{}, err
		}
	}
	var tenant []map[string]any
	if err := src.eachLine("entities/tenant.jsonl", func(r map[string]any) error { tenant = append(tenant, r); return nil }); err != nil {
		return Report{}, err
	}
	if len(tenant) != 1 || tenant[0]["id"] != m.Tenant {
		return Report{}, errors.New("the export's tenant file does not name the manifest's tenant")
	}
	slug, _ := tenant[0]["slug"].(string)
	imp, err := db.BeginTenantImport(ctx, m.Tenant, slug)
	if err != nil {
		return Report{}, err
	}
	listed := map[string]bool{}
	for _, f := range m.Files {
		listed[f.Path] = true
	}
	for _, e := range store.TenantEntities {
		if e.NoImport != "" && !listed["entities/"+e.Name+".jsonl"] {
			// An export made before the entity was exported: nothing to
			// count or read (it is not imported anyway).
			imp.SkipTenantRows(e, nil)
			continue
		}
		if err := importEntity(ctx, db, imp, src, e, opts.batch()); err != nil {
			if aerr := db.AbortTenantImport(context.WithoutCancel(ctx), imp); aerr != nil {
				err = fmt.Errorf("%w (and removing what was imported failed: %v)", err, aerr)
			}
			return Report{}, fmt.Errorf("import %s: %w", e.Name, err)
		}
	}
	rep, err := db.FinishTenantImport(ctx, opts.Actor, imp, "import of a full export (END-3)")
	if err != nil {
		return Report{}, err
	}
	return Report{TenantID: m.Tenant, ImportReport: rep}, nil
}

func importEntity(ctx context.Context, db *store.DB, imp *store.TenantImport, src dirSource, e store.TenantEntity, batch int) error {
	cols, err := db.TenantEntityColumns(ctx, e)
	if err != nil {
		return err
	}
	kinds := map[string]string{}
	for _, c := range cols {
		kinds[c.Name] = c.Kind
	}
	var rows []store.Row
	flush := func() error {
		if e.NoImport != "" { // counted (and read where the import needs them) but not written
			imp.SkipTenantRows(e, rows)
			rows = rows[:0]
			return nil
		}
		err := db.InsertTenantRows(ctx, imp, e, rows)
		rows = rows[:0]
		return err
	}
	err = src.eachLine("entities/"+e.Name+".jsonl", func(in map[string]any) error {
		r := store.Row{}
		for name, v := range in {
			kind, ok := kinds[name]
			if !ok {
				return fmt.Errorf("column %s is not in this instance's schema", name)
			}
			cv, err := decodeValue(src, kind, v)
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			r[name] = cv
		}
		rows = append(rows, r)
		if len(rows) >= batch || (e.Name == "attachments" && len(rows) >= 20) {
			return flush()
		}
		return nil
	})
	if err != nil {
		return err
	}
	return flush()
}

func decodeValue(src dirSource, kind string, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch kind {
	case store.KindInteger:
		n, ok := v.(json.Number)
		if !ok {
			return nil, fmt.Errorf("not an integer")
		}
		return n.Int64()
	case store.KindBytes:
		s, _ := v.(string)
		return base64.StdEncoding.DecodeString(s)
	case store.KindFile:
		s, _ := v.(string)
		p, sum, ok := strings.Cut(s, "#sha256=")
		if !ok || !strings.HasPrefix(p, "files/") || strings.Contains(p[len("files/"):], "/") || strings.Contains(p, "..") {
			return nil, fmt.Errorf("a file reference that is not files/<id>#sha256=<hex>")
		}
		r, err := src.open(p)
		if err != nil {
			return nil, err
		}
		defer r.Close()
		data, err := io.ReadAll(r)
		if err != nil {
			return nil, err
		}
		if h := sha256.Sum256(data); hex.EncodeToString(h[:]) != sum {
			return nil, fmt.Errorf("%s does not match its SHA-256 in the export", p)
		}
		return data, nil
	}
	s, ok := v.(string)
	if !ok {
		return nil, fmt.Errorf("not a string")
	}
	return s, nil
}

// Report is what an import did (store.ImportReport) and the tenant's id.
type Report struct {
	TenantID string
	store.ImportReport
}

// dirSource reads an export's files from a directory, each plain or .age.
type dirSource struct {
	dir string
	ids []age.Identity
}

type readCloser struct {
	io.Reader
	io.Closer
}

func (d dirSource) open(name string) (io.ReadCloser, error) {
	p := filepath.Join(d.dir, filepath.FromSlash(name))
	f, err := os.Open(p)
	if err == nil {
		return f, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	f, err = os.Open(p + ".age")
	if err != nil {
		return nil, fmt.Errorf("%s is missing from the export", name)
	}
	if len(d.ids) == 0 {
		f.Close()
		return nil, fmt.Errorf("%s is encrypted: give the age identity (--age-identity)", name)
	}
	r, err := age.Decrypt(f, d.ids...)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s does not decrypt with the identity given: %w", name, err)
	}
	return readCloser{r, f}, nil
}

func (d dirSource) readJSON(name string, v any) error {
	r, err := d.open(name)
	if err != nil {
		return err
	}
	defer r.Close()
	return json.NewDecoder(r).Decode(v)
}

func (d dirSource) verify(f FileEntry) error {
	r, err := d.open(f.Path)
	if err != nil {
		return err
	}
	defer r.Close()
	h := sha256.New()
	n, err := io.Copy(h, r)
	if err != nil {
		return fmt.Errorf("%s: %w", f.Path, err)
	}
	if n != f.Bytes || hex.EncodeToString(h.Sum(nil)) != f.SHA256 {
		return fmt.Errorf("%s does not match the manifest (size or SHA-256): the export is damaged or changed", f.Path)
	}
	return nil
}

func (d dirSource) eachLine(name string, fn func(map[string]any) error) error {
	r, err := d.open(name)
	if err != nil {
		return err
	}
	defer r.Close()
	br := bufio.NewReaderSize(r, 64<<10)
	for line := 1; ; line++ {
		b, err := br.ReadBytes('\n')
		if len(bytes.TrimSpace(b)) > 0 {
			dec := json.NewDecoder(bytes.NewReader(b))
			dec.UseNumber()
			var m map[string]any
			if derr := dec.Decode(&m); derr != nil {
				return fmt.Errorf("%s line %d: %w", name, line, derr)
			}
			if ferr := fn(m); ferr != nil {
				return fmt.Errorf("%s line %d: %w", name, line, ferr)
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// unpack extracts a .tar(.age) export into a temporary directory, each
// file encrypted again to a key that lives only in memory, so that no
// plaintext lies on disk; it returns the directory and that key.
func unpack(file string, ids []age.Identity) (string, []age.Identity, func(), error) {
	f, err := os.Open(file)
	if err != nil {
		return "", nil, nil, err
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(file, ".age") {
		if len(ids) == 0 {
			return "", nil, nil, fmt.Errorf("%s is encrypted: give the age identity (--age-identity)", file)
		}
		if r, err = age.Decrypt(f, ids...); err != nil {
			return "", nil, nil, fmt.Errorf("%s does not decrypt with the identity given: %w", file, err)
		}
	}
	eph, err := age.GenerateX25519Identity()
	if err != nil {
		return "", nil, nil, err
	}
	dir, err := os.MkdirTemp("", "kluis-import-")
	if err != nil {
		return "", nil, nil, err
	}
	cleanup := func() { os.RemoveAll(dir) }
	sk := &dirSink{dir: dir, recipients: []age.Recipient{eph.Recipient()}}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			cleanup()
			return "", nil, nil, fmt.Errorf("%s: %w", file, err)
		}
		name := path.Clean(h.Name)
		if h.Typeflag != tar.TypeReg || strings.HasPrefix(name, "/") || strings.HasPrefix(name, "..") {
			cleanup()
			return "", nil, nil, fmt.Errorf("%s: an entry %q that is not a file of an export", file, h.Name)
		}
		w, err := sk.create(name)
		if err == nil {
			_, err = io.Copy(w, tr)
			if cerr := w.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			cleanup()
			return "", nil, nil, err
		}
	}
	return dir, []age.Identity{eph}, cleanup, nil
}
