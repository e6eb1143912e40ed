// Package tenantexport writes and reads the full export of one tenant
// (END-3): every entity of store.TenantEntities as JSON Lines, a JSON Schema
// (draft 2020-12) and a CSV twin per entity, the files of attachments as
// they were uploaded, a manifest with the rows, bytes and SHA-256 of every
// file, and a README in Dutch, French and English. It streams (rows are
// read in batches and written straight out), resumes an interrupted export
// into a directory, and encrypts to the controller's age recipients when
// given. Import writes an export into an instance without the tenant,
// sealing again with that instance's keys.
//
// It imports store (which owns the SQL, the sealing and the audit record)
// and filippo.io/age; cli and jobs (the web's full export) import it.
package tenantexport

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"filippo.io/age"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/tenant"
)

// Format names the layout of an export, written in its manifest.
const Format = "kluis-tenant-export/1"

// stateFile marks a directory as an export in progress (DIR mode): which
// entities are complete. It holds counts and hashes only.
const stateFile = "export-state.json"

// checkpointBytes is how much an export writes between two checkpoints of
// a directory export at most, unless an entity alone is larger.
const checkpointBytes = 64 << 20

// ErrExists: the destination exists and is not an unfinished export of
// this tenant; nothing was written.
var ErrExists = errors.New("the destination exists and is not an unfinished export of this tenant")

// Options tune an export or import.
type Options struct {
	Actor   audit.Actor
	Purpose string // recorded in the audit log; default "end of contract hand-over (END-3)"
	// Recipients encrypt every file (DIR) or the archive (FILE) with age.
	Recipients []age.Recipient
	// Identities decrypt an encrypted export on import.
	Identities []age.Identity
	// Tenant, on import, is the slug or id the export must be of ("": any).
	Tenant string
	// Batch is how many rows are read per query (default 500).
	Batch int
	// Now is the clock of the manifest's time (default time.Now).
	Now func() time.Time
	// AfterEntity, when set, is called after each complete entity (tests
	// stop a run there, as a crash would; a job reports progress).
	AfterEntity func(entity string) error
}

func (o Options) batch() int {
	if o.Batch > 0 {
		return o.Batch
	}
	return 500
}

func (o Options) purpose() string {
	if o.Purpose != "" {
		return o.Purpose
	}
	return "end of contract hand-over (END-3)"
}

// FileEntry is one file of an export as the manifest lists it. Rows is the
// number of JSON Lines or CSV records (0 for other files).
type FileEntry struct {
	Path   string `json:"path"`
	Entity string `json:"entity,omitempty"`
	Rows   int64  `json:"rows"`
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
	// Unreadable counts the sealed values that did not open (damage or a
	// lost key, SEC-3): null in the file, each recorded in the audit log.
	Unreadable int64 `json:"unreadable,omitempty"`
}

// Manifest describes an export: the tenant, when, and every file. The
// files of attachments are summed up in one entry (files/, their count
// and bytes); each one's SHA-256 is in attachments.jsonl.
type Manifest struct {
	Format     string      `json:"format"`
	Tenant     string      `json:"tenant"`
	Slug       string      `json:"slug"`
	ExportedAt time.Time   `json:"exported_at"`
	Encrypted  bool        `json:"encrypted"`
	Files      []FileEntry `json:"files"`
}

type state struct {
	Format    string      `json:"format"`
	Tenant    string      `json:"tenant"`
	Encrypted bool        `json:"encrypted"`
	Done      []string    `json:"done"`
	Files     []FileEntry `json:"files"`
	Finished  bool        `json:"finished"`
}

// ParseRecipients parses age recipients (age1…); an export refuses one
// that does not parse before it writes anything.
func ParseRecipients(rs []string) ([]age.Recipient, error) {
	var out []age.Recipient
	for _, s := range rs {
		r, err := age.ParseX25519Recipient(strings.TrimSpace(s))
		if err != nil {
			return nil, fmt.Errorf("age recipient %q does not parse: %w", s, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// ParseIdentities reads age identities (AGE-SECRET-KEY-1…) from r.
func ParseIdentities(r io.Reader) ([]age.Identity, error) {
	return age.ParseIdentities(r)
}

// IsArchive reports whether to names a single-file export (FILE mode): a
// path ending in .tar or .tar.age. Anything else is a directory.
func IsArchive(to string) bool {
	return strings.HasSuffix(to, ".tar") || strings.HasSuffix(to, ".tar.age")
}

// Export writes the full export of tenantID to `to` (a directory, or a
// .tar/.tar.age file) and returns its manifest. A directory that exists
// must be an unfinished export of the same tenant (it resumes after the
// last complete entity); anything else that exists is refused with
// ErrExists before anything is written or read.
func Export(ctx context.Context, db *store.DB, tenantID, to string, opts Options) (Manifest, error) {
	t, err := db.Tenant(ctx, tenantID)
	if err != nil {
		return Manifest{}, err
	}
	archive := IsArchive(to)
	if archive && (len(opts.Recipients) > 0) != strings.HasSuffix(to, ".age") {
		return Manifest{}, fmt.Errorf("%s: a file export is .tar.age with an age recipient and .tar without", to)
	}
	var st state
	if archive {
		if _, err := os.Lstat(to); err == nil {
			return Manifest{}, fmt.Errorf("%s: %w", to, ErrExists)
		}
	} else if st, err = openState(to, t.ID); err != nil {
		return Manifest{}, err
	} else if st.Format != "" && st.Encrypted != (len(opts.Recipients) > 0) {
		// A resumed export is encrypted as it began, or not at all.
		return Manifest{}, fmt.Errorf("%s was begun %s: resume it the same way: %w", to, map[bool]string{true: "encrypted", false: "unencrypted"}[st.Encrypted], ErrExists)
	}
	run, err := db.StartTenantExport(ctx, opts.Actor, t.ID, opts.purpose())
	if err != nil {
		return Manifest{}, err
	}
	var sk sink
	if archive {
		ts, err := newTarSink(to, opts.Recipients)
		if err != nil {
			return Manifest{}, err
		}
		defer ts.abort()
		sk = ts
	} else {
		if err := os.MkdirAll(to, 0o700); err != nil {
			return Manifest{}, err
		}
		sk = &dirSink{dir: to, recipients: opts.Recipients}
		st.Format, st.Tenant, st.Encrypted = Format, t.ID, len(opts.Recipients) > 0
		if err := saveState(to, st); err != nil {
			return Manifest{}, err
		}
	}
	return write(ctx, db, t, run, sk, st, to, opts)
}

// ExportArchive writes the full export of tenantID as one tar stream into
// w (age-encrypted to opts.Recipients when given, a .tar.age; else a
// .tar), as Export does for a FILE, and returns its manifest: for a
// caller that stores the archive elsewhere (the web's export job writes it
// through its own encryption into the export store). Nothing is resumed:
// a failed run is begun again.
func ExportArchive(ctx context.Context, db *store.DB, tenantID string, w io.Writer, opts Options) (Manifest, error) {
	t, err := db.Tenant(ctx, tenantID)
	if err != nil {
		return Manifest{}, err
	}
	run, err := db.StartTenantExport(ctx, opts.Actor, t.ID, opts.purpose())
	if err != nil {
		return Manifest{}, err
	}
	ts, err := newTarStream(w, "", opts.Recipients)
	if err != nil {
		return Manifest{}, err
	}
	defer ts.abort()
	return write(ctx, db, t, run, ts, state{}, "", opts)
}

// write writes every entity not yet done in st, the READMEs and the
// manifest into sk; to is the directory of a DIR export ("" otherwise).
func write(ctx context.Context, db *store.DB, t tenant.Tenant, run *store.TenantExportRun, sk sink, st state, to string, opts Options) (Manifest, error) {
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	m := Manifest{Format: Format, Tenant: t.ID, Slug: t.Slug, ExportedAt: now().UTC().Truncate(time.Second),
		Encrypted: len(opts.Recipients) > 0}
	ds, isDir := sk.(*dirSink)
	var unsaved int64 // bytes written since the last checkpoint
	for _, e := range store.TenantEntities {
		if slices.Contains(st.Done, e.Name) {
			continue
		}
		files, err := exportEntity(ctx, db, run, e, sk, opts.batch())
		if err != nil {
			return Manifest{}, fmt.Errorf("export %s: %w", e.Name, err)
		}
		st.Files = append(st.Files, files...)
		st.Done = append(st.Done, e.Name)
		for _, f := range files {
			unsaved += f.Bytes
		}
		// A checkpoint (sync, then the state names the entities done) costs
		// a syncfs of the whole file system, tens of them an export: the
		// small entities are checkpointed together, once enough is written
		// that redoing it after a crash would cost more than the sync.
		if isDir && (unsaved >= checkpointBytes || opts.AfterEntity != nil) {
			if err := ds.durable(); err != nil {
				return Manifest{}, err
			}
			if err := saveState(to, st); err != nil {
				return Manifest{}, err
			}
			unsaved = 0
		}
		if opts.AfterEntity != nil {
			if err := opts.AfterEntity(e.Name); err != nil {
				return Manifest{}, err
			}
		}
	}
	readmes, err := writeReadmes(ctx, db, sk, m)
	if err != nil {
		return Manifest{}, err
	}
	m.Files = append(st.Files, readmes...)
	sort.SliceStable(m.Files, func(i, j int) bool { return m.Files[i].Path < m.Files[j].Path })
	mb, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return Manifest{}, err
	}
	if _, err := writeWhole(sk, "manifest.json", "", append(mb, '\n')); err != nil {
		return Manifest{}, err
	}
	if !isDir {
		if err := sk.(*tarSink).finish(); err != nil {
			return Manifest{}, err
		}
	} else {
		if err := ds.durable(); err != nil {
			return Manifest{}, err
		}
		st.Finished = true
		if err := saveState(to, st); err != nil {
			return Manifest{}, err
		}
	}
	return m, nil
}

// Resumable reports whether dir is an unfinished export of tenantID, which
// Export continues.
func Resumable(dir, tenantID string) bool {
	st, err := openState(dir, tenantID)
	return err == nil && st.Tenant == tenantID
}

func openState(dir, tenantID string) (state, error) {
	fi, err := os.Stat(dir)
	if errors.Is(err, os.ErrNotExist) {
		return state{}, nil
	}
	if err != nil {
		return state{}, err
	}
	if !fi.IsDir() {
		return state{}, fmt.Errorf("%s: %w", dir, ErrExists)
	}
	b, err := os.ReadFile(filepath.Join(dir, stateFile))
	if err != nil {
		return state{}, fmt.Errorf("%s: %w", dir, ErrExists)
	}
	var st state
	if err := json.Unmarshal(b, &st); err != nil || st.Format != Format || st.Tenant != tenantID || st.Finished {
		return state{}, fmt.Errorf("%s: %w", dir, ErrExists)
	}
	return st, nil
}

func saveState(dir string, st state) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, stateFile+".tmp")
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, stateFile))
}

// counted hashes and counts what goes through it. An entity's JSON Lines
// and CSV stream through it in buffers handed to a goroutine of its own,
// which hashes and writes them: the write(2) calls (page cache, writeback
// throttling) and SHA-256 overlap with reading, opening and encoding the
// next rows instead of stopping them. A file (writeWhole) is written at
// once, its hash wanted right away.
type counted struct {
	w    io.WriteCloser
	h    hash.Hash
	n    int64
	rows int64
	path string
	buf  []byte
	full chan []byte // buffers to write, in order
	free chan []byte // written buffers, for reuse
	done chan struct{}
	err  error // the first write error; read after done
}

const countedBuf = 256 << 10

func newCounted(w io.WriteCloser, path string) *counted {
	c := &counted{w: w, h: sha256.New(), path: path, buf: make([]byte, 0, countedBuf),
		full: make(chan []byte, 2), free: make(chan []byte, 3), done: make(chan struct{})}
	c.free <- make([]byte, 0, countedBuf)
	c.free <- make([]byte, 0, countedBuf)
	go func() {
		defer close(c.done)
		for b := range c.full {
			if c.err == nil {
				c.h.Write(b)
				c.n += int64(len(b))
				_, c.err = c.w.Write(b)
			}
			c.free <- b[:0]
		}
	}()
	return c
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func (c *counted) Write(p []byte) (int, error) { return push(c, p) }

// WriteString lets encoding/csv write without a conversion.
func (c *counted) WriteString(s string) (int, error) { return push(c, s) }

// push copies p into the current buffer and hands each full one over.
func push[T string | []byte](c *counted, p T) (int, error) {
	n := len(p)
	for len(p) > 0 {
		k := min(len(p), cap(c.buf)-len(c.buf))
		c.buf = append(c.buf, p[:k]...)
		p = p[k:]
		if len(c.buf) == cap(c.buf) {
			c.full <- c.buf
			c.buf = <-c.free
		}
	}
	return n, nil
}

// abort stops the writer of a stream that will not be finished.
func (c *counted) abort() {
	close(c.full)
	<-c.done
	c.w.Close()
}

func (c *counted) close(entity string) (FileEntry, error) {
	if len(c.buf) > 0 {
		c.full <- c.buf
	}
	close(c.full)
	<-c.done
	if c.err != nil {
		c.w.Close()
		return FileEntry{}, c.err
	}
	if err := c.w.Close(); err != nil {
		return FileEntry{}, err
	}
	return FileEntry{Path: c.path, Entity: entity, Rows: c.rows, Bytes: c.n, SHA256: hex.EncodeToString(c.h.Sum(nil))}, nil
}

func writeWhole(sk sink, name, entity string, b []byte) (FileEntry, error) {
	w, err := sk.create(name)
	if err != nil {
		return FileEntry{}, err
	}
	h := sha256.New()
	h.Write(b)
	if _, err := w.Write(b); err != nil {
		w.Close()
		return FileEntry{}, err
	}
	if err := w.Close(); err != nil {
		return FileEntry{}, err
	}
	return FileEntry{Path: name, Entity: entity, Bytes: int64(len(b)), SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// exportEntity writes one entity's JSON Lines, CSV and schema (and its
// files), reading batch rows at a time.
func exportEntity(ctx context.Context, db *store.DB, run *store.TenantExportRun, e store.TenantEntity, sk sink, batch int) ([]FileEntry, error) {
	cols, err := db.TenantEntityColumns(ctx, e)
	if err != nil {
		return nil, err
	}
	schema, err := schemaOf(e, cols)
	if err != nil {
		return nil, err
	}
	sf, err := writeWhole(sk, "schemas/"+e.Name+".schema.json", e.Name, schema)
	if err != nil {
		return nil, err
	}
	jw, err := sk.create("entities/" + e.Name + ".jsonl")
	if err != nil {
		return nil, err
	}
	jc := newCounted(jw, "entities/"+e.Name+".jsonl")
	cw, err := sk.create("csv/" + e.Name + ".csv")
	if err != nil {
		jc.abort()
		return nil, err
	}
	cc := newCounted(cw, "csv/"+e.Name+".csv")
	cv := csv.NewWriter(cc)
	header := make([]string, len(cols))
	for i, c := range cols {
		header[i] = csvHeader(e.Name, c.Name)
	}
	if err := cv.Write(header); err != nil {
		jc.abort()
		cc.abort()
		return nil, err
	}
	files := FileEntry{Path: "files/", Entity: e.Name}
	var unreadable int64
	hasFiles := false
	var after []any
	if len(cols) > 0 && e.Name == "attachments" {
		batch = min(batch, 20) // whole files are in memory per batch
	}
	line := make([]byte, 0, 4096)
	record := make([]string, len(cols))
	for {
		n := 0
		last, bad, err := db.ReadTenantEntity(ctx, run, e, cols, after, batch, func(r store.Row) error {
			n++
			line = append(line[:0], '{')
			for i, c := range cols {
				if i > 0 {
					line = append(line, ',')
				}
				line = strconv.AppendQuote(line, c.Name) // column names are ASCII identifiers
				line = append(line, ':')
				v := r[c.Name]
				if c.Kind == store.KindFile && v != nil {
					data, _ := v.([]byte)
					path := "files/" + fmt.Sprint(r["id"])
					fe, err := writeWhole(sk, path, e.Name, data)
					if err != nil {
						return err
					}
					hasFiles = true
					files.Rows++
					files.Bytes += fe.Bytes
					v = path + "#sha256=" + fe.SHA256
				}
				enc, s, err := encodeValue(c, v)
				if err != nil {
					return fmt.Errorf("%s: %w", c.Name, err)
				}
				line = append(line, enc...)
				record[i] = s
			}
			line = append(line, '}', '\n')
			if _, err := jc.Write(line); err != nil {
				return err
			}
			jc.rows++
			cc.rows++
			return cv.Write(record)
		})
		if err != nil {
			jc.abort()
			cc.abort()
			return nil, err
		}
		unreadable += int64(bad)
		if n < batch {
			break
		}
		after = last
	}
	cv.Flush()
	if err := cv.Error(); err != nil {
		jc.abort()
		cc.abort()
		return nil, err
	}
	jf, err := jc.close(e.Name)
	if err != nil {
		cc.abort()
		return nil, err
	}
	jf.Unreadable = unreadable
	cf, err := cc.close(e.Name)
	if err != nil {
		return nil, err
	}
	out := []FileEntry{sf, jf, cf}
	if hasFiles {
		out = append(out, files)
	}
	return out, nil
}

// encodeValue gives v as JSON and as a CSV cell.
func encodeValue(c store.Column, v any) ([]byte, string, error) {
	switch x := v.(type) {
	case nil:
		return []byte("null"), "", nil
	case int64:
		s := strconv.FormatInt(x, 10)
		return []byte(s), s, nil
	case []byte:
		s := base64.StdEncoding.EncodeToString(x)
		if c.Kind == store.KindText {
			s = string(x)
		}
		b, err := json.Marshal(s)
		return b, s, err
	case string:
		if c.Kind == store.KindInteger { // a driver that returns numbers as text
			if _, err := strconv.ParseInt(x, 10, 64); err == nil {
				return []byte(x), x, nil
			}
		}
		b, err := json.Marshal(x)
		return b, x, err
	}
	return nil, "", fmt.Errorf("unexpected value type %T", v)
}
