package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/locale"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/tenant"
	"github.com/kluis/kluis/internal/termination"
)

// The end of a contract (END-3, END-4, END-5) on the web: the supplier's
// operators run the procedure step by step in their realm
// (/operator/terminations), each step confirmed; the controller's admins
// and DPO follow it under Beheer › Einde contract, where an admin confirms
// receipt of the final export. The public forms of a frozen tenant say
// that they take no new submissions (410 Gone: the intake ends for good).

// refuseFrozen answers the "this e-loket takes no new submissions" page
// when the tenant's termination has started; it reports whether it did.
func (a *App) refuseFrozen(w http.ResponseWriter, r *http.Request, tenantID string) bool {
	frozen, err := a.frozen.get(tenantID, func() (bool, error) { return a.opts.Store.TenantFrozen(r.Context(), tenantID) })
	if err != nil {
		a.internalError(w, r, "termination state", err)
		return true
	}
	if frozen {
		a.errorWith(w, r, http.StatusGone, "termination.frozen")
	}
	return frozen
}

func (a *App) procedure() *termination.Procedure {
	return &termination.Procedure{DB: a.opts.Store, Exporter: a.opts.TerminationExporter, Backups: a.opts.TerminationBackups,
		KeyName: a.checkpointKeyName()}
}

// terminationStepRow is one step as a page shows it.
type terminationStepRow struct {
	Label, When, Who, Summary string
	Done, Next                bool
}

// terminationSteps describes the procedure's steps for a reader: done
// ones with when, by whom (a role, never an id) and what they did.
func (a *App) terminationSteps(r *http.Request, term store.Termination) []terminationStepRow {
	next := term.Next()
	var rows []terminationStepRow
	for _, s := range store.TerminationSteps {
		row := terminationStepRow{Label: a.t(r, "termination.step."+s), Next: s == next}
		if done, ok := term.Step(s); ok {
			row.Done, row.When = true, datetime(done.DoneAt)
			row.Who = a.t(r, "termination.who."+string(done.ActorKind))
			row.Summary = a.stepSummary(r, done)
		}
		rows = append(rows, row)
	}
	return rows
}

// stepSummary says in a sentence what a done step recorded.
func (a *App) stepSummary(r *http.Request, s store.TerminationStep) string {
	var d struct {
		ReceiptDays int              `json:"receipt_days"`
		ReceivedBy  string           `json:"received_by"`
		Manifest    string           `json:"manifest_sha256"`
		Files       int              `json:"files"`
		By          string           `json:"by"`
		Rows        map[string]int64 `json:"rows"`
		Keyring     string           `json:"keyring"`
		Backups     []string         `json:"keyring_backups"`
		Checked     []string         `json:"data_backups_unreadable"`
		Configured  bool             `json:"backups_configured"`
	}
	if json.Unmarshal(s.Detail, &d) != nil {
		return ""
	}
	switch s.Step {
	case store.TermFreeze:
		return a.t(r, "termination.summary.freeze", d.ReceiptDays)
	case store.TermExport:
		return a.t(r, "termination.summary.export", d.ReceivedBy, d.Files, d.Manifest)
	case store.TermReceipt:
		return a.t(r, "termination.summary.receipt_"+d.By)
	case store.TermDelete:
		var n int64
		for _, c := range d.Rows {
			n += c
		}
		return a.t(r, "termination.summary.delete", n)
	case store.TermKeys:
		if !d.Configured {
			return a.t(r, "termination.summary.keys_no_backups")
		}
		return a.t(r, "termination.summary.keys", len(d.Backups))
	case store.TermCheck:
		if !d.Configured {
			return a.t(r, "termination.summary.check_no_backups")
		}
		return a.t(r, "termination.summary.check", len(d.Checked))
	}
	return ""
}

// operatorTerminationRow is one controller in the realm's list.
type operatorTerminationRow struct {
	Slug, Name, State string
}

type operatorTerminationsPage struct {
	Slug string
	Rows []operatorTerminationRow
}

// operatorTerminationsShow lists every controller with where its
// termination stands.
func (a *App) operatorTerminationsShow(w http.ResponseWriter, r *http.Request, me account.User) {
	ts, err := a.opts.Store.Tenants(r.Context())
	if err != nil {
		a.internalError(w, r, "tenants", err)
		return
	}
	p := operatorTerminationsPage{Slug: tenantFrom(r.Context()).Slug}
	for _, t := range ts {
		term, err := a.opts.Store.Termination(r.Context(), t.ID)
		if err != nil {
			a.internalError(w, r, "termination", err)
			return
		}
		state := a.t(r, "termination.state.none")
		switch next := term.Next(); {
		case next == "":
			state = a.t(r, "termination.state.complete")
		case term.Started():
			state = a.t(r, "termination.state.next", a.t(r, "termination.step."+next))
		}
		p.Rows = append(p.Rows, operatorTerminationRow{Slug: t.Slug, Name: t.LegalName, State: state})
	}
	a.render(w, r, http.StatusOK, "operator-terminations", p)
}

type operatorTerminationPage struct {
	Slug, TenantSlug, TenantName string
	Steps                        []terminationStepRow
	Next, NextLabel, NextHelp    string
	Waiting                      string // the receipt deadline, while it has not passed
	Inputs                       []instrInput
	Complete                     bool
	Done                         string // the step just done
	Errors                       fieldErrors
}

// terminationTenant is the controller {slug} of a realm path, whatever
// its status (a terminated tenant is suspended), or the 404 page.
func (a *App) terminationTenant(w http.ResponseWriter, r *http.Request) (tenant.Tenant, bool) {
	t, err := a.opts.Store.TenantBySlug(r.Context(), r.PathValue("slug"))
	switch {
	case errors.Is(err, store.ErrNotFound) || (err == nil && t.IsPlatform()):
		a.notFound(w, r)
		return t, false
	case err != nil:
		a.internalError(w, r, "termination tenant", err)
		return t, false
	}
	return t, true
}

// operatorTerminationShow shows one controller's procedure and the form of
// its next step.
func (a *App) operatorTerminationShow(w http.ResponseWriter, r *http.Request, me account.User) {
	t, ok := a.terminationTenant(w, r)
	if !ok {
		return
	}
	a.renderOperatorTermination(w, r, t, http.StatusOK, nil, nil)
}

func (a *App) renderOperatorTermination(w http.ResponseWriter, r *http.Request, t tenant.Tenant, status int, values map[string]string, errs fieldErrors) {
	term, err := a.opts.Store.Termination(r.Context(), t.ID)
	if err != nil {
		a.internalError(w, r, "termination", err)
		return
	}
	p := operatorTerminationPage{Slug: tenantFrom(r.Context()).Slug, TenantSlug: t.Slug, TenantName: t.LegalName,
		Steps: a.terminationSteps(r, term), Next: term.Next(), Complete: term.Complete(), Errors: errs}
	if d := r.URL.Query().Get("done"); status == http.StatusOK && d != "" {
		p.Done = a.t(r, "termination.done", a.t(r, "termination.step."+stepName(d)))
	}
	if p.Next != "" {
		p.NextLabel, p.NextHelp = a.t(r, "termination.step."+p.Next), a.t(r, "termination.help."+p.Next)
	}
	if p.Next == store.TermReceipt && a.opts.Store.Now().Before(term.ReceiptDeadline()) {
		p.Waiting = a.t(r, "termination.waiting", datetime(term.ReceiptDeadline()))
	}
	input := func(id, kind, def string) instrInput {
		in := instrInput{ID: id, Name: id, Kind: kind, Label: a.t(r, "termination.field."+id), Value: def, Error: errs.For(id)}
		if v, ok := values[id]; ok {
			in.Value = v
		}
		if h := "termination.hint." + id; locale.Has(a.langOf(r), h) {
			in.Hint = a.t(r, h)
		}
		return in
	}
	switch p.Next {
	case store.TermFreeze:
		p.Inputs = append(p.Inputs, input("receipt_days", "text", strconv.Itoa(store.DefaultReceiptDays)))
	case store.TermExport:
		if a.opts.TerminationExporter != nil {
			p.Inputs = append(p.Inputs, input("export_to", "text", ""))
		} else {
			p.Inputs = append(p.Inputs, input("manifest_sha256", "text", ""), input("files", "text", ""))
		}
		p.Inputs = append(p.Inputs, input("received_by", "text", ""))
	}
	if p.Next != "" && p.Waiting == "" {
		p.Inputs = append(p.Inputs, input("confirm", "checkbox", ""))
	}
	a.render(w, r, status, "operator-termination", p)
}

// stepName keeps a query value to a known step name.
func stepName(s string) string {
	for _, n := range store.TerminationSteps {
		if n == s {
			return n
		}
	}
	return "unknown"
}

// operatorTerminationStep does the step the form names, which must be the
// next one, on the operator's explicit confirmation.
func (a *App) operatorTerminationStep(w http.ResponseWriter, r *http.Request, me account.User) {
	t, ok := a.terminationTenant(w, r)
	if !ok || !a.parseForm(w, r) {
		return
	}
	f := r.PostForm
	values := map[string]string{}
	for _, k := range []string{"receipt_days", "export_to", "manifest_sha256", "files", "received_by"} {
		values[k] = strings.TrimSpace(f.Get(k))
	}
	var errs fieldErrors
	in := termination.Input{ExportTo: values["export_to"], ManifestSHA256: values["manifest_sha256"], ReceivedBy: values["received_by"]}
	step := f.Get("step")
	if step == store.TermFreeze && values["receipt_days"] != "" {
		if n, err := strconv.Atoi(values["receipt_days"]); err == nil {
			in.ReceiptDays = n
		} else {
			errs = append(errs, fieldError{"receipt_days", a.t(r, "termination.error.receipt_days")})
		}
	}
	if step == store.TermExport && a.opts.TerminationExporter == nil {
		if n, err := strconv.Atoi(values["files"]); err == nil && n >= 0 {
			in.Files = n
		} else {
			errs = append(errs, fieldError{"files", a.t(r, "termination.error.files")})
		}
	}
	p := a.procedure()
	var ve *termination.ValidationError
	if errors.As(p.Check(step, in), &ve) {
		errs = append(errs, a.terminationFieldErrors(r, ve, errs)...)
	}
	if f.Get("confirm") != "1" {
		errs = append(errs, fieldError{"confirm", a.t(r, "termination.error.confirm")})
	}
	if len(errs) == 0 {
		actor := audit.Actor{Kind: audit.KindOperator, ID: me.ID, Role: "operator", RequestID: RequestIDFrom(r.Context())}
		_, err := p.Step(r.Context(), actor, t.ID, step, in)
		switch {
		case err == nil:
			a.frozen.forget(t.ID)
			a.tenants.forget(t.Slug)
			http.Redirect(w, r, "/"+tenantFrom(r.Context()).Slug+"/terminations/"+t.Slug+"?done="+step, http.StatusSeeOther)
			return
		case errors.As(err, &ve):
			errs = append(errs, a.terminationFieldErrors(r, ve, errs)...)
		default:
			key := terminationRefusal(err)
			if key == "" {
				a.internalError(w, r, "termination step", err)
				return
			}
			a.renderOperatorTermination(w, r, t, http.StatusConflict, values, fieldErrors{{"next-step", a.t(r, key)}})
			return
		}
	}
	order := []string{"receipt_days", "export_to", "manifest_sha256", "files", "received_by", "confirm"}
	slices.SortStableFunc(errs, func(x, y fieldError) int { return slices.Index(order, x.Field) - slices.Index(order, y.Field) })
	a.renderOperatorTermination(w, r, t, http.StatusUnprocessableEntity, values, errs)
}

// terminationFieldErrors are ve's messages by input id, in the form's
// order, leaving out fields that already have one.
func (a *App) terminationFieldErrors(r *http.Request, ve *termination.ValidationError, have fieldErrors) fieldErrors {
	var out fieldErrors
	for _, field := range []string{"receipt_days", "export_to", "manifest", "received_by"} {
		key, ok := ve.Fields[field]
		id := field
		if field == "manifest" {
			id = "manifest_sha256"
		}
		if ok && have.For(id) == "" {
			out = append(out, fieldError{id, a.t(r, key)})
		}
	}
	return out
}

// terminationRefusal is the message key of a refused step, "" for an
// unexpected error.
func terminationRefusal(err error) string {
	for _, c := range []struct {
		err error
		key string
	}{
		{store.ErrTerminationOrder, "termination.error.order"},
		{store.ErrTerminated, "termination.error.terminated"},
		{store.ErrTerminationHold, "termination.error.hold"},
		{store.ErrReceiptNotDue, "termination.error.not_due"},
		{store.ErrTerminationRealm, "termination.error.realm"},
		{termination.ErrCopyStillOpens, "termination.error.still_opens"},
	} {
		if errors.Is(err, c.err) {
			return c.key
		}
	}
	return ""
}

// operatorCertificateDownload serves the signed certificate (JSON) or its
// PDF once the procedure is complete.
func (a *App) operatorCertificateDownload(w http.ResponseWriter, r *http.Request, me account.User) {
	t, ok := a.terminationTenant(w, r)
	if !ok {
		return
	}
	term, err := a.opts.Store.Termination(r.Context(), t.ID)
	if err != nil {
		a.internalError(w, r, "termination", err)
		return
	}
	file, err := termination.SignedCertificate(term)
	if errors.Is(err, store.ErrTerminationOrder) {
		a.notFound(w, r)
		return
	}
	if err != nil {
		a.internalError(w, r, "certificate", err)
		return
	}
	name := "destruction-certificate-" + t.Slug
	body, ctype := file, "application/json"
	if r.PathValue("format") == "pdf" {
		c, vkey, err := termination.Verify(file, "")
		if err == nil {
			body, err = termination.PDF(c, vkey)
		}
		if err != nil {
			a.internalError(w, r, "certificate PDF", err)
			return
		}
		ctype = "application/pdf"
	} else if r.PathValue("format") != "json" {
		a.notFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name + "." + r.PathValue("format")}))
	h.Set("Cache-Control", "no-store")
	w.Write(body)
}

type tenantTerminationPage struct {
	Slug       string
	TenantName string
	Started    bool
	Steps      []terminationStepRow
	CanConfirm bool
	Deadline   string
	Confirmed  bool
	Confirm    instrInput
	Errors     fieldErrors
}

// terminationShow is the controller's view of its own termination: the
// steps and, for an admin while the receipt is the next step, the
// confirmation that the final export was received (END-3).
func (a *App) terminationShow(w http.ResponseWriter, r *http.Request, u account.User) {
	a.renderTermination(w, r, u, http.StatusOK, nil)
}

func (a *App) renderTermination(w http.ResponseWriter, r *http.Request, u account.User, status int, errs fieldErrors) {
	t := tenantFrom(r.Context())
	term, err := a.opts.Store.Termination(r.Context(), t.ID)
	if err != nil {
		a.internalError(w, r, "termination", err)
		return
	}
	p := tenantTerminationPage{Slug: t.Slug, TenantName: t.LegalName, Started: term.Started(), Steps: a.terminationSteps(r, term), Errors: errs,
		Confirmed: status == http.StatusOK && r.URL.Query().Get("done") == "receipt"}
	if term.Next() == store.TermReceipt {
		p.Deadline = datetime(term.ReceiptDeadline())
		p.CanConfirm = account.Can(u.Role, account.ManageUsers) && u.Role != account.RoleSupport
	}
	p.Confirm = instrInput{ID: "received", Name: "received", Kind: "checkbox", Label: a.t(r, "termination.field.received"), Error: errs.For("received")}
	a.render(w, r, status, "termination", p)
}

// terminationReceipt records the controller's confirmation of receipt.
func (a *App) terminationReceipt(w http.ResponseWriter, r *http.Request, u account.User) {
	if !a.parseForm(w, r) {
		return
	}
	if r.PostForm.Get("received") != "1" {
		a.renderTermination(w, r, u, http.StatusUnprocessableEntity, fieldErrors{{"received", a.t(r, "termination.error.received")}})
		return
	}
	t := tenantFrom(r.Context())
	_, err := a.procedure().ConfirmReceipt(r.Context(), userActor(u, RequestIDFrom(r.Context())), t.ID)
	if err != nil {
		key := terminationRefusal(err)
		if errors.Is(err, store.ErrControllerOnly) {
			key = "termination.error.controller_only"
		}
		if key == "" {
			a.internalError(w, r, "termination receipt", err)
			return
		}
		a.renderTermination(w, r, u, http.StatusConflict, fieldErrors{{"received", a.t(r, key)}})
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/%s/admin/termination?done=receipt", t.Slug), http.StatusSeeOther)
}
