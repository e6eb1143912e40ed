package store

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"strconv"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/auditproof"
	"github.com/kluis/kluis/internal/seal"
)

// VerifyAudit reads a long chain in parts at the same time, each on its own
// connection and goroutine: one part per CPU, but no more than
// maxVerifyParts, to leave connections to the rest of the application.
const (
	maxVerifyParts = 4
	minVerifyPart  = 10_000 // events; a shorter chain is read in one part
)

// VerifyAudit walks tenant's chain and compares its end with the recorded
// head. It returns the number of events checked and, when the chain is
// broken, an *audit.BrokenError naming the first bad event.
func (db *DB) VerifyAudit(ctx context.Context, tenantID string) (int64, error) {
	head, err := db.AuditHead(ctx, tenantID)
	if err != nil {
		return 0, err
	}
	n := int64(min(runtime.GOMAXPROCS(0), maxVerifyParts))
	return db.verifyAudit(ctx, tenantID, head, int(max(1, min(n, head.Seq/minVerifyPart))))
}

// verifyAudit verifies tenant's chain in n parts and gives the result of a
// single walk from the genesis: the same first bad event, for the same
// reason, and the same count.
//
// The parts split the sequence numbers 1…head.Seq into contiguous ranges,
// the first open below, so that every row of the tenant up to the head is
// read exactly once, stray ones included. Each part is checked by a
// verifier that resumes after the part's first row; that row is checked
// afterwards, in order, by the verifier that finished the part before, as
// the single walk would have: a gap, an edit or a broken link at a boundary
// is found there. What lies after head.Seq is read last, by verifyTail.
//
// A pruned log (AUD-2) is walked from its latest pruning record: the chain
// resumes after the record's last hash at its size, and the count is of
// the events after it. Whether the record itself is genuine is a question
// for its signature, which the checkpoint verifier checks
// (auditproof.VerifyFrom); this walk shows the chain unbroken from it.
func (db *DB) verifyAudit(ctx context.Context, tenantID string, head audit.Head, n int) (int64, error) {
	pruned, err := db.LatestAuditPruning(ctx, tenantID)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return 0, err
	}
	start := pruned.Size
	if start > 0 {
		if err := db.checkPruning(pruned); err != nil {
			return 0, err
		}
	}
	if head.Seq <= start {
		n = 1 // nothing to split (and keep the ranges increasing)
	}
	parts := make([]verifyPart, n)
	for i := range parts {
		parts[i].lo, parts[i].hi = math.MinInt64, head.Seq
		if i > 0 {
			parts[i].lo = start + 1 + int64(i)*(head.Seq-start)/int64(n)
			parts[i-1].hi = parts[i].lo - 1
		}
	}
	var wg sync.WaitGroup
	for i := range parts {
		wg.Go(func() { parts[i].read(ctx, db, tenantID) })
	}
	wg.Wait()
	v := audit.NewVerifier(tenantID)
	if start > 0 {
		v = audit.ResumeVerifier(tenantID, pruned.Start())
	}
	for _, p := range parts {
		if p.first != nil {
			if err := v.Next(p.first); err != nil {
				return v.Count() - start, err
			}
			v = p.rest
		}
		if p.err != nil {
			return v.Count() - start, p.err
		}
	}
	err = db.verifyTail(ctx, tenantID, head.Seq, v)
	return v.Count() - start, err
}

// checkPruning checks the pruning record a pruned log starts from with the
// platform's checkpoint key, when the keyring holds one: its signature and
// checkpoint, and that the columns the walk resumes from (size, last hash,
// frontier) are what it signed. A record written behind the store's back
// — which the delete trigger would then let cover a deletion — fails here
// as a broken chain at the first event after it (AUD-2).
func (db *DB) checkPruning(p AuditPruning) error {
	if db.keys == nil {
		return nil
	}
	name, priv, _, err := db.keys.CheckpointKey("")
	if errors.Is(err, seal.ErrNoCheckpointKey) {
		return nil
	} else if err != nil {
		return fmt.Errorf("checkpoint key: %w", err)
	}
	pub := bytes.Clone(priv.Public().(ed25519.PublicKey))
	clear(priv)
	vkey, err := auditproof.VerifierKey(name, pub)
	if err != nil {
		return err
	}
	v, err := auditproof.ParseVerifierKey(vkey)
	if err != nil {
		return err
	}
	broken := func(reason string) error {
		return &audit.BrokenError{Seq: p.Size + 1, Reason: "the log starts after a pruning record that does not hold: " + reason}
	}
	rec, _, err := auditproof.ParsePruned(*p.Pruned(), auditproof.Origin(name+"/", p.TenantID), v)
	if err != nil {
		return broken(err.Error())
	}
	if rec.Size != uint64(p.Size) || !bytes.Equal(rec.LastHash, p.LastHash) || !bytes.Equal(bytes.Join(rec.Frontier, nil), p.Frontier) {
		return broken("its size, last hash or frontier are not the ones it signed")
	}
	return nil
}

// verifyTail checks the events after seq `after` and compares the end of
// the chain with the recorded head, reading both in one snapshot: Kluis
// keeps appending while it verifies, and an append moves the head in the
// same transaction as its event, so within one snapshot the two agree
// unless someone tampered with them.
func (db *DB) verifyTail(ctx context.Context, tenantID string, after int64, v *audit.Verifier) error {
	opts := &sql.TxOptions{ReadOnly: true}
	if db.dialect == Postgres {
		opts.Isolation = sql.LevelRepeatableRead
	}
	tx, err := db.sql.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("read audit log: %w", err)
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT `+auditEventColumns+` FROM audit_events
		WHERE tenant_id = $1 AND seq > $2 ORDER BY seq`, tenantID, after)
	if err != nil {
		return fmt.Errorf("read audit log: %w", err)
	}
	if err := scanAuditEvents(rows, tenantID, v.Next); err != nil {
		return err
	}
	var head audit.Head
	if err := tx.QueryRowContext(ctx, `SELECT seq, hash FROM audit_heads WHERE tenant_id = $1`, tenantID).Scan(&head.Seq, &head.Hash); err != nil {
		return fmt.Errorf("read audit head: %w", err)
	}
	return v.Finish(head)
}

// verifyPart is one part of a chain: the events with lo <= seq <= hi.
type verifyPart struct {
	lo, hi int64
	first  *audit.Event    // the part's first event, unchecked
	rest   *audit.Verifier // has checked the events after first
	err    error           // rest's *audit.BrokenError, or a read error
}

func (p *verifyPart) read(ctx context.Context, db *DB, tenantID string) {
	p.err = db.eachAuditEventIn(ctx, tenantID, p.lo, p.hi, func(e *audit.Event) error {
		if p.first != nil {
			return p.rest.Next(e)
		}
		first := *e
		first.PrevHash, first.Hash = bytes.Clone(e.PrevHash), bytes.Clone(e.Hash)
		p.first = &first
		p.rest = audit.ResumeVerifier(tenantID, audit.Head{Seq: e.Seq, Hash: e.Hash})
		return nil
	})
}

// eachAuditEventIn calls fn for tenant's events with lo <= seq <= hi in
// sequence order; math.MinInt64 and math.MaxInt64 leave the range open. It
// is EachAuditEvent for the verifier, several times faster: on a connection
// of its own it reads the driver's rows directly, and fn's event is reused,
// its hashes valid only during the call.
func (db *DB) eachAuditEventIn(ctx context.Context, tenantID string, lo, hi int64, fn func(*audit.Event) error) error {
	q := `SELECT ` + auditEventColumns + ` FROM audit_events WHERE tenant_id = $1`
	args := []any{tenantID}
	if lo != math.MinInt64 {
		args = append(args, lo)
		q += fmt.Sprintf(` AND seq >= $%d`, len(args))
	}
	if hi != math.MaxInt64 {
		args = append(args, hi)
		q += fmt.Sprintf(` AND seq <= $%d`, len(args))
	}
	q += ` ORDER BY seq`
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return fmt.Errorf("read audit log: %w", err)
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		var rows auditRows
		var err error
		if c, ok := dc.(*stdlib.Conn); ok {
			rows, err = queryPgxAuditRows(ctx, c.Conn(), q, args)
		} else {
			rows, err = queryDriverAuditRows(ctx, dc, q, args)
		}
		if err != nil {
			return fmt.Errorf("read audit log: %w", err)
		}
		defer rows.Close()
		e := audit.Event{TenantID: tenantID}
		for {
			if ok, err := rows.Next(&e); err != nil {
				return fmt.Errorf("read audit log: %w", err)
			} else if !ok {
				return nil
			}
			if err := fn(&e); err != nil {
				return err
			}
		}
	})
}

// auditRows yields the rows of a query of auditEventColumns.
type auditRows interface {
	// Next decodes the next row into e, and reports false at the end.
	Next(e *audit.Event) (bool, error)
	Close()
}

// pgxAuditRows reads PostgreSQL's rows with pgx itself: the text and the
// hashes are scanned as references into pgx's buffer, and a string is made
// only when it differs from the one of the row before (most repeat).
type pgxAuditRows struct {
	rows pgx.Rows
	at   int64
	buf  [13]pgtype.DriverBytes
	dest []any
}

func queryPgxAuditRows(ctx context.Context, c *pgx.Conn, q string, args []any) (*pgxAuditRows, error) {
	rows, err := c.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	r := &pgxAuditRows{rows: rows}
	r.dest = []any{nil, &r.at}
	for i := range r.buf {
		r.dest = append(r.dest, &r.buf[i])
	}
	return r, nil
}

func (r *pgxAuditRows) Next(e *audit.Event) (bool, error) {
	if !r.rows.Next() {
		return false, r.rows.Err()
	}
	r.dest[0] = &e.Seq
	if err := r.rows.Scan(r.dest...); err != nil {
		return false, err
	}
	e.Time = fromMicros(r.at)
	kind := string(e.Actor.Kind)
	for i, s := range []*string{&kind, &e.Actor.ID, &e.Actor.Role, &e.Actor.OnBehalfOf, &e.Actor.RequestID,
		&e.Action, &e.ObjectType, &e.ObjectID, &e.Subject, &e.Purpose, &e.Outcome} {
		switch b := r.buf[i]; {
		case b == nil:
			return false, fmt.Errorf("column %d is NULL", 2+i)
		case string(b) != *s:
			*s = string(b)
		}
	}
	e.Actor.Kind = audit.ActorKind(kind)
	e.PrevHash, e.Hash = r.buf[11], r.buf[12]
	return true, nil
}

func (r *pgxAuditRows) Close() { r.rows.Close() }

// driverAuditRows reads the rows of any other driver (SQLite) as the driver
// returns them, without database/sql's locking and copying for each row.
type driverAuditRows struct {
	rows driver.Rows
	vals [15]driver.Value
}

func queryDriverAuditRows(ctx context.Context, dc any, q string, args []any) (*driverAuditRows, error) {
	qc, ok := dc.(driver.QueryerContext)
	if !ok {
		return nil, fmt.Errorf("driver %T cannot query", dc)
	}
	named := make([]driver.NamedValue, len(args))
	for i, a := range args {
		named[i] = driver.NamedValue{Ordinal: i + 1, Value: a}
	}
	rows, err := qc.QueryContext(ctx, q, named)
	if err != nil {
		return nil, err
	}
	return &driverAuditRows{rows: rows}, nil
}

func (r *driverAuditRows) Next(e *audit.Event) (bool, error) {
	if err := r.rows.Next(r.vals[:]); err != nil {
		if err == io.EOF {
			return false, nil
		}
		return false, err
	}
	var d valueDecoder
	v := r.vals[:]
	var at int64
	var kind string
	d.int(v[0], &e.Seq)
	d.int(v[1], &at)
	for i, s := range []*string{&kind, &e.Actor.ID, &e.Actor.Role, &e.Actor.OnBehalfOf, &e.Actor.RequestID,
		&e.Action, &e.ObjectType, &e.ObjectID, &e.Subject, &e.Purpose, &e.Outcome} {
		d.text(v[2+i], s)
	}
	d.bytes(v[13], &e.PrevHash)
	d.bytes(v[14], &e.Hash)
	e.Time = fromMicros(at)
	e.Actor.Kind = audit.ActorKind(kind)
	return true, d.err
}

func (r *driverAuditRows) Close() { r.rows.Close() }

// valueDecoder converts driver values into int64, string and []byte as
// database/sql's Scan does, keeping the first error. SQLite returns int64,
// float64, string, []byte or nil, whatever a column's declared type: a
// tampered file may hold any of them anywhere, and must be read as before.
type valueDecoder struct{ err error }

func (d *valueDecoder) int(v driver.Value, dst *int64) {
	if n, ok := v.(int64); ok {
		*dst = n
		return
	}
	if v == nil {
		d.fail(errors.New("converting NULL to int64 is unsupported"))
		return
	}
	n, err := strconv.ParseInt(asText(v), 10, 64)
	if err != nil {
		d.fail(fmt.Errorf("converting driver.Value type %T (%q) to a int64: %w", v, asText(v), err))
	}
	*dst = n
}

func (d *valueDecoder) text(v driver.Value, dst *string) {
	if v == nil {
		d.fail(errors.New("converting NULL to string is unsupported"))
		return
	}
	*dst = asText(v)
}

func (d *valueDecoder) bytes(v driver.Value, dst *[]byte) {
	switch v := v.(type) {
	case []byte:
		*dst = v
	case nil:
		*dst = nil
	default:
		*dst = []byte(asText(v))
	}
}

func (d *valueDecoder) fail(err error) {
	if d.err == nil {
		d.err = err
	}
}

func asText(v driver.Value) string {
	switch v := v.(type) {
	case string:
		return v
	case []byte:
		return string(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	return fmt.Sprint(v)
}
