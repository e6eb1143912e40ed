package web

// ASVS 5.0.0 chapter V14, Data Protection: what the browser and the URL
// get to hold. (14.2.2 and 14.3.2, which hold for every route's
// responses, are in asvs_v4_test.go.)

import (
	"go/ast"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/storetest"
)

// queryKeys are the query parameters Kluis reads, and why each is no
// personal data: choices of the page, one-time notices, or ids that mean
// nothing outside a signed-in session.
var queryKeys = map[string]string{
	"lang":       "the language chosen",
	"next":       "a local path to return to after signing in",
	"done":       "which notice to show after a post (a fixed word)",
	"saved":      "a notice after a post",
	"invited":    "a notice after a post",
	"imported":   "a notice after a post",
	"filed":      "a notice after a post",
	"signed":     "a notice after a post",
	"withheld":   "a notice after a post",
	"out":        "a notice after signing out",
	"retype":     "a notice after a post",
	"passkey":    "a notice after a post",
	"page":       "the page of a list",
	"format":     "csv or xlsx",
	"version":    "a form's version number",
	"v":          "a static file's hash",
	"item":       "a register entry's key",
	"tenant":     "a tenant's slug, on the operators' pages",
	"assignee":   "an internal user id filtering the staff inbox or the API's list",
	"reference":  "a submission's reference (not a person's data) on a staff page",
	"code":       "the OpenID Connect authorisation code: single-use, bound to the flow by PKCE",
	"state":      "the OpenID Connect flow's random state",
	"error":      "the identity provider's error code",
	"scope":      "the scopes of an OpenID Connect answer",
	"acr_values": "the assurance level asked of the identity provider",
	"action":     "an audit action code filtering the audit log",
	"actor":      "an internal actor id filtering the audit log",
	"object":     "an internal object id filtering the audit log",
	"from":       "a date bounding a list",
	"to":         "a date bounding a list",
	"before":     "a position in a list",
	"status":     "a status filtering a list",
	"overdue":    "a filter of the inbox",
	"sort":       "the order of a list",
	"form":       "a form's key filtering a list",
	"cursor":     "a position in the API's list",
	"limit":      "the size of the API's list page",
	"id":         "internal submission ids chosen for an export",
	"reset":      "a notice after a password reset",
	"category":   "a filter of a list",
	"purpose":    "a register purpose's key",
	"key":        "a register entry's key",
	"section":    "a chapter of the contract filtering the clause list",
	"doc":        "the language a document is drawn in (nl or fr)",
}

// queryReads returns the query parameters a file reads, with where: any
// X.Get/Has("k") or X["k"] where X is r.URL.Query() or a variable given
// its value.
func queryReads(t *testing.T, f sourceFile) map[string]string {
	t.Helper()
	text := func(e ast.Node) string {
		return f.text[f.fset.Position(e.Pos()).Offset:f.fset.Position(e.End()).Offset]
	}
	isQuery := func(e ast.Expr) bool { return strings.HasSuffix(text(e), "URL.Query()") }
	out := map[string]string{}
	for _, d := range f.ast.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || fn.Body == nil {
			continue
		}
		vars := map[string]bool{}
		ast.Inspect(fn.Body, func(n ast.Node) bool {
			if as, ok := n.(*ast.AssignStmt); ok && len(as.Lhs) == len(as.Rhs) {
				for i, rhs := range as.Rhs {
					if id, ok := as.Lhs[i].(*ast.Ident); ok && isQuery(rhs) {
						vars[id.Name] = true
					}
				}
			}
			return true
		})
		from := func(e ast.Expr) bool {
			if id, ok := e.(*ast.Ident); ok && vars[id.Name] {
				return true
			}
			return isQuery(e)
		}
		ast.Inspect(fn.Body, func(n ast.Node) bool {
			switch v := n.(type) {
			case *ast.CallExpr:
				sel, ok := v.Fun.(*ast.SelectorExpr)
				if ok && (sel.Sel.Name == "Get" || sel.Sel.Name == "Has") && from(sel.X) && len(v.Args) == 1 {
					if lit, ok := v.Args[0].(*ast.BasicLit); ok {
						k, _ := strconv.Unquote(lit.Value)
						out[k] = f.fset.Position(v.Pos()).String()
					} else if text(v.Args[0]) != "p.name" { // the from/to loops of the register and the API
						t.Errorf("%s: a query parameter the test cannot name", f.fset.Position(v.Pos()))
					}
				}
			case *ast.IndexExpr:
				if from(v.X) {
					if lit, ok := v.Index.(*ast.BasicLit); ok {
						k, _ := strconv.Unquote(lit.Value)
						out[k] = f.fset.Position(v.Pos()).String()
					}
				}
			}
			return true
		})
	}
	return out
}

// TestASVS_14_2_1_NoPersonalDataOrSecretsInURLs: no route has a path
// segment for a person's data, and the only query parameters read are
// those in queryKeys. Personal data and codes travel in POST bodies
// (lookups, searches, sign-in codes). The tokens that are in paths,
// /activate/{token}, /password/reset/{token} and /privacy/package/{token},
// are the links of a mail: single-use, expiring, and the package's still
// needs a code mailed to the same address.
func TestASVS_14_2_1_NoPersonalDataOrSecretsInURLs(t *testing.T) {
	a, _ := newTestApp(t, Options{})
	param := regexp.MustCompile(`\{([a-z_]+)(\.\.\.)?\}`)
	personal := regexp.MustCompile(`(?i)mail|name|insz|rrn|national|birth|phone|address|street|iban|password|secret|code|session`)
	tokens := map[string]bool{"GET /{tenant}/activate/{token}": true, "POST /{tenant}/activate/{token}": true,
		"GET /{tenant}/activate/{token}/oidc/{provider}": true,
		"GET /{tenant}/privacy/package/{token}":          true, "POST /{tenant}/privacy/package/{token}/code": true,
		"POST /{tenant}/privacy/package/{token}/download": true,
		"GET /{tenant}/password/reset/{token}":            true, "POST /{tenant}/password/reset/{token}": true}
	for _, p := range a.patterns {
		for _, m := range param.FindAllStringSubmatch(p, -1) {
			if personal.MatchString(m[1]) {
				t.Errorf("%s: a path parameter {%s}", p, m[1])
			}
			if m[1] == "token" && !tokens[p] {
				t.Errorf("%s: a token in a path that is not a mailed link", p)
			}
		}
	}
	seen := map[string]bool{}
	for _, f := range goSources(t, ".", filepath.Join("..", "api")) {
		for key, where := range queryReads(t, f) {
			seen[key] = true
			if _, ok := queryKeys[key]; !ok {
				t.Errorf("%s reads the query parameter %q, not in queryKeys", where, key)
			}
		}
		if regexp.MustCompile(`\bFormValue\(|URL\.RawQuery\b[^=]*$`).MatchString(f.text) {
			for l := range strings.Lines(f.text) {
				if strings.Contains(l, "FormValue(") && !strings.Contains(l, "PostFormValue(") {
					t.Errorf("%s reads a value that may come from the query: %s", f.path, strings.TrimSpace(l))
				}
			}
		}
	}
	if len(seen) < 10 {
		t.Errorf("found %d query parameters: the scan is broken", len(seen))
	}
}

// TestASVS_14_2_3_NothingIsSentToThirdParties: pages load nothing from
// another origin (no tracker, font or CDN can see a visitor), and the
// policy would block it if one did.
func TestASVS_14_2_3_NothingIsSentToThirdParties(t *testing.T) {
	for _, dir := range strings.Split(contentSecurityPolicy, ";") {
		for _, src := range strings.Fields(dir)[1:] {
			if src != "'self'" && src != "'none'" && src != "data:" {
				t.Errorf("the policy allows %s in %q", src, strings.TrimSpace(dir))
			}
		}
	}
	external := regexp.MustCompile(`(?i)<(script|link|img|iframe|source|video|audio)\b[^>]*\b(src|href)="(https?:)?//`)
	for name, page := range templateSources(t) {
		if m := external.FindString(page); m != "" {
			t.Errorf("template %s loads from another origin: %s", name, m)
		}
	}
	for name, js := range staticScripts(t) {
		if strings.Contains(js, "http://") || strings.Contains(js, "https://") || strings.Contains(js, "sendBeacon") {
			t.Errorf("%s talks to another origin", name)
		}
	}
}

// TestASVS_14_3_1_SignOutClearsTheBrowser: signing out, staff or citizen,
// ends the session on the server, clears its cookie and tells the browser
// to drop its cache and storage for the site.
func TestASVS_14_3_1_SignOutClearsTheBrowser(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		p := newPortalEnv(t, env)
		le := p.loginEnv
		_, cookie := le.signIn(t, "staff@gent.be", account.RoleUser)
		check := func(who string, resp *http.Response, cookieName string) {
			t.Helper()
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("%s: sign-out status %d", who, resp.StatusCode)
			}
			if got := resp.Header.Get("Clear-Site-Data"); got != `"cache", "storage"` {
				t.Errorf("%s: Clear-Site-Data = %q", who, got)
			}
			cleared := false
			for _, c := range resp.Cookies() {
				cleared = cleared || (c.Name == cookieName && c.MaxAge < 0 && c.Value == "")
			}
			if !cleared {
				t.Errorf("%s: the cookie %s is not cleared: %v", who, cookieName, resp.Header.Values("Set-Cookie"))
			}
		}
		resp := request{method: http.MethodPost, target: "/gent/logout", header: map[string]string{"Cookie": cookie}}.do(t, le.app.Handler())
		check("staff", resp, sessionCookie)
		if resp := (request{target: "/gent/account/sessions", header: map[string]string{"Cookie": cookie}}).do(t, le.app.Handler()); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("the old session still opens a page: %d", resp.StatusCode)
		}

		b := portalSignedIn(t, p, env)
		check("citizen", b.post(t, "/gent/privacy/mine/signout", url.Values{"x": {"1"}}), citizenCookie)
	})
}

// TestASVS_14_3_3_NoPersonalDataInBrowserStorage: no script uses browser
// storage, and every cookie holds a random token or a choice: the session
// tokens, the language, a receipt's reference with its page token, the
// sign-in flow's state.
func TestASVS_14_3_3_NoPersonalDataInBrowserStorage(t *testing.T) {
	for name, js := range staticScripts(t) {
		for _, bad := range []string{"localStorage", "sessionStorage", "indexedDB", "caches.", "document.cookie"} {
			if strings.Contains(js, bad) {
				t.Errorf("%s uses %s", name, bad)
			}
		}
	}
	values := map[string]bool{`string(token)`: true, `string(tok)`: true, `string(l)`: true, `ref + "." + token`: true, `v`: true, `""`: true}
	for _, c := range cookieLiterals(t, goSources(t, ".")) {
		if !values[c.fields["Value"]] {
			t.Errorf("%s: a cookie holding %s: add it here only if it is no personal data", c.where, c.fields["Value"])
		}
	}
}
