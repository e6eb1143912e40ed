package backup

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/kluis/kluis/internal/objstore"
	"github.com/kluis/kluis/internal/store"
)

// What the platform can say of its backups (SEC-4, SEC-5, SEC-6): the
// operators' page shows all of it, a controller's page the facts without
// the operators' locations, and the compliance report takes it as data.

// Settings are the backup settings people may see: locations (which
// objstore names without secrets), the daily time and the retention;
// never recipients, identities or keys.
type Settings struct {
	Targets    []string
	SecondSite string // "" when there is none
	At         string // daily time "03:30" (UTC); "" when no backup is scheduled
	Retention  Retention
}

// Site is one place backups are kept.
type Site struct {
	// Location is the store's own name for people ("dir:/var/backups",
	// "s3://host/bucket/prefix"): for operators only.
	Location string
	Second   bool // the second site, replicated to (SEC-6)
	// SubProcessor is the registered sub-processor whose host the site is
	// on; "" for a directory or a host no sub-processor names.
	SubProcessor string
	EEA          bool // the sub-processor is in the EEA
	// Err says why the location does not open; nil when it does.
	Err   error
	store objstore.Store
}

// Status is the backup facts with what they mean.
type Status struct {
	Settings
	Sites []Site
	store.BackupFacts
	// Checked is what the latest passed restore test checked, when its
	// recorded detail reads (CheckedKnown).
	Checked      TestResult
	CheckedKnown bool
}

// Scheduled reports whether backups and restore tests run by themselves.
func (s Status) Scheduled() bool { return s.At != "" }

// ReadStatus gathers the status: the recorded runs (at most recent of
// them) and the configured sites, each with its registered sub-processor.
// It reads no store's contents (Contents does).
func ReadStatus(ctx context.Context, db *store.DB, set Settings, recent int) (Status, error) {
	st := Status{Settings: set}
	var err error
	if st.BackupFacts, err = db.BackupFacts(ctx, recent); err != nil {
		return st, err
	}
	if st.LastGoodTest.ID != "" {
		st.Checked, st.CheckedKnown = ParseTestResult(st.LastGoodTest.Detail)
	}
	subs, err := db.SubProcessors(ctx)
	if err != nil {
		return st, err
	}
	locs := append([]string{}, set.Targets...)
	if set.SecondSite != "" {
		locs = append(locs, set.SecondSite)
	}
	for i, l := range locs {
		site := Site{Second: set.SecondSite != "" && i == len(locs)-1}
		site.store, site.Err = objstore.Open(l)
		if site.Err == nil {
			site.Location = site.store.Location()
		} else {
			site.Location = redactLocation(l)
		}
		if host := LocationHost(l); host != "" {
			for _, s := range subs {
				if s.RetiredAt == nil && HostOf(host, s.Hosts) {
					site.SubProcessor, site.EEA = s.Name, s.EEA
					break
				}
			}
		}
		st.Sites = append(st.Sites, site)
	}
	return st, nil
}

// Contents lists the backups at a site, as List does; a site that did
// not open returns why.
func (s Site) Contents(ctx context.Context) ([]Manifest, error) {
	if s.Err != nil {
		return nil, s.Err
	}
	return List(ctx, s.store)
}

// LocationHost is the host of an s3://… location, "" for a directory.
func LocationHost(loc string) string {
	if !strings.Contains(loc, "://") {
		return ""
	}
	u, err := url.Parse(strings.TrimSpace(loc))
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Hostname())
}

// redactLocation names a location that did not open without its user
// part (an access key).
func redactLocation(loc string) string {
	u, err := url.Parse(strings.TrimSpace(loc))
	if err != nil || u.Host == "" {
		if strings.Contains(loc, "@") {
			return "?"
		}
		return loc
	}
	u.User = nil
	return u.Scheme + "://" + u.Host + u.Path
}

// HostOf reports whether host is one of hosts or below one of them (as
// the sub-processor routing matches, SUB-2).
func HostOf(host string, hosts []string) bool {
	for _, h := range hosts {
		if host == h || strings.HasSuffix(host, "."+h) {
			return true
		}
	}
	return false
}

// testResultFormat is TestResult.String's format: ParseTestResult reads
// what a passed restore test recorded.
const testResultFormat = "backup %s restored: %d tenants, %d rows as the manifest counts, %d audit events and %d checkpoints verified"

// ParseTestResult reads a passed restore test's recorded detail back;
// ok is false when detail is not one.
func ParseTestResult(detail string) (r TestResult, ok bool) {
	n, err := fmt.Sscanf(detail, testResultFormat, &r.BackupID, &r.Tenants, &r.Rows, &r.Events, &r.Marks)
	return r, err == nil && n == 5
}
