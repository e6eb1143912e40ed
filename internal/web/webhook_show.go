package web

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/register"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/webhook"
)

// webhookDeliveriesShown is how many recent deliveries each hook shows.
const webhookDeliveriesShown = 5

// webhookRow is one hook on the page, with the register entry it is
// registered under as the current register sees it.
type webhookRow struct {
	store.Webhook
	EventLabels []string
	Entry       string // the entry's name, kind and country, or its reference when gone
	Problem     string // why it would be refused now (naming the rule), or ""
	Deliveries  []store.WebhookDelivery
}

type webhookOption struct {
	Value, Label string
	Selected     bool
}

// webhooksPage is the tenant's webhook page: the hooks, and for admins
// the form to add one.
type webhooksPage struct {
	Slug, TenantName string
	CanEdit          bool
	Hooks            []webhookRow
	Entries          []webhookOption
	Events           []webhookOption
	Form             struct{ URL string }
	Errors           fieldErrors
	Done             string
	// Secret is the new hook's signing secret, shown this once.
	Secret  string
	Created string // the new hook's URL
}

// webhooksShow lists the tenant's webhooks (ViewSettings): destination,
// register entry, status and recent deliveries; admins add, disable and
// delete them.
func (a *App) webhooksShow(w http.ResponseWriter, r *http.Request, me account.User) {
	var p webhooksPage
	switch d := r.URL.Query().Get("done"); d {
	case "disabled", "deleted":
		p.Done = "webhooks.done." + d
	}
	a.renderWebhooks(w, r, me, http.StatusOK, p, nil, "")
}

// webhookCreate adds a hook. The store checks the destination against the
// current register (REG-2, LOC-1); a refusal comes back field by field,
// naming the rule, and nothing is saved. On success the page shows the
// secret once, without a redirect that would have to carry it.
func (a *App) webhookCreate(w http.ResponseWriter, r *http.Request, me account.User) {
	if !a.parseForm(w, r) {
		return
	}
	t := tenantFrom(r.Context())
	in := store.NewWebhook{URL: strings.TrimSpace(r.PostForm.Get("url")), Events: r.PostForm["events"], Entry: r.PostForm.Get("entry")}
	var p webhooksPage
	p.Form.URL = in.URL
	hook, secret, err := a.opts.Store.CreateWebhook(r.Context(), userActor(me, RequestIDFrom(r.Context())), t.ID, in)
	var refused *store.WebhookRefusedError
	switch {
	case errors.As(err, &refused):
		for _, field := range []string{"url", "events", "entry"} {
			for _, pr := range refused.Problems {
				if pr.Field == field {
					p.Errors = append(p.Errors, fieldError{"webhook-" + field, a.t(r, pr.Key, pr.Args...)})
				}
			}
		}
		a.renderWebhooks(w, r, me, http.StatusUnprocessableEntity, p, in.Events, in.Entry)
	case errors.Is(err, store.ErrNotFound):
		a.notFound(w, r)
	case err != nil:
		a.internalError(w, r, "create webhook", err)
	default:
		p.Form.URL = ""
		p.Secret, p.Created = secret, hook.URL
		w.Header().Set("Cache-Control", "no-store")
		a.renderWebhooks(w, r, me, http.StatusCreated, p, nil, "")
	}
}

// webhookDisable stops a hook; its pending deliveries are cancelled.
func (a *App) webhookDisable(w http.ResponseWriter, r *http.Request, me account.User) {
	a.endWebhook(w, r, me, "disabled", a.opts.Store.DisableWebhook)
}

// webhookDelete removes a hook and erases its secret.
func (a *App) webhookDelete(w http.ResponseWriter, r *http.Request, me account.User) {
	a.endWebhook(w, r, me, "deleted", a.opts.Store.DeleteWebhook)
}

func (a *App) endWebhook(w http.ResponseWriter, r *http.Request, me account.User, done string,
	end func(context.Context, audit.Actor, string, string) error) {
	t := tenantFrom(r.Context())
	err := end(r.Context(), userActor(me, RequestIDFrom(r.Context())), t.ID, r.PathValue("id"))
	switch {
	case errors.Is(err, store.ErrNotFound):
		a.notFound(w, r)
	case errors.Is(err, store.ErrConflict): // disabled already: the page shows it
		http.Redirect(w, r, "/"+t.Slug+"/admin/webhooks", http.StatusSeeOther)
	case err != nil:
		a.internalError(w, r, "end webhook", err)
	default:
		http.Redirect(w, r, "/"+t.Slug+"/admin/webhooks?done="+done, http.StatusSeeOther)
	}
}

// renderWebhooks fills in the hooks, the register entries and the events
// (events and entry as chosen when the form comes back) and renders.
func (a *App) renderWebhooks(w http.ResponseWriter, r *http.Request, me account.User, status int, p webhooksPage,
	events []string, entry string) {
	t := tenantFrom(r.Context())
	lang := a.langOf(r)
	p.Slug, p.TenantName, p.CanEdit = t.Slug, t.LegalName, account.Can(me.Role, account.EditSettings)
	var reg register.Register
	rv, err := a.opts.Store.CurrentRegister(r.Context(), t.ID)
	switch {
	case err == nil:
		reg = rv.Register
	case !errors.Is(err, store.ErrNotFound):
		a.internalError(w, r, "current register", err)
		return
	}
	entryLabel := func(e webhook.Entry) string {
		return a.t(r, "webhooks.entry."+e.Kind, e.Name.In(string(lang)), strings.ToUpper(e.Country))
	}
	hooks, err := a.opts.Store.Webhooks(r.Context(), t.ID)
	if err != nil {
		a.internalError(w, r, "list webhooks", err)
		return
	}
	for _, h := range hooks {
		row := webhookRow{Webhook: h, Entry: h.EntryRef()}
		for _, e := range h.Events {
			row.EventLabels = append(row.EventLabels, a.t(r, "webhooks.event."+e))
		}
		e, problem := webhook.Destination(reg, h.URL, h.EntryRef())
		if e.Key != "" {
			row.Entry = entryLabel(e)
		}
		if problem != nil {
			row.Problem = a.t(r, problem.Key, problem.Args...)
		}
		if row.Deliveries, err = a.opts.Store.WebhookDeliveries(r.Context(), t.ID, h.ID, webhookDeliveriesShown); err != nil {
			a.internalError(w, r, "list webhook deliveries", err)
			return
		}
		p.Hooks = append(p.Hooks, row)
	}
	p.Entries = []webhookOption{{Value: "", Label: a.t(r, "webhooks.form.entry_auto"), Selected: entry == ""}}
	for _, e := range webhook.Entries(reg) {
		p.Entries = append(p.Entries, webhookOption{Value: e.Ref(), Label: entryLabel(e), Selected: e.Ref() == entry})
	}
	if events == nil && status != http.StatusUnprocessableEntity {
		events = []string{webhook.EventSubmissionCreated}
	}
	for _, e := range webhook.Events {
		p.Events = append(p.Events, webhookOption{Value: e, Label: a.t(r, "webhooks.event."+e), Selected: slices.Contains(events, e)})
	}
	a.render(w, r, status, "webhooks", p)
}
