package web

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/form"
	"github.com/kluis/kluis/internal/register"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/webhook"
)

// The comparison of two register versions (REG-1), in sentences: before
// a change from the browser is saved (with what it affects: forms,
// webhooks, retention) and between any two saved versions.

// changeView is one change as the page says it: a heading sentence and a
// line per field.
type changeView struct {
	Op    string // register.Added, Removed or Changed
	Title string
	Lines []string
}

// changeViews words register.Diff(old, new) in the reader's language.
func (a *App) changeViews(r *http.Request, old, new register.Register) []changeView {
	var out []changeView
	for _, c := range register.Diff(old, new) {
		cv := changeView{Op: c.Op}
		named := new
		if c.Op == register.Removed {
			named = old
		}
		if c.Section == "" {
			cv.Title = a.t(r, "regedit.diff.general")
		} else {
			cv.Title = a.t(r, "regedit.diff."+c.Op, a.t(r, "regedit.one."+c.Section),
				itemName(named, c.Section, c.Key, string(LangFrom(r.Context()))))
		}
		for _, f := range c.Fields {
			cv.Lines = append(cv.Lines, a.fieldChangeLine(r, c, f, old, new))
		}
		out = append(out, cv)
	}
	return out
}

// fieldChangeLine is one field of a change as a sentence: "Bewaartermijn:
// 730 dagen → 365 dagen", "Doelen: «Analyse» toegevoegd".
func (a *App) fieldChangeLine(r *http.Request, c register.Change, f register.FieldChange, old, new register.Register) string {
	label := a.t(r, "regedit.field."+f.Field)
	if f.Lang != "" {
		label = a.t(r, "regedit.diff.in_lang", label, a.t(r, "regedit.lang."+f.Lang))
	}
	if len(f.Added)+len(f.Removed) > 0 {
		var parts []string
		if len(f.Added) > 0 {
			parts = append(parts, a.t(r, "regedit.diff.list_added", a.listValues(r, f.Field, f.Added, new)))
		}
		if len(f.Removed) > 0 {
			parts = append(parts, a.t(r, "regedit.diff.list_removed", a.listValues(r, f.Field, f.Removed, old)))
		}
		return label + ": " + strings.Join(parts, "; ")
	}
	if c.Op == register.Added {
		return label + ": " + a.valueText(r, f.Field, f.New)
	}
	return a.t(r, "regedit.diff.field", label, a.valueText(r, f.Field, f.Old), a.valueText(r, f.Field, f.New))
}

// listValues names the values of a list field: items by name, others as
// they are.
func (a *App) listValues(r *http.Request, field string, vs []string, reg register.Register) string {
	out := make([]string, len(vs))
	for i, v := range vs {
		if _, ok := sectionByDoc(field); ok {
			v = "«" + itemName(reg, field, v, string(LangFrom(r.Context()))) + "»"
		}
		out[i] = v
	}
	return strings.Join(out, ", ")
}

// valueText is one value of a field for people: codes by their words.
func (a *App) valueText(r *http.Request, field, v string) string {
	if v == "" && field == "retention_start" {
		v = register.StartSubmission // unset means from submission
	}
	if v == "" {
		return a.t(r, "regedit.diff.empty")
	}
	switch field {
	case "class":
		return a.classLabel(r, v)
	case "legal_basis":
		return a.t(r, "legal_basis."+v)
	case "art9_basis":
		return a.t(r, "art9."+v)
	case "expiry":
		return a.t(r, "regedit.expiry."+v)
	case "retention_start":
		return a.t(r, "regedit.start."+v)
	case "kind":
		return a.t(r, "recipient_kind."+v)
	case "transfer_mechanism":
		return a.t(r, "mechanism."+v)
	case "retention_days":
		return a.t(r, "regedit.days", v)
	}
	return "«" + v + "»"
}

// regImpacts is what a change affects beyond the register.
type regImpacts struct {
	Forms     []string // published forms whose questions use a changed or removed category or purpose
	Hooks     []string // webhooks that stop receiving (REG-2)
	Retention []retentionImpact
}

// retentionImpact is a changed retention of one category and the forms
// whose data it applies to.
type retentionImpact struct {
	Lines []string
	Forms string // the forms' titles, "" when no form collects it
	// Tonight is how many submissions' data of the category the change
	// makes expire at the next nightly run (a dry run under the new
	// register, SEC-1).
	Tonight int64
	key     string
}

// impacts works out what changing old into new affects: the tenant's
// forms and webhooks. Form definitions and hooks hold no personal data:
// the reads are not audited.
func (a *App) impacts(r *http.Request, old, new register.Register) (regImpacts, error) {
	var im regImpacts
	tid := tenantFrom(r.Context()).ID
	lang := string(LangFrom(r.Context()))
	changes := register.Diff(old, new)
	touched := map[string]map[string]string{"categories": {}, "purposes": {}} // section → key → op
	for _, c := range changes {
		if m, ok := touched[c.Section]; ok && c.Op != register.Added {
			m[c.Key] = c.Op
		}
	}
	forms, err := a.opts.Store.AllFormVersions(r.Context(), tid)
	if err != nil {
		return im, err
	}
	// Newest version first per key: the title people know.
	titles := map[string]string{}
	var keys []string
	for _, fv := range forms {
		if _, seen := titles[fv.Key]; !seen {
			titles[fv.Key] = fv.Form.Title.In(lang)
			keys = append(keys, fv.Key)
		}
	}
	for _, fv := range forms {
		if fv.Status != store.FormPublished {
			continue
		}
		var uses []string
		for _, fl := range fv.Form.Fields() {
			for section, k := range map[string]string{"categories": fl.Category, "purposes": fl.Purpose} {
				if op, ok := touched[section][k]; ok {
					named := new
					if op == register.Removed {
						named = old
					}
					u := a.t(r, "regedit.impact.uses."+op, itemName(named, section, k, lang))
					if !slices.Contains(uses, u) {
						uses = append(uses, u)
					}
				}
			}
		}
		if len(uses) > 0 {
			slices.Sort(uses)
			im.Forms = append(im.Forms, a.t(r, "regedit.impact.form", fv.Form.Title.In(lang), strings.Join(uses, ", ")))
		}
	}
	for _, c := range changes {
		if c.Section != "categories" || c.Op != register.Changed {
			continue
		}
		var ri retentionImpact
		for _, f := range c.Fields {
			switch f.Field {
			case "retention_days":
				o, _ := strconv.Atoi(f.Old)
				n, _ := strconv.Atoi(f.New)
				key := "regedit.impact.longer"
				if n < o {
					key = "regedit.impact.shorter"
				}
				ri.Lines = append(ri.Lines, a.t(r, key, itemName(new, "categories", c.Key, lang), o, n))
			case "expiry", "retention_start":
				ri.Lines = append(ri.Lines, a.t(r, "regedit.impact."+f.Field, itemName(new, "categories", c.Key, lang),
					a.valueText(r, f.Field, f.Old), a.valueText(r, f.Field, f.New)))
			}
		}
		if len(ri.Lines) == 0 {
			continue
		}
		var using []string
		for _, k := range keys {
			for _, fv := range forms {
				if fv.Key != k || slices.Contains(using, titles[k]) {
					continue
				}
				if slices.ContainsFunc(fv.Form.Fields(), func(fl form.Field) bool { return fl.Category == c.Key }) {
					using = append(using, titles[k])
				}
			}
		}
		ri.Forms = strings.Join(using, ", ")
		ri.key = c.Key
		im.Retention = append(im.Retention, ri)
	}
	if len(im.Retention) > 0 {
		// What the new register makes expire at the next run, before it is
		// saved: a dry run, which opens and changes nothing.
		me, _ := staffFrom(r.Context())
		rep, err := a.opts.Store.RunRetention(r.Context(), userActor(me, RequestIDFrom(r.Context())), tid,
			store.RetentionOptions{DryRun: true, Register: &new})
		if err != nil {
			return im, err
		}
		for i := range im.Retention {
			for _, c := range rep.Counts {
				if c.Category == im.Retention[i].key {
					im.Retention[i].Tonight += c.Count
				}
			}
		}
	}
	hooks, err := a.opts.Store.Webhooks(r.Context(), tid)
	if err != nil {
		return im, err
	}
	for _, h := range hooks {
		if h.Status != store.WebhookActive {
			continue
		}
		entry, before := webhook.Destination(old, h.URL, h.EntryRef())
		if _, after := webhook.Destination(new, h.URL, h.EntryRef()); before == nil && after != nil {
			im.Hooks = append(im.Hooks, a.t(r, "regedit.impact.hook", h.Origin, entry.Name.In(lang)))
		}
	}
	return im, nil
}

// regPreviewPage compares the current register with the change proposed.
type regPreviewPage struct {
	Slug, TenantName string
	Section          string
	Current          int
	Changes          []changeView
	Impacts          regImpacts
	Hidden           []hiddenInput
	// Upload is set for an uploaded document: Document is it (as JSON),
	// to be saved over version Current.
	Upload   bool
	Document string
}

// langForm makes the language switch post the comparison's form, so that
// the change compared stays.
func (regPreviewPage) langForm() string { return "register-preview-form" }

// renderRegisterPreview shows what the change e makes of the current
// version cur (prop) before it is saved.
func (a *App) renderRegisterPreview(w http.ResponseWriter, r *http.Request, cur store.RegisterVersion, prop register.Register, e regEdit) {
	im, err := a.impacts(r, cur.Register, prop)
	if err != nil {
		a.internalError(w, r, "register change impacts", err)
		return
	}
	t := tenantFrom(r.Context())
	a.render(w, r, http.StatusOK, "register-preview", regPreviewPage{Slug: t.Slug, TenantName: t.LegalName, Section: e.Section.Slug,
		Current: cur.Version, Changes: a.changeViews(r, cur.Register, prop), Impacts: im, Hidden: e.hiddenInputs()})
}

// regComparePage compares two saved versions.
type regComparePage struct {
	Slug, TenantName string
	Versions         []registerHistoryItem
	From, To         int
	Changes          []changeView
	Errors           fieldErrors
	Selects          []versionSelect // "from" and "to"
}

// versionSelect is one of the two version choices.
type versionSelect struct {
	ID, Label, Error string
	Chosen           int
}

// registerCompare compares two saved versions of the register, chosen
// from the history (?from=N&to=M; by default the one before the current
// and the current) (ViewRegister).
func (a *App) registerCompare(w http.ResponseWriter, r *http.Request, _ account.User) {
	t := tenantFrom(r.Context())
	hist, err := a.opts.Store.RegisterHistory(r.Context(), t.ID)
	if err != nil {
		a.internalError(w, r, "register history", err)
		return
	}
	page := regComparePage{Slug: t.Slug, TenantName: t.LegalName}
	for _, h := range hist {
		page.Versions = append(page.Versions, registerHistoryItem{Version: h.Version, Saved: datetime(h.CreatedAt)})
	}
	if len(hist) < 2 {
		a.render(w, r, http.StatusOK, "register-compare", page)
		return
	}
	page.From, page.To = hist[1].Version, hist[0].Version
	q := r.URL.Query()
	status := http.StatusOK
	for _, p := range []struct {
		name string
		n    *int
	}{{"from", &page.From}, {"to", &page.To}} {
		s := q.Get(p.name)
		if s == "" {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil || !slices.ContainsFunc(hist, func(h store.RegisterVersion) bool { return h.Version == n }) {
			page.Errors = append(page.Errors, fieldError{p.name, a.t(r, "regedit.compare.unknown")})
			status = http.StatusUnprocessableEntity
			continue
		}
		*p.n = n
	}
	page.Selects = []versionSelect{
		{ID: "from", Label: a.t(r, "regedit.compare.from"), Error: page.Errors.For("from"), Chosen: page.From},
		{ID: "to", Label: a.t(r, "regedit.compare.to"), Error: page.Errors.For("to"), Chosen: page.To},
	}
	if status == http.StatusOK {
		from, err := a.opts.Store.RegisterAt(r.Context(), t.ID, page.From)
		if err == nil {
			var to store.RegisterVersion
			if to, err = a.opts.Store.RegisterAt(r.Context(), t.ID, page.To); err == nil {
				page.Changes = a.changeViews(r, from.Register, to.Register)
			}
		}
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			a.internalError(w, r, "read register", err)
			return
		}
	}
	a.render(w, r, status, "register-compare", page)
}
