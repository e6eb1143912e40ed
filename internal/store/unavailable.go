package store

import (
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
)

// Unavailable reports whether err means the database is out of reach for
// now — the server cannot be reached or cut the connection, is shutting
// down or refuses connections, the SQLite file is locked, unwritable or on
// a full disk, the attachment store's disk is full — rather than refusing this one request. The web side
// answers such a request 503 ("try again in a few minutes") instead of an
// internal error, and /readyz fails until the database is back; the
// transaction that met it was rolled back, so nothing is half-written.
func Unavailable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, ErrStoreClosed) || errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return true
	}
	// Out of space where Kluis writes (attachment objects, the SQLite
	// file): the disk, a quota, a file size limit or a read-only mount.
	for _, e := range []syscall.Errno{syscall.ENOSPC, syscall.EDQUOT, syscall.EFBIG, syscall.EROFS} {
		if errors.Is(err, e) {
			return true
		}
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return true
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		// Class 08: connection exception; 57P01–57P03: the server is
		// shutting down, crashed or not yet accepting connections
		// (pg_terminate_backend gives 57P01); class 53: out of disk,
		// memory or connections.
		return strings.HasPrefix(pe.Code, "08") || strings.HasPrefix(pe.Code, "57P") || strings.HasPrefix(pe.Code, "53")
	}
	// A network operation that failed (dial, read, write); not net.Error,
	// which every syscall.Errno satisfies.
	var oe *net.OpError
	if errors.As(err, &oe) {
		return true
	}
	s := err.Error()
	for _, m := range []string{
		"conn closed", "connection reset", "broken pipe", "unexpected EOF", // pgx, a cut connection
		"database is locked", "disk I/O error", "database or disk is full", "readonly database", "unable to open database file", // SQLite
	} {
		if strings.Contains(s, m) {
			return true
		}
	}
	return false
}
