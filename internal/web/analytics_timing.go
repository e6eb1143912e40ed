package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/analytics"
)

// Time to complete a form, without any visitor identifier: the form page
// carries when it was first shown in a hidden input, bound by a MAC to the
// page's token and the form, and at submission the elapsed time goes into
// a bucket of a per form × day histogram (analytics.Duration). The start
// time is never stored, nor the duration of one submission; the hidden
// input goes back only to the server that wrote it and is no cookie and no
// device access (consent-free analytics).
//
// The MAC key is made when the process starts and lives in memory only: a
// form started before a restart is not timed, which costs one measurement
// and keeps a key out of the configuration.

// startedField is the hidden input with the form's start.
const startedField = "started"

// maxTimed bounds a time worth counting: a form left open for days says
// nothing about how long it takes.
const maxTimed = 24 * time.Hour

// newTimingKey makes the in-memory MAC key of form start times.
func newTimingKey() []byte {
	k := make([]byte, 32)
	rand.Read(k)
	return k
}

func (a *App) startedMAC(formKey, token, unix string) string {
	m := hmac.New(sha256.New, a.timingKey)
	m.Write([]byte("kluis form start\x00" + formKey + "\x00" + token + "\x00" + unix))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
}

// formStarted is the hidden value of a form page: the start posted with
// it when it is genuine, else (a first view) now.
func (a *App) formStarted(r *http.Request, formKey, token string) string {
	if r.Method == http.MethodPost {
		if _, ok := a.startedAt(r, formKey, token); ok {
			return r.PostForm.Get(startedField)
		}
		return "" // forged, from before a restart, or absent: not timed
	}
	if token == a.publicPages.marker {
		// A page for the render cache: the start is written per view,
		// with the view's own token (pagecache.go).
		return token + startedSuffix
	}
	unix := strconv.FormatInt(a.opts.Store.Now().Unix(), 10)
	return unix + "." + a.startedMAC(formKey, token, unix)
}

// startedAt reads a posted start, true only when its MAC holds.
func (a *App) startedAt(r *http.Request, formKey, token string) (time.Time, bool) {
	unix, mac, ok := strings.Cut(r.PostForm.Get(startedField), ".")
	if !ok || !hmac.Equal([]byte(mac), []byte(a.startedMAC(formKey, token, unix))) {
		return time.Time{}, false
	}
	sec, err := strconv.ParseInt(unix, 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.Unix(sec, 0), true
}

// countDuration adds a submitted form's time to complete to its bucket,
// when its start is genuine and the time plausible.
func (a *App) countDuration(r *http.Request, formKey, token string) {
	if a.opts.Analytics == nil || analytics.Classify(r.UserAgent()).Bot {
		return
	}
	start, ok := a.startedAt(r, formKey, token)
	if !ok {
		return
	}
	d := a.opts.Store.Now().Sub(start)
	if d < 0 || d > maxTimed {
		return
	}
	a.opts.Analytics.CountDuration(analytics.Duration{TenantID: tenantFrom(r.Context()).ID, Day: a.analyticsDay(),
		FormKey: formKey, Bucket: analytics.DurationBucket(d)})
}
