package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"regexp"
	"runtime/debug"
	"time"

	"github.com/kluis/kluis/internal/locale"
)

// recoverPanics is the outermost middleware. It creates the request state
// and turns a panic into a logged error and the localized 500 page, which
// shows the request id and nothing of the panic.
func (a *App) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := &requestState{}
		r = r.WithContext(context.WithValue(r.Context(), stateKey{}, st))
		sw := &stateWriter{ResponseWriter: w, st: st}
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v) // a deliberate abort, handled by net/http
			}
			a.log.LogAttrs(r.Context(), slog.LevelError, "panic serving request",
				slog.String("request_id", st.id),
				slog.String("method", r.Method),
				slog.String("pattern", st.pattern),
				slog.String("panic", fmt.Sprint(v)),
				slog.String("stack", string(debug.Stack())))
			if st.status != 0 {
				// Part of a response has gone out: abort the connection so
				// the client cannot mistake it for a complete one.
				panic(http.ErrAbortHandler)
			}
			// Drop what the handler may have set for its own response.
			for _, k := range []string{"Content-Disposition", "Content-Encoding", "Content-Length",
				"Content-Range", "Content-Type", "ETag", "Last-Modified", "Location"} {
				sw.Header().Del(k)
			}
			a.error(sw, r, http.StatusInternalServerError)
		}()
		next.ServeHTTP(sw, r)
	})
}

// requestIDPattern is what an incoming X-Request-Id must look like to be
// reused (from a proxy that already assigned one); anything else is
// replaced, so ids are safe to log and show.
var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9-]{8,64}$`)

// requestID gives each request an id: the incoming X-Request-Id when it is
// well-formed, else 16 random bytes in hex. The id goes into the context,
// the X-Request-Id response header and every log line about the request.
func (a *App) requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if !requestIDPattern.MatchString(id) {
			id = newRequestID()
		}
		if st := stateFrom(r.Context()); st != nil {
			st.id = id
		}
		w.Header().Set("X-Request-Id", id)
		next.ServeHTTP(w, r)
	})
}

func newRequestID() string {
	var b [16]byte
	rand.Read(b[:]) // never returns an error; it crashes the program instead
	return hex.EncodeToString(b[:])
}

// accessLog writes one line per request: method, route pattern (never the
// raw path or query, which may hold personal data), status, duration and
// request id.
func (a *App) accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		st := stateFrom(r.Context())
		if st == nil {
			st = &requestState{}
		}
		completed := false
		defer func() {
			status := st.status
			switch {
			case status == 0 && !completed:
				status = http.StatusInternalServerError // panicking; recoverPanics answers 500
			case status == 0:
				status = http.StatusOK // the handler wrote nothing
			}
			pattern := st.pattern
			if pattern == "" {
				pattern = "-"
			}
			elapsed := time.Since(start)
			a.log.LogAttrs(r.Context(), slog.LevelInfo, "http request",
				slog.String("method", r.Method),
				slog.String("pattern", pattern),
				slog.Int("status", status),
				slog.Duration("duration", elapsed),
				slog.String("request_id", st.id))
			if a.opts.Observe != nil {
				a.opts.Observe(pattern, status, elapsed)
			}
		}()
		next.ServeHTTP(w, r)
		completed = true
	})
}

// contentSecurityPolicy allows only our own scripts, styles, images and
// fonts: no inline script or style anywhere, no plugins, no framing, forms
// post only to us. object-src 'none' repeats what default-src 'none'
// already implies, because ASVS 3.4.3 asks for it by name and a later
// default-src change must not let plugins in.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data:; font-src 'self'; connect-src 'self'; form-action 'self'; " +
	"object-src 'none'; frame-ancestors 'none'; base-uri 'none'"

// sandboxedFilePolicy replaces contentSecurityPolicy on a file someone
// uploaded (an attachment, a site image): it may run nothing, load
// nothing and be framed by nobody, even when opened on its own (ASVS 3.2.1,
// 3.4.6).
const sandboxedFilePolicy = "default-src 'none'; frame-ancestors 'none'; sandbox"

// securityHeaders sets the security headers on every response, error pages
// and static files included. Responses are not cacheable unless a handler
// says otherwise (static files do), so pages with personal data never land
// in a cache.
func (a *App) securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
		if a.opts.TLS {
			h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
		}
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// limitBody caps the request body at Options.BodyLimit (a multipart body
// at Options.UploadLimit). A body declared too
// large is refused at once; one that turns out too large fails to read with
// *http.MaxBytesError, which handlers turn into 413 with bodyError.
func (a *App) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		limit := a.opts.BodyLimit
		if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "multipart/form-data" {
			// Forms with attachments; the form's handler caps its own posts.
			limit = a.opts.UploadLimit
		}
		if r.ContentLength > limit {
			w.Header().Set("Connection", "close")
			a.error(w, r, http.StatusRequestEntityTooLarge)
			return
		}
		if r.Body != nil && r.Body != http.NoBody {
			r = r.WithContext(r.Context()) // shallow copy: do not modify the caller's request
			r.Body = http.MaxBytesReader(w, r.Body, limit)
		}
		next.ServeHTTP(w, r)
	})
}

// crossOriginProtection refuses state-changing requests (anything but GET,
// HEAD and OPTIONS) that a browser marks as coming from another origin,
// through Sec-Fetch-Site or a mismatching Origin. That is Kluis's CSRF
// defence: no tokens needed.
func (a *App) crossOriginProtection(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.log.LogAttrs(r.Context(), slog.LevelWarn, "cross-origin request refused",
			slog.String("method", r.Method),
			slog.String("request_id", RequestIDFrom(r.Context())))
		a.error(w, r, http.StatusForbidden)
	}))
	return cop.Handler(next)
}

// langCookie names the cookie that remembers the language choice; it is
// strictly necessary, so needs no consent. Over HTTPS it carries the
// __Host- prefix (ASVS 3.3.3), which browsers accept only on Secure cookies
// without a Domain, so plain HTTP (development) uses the bare name.
func (a *App) langCookie() string {
	if a.opts.TLS {
		return "__Host-lang"
	}
	return "lang"
}

// negotiateLang puts the request's language in the context (see LangFrom).
// An explicit ?lang= choice is remembered in a cookie for a year.
func (a *App) negotiateLang(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l := a.negotiate(r)
		if _, ok := locale.Parse(r.URL.Query().Get("lang")); ok {
			http.SetCookie(w, &http.Cookie{
				Name:     a.langCookie(),
				Value:    string(l),
				Path:     "/",
				MaxAge:   365 * 24 * 60 * 60,
				HttpOnly: true,
				Secure:   a.opts.TLS,
				SameSite: http.SameSiteLaxMode,
			})
		}
		if st := stateFrom(r.Context()); st != nil {
			st.lang = l
		}
		next.ServeHTTP(w, r)
	})
}

// negotiate chooses the language of r: query, cookie, Accept-Language,
// Dutch.
func (a *App) negotiate(r *http.Request) locale.Lang {
	var cookie string
	if c, err := r.Cookie(a.langCookie()); err == nil {
		cookie = c.Value
	}
	return locale.Negotiate(r.URL.Query().Get("lang"), cookie, r.Header.Get("Accept-Language"), locale.NL)
}
