package web

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
	"github.com/kluis/kluis/internal/workdays"
)

// auditsEnv is gent with an admin, a clerk and a signed-in operator, the
// clock on Friday 18 December 2026 10:00 in Brussels and the mail drained.
func auditsEnv(t *testing.T, env *storetest.Env) (le *loginEnv, admin, clerk string, op map[string]string) {
	t.Helper()
	le = newLoginEnv(t, env, Options{BaseURL: "https://loket.example.be", LoginRateLimit: 1000})
	if d := time.Date(2026, 12, 18, 10, 0, 0, 0, workdays.Brussels).Sub(env.Clock.Now()); d > 0 {
		env.Clock.Advance(d)
	} else {
		t.Fatalf("the test clock is already past 18 December 2026: %s", env.Clock.Now())
	}
	_, admin = le.signIn(t, "admin@gent.be", account.RoleAdmin)
	_, clerk = le.signIn(t, "clerk@gent.be", account.RoleUser)
	op = freshOperator(t, le, env, "piet@leverancier.be")
	if _, err := env.DB.ClaimMail(context.Background(), 100); err != nil {
		t.Fatal(err)
	}
	return le, admin, clerk, op
}

// freshOperator is a newly signed-in operator (after the clock moved on
// past the other sessions' lifetime).
func freshOperator(t *testing.T, le *loginEnv, env *storetest.Env, email string) map[string]string {
	t.Helper()
	_, secret := activeOperator(t, le, env, email)
	return operatorSignIn(t, le, env, email, secret)
}

// auditMails drains the outbox: "kind to" lines, sorted.
func auditMails(t *testing.T, env *storetest.Env) []string {
	t.Helper()
	ms, err := env.DB.ClaimMail(context.Background(), 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range ms {
		out = append(out, m.Kind+" "+m.To)
	}
	slices.Sort(out)
	return out
}

// TestClauseADT2_OnSiteAuditRefusedOnItsField: on Friday 18 December an
// on-site audit on Monday 4 January (nine working days: Christmas and New
// Year's Day do not count) is refused on its date field in the reader's
// language, with the error summary linking to it, and nothing is saved or
// mailed; on Tuesday 5 January it is announced and mailed to the
// controller's admin and DPO and to the supplier, who sees and
// acknowledges it in the operators' realm.
func TestClauseADT2_OnSiteAuditRefusedOnItsField(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		le, admin, clerk, op := auditsEnv(t, env)
		form := url.Values{"kind": {"onsite"}, "date": {"04.01.2027"}, "scope": {"Toegangsbeheer"}, "auditor": {"Audit & Co"}}
		for lang, want := range map[string]string{"nl": "minstens 10 werkdagen vooraf", "fr": "au moins 10 jours ouvrables"} {
			resp, body := le.postForm(t, "/gent/admin/audits/new?lang="+lang, map[string]string{"Cookie": admin}, form)
			if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, want) || !strings.Contains(body, `<a href="#date">`) ||
				!strings.Contains(body, `aria-describedby="date-hint date-error"`) || !strings.Contains(body, "Toegangsbeheer") {
				t.Fatalf("%s: %d, want %q on the date field:\n%s", lang, resp.StatusCode, want, body)
			}
		}
		if got := auditMails(t, env); len(got) != 0 {
			t.Fatalf("a refused audit mailed %v", got)
		}
		if _, body := le.get(t, "/gent/admin/audits", map[string]string{"Cookie": admin}); !strings.Contains(body, "nog geen audits") {
			t.Fatal("a refused audit was saved")
		}
		if resp, _ := le.postForm(t, "/gent/admin/audits/new", map[string]string{"Cookie": clerk}, form); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("a clerk announced an audit: %d", resp.StatusCode)
		}
		form.Set("date", "05.01.2027")
		resp, body := le.postForm(t, "/gent/admin/audits/new", map[string]string{"Cookie": admin}, form)
		wantRedirect(t, "announce "+body, resp, "/gent/admin/audits?done=announced")
		if got, want := auditMails(t, env), []string{"audits.announce admin@gent.be", "audits.announce dpo@gent.be",
			"audits.announce piet@leverancier.be"}; !slices.Equal(got, want) {
			t.Fatalf("mails %v, want %v", got, want)
		}
		_, body = le.get(t, "/operator/audits", op)
		m := regexp.MustCompile(`href="/operator/audits/gent/([0-9a-z]+)"`).FindStringSubmatch(body)
		if m == nil || !strings.Contains(body, "Audit ter plaatse") || !strings.Contains(body, "05.01.2027 09:00") {
			t.Fatalf("the supplier's list:\n%s", body)
		}
		if _, body := le.get(t, "/operator/audits/gent/"+m[1], op); !strings.Contains(body, "Toegangsbeheer") || !strings.Contains(body, "Ontvangst bevestigen") {
			t.Fatalf("the supplier's page:\n%s", body)
		}
		resp, _ = le.postForm(t, "/operator/audits/gent/"+m[1]+"/acknowledge", op, url.Values{})
		wantRedirect(t, "acknowledge", resp, "/operator/audits/gent/"+m[1]+"?done=acknowledged")
		if _, body := le.get(t, "/gent/admin/audits", map[string]string{"Cookie": admin}); !strings.Contains(body, "Op 18.12.2026 10:0") {
			t.Fatalf("the acknowledgement is not shown:\n%s", body)
		}
		if n := len(env.Events(t, le.gent.ID, "audits.acknowledge")); n != 1 {
			t.Fatalf("%d acknowledgements audited", n)
		}
	})
}

// TestClauseADT3_FindingsPlanDecision: the controller enters a finding
// (an empty one refused field by field); the supplier's plan with a bad
// line is refused on that line, nothing saved; the plan is submitted, the
// controller cannot return it without a reason, returns it with one, the
// supplier submits again and the controller approves; the supplier marks
// an action done; past its due date the other shows as overdue. A month
// and a day after the finding without a plan, both lists say overdue.
func TestClauseADT3_FindingsPlanDecision(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		le, admin, _, op := auditsEnv(t, env)
		ah := map[string]string{"Cookie": admin}
		resp, _ := le.postForm(t, "/gent/admin/audits/new", ah, url.Values{"kind": {"document"}, "date": {"21.12.2026"}, "scope": {"Logging"},
			"auditor": {"Intern"}})
		wantRedirect(t, "announce", resp, "/gent/admin/audits?done=announced")
		_, body := le.get(t, "/gent/admin/audits", ah)
		id := regexp.MustCompile(`href="/gent/admin/audits/([0-9a-z]{8,})"`).FindStringSubmatch(body)[1]
		page := "/gent/admin/audits/" + id
		resp, body = le.postForm(t, page+"/findings", ah, url.Values{"title": {""}, "severity": {""}, "description": {""}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Geef de bevinding een titel.") ||
			!strings.Contains(body, "Kies de ernst.") || !strings.Contains(body, "Beschrijf de bevinding.") {
			t.Fatalf("empty finding: %d\n%s", resp.StatusCode, body)
		}
		resp, _ = le.postForm(t, page+"/findings", ah, url.Values{"title": {"Geen logreview"}, "severity": {"high"},
			"description": {"De logs worden niet maandelijks nagekeken."}})
		wantRedirect(t, "finding", resp, page+"?done=finding#findings")
		if _, body := le.get(t, page, ah); !strings.Contains(body, "Te ontvangen uiterlijk 18.01.2027 10:0") || !strings.Contains(body, "Geen logreview") {
			t.Fatalf("the plan's clock:\n%s", body)
		}
		auditMails(t, env)
		oppage := "/operator/audits/gent/" + id
		resp, body = le.postForm(t, oppage+"/plan", op, url.Values{"action_1_text": {"Maandelijkse logreview"}, "action_1_due": {"01.03.2027"},
			"action_2_text": {""}, "action_2_due": {"31.02.2027"}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="action_2_text-error"`) ||
			!strings.Contains(body, `id="action_2_due-error"`) || strings.Contains(body, `id="action_1_text-error"`) {
			t.Fatalf("bad plan: %d\n%s", resp.StatusCode, body)
		}
		plan := url.Values{"action_1_text": {"Maandelijkse logreview"}, "action_1_due": {"01.01.2027"}, "action_2_text": {"Procedure schrijven"},
			"action_2_due": {"01.03.2027"}}
		resp, _ = le.postForm(t, oppage+"/plan", op, plan)
		wantRedirect(t, "plan", resp, oppage+"?done=plan")
		if got := auditMails(t, env); !slices.Equal(got, []string{"audits.plan admin@gent.be", "audits.plan dpo@gent.be"}) {
			t.Fatalf("plan mails %v", got)
		}
		resp, body = le.postForm(t, page+"/plan", ah, url.Values{"decision": {"return"}, "reason": {" "}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Geef de reden waarom u het plan terugstuurt.") {
			t.Fatalf("return without reason: %d\n%s", resp.StatusCode, body)
		}
		resp, _ = le.postForm(t, page+"/plan", ah, url.Values{"decision": {"return"}, "reason": {"Te vaag"}})
		wantRedirect(t, "return", resp, page+"?done=decided#plan")
		if _, body := le.get(t, oppage, op); !strings.Contains(body, "Te vaag") || !strings.Contains(body, "Maandelijkse logreview</textarea>") {
			t.Fatalf("the returned plan for the supplier:\n%s", body)
		}
		resp, _ = le.postForm(t, oppage+"/plan", op, plan)
		wantRedirect(t, "plan again", resp, oppage+"?done=plan")
		resp, _ = le.postForm(t, page+"/plan", ah, url.Values{"decision": {"approve"}})
		wantRedirect(t, "approve", resp, page+"?done=decided#plan")
		if got := auditMails(t, env); !slices.Equal(got, []string{"audits.approved piet@leverancier.be", "audits.plan admin@gent.be",
			"audits.plan dpo@gent.be", "audits.returned piet@leverancier.be"}) {
			t.Fatalf("mails %v", got)
		}
		_, body = le.get(t, oppage, op)
		acts := regexp.MustCompile(`action="(/operator/audits/gent/[0-9a-z]+/actions/[0-9a-z]+/done)"`).FindAllStringSubmatch(body, -1)
		if len(acts) != 2 {
			t.Fatalf("actions to mark:\n%s", body)
		}
		resp, _ = le.postForm(t, acts[1][1], op, url.Values{})
		wantRedirect(t, "done", resp, oppage+"?done=done")
		env.Clock.Advance(15 * 24 * time.Hour) // 2 January 2027: the first action is past due
		_, later := le.signIn(t, "later@gent.be", account.RoleAdmin)
		_, body = le.get(t, page, map[string]string{"Cookie": later})
		if !strings.Contains(body, "<strong class=\"overdue\">Te laat</strong>") || !strings.Contains(body, "Uitgevoerd op 18.12.2026 10:0") {
			t.Fatalf("actions tracked to their due dates:\n%s", body)
		}
	})
}

// TestClauseADT3_PlanOverdueShown: a month after the finding without a
// plan, the controller's and the supplier's lists say it is overdue.
func TestClauseADT3_PlanOverdueShown(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		le, admin, _, _ := auditsEnv(t, env)
		ah := map[string]string{"Cookie": admin}
		resp, _ := le.postForm(t, "/gent/admin/audits/new", ah, url.Values{"kind": {"document"}, "date": {"21.12.2026"}, "scope": {"Logging"},
			"auditor": {"Intern"}})
		wantRedirect(t, "announce", resp, "/gent/admin/audits?done=announced")
		_, body := le.get(t, "/gent/admin/audits", ah)
		id := regexp.MustCompile(`href="/gent/admin/audits/([0-9a-z]{8,})"`).FindStringSubmatch(body)[1]
		resp, _ = le.postForm(t, "/gent/admin/audits/"+id+"/findings", ah, url.Values{"title": {"X"}, "severity": {"low"}, "description": {"Y"}})
		wantRedirect(t, "finding", resp, "/gent/admin/audits/"+id+"?done=finding#findings")
		env.Clock.Advance(31 * 24 * time.Hour)
		_, later := le.signIn(t, "later@gent.be", account.RoleAdmin)
		op := freshOperator(t, le, env, "jan@leverancier.be")
		want := "Te laat: was verwacht uiterlijk 18.01.2027 10:0"
		if _, body := le.get(t, "/gent/admin/audits", map[string]string{"Cookie": later}); !strings.Contains(body, want) {
			t.Fatalf("controller's list:\n%s", body)
		}
		if _, body := le.get(t, "/operator/audits", op); !strings.Contains(body, want) {
			t.Fatalf("supplier's list:\n%s", body)
		}
	})
}

// TestClauseADT1_EvidencePackOnDemand: the controller's DPO downloads one
// ZIP with the breach register, the staff with access, the grants, the
// retention runs, the checkpoint key, a README in three languages that says
// what is missing (no register yet), the sub-processors, and a manifest
// whose SHA-256 lines match every file; the download is audited with the
// manifest's SHA-256. A clerk gets 403.
func TestClauseADT1_EvidencePackOnDemand(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		le, _, clerk, _ := auditsEnv(t, env)
		_, dpo := le.signIn(t, "dpo@gent.be", account.RoleDPO)
		if resp, _ := le.get(t, "/gent/admin/audits/evidence.zip", map[string]string{"Cookie": clerk}); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("a clerk downloaded the pack: %d", resp.StatusCode)
		}
		// A restore test of the platform's backups (SEC-5) shows in the pack.
		if _, err := env.DB.RecordBackupRun(context.Background(), audit.System("backup.restore_test"), store.BackupRun{Kind: store.RunRestoreTest,
			BackupID: "20261102T033000Z-abcdef", Location: "dir:/site2", StartedAt: env.Clock.Now(), FinishedAt: env.Clock.Now(), OK: true}); err != nil {
			t.Fatal(err)
		}
		resp, body := le.get(t, "/gent/admin/audits/evidence.zip", map[string]string{"Cookie": dpo})
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/zip" {
			t.Fatalf("pack: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		zr, err := zip.NewReader(bytes.NewReader([]byte(body)), int64(len(body)))
		if err != nil {
			t.Fatal(err)
		}
		files := map[string][]byte{}
		for _, f := range zr.File {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			files[f.Name], _ = io.ReadAll(rc)
			rc.Close()
		}
		for _, name := range []string{"README.txt", "MANIFEST.sha256", "breach-register.csv", "staff-with-access.csv", "grants.csv",
			"retention-runs.csv", "checkpoints/verification-key.txt", "backups.csv"} {
			if _, ok := files[name]; !ok {
				t.Errorf("the pack has no %s", name)
			}
		}
		if b := string(files["backups.csv"]); !strings.Contains(b, "hersteltest;20261102T033000Z-abcdef;dir:/site2;") || !strings.Contains(b, ";geslaagd") {
			t.Errorf("backups.csv:\n%s", b)
		}
		if staff := strings.Split(strings.TrimSpace(string(files["staff-with-access.csv"])), "\n"); len(staff) != 2 || !strings.Contains(staff[1], ";actief;ja;") {
			t.Errorf("the staff list does not name the operator:\n%s", files["staff-with-access.csv"])
		}
		manifest := string(files["MANIFEST.sha256"])
		lines := strings.Split(strings.TrimSpace(manifest), "\n")
		if len(lines) != len(files)-2 {
			t.Fatalf("manifest has %d lines for %d files", len(lines), len(files)-2)
		}
		for _, l := range lines {
			sum, name, _ := strings.Cut(l, "  ")
			got := sha256.Sum256(files[name])
			if hex.EncodeToString(got[:]) != sum {
				t.Errorf("manifest: %s does not match", name)
			}
		}
		readme := string(files["README.txt"])
		for _, want := range []string{"sub-processors.csv (de subverwerkers", "backups.csv (de versleutelde back-ups", "Niet opgenomen:", "nog geen register opgeslagen", manifest} {
			if !strings.Contains(readme, want) {
				t.Errorf("README lacks %q", want)
			}
		}
		ev := env.Events(t, le.gent.ID, "audits.evidence")
		sum := sha256.Sum256([]byte(manifest))
		if len(ev) != 1 || !strings.Contains(ev[0].Purpose, hex.EncodeToString(sum[:])) {
			t.Fatalf("evidence events %+v", ev)
		}
		if _, ok := files["sub-processors.csv"]; !ok {
			t.Error("the pack lacks the sub-processors (SUB-3)")
		}
		if len(env.Events(t, le.gent.ID, "breach.export")) != 1 || len(env.Events(t, le.gent.ID, "operator.staff.read")) != 1 ||
			len(env.Events(t, le.gent.ID, "subprocessor.export")) != 1 {
			t.Fatal("the parts were not audited as their own downloads are")
		}
	})
}
