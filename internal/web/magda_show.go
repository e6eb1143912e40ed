package web

import (
	"crypto/x509"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/magda"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/tenant"
)

// Beheer › Koppelingen › Rijksregister (MAGDA): the tenant's connection to
// the national register (LOC-2). Whoever reads the settings sees it (the
// certificate's subject, issuer and expiry, endpoint, consumer, capacity);
// admins set and remove it behind a fresh proof of their credentials,
// because the private key is the organisation's identity at MAGDA. The key
// is never shown again: left empty, the stored one is kept.

// magdaPath is where the page lives, for the step-up to come back to.
func magdaPath(r *http.Request) string {
	return "/" + tenantFrom(r.Context()).Slug + "/admin/magda"
}

// magdaExpiryWarning is how long before its end the certificate's expiry
// is announced on the page.
const magdaExpiryWarning = 30 * 24 * time.Hour

// magdaFields are the form's fields in the order the page and the error
// summary show them (ids and names of the inputs).
var magdaFields = []string{"endpoint", "consumer", "capacity", "authorisation", "timeout", "client_cert", "client_key", "server_ca", "response_cert"}

// magdaCertInfo is what the page says about a certificate.
type magdaCertInfo struct {
	Subject, Issuer string
	NotAfter        time.Time
	DaysLeft        int
	Expired, Soon   bool
}

// magdaField is one input of the form as the template draws it.
type magdaField struct {
	ID, Label, Hint, Value, Error string
	Area                          bool   // a textarea (PEM text)
	InputMode                     string // for a short input: numeric, url
}

type magdaPage struct {
	Slug, TenantName string
	CanManage        bool
	Configured       bool
	Conn             store.MagdaConnection
	ConsumerShown    string
	TimeoutSeconds   int
	Cert             *magdaCertInfo
	Form             map[string]string
	Fields           []magdaField // the form, built from Form and Errors
	HasKey           bool
	Errors           fieldErrors
	Done             string
}

func certInfo(c *x509.Certificate, now time.Time) *magdaCertInfo {
	left := c.NotAfter.Sub(now)
	return &magdaCertInfo{Subject: c.Subject.String(), Issuer: c.Issuer.String(), NotAfter: c.NotAfter,
		DaysLeft: int(left.Hours() / 24), Expired: left <= 0, Soon: left > 0 && left < magdaExpiryWarning}
}

// magdaShow shows the connection and, to admins, the form to set it.
func (a *App) magdaShow(w http.ResponseWriter, r *http.Request, me account.User) {
	p := magdaPage{}
	switch r.URL.Query().Get("done") {
	case "set":
		p.Done = "magdaui.done.set"
	case "removed":
		p.Done = "magdaui.done.removed"
	}
	a.renderMagda(w, r, me, http.StatusOK, p)
}

// renderMagda fills what the store holds into p and renders it; a form
// already in p (a refused submission) is kept.
func (a *App) renderMagda(w http.ResponseWriter, r *http.Request, me account.User, status int, p magdaPage) {
	t := tenantFrom(r.Context())
	c, err := a.opts.Store.MagdaConnection(r.Context(), t.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		a.internalError(w, r, "MAGDA connection", err)
		return
	default:
		p.Configured, p.Conn, p.HasKey = true, c, c.ClientKeyPEM != ""
		p.ConsumerShown = tenant.FormatKBO(c.ConsumerID)
		p.TimeoutSeconds = int(c.Timeout / time.Second)
		if cert, err := c.ClientCertificate(); err == nil {
			p.Cert = certInfo(cert, a.opts.Store.Now())
		}
	}
	if p.Form == nil {
		p.Form = map[string]string{"consumer": tenant.FormatKBO(t.EnterpriseNumber), "timeout": "10"}
		if p.Configured {
			p.Form = map[string]string{"endpoint": c.Endpoint, "consumer": p.ConsumerShown, "capacity": c.Capacity,
				"authorisation": c.AuthorisationRef, "timeout": strconv.Itoa(max(1, p.TimeoutSeconds)),
				"client_cert": c.ClientCertPEM, "server_ca": c.ServerCAPEM, "response_cert": c.ResponseCertPEM}
		}
	}
	for _, f := range magdaFields {
		fv := magdaField{ID: f, Label: a.t(r, "magdaui.field."+f), Hint: a.t(r, "magdaui.hint."+f), Value: p.Form[f],
			Error: p.Errors.For(f), Area: strings.HasSuffix(f, "_cert") || f == "client_key" || f == "server_ca"}
		switch f {
		case "timeout":
			fv.InputMode = "numeric"
		case "endpoint":
			fv.InputMode = "url"
		}
		if f == "client_key" && p.HasKey {
			fv.Hint = a.t(r, "magdaui.hint.client_key_kept")
		}
		p.Fields = append(p.Fields, fv)
	}
	p.Slug, p.TenantName, p.CanManage = t.Slug, t.LegalName, account.Can(me.Role, account.EditSettings)
	a.render(w, r, status, "magda", p)
}

// magdaUpdate checks the form field by field and stores the connection.
func (a *App) magdaUpdate(w http.ResponseWriter, r *http.Request, me account.User) {
	if !a.parseForm(w, r) {
		return
	}
	t := tenantFrom(r.Context())
	p := magdaPage{Form: map[string]string{}}
	for _, f := range magdaFields {
		p.Form[f] = r.PostForm.Get(f)
	}
	p.Form["client_key"] = "" // never written back into a page
	s := magda.Settings{Endpoint: r.PostForm.Get("endpoint"), ConsumerID: r.PostForm.Get("consumer"),
		Capacity: r.PostForm.Get("capacity"), AuthorisationRef: r.PostForm.Get("authorisation"),
		ClientCertPEM: r.PostForm.Get("client_cert"), ClientKeyPEM: r.PostForm.Get("client_key"),
		ServerCAPEM: r.PostForm.Get("server_ca"), ResponseCertPEM: r.PostForm.Get("response_cert")}
	// The timeout in whole seconds, 1 to 60.
	secs, err := strconv.Atoi(strings.TrimSpace(p.Form["timeout"]))
	if err != nil || secs < 1 || secs > int(magda.MaxTimeout/time.Second) {
		secs = -1
	}
	s.Timeout = time.Duration(secs) * time.Second
	// An empty key keeps the stored one (it is never shown again).
	if strings.TrimSpace(s.ClientKeyPEM) == "" {
		if old, err := a.opts.Store.MagdaConnection(r.Context(), t.ID); err == nil {
			s.ClientKeyPEM = old.ClientKeyPEM
		} else if !errors.Is(err, store.ErrNotFound) {
			a.internalError(w, r, "MAGDA connection", err)
			return
		}
	}
	err = a.opts.Store.SetMagdaConnection(r.Context(), userActor(me, RequestIDFrom(r.Context())), t.ID, s)
	var se *magda.SettingsError
	switch {
	case errors.As(err, &se):
		for _, f := range magdaFields {
			if reason, bad := se.Fields[f]; bad {
				p.Errors = append(p.Errors, fieldError{f, a.t(r, "magdaui.error."+f+"."+reason)})
			}
		}
		a.renderMagda(w, r, me, http.StatusUnprocessableEntity, p)
	case err != nil:
		a.internalError(w, r, "set MAGDA connection", err)
	default:
		http.Redirect(w, r, magdaPath(r)+"?done=set", http.StatusSeeOther)
	}
}

// magdaRemove removes the connection: no call can be made afterwards.
func (a *App) magdaRemove(w http.ResponseWriter, r *http.Request, me account.User) {
	if !a.parseForm(w, r) {
		return
	}
	t := tenantFrom(r.Context())
	err := a.opts.Store.RemoveMagdaConnection(r.Context(), userActor(me, RequestIDFrom(r.Context())), t.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		a.notFound(w, r)
	case err != nil:
		a.internalError(w, r, "remove MAGDA connection", err)
	default:
		http.Redirect(w, r, magdaPath(r)+"?done=removed", http.StatusSeeOther)
	}
}
