package auditproof

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
	"unicode/utf8"

	"github.com/kluis/kluis/internal/audit"
)

// The export is JSON Lines (one JSON object per line, UTF-8, each line
// ended by "\n"): a header line, then one line per event in sequence order
// from event 1. It carries every field that audit.Event.ComputeHash hashes,
// so that anyone can recompute each event's hash, the chain, and the Merkle
// tree (docs/audit.md):
//
//	{"format":"kluis-audit-export","version":1,"tenant":"<tenant id>"}
//	{"seq":1,"time":"2026-12-04T09:15:02.123456Z","actor_kind":"user",…,"prev_hash":"<hex>","hash":"<hex>"}
//
// The header of a log whose oldest events were pruned carries the pruning
// record ("pruned"), and the events start after it (see Pruned).
//
// The reader refuses unknown fields and a last line without its line end
// (a cut-off file), each with the line's number.

// ExportFormat is the header's format name; ExportVersion its version.
const (
	ExportFormat  = "kluis-audit-export"
	ExportVersion = 1
)

// timeLayout is the export's time: RFC 3339 in UTC with microseconds, the
// precision the hash covers (Unix microseconds).
const timeLayout = "2006-01-02T15:04:05.000000Z"

// maxLine bounds a line of the export: an event is a few hundred bytes.
const maxLine = 1 << 20

type exportHeader struct {
	Format  string        `json:"format"`
	Version int           `json:"version"`
	Tenant  string        `json:"tenant"`
	Pruned  *exportPruned `json:"pruned,omitempty"`
}

// exportPruned is the header's pruning record, for the export of a log
// whose retention removed its oldest events: the events then start after
// the record's size (AUD-2).
type exportPruned struct {
	Record     string `json:"record"`     // the signed pruning record
	Checkpoint string `json:"checkpoint"` // the signed checkpoint of its size
}

type exportEvent struct {
	Seq        int64  `json:"seq"`
	Time       string `json:"time"`
	ActorKind  string `json:"actor_kind"`
	ActorID    string `json:"actor_id"`
	ActorRole  string `json:"actor_role"`
	OnBehalfOf string `json:"on_behalf_of"`
	RequestID  string `json:"request_id"`
	Action     string `json:"action"`
	ObjectType string `json:"object_type"`
	ObjectID   string `json:"object_id"`
	Subject    string `json:"subject"`
	Purpose    string `json:"purpose"`
	Outcome    string `json:"outcome"`
	PrevHash   string `json:"prev_hash"`
	Hash       string `json:"hash"`
}

// ExportWriter writes a tenant's export.
type ExportWriter struct {
	w      *bufio.Writer
	tenant string
	line   []byte
}

// NewExportWriter writes the header of tenant's export to w.
func NewExportWriter(w io.Writer, tenantID string) (*ExportWriter, error) {
	return NewPrunedExportWriter(w, tenantID, nil)
}

// NewPrunedExportWriter writes the header of the export of tenant's log
// that starts after the pruning record pruned (nil: from event 1).
func NewPrunedExportWriter(w io.Writer, tenantID string, pruned *Pruned) (*ExportWriter, error) {
	x := &ExportWriter{w: bufio.NewWriter(w), tenant: tenantID}
	h := exportHeader{Format: ExportFormat, Version: ExportVersion, Tenant: tenantID}
	if pruned != nil {
		h.Pruned = &exportPruned{Record: string(pruned.Record), Checkpoint: string(pruned.Checkpoint)}
	}
	return x, x.put(h)
}

// Write writes one event; events are written in sequence order.
func (x *ExportWriter) Write(e *audit.Event) error {
	if e.TenantID != x.tenant {
		return fmt.Errorf("auditproof: event of another tenant in %s's export", x.tenant)
	}
	return x.put(exportEvent{
		Seq: e.Seq, Time: e.Time.UTC().Format(timeLayout),
		ActorKind: string(e.Actor.Kind), ActorID: e.Actor.ID, ActorRole: e.Actor.Role,
		OnBehalfOf: e.Actor.OnBehalfOf, RequestID: e.Actor.RequestID,
		Action: e.Action, ObjectType: e.ObjectType, ObjectID: e.ObjectID,
		Subject: e.Subject, Purpose: e.Purpose, Outcome: e.Outcome,
		PrevHash: hex.EncodeToString(e.PrevHash), Hash: hex.EncodeToString(e.Hash),
	})
}

func (x *ExportWriter) put(v any) error {
	var err error
	x.line, err = json.Marshal(v)
	if err != nil {
		return err
	}
	x.line = append(x.line, '\n')
	_, err = x.w.Write(x.line)
	return err
}

// Flush writes what is buffered; call it after the last event.
func (x *ExportWriter) Flush() error { return x.w.Flush() }

// ExportError names the line of an export that cannot be read, and why.
type ExportError struct {
	Line   int
	Reason string
}

func (e *ExportError) Error() string { return fmt.Sprintf("export line %d: %s", e.Line, e.Reason) }

// ExportReader reads an export written by ExportWriter or by anyone
// following docs/audit.md.
type ExportReader struct {
	r      *bufio.Reader
	line   int
	tenant string
	pruned *Pruned
	buf    []byte
	ev     exportEvent
}

// NewExportReader reads the header of an export.
func NewExportReader(r io.Reader) (*ExportReader, error) {
	x := &ExportReader{r: bufio.NewReaderSize(r, 64<<10)}
	line, err := x.next()
	if err == io.EOF {
		return nil, &ExportError{1, "the export is empty (no header line)"}
	} else if err != nil {
		return nil, err
	}
	var h exportHeader
	if err := strictUnmarshal(line, &h); err != nil {
		return nil, &ExportError{1, "not an export header: " + err.Error()}
	}
	switch {
	case h.Format != ExportFormat:
		return nil, &ExportError{1, fmt.Sprintf("format is %q, want %q", h.Format, ExportFormat)}
	case h.Version != ExportVersion:
		return nil, &ExportError{1, fmt.Sprintf("version %d, this reader knows %d", h.Version, ExportVersion)}
	case h.Tenant == "":
		return nil, &ExportError{1, "the header names no tenant"}
	}
	x.tenant = h.Tenant
	if h.Pruned != nil {
		if h.Pruned.Record == "" || h.Pruned.Checkpoint == "" {
			return nil, &ExportError{1, "the header's pruning record lacks its record or its checkpoint"}
		}
		x.pruned = &Pruned{Record: []byte(h.Pruned.Record), Checkpoint: []byte(h.Pruned.Checkpoint)}
	}
	return x, nil
}

// Tenant is the tenant whose log the export is.
func (x *ExportReader) Tenant() string { return x.tenant }

// Pruned is the pruning record the export starts after; nil when it starts
// at event 1.
func (x *ExportReader) Pruned() *Pruned { return x.pruned }

// next returns the next line without its line end, io.EOF at the end.
func (x *ExportReader) next() ([]byte, error) {
	x.buf = x.buf[:0]
	for {
		chunk, err := x.r.ReadSlice('\n')
		x.buf = append(x.buf, chunk...)
		if len(x.buf) > maxLine {
			return nil, &ExportError{x.line + 1, fmt.Sprintf("line longer than %d bytes", maxLine)}
		}
		switch {
		case err == nil:
			x.line++
			return x.buf[:len(x.buf)-1], nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case err == io.EOF && len(x.buf) == 0:
			return nil, io.EOF
		case err == io.EOF:
			return nil, &ExportError{x.line + 1, "the last line is cut off (no line end): the file is truncated"}
		default:
			return nil, fmt.Errorf("read export: %w", err)
		}
	}
}

// Next reads the next event into e and reports false at the end. e's hash
// slices are reused by the next call.
func (x *ExportReader) Next(e *audit.Event) (bool, error) {
	line, err := x.next()
	if err == io.EOF {
		return false, nil
	} else if err != nil {
		return false, err
	}
	fail := func(reason string) (bool, error) { return false, &ExportError{x.line, reason} }
	if !fastEvent(line, &x.ev) {
		x.ev = exportEvent{}
		if err := strictUnmarshal(line, &x.ev); err != nil {
			return fail("not an event: " + err.Error())
		}
	}
	v := &x.ev
	if v.Seq < 1 {
		return fail("seq missing or not positive")
	}
	t, err := time.Parse(time.RFC3339Nano, v.Time)
	if err != nil {
		return fail(fmt.Sprintf("time %q is not RFC 3339", v.Time))
	}
	if e.PrevHash, err = decodeHash(e.PrevHash, v.PrevHash); err != nil {
		return fail("prev_hash: " + err.Error())
	}
	if e.Hash, err = decodeHash(e.Hash, v.Hash); err != nil {
		return fail("hash: " + err.Error())
	}
	e.TenantID, e.Seq, e.Time = x.tenant, v.Seq, t
	e.Actor = audit.Actor{Kind: audit.ActorKind(v.ActorKind), ID: v.ActorID, Role: v.ActorRole,
		OnBehalfOf: v.OnBehalfOf, RequestID: v.RequestID}
	e.Action, e.ObjectType, e.ObjectID = v.Action, v.ObjectType, v.ObjectID
	e.Subject, e.Purpose, e.Outcome = v.Subject, v.Purpose, v.Outcome
	return true, nil
}

// exportKeys are an event line's keys in the order ExportWriter writes them.
var exportKeys = [...]string{"seq", "time", "actor_kind", "actor_id", "actor_role", "on_behalf_of", "request_id",
	"action", "object_type", "object_id", "subject", "purpose", "outcome", "prev_hash", "hash"}

// fastEvent reads an event line as ExportWriter writes it, several times
// faster than encoding/json: every key in its order, once, no white space,
// strings of valid UTF-8 without escapes. It reports false for anything
// else, which the strict decoder then reads and judges; where both read a
// line they read the same (a fuzz test holds them to it). A string equal to
// the one of the line before is kept, not made again: most repeat.
func fastEvent(line []byte, v *exportEvent) bool {
	if len(line) < 2 || line[0] != '{' || line[len(line)-1] != '}' ||
		bytes.IndexByte(line, '\\') >= 0 || hasControl(line) || !utf8.Valid(line) {
		return false
	}
	p := line[1 : len(line)-1]
	fields := [len(exportKeys)]*string{nil, &v.Time, &v.ActorKind, &v.ActorID, &v.ActorRole, &v.OnBehalfOf,
		&v.RequestID, &v.Action, &v.ObjectType, &v.ObjectID, &v.Subject, &v.Purpose, &v.Outcome, &v.PrevHash, &v.Hash}
	for i, key := range exportKeys {
		if i > 0 {
			if len(p) == 0 || p[0] != ',' {
				return false
			}
			p = p[1:]
		}
		if len(p) < len(key)+3 || p[0] != '"' || string(p[1:1+len(key)]) != key || p[1+len(key)] != '"' || p[2+len(key)] != ':' {
			return false
		}
		p = p[3+len(key):]
		if i == 0 { // seq: up to 18 digits, no leading zero, fits an int64
			n := 0
			for n < len(p) && n <= 18 && p[n] >= '0' && p[n] <= '9' {
				n++
			}
			if n == 0 || n > 18 || (p[0] == '0' && n > 1) {
				return false
			}
			v.Seq = 0
			for _, c := range p[:n] {
				v.Seq = v.Seq*10 + int64(c-'0')
			}
			p = p[n:]
			continue
		}
		if len(p) == 0 || p[0] != '"' {
			return false
		}
		end := bytes.IndexByte(p[1:], '"')
		if end < 0 {
			return false
		}
		str := p[1 : 1+end]
		if string(str) != *fields[i] {
			*fields[i] = string(str)
		}
		p = p[2+end:]
	}
	return len(p) == 0
}

// hasControl reports whether b holds a byte below 0x20, which JSON does
// not allow in a string: eight bytes at a time.
func hasControl(b []byte) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	for len(b) >= 8 {
		w := binary.LittleEndian.Uint64(b)
		if (w-0x20*ones)&^w&highs != 0 {
			return true
		}
		b = b[8:]
	}
	for _, c := range b {
		if c < 0x20 {
			return true
		}
	}
	return false
}

func strictUnmarshal(line []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(line))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return err
	}
	if d.More() {
		return errors.New("more than one JSON value on the line")
	}
	return nil
}

func decodeHash(dst []byte, s string) ([]byte, error) {
	if len(s) != 2*HashSize {
		return dst, fmt.Errorf("%d hexadecimal digits, want %d", len(s), 2*HashSize)
	}
	dst = append(dst[:0], make([]byte, HashSize)...)
	if _, err := hex.Decode(dst, []byte(s)); err != nil {
		return dst, errors.New("not hexadecimal")
	}
	return dst, nil
}

// ReadExport reads a whole export.
func ReadExport(r io.Reader) (tenant string, events []audit.Event, err error) {
	x, err := NewExportReader(r)
	if err != nil {
		return "", nil, err
	}
	for {
		var e audit.Event
		ok, err := x.Next(&e)
		if err != nil {
			return "", nil, err
		}
		if !ok {
			return x.tenant, events, nil
		}
		events = append(events, e)
	}
}
