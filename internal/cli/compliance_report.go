package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/annex"
	"github.com/kluis/kluis/internal/compliance"
	"github.com/kluis/kluis/internal/config"
	"github.com/kluis/kluis/internal/locale"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/tenant"
)

// complianceReport writes one tenant's compliance report (ADT-1): every
// clause with its status measured now, the evidence and the tests —
// `kluis compliance report --tenant X --grant G [--format json|html|pdf] [--annex measures|annex2] [--lang nl|fr|en] [--out FILE]`;
// as pdf, the measures annex the agreement carries (VO-B's checklist, or VO-A's annex 2).
// It opens the names of the tenant's admins without a second factor, so
// the supplier runs it only under the tenant's grant (AUD-3, AUD-4); the
// tenant's own admins and DPO read the same report on their page.
func complianceReport(ctx context.Context, env *Env, args []string) error {
	fs := flags(env, "compliance report")
	ref := fs.String("tenant", "", "tenant slug or id")
	grant := grantFlag(fs)
	format := fs.String("format", "json", "json, html, or pdf: the measures annex the agreement carries")
	which := fs.String("annex", "measures", "with --format pdf: measures (VO-B's checklist) or annex2 (VO-A's list)")
	lang := fs.String("lang", "", "language of the html report or pdf annex: nl, fr or en (default: the tenant's)")
	out := fs.String("out", "", "the file to write (default: standard output)")
	cfg, rest, err := load(env, fs, args)
	if err != nil {
		return err
	}
	switch *format {
	case "json", "html", "pdf":
	default:
		return usageError{fmt.Sprintf("unknown --format %q: use json, html or pdf", *format)}
	}
	if *which != "measures" && *which != "annex2" {
		return usageError{fmt.Sprintf("unknown --annex %q: use measures or annex2", *which)}
	}
	l, ok := locale.Lang(""), true
	if *lang != "" {
		if l, ok = locale.Parse(*lang); !ok {
			return usageError{fmt.Sprintf("unknown --lang %q: use nl, fr or en", *lang)}
		}
	}
	db, t, err := openTenant(ctx, cfg, rest, *ref)
	if err != nil {
		return err
	}
	defer db.Close()
	actor, err := granted(ctx, env, db, t, *grant, "kluis compliance report")
	if err != nil {
		return err
	}
	if l == "" {
		if l, ok = locale.Parse(t.DefaultLang); !ok {
			l = locale.NL
		}
	}
	f, err := compliance.Collect(ctx, db, t.ID, db.Now(), compliance.Options{Actor: actor, Platform: compliancePlatform(cfg)})
	if err != nil {
		return err
	}
	rep := compliance.Build(f)
	write := func(w io.Writer) error {
		switch *format {
		case "html":
			return compliance.WriteHTML(w, rep, l, strings.TrimRight(cfg.BaseURL, "/"))
		case "pdf":
			return writeMeasuresPDF(ctx, w, db, cfg, t, rep, l, *which)
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	if *out == "" {
		return write(env.Stdout)
	}
	if _, err := writeFileAtomic(*out, func(file *os.File) (int64, error) { return 0, write(file) }); err != nil {
		return fmt.Errorf("write %s: %w", *out, err)
	}
	fmt.Fprintf(env.Stdout, "%s: compliance report written to %s (%d met, %d partly, %d not met, %d declared)\n", t.Slug, *out,
		rep.Count(compliance.Met), rep.Count(compliance.Partly), rep.Count(compliance.NotMet), rep.Count(compliance.Declared))
	return nil
}

// compliancePlatform is what the configuration says about where data lives
// and how often the platform checks itself, without secrets: the database
// by kind and host, the attachments' store, the mail relay's host.
func compliancePlatform(cfg config.Config) compliance.Platform {
	p := compliance.Platform{Storage: cfg.Storage, MailRelay: cfg.SMTPHost, SecondSite: cfg.BackupSecondSite != "",
		CheckEvery: cfg.CheckpointEvery, TestEvery: 24 * time.Hour}
	if _, ok, _ := cfg.BackupDaily(); ok {
		p.Scheduled = true
	}
	switch d, _, err := store.ParseURL(cfg.DatabaseURL); {
	case err != nil:
	case d == store.Postgres:
		p.Database = "postgres"
		if h := hostOfURL(cfg.DatabaseURL); h != "" {
			p.Database += " (" + h + ")"
		}
	default:
		p.Database = string(d)
	}
	return p
}

// hostOfURL is the host of a database URL ("postgres://u:p@db.example/kluis"),
// "" when it names none.
func hostOfURL(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return ""
	}
	return u.Hostname()
}

// writeMeasuresPDF writes the measures annex which ("measures": VO-B annex
// 1's checklist, "annex2": VO-A annex 2's list) of rep in l as PDF, its
// evidence linked by absolute address on the tenant's own host (ADT-1).
func writeMeasuresPDF(ctx context.Context, w io.Writer, db *store.DB, cfg config.Config, t tenant.Tenant, rep compliance.Report,
	l locale.Lang, which string) error {
	host, err := db.TenantPrimaryHost(ctx, t.ID)
	if err != nil {
		return err
	}
	in := annex.FromReport(rep, l, tenant.FormatKBO(t.EnterpriseNumber), annex.AbsoluteLinks(cfg.BaseURL, t.Slug, host))
	in.Controller = t.LegalName
	doc := annex.Measures(in, l)
	path := "/admin/register/measures"
	if which == "annex2" {
		doc, path = annex.AnnexTwo(in, l), "/admin/register/annex2"
	}
	doc.HTMLTwin = tenant.Link(cfg.BaseURL, t.Slug, host, path+"?lang="+string(l))
	b, err := doc.PDF(rep.At)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}
