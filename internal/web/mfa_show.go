package web

import (
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/mfa"
	"github.com/kluis/kluis/internal/store"
)

// The second factor on the web side (contract USR-2, ASVS 5.0 V6.4–6.6).
// A session opened with the password alone is MFA-verified only after the
// user proved their second factor in it. Until then:
//   - a user with a confirmed TOTP is "pending": only the second login step
//     (/{tenant}/login/mfa) and logout are open;
//   - an admin or DPO without TOTP must enrol (/{tenant}/account/mfa)
//     before anything else.

// mfaStepPath and mfaEnrolPath are the tenant's second login step and its
// enrolment page, with next (when set) for afterwards.
func mfaStepPath(slug, next string) string  { return withNext("/"+slug+"/login/mfa", next) }
func mfaEnrolPath(slug, next string) string { return withNext("/"+slug+"/account/mfa", next) }

func withNext(p, next string) string {
	if next == "" {
		return p
	}
	return p + "?next=" + url.QueryEscape(next)
}

// mfaGate returns where a signed-in session must go before it may use the
// tenant's pages, or "" when it may go on: to the second login step when
// its user has a second factor (a confirmed TOTP or a passkey) but the
// session is password-only, to enrolment when the user's role, or the
// tenant's policy ("MFA for everyone"), requires a second factor they do
// not have. next is passed along.
func (a *App) mfaGate(r *http.Request, u account.User, info store.SessionInfo, next string) (string, error) {
	if info.MFAVerified {
		return "", nil
	}
	t := tenantFrom(r.Context())
	has, err := a.opts.Store.HasSecondFactor(r.Context(), t.ID, u.ID)
	if err != nil {
		return "", err
	}
	if has {
		return mfaStepPath(t.Slug, next), nil
	}
	// Admins, DPOs and site editors always, users when the tenant's
	// policy says so.
	pol, err := a.tenantPolicy(r)
	if err != nil {
		return "", err
	}
	if u.NeedsMFA(pol.MFARequired) {
		return mfaEnrolPath(t.Slug, next), nil
	}
	return "", nil
}

// mfaStepForm is the second login step's page.
type mfaStepForm struct {
	TenantName string
	Slug       string
	Next       string
	TOTP       bool // the user has a TOTP app: ask for its code or a recovery code
	Passkey    bool // the user has a passkey and the site can use them: offer it (with script)
	Errors     fieldErrors
}

// stepForm is the second login step's page for u.
func (a *App) stepForm(r *http.Request, u account.User, next string) (mfaStepForm, error) {
	t := tenantFrom(r.Context())
	f := mfaStepForm{TenantName: t.LegalName, Slug: t.Slug, Next: next}
	var err error
	if f.TOTP, err = a.opts.Store.HasTOTP(r.Context(), t.ID, u.ID); err != nil {
		return f, err
	}
	if a.relyingParty(r) != nil {
		if f.Passkey, err = a.opts.Store.HasPasskey(r.Context(), t.ID, u.ID); err != nil {
			return f, err
		}
	}
	return f, nil
}

// mfaStepShow asks for the code of the user's authenticator app, or a
// recovery code, and offers the user's passkey. Without a session: to the
// login page. A session with nothing left to prove goes on to next.
func (a *App) mfaStepShow(w http.ResponseWriter, r *http.Request) {
	next := r.URL.Query().Get("next")
	u, ok := a.mfaStepSession(w, r, next)
	if !ok {
		return
	}
	f, err := a.stepForm(r, u, next)
	if err != nil {
		a.internalError(w, r, "second step", err)
		return
	}
	a.render(w, r, http.StatusOK, "mfa-step", f)
}

// mfaStepSession returns the user of a session pending its second factor;
// otherwise it answers the request (to login, enrolment or next) and ok is
// false.
func (a *App) mfaStepSession(w http.ResponseWriter, r *http.Request, next string) (u account.User, ok bool) {
	t := tenantFrom(r.Context())
	u, info, ok, err := a.currentUser(r)
	if err != nil {
		a.internalError(w, r, "session", err)
		return u, false
	}
	if !ok {
		a.toLogin(w, r)
		return u, false
	}
	to, err := a.mfaGate(r, u, info, next)
	if err != nil {
		a.internalError(w, r, "mfa gate", err)
		return u, false
	}
	if to == mfaStepPath(t.Slug, next) {
		return u, true
	}
	if to == "" {
		to = localNext(t.Slug, next)
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return u, false
}

// mfaStepCreate checks a TOTP code (field "code") or a recovery code
// (field "recovery_code"). Every failure — wrong, used, locked — gives the
// same message and 422. On success the session becomes MFA-verified and
// the browser goes to next.
func (a *App) mfaStepCreate(w http.ResponseWriter, r *http.Request) {
	if !a.parseForm(w, r) {
		return
	}
	t := tenantFrom(r.Context())
	next := r.PostForm.Get("next")
	if next == "" {
		next = r.URL.Query().Get("next")
	}
	u, ok := a.mfaStepSession(w, r, next)
	if !ok {
		return
	}
	reqID := RequestIDFrom(r.Context())
	var err error
	field := "code"
	if rc := strings.TrimSpace(r.PostForm.Get("recovery_code")); rc != "" {
		field = "recovery_code"
		err = a.opts.Store.UseRecoveryCode(r.Context(), t.ID, u.ID, rc, reqID)
	} else {
		err = a.opts.Store.VerifyTOTP(r.Context(), t.ID, u.ID, r.PostForm.Get("code"), reqID)
	}
	if errors.Is(err, store.ErrMFAFailed) {
		f, ferr := a.stepForm(r, u, next)
		if ferr != nil {
			a.internalError(w, r, "second step", ferr)
			return
		}
		f.Errors = []fieldError{{field, a.t(r, "mfa.error.failed")}}
		a.render(w, r, http.StatusUnprocessableEntity, "mfa-step", f)
		return
	}
	if err != nil {
		a.internalError(w, r, "verify second factor", err)
		return
	}
	tok, err := a.opts.Store.MarkSessionMFA(r.Context(), t.ID, sessionToken(r))
	if errors.Is(err, store.ErrSessionInvalid) {
		a.toLogin(w, r)
		return
	}
	if err != nil {
		a.internalError(w, r, "mark session MFA", err)
		return
	}
	setSessionCookie(w, tok)
	http.Redirect(w, r, localNext(t.Slug, next), http.StatusSeeOther)
}

// mfaEnrolPage is the enrolment page: the QR code and the secret to type,
// and the field for the first code; or, once enrolled, the recovery codes.
type mfaEnrolPage struct {
	TenantName string
	Slug       string
	Next       string
	Continue   string       // where to go on from here
	QR         template.URL // data:image/svg+xml URI made by mfa.QRDataURI
	Secret     string       // base32, in groups of 4
	Retry      bool         // a wrong code: the QR code is not shown again
	Enrolled   bool         // the user has a TOTP app already
	Codes      []string     // the recovery codes, shown once
	Errors     fieldErrors

	PasskeysOn    bool            // the site can use passkeys (a usable base URL)
	Passkeys      []store.Passkey // the user's passkeys
	PasskeyNotice string          // catalogue key of what just happened ("added", "removed")
}

// addPasskeys fills in the page's passkey part for u.
func (a *App) addPasskeys(r *http.Request, u account.User, page *mfaEnrolPage) error {
	if a.relyingParty(r) == nil {
		return nil
	}
	page.PasskeysOn = true
	list, err := a.opts.Store.Passkeys(r.Context(), tenantFrom(r.Context()).ID, u.ID)
	for i := range list {
		if list[i].Unreadable { // its name does not open: say so, keep it removable
			list[i].Name = a.t(r, "robust.unreadable")
		}
	}
	page.Passkeys = list
	return err
}

// groupsOf4 splits s into groups of 4 characters separated by spaces.
func groupsOf4(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i += 4 {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s[i:min(i+4, len(s))])
	}
	return b.String()
}

// mfaEnrolSession returns the user of a session that may enrol: any valid
// session of the tenant that is not pending its second factor.
func (a *App) mfaEnrolSession(w http.ResponseWriter, r *http.Request, next string) (u account.User, info store.SessionInfo, ok bool) {
	t := tenantFrom(r.Context())
	u, info, ok, err := a.currentUser(r)
	if err != nil {
		a.internalError(w, r, "session", err)
		return u, info, false
	}
	if !ok {
		a.toLogin(w, r)
		return u, info, false
	}
	to, err := a.mfaGate(r, u, info, next)
	if err != nil {
		a.internalError(w, r, "mfa gate", err)
		return u, info, false
	}
	if to == mfaStepPath(t.Slug, next) {
		http.Redirect(w, r, to, http.StatusSeeOther)
		return u, info, false
	}
	return u, info, true
}

// mfaEnrolShow starts an enrolment: a new secret (replacing one not yet
// confirmed), shown as a QR code and as text. A user who has a second
// factor already is told so.
func (a *App) mfaEnrolShow(w http.ResponseWriter, r *http.Request) {
	next := r.URL.Query().Get("next")
	u, info, ok := a.mfaEnrolSession(w, r, next)
	if !ok {
		return
	}
	// A member who may use the back office already (second factor passed,
	// or not required) manages their factors inside it; one who must
	// enrol first sees the page on its own.
	if to, err := a.mfaGate(r, u, info, ""); err == nil && to == "" {
		r = withStaff(r, u)
	}
	notice := ""
	switch r.URL.Query().Get("passkey") {
	case "added":
		notice = "passkey.added"
	case "removed":
		notice = "passkey.removed"
	}
	a.renderMFAPage(w, r, u, next, http.StatusOK, notice, "")
}

// renderMFAPage renders the account's second-factor page: TOTP (begun
// here when the user has none) and passkeys, with a notice or an error on
// the passkeys (catalogue keys, or "").
func (a *App) renderMFAPage(w http.ResponseWriter, r *http.Request, u account.User, next string, status int, notice, errKey string) {
	t := tenantFrom(r.Context())
	page := mfaEnrolPage{TenantName: t.LegalName, Slug: t.Slug, Next: next, Continue: localNext(t.Slug, next), PasskeyNotice: notice}
	if errKey != "" {
		page.Errors = []fieldError{{"passkeys", a.t(r, errKey)}}
	}
	if err := a.addPasskeys(r, u, &page); err != nil {
		a.internalError(w, r, "passkeys", err)
		return
	}
	has, err := a.opts.Store.HasTOTP(r.Context(), t.ID, u.ID)
	if err != nil {
		a.internalError(w, r, "has TOTP", err)
		return
	}
	if has {
		page.Enrolled = true
		a.render(w, r, status, "mfa-enrol", page)
		return
	}
	secret, err := a.opts.Store.BeginTOTP(r.Context(), userActor(u, RequestIDFrom(r.Context())), t.ID, u.ID)
	if err != nil {
		a.internalError(w, r, "begin TOTP", err)
		return
	}
	qr, err := mfa.QRDataURI(mfa.ProvisioningURI("Kluis "+t.LegalName, u.Email, secret))
	if err != nil {
		a.internalError(w, r, "QR code", err)
		return
	}
	// The URI is ours, base64 of an SVG we drew: safe as an image source.
	page.QR = template.URL(qr)
	page.Secret = groupsOf4(mfa.Base32(secret))
	a.render(w, r, status, "mfa-enrol", page)
}

// mfaEnrolCreate confirms the enrolment with a code from the app. The
// session becomes MFA-verified and the recovery codes are shown, once.
func (a *App) mfaEnrolCreate(w http.ResponseWriter, r *http.Request) {
	if !a.parseForm(w, r) {
		return
	}
	t := tenantFrom(r.Context())
	next := r.PostForm.Get("next")
	u, _, ok := a.mfaEnrolSession(w, r, next)
	if !ok {
		return
	}
	page := mfaEnrolPage{TenantName: t.LegalName, Slug: t.Slug, Next: next, Continue: localNext(t.Slug, next)}
	codes, err := a.opts.Store.ConfirmTOTP(r.Context(), userActor(u, RequestIDFrom(r.Context())), t.ID, u.ID, r.PostForm.Get("code"))
	switch {
	case errors.Is(err, store.ErrMFAFailed):
		page.Retry = true
		page.Errors = []fieldError{{"code", a.t(r, "mfa.enrol.error.code")}}
		if err := a.addPasskeys(r, u, &page); err != nil {
			a.internalError(w, r, "passkeys", err)
			return
		}
		a.render(w, r, http.StatusUnprocessableEntity, "mfa-enrol", page)
		return
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrConflict):
		// No enrolment begun, or confirmed already: start from the page.
		http.Redirect(w, r, mfaEnrolPath(t.Slug, next), http.StatusSeeOther)
		return
	case err != nil:
		a.internalError(w, r, "confirm TOTP", err)
		return
	}
	tok, err := a.opts.Store.MarkSessionMFA(r.Context(), t.ID, sessionToken(r))
	if err != nil {
		a.internalError(w, r, "mark session MFA", err)
		return
	}
	setSessionCookie(w, tok)
	page.Codes = codes
	a.render(w, r, http.StatusOK, "mfa-codes", page)
}
