package compliance

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/backup"
	"github.com/kluis/kluis/internal/policy"
	"github.com/kluis/kluis/internal/register"
	"github.com/kluis/kluis/internal/store"
)

// Measured says when a fact was measured and where, in the back office,
// the page that shows it lives (a path of the tenant: "/gent/admin/users").
type Measured struct {
	At   time.Time `json:"measured_at"`
	Link string    `json:"link"`
}

// Facts are one tenant's facts at one instant, each with its measurement.
type Facts struct {
	TenantID   string    `json:"tenant_id"`
	TenantSlug string    `json:"tenant"`
	TenantName string    `json:"tenant_name"`
	At         time.Time `json:"at"` // the instant the report speaks of

	Users         UserFacts         `json:"users"`
	Policy        PolicyFacts       `json:"policy"`
	Backup        BackupFacts       `json:"backup"`
	Audit         AuditFacts        `json:"audit"`
	Access        AccessFacts       `json:"supplier_access"`
	Retention     RetentionFacts    `json:"retention"`
	Requests      RequestFacts      `json:"requests"`
	Breaches      BreachFacts       `json:"breaches"`
	SubProcessors SubProcessorFacts `json:"sub_processors"`
	Location      LocationFacts     `json:"location"`
	Register      RegisterFacts     `json:"register"`
	Org           OrgFacts          `json:"organisation"`
}

// UserFacts: the tenant's users and their second factors (USR-1, USR-2,
// USR-5). Removed users are not counted; invited and disabled ones are.
type UserFacts struct {
	Measured
	Total   int `json:"total"`
	Active  int `json:"active"`
	WithMFA int `json:"with_mfa"` // of Total
	Admins  int `json:"admins"`   // admins and DPOs, who must have a second factor
	// AdminsWithoutMFA are the names of the admins and DPOs without a
	// second factor, as the users page shows them ("" when a name does not
	// open).
	AdminsWithoutMFA []string `json:"admins_without_mfa"`
}

// PolicyFacts: the tenant's password, lockout and session policy (USR-3,
// USR-6).
type PolicyFacts struct {
	Measured
	policy.Policy
	Version int `json:"version"` // 0: the platform default
}

// BackupFacts: the platform's latest backups and restore tests (END-2,
// SEC-4, SEC-5, SEC-6). Runs are zero when there has been none.
type BackupFacts struct {
	Measured
	LastBackup     store.BackupRun `json:"last_backup"`
	LastGoodBackup store.BackupRun `json:"last_good_backup"`
	LastTest       store.BackupRun `json:"last_restore_test"`
	LastGoodTest   store.BackupRun `json:"last_good_restore_test"`
	Scheduled      bool            `json:"scheduled"`   // a daily time is set
	SecondSite     bool            `json:"second_site"` // backups are replicated (SEC-6)
	// TestEvery is the policy: a restore test at least this often; one
	// older is as good as none.
	TestEvery time.Duration `json:"test_every"`
}

// AuditFacts: the tenant's audit chain verified live at At, and its latest
// signed checkpoint (AUD-1…AUD-3, ADT-1).
type AuditFacts struct {
	Measured
	Events   int64  `json:"events"`   // events checked
	Verified bool   `json:"verified"` // the chain is unbroken up to its head
	Broken   string `json:"broken"`   // why not, without personal data
	// CheckpointAt is when the latest checkpoint was signed (zero: none),
	// of CheckpointSize events.
	CheckpointAt   time.Time     `json:"checkpoint_at"`
	CheckpointSize int64         `json:"checkpoint_size"`
	CheckpointLink string        `json:"checkpoint_link"`
	CheckpointMax  time.Duration `json:"checkpoint_max_age"` // older is late
}

// AccessFacts: the supplier's open access to the tenant (AUD-4).
type AccessFacts struct {
	Measured
	OpenGrants  int `json:"open_grants"`
	OpenNotices int `json:"open_notices"` // maintenance notices not yet over
}

// RetentionRun is one run of the retention engine with what it did.
type RetentionRun struct {
	StartedAt  time.Time        `json:"started_at"`
	FinishedAt *time.Time       `json:"finished_at"`
	Status     string           `json:"status"` // running, done, failed
	Counts     map[string]int64 `json:"counts"` // per action (delete, anonymise, pseudonymise, remove)
}

// RetentionFacts: the latest retention runs, newest first (SEC-1).
type RetentionFacts struct {
	Measured
	Runs []RetentionRun `json:"runs"`
	// Every is how often the engine should run; a latest run older than
	// twice that is late.
	Every time.Duration `json:"every"`
}

// RequestFacts: the open data-subject requests and their deadlines (DSR-1).
type RequestFacts struct {
	Measured
	Open    []store.ComplianceRequest `json:"open"`
	Overdue int                       `json:"overdue"` // past their deadline at At
}

// BreachFacts: the breach register's clocks (BRE-1, BRE-3).
type BreachFacts struct {
	Measured
	All []store.ComplianceBreach `json:"all"`
}

// SubProcessor is one sub-processor of the tenant: from its register or
// the platform's list.
type SubProcessor struct {
	Name      string   `json:"name"`
	Location  string   `json:"location"` // where it processes (a country)
	EEA       bool     `json:"eea"`
	Mechanism string   `json:"transfer_mechanism"`
	Platform  bool     `json:"platform"` // on the supplier's list, not the register's
	Status    string   `json:"status"`   // platform ones: accepted, pending, objected
	Hosts     []string `json:"hosts,omitempty"`
}

// SubProcessorFacts: the sub-processors and where they are (SUB-1…SUB-3,
// LOC-1).
type SubProcessorFacts struct {
	Measured
	All []SubProcessor `json:"all"`
}

// LocationFacts: where the tenant's data is stored and where its mail goes
// (LOC-1, REG-2).
type LocationFacts struct {
	Measured
	Database string `json:"database"` // "sqlite" or "postgres", with the host when it has one
	// Attachments: "database" or the object store's host; its
	// sub-processor when one names that host.
	Attachments    string `json:"attachments"`
	AttachmentsSub string `json:"attachments_sub_processor"`
	AttachmentsEEA bool   `json:"attachments_eea"`
	MailRelay      string `json:"mail_relay"` // host; "" when mail waits in the outbox
	MailRelaySub   string `json:"mail_relay_sub_processor"`
	MailRelayEEA   bool   `json:"mail_relay_eea"`
}

// RegisterFacts: the current processing register (REG-1, REG-6, REG-7).
type RegisterFacts struct {
	Measured
	Version      int       `json:"version"` // 0: none yet
	SavedAt      time.Time `json:"saved_at"`
	Purposes     int       `json:"purposes"`
	Categories   int       `json:"categories"`
	Unclassified int       `json:"unclassified"` // categories without a REG-7 class
	Applications int       `json:"applications"`
}

// OrgFacts: the supplier's organisational declarations (ORG-1…ORG-5).
type OrgFacts struct {
	Measured
	// Declared: per kind (store.OrgKinds), when last declared.
	Declared map[string]time.Time `json:"declared"`
	DPONamed bool                 `json:"tenant_dpo_named"`
}

// Platform is what the running configuration says about where data lives
// and how often the platform checks itself: passed in by who runs Collect
// (serve's configuration, the CLI's flags). Locations carry no secrets.
type Platform struct {
	Database    string // "sqlite" or "postgres://host" (no user, no password)
	Storage     string // attachments' object store location; "" in the database
	MailRelay   string // SMTP host; "" when none
	Scheduled   bool   // backups run daily
	SecondSite  bool   // a second backup site
	TestEvery   time.Duration
	CheckEvery  time.Duration // checkpoint interval
	RetainEvery time.Duration // retention engine interval
}

// Options are who reads the facts and what the platform is.
type Options struct {
	// Actor reads: the audit event "compliance.read" names it.
	Actor    audit.Actor
	Platform Platform
	// CountsOnly opens no name: the admins without a second factor are
	// counted, not named, and as nothing personal is read the read is not
	// recorded (the hourly drift check, whose snapshot keeps counts only).
	CountsOnly bool
}

// Defaults for what Platform leaves zero.
const (
	DefaultTestEvery   = 24 * time.Hour
	DefaultCheckEvery  = 15 * time.Minute
	DefaultRetainEvery = 24 * time.Hour
)

// Collect gathers tenant's facts at now. It reads through the store's own
// methods; the one that opens names (admins without a second factor) is
// audited as compliance.read by opts.Actor. The audit chain is verified
// live: a broken chain is a fact, not an error.
func Collect(ctx context.Context, db *store.DB, tenantID string, now time.Time, opts Options) (Facts, error) {
	t, err := db.Tenant(ctx, tenantID)
	if err != nil {
		return Facts{}, fmt.Errorf("compliance facts: %w", err)
	}
	p := opts.Platform
	if p.TestEvery <= 0 {
		p.TestEvery = DefaultTestEvery
	}
	if p.CheckEvery <= 0 {
		p.CheckEvery = DefaultCheckEvery
	}
	if p.RetainEvery <= 0 {
		p.RetainEvery = DefaultRetainEvery
	}
	link := func(path string) string { return "/" + t.Slug + path }
	m := func(path string) Measured { return Measured{At: now, Link: link(path)} }
	f := Facts{TenantID: t.ID, TenantSlug: t.Slug, TenantName: t.LegalName, At: now}

	cf, err := db.ComplianceFacts(ctx, opts.Actor, t.ID, now, !opts.CountsOnly)
	if err != nil {
		return f, err
	}
	f.Users = UserFacts{Measured: m("/admin/users"), AdminsWithoutMFA: []string{}}
	for _, u := range cf.Users {
		f.Users.Total++
		if u.Status == account.StatusActive {
			f.Users.Active++
		}
		if u.SecondFactor {
			f.Users.WithMFA++
		}
		if u.Role == account.RoleAdmin || u.Role == account.RoleDPO {
			f.Users.Admins++
			if !u.SecondFactor {
				f.Users.AdminsWithoutMFA = append(f.Users.AdminsWithoutMFA, u.Name)
			}
		}
	}
	f.Access = AccessFacts{Measured: m("/admin/operators"), OpenGrants: cf.OpenGrants, OpenNotices: cf.OpenNotices}
	f.Requests = RequestFacts{Measured: m("/admin/requests"), Open: cf.Requests}
	for _, r := range cf.Requests {
		if !now.Before(r.DueAt) {
			f.Requests.Overdue++
		}
	}
	f.Breaches = BreachFacts{Measured: m("/admin/breaches"), All: cf.Breaches}
	f.Org = OrgFacts{Measured: m("/admin/organisation"), Declared: cf.Declared, DPONamed: cf.DPONamed}

	pol, v, err := db.TenantPolicy(ctx, t.ID)
	if err != nil {
		return f, err
	}
	f.Policy = PolicyFacts{Measured: m("/admin/policy"), Policy: pol, Version: v}

	bf, err := db.BackupFacts(ctx, 0)
	if err != nil {
		return f, err
	}
	f.Backup = BackupFacts{Measured: m("/admin/backups"), LastBackup: bf.LastBackup, LastGoodBackup: bf.LastGoodBackup,
		LastTest: bf.LastTest, LastGoodTest: bf.LastGoodTest, Scheduled: p.Scheduled, SecondSite: p.SecondSite, TestEvery: p.TestEvery}

	f.Audit = AuditFacts{Measured: m("/admin/audit"), CheckpointLink: link("/admin/audit/checkpoints"), CheckpointMax: 2 * p.CheckEvery}
	n, verr := db.VerifyAudit(ctx, t.ID)
	f.Audit.Events = n
	var broken *audit.BrokenError
	switch {
	case verr == nil:
		f.Audit.Verified = true
	case errors.As(verr, &broken):
		f.Audit.Broken = broken.Error()
	default:
		return f, fmt.Errorf("compliance facts: verify the audit chain: %w", verr)
	}
	cp, err := db.LatestCheckpoint(ctx, t.ID)
	switch {
	case err == nil:
		f.Audit.CheckpointAt, f.Audit.CheckpointSize = cp.SignedAt, cp.Size
	case !errors.Is(err, store.ErrNotFound):
		return f, err
	}

	runs, err := db.RetentionRuns(ctx, t.ID, 5)
	if err != nil {
		return f, err
	}
	f.Retention = RetentionFacts{Measured: m("/admin/register/retention"), Runs: []RetentionRun{}, Every: p.RetainEvery}
	for _, r := range runs {
		counts := map[string]int64{}
		for _, c := range r.Counts {
			counts[c.Action] += c.Count
		}
		f.Retention.Runs = append(f.Retention.Runs, RetentionRun{StartedAt: r.StartedAt, FinishedAt: r.FinishedAt, Status: r.Status, Counts: counts})
	}

	f.Register = RegisterFacts{Measured: m("/admin/register")}
	f.SubProcessors = SubProcessorFacts{Measured: m("/admin/subprocessors"), All: []SubProcessor{}}
	rv, err := db.CurrentRegister(ctx, t.ID)
	switch {
	case err == nil:
		reg := rv.Register
		f.Register.Version, f.Register.SavedAt = rv.Version, rv.CreatedAt
		f.Register.Purposes, f.Register.Categories, f.Register.Applications = len(reg.Purposes), len(reg.Categories), len(reg.Applications)
		for _, c := range reg.Categories {
			if c.Class == "" {
				f.Register.Unclassified++
			}
		}
		for _, s := range reg.SubProcessors {
			f.SubProcessors.All = append(f.SubProcessors.All, SubProcessor{Name: s.Name, Location: s.Country,
				EEA: inEEA(s.Country), Mechanism: s.TransferMechanism, Hosts: endpointHosts(s.Endpoints)})
		}
	case !errors.Is(err, store.ErrNotFound):
		return f, err
	}
	for _, s := range cf.SubProcessors {
		f.SubProcessors.All = append(f.SubProcessors.All, SubProcessor{Name: s.Name, Location: s.Location, EEA: s.EEA,
			Mechanism: s.Mechanism, Platform: true, Status: s.Status, Hosts: s.Hosts})
	}

	f.Location = LocationFacts{Measured: m("/admin/subprocessors"), Database: p.Database, Attachments: "database", MailRelay: p.MailRelay}
	if p.Storage != "" {
		f.Location.Attachments = p.Storage
		if h := backup.LocationHost(p.Storage); h != "" {
			f.Location.Attachments = h
			f.Location.AttachmentsSub, f.Location.AttachmentsEEA = f.SubProcessors.serving(h)
		}
	}
	if p.MailRelay != "" {
		f.Location.MailRelaySub, f.Location.MailRelayEEA = f.SubProcessors.serving(strings.ToLower(p.MailRelay))
	}
	return f, nil
}

// serving names the current sub-processor whose hosts hold host (it or a
// parent domain, as routing matches), and whether it is in the EEA.
func (s SubProcessorFacts) serving(host string) (string, bool) {
	for _, sp := range s.All {
		if sp.Status != "objected" && backup.HostOf(host, lower(sp.Hosts)) {
			return sp.Name, sp.EEA
		}
	}
	return "", false
}

func lower(hosts []string) []string {
	out := make([]string, len(hosts))
	for i, h := range hosts {
		out[i] = strings.ToLower(h)
	}
	return out
}

func endpointHosts(endpoints []string) []string {
	var out []string
	for _, e := range endpoints {
		if h := backup.LocationHost(e); h != "" {
			out = append(out, h)
		} else if e != "" {
			out = append(out, strings.ToLower(e))
		}
	}
	return out
}

func inEEA(country string) bool { return register.InEEA(country) }
