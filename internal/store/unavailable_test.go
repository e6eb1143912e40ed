package store_test

import (
	"database/sql/driver"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/kluis/kluis/internal/store"
)

// TestUnavailable: what counts as the database (or the attachment store)
// being out of reach, answered 503, and what stays an internal error.
// TestFault_DatabaseGone_* and TestFault_DiskFull_* meet these errors for
// real; this table pins the edges.
func TestUnavailable(t *testing.T) {
	path := func(e error) error {
		return fmt.Errorf("submit form: %w", &fs.PathError{Op: "write", Path: "/x/.put-1", Err: e})
	}
	for _, c := range []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"not found", store.ErrNotFound, false},
		{"conflict", fmt.Errorf("x: %w", store.ErrConflict), false},
		{"store closed", fmt.Errorf("x: %w", store.ErrStoreClosed), true},
		{"bad conn", driver.ErrBadConn, true},
		{"connection refused", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, true},
		{"terminated backend", &pgconn.PgError{Code: "57P01", Message: "terminating connection due to administrator command"}, true},
		{"unique violation", &pgconn.PgError{Code: "23505"}, false},
		{"disk full", path(syscall.ENOSPC), true},
		{"file size limit", path(syscall.EFBIG), true},
		{"quota", path(syscall.EDQUOT), true},
		{"permission denied", path(syscall.EACCES), false},
		{"sqlite locked", errors.New("database is locked (5) (SQLITE_BUSY)"), true},
		{"sqlite full", errors.New("database or disk is full (13)"), true},
		{"sqlite constraint", errors.New("UNIQUE constraint failed: users.email_index"), false},
	} {
		if got := store.Unavailable(c.err); got != c.want {
			t.Errorf("%s: Unavailable = %v, want %v", c.name, got, c.want)
		}
	}
}
