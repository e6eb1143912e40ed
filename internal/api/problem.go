package api

import (
	"encoding/json"
	"errors"
	"github.com/kluis/kluis/internal/audit"
	"log/slog"
	"net/http"
	"strings"

	"github.com/kluis/kluis/internal/locale"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/tenant"
)

// Problem is an error response, RFC 9457 application/problem+json. Type
// names the kind (urn:kluis:problem:<code>); Title and Detail are in the
// language of Accept-Language (Dutch by default); Errors lists the fields
// of a refused request.
type Problem struct {
	Type      string       `json:"type"`
	Title     string       `json:"title"`
	Status    int          `json:"status"`
	Detail    string       `json:"detail"`
	RequestID string       `json:"request_id,omitempty"`
	Errors    []FieldError `json:"errors,omitempty"`
}

// FieldError is one refused field (a query parameter or a body member).
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// problemTypePrefix starts every problem type.
const problemTypePrefix = "urn:kluis:problem:"

// lang is the request's language: Accept-Language, else Dutch.
func lang(r *http.Request) locale.Lang {
	return locale.Negotiate("", "", r.Header.Get("Accept-Language"), locale.NL)
}

// problem writes the problem of code (api.problem.<code>.title and .detail
// in the catalogues) with status. This is the API's one mapping point from
// a failure to a response.
func (a *API) problem(w http.ResponseWriter, r *http.Request, status int, code string, errs []FieldError) {
	l := lang(r)
	p := Problem{Type: problemTypePrefix + code, Title: locale.T(l, "api.problem."+code+".title"),
		Status: status, Detail: locale.T(l, "api.problem."+code+".detail"), RequestID: requestIDFrom(r), Errors: errs}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="kluis"`)
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Content-Language", string(l))
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(p)
}

// fieldError is a FieldError with the message of key in the request's language.
func fieldError(r *http.Request, field, key string) FieldError {
	return FieldError{Field: field, Message: locale.T(lang(r), key)}
}

// internalError logs err with the request id (never personal data: store
// errors carry ids only) and answers 500, or 503 with a Retry-After when
// the database is out of reach (store.Unavailable): nothing was changed and
// the call may be made again.
func (a *API) internalError(w http.ResponseWriter, r *http.Request, what string, err error) {
	a.log.ErrorContext(r.Context(), what, "request_id", requestIDFrom(r), "error", err.Error())
	if store.Unavailable(err) {
		w.Header().Set("Retry-After", "30")
		a.problem(w, r, http.StatusServiceUnavailable, "unavailable", nil)
		return
	}
	a.problem(w, r, http.StatusInternalServerError, "internal", nil)
}

// storeError maps a store error of a submission read or change.
func (a *API) storeError(w http.ResponseWriter, r *http.Request, what string, err error) {
	var ce *store.ChangeError
	switch {
	case errors.Is(err, store.ErrNotFound):
		a.problem(w, r, http.StatusNotFound, "not_found", nil)
	case errors.Is(err, store.ErrUnreadable):
		// Audited and alerted by the store; nothing about it is shown.
		a.problem(w, r, http.StatusConflict, "unreadable", nil)
	case errors.Is(err, store.ErrRestricted):
		// Art. 18 GDPR: the person restricted processing; refused and
		// recorded by the store (DSR-1).
		a.problem(w, r, http.StatusConflict, "restricted", nil)
	case errors.Is(err, store.ErrBadCursor):
		a.problem(w, r, http.StatusBadRequest, "bad_request", []FieldError{fieldError(r, "cursor", "api.error.cursor")})
	case errors.As(err, &ce):
		a.problem(w, r, http.StatusUnprocessableEntity, "unprocessable", []FieldError{fieldError(r, ce.Field, "inbox.error."+ce.Key)})
	default:
		a.internalError(w, r, what, err)
	}
}

// keyed is a handler for a request authenticated by an API key of the
// path's tenant.
type keyed func(w http.ResponseWriter, r *http.Request, t tenant.Tenant, k store.APIKey)

// withKey authenticates the bearer token and checks it is a key of the
// path's tenant holding scope. Answers: 401 (with WWW-Authenticate) for a
// missing, malformed, unknown, revoked or expired key; 404 for a key of
// another tenant, an unknown tenant or a suspended one — as for an unknown
// tenant, so the key learns nothing of other tenants; 403 for a missing
// scope; 429 past the key's rate.
func (a *API) withKey(scope string, h keyed) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		scheme, token, ok := strings.Cut(auth, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
			a.problem(w, r, http.StatusUnauthorized, "unauthorized", nil)
			return
		}
		k, err := a.opts.Store.AuthenticateAPIKey(r.Context(), strings.TrimSpace(token))
		if errors.Is(err, store.ErrAPIKeyInvalid) {
			a.log.LogAttrs(r.Context(), slog.LevelWarn, "API key refused", slog.String("request_id", requestIDFrom(r)),
				slog.String("reason", err.Error()))
			// A key the tenant issued, refused (revoked, expired, a wrong
			// secret): the tenant sees it in its audit log — at most once a
			// minute per key, so that a caller cannot flood the log.
			if k.ID != "" && a.refusals.Allow(k.ID) {
				if err := a.opts.Store.Audit(r.Context(), audit.Event{TenantID: k.TenantID,
					Actor:  audit.Actor{Kind: audit.KindAPIKey, ID: k.ID, RequestID: requestIDFrom(r)},
					Action: "api_key.refused", ObjectType: "api_key", ObjectID: k.ID, Outcome: audit.OutcomeDenied,
					Purpose: strings.TrimPrefix(err.Error(), store.ErrAPIKeyInvalid.Error()+": ")}); err != nil {
					a.internalError(w, r, "audit refused API key", err)
					return
				}
			}
			a.problem(w, r, http.StatusUnauthorized, "unauthorized", nil)
			return
		} else if err != nil {
			a.internalError(w, r, "authenticate API key", err)
			return
		}
		if st := stateFrom(r); st != nil {
			st.keyID = k.ID
		}
		t, err := a.opts.Store.TenantBySlug(r.Context(), r.PathValue("tenant"))
		if errors.Is(err, store.ErrNotFound) || (err == nil && (t.ID != k.TenantID || t.Status != tenant.StatusActive)) {
			a.problem(w, r, http.StatusNotFound, "not_found", nil)
			return
		} else if err != nil {
			a.internalError(w, r, "tenant", err)
			return
		}
		if !a.limiter.Allow(k.ID) {
			w.Header().Set("Retry-After", "60")
			a.problem(w, r, http.StatusTooManyRequests, "rate_limited", nil)
			return
		}
		if !k.Has(scope) {
			a.problem(w, r, http.StatusForbidden, "forbidden", []FieldError{{Field: "scope", Message: scope}})
			return
		}
		h(w, r, t, k)
	}
}
