package termination

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"codeberg.org/go-pdf/fpdf"

	"github.com/kluis/kluis/internal/locale"
)

// PDF renders the certificate as a letter in the tenant's language (END-5):
// the written confirmation a person reads; the signed JSON beside it is
// what a machine checks. The verifier key printed at the foot ties the two.
func PDF(c Certificate, verifierKey string) ([]byte, error) {
	lang, ok := locale.Parse(c.Tenant.Lang)
	if !ok {
		lang = locale.NL
	}
	t := func(key string, args ...any) string { return locale.T(lang, key, args...) }
	const margin, width = 20.0, 170.0
	f := fpdf.New("P", "mm", "A4", "")
	tr := f.UnicodeTranslatorFromDescriptor("cp1252")
	title := t("termination.cert.title") + " – " + c.Tenant.LegalName
	f.SetTitle(title, true)
	f.SetAuthor("Kluis", true)
	f.SetCreator("Kluis", true)
	f.SetLang(lang.HTMLLang())
	f.SetCreationDate(c.IssuedAt)
	f.SetModificationDate(c.IssuedAt)
	f.SetMargins(margin, margin, margin)
	f.SetAutoPageBreak(true, margin)
	f.AliasNbPages("{nb}")
	f.SetFooterFunc(func() {
		f.SetY(-margin + 5)
		f.SetFont("Helvetica", "", 8)
		f.CellFormat(width, 4, tr(c.Tenant.LegalName+" – "+t("termination.cert.page", f.PageNo(), "{nb}")), "", 0, "C", false, 0, "")
	})
	f.AddPage()
	heading := func(s string) {
		f.Ln(3)
		f.SetFont("Helvetica", "B", 12)
		f.MultiCell(width, 6, tr(s), "", "L", false)
	}
	para := func(s string) {
		f.SetFont("Helvetica", "", 10)
		f.MultiCell(width, 5, tr(s), "", "L", false)
	}
	f.SetFont("Helvetica", "B", 16)
	f.MultiCell(width, 8, tr(title), "", "L", false)
	f.Ln(2)
	para(t("termination.cert.intro", c.Tenant.LegalName, c.Tenant.EnterpriseNumber))
	date := func(s CertStep) string { return s.DoneAt.Format("02.01.2006 15:04 UTC") }

	heading(t("termination.cert.steps"))
	for _, s := range c.Steps {
		para("• " + t("termination.cert.step", t("termination.step."+s.Step), date(s), t("termination.actor."+s.ActorKind, s.ActorID)))
	}
	para(t("termination.cert.export", c.Export.ReceivedBy, c.Export.Files, c.Export.ManifestSHA256))
	if c.Receipt.By == "controller" {
		para(t("termination.cert.receipt_confirmed"))
	} else {
		para(t("termination.cert.receipt_deadline", c.Receipt.Days))
	}

	heading(t("termination.cert.rows"))
	tables := make([]string, 0, len(c.Rows))
	var total int64
	for tb, n := range c.Rows {
		if n > 0 {
			tables = append(tables, tb)
		}
		total += n
	}
	sort.Strings(tables)
	f.SetFont("Helvetica", "", 9)
	for _, tb := range tables {
		f.CellFormat(120, 5, tr(tb), "B", 0, "L", false, 0, "")
		f.CellFormat(50, 5, fmt.Sprint(c.Rows[tb]), "B", 1, "R", false, 0, "")
	}
	para(t("termination.cert.rows_total", total))
	para(t("termination.cert.files"))

	heading(t("termination.cert.keys"))
	if c.Keys.Keyring == "destroyed" {
		ids := make([]string, len(c.Keys.KeyIDs))
		for i, id := range c.Keys.KeyIDs {
			ids[i] = fmt.Sprint(id)
		}
		para(t("termination.cert.keys_keyring", strings.Join(ids, ", ")))
	} else {
		para(t("termination.cert.keys_absent"))
	}
	switch {
	case !c.Keys.BackupsConfigured:
		para(t("termination.cert.not_configured", t("termination.step.keys")))
	case len(c.Keys.Backups) == 0:
		para(t("termination.cert.backups_none"))
	default:
		para(t("termination.cert.backups", strings.Join(c.Keys.Backups, ", ")))
	}

	heading(t("termination.cert.check"))
	para(t("termination.cert.check_live"))
	if !c.Check.BackupsConfigured {
		para(t("termination.cert.not_configured", t("termination.step.check")))
	} else {
		list := strings.Join(c.Check.Backups, ", ")
		if list == "" {
			list = t("termination.cert.none")
		}
		para(t("termination.cert.check_backups", list))
	}

	heading(t("termination.cert.kept"))
	for _, k := range c.Kept {
		why := k.Why
		if key := "termination.kept." + k.Table; locale.Has(lang, key) {
			why = t(key)
		}
		para("• " + k.Table + ": " + why)
	}
	para(t("termination.cert.audit_log", c.AuditLog.Size, c.AuditLog.RootSHA256))
	f.Ln(4)
	f.SetFont("Helvetica", "I", 8)
	f.MultiCell(width, 4, tr(t("termination.cert.signed", verifierKey, c.IssuedAt.Format("02.01.2006 15:04 UTC"))), "", "L", false)

	var buf bytes.Buffer
	if err := f.Output(&buf); err != nil {
		return nil, fmt.Errorf("certificate PDF: %w", err)
	}
	return buf.Bytes(), nil
}
