package web

import (
	"errors"
	"fmt"
	"github.com/kluis/kluis/internal/analytics"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/form"
	"github.com/kluis/kluis/internal/register"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/tenant"
)

// A form in steps (issue 10): a form with several pages is shown one page
// at a time, with a step indicator, "next" (which judges that page only)
// and "previous" (which judges nothing), then a review page with every
// answer as the citizen reads it back, a "change" button per page, the
// privacy notice in short (the full one a click away, DSR-3) and the send
// button. What was typed travels in the page itself, the other pages'
// values as hidden inputs, so nothing typed is stored before sending.
// Attachments cannot travel that way: a clean (scanned) file goes into a
// submission draft, sealed with the tenant key and expiring after
// store.DraftTTL, named by a token in a hidden field (never in a URL).
// A post without "nav" is the whole form at once, judged and sent as
// before: a single-page form, and clients that post everything.

// Hidden inputs of a form in steps.
const (
	stepField  = "step"  // the page shown (len(Pages): the review)
	navField   = "nav"   // the button pressed: next, prev, step-N, send
	draftField = "draft" // the draft token of the kept attachments
	filesField = "files" // the fields with a kept attachment, comma-separated
)

// stepped reports whether f is shown one page at a time.
func stepped(f form.Form) bool { return len(f.Pages) > 1 }

// stepState is where a citizen is in a form in steps.
type stepState struct {
	Step  int
	Draft string                     // "" when no attachment is kept
	Files map[string]store.DraftFile // kept attachments by field (no data)
	// FileAgain: a file chosen was not kept (refused, scanner down) on a
	// post that judges nothing; the page asks for it again.
	FileAgain bool
	// PrefillFailed is why a prefill from the register did not happen
	// (prefill.go), shown above the empty form.
	PrefillFailed string
}

// review reports whether the state is the review page of f.
func (s stepState) review(f form.Form) bool { return stepped(f) && s.Step >= len(f.Pages) }

// stepOf reads the page posted from, within f.
func stepOf(f form.Form, v url.Values) int {
	n, err := strconv.Atoi(v.Get(stepField))
	if err != nil || n < 0 {
		return 0
	}
	return min(n, len(f.Pages))
}

// keptFiles opens the names of the draft's attachments for the page.
// gone: the token names no draft (expired, swept, forged).
func (a *App) keptFiles(r *http.Request, formKey, token string) (files map[string]store.DraftFile, gone bool, err error) {
	files = map[string]store.DraftFile{}
	if token == "" {
		return files, false, nil
	}
	if len(token) != 43 {
		return files, true, nil
	}
	t := tenantFrom(r.Context())
	list, err := a.opts.Store.DraftFiles(r.Context(), citizenActor(r), t.ID, token, formKey, false)
	if errors.Is(err, store.ErrDraftGone) {
		return files, true, nil
	}
	if err != nil {
		return nil, false, err
	}
	for _, f := range list {
		files[f.FieldKey] = f
	}
	return files, false, nil
}

func citizenActor(r *http.Request) audit.Actor {
	return audit.Actor{Kind: audit.KindCitizen, ID: "anonymous", RequestID: RequestIDFrom(r.Context())}
}

// formStep answers a post of a form in steps with nav: the next, previous
// or chosen page, the review, or the send.
func (a *App) formStep(w http.ResponseWriter, r *http.Request, fv store.FormVersion, reg register.Register, token string) {
	f := fv.Form
	t := tenantFrom(r.Context())
	nav := r.PostForm.Get(navField)
	st := stepState{Step: stepOf(f, r.PostForm), Draft: r.PostForm.Get(draftField)}
	files, gone, err := a.keptFiles(r, f.Key, st.Draft)
	if err != nil {
		a.internalError(w, r, "draft files", err)
		return
	}
	st.Files = files
	var errs []form.FieldError
	if gone && nav == "send" {
		// A second click on send: the first sent the form and deleted
		// the draft. The same receipt, not an error.
		ref, sent, err := a.opts.Store.SubmittedWith(r.Context(), t.ID, token, token+":receipt")
		if err != nil {
			a.internalError(w, r, "submitted with", err)
			return
		}
		if sent {
			a.toReceipt(w, r, f.Key, ref, token)
			return
		}
	}
	if gone {
		// The kept files are gone (hours passed, or the token was not
		// ours): what was typed is still here; ask for those files again,
		// at the first page that had one.
		st.Draft = ""
		first := -1
		for _, k := range strings.Split(r.PostForm.Get(filesField), ",") {
			if fl, ok := f.Field(k); ok && fl.Type == form.TypeFile {
				errs = append(errs, form.FieldError{Input: k, Key: "draft_gone"})
				if p := pageOfField(f, k); first < 0 || p < first {
					first = p
				}
			}
		}
		if first < 0 {
			first = st.Step
		}
		if len(errs) > 0 {
			st.Step = first
			a.renderStep(w, r, http.StatusUnprocessableEntity, fv, reg, r.PostForm, orderErrors(f, errs), token, st)
			return
		}
	}
	// Files chosen on this page are scanned and kept whatever the button:
	// a citizen who goes back does not choose them again.
	var fileErrs []form.FieldError
	if st.Step < len(f.Pages) {
		for _, fl := range f.Pages[st.Step].Fields {
			if fl.Type != form.TypeFile || r.MultipartForm == nil || len(r.MultipartForm.File[fl.Key]) == 0 ||
				r.MultipartForm.File[fl.Key][0].Size == 0 {
				continue
			}
			att, ferr := a.receiveFile(r, fl, citizenActor(r))
			if ferr != nil {
				fileErrs = append(fileErrs, *ferr)
				continue
			}
			if st.Draft == "" {
				st.Draft = newToken()
			}
			if err := a.opts.Store.SaveDraftFile(r.Context(), citizenActor(r), t.ID, st.Draft, f.Key, *att); err != nil {
				a.internalError(w, r, "save draft file", err)
				return
			}
			st.Files[fl.Key] = store.DraftFile{FieldKey: fl.Key, Name: att.Name, ContentType: att.ContentType, Size: int64(len(att.Data))}
		}
	}
	st.FileAgain = len(fileErrs) > 0
	if len(fileErrs) > 0 && (nav == "prev" || strings.HasPrefix(nav, "step-")) {
		// A refused file (infected, scanner down) is said on its own page
		// before the citizen leaves it, not dropped without a word.
		a.renderStep(w, r, http.StatusUnprocessableEntity, fv, reg, r.PostForm, orderErrors(f, fileErrs), token, st)
		return
	}
	advanced := false // a page judged good and the next one reached (the funnel)
	switch {
	case r.PostForm.Get("switch_lang") != "":
		// The language switch: the same page in the chosen language,
		// nothing judged.
	case nav == "prev":
		st.Step = max(st.Step-1, 0)
	case strings.HasPrefix(nav, "step-"):
		if n, err := strconv.Atoi(strings.TrimPrefix(nav, "step-")); err == nil && n >= 0 && n < len(f.Pages) {
			st.Step = n
		}
	case nav == "next" && st.Step < len(f.Pages):
		sub := form.Form{Key: f.Key, Pages: []form.Page{f.Pages[st.Step]}}
		_, errs := sub.Check(form.Input(r.PostForm))
		errs = append(errs, fileErrs...)
		errs = append(errs, missingFiles(sub, st.Files, fileErrs)...)
		if len(errs) > 0 {
			a.renderStep(w, r, http.StatusUnprocessableEntity, fv, reg, r.PostForm, orderErrors(sub, errs), token, st)
			return
		}
		st.Step++
		advanced = true
	case nav == "send":
		a.formSend(w, r, fv, reg, token, st)
		return
	}
	if st.review(f) {
		// The review reads the answers back: they must all be good (a page
		// judged before may have been changed since by hand).
		if _, errs := f.Check(form.Input(r.PostForm)); len(errs) > 0 || len(missingFiles(f, st.Files, nil)) > 0 {
			errs = orderErrors(f, append(errs, missingFiles(f, st.Files, nil)...))
			st.Step = pageOfField(f, inputField(f, errs[0].Input))
			a.renderStep(w, r, http.StatusUnprocessableEntity, fv, reg, r.PostForm, errs, token, st)
			return
		}
	}
	if advanced {
		a.countForm(r, f.Key, analytics.EventPage, st.Step, "")
	}
	a.renderStep(w, r, http.StatusOK, fv, reg, r.PostForm, nil, token, st)
}

// formSend sends a form in steps from its review page: every answer
// judged again, the kept attachments opened, the submission stored as a
// one-page post would be, and the draft deleted.
func (a *App) formSend(w http.ResponseWriter, r *http.Request, fv store.FormVersion, reg register.Register, token string, st stepState) {
	f := fv.Form
	t := tenantFrom(r.Context())
	answers, errs := a.checkPosted(r, f, token)
	errs = append(errs, missingFiles(f, st.Files, nil)...)
	if len(errs) > 0 {
		errs = orderErrors(f, errs)
		st.Step = pageOfField(f, inputField(f, errs[0].Input))
		a.renderStep(w, r, http.StatusUnprocessableEntity, fv, reg, r.PostForm, errs, token, st)
		return
	}
	var files []store.NewAttachment
	if st.Draft != "" {
		kept, err := a.opts.Store.DraftFiles(r.Context(), citizenActor(r), t.ID, st.Draft, f.Key, true)
		if err != nil && !errors.Is(err, store.ErrDraftGone) {
			a.internalError(w, r, "open draft files", err)
			return
		}
		for _, k := range kept {
			files = append(files, store.NewAttachment{FieldKey: k.FieldKey, Name: k.Name, ContentType: k.ContentType, Data: k.Data,
				Scanner: k.Scanner, ScannedAt: k.ScannedAt})
		}
	}
	if !a.submit(w, r, fv, answers, files, token) {
		return
	}
	if st.Draft != "" {
		if err := a.opts.Store.DeleteDraft(r.Context(), citizenActor(r), t.ID, st.Draft, f.Key); err != nil {
			// Sent: the sweep deletes the draft later.
			a.log.WarnContext(r.Context(), "delete draft", "request_id", RequestIDFrom(r.Context()), "error", err.Error())
		}
	}
}

// missingFiles are the required file fields of f with neither a kept
// attachment nor an error of their own already.
func missingFiles(f form.Form, kept map[string]store.DraftFile, already []form.FieldError) []form.FieldError {
	var out []form.FieldError
	for _, fl := range f.Fields() {
		if fl.Type != form.TypeFile || !fl.Required {
			continue
		}
		if _, ok := kept[fl.Key]; ok {
			continue
		}
		if slices.ContainsFunc(already, func(e form.FieldError) bool { return e.Input == fl.Key }) {
			continue
		}
		out = append(out, form.FieldError{Input: fl.Key, Key: "required_file"})
	}
	return out
}

// pageOfField is the index of the page holding field key (0 when none).
func pageOfField(f form.Form, key string) int {
	for i, p := range f.Pages {
		for _, fl := range p.Fields {
			if fl.Key == key {
				return i
			}
		}
	}
	return 0
}

// inputField is the field an input belongs to (an address part's field).
func inputField(f form.Form, input string) string {
	for _, fl := range f.Fields() {
		if input == fl.Key || strings.HasPrefix(input, fl.Key+"_") {
			return fl.Key
		}
	}
	return input
}

// inputNames are the inputs of field fl.
func inputNames(fl form.Field) []string {
	if fl.Type == form.TypeAddress {
		var out []string
		for _, p := range form.AddressParts {
			out = append(out, fl.Key+"_"+p)
		}
		return out
	}
	return []string{fl.Key}
}

// hiddenInput is one value carried through a page that does not show it
// (a form's other steps, a register change back from its comparison).
type hiddenInput struct{ Name, Value string }

// carried are the values of every field of f not on page shown (all of
// them on the review), as hidden inputs, and the confirmation choice when
// the page does not show it.
func carried(f form.Form, shown int, typed url.Values, review bool) []hiddenInput {
	var out []hiddenInput
	for i, p := range f.Pages {
		if i == shown && !review {
			continue
		}
		for _, fl := range p.Fields {
			if fl.Type == form.TypeFile {
				continue
			}
			for _, name := range inputNames(fl) {
				for _, v := range typed[name] {
					if v != "" {
						out = append(out, hiddenInput{name, v})
					}
				}
			}
		}
	}
	if !review && typed.Get("confirm_mail") == "on" {
		out = append(out, hiddenInput{"confirm_mail", "on"})
	}
	return out
}

// stepItem is one entry of the step indicator.
type stepItem struct {
	Title         loc
	Review        bool
	Current, Done bool
}

// reviewGroup is one page's answers on the review page.
type reviewGroup struct {
	Step  int
	Title loc
	Lines []receiptLine
}

// fileSize words a size for people.
func (a *App) fileSize(r *http.Request, n int64) string {
	return a.t(r, "form.file_size_kb", int((n+1023)/1024))
}

// keptLabel says which file is kept for a field.
func (a *App) keptLabel(r *http.Request, f store.DraftFile) string {
	return a.t(r, "form.file_kept", f.Name, a.fileSize(r, f.Size))
}

// reviewGroups reads every answer back as the citizen will see it on the
// receipt, page by page.
func (a *App) reviewGroups(r *http.Request, f form.Form, typed url.Values, files map[string]store.DraftFile) []reviewGroup {
	lang := string(LangFrom(r.Context()))
	answers, _ := f.Check(form.Input(typed))
	var out []reviewGroup
	for i, p := range f.Pages {
		g := reviewGroup{Step: i, Title: locOf(p.Title, lang)}
		for _, fl := range p.Fields {
			line := receiptLine{Label: locOf(fl.Label, lang), Value: a.displayAnswer(r, fl, answers[fl.Key])}
			if fl.Type == form.TypeFile {
				line.Value = ""
				if k, ok := files[fl.Key]; ok {
					line.Value = fmt.Sprintf("%s (%s)", k.Name, a.fileSize(r, k.Size))
				}
			}
			if line.Value == "" {
				line.Value = a.t(r, "receipt.empty")
			}
			g.Lines = append(g.Lines, line)
		}
		out = append(out, g)
	}
	return out
}

// stepView fills the step indicator, the carried values and, on the
// review page, the answers read back.
func (a *App) stepView(r *http.Request, p *formPage, f form.Form, typed url.Values, st stepState) {
	lang := string(LangFrom(r.Context()))
	p.Stepped, p.Review, p.Draft = true, st.review(f), st.Draft
	p.StepCount = len(f.Pages)
	p.StepIndex = min(st.Step, len(f.Pages))
	p.Step = p.StepIndex + 1
	for i, pg := range f.Pages {
		p.Steps = append(p.Steps, stepItem{Title: locOf(pg.Title, lang), Current: i == st.Step && !p.Review, Done: i < st.Step})
	}
	p.Steps = append(p.Steps, stepItem{Review: true, Current: p.Review})
	if p.Review {
		p.StepTitle = loc{Text: a.t(r, "form.steps.review")}
		p.Groups = a.reviewGroups(r, f, typed, st.Files)
	} else {
		p.StepTitle = locOf(f.Pages[st.Step].Title, lang)
	}
	p.Hidden = carried(f, st.Step, typed, p.Review)
	var keys []string
	for _, fl := range f.Fields() {
		if _, ok := st.Files[fl.Key]; ok {
			keys = append(keys, fl.Key)
		}
	}
	p.FileKeys = strings.Join(keys, ",")
}

// noticeShort is the first layer of the privacy notice (DSR-3): who, why,
// how long, your rights, in a few lines; the full notice follows a click
// away.
type noticeShort struct {
	Controller string
	Purposes   string
	MaxDays    int
}

// newNoticeShort sums the notice n up for r's language.
func newNoticeShort(r *http.Request, t tenant.Tenant, n form.Notice) noticeShort {
	lang := string(LangFrom(r.Context()))
	s := noticeShort{Controller: t.LegalName}
	var names []string
	for _, p := range n.Purposes {
		names = append(names, p.Name.In(lang))
	}
	s.Purposes = strings.Join(names, "; ")
	for _, c := range n.Categories {
		s.MaxDays = max(s.MaxDays, c.RetentionDays)
	}
	return s
}
