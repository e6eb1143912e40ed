package web

import (
	"net/http"
	"strings"

	"github.com/kluis/kluis/internal/form"
	"github.com/kluis/kluis/internal/register"
	"github.com/kluis/kluis/internal/tenant"
)

// noticeView is a form's art. 13 notice in the reader's language, for the
// "notice" partial: the tenant's identity, the register's DPO contact and
// the notice's purposes, categories, recipients and transfers.
type noticeView struct {
	Controller, KBO, Slug string
	DPOContact            string
	DPOMail               bool
	Purposes              []noticePurposeView
	Categories            []noticeCategoryView
	Recipients            []loc
	Transfers             []noticeTransferView
}

type noticePurposeView struct {
	Name, Reference  loc
	LegalBasis, Art9 string
}

type noticeCategoryView struct {
	Name          loc
	RetentionDays int
	Expiry        string
	Required      bool
}

type noticeTransferView struct {
	Name               loc
	Country, Mechanism string
}

// newNoticeView renders n for r's language.
func newNoticeView(r *http.Request, t tenant.Tenant, reg register.Register, n form.Notice) noticeView {
	lang := string(LangFrom(r.Context()))
	v := noticeView{Controller: t.LegalName, KBO: tenant.FormatKBO(t.EnterpriseNumber), Slug: t.Slug, DPOContact: reg.DPOContact,
		DPOMail: !strings.HasPrefix(reg.DPOContact, "https://")}
	for _, p := range n.Purposes {
		v.Purposes = append(v.Purposes, noticePurposeView{Name: locOf(p.Name, lang), Reference: locOf(p.LegalReference, lang),
			LegalBasis: p.LegalBasis, Art9: p.Art9Basis})
	}
	for _, c := range n.Categories {
		v.Categories = append(v.Categories, noticeCategoryView{Name: locOf(c.Name, lang), RetentionDays: c.RetentionDays,
			Expiry: c.Expiry, Required: c.Required})
	}
	for _, rc := range n.Recipients {
		v.Recipients = append(v.Recipients, locOf(rc, lang))
	}
	for _, tr := range n.Transfers {
		v.Transfers = append(v.Transfers, noticeTransferView{Name: locOf(tr.Name, lang), Country: tr.Country, Mechanism: tr.Mechanism})
	}
	return v
}
