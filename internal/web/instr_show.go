package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/locale"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/tenant"
)

// The controller's instructions (REG-3) and the authorities' requests for
// data (REG-5) in the back office and the operators' realm. The controller
// records its written instructions and answers a flag (confirm, amend,
// withdraw) on /{tenant}/admin/instructions and reads the authorities'
// requests on /{tenant}/admin/authority-requests; supplier staff flag an
// instruction and record and handle a request, step by step, on
// /operator/instructions and /operator/authority (tenant chosen in the
// query). The store keeps the order of the steps and audits each.

// dutyMail tells the controller of a step: a flagged instruction, an
// authority's request, a lifted prohibition; in the tenant's language,
// with a link to its page.
func (a *App) dutyMail(t tenant.Tenant, kind, id string) store.OutgoingMail {
	l, ok := locale.Parse(t.DefaultLang)
	if !ok {
		l = locale.NL
	}
	page := "/admin/authority-requests"
	if kind == "flag" {
		page = "/admin/instructions"
	}
	link := a.tenantLink(t, page+"#"+id)
	return store.OutgoingMail{Lang: string(l), Subject: locale.T(l, "instr.mail."+kind+".subject", t.LegalName),
		Body: locale.T(l, "instr.mail."+kind+".body", t.LegalName, link)}
}

// dutyStepView is a step as the pages show it: what happened, who, when,
// the texts in the step's order.
type dutyStepView struct {
	store.DutyStep
	Label  string
	Lines  []string
	Mailed string // "" or a sentence naming the mail's recipients and proof
}

var dutyContentOrder = []string{"subject", "author", "text", "reasoning", "note", "authority", "legal_basis", "asked",
	"assessment", "message", "prohibition_basis", "disclosed"}

func (a *App) dutySteps(r *http.Request, steps []store.DutyStep) []dutyStepView {
	var out []dutyStepView
	for _, s := range steps {
		v := dutyStepView{DutyStep: s, Label: a.t(r, "instr.step."+s.Kind)}
		for _, k := range dutyContentOrder {
			if c := s.Content[k]; c != "" {
				v.Lines = append(v.Lines, a.t(r, "instr.labelled", a.t(r, "instr.field."+k), c))
			}
		}
		if s.MailSHA256 != "" {
			v.Mailed = a.t(r, "instr.mailed", strings.Join(s.NotifiedTo, ", "), s.MailSHA256)
		}
		out = append(out, v)
	}
	return out
}

type instructionView struct {
	store.Instruction
	Steps  []dutyStepView
	Answer *instrForm // the controller's answer form, when it may answer
	Flag   *instrForm // the supplier's flag form
}

type instructionsPage struct {
	Slug, TenantSlug, TenantName string
	Realm                        bool
	Tenants                      []tenantOption
	Items                        []instructionView
	Record                       *instrForm
	Errors                       fieldErrors
	Done                         string
	CanWrite                     bool
}

var instructionOrder = []string{"subject", "text", "author", "given_at"}

func (a *App) instructionForm(r *http.Request, prefix, action, submit string, values, errs map[string]string) *instrForm {
	f := &instrForm{ID: prefix, Action: action, Submit: submit}
	f.Inputs = []instrInput{a.instrField(r, prefix, "subject", "text", false, values, errs), a.instrField(r, prefix, "text", "textarea", false, values, errs),
		a.instrField(r, prefix, "author", "text", false, values, errs), a.instrField(r, prefix, "given_at", "date", false, values, errs)}
	return f
}

// renderInstructions builds the list of tenant t's instructions with the
// forms the viewer may use; form/values/errs refill the refused one.
func (a *App) renderInstructions(w http.ResponseWriter, r *http.Request, actor audit.Actor, t tenant.Tenant, realm, canWrite bool, status int,
	form string, values, errs map[string]string, summary fieldErrors) {
	slug := tenantFrom(r.Context()).Slug
	p := instructionsPage{Slug: slug, TenantSlug: t.Slug, TenantName: t.LegalName, Realm: realm, Errors: summary,
		Done: r.URL.Query().Get("done"), CanWrite: canWrite}
	if t.ID != "" {
		list, err := a.opts.Store.Instructions(r.Context(), actor, t.ID)
		if err != nil {
			a.internalError(w, r, "instructions", err)
			return
		}
		for _, ins := range list {
			v := instructionView{Instruction: ins, Steps: a.dutySteps(r, ins.Steps)}
			vals, es := map[string]string{}, map[string]string{}
			if form == ins.ID {
				vals, es = values, errs
			}
			switch {
			case realm && ins.Status != store.InstructionWithdrawn:
				v.Flag = &instrForm{ID: ins.ID, Action: "/" + slug + "/instructions/" + t.Slug + "/" + ins.ID + "/flag", Submit: a.t(r, "instr.flag.submit"),
					Inputs: []instrInput{a.instrField(r, ins.ID, "reasoning", "textarea", false, vals, es)}}
			case !realm && canWrite && ins.Status != store.InstructionWithdrawn:
				if vals["subject"] == "" && form != ins.ID {
					vals = map[string]string{"subject": ins.Subject, "text": ins.Text, "author": ins.Author, "given_at": dayText(ins.GivenAt)}
				}
				f := a.instructionForm(r, ins.ID, "/"+slug+"/admin/instructions/"+ins.ID+"/answer", a.t(r, "instr.answer.submit"), vals, es)
				answer := instrInput{ID: ins.ID + "-answer", Name: "answer", Label: a.t(r, "instr.field.answer"), Kind: "select", Error: es["answer"]}
				for _, o := range []string{"", store.AnswerConfirm, store.AnswerAmend, store.AnswerWithdraw} {
					if o == store.AnswerConfirm && ins.Status != store.InstructionFlagged {
						continue
					}
					answer.Options = append(answer.Options, breachChoice{Value: o, Label: a.t(r, "instr.answer."+answerKey(o)), Checked: vals["answer"] == o})
				}
				f.Inputs = append([]instrInput{answer, a.instrField(r, ins.ID, "note", "textarea", true, vals, es)}, f.Inputs...)
				f.Lead = a.t(r, "instr.answer.lead")
				v.Answer = f
			}
			p.Items = append(p.Items, v)
		}
	}
	if realm {
		var err error
		if p.Tenants, err = a.realmTenantOptions(r, t.Slug); err != nil {
			a.internalError(w, r, "tenants", err)
			return
		}
	} else if canWrite {
		vals, es := map[string]string{}, map[string]string{}
		if form == "new" {
			vals, es = values, errs
		}
		p.Record = a.instructionForm(r, "new", "/"+slug+"/admin/instructions", a.t(r, "instr.record.submit"), vals, es)
	}
	a.render(w, r, status, "instructions", p)
}

// answerKey is the catalogue key's last part of an answer option.
func answerKey(s string) string {
	if s == "" {
		return "choose"
	}
	return s
}

// instructionsShow is the controller's page.
func (a *App) instructionsShow(w http.ResponseWriter, r *http.Request, me account.User) {
	a.renderInstructions(w, r, userActor(me, RequestIDFrom(r.Context())), tenantFrom(r.Context()), false,
		account.Can(me.Role, account.HandleRequests), http.StatusOK, "", nil, nil, nil)
}

// instructionInput reads the posted instruction; bad holds an unreadable
// date.
func instructionInput(r *http.Request) (store.InstructionInput, map[string]string, map[string]string) {
	f := r.PostForm
	values := map[string]string{"subject": f.Get("subject"), "text": f.Get("text"), "author": f.Get("author"), "given_at": f.Get("given_at"),
		"answer": f.Get("answer"), "note": f.Get("note")}
	bad := map[string]string{}
	day, ok := parseOptionalDay(values["given_at"])
	if !ok {
		bad["given_at"] = "instr.error.date"
	}
	return store.InstructionInput{Subject: values["subject"], Text: values["text"], Author: values["author"], GivenAt: day}, values, bad
}

// instructionRecord records the controller's new instruction.
func (a *App) instructionRecord(w http.ResponseWriter, r *http.Request, me account.User) {
	if !a.parseForm(w, r) {
		return
	}
	in, values, bad := instructionInput(r)
	actor := userActor(me, RequestIDFrom(r.Context()))
	var err error
	if len(bad) == 0 {
		_, err = a.opts.Store.RecordInstruction(r.Context(), actor, tenantFrom(r.Context()).ID, in)
	} else {
		in.GivenAt = a.opts.Store.Now()
		err = store.ValidateInstruction(in, in.GivenAt)
	}
	a.afterInstruction(w, r, me, "new", instructionOrder, values, bad, err)
}

// afterInstruction redirects after a saved step or shows the page again
// with the refusal.
func (a *App) afterInstruction(w http.ResponseWriter, r *http.Request, me account.User, form string, order []string, values, bad map[string]string, err error) {
	if err == nil && len(bad) == 0 {
		http.Redirect(w, r, "/"+tenantFrom(r.Context()).Slug+"/admin/instructions?done=saved", http.StatusSeeOther)
		return
	}
	if errors.Is(err, store.ErrNotFound) {
		a.notFound(w, r)
		return
	}
	if errors.Is(err, store.ErrControllerOnly) {
		a.error(w, r, http.StatusForbidden)
		return
	}
	msgs, summary, ok := a.instrErrors(r, form, order, bad, err)
	if !ok {
		a.internalError(w, r, "instruction", err)
		return
	}
	a.renderInstructions(w, r, userActor(me, RequestIDFrom(r.Context())), tenantFrom(r.Context()), false, true,
		http.StatusUnprocessableEntity, form, values, msgs, summary)
}

// instructionAnswer records the controller's confirmation, amendment or
// withdrawal.
func (a *App) instructionAnswer(w http.ResponseWriter, r *http.Request, me account.User) {
	if !a.parseForm(w, r) {
		return
	}
	in, values, bad := instructionInput(r)
	id := r.PathValue("id")
	if values["answer"] != store.AnswerAmend {
		delete(bad, "given_at")
	}
	var err error
	if len(bad) == 0 {
		err = a.opts.Store.AnswerInstruction(r.Context(), userActor(me, RequestIDFrom(r.Context())), tenantFrom(r.Context()).ID, id,
			values["answer"], values["note"], in)
	}
	a.afterInstruction(w, r, me, id, append([]string{"answer", "note"}, instructionOrder...), values, bad, err)
}

// realmTenantQuery is the controller the realm page's query names
// (?tenant=), or the zero tenant for none chosen.
func (a *App) realmTenantQuery(r *http.Request) (tenant.Tenant, error) {
	slug := r.URL.Query().Get("tenant")
	if slug == "" {
		return tenant.Tenant{}, nil
	}
	t, ok, err := a.realmTenant(r, slug)
	if err != nil || !ok {
		return tenant.Tenant{}, err
	}
	return t, nil
}

// operatorInstructionsShow lists a chosen controller's instructions for
// supplier staff, each with the flag form.
func (a *App) operatorInstructionsShow(w http.ResponseWriter, r *http.Request, me account.User) {
	t, err := a.realmTenantQuery(r)
	if err != nil {
		a.internalError(w, r, "instructions tenant", err)
		return
	}
	a.renderInstructions(w, r, breachOperatorActor(me, r), t, true, true, http.StatusOK, "", nil, nil, nil)
}

// operatorInstructionFlag flags an instruction as infringing the GDPR and
// tells the controller at once (REG-3).
func (a *App) operatorInstructionFlag(w http.ResponseWriter, r *http.Request, me account.User) {
	if !a.parseForm(w, r) {
		return
	}
	t, ok := a.realmTenantOr404(w, r)
	if !ok {
		return
	}
	id, values := r.PathValue("id"), map[string]string{"reasoning": r.PostForm.Get("reasoning")}
	err := a.opts.Store.FlagInstruction(r.Context(), breachOperatorActor(me, r), t.ID, id, values["reasoning"], a.dutyMail)
	switch {
	case err == nil:
		http.Redirect(w, r, "/"+tenantFrom(r.Context()).Slug+"/instructions?tenant="+t.Slug+"&done=flagged", http.StatusSeeOther)
		return
	case errors.Is(err, store.ErrNotFound):
		a.notFound(w, r)
		return
	}
	msgs, summary, known := a.instrErrors(r, id, []string{"reasoning"}, nil, err)
	if !known {
		a.internalError(w, r, "flag instruction", err)
		return
	}
	a.renderInstructions(w, r, breachOperatorActor(me, r), t, true, true, http.StatusUnprocessableEntity, id, values, msgs, summary)
}
