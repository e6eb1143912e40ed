package web

import (
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/export"
	"github.com/kluis/kluis/internal/form"
	"github.com/kluis/kluis/internal/locale"
	"github.com/kluis/kluis/internal/store"
)

// Casework in the inbox: due dates with overdue marked in words (not by
// colour alone, WCAG 1.4.1), the citizen's language, counts per status
// that link to the filtered list, and the orders of the list.

// dueView is a submission's due date as the inbox shows it.
type dueView struct {
	Date    string // dd.mm.yyyy, or the words for none
	None    bool
	Overdue bool
	Label   string // the word for overdue
}

// dueOf is the due date of an inbox row or a submission.
func (a *App) dueOf(r *http.Request, row store.InboxRow) dueView {
	if row.DueAt.IsZero() {
		return dueView{Date: a.t(r, "casework.due.none"), None: true}
	}
	return dueView{Date: store.DueDay(row.DueAt).Format("02.01.2006"), Overdue: row.Overdue, Label: a.t(r, "casework.overdue")}
}

// langName names the citizen's language in the reader's.
func (a *App) langName(r *http.Request, lang string) string {
	if l, ok := locale.Parse(lang); ok {
		return a.t(r, "casework.lang."+string(l))
	}
	return a.t(r, "casework.lang.unknown")
}

// countView is one count above the inbox list, a link to the list it
// counts.
type countView struct {
	Label, Count, Href string
	Current            bool
	Overdue            bool
}

// countText writes a count with a thin grouping as Belgians read it
// (1.234), and "1.000+" at the store's cap.
func (a *App) countText(r *http.Request, n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "." + s[i:]
	}
	if n >= store.CountCap {
		return a.t(r, "casework.counts.more", s)
	}
	return s
}

// inboxCounts builds the counts above the list for the form filtered on
// ("" for all granted forms); each links to the list of that status (or
// the overdue ones) keeping the form filter.
func (a *App) inboxCounts(r *http.Request, slug string, c store.StatusCounts, f inboxFilter) []countView {
	link := func(k, v string) string {
		q := url.Values{}
		if f.q.Form != "" {
			q.Set("form", f.q.Form)
		}
		q.Set(k, v)
		return "/" + slug + "/inbox?" + q.Encode()
	}
	var out []countView
	for _, s := range store.Statuses {
		out = append(out, countView{Label: a.t(r, "inbox.status."+s), Count: a.countText(r, c.ByStatus[s]), Href: link("status", s),
			Current: f.q.Status == s && !f.q.Overdue})
	}
	return append(out, countView{Label: a.t(r, "casework.overdue"), Count: a.countText(r, c.Overdue), Href: link("overdue", "1"),
		Current: f.q.Overdue && f.q.Status == "", Overdue: c.Overdue > 0})
}

// sortOptions are the inbox's orders for its select.
func (a *App) sortOptions(r *http.Request, current string) []inboxOption {
	var out []inboxOption
	for _, s := range store.Sorts {
		out = append(out, inboxOption{Value: s, Label: a.t(r, "casework.sort."+s), Selected: s == current || current == "" && s == store.SortNewest})
	}
	return out
}

// openSubmission opens the submission of the path for me, recording the
// read with purpose, and the form version it was made under; false when
// it answered already (404 for none of me's, or an internal error).
func (a *App) openSubmission(w http.ResponseWriter, r *http.Request, me account.User, purpose string) (store.SubmissionDetail, store.FormVersion, bool) {
	t := tenantFrom(r.Context())
	ctx := r.Context()
	d, err := a.opts.Store.OpenSubmission(ctx, userActor(me, RequestIDFrom(ctx)), t.ID, store.UserViewer(me.ID), r.PathValue("id"), purpose)
	if errors.Is(err, store.ErrNotFound) {
		a.notFound(w, r)
		return d, store.FormVersion{}, false
	}
	if errors.Is(err, store.ErrUnreadable) {
		// Audited and alerted by the store; the page names the submission
		// by its reference and gives the request id to quote (SEC-3).
		a.render(w, r, http.StatusConflict, "submission-unreadable", unreadablePage{Slug: t.Slug, TenantName: t.LegalName, Reference: d.Reference})
		return d, store.FormVersion{}, false
	}
	if err != nil {
		a.internalError(w, r, "open submission", err)
		return d, store.FormVersion{}, false
	}
	fv, err := a.opts.Store.FormAt(ctx, t.ID, d.FormKey, d.FormVersion)
	if err != nil {
		a.internalError(w, r, "read form", err)
		return d, fv, false
	}
	return d, fv, true
}

// pdfPurpose is the purpose recorded when a submission is printed: a read
// for handling, like the page and its downloads (AUD-1).
const pdfPurpose = "handling (PDF)"

// submissionPDF hands one submission over as a PDF download, its answers
// laid out as the export's per-submission PDF: for users who may open the
// submission (a grant on its form, ORG-6), audited as a read with purpose
// in the same transaction as the read (AUD-1).
func (a *App) submissionPDF(w http.ResponseWriter, r *http.Request, me account.User) {
	ctx := r.Context()
	t := tenantFrom(ctx)
	d, fv, ok := a.openSubmission(w, r, me, pdfPurpose)
	if !ok {
		return
	}
	// Art. 18 GDPR: a restricted person's submission is not exported,
	// the refusal recorded (DSR-1).
	if err := a.opts.Store.RefuseIfRestricted(ctx, userActor(me, RequestIDFrom(ctx)), t.ID, d.ID, "PDF export"); errors.Is(err, store.ErrRestricted) {
		a.errorWith(w, r, http.StatusConflict, "kinds.restricted.export_one")
		return
	} else if err != nil {
		a.internalError(w, r, "restriction", err)
		return
	}
	var answers form.Answers
	if err := json.Unmarshal(d.Answers, &answers); err != nil {
		a.internalError(w, r, "decode answers", err)
		return
	}
	files := map[string][]string{}
	for _, f := range d.Attachments {
		files[f.FieldKey] = append(files[f.FieldKey], f.Name)
	}
	lang := LangFrom(ctx)
	tab := export.NewTable(lang, map[int]form.Form{d.FormVersion: fv.Form})
	var due time.Time
	if !d.DueAt.IsZero() {
		due = store.DueDay(d.DueAt)
	}
	labels, values := tab.Header(), tab.Cells(export.Row{ID: d.ID, Reference: d.Reference, Status: d.Status, ReceivedAt: d.CreatedAt,
		FormVersion: d.FormVersion, DueDay: due, Lang: d.Lang, Answers: answers, Files: files})
	if d.Overdue {
		// The due date's column (after reference, received, status and
		// version) says so in words, as the page does.
		values[4] += " (" + a.t(r, "casework.overdue") + ")"
	}
	pdf, err := export.SubmissionPDF(lang, tab.Title, d.Reference, labels, values, a.opts.Store.Now())
	if err != nil {
		a.internalError(w, r, "submission PDF", err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/pdf")
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": a.t(r, "casework.pdf.name", d.Reference)}))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(len(pdf)))
	w.Write(pdf)
}
