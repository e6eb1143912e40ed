// Package breached checks new passwords against a breached-password corpus
// with a k-anonymity range query (contract USR-3, ASVS 5.0 6.2.12): only
// the first 5 hex characters of the password's SHA-1 leave Kluis; the
// service answers with every suffix it knows under that prefix ("HIBP range
// API" format: SUFFIX:COUNT lines) and the comparison happens here. It is
// an adapter: standard library only, one outgoing HTTP request per check,
// no redirects followed.
package breached

import (
	"bufio"
	"context"
	"crypto/sha1" // the range API is keyed by SHA-1; it is an index here, not a protection
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DefaultTimeout bounds one range query.
const DefaultTimeout = 3 * time.Second

// maxBody bounds the range response read (a real one is some 30 KiB,
// padded up to about 40 KiB).
const maxBody = 2 << 20

// ErrUnavailable wraps every failure to get an answer: unreachable,
// timeout, a status other than 200, a redirect, an unreadable body. The
// wrapped detail never holds the password or its hash prefix.
var ErrUnavailable = errors.New("breached-password service unavailable")

// Checker queries one range endpoint. A nil *Checker checks nothing.
type Checker struct {
	base   string
	client *http.Client
}

// New returns a Checker for rangeURL (e.g.
// "https://api.pwnedpasswords.com/range/"; the prefix is appended, or
// replaces "{prefix}" when the URL has it), or nil when rangeURL is empty.
// timeout ≤ 0 means DefaultTimeout.
func New(rangeURL string, timeout time.Duration) *Checker {
	if rangeURL == "" {
		return nil
	}
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return &Checker{base: rangeURL, client: &http.Client{
		Timeout: timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse // a redirect is an answer we do not follow
		},
	}}
}

func (c *Checker) url(prefix string) string {
	if strings.Contains(c.base, "{prefix}") {
		return strings.ReplaceAll(c.base, "{prefix}", prefix)
	}
	if !strings.HasSuffix(c.base, "/") {
		return c.base + "/" + prefix
	}
	return c.base + prefix
}

// Breached reports whether pw occurs in the corpus. Errors wrap
// ErrUnavailable. A nil c reports false, nil.
func (c *Checker) Breached(ctx context.Context, pw string) (bool, error) {
	if c == nil {
		return false, nil
	}
	sum := sha1.Sum([]byte(pw))
	full := strings.ToUpper(hex.EncodeToString(sum[:]))
	prefix, suffix := full[:5], full[5:]
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url(prefix), nil)
	if err != nil {
		return false, fmt.Errorf("%w: bad request", ErrUnavailable)
	}
	req.Header.Set("Add-Padding", "true") // responses of one size, whatever the prefix
	req.Header.Set("User-Agent", "Kluis")
	resp, err := c.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // without the URL, which holds the prefix
		}
		return false, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false, fmt.Errorf("%w: status %d", ErrUnavailable, resp.StatusCode)
	}
	found := false
	sc := bufio.NewScanner(io.LimitReader(resp.Body, maxBody))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		s, count, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		if strings.EqualFold(s, suffix) {
			n, err := strconv.Atoi(strings.TrimSpace(count))
			found = err == nil && n > 0 // padding entries have count 0
		}
	}
	if err := sc.Err(); err != nil {
		return false, fmt.Errorf("%w: reading the answer: %v", ErrUnavailable, err)
	}
	return found, nil
}
