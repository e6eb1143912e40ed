package compliance

import (
	"fmt"
	"time"

	"github.com/kluis/kluis/internal/breach"
	"github.com/kluis/kluis/internal/store"
)

// Status is how far a clause is met at the report's instant.
type Status string

// The statuses (the "OK?" column of VO-B's checklist, with the supplier's
// declarations kept apart from what Kluis measures).
const (
	Met      Status = "met"
	Partly   Status = "partly"
	NotMet   Status = "not_met"
	Declared Status = "declared" // declared by the supplier, not measured (ORG-1…ORG-5)
)

// LabelKey is the catalogue key of the status in words.
func (s Status) LabelKey() string { return "compliance.status." + string(s) }

// Evidence is one fact behind a status: a sentence from the catalogue
// (Label with Args: ints, strings, and time.Time values the reader formats
// in their language and zone), its value for machines, when it was
// measured and the back-office page that shows it.
type Evidence struct {
	Label      string    `json:"label"`
	Args       []any     `json:"args,omitempty"`
	Value      string    `json:"value"`
	MeasuredAt time.Time `json:"measured_at"`
	Link       string    `json:"link"`
}

// Item is one clause's answer.
type Item struct {
	Clause
	Status Status `json:"status"`
	// Reason is the catalogue key (with ReasonArgs) of why the status is
	// what it is, in one sentence.
	Reason     string     `json:"reason"`
	ReasonArgs []any      `json:"reason_args,omitempty"`
	Evidence   []Evidence `json:"evidence"`
	Tests      []string   `json:"tests"` // the tests of this build that prove the mechanism
}

// Report is every clause's answer for one tenant at one instant.
type Report struct {
	TenantID   string    `json:"tenant_id"`
	TenantSlug string    `json:"tenant"`
	TenantName string    `json:"tenant_name"`
	At         time.Time `json:"at"`
	Items      []Item    `json:"clauses"` // in Clauses' order, all of them
}

// Item returns the answer for clause id.
func (r Report) Item(id string) (Item, bool) {
	for _, it := range r.Items {
		if it.ID == id {
			return it, true
		}
	}
	return Item{}, false
}

// Section is one chapter of the report.
type Section struct {
	N     int    `json:"section"`
	Title string `json:"title"` // catalogue key
	Items []Item `json:"clauses"`
}

// Sections groups the items by chapter, in order.
func (r Report) Sections() []Section {
	out := make([]Section, Sections)
	for i := range out {
		out[i] = Section{N: i + 1, Title: SectionKey(i + 1)}
	}
	for _, it := range r.Items {
		out[it.Section-1].Items = append(out[it.Section-1].Items, it)
	}
	return out
}

// Count is how many items have status s.
func (r Report) Count(s Status) int {
	n := 0
	for _, it := range r.Items {
		if it.Status == s {
			n++
		}
	}
	return n
}

// answer is what a rule gives for a clause.
type answer struct {
	status   Status
	reason   string
	args     []any
	evidence []Evidence
}

// Build answers every clause from the facts. The rules are below, one per
// clause, each named in its reason key; Build never leaves a clause out.
func Build(f Facts) Report {
	r := Report{TenantID: f.TenantID, TenantSlug: f.TenantSlug, TenantName: f.TenantName, At: f.At}
	for _, c := range Clauses {
		rule, ok := rules[c.ID]
		var a answer
		if ok {
			a = rule(f)
		} else {
			a = answer{status: NotMet, reason: "compliance.reason.no_rule"}
		}
		if a.evidence == nil {
			a.evidence = []Evidence{}
		}
		tests := Tests(c.ID)
		if tests == nil {
			tests = []string{}
		}
		r.Items = append(r.Items, Item{Clause: c, Status: a.status, Reason: a.reason, ReasonArgs: a.args, Evidence: a.evidence, Tests: tests})
	}
	return r
}

// ev makes an evidence item measured by m.
func ev(m Measured, label, value string, args ...any) Evidence {
	return Evidence{Label: label, Args: args, Value: value, MeasuredAt: m.At, Link: m.Link}
}

// mechanism is the answer of a clause Kluis fulfils by a mechanism its
// tests prove, with no live fact that could undo it: met, the page where
// the controller sees it working as evidence.
func mechanism(id string, m Measured) answer {
	return answer{status: Met, reason: "compliance.reason.mechanism",
		evidence: []Evidence{ev(m, "compliance.ev.mechanism."+id, "in place")}}
}

// page is a Measured for a back-office page of the tenant at the report's instant.
func page(f Facts, path string) Measured { return Measured{At: f.At, Link: "/" + f.TenantSlug + path} }

// rules answers each clause. A clause's rule reads only the facts it names.
var rules = map[string]func(Facts) answer{
	"REG-1": func(f Facts) answer {
		g := f.Register
		if g.Version == 0 {
			return answer{status: NotMet, reason: "compliance.reason.no_register",
				evidence: []Evidence{ev(g.Measured, "compliance.ev.register.none", "none")}}
		}
		e := []Evidence{ev(g.Measured, "compliance.ev.register", fmt.Sprintf("v%d", g.Version), g.Version, g.SavedAt, g.Purposes, g.Categories)}
		if g.Purposes == 0 || g.Categories == 0 {
			return answer{status: Partly, reason: "compliance.reason.register_empty", evidence: e}
		}
		return answer{status: Met, reason: "compliance.reason.register", evidence: e}
	},
	"REG-2": func(f Facts) answer {
		a := relayAnswer(f)
		a.evidence = append(a.evidence, ev(page(f, "/admin/webhooks"), "compliance.ev.mechanism.REG-2", "in place"))
		return a
	},
	"REG-3": func(f Facts) answer { return mechanism("REG-3", page(f, "/admin/instructions")) },
	"REG-4": func(f Facts) answer { return mechanism("REG-4", page(f, "/admin/forms")) },
	"REG-5": func(f Facts) answer { return mechanism("REG-5", page(f, "/admin/authority-requests")) },
	"REG-6": func(f Facts) answer {
		g := f.Register
		e := []Evidence{ev(g.Measured, "compliance.ev.applications", fmt.Sprint(g.Applications), g.Applications)}
		if g.Applications == 0 {
			return answer{status: Partly, reason: "compliance.reason.no_applications", evidence: e}
		}
		return answer{status: Met, reason: "compliance.reason.applications", evidence: e}
	},
	"REG-7": func(f Facts) answer {
		g := f.Register
		e := []Evidence{ev(g.Measured, "compliance.ev.classes", fmt.Sprintf("%d/%d", g.Categories-g.Unclassified, g.Categories),
			g.Categories-g.Unclassified, g.Categories)}
		switch {
		case g.Version == 0:
			return answer{status: NotMet, reason: "compliance.reason.no_register", evidence: e}
		case g.Unclassified > 0:
			return answer{status: Partly, reason: "compliance.reason.unclassified", args: []any{g.Unclassified}, evidence: e}
		}
		return answer{status: Met, reason: "compliance.reason.classes", evidence: e}
	},

	"USR-1": func(f Facts) answer { return adminsAnswer(f, "compliance.reason.own_admins") },
	"USR-2": func(f Facts) answer {
		u := f.Users
		e := []Evidence{ev(u.Measured, "compliance.ev.mfa_share", fmt.Sprintf("%d/%d", u.WithMFA, u.Total), u.WithMFA, u.Total)}
		lacking := len(u.AdminsWithoutMFA)
		for _, name := range u.AdminsWithoutMFA {
			if name == "" {
				name = "?"
			}
			e = append(e, ev(u.Measured, "compliance.ev.admin_without_mfa", name, name))
		}
		switch {
		case u.Admins == 0:
			return answer{status: NotMet, reason: "compliance.reason.no_admin", evidence: e}
		case lacking == u.Admins:
			return answer{status: NotMet, reason: "compliance.reason.admins_without_mfa", args: []any{lacking, u.Admins}, evidence: e}
		case lacking > 0:
			return answer{status: Partly, reason: "compliance.reason.admins_without_mfa", args: []any{lacking, u.Admins}, evidence: e}
		}
		return answer{status: Met, reason: "compliance.reason.admins_mfa", args: []any{u.Admins}, evidence: e}
	},
	"USR-3": func(f Facts) answer {
		p := f.Policy
		e := []Evidence{ev(p.Measured, "compliance.ev.password_policy", fmt.Sprintf("min %d", p.PasswordMinLength),
			p.PasswordMinLength, p.Version)}
		if p.Version == 0 {
			e = []Evidence{ev(p.Measured, "compliance.ev.password_policy.default", fmt.Sprintf("min %d", p.PasswordMinLength), p.PasswordMinLength)}
		}
		if p.PasswordMinLength < 12 {
			return answer{status: Partly, reason: "compliance.reason.password_short", args: []any{p.PasswordMinLength}, evidence: e}
		}
		return answer{status: Met, reason: "compliance.reason.password_policy", evidence: e}
	},
	"USR-4": func(f Facts) answer { return mechanism("USR-4", page(f, "/admin/users")) },
	"USR-5": func(f Facts) answer { return adminsAnswer(f, "compliance.reason.roles") },
	"USR-6": func(f Facts) answer {
		p := f.Policy
		e := []Evidence{ev(p.Measured, "compliance.ev.lockout", fmt.Sprintf("%d/%s", p.LockoutMaxFailures, p.LockoutWindow),
			p.LockoutMaxFailures, int(p.LockoutWindow/time.Minute))}
		if p.LockoutMaxFailures <= 0 {
			return answer{status: NotMet, reason: "compliance.reason.no_lockout", evidence: e}
		}
		return answer{status: Met, reason: "compliance.reason.lockout", evidence: e}
	},
	"USR-7": func(f Facts) answer { return mechanism("USR-7", page(f, "/admin/keys")) },

	"AUD-1": func(f Facts) answer { return chainAnswer(f, "compliance.reason.chain") },
	"AUD-2": func(f Facts) answer {
		a := checkpointAnswer(f)
		a.evidence = append(a.evidence, ev(f.Audit.Measured, "compliance.ev.mechanism.AUD-2", "in place"))
		return a
	},
	"AUD-3": func(f Facts) answer { return chainAnswer(f, "compliance.reason.chain_operators") },
	"AUD-4": func(f Facts) answer {
		x := f.Access
		return answer{status: Met, reason: "compliance.reason.access", evidence: []Evidence{
			ev(x.Measured, "compliance.ev.grants", fmt.Sprint(x.OpenGrants), x.OpenGrants),
			ev(x.Measured, "compliance.ev.notices", fmt.Sprint(x.OpenNotices), x.OpenNotices)}}
	},
	"AUD-5": func(f Facts) answer { return mechanism("AUD-5", page(f, "/admin/operators/staff")) },

	"SEC-1": func(f Facts) answer {
		g := f.Retention
		if len(g.Runs) == 0 {
			return answer{status: NotMet, reason: "compliance.reason.no_retention_run",
				evidence: []Evidence{ev(g.Measured, "compliance.ev.retention.none", "none")}}
		}
		last := g.Runs[0]
		var removed int64
		for _, n := range last.Counts {
			removed += n
		}
		e := []Evidence{ev(g.Measured, "compliance.ev.retention."+last.Status, last.Status, last.StartedAt, removed)}
		switch {
		case last.Status == "failed":
			return answer{status: NotMet, reason: "compliance.reason.retention_failed", args: []any{last.StartedAt}, evidence: e}
		case f.At.Sub(last.StartedAt) > 2*g.Every:
			return answer{status: Partly, reason: "compliance.reason.retention_late", args: []any{last.StartedAt}, evidence: e}
		}
		return answer{status: Met, reason: "compliance.reason.retention", evidence: e}
	},
	"SEC-2": func(f Facts) answer { return mechanism("SEC-2", page(f, "/admin/keys")) },
	"SEC-3": func(f Facts) answer {
		a := chainAnswer(f, "compliance.reason.integrity")
		b := backupAnswer(f)
		a.evidence = append(a.evidence, b.evidence...)
		if a.status == Met && b.status != Met {
			a.status, a.reason, a.args = Partly, b.reason, b.args
		}
		return a
	},
	"SEC-4": func(f Facts) answer {
		b := f.Backup
		if b.LastGoodTest.ID == "" {
			return answer{status: NotMet, reason: "compliance.reason.never_restored", evidence: []Evidence{testEvidence(b)}}
		}
		return answer{status: Met, reason: "compliance.reason.restored", args: []any{b.LastGoodTest.FinishedAt},
			evidence: []Evidence{testEvidence(b), ev(b.Measured, "compliance.ev.last_good_test", "ok", b.LastGoodTest.FinishedAt)}}
	},
	"SEC-5": func(f Facts) answer { return backupAnswer(f) },
	"SEC-6": func(f Facts) answer {
		b := f.Backup
		e := []Evidence{ev(b.Measured, "compliance.ev.second_site."+yesNo(b.SecondSite), yesNo(b.SecondSite))}
		if !b.SecondSite {
			return answer{status: NotMet, reason: "compliance.reason.no_second_site", evidence: e}
		}
		return answer{status: Met, reason: "compliance.reason.second_site", evidence: e}
	},

	"END-1": func(f Facts) answer { return mechanism("END-1", page(f, "/admin/full-export")) },
	"END-2": func(f Facts) answer { return backupAnswer(f) },
	"END-3": func(f Facts) answer { return mechanism("END-3", page(f, "/admin/full-export")) },
	"END-4": func(f Facts) answer { return mechanism("END-4", page(f, "/admin/termination")) },
	"END-5": func(f Facts) answer { return mechanism("END-5", page(f, "/admin/termination")) },

	"DSR-1": func(f Facts) answer {
		q := f.Requests
		e := []Evidence{ev(q.Measured, "compliance.ev.requests", fmt.Sprintf("%d/%d", q.Overdue, len(q.Open)), len(q.Open), q.Overdue)}
		if len(q.Open) > 0 {
			e = append(e, ev(q.Measured, "compliance.ev.next_due", q.Open[0].DueAt.UTC().Format(time.RFC3339), q.Open[0].DueAt))
		}
		if q.Overdue > 0 {
			return answer{status: NotMet, reason: "compliance.reason.requests_overdue", args: []any{q.Overdue}, evidence: e}
		}
		return answer{status: Met, reason: "compliance.reason.requests", evidence: e}
	},
	"DSR-2": func(f Facts) answer { return mechanism("DSR-2", page(f, "/admin/requests")) },
	"DSR-3": func(f Facts) answer { return mechanism("DSR-3", page(f, "/admin/forms")) },
	"DSR-4": func(f Facts) answer {
		return mechanism("DSR-4", Measured{At: f.At, Link: "/" + f.TenantSlug + "/privacy"})
	},

	"BRE-1": func(f Facts) answer {
		g := f.Breaches
		late, overdue, open := 0, 0, 0
		var e []Evidence
		for _, b := range g.All {
			c := breach.ControllerClock(b.DiscoveredAt, b.NotifiedAt, f.At)
			switch {
			case !c.Done && c.Late:
				overdue++
				e = append(e, ev(g.Measured, "compliance.ev.breach_overdue", "overdue", b.DiscoveredAt, c.Due))
			case !c.Done:
				open++
				e = append(e, ev(g.Measured, "compliance.ev.breach_clock", "running", b.DiscoveredAt, c.Due))
			case c.Late:
				late++
				e = append(e, ev(g.Measured, "compliance.ev.breach_late", "late", b.DiscoveredAt, *b.NotifiedAt))
			}
		}
		e = append([]Evidence{ev(g.Measured, "compliance.ev.breaches", fmt.Sprint(len(g.All)), len(g.All), open+overdue)}, e...)
		switch {
		case overdue > 0:
			return answer{status: NotMet, reason: "compliance.reason.breach_overdue", args: []any{overdue}, evidence: e}
		case late > 0:
			return answer{status: Partly, reason: "compliance.reason.breach_late", args: []any{late}, evidence: e}
		}
		return answer{status: Met, reason: "compliance.reason.breaches", evidence: e}
	},
	"BRE-2": func(f Facts) answer { return mechanism("BRE-2", f.Breaches.Measured) },
	"BRE-3": func(f Facts) answer {
		// Only the controller notifies the GBA: its 72-hour clocks are shown
		// for it, and do not make the processor's clause unmet.
		g := f.Breaches
		a := mechanism("BRE-3", g.Measured)
		for _, b := range g.All {
			if c := breach.AuthorityClock(b.DiscoveredAt, b.GBANotifiedAt, f.At); !c.Done {
				a.evidence = append(a.evidence, ev(g.Measured, "compliance.ev.gba_clock", c.Due.UTC().Format(time.RFC3339), b.DiscoveredAt, c.Due))
			}
		}
		return a
	},
	"BRE-4": func(f Facts) answer { return mechanism("BRE-4", page(f, "/admin/dpia")) },
	"BRE-5": func(f Facts) answer { return mechanism("BRE-5", f.Breaches.Measured) },

	"SUB-1": func(f Facts) answer {
		s := f.SubProcessors
		var e []Evidence
		bad := 0
		for _, sp := range s.All {
			e = append(e, ev(s.Measured, "compliance.ev.subprocessor", sp.Location, sp.Name, sp.Location))
			if !sp.EEA && sp.Mechanism == "" {
				bad++
			}
		}
		if bad > 0 {
			return answer{status: NotMet, reason: "compliance.reason.sub_outside_eea", args: []any{bad}, evidence: e}
		}
		return answer{status: Met, reason: "compliance.reason.subprocessors", args: []any{len(s.All)}, evidence: e}
	},
	"SUB-2": func(f Facts) answer {
		s := f.SubProcessors
		pending, objected := 0, 0
		for _, sp := range s.All {
			switch sp.Status {
			case store.SubPending:
				pending++
			case store.SubObjected:
				objected++
			}
		}
		a := mechanism("SUB-2", s.Measured)
		a.evidence = append(a.evidence, ev(s.Measured, "compliance.ev.sub_decisions", fmt.Sprintf("%d/%d", pending, objected), pending, objected))
		return a
	},
	"SUB-3": func(f Facts) answer { return mechanism("SUB-3", f.SubProcessors.Measured) },

	"LOC-1": func(f Facts) answer {
		l := f.Location
		e := []Evidence{ev(l.Measured, "compliance.ev.database", l.Database, l.Database)}
		if l.AttachmentsSub != "" {
			e = append(e, ev(l.Measured, "compliance.ev.attachments_sub", l.Attachments, l.Attachments, l.AttachmentsSub))
		} else {
			e = append(e, ev(l.Measured, "compliance.ev.attachments", l.Attachments, l.Attachments))
		}
		a := answer{status: Met, reason: "compliance.reason.in_eea"}
		outside := 0
		for _, sp := range f.SubProcessors.All {
			if !sp.EEA {
				outside++
			}
		}
		if outside > 0 {
			a = answer{status: Partly, reason: "compliance.reason.sub_outside_eea", args: []any{outside}}
		}
		if l.Attachments != "database" && l.AttachmentsSub != "" && !l.AttachmentsEEA {
			a = answer{status: NotMet, reason: "compliance.reason.storage_outside_eea"}
		}
		r := relayAnswer(f)
		a.evidence = append(e, r.evidence...)
		if r.status == NotMet {
			a.status, a.reason, a.args = NotMet, r.reason, r.args
		}
		return a
	},
	"LOC-2": func(f Facts) answer { return mechanism("LOC-2", page(f, "/admin/hosts")) },
	"LOC-3": func(f Facts) answer { return mechanism("LOC-3", page(f, "/admin/audit")) },
	"LOC-4": func(f Facts) answer {
		// Updates of the operating system, web server and database are the
		// operator's: Kluis cannot measure them, and says so.
		return answer{status: Partly, reason: "compliance.reason.operator_duty",
			evidence: []Evidence{ev(page(f, "/admin/organisation"), "compliance.ev.mechanism.LOC-4", "in place")}}
	},

	"ADT-1": func(f Facts) answer {
		a := chainAnswer(f, "compliance.reason.auditable")
		a.evidence = append(a.evidence, ev(page(f, "/admin/audits"), "compliance.ev.mechanism.ADT-1", "in place"))
		return a
	},
	"ADT-2": func(f Facts) answer { return mechanism("ADT-2", page(f, "/admin/audits")) },
	"ADT-3": func(f Facts) answer { return mechanism("ADT-3", page(f, "/admin/audits")) },

	"ORG-1": func(f Facts) answer {
		a := declaration(f, "compliance.reason.declared", store.OrgSecurityOfficer, store.OrgDPO)
		a.evidence = append(a.evidence, ev(f.Org.Measured, "compliance.ev.tenant_dpo."+yesNo(f.Org.DPONamed), yesNo(f.Org.DPONamed)))
		return a
	},
	"ORG-2": func(f Facts) answer { return declaration(f, "compliance.reason.declared", store.OrgConfidentiality) },
	"ORG-3": func(f Facts) answer { return declaration(f, "compliance.reason.declared", store.OrgBreachProcedure) },
	"ORG-4": func(f Facts) answer { return declaration(f, "compliance.reason.declared", store.OrgSLA) },
	"ORG-5": func(f Facts) answer {
		a := declaration(f, "compliance.reason.declared", store.OrgRiskAnalysis, store.OrgDRTest)
		a.evidence = append(a.evidence, testEvidence(f.Backup))
		return a
	},
	"ORG-6": func(f Facts) answer { return mechanism("ORG-6", page(f, "/admin/users")) },
}

// adminsAnswer (USR-1, USR-5): met with reason while the tenant has an
// admin or DPO of its own, not met without one.
func adminsAnswer(f Facts, reason string) answer {
	u := f.Users
	e := []Evidence{ev(u.Measured, "compliance.ev.users", fmt.Sprintf("%d/%d", u.Active, u.Total), u.Total, u.Active, u.Admins)}
	if u.Admins == 0 {
		return answer{status: NotMet, reason: "compliance.reason.no_admin", evidence: e}
	}
	return answer{status: Met, reason: reason, evidence: e}
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// declaration answers an organisational clause from the supplier's
// declarations of kinds: declared when every kind is, not met otherwise
// (naming the missing ones).
func declaration(f Facts, reason string, kinds ...string) answer {
	o := f.Org
	a := answer{status: Declared, reason: reason}
	for _, k := range kinds {
		at, ok := o.Declared[k]
		if !ok {
			a.status, a.reason = NotMet, "compliance.reason.not_declared"
			a.evidence = append(a.evidence, ev(o.Measured, "compliance.ev.not_declared."+k, "none"))
			continue
		}
		a.evidence = append(a.evidence, ev(o.Measured, "compliance.ev.declared."+k, at.UTC().Format(time.RFC3339), at))
	}
	return a
}

// chainAnswer: met when the tenant's audit chain verifies at the
// report's instant, not met when it does not.
func chainAnswer(f Facts, reason string) answer {
	g := f.Audit
	if !g.Verified {
		return answer{status: NotMet, reason: "compliance.reason.chain_broken",
			evidence: []Evidence{ev(g.Measured, "compliance.ev.chain_broken", g.Broken, g.Events)}}
	}
	return answer{status: Met, reason: reason, evidence: []Evidence{ev(g.Measured, "compliance.ev.chain", fmt.Sprint(g.Events), g.Events, g.At)}}
}

// checkpointAnswer: met when the latest signed checkpoint is younger than
// twice the interval, partly when older or absent.
func checkpointAnswer(f Facts) answer {
	g := f.Audit
	m := Measured{At: g.At, Link: g.CheckpointLink}
	if g.CheckpointAt.IsZero() {
		return answer{status: Partly, reason: "compliance.reason.no_checkpoint",
			evidence: []Evidence{ev(m, "compliance.ev.checkpoint.none", "none")}}
	}
	age := f.At.Sub(g.CheckpointAt)
	e := []Evidence{ev(m, "compliance.ev.checkpoint", age.Round(time.Minute).String(), g.CheckpointAt, g.CheckpointSize, int(age/time.Minute))}
	if age > g.CheckpointMax {
		return answer{status: Partly, reason: "compliance.reason.checkpoint_old", args: []any{int(age / time.Minute)}, evidence: e}
	}
	return answer{status: Met, reason: "compliance.reason.checkpoint", evidence: e}
}

// testEvidence is the latest restore test as evidence.
func testEvidence(b BackupFacts) Evidence {
	t := b.LastTest
	switch {
	case t.ID == "":
		return ev(b.Measured, "compliance.ev.restore_test.none", "none")
	case t.OK:
		return ev(b.Measured, "compliance.ev.restore_test.ok", "ok", t.FinishedAt, t.BackupID)
	}
	return ev(b.Measured, "compliance.ev.restore_test.failed", "failed", t.FinishedAt, t.BackupID)
}

// backupAnswer (END-2, SEC-5): met when the latest backup and restore test
// passed and the test is younger than the policy (TestEvery, with an hour's
// grace for the run itself); not met when the latest test failed, is older
// than the policy, or there is none; partly when only the backup failed.
func backupAnswer(f Facts) answer {
	b := f.Backup
	e := []Evidence{}
	switch {
	case b.LastBackup.ID == "":
		e = append(e, ev(b.Measured, "compliance.ev.backup.none", "none"))
	case b.LastBackup.OK:
		e = append(e, ev(b.Measured, "compliance.ev.backup.ok", "ok", b.LastBackup.FinishedAt))
	default:
		e = append(e, ev(b.Measured, "compliance.ev.backup.failed", "failed", b.LastBackup.FinishedAt))
	}
	e = append(e, testEvidence(b))
	t := b.LastTest
	switch {
	case t.ID == "":
		return answer{status: NotMet, reason: "compliance.reason.never_tested", evidence: e}
	case !t.OK:
		return answer{status: NotMet, reason: "compliance.reason.test_failed", args: []any{t.FinishedAt}, evidence: e}
	case f.At.Sub(t.FinishedAt) > b.TestEvery+time.Hour:
		return answer{status: NotMet, reason: "compliance.reason.test_old", args: []any{t.FinishedAt, int(b.TestEvery / time.Hour)}, evidence: e}
	case b.LastBackup.ID == "" || !b.LastBackup.OK:
		return answer{status: Partly, reason: "compliance.reason.backup_failed", evidence: e}
	}
	return answer{status: Met, reason: "compliance.reason.backup", args: []any{t.FinishedAt}, evidence: e}
}

// relayAnswer (REG-2, LOC-1): where the mail goes. Met with no relay (mail
// waits) or a relay a current sub-processor in the EEA serves; partly when
// no sub-processor names the relay's host; not met when its sub-processor
// is outside the EEA.
func relayAnswer(f Facts) answer {
	l := f.Location
	switch {
	case l.MailRelay == "":
		return answer{status: Met, reason: "compliance.reason.no_relay",
			evidence: []Evidence{ev(l.Measured, "compliance.ev.relay.none", "none")}}
	case l.MailRelaySub == "":
		return answer{status: Partly, reason: "compliance.reason.relay_unknown", args: []any{l.MailRelay},
			evidence: []Evidence{ev(l.Measured, "compliance.ev.relay.unknown", l.MailRelay, l.MailRelay)}}
	case !l.MailRelayEEA:
		return answer{status: NotMet, reason: "compliance.reason.relay_outside_eea", args: []any{l.MailRelay, l.MailRelaySub},
			evidence: []Evidence{ev(l.Measured, "compliance.ev.relay", l.MailRelay, l.MailRelay, l.MailRelaySub)}}
	}
	return answer{status: Met, reason: "compliance.reason.relay",
		evidence: []Evidence{ev(l.Measured, "compliance.ev.relay", l.MailRelay, l.MailRelay, l.MailRelaySub)}}
}
