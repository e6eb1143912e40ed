package tenantexport

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"filippo.io/age"
)

// sink is where an export's files go: a directory (each file on its own,
// .age when encrypted) or one tar stream (encrypted as a whole).
type sink interface {
	create(name string) (io.WriteCloser, error)
}

// dirSink writes each file under dir, first as name.part and renamed when
// complete, so that a file that is there is whole (resume). Files are made
// durable together (durable) before the state names their entity done: one
// sync per entity, not one per file, which would make an export of many
// attachments wait on the disk for each.
type dirSink struct {
	dir        string
	recipients []age.Recipient
	pending    []string
	made       map[string]bool // directories known to exist
}

// durable makes every file written since the last call durable.
func (d *dirSink) durable() error {
	if len(d.pending) == 0 {
		return nil
	}
	err := syncFiles(d.dir, d.pending)
	d.pending = d.pending[:0]
	return err
}

func (d *dirSink) create(name string) (io.WriteCloser, error) {
	if len(d.recipients) > 0 {
		name += ".age"
	}
	path := filepath.Join(d.dir, filepath.FromSlash(name))
	if parent := filepath.Dir(path); !d.made[parent] {
		if err := os.MkdirAll(parent, 0o700); err != nil {
			return nil, err
		}
		if d.made == nil {
			d.made = map[string]bool{}
		}
		d.made[parent] = true
	}
	f, err := os.OpenFile(path+".part", os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, err
	}
	fw := &fileWriter{f: f, final: path, done: func(p string) { d.pending = append(d.pending, p) }}
	if len(d.recipients) == 0 {
		return fw, nil
	}
	aw, err := age.Encrypt(f, d.recipients...)
	if err != nil {
		f.Close()
		return nil, err
	}
	return &stacked{w: aw, closers: []io.Closer{aw, fw}}, nil
}

type fileWriter struct {
	f     *os.File
	final string
	done  func(path string)
}

func (w *fileWriter) Write(p []byte) (int, error) { return w.f.Write(p) }

func (w *fileWriter) Close() error {
	if err := w.f.Close(); err != nil {
		return err
	}
	if err := os.Rename(w.f.Name(), w.final); err != nil {
		return err
	}
	w.done(w.final)
	return nil
}

// stacked writes to w and closes closers in order (the age stream, then
// the file under it).
type stacked struct {
	w       io.Writer
	closers []io.Closer
}

func (s *stacked) Write(p []byte) (int, error) { return s.w.Write(p) }

func (s *stacked) Close() error {
	var errs []error
	for _, c := range s.closers {
		errs = append(errs, c.Close())
	}
	return errors.Join(errs...)
}

// tarSink writes one tar stream, encrypted to the recipients when given,
// into a file (path, f) or any writer (f nil).
// A tar header needs the size first: each file is written to a temporary
// file, itself encrypted to a key that lives only in memory (no plaintext
// at rest), and copied into the archive when it is closed.
type tarSink struct {
	path    string
	f       *os.File
	enc     io.WriteCloser // age stream or nil
	tw      *tar.Writer
	tmpDir  string
	eph     *age.X25519Identity
	done    bool
	modTime time.Time
}

func newTarSink(path string, recipients []age.Recipient) (*tarSink, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("%s: %w", path, ErrExists)
		}
		return nil, err
	}
	t, err := newTarStream(f, filepath.Dir(path), recipients)
	if err != nil {
		f.Close()
		os.Remove(path)
		return nil, err
	}
	t.path, t.f = path, f
	return t, nil
}

// newTarStream writes the tar stream into w, with its temporary parts in
// a directory under tmpParent ("": the system's).
func newTarStream(w io.Writer, tmpParent string, recipients []age.Recipient) (*tarSink, error) {
	t := &tarSink{modTime: time.Unix(0, 0)}
	if len(recipients) > 0 {
		aw, err := age.Encrypt(w, recipients...)
		if err != nil {
			return nil, err
		}
		t.enc, w = aw, aw
	}
	t.tw = tar.NewWriter(w)
	var err error
	if t.tmpDir, err = os.MkdirTemp(tmpParent, ".kluis-export-"); err != nil {
		return nil, err
	}
	if t.eph, err = age.GenerateX25519Identity(); err != nil {
		os.RemoveAll(t.tmpDir)
		return nil, err
	}
	return t, nil
}

func (t *tarSink) create(name string) (io.WriteCloser, error) {
	tmp, err := os.CreateTemp(t.tmpDir, "part-")
	if err != nil {
		return nil, err
	}
	aw, err := age.Encrypt(tmp, t.eph.Recipient())
	if err != nil {
		tmp.Close()
		return nil, err
	}
	var size int64
	return &stacked{w: writerFunc(func(p []byte) (int, error) { size += int64(len(p)); return aw.Write(p) }),
		closers: []io.Closer{aw, closerFunc(func() error {
			defer os.Remove(tmp.Name())
			defer tmp.Close()
			if _, err := tmp.Seek(0, io.SeekStart); err != nil {
				return err
			}
			r, err := age.Decrypt(tmp, t.eph)
			if err != nil {
				return err
			}
			if err := t.tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: size, ModTime: t.modTime, Format: tar.FormatPAX}); err != nil {
				return err
			}
			_, err = io.Copy(t.tw, r)
			return err
		})}}, nil
}

type closerFunc func() error

func (f closerFunc) Close() error { return f() }

func (t *tarSink) finish() error {
	if err := t.tw.Close(); err != nil {
		return err
	}
	if t.enc != nil {
		if err := t.enc.Close(); err != nil {
			return err
		}
	}
	if t.f != nil {
		if err := t.f.Sync(); err != nil {
			return err
		}
		if err := t.f.Close(); err != nil {
			return err
		}
	}
	t.done = true
	return os.RemoveAll(t.tmpDir)
}

// abort removes an unfinished archive: a file export is not resumable
// (use a directory for that).
func (t *tarSink) abort() {
	if t.done {
		return
	}
	if t.f != nil {
		t.f.Close()
		os.Remove(t.path)
	}
	if t.tmpDir != "" {
		os.RemoveAll(t.tmpDir)
	}
}
