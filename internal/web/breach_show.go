package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/breach"
	"github.com/kluis/kluis/internal/locale"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/tenant"
	"github.com/kluis/kluis/internal/workdays"
)

// The breach register in the back office (BRE-1…BRE-5): the controller's
// admins and DPO see every breach with its clocks in words, open and
// complete the annex-2 form, read its history with the proof of each
// notification, record when they notified the GBA and the people affected
// (Kluis never does: BRE-3) with a draft text to start from, and export
// the form as PDF and the register as CSV. Supplier staff open and update
// breaches from the operators' realm (breach_operator.go). The store
// audits every read and write.

// breachChoice is one option of a radio or checkbox group.
type breachChoice struct {
	Value, Label string
	Checked      bool
}

// breachGroup is a section's radio (Multi false) or checkbox group; its
// inputs are Name-Value.
type breachGroup struct {
	Name    string
	Multi   bool
	Error   string
	Options []breachChoice
}

// breachInput is one text input of the form.
type breachInput struct {
	ID, Label, Hint, Value, Error string
	Kind                          string // text, email, tel, numeric, datetime, textarea
	Required                      bool
}

// DescribedBy is the input's aria-describedby: its hint and its error.
func (in breachInput) DescribedBy() string {
	var ids []string
	if in.Hint != "" {
		ids = append(ids, in.ID+"-hint")
	}
	if in.Error != "" {
		ids = append(ids, in.ID+"-error")
	}
	return strings.Join(ids, " ")
}

// breachSection is one fieldset of the form, in the order of annex 2.
type breachSection struct {
	Legend string
	Group  *breachGroup
	Inputs []breachInput
}

// breachFormPage is the annex-2 form, on a tenant's pages or the
// operators' realm (Realm: with the tenant to choose and whether to notify).
type breachFormPage struct {
	Slug, TenantName string
	Heading, Lead    string
	Action, Submit   string
	Realm            bool
	Tenants          []tenantOption
	Notify           bool
	Sections         []breachSection
	Errors           fieldErrors
	// On the realm's update form: the supplier's access grants it can end
	// (BRE-2), posted to ContainAction.
	Contain       []containGroup
	ContainAction string
}

// breachFields are the inputs in the order of the form and its error
// summary; a group's error links to its first option.
var breachFields = []string{"tenant", "contact_name", "contact_email", "contact_phone", "company_name", "company_address", "company_vat",
	"discoverer_name", "discoverer_title", "discovered_at", "description", "occurred", "occurred_from", "occurred_until", "classes",
	"class_other", "people", "people_min", "people_max", "group", "circumstances", "encrypted", "encrypted_how", "measures"}

// breachGroupFirst is the input a group's error links to.
var breachGroupFirst = map[string]string{"occurred": "occurred-A", "classes": "classes-A", "people": "people-A",
	"circumstances": "circumstances-A", "encrypted": "encrypted-yes"}

// breachValues is the form as typed.
type breachValues map[string]string

func localTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(workdays.Brussels).Format("02.01.2006 15:04")
}

func countText(n *int) string {
	if n == nil {
		return ""
	}
	return strconv.Itoa(*n)
}

// valuesOf is a saved report as the form shows it.
func valuesOf(rep breach.Report) (breachValues, map[string]bool) {
	v := breachValues{"contact_name": rep.ContactName, "contact_email": rep.ContactEmail, "contact_phone": rep.ContactPhone,
		"company_name": rep.CompanyName, "company_address": rep.CompanyAddress, "company_vat": rep.CompanyVAT,
		"discoverer_name": rep.DiscovererName, "discoverer_title": rep.DiscovererTitle, "discovered_at": localTime(rep.DiscoveredAt),
		"description": rep.Description, "occurred": rep.Occurred, "occurred_from": localTime(rep.OccurredFrom),
		"occurred_until": localTime(rep.OccurredUntil), "class_other": rep.ClassOther, "people": rep.People,
		"people_min": countText(rep.PeopleMin), "people_max": countText(rep.PeopleMax), "group": rep.Group,
		"encrypted": rep.Encrypted, "encrypted_how": rep.EncryptedHow, "measures": rep.Measures}
	checked := map[string]bool{}
	for _, c := range rep.Classes {
		checked["classes-"+c] = true
	}
	for _, c := range rep.Circumstances {
		checked["circumstances-"+c] = true
	}
	return v, checked
}

// parseBreachForm reads the posted form into a report; bad holds the
// fields that could not be read (a date, a count), as message keys.
func parseBreachForm(r *http.Request) (breach.Report, breachValues, map[string]bool, map[string]string) {
	f := r.PostForm
	v := breachValues{}
	for _, k := range breachFields {
		v[k] = strings.TrimSpace(f.Get(k))
	}
	v["description"], v["measures"], v["group"], v["encrypted_how"] = f.Get("description"), f.Get("measures"), f.Get("group"), f.Get("encrypted_how")
	checked := map[string]bool{}
	rep := breach.Report{ContactName: v["contact_name"], ContactEmail: v["contact_email"], ContactPhone: v["contact_phone"],
		CompanyName: v["company_name"], CompanyAddress: v["company_address"], CompanyVAT: v["company_vat"],
		DiscovererName: v["discoverer_name"], DiscovererTitle: v["discoverer_title"], Description: v["description"],
		Occurred: v["occurred"], ClassOther: v["class_other"], People: v["people"], Group: v["group"], Encrypted: v["encrypted"],
		EncryptedHow: v["encrypted_how"], Measures: v["measures"], Classes: f["classes"], Circumstances: f["circumstances"]}
	for _, c := range rep.Classes {
		checked["classes-"+c] = true
	}
	for _, c := range rep.Circumstances {
		checked["circumstances-"+c] = true
	}
	bad := map[string]string{}
	for _, d := range []struct {
		field string
		dst   *time.Time
	}{{"discovered_at", &rep.DiscoveredAt}, {"occurred_from", &rep.OccurredFrom}, {"occurred_until", &rep.OccurredUntil}} {
		if v[d.field] == "" {
			continue
		}
		t, err := workdays.ParseLocal(v[d.field])
		if err != nil {
			bad[d.field] = "breach.error.datetime"
			continue
		}
		*d.dst = t
	}
	for _, c := range []struct {
		field string
		dst   **int
	}{{"people_min", &rep.PeopleMin}, {"people_max", &rep.PeopleMax}} {
		if v[c.field] == "" {
			continue
		}
		n, err := strconv.Atoi(v[c.field])
		if err != nil || n < 0 || n > 1_000_000_000 {
			bad[c.field] = "breach.error.count"
			continue
		}
		*c.dst = &n
	}
	return rep, v, checked, bad
}

// breachFormSections builds the form's fieldsets in annex-2 order.
func (a *App) breachFormSections(r *http.Request, v breachValues, checked map[string]bool, errs map[string]string) []breachSection {
	in := func(id, kind string, required bool) breachInput {
		b := breachInput{ID: id, Label: a.t(r, "breach.field."+id), Value: v[id], Error: errs[id], Kind: kind, Required: required}
		if kind == "datetime" {
			b.Hint = a.t(r, "breach.hint.datetime")
		}
		return b
	}
	group := func(name string, multi bool, values []string) *breachGroup {
		g := &breachGroup{Name: name, Multi: multi, Error: errs[name]}
		for _, val := range values {
			c := breachChoice{Value: val, Label: a.t(r, "breach."+name+"."+val)}
			if multi {
				c.Checked = checked[name+"-"+val]
			} else {
				c.Checked = v[name] == val
			}
			g.Options = append(g.Options, c)
		}
		return g
	}
	sec := func(key string, g *breachGroup, ins ...breachInput) breachSection {
		return breachSection{Legend: a.t(r, "breach.section."+key), Group: g, Inputs: ins}
	}
	return []breachSection{
		sec("contact", nil, in("contact_name", "text", false), in("contact_email", "email", false), in("contact_phone", "tel", false)),
		sec("company", nil, in("company_name", "text", false), in("company_address", "text", false), in("company_vat", "text", false)),
		sec("discovery", nil, in("discoverer_name", "text", false), in("discoverer_title", "text", false), in("discovered_at", "datetime", true)),
		sec("description", nil, in("description", "textarea", true)),
		sec("occurred", group("occurred", false, breach.OccurredKinds), in("occurred_from", "datetime", false), in("occurred_until", "datetime", false)),
		sec("classes", group("classes", true, breach.Classes), in("class_other", "text", false)),
		sec("people", group("people", false, breach.PeopleKinds), in("people_min", "numeric", false), in("people_max", "numeric", false),
			in("group", "textarea", false)),
		sec("circumstances", group("circumstances", true, breach.Circumstances)),
		sec("encrypted", group("encrypted", false, breach.EncryptedKinds), in("encrypted_how", "textarea", false)),
		sec("measures", nil, in("measures", "textarea", false)),
	}
}

// breachErrors are the form's problems in form order, each linked to its
// input (a group's to its first option), in the reader's language.
func (a *App) breachErrors(r *http.Request, errs map[string]string) fieldErrors {
	var out fieldErrors
	for _, f := range breachFields {
		if key, ok := errs[f]; ok {
			id := f
			if first, ok := breachGroupFirst[f]; ok {
				id = first
			}
			out = append(out, fieldError{id, a.t(r, key)})
		}
	}
	return out
}

// translated turns message keys into the reader's messages.
func (a *App) translated(r *http.Request, keys map[string]string) map[string]string {
	out := make(map[string]string, len(keys))
	for f, k := range keys {
		out[f] = a.t(r, k)
	}
	return out
}

// breachNotifyMail is the notification of a breach to the controller, in
// its default language (BRE-1): the municipality, the discovery, the
// deadline and the version, and the link to the form in Kluis; the form
// itself stays in Kluis.
func (a *App) breachNotifyMail(t tenant.Tenant, b store.Breach) store.OutgoingMail {
	l, ok := locale.Parse(t.DefaultLang)
	if !ok {
		l = locale.NL
	}
	link := a.tenantLink(t, "/admin/breaches/"+b.ID)
	return store.OutgoingMail{Lang: string(l),
		Subject: locale.T(l, "breach.notify.subject", t.LegalName, b.Version),
		Body: locale.T(l, "breach.notify.body", t.LegalName, localTime(b.DiscoveredAt), localTime(b.ControllerClock(b.DiscoveredAt).Due),
			b.Version, link)}
}

// hoursText says a duration in whole hours, or minutes under an hour.
func (a *App) clockText(r *http.Request, key string, d time.Duration) string {
	if d < 0 {
		d = -d
	}
	if d < time.Hour {
		return a.t(r, key+"_minutes", int(d/time.Minute))
	}
	return a.t(r, key, int(d/time.Hour))
}

// breachClocks are a breach's clocks in words.
type breachClocks struct {
	Controller, Authority, Subjects string
	ControllerLate, ControllerWarn  bool
	AuthorityLate                   bool
}

// clockCell is one clock as the breach-clock template shows it.
type clockCell struct {
	Text       string
	Late, Warn bool
}

// ControllerCell is the clock to the controller (BRE-1).
func (c breachClocks) ControllerCell() clockCell {
	return clockCell{c.Controller, c.ControllerLate, c.ControllerWarn}
}

// AuthorityCell is the controller's clock to the GBA (BRE-3).
func (c breachClocks) AuthorityCell() clockCell {
	return clockCell{c.Authority, c.AuthorityLate, false}
}

func (a *App) breachClocks(r *http.Request, b store.Breach) breachClocks {
	now := a.opts.Store.Now()
	var c breachClocks
	switch cc := b.ControllerClock(now); {
	case cc.Done && cc.Late:
		c.Controller, c.ControllerLate = a.t(r, "breach.clock.controller.done_late", datetime(*b.NotifiedAt)), true
	case cc.Done:
		c.Controller = a.t(r, "breach.clock.controller.done", datetime(*b.NotifiedAt))
	case cc.Late:
		c.Controller, c.ControllerLate = a.clockText(r, "breach.clock.controller.overdue", cc.Left), true
	default:
		c.Controller, c.ControllerWarn = a.clockText(r, "breach.clock.controller.left", cc.Left), cc.Warn
	}
	switch ac := b.AuthorityClock(now); {
	case ac.Done:
		c.Authority = a.t(r, "breach.clock.gba.done", datetime(*b.GBANotifiedAt))
	case ac.Late:
		c.Authority, c.AuthorityLate = a.clockText(r, "breach.clock.gba.overdue", ac.Left), true
	default:
		c.Authority = a.clockText(r, "breach.clock.gba.left", ac.Left)
	}
	if b.SubjectsInformedAt != nil {
		c.Subjects = a.t(r, "breach.clock.subjects.done", datetime(*b.SubjectsInformedAt))
	} else {
		c.Subjects = a.t(r, "breach.clock.subjects.none")
	}
	return c
}

// breachRow is a breach in the list.
type breachRow struct {
	store.Breach
	Summary string
	Clocks  breachClocks
	Auto    string // why Kluis opened it as a draft on its own (BRE-1), or ""
}

type breachesPage struct {
	Slug, TenantName string
	Rows             []breachRow
	CanHandle        bool
}

// summary is the start of a description, for a list.
func summary(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 120 {
		return string(r[:119]) + "…"
	}
	return s
}

// breachesList shows the register, newest discovery first, with clocks.
func (a *App) breachesList(w http.ResponseWriter, r *http.Request, me account.User) {
	t := tenantFrom(r.Context())
	list, err := a.opts.Store.Breaches(r.Context(), userActor(me, RequestIDFrom(r.Context())), t.ID)
	if err != nil {
		a.internalError(w, r, "breaches", err)
		return
	}
	auto, err := a.opts.Store.BreachAttempts(r.Context(), t.ID)
	if err != nil {
		a.internalError(w, r, "breach attempts", err)
		return
	}
	p := breachesPage{Slug: t.Slug, TenantName: t.LegalName, CanHandle: account.Can(me.Role, account.HandleRequests)}
	for _, b := range list {
		d, ok := auto[b.ID]
		p.Rows = append(p.Rows, breachRow{Breach: b, Summary: summary(b.Report.Description), Clocks: a.breachClocks(r, b), Auto: a.attemptNote(r, b, d, ok)})
	}
	a.render(w, r, http.StatusOK, "breaches", p)
}

// breachNew shows the empty form, the discovery time set to now.
func (a *App) breachNew(w http.ResponseWriter, r *http.Request, me account.User) {
	t := tenantFrom(r.Context())
	v := breachValues{"discovered_at": localTime(a.opts.Store.Now().Truncate(time.Minute))}
	a.renderBreachForm(w, r, http.StatusOK, breachFormPage{Slug: t.Slug, TenantName: t.LegalName, Heading: a.t(r, "breach.new.heading"),
		Lead: a.t(r, "breach.new.lead"), Action: "/" + t.Slug + "/admin/breaches/new", Submit: a.t(r, "breach.form.submit")}, v, nil, nil)
}

func (a *App) renderBreachForm(w http.ResponseWriter, r *http.Request, status int, p breachFormPage, v breachValues, checked map[string]bool,
	errs map[string]string) {
	p.Sections = a.breachFormSections(r, v, checked, a.translated(r, errs))
	p.Errors = a.breachErrors(r, errs)
	a.render(w, r, status, "breach-form", p)
}

// saveBreach reads the posted form and saves it through save; on a
// refusal it re-renders p with every problem, field by field, and nothing
// saved. It returns the saved breach and whether it was.
func (a *App) saveBreach(w http.ResponseWriter, r *http.Request, p breachFormPage, extra map[string]string,
	save func(breach.Report) (store.Breach, error)) (store.Breach, bool) {
	rep, v, checked, bad := parseBreachForm(r)
	for f, k := range extra {
		bad[f] = k
	}
	var b store.Breach
	var err error
	if len(bad) == 0 {
		b, err = save(rep)
	} else {
		// The typed values that could be read are checked too, so that
		// every problem is named at once.
		for f, k := range rep.Validate(a.opts.Store.Now()) {
			if _, ok := bad[f]; !ok && !(f == "discovered_at" && v["discovered_at"] != "") {
				bad[f] = k
			}
		}
	}
	var ve *store.BreachValidationError
	switch {
	case errors.As(err, &ve):
		bad = ve.Fields
	case errors.Is(err, store.ErrNotFound):
		a.notFound(w, r)
		return b, false
	case err != nil:
		a.internalError(w, r, "save breach", err)
		return b, false
	}
	if len(bad) > 0 {
		a.renderBreachForm(w, r, http.StatusUnprocessableEntity, p, v, checked, bad)
		return b, false
	}
	return b, true
}

// breachCreate opens a breach as the signed-in member and notifies the
// controller's admins and DPO.
func (a *App) breachCreate(w http.ResponseWriter, r *http.Request, me account.User) {
	if !a.parseForm(w, r) {
		return
	}
	t := tenantFrom(r.Context())
	p := breachFormPage{Slug: t.Slug, TenantName: t.LegalName, Heading: a.t(r, "breach.new.heading"), Lead: a.t(r, "breach.new.lead"),
		Action: "/" + t.Slug + "/admin/breaches/new", Submit: a.t(r, "breach.form.submit")}
	b, ok := a.saveBreach(w, r, p, nil, func(rep breach.Report) (store.Breach, error) {
		return a.opts.Store.OpenBreach(r.Context(), userActor(me, RequestIDFrom(r.Context())), t.ID, rep, a.breachNotifyMail)
	})
	if ok {
		http.Redirect(w, r, "/"+t.Slug+"/admin/breaches/"+b.ID+"?done=saved", http.StatusSeeOther)
	}
}

// breachEdit shows the form filled with the latest version.
func (a *App) breachEdit(w http.ResponseWriter, r *http.Request, me account.User) {
	t := tenantFrom(r.Context())
	b, ok := a.breachOr404(w, r, userActor(me, RequestIDFrom(r.Context())), t.ID, r.PathValue("id"), "edit form")
	if !ok {
		return
	}
	v, checked := valuesOf(b.Report)
	a.renderBreachForm(w, r, http.StatusOK, a.breachEditPage(r, t, b.ID), v, checked, nil)
}

func (a *App) breachEditPage(r *http.Request, t tenant.Tenant, id string) breachFormPage {
	return breachFormPage{Slug: t.Slug, TenantName: t.LegalName, Heading: a.t(r, "breach.edit.heading"), Lead: a.t(r, "breach.edit.lead"),
		Action: "/" + t.Slug + "/admin/breaches/" + id + "/edit", Submit: a.t(r, "breach.form.submit")}
}

// breachUpdate saves the form as the next version and notifies the
// controller's admins and DPO.
func (a *App) breachUpdate(w http.ResponseWriter, r *http.Request, me account.User) {
	if !a.parseForm(w, r) {
		return
	}
	t := tenantFrom(r.Context())
	id := r.PathValue("id")
	_, ok := a.saveBreach(w, r, a.breachEditPage(r, t, id), nil, func(rep breach.Report) (store.Breach, error) {
		return a.opts.Store.UpdateBreach(r.Context(), userActor(me, RequestIDFrom(r.Context())), t.ID, id, rep, a.breachNotifyMail)
	})
	if ok {
		http.Redirect(w, r, "/"+t.Slug+"/admin/breaches/"+id+"?done=saved", http.StatusSeeOther)
	}
}

// breachVersionRow is a version in the history.
type breachVersionRow struct {
	store.BreachVersion
	AuthorLabel string
}

type breachPage struct {
	Slug, TenantName string
	Breach           store.Breach
	Clocks           breachClocks
	Annex            []annexSection
	Versions         []breachVersionRow
	CanHandle        bool
	Done             string
	Errors           fieldErrors
	GBAAt            string
	SubjectsAt       string
	DraftGBA         string
	DraftSubjects    string
	Auto             string // why Kluis opened it as a draft on its own (BRE-1), or ""
	// Contain is what an admin can end to stop further harm (BRE-2),
	// posted to ContainAction.
	Contain       []containGroup
	ContainAction string
}

// breachShow shows a breach: its clocks, the latest form, the history of
// versions with the proof of each notification, and the controller's
// notices.
func (a *App) breachShow(w http.ResponseWriter, r *http.Request, me account.User) {
	a.renderBreach(w, r, me, http.StatusOK, nil, "", "")
}

func (a *App) renderBreach(w http.ResponseWriter, r *http.Request, me account.User, status int, errs map[string]string, gbaAt, subjectsAt string) {
	t := tenantFrom(r.Context())
	b, ok := a.breachOr404(w, r, userActor(me, RequestIDFrom(r.Context())), t.ID, r.PathValue("id"), "page")
	if !ok {
		return
	}
	p := breachPage{Slug: t.Slug, TenantName: t.LegalName, Breach: b, Clocks: a.breachClocks(r, b), CanHandle: account.Can(me.Role, account.HandleRequests),
		Done: r.URL.Query().Get("done"), GBAAt: gbaAt, SubjectsAt: subjectsAt}
	p.Annex = a.annexSections(r, b.Report, b.ReportAt)
	auto, err := a.opts.Store.BreachAttempts(r.Context(), t.ID)
	if err != nil {
		a.internalError(w, r, "breach attempts", err)
		return
	}
	d, isAuto := auto[b.ID]
	p.Auto = a.attemptNote(r, b, d, isAuto)
	for i := len(b.Versions) - 1; i >= 0; i-- {
		v := b.Versions[i]
		p.Versions = append(p.Versions, breachVersionRow{v, a.t(r, "breach.author."+v.AuthorKind)})
	}
	if account.Can(me.Role, account.ManageUsers) {
		p.ContainAction = breachPagePath(r) + "/contain"
		if p.Contain, err = a.containGroups(r, userActor(me, RequestIDFrom(r.Context())), t.ID); err != nil {
			a.internalError(w, r, "containment targets", err)
			return
		}
	}
	p.DraftGBA, p.DraftSubjects = breachDrafts(t, b)
	if errs != nil {
		p.Errors = a.breachErrorsIn(r, errs, []string{"gba_at", "subjects_at"})
	}
	a.render(w, r, status, "breach", p)
}

// breachDrafts are the texts the controller starts its notification to
// the GBA and its message to the people affected from (BRE-3: Kluis sends
// neither; BRE-4: it assists with both), filled from the breach's latest
// version — the nature, the kinds of data, how many people, the measures
// taken (containment included, BRE-2), the DPO to contact — in the
// controller's own language, whoever reads the page.
func breachDrafts(t tenant.Tenant, b store.Breach) (gba, subjects string) {
	l, ok := locale.Parse(t.DefaultLang)
	if !ok {
		l = locale.NL
	}
	var kinds []string
	for _, c := range b.Report.Classes {
		if c == "Q" && b.Report.ClassOther != "" {
			kinds = append(kinds, b.Report.ClassOther)
			continue
		}
		kinds = append(kinds, locale.T(l, "breach.classes."+c))
	}
	contact := t.DPOName
	if t.DPOEmail != "" {
		contact = strings.TrimSpace(contact + " (" + t.DPOEmail + ")")
	}
	gba = annexText(annexSectionsIn(l, b.Report, b.ReportAt))
	subjects = locale.T(l, "breach.draft.subjects_full", t.LegalName, b.Report.Description, orDash(strings.Join(kinds, ", ")),
		orDash(b.Report.Measures), orDash(contact))
	return gba, subjects
}

func (a *App) breachErrorsIn(r *http.Request, errs map[string]string, order []string) fieldErrors {
	var out fieldErrors
	for _, f := range order {
		if k, ok := errs[f]; ok {
			out = append(out, fieldError{f, a.t(r, k)})
		}
	}
	return out
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

// breachNotice records when the controller notified the GBA or informed
// the people affected (BRE-3).
func (a *App) breachNotice(w http.ResponseWriter, r *http.Request, me account.User) {
	if !a.parseForm(w, r) {
		return
	}
	t := tenantFrom(r.Context())
	notice := r.PostForm.Get("notice")
	if notice != store.NoticeGBA && notice != store.NoticeSubjects {
		a.error(w, r, http.StatusBadRequest)
		return
	}
	field := notice + "_at"
	typed := strings.TrimSpace(r.PostForm.Get(field))
	gba, subjects := "", ""
	if notice == store.NoticeGBA {
		gba = typed
	} else {
		subjects = typed
	}
	var at time.Time
	var err error
	if typed != "" {
		if at, err = workdays.ParseLocal(typed); err != nil {
			a.renderBreach(w, r, me, http.StatusUnprocessableEntity, map[string]string{field: "breach.error.datetime"}, gba, subjects)
			return
		}
	}
	err = a.opts.Store.RecordBreachNotice(r.Context(), userActor(me, RequestIDFrom(r.Context())), t.ID, r.PathValue("id"), notice, at)
	var ve *store.BreachValidationError
	switch {
	case errors.As(err, &ve):
		a.renderBreach(w, r, me, http.StatusUnprocessableEntity, ve.Fields, gba, subjects)
	case errors.Is(err, store.ErrNotFound):
		a.notFound(w, r)
	case errors.Is(err, store.ErrControllerOnly):
		a.error(w, r, http.StatusForbidden)
	case err != nil:
		a.internalError(w, r, "breach notice", err)
	default:
		http.Redirect(w, r, "/"+t.Slug+"/admin/breaches/"+r.PathValue("id")+"?done="+notice, http.StatusSeeOther)
	}
}

// breachOr404 opens breach id of tenantID for actor (a read recorded with
// purpose), or answers the not-found page or the internal error: ok false.
func (a *App) breachOr404(w http.ResponseWriter, r *http.Request, actor audit.Actor, tenantID, id, purpose string) (store.Breach, bool) {
	b, err := a.opts.Store.BreachByID(r.Context(), actor, tenantID, id, purpose)
	switch {
	case errors.Is(err, store.ErrNotFound):
		a.notFound(w, r)
		return b, false
	case err != nil:
		a.internalError(w, r, "breach", err)
		return b, false
	}
	return b, true
}

// breachOperatorActor is the operator acting on a tenant's register.
func breachOperatorActor(me account.User, r *http.Request) audit.Actor {
	return audit.Actor{Kind: audit.KindOperator, ID: me.ID, Role: "operator", RequestID: RequestIDFrom(r.Context())}
}
