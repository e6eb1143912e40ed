package web

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/dsr"
	"github.com/kluis/kluis/internal/form"
	"github.com/kluis/kluis/internal/magda"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

// rrEnv is a tenant with the demo forms, a clerk granted the allowance
// form, and one allowance submission by persona Anouk Testelmans (INSZ
// 85073003328) who typed house number 14 where the register says 12.
type rrEnv struct {
	*formsEnv
	clerkID, adminID, sub string
}

func newRREnv(t *testing.T, env *storetest.Env) rrEnv {
	t.Helper()
	ctx := context.Background()
	fe := newFormsEnv(t, env)
	publishForms(t, env, fe.gent)
	op := audit.Actor{Kind: audit.KindOperator, ID: "op"}
	users, err := env.DB.Users(ctx, op, fe.gent.ID)
	if err != nil {
		t.Fatal(err)
	}
	e := rrEnv{formsEnv: fe}
	for _, u := range users {
		switch u.Email {
		case "clerk@gent.be":
			e.clerkID = u.ID
		case "admin@gent.be":
			e.adminID = u.ID
		}
	}
	if e.clerkID == "" || e.adminID == "" {
		t.Fatalf("users: %+v", users)
	}
	if err := env.DB.SetFormAccess(ctx, op, fe.gent.ID, e.clerkID, []string{"toelage"}); err != nil {
		t.Fatal(err)
	}
	fv, err := env.DB.FormByStatus(ctx, fe.gent.ID, "toelage", store.FormPublished)
	if err != nil {
		t.Fatal(err)
	}
	answers, _ := json.Marshal(form.Answers{"name": {Value: "Anouk Testelmans"}, "insz": {Value: "85073003328"},
		"address": {Address: &form.Address{Street: "Voorbeeldstraat", Number: "14", Postcode: "9000", Municipality: "Gent"}}})
	if _, _, err := env.DB.SubmitForm(ctx, audit.Actor{Kind: audit.KindCitizen, ID: "anonymous"}, fe.gent.ID, store.NewFormSubmission{
		FormKey: "toelage", FormVersion: fv.Version, RegisterVersion: fv.RegisterVersion, Answers: answers, Subject: "85073003328",
		Idempotency: "tok-rr", Receipt: "rc-rr"}); err != nil {
		t.Fatal(err)
	}
	page, err := env.DB.Inbox(ctx, op, fe.gent.ID, store.InboxQuery{Viewer: store.UserViewer(e.clerkID), Limit: 1})
	if err != nil || len(page.Rows) != 1 {
		t.Fatalf("the submission: %v", err)
	}
	e.sub = page.Rows[0].ID
	return e
}

// grant has the admin authorise the clerk on the clerk's user page.
func (e rrEnv) grant(t *testing.T) {
	t.Helper()
	if resp, body := e.submit(t, "/gent/admin/users/"+e.clerkID+"/register-lookup", e.admin, url.Values{"register_lookup": {"yes"}}); resp.StatusCode != 303 {
		t.Fatalf("grant: %d %s", resp.StatusCode, body)
	}
}

func (e rrEnv) path() string { return "/gent/inbox/submissions/" + e.sub + "/register" }

// TestRegisterLookup_ClauseAUD1_OnlyWhomAnAdminAuthorised: a clerk who
// handles the form but holds no authorisation neither sees the link nor
// opens the look-up (403, recorded as a refusal); an admin is refused too
// until authorised (no role carries it). Once an admin authorises the
// clerk on their user page (audited), the link appears and the form opens
// with the INSZ from the submission and the form's register purpose by
// name; a submission of a form the clerk holds no grant on stays 404.
func TestRegisterLookup_ClauseAUD1_OnlyWhomAnAdminAuthorised(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		e := newRREnv(t, env)
		if _, body := e.get(t, "/gent/inbox/submissions/"+e.sub, e.clerk); strings.Contains(body, e.path()) {
			t.Fatal("the link shows without the authorisation")
		}
		for name, who := range map[string]string{"clerk": e.clerk, "admin": e.admin, "dpo": e.dpo} {
			if resp, _ := e.get(t, e.path(), who); resp.StatusCode != http.StatusForbidden {
				t.Fatalf("%s without authorisation: %d", name, resp.StatusCode)
			}
		}
		e.grant(t)
		if n := auditActions(t, env, e.gent.ID)["user.register_lookup.grant"]; n != 1 {
			t.Fatalf("grant events: %d", n)
		}
		if _, body := e.get(t, "/gent/admin/users/"+e.clerkID, e.admin); !strings.Contains(body, `name="register_lookup" value="yes" aria-describedby="register-lookup-lead" checked`) {
			t.Fatal("the user page does not show the authorisation")
		}
		if _, body := e.get(t, "/gent/inbox/submissions/"+e.sub, e.clerk); !strings.Contains(body, `href="`+e.path()+`"`) {
			t.Fatal("no link to the look-up on the submission")
		}
		resp, body := e.get(t, e.path(), e.clerk)
		if resp.StatusCode != 200 || !strings.Contains(body, `value="85073003328"`) || !strings.Contains(body, "Aanvragen van sociale tegemoetkomingen") {
			t.Fatalf("look-up form: %d\n%s", resp.StatusCode, body)
		}
		if n := auditActions(t, env, e.gent.ID)["magda.call"]; n != 0 {
			t.Fatal("opening the form called the register")
		}
		// The question form: no grant on it, so not there at all.
		vraag, err := env.DB.FormByStatus(context.Background(), e.gent.ID, "vraag", store.FormPublished)
		if err != nil {
			t.Fatal(err)
		}
		answers, _ := json.Marshal(form.Answers{"name": {Value: "X"}, "topic": {Value: "waste"}, "message": {Value: "Vraag"}})
		if _, _, err := env.DB.SubmitForm(context.Background(), audit.Actor{Kind: audit.KindCitizen, ID: "anonymous"}, e.gent.ID, store.NewFormSubmission{
			FormKey: "vraag", FormVersion: vraag.Version, RegisterVersion: vraag.RegisterVersion, Answers: answers, Idempotency: "tok-v", Receipt: "rc-v"}); err != nil {
			t.Fatal(err)
		}
		page, err := env.DB.Inbox(context.Background(), audit.Actor{Kind: audit.KindOperator, ID: "op"}, e.gent.ID,
			store.InboxQuery{Viewer: store.UserViewer(e.adminID), Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		for _, row := range page.Rows {
			if row.ID != e.sub {
				if resp, _ := e.get(t, "/gent/inbox/submissions/"+row.ID+"/register", e.clerk); resp.StatusCode != http.StatusNotFound {
					t.Fatalf("a form without grant: %d", resp.StatusCode)
				}
			}
		}
	})
}

// TestRegisterLookup_ClauseREG4_RefusedFieldByField: no look-up without a
// stated reason or with an INSZ that cannot be one; each field gets its
// own message, linked from the summary, the typed values come back, and
// the register is not called (no magda.call event).
func TestRegisterLookup_ClauseREG4_RefusedFieldByField(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		e := newRREnv(t, env)
		e.grant(t)
		for _, c := range []struct {
			name, insz, reason string
			want               []string
		}{
			{"both missing", "", "", []string{`href="#insz"`, `href="#reason"`, "Vul het rijksregisternummer", "Schrijf waarom je het Rijksregister raadpleegt"}},
			{"reason missing", "85073003328", "  ", []string{`href="#reason"`, "Schrijf waarom", `value="85073003328"`}},
			{"too short", "8507300332", "adrescontrole", []string{`href="#insz"`, "heeft 11 cijfers", "adrescontrole"}},
			{"check digits", "85.07.30-033.29", "adrescontrole", []string{`href="#insz"`, "controlecijfers", `aria-invalid="true"`}},
		} {
			t.Run(c.name, func(t *testing.T) {
				resp, body := e.submit(t, e.path(), e.clerk, url.Values{"insz": {c.insz}, "reason": {c.reason}})
				if resp.StatusCode != http.StatusUnprocessableEntity {
					t.Fatalf("status %d", resp.StatusCode)
				}
				for _, w := range c.want {
					if !strings.Contains(body, w) {
						t.Fatalf("missing %q in\n%s", w, body)
					}
				}
			})
		}
		if n := auditActions(t, env, e.gent.ID)["magda.call"]; n != 0 {
			t.Fatalf("refused input reached the register: %d calls", n)
		}
	})
}

var rrTokenRE = regexp.MustCompile(`name="answer" value="([^"]+)"`)

// lookUp posts a look-up as the clerk.
func (e rrEnv) lookUp(t *testing.T, insz, reason string) (*http.Response, string) {
	t.Helper()
	return e.submit(t, e.path(), e.clerk, url.Values{"insz": {insz}, "reason": {reason}})
}

// TestClauseLOC2_RegisterLookupShownNotStored: the clerk checks the
// citizen's address against the simulator over mutual TLS: the page shows
// the register's address next to what the citizen typed, the differing
// house number said in words, and the call's reference; the call and its
// answer are in the log (AUD-1) and nothing else is stored — no note, the
// address nowhere on the submission (REG-4). "Bewaar in het dossier" then
// keeps it as a sealed note naming the reference, audited; a forged or
// replayed-by-another save is refused and saves nothing.
func TestClauseLOC2_RegisterLookupShownNotStored(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		e := newRREnv(t, env)
		sim := startMagdaSim(t, env.DB, e.gent)
		e.grant(t)
		notesBefore := auditActions(t, env, e.gent.ID)["submission.note"]

		resp, body := e.lookUp(t, "85.07.30-033.28", "adrescontrole voor de toelage")
		if resp.StatusCode != 200 {
			t.Fatalf("look-up: %d\n%s", resp.StatusCode, body)
		}
		for _, want := range []string{"Voorbeeldstraat", "<td data-label=\"Rijksregister\">12</td>", "<td data-label=\"Ingevuld door de burger\">14</td>",
			"<strong>Verschilt</strong>", "verschilt in één onderdeel", "Bewaar in het dossier", "MAGDA-referentie"} {
			if !strings.Contains(body, want) {
				t.Fatalf("the answer lacks %q:\n%s", want, body)
			}
		}
		if len(sim.Calls()) != 1 || auditActions(t, env, e.gent.ID)["magda.call"] != 1 || auditActions(t, env, e.gent.ID)["magda.answer"] != 1 {
			t.Fatalf("calls: %d at the register, %d recorded", len(sim.Calls()), auditActions(t, env, e.gent.ID)["magda.call"])
		}
		// Shown, not stored: no note, and the submission does not hold it.
		if n := auditActions(t, env, e.gent.ID)["submission.note"]; n != notesBefore {
			t.Fatalf("the look-up stored a note: %d", n)
		}
		if _, page := e.get(t, "/gent/inbox/submissions/"+e.sub, e.clerk); strings.Contains(page, "Rijksregister:") {
			t.Fatal("the answer is on the submission before it was saved")
		}
		m := rrTokenRE.FindStringSubmatch(body)
		if m == nil {
			t.Fatal("no save button")
		}
		tok := strings.ReplaceAll(m[1], "&#43;", "+")

		// A forged answer (another address under the same signature) and
		// another user's save are refused; nothing is saved.
		payload, mac, _ := strings.Cut(tok, ".")
		forged := strings.Replace(payload, payload[len(payload)-8:], "AAAAAAAA", 1) + "." + mac
		for name, c := range map[string]struct{ cookie, tok string }{"forged": {e.clerk, forged}, "another user": {e.admin, tok}} {
			r, page := e.submit(t, e.path()+"/save", c.cookie, url.Values{"answer": {c.tok}})
			if name == "another user" {
				if r.StatusCode != http.StatusForbidden {
					t.Fatalf("%s: %d", name, r.StatusCode)
				}
				continue
			}
			if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "niet meer te bewaren") {
				t.Fatalf("%s: %d", name, r.StatusCode)
			}
		}
		if n := auditActions(t, env, e.gent.ID)["submission.note"]; n != notesBefore {
			t.Fatalf("a refused save stored a note: %d", n)
		}

		r, _ := e.submit(t, e.path()+"/save", e.clerk, url.Values{"answer": {tok}})
		if r.StatusCode != http.StatusSeeOther || !strings.HasSuffix(r.Header.Get("Location"), "?done=register") {
			t.Fatalf("save: %d %s", r.StatusCode, r.Header.Get("Location"))
		}
		_, page := e.get(t, "/gent/inbox/submissions/"+e.sub+"?done=register", e.clerk)
		if !strings.Contains(page, "Adres volgens het Rijksregister: Voorbeeldstraat 12, 9000 Gent (MAGDA-referentie "+sim.Calls()[0].Reference) ||
			!strings.Contains(page, "als notitie in het dossier bewaard") {
			t.Fatalf("the saved note:\n%s", page)
		}
		if n := auditActions(t, env, e.gent.ID)["submission.note"]; n != notesBefore+1 {
			t.Fatalf("save audited %d notes", n-notesBefore)
		}
		// The clock moves past the answer's lifetime: the page is too old.
		// (The session is kept alive on the way: it idles out sooner.)
		env.Clock.Advance(rrAnswerTTL / 2)
		e.get(t, "/gent/inbox", e.clerk)
		env.Clock.Advance(rrAnswerTTL/2 + time.Minute)
		if r, _ := e.submit(t, e.path()+"/save", e.clerk, url.Values{"answer": {tok}}); r.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("an expired answer: %d", r.StatusCode)
		}
	})
}

// TestClauseLOC2_RegisterLookupFailuresAreClear: an unknown INSZ, a person
// outside the repertory, a register too slow for the timeout and a
// register down each give their sentence (with the call's reference when
// it left) and the right status, and the page keeps its form to try again;
// each call and its outcome are in the log.
func TestClauseLOC2_RegisterLookupFailuresAreClear(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		e := newRREnv(t, env)
		sim := startMagdaSim(t, env.DB, e.gent)
		e.grant(t)
		for _, c := range []struct {
			name   string
			insz   string
			before func()
			status int
			want   string
		}{
			{"unknown INSZ", "60010199746", nil, 200, "kent geen persoon met dit rijksregisternummer"},
			{"not in repertory", "77041239121", nil, 200, "niet in het repertorium"},
			{"timeout", "85073003328", func() {
				setMagdaConnection(t, env.DB, e.gent, func(s *magda.Settings) { s.Timeout = 200 * time.Millisecond })
				sim.SetSlow(true)
			}, http.StatusGatewayTimeout, "antwoordde niet op tijd"},
			{"down", "85073003328", func() { sim.SetSlow(false); sim.Close() }, http.StatusServiceUnavailable, "niet bereikbaar"},
		} {
			t.Run(c.name, func(t *testing.T) {
				if c.before != nil {
					c.before()
				}
				calls := auditActions(t, env, e.gent.ID)["magda.answer"]
				resp, body := e.lookUp(t, c.insz, "adrescontrole")
				if resp.StatusCode != c.status || !strings.Contains(body, c.want) || !strings.Contains(body, "Er is niets bewaard") ||
					!strings.Contains(body, "MAGDA-referentie") {
					t.Fatalf("status %d:\n%s", resp.StatusCode, body)
				}
				if !strings.Contains(body, `id="insz"`) || !strings.Contains(body, "adrescontrole</textarea>") || strings.Contains(body, "Bewaar in het dossier") {
					t.Fatal("the page is not usable to try again, or offers to save nothing")
				}
				if n := auditActions(t, env, e.gent.ID)["magda.answer"]; n != calls+1 {
					t.Fatalf("answers recorded: %d", n-calls)
				}
			})
		}
	})
}

// TestClauseAUD1_RegisterCallsPerMonth: the security adviser's overview
// counts the month's calls per purpose and outcome exactly as they were
// made, and the month's CSV has one row per call — reference, purpose by
// name, stated reason, who, the person's pseudonym, outcome — and no INSZ;
// headers in the reader's language; reading either is recorded
// (audit.export). A clerk does not reach it.
func TestClauseAUD1_RegisterCallsPerMonth(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		e := newRREnv(t, env)
		sim := startMagdaSim(t, env.DB, e.gent)
		e.grant(t)
		for _, insz := range []string{"85073003328", "92020226470", "60010199746"} {
			if r, body := e.lookUp(t, insz, "controle MARKER-REASON"); r.StatusCode != 200 {
				t.Fatalf("look-up: %d %s", r.StatusCode, body)
			}
		}
		setMagdaConnection(t, env.DB, e.gent, func(s *magda.Settings) { s.Timeout = 200 * time.Millisecond })
		sim.SetSlow(true)
		if r, _ := e.lookUp(t, "03111512876", "controle MARKER-REASON"); r.StatusCode != http.StatusGatewayTimeout {
			t.Fatalf("timeout: %d", r.StatusCode)
		}
		if r, _ := e.get(t, "/gent/admin/audit/register", e.clerk); r.StatusCode != http.StatusForbidden {
			t.Fatalf("clerk: %d", r.StatusCode)
		}
		exports := auditActions(t, env, e.gent.ID)["audit.export"]
		resp, page := e.get(t, "/gent/admin/audit/register", e.admin)
		month := env.Clock.Now().In(brussels).Format("2006-01")
		if resp.StatusCode != 200 || !strings.Contains(page, "4 raadplegingen.") || !strings.Contains(page, "Aanvragen van sociale tegemoetkomingen") ||
			!strings.Contains(page, `<td data-label="Gevonden">2</td>`) || !strings.Contains(page, `<td data-label="Onbekend rijksregisternummer">1</td>`) ||
			!strings.Contains(page, `<td data-label="Geen antwoord op tijd">1</td>`) || !strings.Contains(page, `<td data-label="Totaal">4</td>`) ||
			!strings.Contains(page, "/gent/admin/audit/register/"+month) {
			t.Fatalf("overview: %d\n%s", resp.StatusCode, page)
		}
		for _, lang := range []struct{ q, head string }{{"", "Tijdstip"}, {"?lang=fr", "Moment"}, {"?lang=en", "Time"}} {
			resp, body := e.get(t, "/gent/admin/audit/register/"+month+lang.q, e.admin)
			if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") {
				t.Fatalf("CSV: %d", resp.StatusCode)
			}
			cr := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff")))
			cr.Comma = ';'
			rows, err := cr.ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != 1+4 || rows[0][0] != lang.head || len(rows[0]) != 7 {
				t.Fatalf("CSV %s: %d rows, head %v", lang.q, len(rows), rows[0])
			}
			for _, insz := range []string{"85073003328", "92020226470", "60010199746", "03111512876"} {
				if strings.Contains(body, insz) {
					t.Fatal("an INSZ in the CSV")
				}
			}
			if lang.q == "" {
				for i, c := range sim.Calls() {
					row := rows[1+i]
					if row[1] != c.Reference || row[2] != "Aanvragen van sociale tegemoetkomingen" || row[3] != "controle MARKER-REASON" ||
						!strings.Contains(row[4], "clerk") || len(row[5]) < 8 {
						t.Fatalf("row %d: %v (reference %s)", i, row, c.Reference)
					}
				}
			}
		}
		if n := auditActions(t, env, e.gent.ID)["audit.export"]; n != exports+4 {
			t.Fatalf("reads of the overview recorded: %d, want 4", n-exports)
		}
		// Thirteen months on, the overview holds the last twelve months
		// only; the old month is still a download away.
		env.Clock.Advance(13 * 31 * 24 * time.Hour)
		_, later := e.signIn(t, "adviser@gent.be", account.RoleAdmin)
		if _, page := e.get(t, "/gent/admin/audit/register", later); !strings.Contains(page, "geen raadpleging van het Rijksregister in de laatste twaalf maanden") {
			t.Fatalf("a month older than a year in the overview:\n%s", page)
		}
		if _, body := e.get(t, "/gent/admin/audit/register/"+month, later); strings.Count(body, "controle MARKER-REASON") != 4 {
			t.Fatalf("the old month's file:\n%s", body)
		}
	})
}

// TestRegisterLookup_ClauseDSR1_NotForARestrictedPerson: once the citizen
// had processing restricted (art. 18 GDPR), the look-up for their case is
// refused with a clear sentence (409) and the register is not called.
func TestRegisterLookup_ClauseDSR1_NotForARestrictedPerson(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		e := newRREnv(t, env)
		sim := startMagdaSim(t, env.DB, e.gent)
		e.grant(t)
		admin := audit.Actor{Kind: audit.KindUser, ID: e.adminID, Role: "admin", RequestID: "r"}
		req, err := env.DB.FileSubjectRequest(ctx, admin, e.gent.ID, store.NewSubjectRequest{Kind: dsr.Restriction,
			Person: store.SubjectPerson{Name: "Anouk", INSZ: "85073003328", Lang: "nl", Grounds: "Adres betwist"}})
		if err != nil {
			t.Fatal(err)
		}
		if err := env.DB.DecideSubjectRequest(ctx, admin, e.gent.ID, req.ID, true, "ok"); err != nil {
			t.Fatal(err)
		}
		if err := env.DB.ExecuteSubjectRequest(ctx, admin, e.gent.ID, req.ID); err != nil {
			t.Fatal(err)
		}
		resp, body := e.lookUp(t, "85073003328", "adrescontrole")
		if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "art. 18 AVG") || strings.Contains(body, "Voorbeeldstraat 12") {
			t.Fatalf("restricted: %d\n%s", resp.StatusCode, body)
		}
		if len(sim.Calls()) != 0 || auditActions(t, env, e.gent.ID)["magda.call"] != 0 {
			t.Fatal("the register was called for a restricted person")
		}
	})
}
