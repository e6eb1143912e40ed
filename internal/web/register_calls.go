package web

import (
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/store"
)

// The monthly overview of national register calls for the controller's
// information security adviser (informatieveiligheidsconsulent): MAGDA
// requires the consumer to account for every call — who asked, why, about
// whom — and the adviser checks them per purpose each month. Everything
// comes from the audit log's magda.call events (AUD-1): no copy, no INSZ,
// the person only by the pseudonym the log holds. Reading the overview or
// a month's file is itself a recorded read of the log (audit.export).

// registerCallsPath is the overview, under Logboek.
const registerCallsPath = "/admin/audit/register"

// rrMonthPattern is a month in a download's path: 2026-12.
var rrMonthPattern = regexp.MustCompile(`^[0-9]{4}-(0[1-9]|1[0-2])$`)

// rrCount is one purpose's calls of a month, by outcome.
type rrCount struct {
	Purpose  string
	Outcomes []string // counts in the order of rrMonth.Outcomes
	Total    int
}

// rrMonth is one month of the overview.
type rrMonth struct {
	Key, Label string // 2026-12, "december 2026"
	Outcomes   []string
	Rows       []rrCount
	Total      int
}

type rrCallsPage struct {
	Slug, TenantName string
	Months           []rrMonth
}

// rrCalls reads every call of the tenant's log, oldest first, through the
// recorded export of the log (AUD-1): from..to when given.
func (a *App) rrCalls(r *http.Request, me account.User, from, to time.Time) ([]magdaCall, error) {
	t := tenantFrom(r.Context())
	q := store.AuditQuery{Actions: magdaCallActions, From: from, To: to}
	var evs []audit.Event
	_, err := a.opts.Store.AuditExport(r.Context(), userActor(me, RequestIDFrom(r.Context())), t.ID, q, func(batch []audit.Event) error {
		evs = append(evs, batch...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return magdaCallsOf(evs), nil
}

// registerCallsShow lists the last twelve months with calls, newest
// first, each with its counts per purpose and outcome and its download.
func (a *App) registerCallsShow(w http.ResponseWriter, r *http.Request, me account.User) {
	t := tenantFrom(r.Context())
	// The last twelve months, this one included: what the adviser
	// reviews, read in one pass however long the log is; an older month
	// stays a download away.
	now := a.opts.Store.Now().In(brussels)
	from := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, brussels).AddDate(0, -11, 0)
	calls, err := a.rrCalls(r, me, from, time.Time{})
	if err != nil {
		a.internalError(w, r, "register calls", err)
		return
	}
	p := rrCallsPage{Slug: t.Slug, TenantName: t.LegalName}
	name := a.purposeNames(r)
	byMonth := map[string][]magdaCall{}
	for _, c := range calls {
		k := c.At.In(brussels).Format("2006-01")
		byMonth[k] = append(byMonth[k], c)
	}
	keys := make([]string, 0, len(byMonth))
	for k := range byMonth {
		keys = append(keys, k)
	}
	sort.Sort(sort.Reverse(sort.StringSlice(keys)))
	for _, k := range keys {
		p.Months = append(p.Months, a.rrMonthOf(r, k, byMonth[k], name))
	}
	a.render(w, r, http.StatusOK, "register-calls", p)
}

// rrMonthOf counts one month's calls per purpose and outcome.
func (a *App) rrMonthOf(r *http.Request, key string, calls []magdaCall, name func(string) string) rrMonth {
	m := rrMonth{Key: key, Label: a.monthLabel(r, key), Total: len(calls)}
	var outcomes, purposes []string
	count := map[[2]string]int{}
	for _, c := range calls {
		if !slices.Contains(outcomes, c.Outcome) {
			outcomes = append(outcomes, c.Outcome)
		}
		if !slices.Contains(purposes, c.Purpose) {
			purposes = append(purposes, c.Purpose)
		}
		count[[2]string{c.Purpose, c.Outcome}]++
	}
	slices.Sort(outcomes)
	slices.Sort(purposes)
	for _, o := range outcomes {
		m.Outcomes = append(m.Outcomes, a.t(r, "mlookup.outcome."+o))
	}
	for _, pu := range purposes {
		row := rrCount{Purpose: name(pu)}
		for _, o := range outcomes {
			n := count[[2]string{pu, o}]
			row.Outcomes = append(row.Outcomes, strconv.Itoa(n))
			row.Total += n
		}
		m.Rows = append(m.Rows, row)
	}
	return m
}

// monthLabel is "december 2026" in the reader's language.
func (a *App) monthLabel(r *http.Request, key string) string {
	at, err := time.Parse("2006-01", key)
	if err != nil {
		return key
	}
	return a.t(r, "mlookup.month."+strconv.Itoa(int(at.Month()))) + " " + strconv.Itoa(at.Year())
}

// registerCallsDownload is one month's calls as CSV, one row per call:
// time, reference, purpose, stated reason, actor, subject pseudonym,
// outcome — never an INSZ.
func (a *App) registerCallsDownload(w http.ResponseWriter, r *http.Request, me account.User) {
	t := tenantFrom(r.Context())
	key := r.PathValue("month")
	if !rrMonthPattern.MatchString(key) {
		a.notFound(w, r)
		return
	}
	start, _ := time.ParseInLocation("2006-01", key, brussels)
	end := start.AddDate(0, 1, 0).Add(-time.Microsecond)
	calls, err := a.rrCalls(r, me, start, end)
	if err != nil {
		a.internalError(w, r, "register calls", err)
		return
	}
	users, err := a.opts.Store.Users(r.Context(), userActor(me, RequestIDFrom(r.Context())), t.ID)
	if err != nil {
		a.internalError(w, r, "register calls users", err)
		return
	}
	names := map[string]string{}
	for _, u := range users {
		names[u.ID] = a.showName(r, u).Name
	}
	purpose := a.purposeNames(r)
	head := []string{a.t(r, "mlookup.csv.time"), a.t(r, "mlookup.csv.reference"), a.t(r, "mlookup.csv.purpose"), a.t(r, "mlookup.csv.reason"),
		a.t(r, "mlookup.csv.actor"), a.t(r, "mlookup.csv.subject"), a.t(r, "mlookup.csv.outcome")}
	rows := make([][]string, 0, len(calls))
	for _, c := range calls {
		actor := names[c.ActorID]
		switch {
		case c.ActorKind == string(audit.KindCitizen):
			actor = a.t(r, "mlookup.actor.citizen")
		case actor == "":
			actor = a.t(r, "mlookup.actor.unknown", account.Pseudonym(c.ActorID))
		}
		rows = append(rows, []string{c.At.In(brussels).Format("2006-01-02 15:04:05"), c.Reference, purpose(c.Purpose), c.Reason, actor, c.Subject,
			a.t(r, "mlookup.outcome."+c.Outcome)})
	}
	a.serveTable(w, r, "csv", a.t(r, "mlookup.csv.name", key), head, rows)
}

// purposeNames names a register purpose by its current name in the
// reader's language (its key when the register no longer has it).
func (a *App) purposeNames(r *http.Request) func(string) string {
	lang := string(LangFrom(r.Context()))
	rv, err := a.opts.Store.CurrentRegister(r.Context(), tenantFrom(r.Context()).ID)
	return func(key string) string {
		if err == nil {
			if p, ok := rv.Register.Purpose(key); ok {
				return p.Name.In(lang)
			}
		}
		return key
	}
}
