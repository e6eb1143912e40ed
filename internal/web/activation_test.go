package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/password"
	"github.com/kluis/kluis/internal/storetest"
	"github.com/kluis/kluis/internal/tenant"
)

// TestClauseUSR3_UserChoosesOwnPasswordOnActivation walks the activation
// page: weak and mismatched passwords are refused with the rule named in
// the user's language and nothing stored; a good one activates the account
// once; the link then no longer works, nor on another tenant.
func TestClauseUSR3_UserChoosesOwnPasswordOnActivation(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		op := audit.Actor{Kind: audit.KindOperator, ID: "op"}
		mk := func(slug string) tenant.Tenant {
			tn, err := env.DB.CreateTenant(ctx, op, tenant.New{Slug: slug, LegalName: "Stad " + slug, EnterpriseNumber: "0207451227",
				DPOName: "D", DPOEmail: "dpo@" + slug + ".be"})
			if err != nil {
				t.Fatal(err)
			}
			return tn
		}
		gent, other := mk("gent"), mk("brugge")
		_, tok, err := env.DB.InviteUser(ctx, op, gent.ID, account.Invite{Email: "an@gent.be", Name: "An Peeters", Role: account.RoleUser})
		if err != nil {
			t.Fatal(err)
		}
		fast := password.NewHasher(password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}, 2)
		a, _ := newTestApp(t, Options{Store: env.DB, Hasher: fast})
		link := "/gent/activate/" + tok.Plain
		post := func(pw, confirm string, hdr map[string]string) *http.Response {
			form := url.Values{"password": {pw}, "password_confirm": {confirm}}
			h := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
			for k, v := range hdr {
				h[k] = v
			}
			return request{method: http.MethodPost, target: link, body: form.Encode(), header: h}.do(t, a.Handler())
		}
		good := "paardenbloem kastanjeboom vijver"
		tests := []struct {
			name       string
			resp       func() *http.Response
			wantStatus int
			want       []string
		}{
			{"form", func() *http.Response { return request{target: link}.do(t, a.Handler()) }, 200,
				[]string{"Welkom, An Peeters", `autocomplete="new-password"`, "Minstens 15 tekens"}},
			{"too short, named in Dutch", func() *http.Response { return post("kort", "kort", nil) }, 422,
				[]string{"Er is een probleem", `href="#password"`, "minstens 15 tekens", `aria-invalid="true"`}},
			{"common password, named in French", func() *http.Response {
				return post("motdepasse12345", "motdepasse12345", map[string]string{"Cookie": "lang=fr"})
			}, 422, []string{"Il y a un problème", "mots de passe courants"}},
			{"contains the tenant name", func() *http.Response { return post("ik werk graag bij stad gent", "ik werk graag bij stad gent", nil) },
				422, []string{"naam van uw organisatie"}},
			{"mismatch", func() *http.Response { return post(good, good+"!", nil) }, 422, []string{`href="#password_confirm"`, "niet gelijk"}},
			{"cross-site post refused", func() *http.Response { return post(good, good, map[string]string{"Sec-Fetch-Site": "cross-site"}) }, 403, nil},
			{"other tenant's address", func() *http.Response {
				return request{target: "/brugge/activate/" + tok.Plain}.do(t, a.Handler())
			}, 410, []string{"werkt niet meer"}},
			{"good password activates", func() *http.Response { return post(good, good, nil) }, 303, nil},
			{"link used", func() *http.Response { return request{target: link}.do(t, a.Handler()) }, 410, []string{"werkt niet meer"}},
			{"second post refused", func() *http.Response { return post(good, good, nil) }, 410, nil},
			{"unknown token", func() *http.Response { return request{target: "/gent/activate/nope"}.do(t, a.Handler()) }, 410, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				resp := tt.resp()
				body := bodyOf(t, resp)
				if resp.StatusCode != tt.wantStatus {
					t.Fatalf("status %d, want %d\n%s", resp.StatusCode, tt.wantStatus, body)
				}
				for _, w := range tt.want {
					if !strings.Contains(body, w) {
						t.Errorf("body lacks %q", w)
					}
				}
				if strings.Contains(body, good) {
					t.Error("the password is echoed back")
				}
			})
		}
		users, err := env.DB.Users(ctx, op, gent.ID)
		if err != nil || len(users) != 1 || users[0].Status != account.StatusActive {
			t.Fatalf("users: %+v %v", users, err)
		}
		_ = other
	})
}
