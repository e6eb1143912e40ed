package web

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"github.com/kluis/kluis/internal/analytics"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/form"
	"github.com/kluis/kluis/internal/locale"
	"github.com/kluis/kluis/internal/register"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/tenant"
)

// The public e-loket (issue 4, item 5): a published form at /{tenant}/{form},
// server-rendered and usable without JavaScript, in the citizen's language;
// the art. 13 notice the tenant approved is shown before the submit button.
// A post is checked field by field (what was typed is kept), attachments
// are sniffed and scanned, and the submission is sealed and audited in one
// transaction; the browser then gets a short-lived receipt capability in a
// cookie (never in the URL) and is sent to the receipt page.

// receiptCookie holds the capability of the citizen's last submission.
const receiptCookie = "__Host-kluis_receipt"

// honeypotField is an input people never see or fill; bots do.
const honeypotField = "website"

// formPage is a public form as rendered.
type formPage struct {
	Tenant      tenant.Tenant
	Key         string
	Title       loc
	Intro       loc
	Pages       []formPageSection
	Token       string
	Started     string // the form's start, signed (analytics_timing.go); "" untimed
	Multipart   bool
	ConfirmMail bool // the form offers a confirmation by e-mail
	MailChecked bool
	Errors      fieldErrors
	Notice      noticeView
	FileAgain   bool // files must be chosen again after an error
	// OnlyIn: the form is not offered in the page's language and is shown
	// in Dutch (form.Offered), which the page says.
	OnlyIn bool
	// A form in steps (eloket_steps.go): the page shown, the indicator,
	// the other pages' values, the draft of kept attachments; on the
	// review page the answers read back.
	Stepped   bool
	Step      int // 1-based, for people
	StepIndex int // 0-based, posted back (len(Pages): the review)
	StepCount int // pages; the review is not counted
	StepTitle loc
	Steps     []stepItem
	Review    bool
	Groups    []reviewGroup
	Hidden    []hiddenInput
	Draft     string
	FileKeys  string
	Short     noticeShort
	// Prefill from the national register (prefill.go): the offer to sign
	// in, why it failed, what was prefilled, the prefilled fields (key →
	// day) and their MACs.
	PrefillOffer  []oidcButton
	PrefillFailed string
	Prefilled     *prefillNotice
	PrefillMarks  map[string]string
	PrefillHidden []hiddenInput
	// Action is where the form posts when the page is not at the form's
	// own address (the prefill callback, prefill.go); "" for here.
	Action string
}

type formPageSection struct {
	Title  loc
	Fields []formFieldView
}

// formFieldView is one field with what was typed and its error.
type formFieldView struct {
	Key, Type, Input string
	Label, Help      loc
	Required         bool
	Value            string
	Checked          map[string]bool // choices ticked
	Options          []formOptionView
	Parts            []formAddressPart // address inputs
	Error            string
	Accept           string
	Autocomplete     string
	InputMode        string
	MaxLength        int
	Kept             string // a form in steps: the attachment kept for it
	// FromRegister: the value is the national register's, prefilled;
	// ReadOnly: the citizen may not change it (prefill.go).
	FromRegister, ReadOnly bool
}

// fieldContext hands the "form-field" template its field and the page
// (for translations).
type fieldContext struct {
	Page  Page
	Field formFieldView
}

type formOptionView struct {
	Value string
	Label loc
}

type formAddressPart struct {
	Input, Name, Value, Error, Autocomplete, InputMode string
	Optional, ReadOnly                                 bool
}

// publishedForm resolves the form of the request's path, published; it
// answers 404 (the same page as any unknown path) when there is none.
func (a *App) publishedForm(w http.ResponseWriter, r *http.Request) (store.FormVersion, register.Register, bool) {
	t := tenantFrom(r.Context())
	key := r.PathValue("form")
	if a.refuseFrozen(w, r, t.ID) {
		return store.FormVersion{}, register.Register{}, false
	}
	fv, err := a.cachedPublished(r, t.ID, key)
	if errors.Is(err, store.ErrNotFound) {
		a.notFound(w, r)
		return fv, register.Register{}, false
	}
	if err != nil {
		a.internalError(w, r, "read form", err)
		return fv, register.Register{}, false
	}
	rv, err := a.opts.Store.RegisterAt(r.Context(), t.ID, fv.RegisterVersion)
	if err != nil {
		a.internalError(w, r, "read register", err)
		return fv, register.Register{}, false
	}
	return fv, rv.Register, true
}

// cachedPublished is the published version of a tenant's form, through the
// short-lived cache the e-loket reads it from. ErrNotFound when none.
func (a *App) cachedPublished(r *http.Request, tenantID, key string) (store.FormVersion, error) {
	return a.publishedForms.get(tenantID+"/"+key, func() (store.FormVersion, error) {
		return a.opts.Store.FormByStatus(r.Context(), tenantID, key, store.FormPublished)
	})
}

// formTitle names a form in the reader's language: its published title,
// or its key when it has none published.
func (a *App) formTitle(r *http.Request, tenantID, key string) string {
	if fv, err := a.cachedPublished(r, tenantID, key); err == nil {
		return fv.Form.Title.In(string(LangFrom(r.Context())))
	}
	return key
}

func newToken() string {
	var b [32]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// formShow renders a published form, empty. The empty form is the same
// for every citizen but its page token: it comes from the render cache
// (pagecache.go), keyed by the published version, with a fresh token per
// view.
func (a *App) formShow(w http.ResponseWriter, r *http.Request) {
	t := tenantFrom(r.Context())
	if a.refuseFrozen(w, r, t.ID) {
		return
	}
	fv, err := a.cachedPublished(r, t.ID, r.PathValue("form"))
	if errors.Is(err, store.ErrNotFound) {
		a.notFound(w, r)
		return
	}
	if err != nil {
		a.internalError(w, r, "read form", err)
		return
	}
	key := a.publicKey(r, "form", fv.Form.Key, strconv.Itoa(fv.Version), strconv.Itoa(fv.RegisterVersion))
	a.servePublicStamped(w, r, key, func(w http.ResponseWriter, r *http.Request) {
		reg, err := a.opts.Store.RegisterAt(r.Context(), t.ID, fv.RegisterVersion)
		if err != nil {
			a.internalError(w, r, "read register", err)
			return
		}
		a.renderForm(w, r, http.StatusOK, fv, reg.Register, url.Values{}, nil, a.publicPages.marker)
	}, func(token string) string { return a.formStarted(r, fv.Form.Key, token) })
	if r.Method == http.MethodGet {
		a.countForm(r, fv.Form.Key, analytics.EventStarted, 0, "")
	}
}

func (a *App) renderForm(w http.ResponseWriter, r *http.Request, status int, fv store.FormVersion, reg register.Register,
	typed url.Values, errs []form.FieldError, token string) {
	a.renderStep(w, r, status, fv, reg, typed, errs, token, stepState{Step: stepOf(fv.Form, typed)})
}

// renderStep renders a form: whole, or for a form in steps the page of st
// (or its review) with the other pages' values carried.
func (a *App) renderStep(w http.ResponseWriter, r *http.Request, status int, fv store.FormVersion, reg register.Register,
	typed url.Values, errs []form.FieldError, token string, st stepState) {
	t := tenantFrom(r.Context())
	lang := string(LangFrom(r.Context()))
	f := fv.Form
	// The summary names each field ("Postcode: …"): a list of bare
	// "Fill in this field" would not say which.
	labels := map[string]string{}
	for _, fl := range f.Fields() {
		labels[fl.Key] = fl.Label.In(lang)
		if fl.Type == form.TypeAddress {
			for _, part := range form.AddressParts {
				labels[fl.Key+"_"+part] = a.t(r, "form.address."+part)
			}
		}
	}
	// A typed value longer than its field allows is not shown back (a
	// refused 10 MB answer must not come back whole); the field's message
	// says so instead of the usual one (LOC-3).
	notEchoed := map[string]string{}
	for _, fl := range f.Fields() {
		inputs, limit := []string{fl.Key}, fl.EchoLimit()
		if fl.Type == form.TypeAddress {
			inputs = inputs[:0]
			for _, part := range form.AddressParts {
				inputs = append(inputs, fl.Key+"_"+part)
			}
			limit = form.DefaultTextLength
		}
		for _, in := range inputs {
			if v := typed.Get(in); len(v) > limit && utf8.RuneCountInString(v) > limit {
				notEchoed[in] = a.t(r, "robust.too_long", limit)
				typed.Del(in)
			}
		}
	}
	if status == http.StatusUnprocessableEntity {
		a.countFormErrors(r, f, errs)
	}
	errOf := map[string]string{}
	var summary fieldErrors
	for _, e := range errs {
		msg := a.t(r, "form.error."+e.Key, e.Args...)
		if m, ok := notEchoed[e.Input]; ok {
			msg = m
		}
		if _, seen := errOf[e.Input]; !seen {
			errOf[e.Input] = msg
			summary = append(summary, fieldError{Field: e.Input, Message: labels[e.Input] + ": " + msg})
		}
	}
	p := formPage{Tenant: t, Key: f.Key, Title: locOf(f.Title, lang), Intro: locOf(f.Intro, lang), Token: token,
		Started:     a.formStarted(r, f.Key, token),
		ConfirmMail: f.ConfirmationMail, MailChecked: typed.Get("confirm_mail") == "on", Errors: summary,
		OnlyIn: !f.OffersLang(lang)}
	for _, fl := range f.Fields() {
		if fl.Type == form.TypeFile {
			p.Multipart = true
		}
	}
	if stepped(f) {
		a.stepView(r, &p, f, typed, st)
	}
	if form := "/" + t.Slug + "/" + f.Key; r.URL.Path != form {
		p.Action = form
	}
	if err := a.prefillView(r, &p, f, typed, token, st); err != nil {
		a.internalError(w, r, "prefill view", err)
		return
	}
	for i, pg := range f.Pages {
		if p.Stepped && (p.Review || i != st.Step) {
			continue
		}
		sec := formPageSection{Title: locOf(pg.Title, lang)}
		for _, fl := range pg.Fields {
			v := formFieldView{Key: fl.Key, Type: fl.Type, Input: fl.Key, Label: locOf(fl.Label, lang), Help: locOf(fl.Help, lang),
				Required: fl.Required, Value: typed.Get(fl.Key), Error: errOf[fl.Key], MaxLength: fl.MaxLength,
				Checked: map[string]bool{}}
			if _, ok := p.PrefillMarks[fl.Key]; ok {
				v.FromRegister, v.ReadOnly = true, fl.Prefill.ReadOnly
			}
			for _, val := range typed[fl.Key] {
				v.Checked[val] = true
			}
			for _, o := range fl.Options {
				v.Options = append(v.Options, formOptionView{Value: o.Value, Label: locOf(o.Label, lang)})
			}
			switch fl.Type {
			case form.TypeEmail:
				v.Autocomplete = "email"
			case form.TypePhone:
				v.Autocomplete, v.InputMode = "tel", "tel"
			case form.TypeNumber:
				v.InputMode = "decimal"
			case form.TypeINSZ, form.TypeKBO:
				v.InputMode, v.Autocomplete = "numeric", "off"
			case form.TypeIBAN:
				v.Autocomplete = "off"
			case form.TypeText:
				if fl.Key == "name" {
					v.Autocomplete = "name"
				}
			case form.TypeFile:
				if k, ok := st.Files[fl.Key]; ok {
					v.Kept = a.keptLabel(r, k)
				}
				accept := fl.Accept
				if len(accept) == 0 {
					accept = form.DefaultAccept
				}
				v.Accept = strings.Join(accept, ",")
				if !p.Stepped && (len(errs) > 0 || (r.MultipartForm != nil && len(r.MultipartForm.File[fl.Key]) > 0)) {
					p.FileAgain = true
				}
			case form.TypeAddress:
				autos := map[string]string{"street": "address-line1", "number": "off", "box": "off", "postcode": "postal-code",
					"municipality": "address-level2"}
				for _, part := range form.AddressParts {
					in := fl.Key + "_" + part
					ap := formAddressPart{Input: in, Name: a.t(r, "form.address."+part), Value: typed.Get(in), Error: errOf[in],
						Autocomplete: autos[part], Optional: part == "box", ReadOnly: v.ReadOnly}
					if part == "postcode" {
						ap.InputMode = "numeric"
					}
					v.Parts = append(v.Parts, ap)
				}
			}
			sec.Fields = append(sec.Fields, v)
		}
		p.Pages = append(p.Pages, sec)
	}
	p.FileAgain = p.FileAgain || st.FileAgain
	var n form.Notice
	if err := json.Unmarshal(fv.Notice, &n); err != nil {
		a.internalError(w, r, "read approved notice", err)
		return
	}
	p.Notice = newNoticeView(r, t, reg, n)
	p.Short = newNoticeShort(r, t, n)
	a.render(w, r, status, "form", p)
}

// formLimit is the largest post a form takes: its files and 1 MiB.
func formLimit(f form.Form) int64 {
	limit := int64(1 << 20)
	for _, fl := range f.Fields() {
		if fl.Type == form.TypeFile {
			if fl.MaxBytes > 0 {
				limit += fl.MaxBytes
			} else {
				limit += form.DefaultFileBytes
			}
		}
	}
	return limit
}

// formCreate takes a citizen's submission.
func (a *App) formCreate(w http.ResponseWriter, r *http.Request) {
	fv, reg, ok := a.publishedForm(w, r)
	if !ok {
		return
	}
	f := fv.Form
	r.Body = http.MaxBytesReader(w, r.Body, formLimit(f))
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mt {
	case "multipart/form-data":
		if err := r.ParseMultipartForm(8 << 20); err != nil {
			a.bodyError(w, r, err)
			return
		}
		defer r.MultipartForm.RemoveAll()
	case "application/x-www-form-urlencoded":
		if !a.parseForm(w, r) {
			return
		}
	default:
		a.error(w, r, http.StatusUnsupportedMediaType)
		return
	}
	token := r.PostForm.Get("token")
	if len(token) != 43 {
		a.error(w, r, http.StatusBadRequest)
		return
	}
	if r.PostForm.Get(honeypotField) != "" {
		a.errorWith(w, r, http.StatusUnprocessableEntity, "form.refused")
		return
	}
	// The language switch on a form page posts the form: it comes back in
	// the chosen language with what was typed, not submitted and not
	// judged. A chosen file is not kept (it was not scanned), and the page
	// says so.
	_, switching := locale.Parse(r.PostForm.Get("switch_lang"))
	if stepped(f) && (r.PostForm.Get(navField) != "" || switching) {
		a.formStep(w, r, fv, reg, token)
		return
	}
	if switching {
		a.renderForm(w, r, http.StatusOK, fv, reg, r.PostForm, nil, token)
		return
	}
	citizen := citizenActor(r)
	answers, errs := a.checkPosted(r, f, token)
	var files []store.NewAttachment
	for _, fl := range f.Fields() {
		if fl.Type != form.TypeFile {
			continue
		}
		att, ferr := a.receiveFile(r, fl, citizen)
		if ferr != nil {
			errs = append(errs, *ferr)
		} else if att != nil {
			files = append(files, *att)
		}
	}
	if len(errs) > 0 {
		errs = orderErrors(f, errs)
		st := stepState{}
		if stepped(f) {
			// A whole multi-page form posted at once: show the first page
			// with a mistake.
			st.Step = pageOfField(f, inputField(f, errs[0].Input))
		}
		a.renderStep(w, r, http.StatusUnprocessableEntity, fv, reg, r.PostForm, errs, token, st)
		return
	}
	a.submit(w, r, fv, answers, files, token)
}

// submit stores a judged submission with its attachments (sealed and
// audited by the store) and sends the browser to the receipt; false when
// it answered with an error instead.
func (a *App) submit(w http.ResponseWriter, r *http.Request, fv store.FormVersion, answers form.Answers,
	files []store.NewAttachment, token string) bool {
	t := tenantFrom(r.Context())
	f := fv.Form
	citizen := citizenActor(r)
	in := store.NewFormSubmission{FormKey: f.Key, FormVersion: fv.Version, RegisterVersion: fv.RegisterVersion,
		Idempotency: token, Receipt: token + ":receipt", Attachments: files, Subject: form.SubjectOf(f, answers),
		HandlingDays: f.HandlingDays}
	// Staff reply, and the citizen looks the request up, with the address
	// the citizen gave, in the language the form was filled in.
	in.Lang = string(LangFrom(r.Context()))
	if fl, ok := f.ContactField(); ok {
		in.Contact = answers[fl.Key].Value
	}
	var err error
	if in.Answers, err = json.Marshal(answers); err != nil {
		a.internalError(w, r, "encode answers", err)
		return false
	}
	if f.ConfirmationMail && r.PostForm.Get("confirm_mail") == "on" {
		if to := answers[f.ConfirmationField].Value; to != "" {
			lang := LangFrom(r.Context())
			title := f.Title.In(string(lang))
			in.Mail = &store.OutgoingMail{To: to, Lang: string(lang), Kind: "submission.confirmation",
				Subject: locale.T(lang, "mail.receipt.subject", title, "{reference}"),
				Body: locale.T(lang, "mail.receipt.body", t.LegalName, title, "{reference}", f.Done.In(string(lang)),
					a.lookupURL(t))}
		}
	}
	ref, created, err := a.opts.Store.SubmitForm(r.Context(), citizen, t.ID, in)
	switch {
	case errors.Is(err, store.ErrFormChanged):
		a.errorWith(w, r, http.StatusConflict, "form.changed")
		return false
	case errors.Is(err, store.ErrTenantFrozen):
		a.errorWith(w, r, http.StatusGone, "termination.frozen")
		return false
	case err != nil:
		a.internalError(w, r, "submit form", err)
		return false
	}
	a.countForm(r, f.Key, analytics.EventSubmitted, 0, "")
	if created {
		a.countDuration(r, f.Key, token) // a double click is timed once
	}
	a.toReceipt(w, r, f.Key, ref, token)
	return true
}

// toReceipt sends the browser to the receipt of submission ref.
func (a *App) toReceipt(w http.ResponseWriter, r *http.Request, formKey, ref, token string) {
	// The cookie names the submission by its reference and proves the
	// browser sent it with the page token.
	http.SetCookie(w, &http.Cookie{Name: receiptCookie, Value: ref + "." + token, Path: "/", MaxAge: int(store.ReceiptTTL.Seconds()),
		Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, "/"+tenantFrom(r.Context()).Slug+"/receipt/"+formKey, http.StatusSeeOther)
}

// orderErrors puts file errors in form order among the others.
func orderErrors(f form.Form, errs []form.FieldError) []form.FieldError {
	var out []form.FieldError
	for _, fl := range f.Fields() {
		for _, e := range errs {
			if e.Input == fl.Key || strings.HasPrefix(e.Input, fl.Key+"_") {
				out = append(out, e)
			}
		}
	}
	return out
}

// receiveFile reads, sniffs, checks and scans the file of field fl. A
// refused file (infected, unscannable, scanner down) is audited; its
// content is never stored.
func (a *App) receiveFile(r *http.Request, fl form.Field, citizen audit.Actor) (*store.NewAttachment, *form.FieldError) {
	var fi *form.FileInfo
	var data []byte
	if r.MultipartForm != nil && len(r.MultipartForm.File[fl.Key]) > 0 {
		fh := r.MultipartForm.File[fl.Key][0]
		if fh.Size > 0 {
			file, err := fh.Open()
			if err != nil {
				return nil, &form.FieldError{Input: fl.Key, Key: "file_unreadable"}
			}
			defer file.Close()
			limit := fl.MaxBytes
			if limit == 0 {
				limit = form.DefaultFileBytes
			}
			if data, err = io.ReadAll(io.LimitReader(file, limit+1)); err != nil {
				return nil, &form.FieldError{Input: fl.Key, Key: "file_unreadable"}
			}
			fi = &form.FileInfo{Name: baseName(fh.Filename), Size: int64(len(data)), ContentType: http.DetectContentType(data)}
		}
	}
	if ferr := fl.CheckFile(fi); ferr != nil || fi == nil {
		return nil, ferr
	}
	t := tenantFrom(r.Context())
	refuse := func(key, purpose string) *form.FieldError {
		if err := a.opts.Store.Audit(r.Context(), audit.Event{TenantID: t.ID, Actor: citizen, Action: "attachment.refused",
			ObjectType: "form", ObjectID: r.PathValue("form"), Purpose: purpose, Outcome: audit.OutcomeDenied}); err != nil {
			a.log.ErrorContext(r.Context(), "audit refused attachment", "request_id", RequestIDFrom(r.Context()), "error", err)
		}
		return &form.FieldError{Input: fl.Key, Key: key}
	}
	if a.opts.Scanner == nil {
		return nil, refuse("file_scan_unavailable", "no virus scanner configured")
	}
	res, err := a.opts.Scanner.Scan(r.Context(), bytes.NewReader(data))
	switch {
	case err != nil:
		a.log.WarnContext(r.Context(), "virus scan failed", "request_id", RequestIDFrom(r.Context()), "error", err.Error())
		return nil, refuse("file_scan_unavailable", "virus scanner unavailable")
	case !res.Clean:
		return nil, refuse("file_infected", "malware found: "+res.Signature)
	}
	return &store.NewAttachment{FieldKey: fl.Key, Name: fi.Name, ContentType: fi.ContentType, Data: data, Scanner: "clamd",
		ScannedAt: a.opts.Store.Now()}, nil
}

// baseName keeps the last element of a file name as browsers send it.
func baseName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	return name
}

// receiptPage is the citizen's receipt.
type receiptPage struct {
	Tenant    tenant.Tenant
	FormKey   string
	Title     loc
	Done      loc
	Reference string
	CreatedAt string
	Answers   []receiptLine
	// Mail is what became of the confirmation mail (none, queued, sent,
	// failed), MailTo its address masked.
	Mail, MailTo string
	// CanLookUp: the citizen gave an e-mail address to look it up with.
	CanLookUp bool
}

type receiptLine struct {
	Label  loc
	Value  string
	Source string // "source: national register, on …" (prefill.go); "" when typed
}

// receiptShow shows the citizen their reference and what they sent, with
// the capability their browser holds; without one (expired, another
// browser): a page saying the receipt can no longer be shown.
func (a *App) receiptShow(w http.ResponseWriter, r *http.Request) {
	t := tenantFrom(r.Context())
	c, err := r.Cookie(receiptCookie)
	if err != nil {
		a.errorWith(w, r, http.StatusGone, "receipt.gone")
		return
	}
	citizen := audit.Actor{Kind: audit.KindCitizen, ID: "anonymous", RequestID: RequestIDFrom(r.Context())}
	ref, token, _ := strings.Cut(c.Value, ".")
	rc, err := a.opts.Store.OpenReceipt(r.Context(), citizen, t.ID, ref, token+":receipt")
	switch {
	case errors.Is(err, store.ErrReceiptGone), err == nil && rc.FormKey != r.PathValue("form"):
		a.errorWith(w, r, http.StatusGone, "receipt.gone")
		return
	case err != nil:
		a.internalError(w, r, "open receipt", err)
		return
	}
	fv, err := a.opts.Store.FormAt(r.Context(), t.ID, rc.FormKey, rc.FormVersion)
	if err != nil {
		a.internalError(w, r, "read form", err)
		return
	}
	var answers form.Answers
	if err := json.Unmarshal(rc.Answers, &answers); err != nil {
		a.internalError(w, r, "decode answers", err)
		return
	}
	lang := string(LangFrom(r.Context()))
	p := receiptPage{Tenant: t, FormKey: rc.FormKey, Title: locOf(fv.Form.Title, lang), Done: locOf(fv.Form.Done, lang), Reference: rc.Reference,
		CreatedAt: datetime(rc.CreatedAt), Mail: receiptMail(rc.Mail)}
	if fl, ok := fv.Form.ContactField(); ok && answers[fl.Key].Value != "" {
		p.CanLookUp = true
	}
	if fl, ok := fv.Form.Field(fv.Form.ConfirmationField); ok && p.Mail != "none" {
		p.MailTo = maskAddress(answers[fl.Key].Value)
	}
	for _, fl := range fv.Form.Fields() {
		line := receiptLine{Label: locOf(fl.Label, lang), Value: a.displayAnswer(r, fl, answers[fl.Key]),
			Source: a.prefillSource(r, answers[fl.Key])}
		if fl.Type == form.TypeFile {
			var names []string
			for _, f := range rc.Attachments {
				if f.FieldKey == fl.Key {
					names = append(names, f.Name)
				}
			}
			line.Value = strings.Join(names, ", ")
		}
		if line.Value == "" {
			line.Value = a.t(r, "receipt.empty")
		}
		p.Answers = append(p.Answers, line)
	}
	if r.URL.Query().Get("format") == "pdf" {
		b, err := a.receiptPDF(r, p, rc.CreatedAt)
		if err != nil {
			a.internalError(w, r, "receipt PDF", err)
			return
		}
		w.Header().Set("Content-Type", "application/pdf")
		w.Header().Set("Content-Disposition", `attachment; filename="`+a.t(r, "receipt.pdf_name", rc.Reference)+`"`)
		w.Write(b)
		return
	}
	a.render(w, r, http.StatusOK, "receipt", p)
}

// displayAnswer renders an answer as a citizen reads it back.
func (a *App) displayAnswer(r *http.Request, fl form.Field, ans form.Answer) string {
	return fl.Display(ans, string(LangFrom(r.Context())), func(key string) string { return a.t(r, key) })
}
