package web

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/tenant"
	"github.com/kluis/kluis/internal/workdays"
)

// The small forms of the instructions (REG-3), authority requests (REG-5)
// and the supplier's declarations (ORG-1…ORG-5): one input type, the
// store's refusals shown field by field in the page's language.

// instrInput is one input; ID is unique on the page (a form's prefix and
// the field), Name is what the form posts.
type instrInput struct {
	ID, Name, Label, Hint, Value, Error, Optional string
	Kind                                          string // text, email, tel, date, textarea, select, checkbox
	Options                                       []breachChoice
}

// DescribedBy is the input's aria-describedby: its hint and its error.
func (in instrInput) DescribedBy() string {
	return breachInput{ID: in.ID, Hint: in.Hint, Error: in.Error}.DescribedBy()
}

// realmTenantOptions are the controllers a realm page may choose, the one
// with slug selected.
func (a *App) realmTenantOptions(r *http.Request, slug string) ([]tenantOption, error) {
	ts, err := a.opts.Store.Tenants(r.Context())
	if err != nil {
		return nil, err
	}
	var out []tenantOption
	for _, x := range ts {
		if x.Status == tenant.StatusActive && !x.IsPlatform() {
			out = append(out, tenantOption{x.Slug, x.LegalName, x.Slug == slug})
		}
	}
	return out, nil
}

// instrForm is one form of a page: where it posts, its inputs, its button.
type instrForm struct {
	ID, Heading, Lead, Action, Submit string
	Inputs                            []instrInput
}

// instrField builds input name of the form with prefix: its label from
// instr.field.<name>, its posted value from values, its error from errs.
func (a *App) instrField(r *http.Request, prefix, name, kind string, optional bool, values, errs map[string]string) instrInput {
	in := instrInput{ID: prefix + "-" + name, Name: name, Label: a.t(r, "instr.field."+name), Kind: kind, Value: values[name], Error: errs[name]}
	if optional {
		in.Optional = a.t(r, "form.optional")
	}
	if kind == "date" {
		in.Hint = a.t(r, "instr.hint.date")
	}
	return in
}

// parseOptionalDay is parseDay that lets a field be left empty: the zero
// time for "".
func parseOptionalDay(s string) (time.Time, bool) {
	if strings.TrimSpace(s) == "" {
		return time.Time{}, true
	}
	return parseDay(s)
}

// dayText is a date as the forms show it.
func dayText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(workdays.Brussels).Format("02.01.2006")
}

// instrErrors turns refused input (bad: the web's own, then the store's
// *DutyValidationError) into the page's messages, keyed by field name, and
// the error summary in the form's order with links to prefix-field. ok is
// false when err is another error.
func (a *App) instrErrors(r *http.Request, prefix string, order []string, bad map[string]string, err error) (map[string]string, fieldErrors, bool) {
	msgs := map[string]string{}
	for f, key := range bad {
		msgs[f] = a.t(r, key)
	}
	var ve *store.DutyValidationError
	switch {
	case errors.As(err, &ve):
		for f, key := range ve.Fields {
			if _, seen := msgs[f]; !seen {
				msgs[f] = a.t(r, key)
			}
		}
	case errors.Is(err, store.ErrDutyState):
		msgs[order[len(order)-1]] = a.t(r, "instr.error.state")
	case err != nil:
		return nil, nil, false
	}
	var summary fieldErrors
	for _, f := range order {
		if m, ok := msgs[f]; ok {
			summary = append(summary, fieldError{prefix + "-" + f, m})
		}
	}
	return msgs, summary, true
}
