package web

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/store"
)

// Assistance with the controller's own assessments (BRE-4, VO-B 7.4): the
// processor helps with art. 32 security, DPIAs (art. 35) and prior
// consultation (art. 36). Kluis cannot make the assessment — that is the
// controller's — but it can state, from its own data, what it knows about
// the processing it carries out: what it holds and for how long (the
// register), where it lives (the sub-processors), which measures are in
// force (the tenant's policy, sealing, the audit log) and the supplier's
// organisational declarations (ORG-1, ORG-5). One page in the staff layout
// and the same as a text file to attach to the assessment.

// dpiaFact is one statement: a label and what Kluis knows.
type dpiaFact struct{ Label, Value string }

// dpiaSection is one part of the information.
type dpiaSection struct {
	Title string
	Facts []dpiaFact
	// Stacked: the labels are long (a category's or sub-processor's
	// name), each value goes under its label.
	Stacked bool
}

type dpiaPage struct {
	Slug, TenantName string
	Generated        string
	Sections         []dpiaSection
	// Drafts are the register's processings, each with its pre-filled DPIA
	// draft (agreement.BuildDPIA).
	Drafts []dpiaDraftLink
}

// dpiaDraftLink names one processing's draft.
type dpiaDraftLink struct{ Key, Name string }

// dpiaSections gathers the facts in the reader's language.
func (a *App) dpiaSections(r *http.Request, me account.User) ([]dpiaSection, error) {
	ctx := r.Context()
	t := tenantFrom(ctx)
	none := a.t(r, "dpia.none")
	var out []dpiaSection

	// What is processed, for how long, with which countermeasures: the
	// register as annex 1 lays it out.
	proc := dpiaSection{Title: a.t(r, "dpia.section.processing")}
	data := dpiaSection{Title: a.t(r, "dpia.section.data"), Stacked: true}
	where := dpiaSection{Title: a.t(r, "dpia.section.where"), Stacked: true}
	rv, err := a.opts.Store.CurrentRegister(ctx, t.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		proc.Facts = append(proc.Facts, dpiaFact{a.t(r, "dpia.register"), a.t(r, "dpia.no_register")})
	case err != nil:
		return nil, err
	default:
		doc := a.annexOf(r, rv)
		proc.Facts = append(proc.Facts, dpiaFact{a.t(r, "dpia.register"), a.t(r, "dpia.register_version", doc.Version, doc.Saved)},
			dpiaFact{a.t(r, "dpia.subject"), orDash(doc.Subject.Text)}, dpiaFact{a.t(r, "dpia.duration"), orDash(doc.Duration.Text)})
		for _, p := range doc.Purposes {
			proc.Facts = append(proc.Facts, dpiaFact{a.t(r, "dpia.purpose"), p.Name.Text + " – " + p.Basis})
		}
		for _, c := range doc.Categories {
			data.Facts = append(data.Facts, dpiaFact{c.Name.Text + " (" + c.Class + ")",
				a.t(r, "dpia.category", orDash(c.Retention), orDash(c.Countermeasures.Text))})
		}
		for _, s := range doc.SubProcessors {
			eea := a.t(r, "dpia.outside_eea")
			if s.InEEA {
				eea = a.t(r, "dpia.in_eea")
			}
			v := a.t(r, "dpia.subprocessor", orDash(s.Country), eea, orDash(s.Service.Text), orDash(s.Measures.Text))
			if s.Mechanism != "" {
				v += " " + a.t(r, "dpia.mechanism", s.Mechanism)
			}
			where.Facts = append(where.Facts, dpiaFact{s.Name, v})
		}
	}
	if len(data.Facts) == 0 {
		data.Facts = []dpiaFact{{a.t(r, "dpia.section.data"), none}}
	}
	if len(where.Facts) == 0 {
		where.Facts = []dpiaFact{{a.t(r, "dpia.section.where"), none}}
	}
	out = append(out, proc, data, where)

	// The technical measures Kluis applies to this tenant (art. 32).
	p, _, err := a.opts.Store.TenantPolicy(ctx, t.ID)
	if err != nil {
		return nil, err
	}
	mfa := a.t(r, "dpia.mfa.admins")
	if p.MFARequired {
		mfa = a.t(r, "dpia.mfa.all")
	}
	log := a.t(r, "dpia.log.none")
	if cp, err := a.opts.Store.LatestCheckpoint(ctx, t.ID); err == nil {
		log = a.t(r, "dpia.log.checkpoint", datetime(cp.SignedAt), cp.Size)
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	out = append(out, dpiaSection{Title: a.t(r, "dpia.section.security"), Facts: []dpiaFact{
		{a.t(r, "dpia.sealed"), a.t(r, "dpia.sealed.value")},
		{a.t(r, "dpia.mfa"), mfa},
		{a.t(r, "dpia.passwords"), a.t(r, "dpia.passwords.value", p.PasswordMinLength, p.LockoutMaxFailures, int(p.LockoutWindow/time.Minute))},
		{a.t(r, "dpia.sessions"), a.t(r, "dpia.sessions.value", int(p.SessionIdle/time.Minute), int(p.SessionAdminIdle/time.Minute),
			int(p.SessionAbsolute/time.Hour))},
		{a.t(r, "dpia.log"), log},
		{a.t(r, "dpia.access"), a.t(r, "dpia.access.value")},
	}})

	// The supplier's organisational declarations (ORG-1, ORG-5).
	facts, err := a.opts.Store.ReadOrgFacts(ctx, userActor(me, RequestIDFrom(ctx)), t.ID)
	if err != nil {
		return nil, err
	}
	org := dpiaSection{Title: a.t(r, "dpia.section.organisation")}
	for _, kind := range []string{store.OrgSecurityOfficer, store.OrgRiskAnalysis, store.OrgDRTest} {
		v := a.t(r, "dpia.not_declared")
		for _, f := range facts.Current {
			if f.Kind != kind {
				continue
			}
			switch kind {
			case store.OrgSecurityOfficer:
				v = strings.TrimSpace(strings.Join(strings.Fields(f.Name+" "+f.Email+" "+f.Phone), " "))
			default:
				v = a.t(r, "dpia.dated", f.Date.In(brussels).Format("02.01.2006"), orDash(f.Text))
			}
		}
		org.Facts = append(org.Facts, dpiaFact{a.t(r, "dpia.org."+kind), v})
	}
	out = append(out, org)
	return out, nil
}

// dpiaShow is the page (admins and the DPO: ViewRequests).
func (a *App) dpiaShow(w http.ResponseWriter, r *http.Request, me account.User) {
	t := tenantFrom(r.Context())
	sections, err := a.dpiaSections(r, me)
	if err != nil {
		a.internalError(w, r, "dpia", err)
		return
	}
	p := dpiaPage{Slug: t.Slug, TenantName: t.LegalName, Generated: datetime(a.opts.Store.Now()), Sections: sections}
	if rv, err := a.opts.Store.CurrentRegister(r.Context(), t.ID); err == nil {
		for _, pu := range rv.Register.Purposes {
			p.Drafts = append(p.Drafts, dpiaDraftLink{pu.Key, pu.Name.In(string(LangFrom(r.Context())))})
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		a.internalError(w, r, "dpia", err)
		return
	}
	a.render(w, r, http.StatusOK, "dpia", p)
}

// dpiaText is the same as a text file to attach to the assessment.
func (a *App) dpiaText(w http.ResponseWriter, r *http.Request, me account.User) {
	t := tenantFrom(r.Context())
	sections, err := a.dpiaSections(r, me)
	if err != nil {
		a.internalError(w, r, "dpia", err)
		return
	}
	now := a.opts.Store.Now()
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n%s\n\n%s\n", a.t(r, "dpia.title"), t.LegalName, a.t(r, "dpia.generated", datetime(now)))
	for i, s := range sections {
		fmt.Fprintf(&b, "\n%d. %s\n", i+1, s.Title)
		for _, f := range s.Facts {
			fmt.Fprintf(&b, "   %s: %s\n", f.Label, f.Value)
		}
	}
	fmt.Fprintf(&b, "\n%s\n", a.t(r, "dpia.lead"))
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment",
		map[string]string{"filename": fmt.Sprintf("dpia-info-%s-%s.txt", t.Slug, now.In(brussels).Format("2006-01-02"))}))
	w.Header().Set("Cache-Control", "no-store")
	w.Write([]byte(b.String()))
}
