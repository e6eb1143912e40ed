// Package scan checks uploaded files for malware with ClamAV's daemon,
// clamd, over its INSTREAM protocol (a Unix socket or TCP). It fails
// closed: any answer but "OK" — a signature found, a size limit hit, a
// timeout, a daemon that is down — is an error or an infected result, and
// the caller refuses the file rather than store it unscanned.
package scan

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"
)

// Result is clamd's verdict on one stream.
type Result struct {
	Clean     bool
	Signature string // the name of what was found, when not clean
}

// ErrUnavailable wraps every failure to get a verdict (daemon down,
// timeout, protocol error, a limit exceeded): the file counts as not
// scanned and must be refused.
var ErrUnavailable = errors.New("virus scanner unavailable")

// Client talks to one clamd.
type Client struct {
	// Network and Address of clamd: "unix" and a socket path, or "tcp" and
	// host:port.
	Network, Address string
	// Timeout bounds one whole scan (connect, send, verdict); 0 means 60 s.
	Timeout time.Duration
}

// chunkSize is how much is sent per INSTREAM chunk.
const chunkSize = 64 << 10

func (c *Client) dial(ctx context.Context) (net.Conn, error) {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 60 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, c.Network, c.Address)
	if err != nil {
		return nil, err
	}
	deadline, _ := ctx.Deadline()
	conn.SetDeadline(deadline)
	return conn, nil
}

// Ping checks that clamd answers.
func (c *Client) Ping(ctx context.Context) error {
	conn, err := c.dial(ctx)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte("zPING\x00")); err != nil {
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	reply, err := bufio.NewReader(conn).ReadString(0)
	if err != nil || strings.TrimRight(reply, "\x00") != "PONG" {
		return fmt.Errorf("%w: ping answered %q (%v)", ErrUnavailable, reply, err)
	}
	return nil
}

// Scan streams r to clamd and returns its verdict. An error (always
// wrapping ErrUnavailable, or the context's error) means no verdict.
func (c *Client) Scan(ctx context.Context, r io.Reader) (Result, error) {
	conn, err := c.dial(ctx)
	if err != nil {
		return Result{}, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	w := bufio.NewWriterSize(conn, chunkSize+4)
	if _, err := w.WriteString("zINSTREAM\x00"); err != nil {
		return Result{}, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	buf := make([]byte, chunkSize)
	var size [4]byte
	for {
		n, rerr := io.ReadFull(r, buf)
		if n > 0 {
			binary.BigEndian.PutUint32(size[:], uint32(n))
			w.Write(size[:])
			if _, err := w.Write(buf[:n]); err != nil {
				// clamd closes the stream when its size limit is hit; its
				// reply says so.
				return c.reply(ctx, conn, fmt.Errorf("send: %w", err))
			}
		}
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			break
		}
		if rerr != nil {
			return Result{}, fmt.Errorf("read the file to scan: %w", rerr)
		}
	}
	binary.BigEndian.PutUint32(size[:], 0)
	w.Write(size[:])
	if err := w.Flush(); err != nil {
		return c.reply(ctx, conn, fmt.Errorf("send: %w", err))
	}
	return c.reply(ctx, conn, nil)
}

// reply reads clamd's one-line verdict: "stream: OK", "stream: NAME FOUND"
// or "… ERROR".
func (c *Client) reply(ctx context.Context, conn net.Conn, sendErr error) (Result, error) {
	line, err := bufio.NewReader(conn).ReadString(0)
	if ctx.Err() != nil {
		return Result{}, ctx.Err()
	}
	line = strings.TrimRight(line, "\x00\n")
	switch {
	case err != nil && line == "":
		return Result{}, fmt.Errorf("%w: %v", ErrUnavailable, errors.Join(sendErr, err))
	case line == "stream: OK":
		if sendErr != nil {
			return Result{}, fmt.Errorf("%w: %v", ErrUnavailable, sendErr)
		}
		return Result{Clean: true}, nil
	case strings.HasPrefix(line, "stream: ") && strings.HasSuffix(line, " FOUND"):
		return Result{Signature: strings.TrimSuffix(strings.TrimPrefix(line, "stream: "), " FOUND")}, nil
	}
	return Result{}, fmt.Errorf("%w: clamd answered %q", ErrUnavailable, line)
}

// EICAR is the industry's harmless test file: every scanner reports it.
var EICAR = []byte(`X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*`)
