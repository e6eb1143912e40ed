package form

import (
	"encoding/json"
	"slices"

	"github.com/kluis/kluis/internal/register"
)

// Notice is the content of the art. 13 GDPR information a form shows
// before the citizen submits (contract DSR-3), generated from the form and
// the register it is published under: only the purposes, categories and
// recipients this form's fields use. The tenant approves it before the
// form can be published; a register or form change that alters it needs a
// new approval. The controller's name and contact come from the tenant.
type Notice struct {
	Purposes   []NoticePurpose  `json:"purposes"`
	Categories []NoticeCategory `json:"categories"`
	Recipients []register.Text  `json:"recipients,omitempty"`
	Transfers  []NoticeTransfer `json:"transfers,omitempty"`
	Special    bool             `json:"special,omitempty"` // special categories (4.x) are collected
}

// NoticePurpose is a purpose with its legal basis (art. 13.1.c).
type NoticePurpose struct {
	Key            string        `json:"key"`
	Name           register.Text `json:"name"`
	LegalBasis     string        `json:"legal_basis"`
	LegalReference register.Text `json:"legal_reference,omitempty"`
	Art9Basis      string        `json:"art9_basis,omitempty"`
}

// NoticeCategory is a category of data with its retention (art. 13.2.a).
type NoticeCategory struct {
	Key           string        `json:"key"`
	Name          register.Text `json:"name"`
	RetentionDays int           `json:"retention_days"`
	Expiry        string        `json:"expiry"`
	Required      bool          `json:"required"` // at least one field of it must be answered (art. 13.2.e)
}

// NoticeTransfer is a recipient outside the EEA with its mechanism (art. 13.1.f).
type NoticeTransfer struct {
	Name      register.Text `json:"name"`
	Country   string        `json:"country"`
	Mechanism string        `json:"mechanism"`
}

// NoticeFor builds the notice of f under reg, in form order.
func NoticeFor(f Form, reg register.Register) Notice {
	var n Notice
	seenP, seenC, seenR := map[string]bool{}, map[string]int{}, map[string]bool{}
	for _, fl := range f.Fields() {
		if p, ok := reg.Purpose(fl.Purpose); ok && !seenP[p.Key] {
			seenP[p.Key] = true
			n.Purposes = append(n.Purposes, NoticePurpose{Key: p.Key, Name: p.Name, LegalBasis: p.LegalBasis,
				LegalReference: p.LegalReference, Art9Basis: p.Art9Basis})
		}
		c, ok := reg.Category(fl.Category)
		if !ok {
			continue
		}
		if i, seen := seenC[c.Key]; seen {
			n.Categories[i].Required = n.Categories[i].Required || fl.Required
			continue
		}
		seenC[c.Key] = len(n.Categories)
		n.Categories = append(n.Categories, NoticeCategory{Key: c.Key, Name: c.Name, RetentionDays: c.RetentionDays,
			Expiry: c.Expiry, Required: fl.Required})
		if cl, _ := register.ClassByCode(c.Class); cl.Special {
			n.Special = true
		}
		for _, rk := range c.Recipients {
			if seenR[rk] {
				continue
			}
			seenR[rk] = true
			i := slices.IndexFunc(reg.Recipients, func(r register.Recipient) bool { return r.Key == rk })
			if i < 0 {
				continue
			}
			r := reg.Recipients[i]
			n.Recipients = append(n.Recipients, r.Name)
			if !register.InEEA(r.Country) {
				n.Transfers = append(n.Transfers, NoticeTransfer{Name: r.Name, Country: r.Country, Mechanism: r.TransferMechanism})
			}
		}
	}
	return n
}

// JSON is the notice as approved and stored: the same notice gives the
// same bytes, so an approval can be compared with a fresh notice.
func (n Notice) JSON() []byte {
	b, err := json.Marshal(n)
	if err != nil {
		panic("form: encode notice: " + err.Error()) // plain data: cannot fail
	}
	return b
}
