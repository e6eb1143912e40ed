package web

import (
	"context"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/backup"
	"github.com/kluis/kluis/internal/store"
)

// Backups and restore tests as people see them (SEC-4, SEC-5, SEC-6):
// the operators' page in their realm (/operator/backups) shows where the
// backups are, what each run did and what each target holds; a
// controller's page (/{tenant}/admin/backups) shows the facts without the
// operators' locations. Both read backup.ReadStatus; nothing on them is
// personal data, so reading them is not audited.

// secretInURL is the user part of a URL in an error (an S3 access key):
// never shown.
var secretInURL = regexp.MustCompile(`://[^/@\s]+@`)

// backupRecent is how many runs the pages list.
const backupRecent = 30

// backupListTimeout bounds reading a target's list (an S3 site that does
// not answer must not hang the page).
const backupListTimeout = 10 * time.Second

type backupRunRow struct {
	Kind, Result, When, BackupID, Size, Duration, Where, Detail string
	OK                                                          bool
}

type backupSiteRow struct {
	Location, Role, SubProcessor, Error string
	Backups                             []backupListRow
}

type backupListRow struct{ ID, Created, Size, Tenants string }

// backupFactsView is what both pages say in words.
type backupFactsView struct {
	Configured                 bool
	Schedule, Retention        string
	LastBackup, LastGoodBackup string // "" when none
	LastBackupFailed           bool
	LastTest, LastTestResult   string
	LastTestOK, LastTestKnown  bool
	Checked                    []string // what the latest passed restore test checked
	LastGoodTest               string
	Sites                      string // "2 locaties in de EER"
	SubProcessors              []string
	Healthy                    bool
	HealthReason               string
	ForTenant                  bool // a controller reads it: "your organisation's keys"
}

type operatorBackupsPage struct {
	Slug  string
	Facts backupFactsView
	// CanRun: a worker here runs the restore test job, so the page
	// offers to queue one (Options.RestoreTestJob).
	CanRun bool
	Done   string
	Errors fieldErrors
	Runs   []backupRunRow
	Sites  []backupSiteRow
}

// backupFacts reads the status and says it in the reader's language. A
// controller (tenant) reads what the restore test checked without the
// platform's counts: how many organisations and rows the platform holds
// is the supplier's business, not another controller's.
func (a *App) backupFacts(r *http.Request, tenant bool) (backup.Status, backupFactsView, error) {
	st, err := backup.ReadStatus(r.Context(), a.opts.Store, a.opts.Backups, backupRecent)
	if err != nil {
		return st, backupFactsView{}, err
	}
	v := backupFactsView{Configured: len(st.Targets) > 0, SubProcessors: []string{}, ForTenant: tenant}
	if st.Scheduled() {
		v.Schedule = a.t(r, "backupui.schedule.daily", st.At)
		if st.SecondSite != "" {
			v.Schedule += " " + a.t(r, "backupui.schedule.second_site")
		}
	} else {
		v.Schedule = a.t(r, "backupui.schedule.none")
	}
	ret := st.Retention
	if ret == (backup.Retention{}) {
		ret = backup.Retention{Daily: 7, Weekly: 4, Monthly: 6} // config's default
	}
	v.Retention = a.t(r, "backupui.retention", ret.Daily, ret.Weekly, ret.Monthly)
	if st.LastBackup.ID != "" {
		v.LastBackup, v.LastBackupFailed = datetime(st.LastBackup.FinishedAt), !st.LastBackup.OK
	}
	if st.LastGoodBackup.ID != "" {
		v.LastGoodBackup = datetime(st.LastGoodBackup.FinishedAt)
	}
	if st.LastTest.ID != "" {
		v.LastTest, v.LastTestOK = datetime(st.LastTest.FinishedAt), st.LastTest.OK
		v.LastTestResult = a.t(r, "backupui.result."+okWord(st.LastTest.OK))
	}
	if st.LastGoodTest.ID != "" {
		v.LastGoodTest = datetime(st.LastGoodTest.FinishedAt)
	}
	if st.CheckedKnown {
		c := st.Checked
		v.LastTestKnown = true
		v.Checked = []string{a.t(r, "backupui.checked.backup", c.BackupID), a.t(r, "backupui.checked.rows", c.Rows, c.Tenants),
			a.t(r, "backupui.checked.chains", c.Events), a.t(r, "backupui.checked.checkpoints", c.Marks)}
		if tenant {
			v.Checked = []string{a.t(r, "backupui.checked.backup", c.BackupID), a.t(r, "backupui.checked.tenant_rows"),
				a.t(r, "backupui.checked.tenant_chain")}
		}
	}
	eea := true
	for _, s := range st.Sites {
		if s.SubProcessor != "" {
			v.SubProcessors = append(v.SubProcessors, s.SubProcessor)
		}
		// A directory is the supplier's own data centre, in the EEA by
		// the agreement; another host only when its sub-processor is.
		if strings.Contains(s.Location, "://") && (s.SubProcessor == "" || !s.EEA) {
			eea = false
		}
	}
	key := "backupui.sites"
	if eea {
		key = "backupui.sites_eea"
	}
	v.Sites = a.t(r, key, len(st.Sites))
	if len(st.Sites) == 0 {
		v.Sites = a.t(r, "backupui.op.no_sites")
	}
	v.Healthy = true
	for _, c := range a.opts.Checks {
		if c.Name != "backup" {
			continue
		}
		if err := runCheck(r.Context(), c); err != nil {
			v.Healthy = false
			switch {
			case st.LastBackup.ID != "" && !st.LastBackup.OK:
				v.HealthReason = a.t(r, "backupui.health.backup_failed")
			case st.LastTest.ID != "" && !st.LastTest.OK:
				v.HealthReason = a.t(r, "backupui.health.test_failed")
			default:
				v.HealthReason = a.t(r, "backupui.health.too_old")
			}
		}
	}
	return st, v, nil
}

func okWord(ok bool) string {
	if ok {
		return "ok"
	}
	return "failed"
}

// operatorBackupsShow is the operators' page of backups and restore
// tests, in their realm.
func (a *App) operatorBackupsShow(w http.ResponseWriter, r *http.Request, me account.User) {
	var done string
	switch r.URL.Query().Get("done") {
	case "queued", "already":
		done = "backupui.done." + r.URL.Query().Get("done")
	}
	a.renderOperatorBackups(w, r, http.StatusOK, done, nil)
}

// operatorRestoreTestRun queues the restore test now, once the operator
// ticked that they mean it; audited by the store (SEC-5).
func (a *App) operatorRestoreTestRun(w http.ResponseWriter, r *http.Request, me account.User) {
	if !a.parseForm(w, r) {
		return
	}
	if a.opts.RestoreTestJob == "" {
		a.renderOperatorBackups(w, r, http.StatusConflict, "", fieldErrors{{"confirm", a.t(r, "backupui.op.run_unavailable")}})
		return
	}
	if r.PostForm.Get("confirm") != "1" {
		a.renderOperatorBackups(w, r, http.StatusUnprocessableEntity, "", fieldErrors{{"confirm", a.t(r, "backupui.op.run_error")}})
		return
	}
	queued, err := a.opts.Store.RequestRestoreTest(r.Context(), breachOperatorActor(me, r), a.opts.RestoreTestJob)
	if err != nil {
		a.internalError(w, r, "request a restore test", err)
		return
	}
	done := "already"
	if queued {
		done = "queued"
	}
	http.Redirect(w, r, "/"+tenantFrom(r.Context()).Slug+"/backups?done="+done, http.StatusSeeOther)
}

func (a *App) renderOperatorBackups(w http.ResponseWriter, r *http.Request, status int, done string, errs fieldErrors) {
	st, v, err := a.backupFacts(r, false)
	if err != nil {
		a.internalError(w, r, "backup status", err)
		return
	}
	p := operatorBackupsPage{Slug: tenantFrom(r.Context()).Slug, Facts: v, CanRun: a.opts.RestoreTestJob != "", Done: done, Errors: errs}
	sizes := map[string]int64{}
	for _, s := range st.Sites {
		row := backupSiteRow{Location: s.Location, Role: a.t(r, "backupui.site.target"), SubProcessor: s.SubProcessor}
		if s.Second {
			row.Role = a.t(r, "backupui.site.second")
		}
		ctx, cancel := context.WithTimeout(r.Context(), backupListTimeout)
		ms, err := s.Contents(ctx)
		cancel()
		if err != nil {
			a.log.Error("backup target unreadable", "location", s.Location, "error", err, "request_id", RequestIDFrom(r.Context()))
			row.Error = a.t(r, "backupui.site.unreadable", secretInURL.ReplaceAllString(err.Error(), "://"))
		}
		for i := len(ms) - 1; i >= 0; i-- { // newest first
			m := ms[i]
			var size int64
			for _, o := range m.Objects {
				size += o.Size
			}
			sizes[m.ID] = size
			row.Backups = append(row.Backups, backupListRow{ID: m.ID, Created: datetime(m.Created), Size: humanSize(size),
				Tenants: strconv.Itoa(len(m.Keys.Tenants))})
		}
		p.Sites = append(p.Sites, row)
	}
	for _, run := range st.Recent {
		row := backupRunRow{Kind: a.t(r, "backupui.kind."+run.Kind), Result: a.t(r, "backupui.result."+okWord(run.OK)), OK: run.OK,
			When: datetime(run.FinishedAt), BackupID: run.BackupID, Duration: backupDuration(run), Where: run.Location}
		if n, ok := sizes[run.BackupID]; ok && run.Kind == store.RunBackup {
			row.Size = humanSize(n)
		}
		if !run.OK {
			row.Detail = run.Detail
		}
		p.Runs = append(p.Runs, row)
	}
	a.render(w, r, status, "operator-backups", p)
}

// backupDuration is how long a run took, rounded for people.
func backupDuration(run store.BackupRun) string {
	d := run.FinishedAt.Sub(run.StartedAt)
	if d < time.Second {
		return "< 1 s"
	}
	return d.Round(time.Second).String()
}

// backupsShow is a controller's page: the facts of the platform's
// backups and restore tests, with no operator locations (SEC-4, SEC-5).
func (a *App) backupsShow(w http.ResponseWriter, r *http.Request, me account.User) {
	_, v, err := a.backupFacts(r, true)
	if err != nil {
		a.internalError(w, r, "backup status", err)
		return
	}
	a.render(w, r, http.StatusOK, "backups", struct{ Facts backupFactsView }{v})
}
