package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/form"
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

// countAudit counts a tenant's audit events of one action.
func countAudit(t *testing.T, env *storetest.Env, tenantID, action string) int {
	t.Helper()
	n := 0
	if err := env.DB.EachAuditEvent(context.Background(), tenantID, func(ev *audit.Event) error {
		if ev.Action == action {
			n++
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

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
		if n := countAudit(t, env, e.gent.ID, "user.register_lookup.grant"); n != 1 {
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
		if n := countAudit(t, env, e.gent.ID, "magda.call"); n != 0 {
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
		if n := countAudit(t, env, e.gent.ID, "magda.call"); n != 0 {
			t.Fatalf("refused input reached the register: %d calls", n)
		}
	})
}
