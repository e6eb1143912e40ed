package web

// ASVS 5.0.0 chapter V3, Web Frontend Security. Some requirements hold for
// every place in the source that could break them (every cookie, every
// Content-Security-Policy a handler sets, every script), so those tests
// read the package's own source as well as calling the handler: a new
// cookie or a new file download that forgets the protection fails them.

import (
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// sourceFile is one non-test Go file of a package, parsed.
type sourceFile struct {
	path string
	text string
	ast  *ast.File
	fset *token.FileSet
}

// goSources parses the non-test Go files of the given directories
// (relative to this package).
func goSources(t *testing.T, dirs ...string) []sourceFile {
	t.Helper()
	var out []sourceFile
	for _, dir := range dirs {
		paths, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range paths {
			if strings.HasSuffix(p, "_test.go") {
				continue
			}
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			fset := token.NewFileSet()
			f, err := parser.ParseFile(fset, p, b, 0)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, sourceFile{path: p, text: string(b), ast: f, fset: fset})
		}
	}
	if len(out) == 0 {
		t.Fatalf("no Go files in %v", dirs)
	}
	return out
}

// stringConsts maps the package-level string constants of files to their
// values (literals and concatenations of literals and constants).
func stringConsts(files []sourceFile) map[string]string {
	exprs := map[string]ast.Expr{}
	for _, f := range files {
		ast.Inspect(f.ast, func(n ast.Node) bool {
			if vs, ok := n.(*ast.ValueSpec); ok {
				for i, name := range vs.Names {
					if i < len(vs.Values) {
						exprs[name.Name] = vs.Values[i]
					}
				}
			}
			return true
		})
	}
	var eval func(e ast.Expr, depth int) (string, bool)
	eval = func(e ast.Expr, depth int) (string, bool) {
		if depth > 10 {
			return "", false
		}
		switch v := e.(type) {
		case *ast.BasicLit:
			if v.Kind == token.STRING {
				s, err := strconv.Unquote(v.Value)
				return s, err == nil
			}
		case *ast.BinaryExpr:
			x, okx := eval(v.X, depth+1)
			y, oky := eval(v.Y, depth+1)
			return x + y, okx && oky && v.Op == token.ADD
		case *ast.Ident:
			if d, ok := exprs[v.Name]; ok {
				return eval(d, depth+1)
			}
		}
		return "", false
	}
	consts := map[string]string{}
	for name, e := range exprs {
		if s, ok := eval(e, 0); ok {
			consts[name] = s
		}
	}
	return consts
}

// cookieLiteral is one http.Cookie{…} written in the source.
type cookieLiteral struct {
	where  string
	fields map[string]string // field name → its expression as written
}

// cookieLiterals finds every http.Cookie composite literal in files: every
// cookie Kluis sets is written as one (http.SetCookie takes nothing else).
func cookieLiterals(t *testing.T, files []sourceFile) []cookieLiteral {
	t.Helper()
	var out []cookieLiteral
	for _, f := range files {
		ast.Inspect(f.ast, func(n ast.Node) bool {
			cl, ok := n.(*ast.CompositeLit)
			if !ok {
				return true
			}
			sel, ok := cl.Type.(*ast.SelectorExpr)
			if !ok || sel.Sel.Name != "Cookie" {
				return true
			}
			if x, ok := sel.X.(*ast.Ident); !ok || x.Name != "http" {
				return true
			}
			c := cookieLiteral{where: f.fset.Position(cl.Pos()).String(), fields: map[string]string{}}
			for _, e := range cl.Elts {
				kv, ok := e.(*ast.KeyValueExpr)
				if !ok {
					t.Fatalf("%s: http.Cookie without field names", c.where)
				}
				start, end := f.fset.Position(kv.Value.Pos()).Offset, f.fset.Position(kv.Value.End()).Offset
				c.fields[kv.Key.(*ast.Ident).Name] = f.text[start:end]
			}
			out = append(out, c)
			return true
		})
	}
	if len(out) < 5 {
		t.Fatalf("found %d cookie literals, fewer than the five cookies Kluis sets: the scan is broken", len(out))
	}
	return out
}

// langCookieOverTLS sets the language cookie over HTTPS and returns it:
// the one cookie whose name and Secure flag depend on the configuration.
func langCookieOverTLS(t *testing.T) *http.Cookie {
	t.Helper()
	a, _ := newTestApp(t, Options{TLS: true})
	resp := request{target: "/?lang=fr"}.do(t, a.Handler())
	for _, c := range resp.Cookies() {
		return c
	}
	t.Fatal("no language cookie set")
	return nil
}

func TestASVS_3_3_1_EveryCookieIsSecure(t *testing.T) {
	for _, c := range cookieLiterals(t, goSources(t, ".")) {
		// The language cookie is Secure whenever Kluis speaks HTTPS; over
		// plain HTTP (development) a Secure cookie would be dropped.
		if v := c.fields["Secure"]; v != "true" && v != "a.opts.TLS" {
			t.Errorf("%s: cookie without Secure (Secure: %q)", c.where, v)
		}
	}
	if c := langCookieOverTLS(t); !c.Secure {
		t.Errorf("language cookie over HTTPS is not Secure: %+v", c)
	}
}

func TestASVS_3_3_2_EveryCookieIsSameSiteLaxOrStrict(t *testing.T) {
	// Lax, not Strict, for the session, receipt and sign-in flow cookies:
	// a citizen arrives from a mail link or back from the identity
	// provider by a top-level cross-site GET, which must find the cookie;
	// every state change is a POST, which Lax withholds cross-site.
	for _, c := range cookieLiterals(t, goSources(t, ".")) {
		if v := c.fields["SameSite"]; v != "http.SameSiteLaxMode" && v != "http.SameSiteStrictMode" {
			t.Errorf("%s: SameSite = %q, want Lax or Strict", c.where, v)
		}
	}
	if c := langCookieOverTLS(t); c.SameSite != http.SameSiteLaxMode {
		t.Errorf("language cookie SameSite = %v", c.SameSite)
	}
}

func TestASVS_3_3_3_EveryCookieHasTheHostPrefix(t *testing.T) {
	files := goSources(t, ".")
	consts := stringConsts(files)
	for _, c := range cookieLiterals(t, files) {
		name := c.fields["Name"]
		switch {
		case name == "a.langCookie()": // __Host-lang over HTTPS, checked below
		case strings.HasPrefix(consts[name], "__Host-"):
		default:
			t.Errorf("%s: cookie name %s (%q) lacks the __Host- prefix", c.where, name, consts[name])
		}
		// Browsers keep a __Host- cookie only with Path=/ and no Domain.
		if c.fields["Path"] != `"/"` {
			t.Errorf("%s: Path = %s, want \"/\"", c.where, c.fields["Path"])
		}
		if _, ok := c.fields["Domain"]; ok {
			t.Errorf("%s: cookie with a Domain", c.where)
		}
	}
	if c := langCookieOverTLS(t); c.Name != "__Host-lang" || c.Path != "/" || c.Domain != "" {
		t.Errorf("language cookie over HTTPS: %+v", c)
	}
}

func TestASVS_3_3_4_EveryCookieIsHttpOnlyAndNoScriptReadsCookies(t *testing.T) {
	for _, c := range cookieLiterals(t, goSources(t, ".")) {
		if c.fields["HttpOnly"] != "true" {
			t.Errorf("%s: cookie without HttpOnly", c.where)
		}
	}
	if c := langCookieOverTLS(t); !c.HttpOnly {
		t.Errorf("language cookie not HttpOnly: %+v", c)
	}
	for name, js := range staticScripts(t) {
		if strings.Contains(js, "document.cookie") {
			t.Errorf("%s reads or writes document.cookie", name)
		}
	}
}

// staticScripts returns the JavaScript Kluis serves, by file name.
func staticScripts(t *testing.T) map[string]string {
	t.Helper()
	return readFiles(t, filepath.Join("static", "*.js"), 1)
}

// readFiles returns the files matching pattern by base name, failing when
// fewer than min match (a moved directory must not pass a scan).
func readFiles(t *testing.T, pattern string, min int) map[string]string {
	t.Helper()
	paths, err := filepath.Glob(pattern)
	if err != nil || len(paths) < min {
		t.Fatalf("%d files match %s, want at least %d: %v", len(paths), pattern, min, err)
	}
	out := map[string]string{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(p)] = string(b)
	}
	return out
}

// TestASVS_3_2_2_ScriptsNeverRenderTextAsHTML: no script writes markup
// from a string; the one innerHTML assignment copies a part of our own
// page, parsed by DOMParser, into the same part of the page on screen.
func TestASVS_3_2_2_ScriptsNeverRenderTextAsHTML(t *testing.T) {
	copyParsed := regexp.MustCompile(`^\w+\.innerHTML = \w+\.innerHTML;$`)
	for name, js := range staticScripts(t) {
		for _, bad := range []string{"insertAdjacentHTML", "outerHTML", "document.write", "eval(", "new Function", "setTimeout('", `setTimeout("`} {
			if strings.Contains(js, bad) {
				t.Errorf("%s uses %s", name, bad)
			}
		}
		for l := range strings.Lines(js) {
			l = strings.TrimSpace(l)
			if strings.Contains(l, "innerHTML") && !copyParsed.MatchString(l) {
				t.Errorf("%s writes innerHTML from something else than a parsed page: %s", name, l)
			}
		}
	}
}

// cspOverrides returns every Content-Security-Policy a handler sets in
// place of the global one, with where it is set. The policies are string
// literals or package constants.
func cspOverrides(t *testing.T, dirs ...string) map[string]string {
	t.Helper()
	files := goSources(t, dirs...)
	consts := stringConsts(files)
	out := map[string]string{}
	for _, f := range files {
		ast.Inspect(f.ast, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) != 2 {
				return true
			}
			if sel, ok := call.Fun.(*ast.SelectorExpr); !ok || sel.Sel.Name != "Set" {
				return true
			}
			if lit, ok := call.Args[0].(*ast.BasicLit); !ok || lit.Value != `"Content-Security-Policy"` {
				return true
			}
			where := f.fset.Position(call.Pos()).String()
			switch v := call.Args[1].(type) {
			case *ast.BasicLit:
				out[where], _ = strconv.Unquote(v.Value)
			case *ast.Ident:
				out[where] = consts[v.Name]
			default:
				t.Errorf("%s: a Content-Security-Policy the test cannot read", where)
			}
			return true
		})
	}
	return out
}

// TestASVS_3_2_1_UploadedFilesCannotRunAsPages: every response that
// replaces the page policy serves a file someone supplied (an attachment,
// a site image, an SVG logo, an API answer); each is sandboxed with
// default-src 'none', so opened on its own it runs nothing. Attachments
// are downloads (Content-Disposition: attachment), proven at run time in
// TestInbox and the SVG logo in TestASVS_1_3_4_SVGLogoSanitisedAndSandboxed.
func TestASVS_3_2_1_UploadedFilesCannotRunAsPages(t *testing.T) {
	overrides := cspOverrides(t, ".", filepath.Join("..", "api"))
	if len(overrides) < 5 { // the global policy, logo, site image, attachment, API
		t.Fatalf("found %d policies, fewer than Kluis sets: the scan is broken: %v", len(overrides), overrides)
	}
	for where, csp := range overrides {
		if csp == contentSecurityPolicy {
			continue
		}
		for _, d := range []string{"sandbox", "default-src 'none'"} {
			if !strings.Contains(csp, d) {
				t.Errorf("%s: policy %q lacks %s", where, csp, d)
			}
		}
	}
	attachment := regexp.MustCompile(`(?s)Set\("Content-Disposition", mime\.FormatMediaType\("attachment".{0,120}sandboxedFilePolicy`)
	b, err := os.ReadFile("submission_show.go")
	if err != nil {
		t.Fatal(err)
	}
	if !attachment.Match(b) {
		t.Error("a submission's attachment is not served as a sandboxed download")
	}
}

func TestASVS_3_4_6_FrameAncestorsNoneOnEveryResponse(t *testing.T) {
	a, _ := newTestApp(t, Options{BodyLimit: 100})
	for _, tt := range everyKind {
		resp := tt.req.do(t, a.Handler())
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s: CSP %q lacks frame-ancestors 'none'", tt.name, csp)
		}
	}
	// Handlers that replace the policy keep the directive.
	for where, csp := range cspOverrides(t, ".", filepath.Join("..", "api")) {
		if !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s: policy %q lacks frame-ancestors 'none'", where, csp)
		}
	}
}

func TestASVS_3_4_5_NoReferrerOnEveryResponse(t *testing.T) {
	a, _ := newTestApp(t, Options{BodyLimit: 100})
	for _, tt := range everyKind {
		if got := tt.req.do(t, a.Handler()).Header.Get("Referrer-Policy"); got != "no-referrer" {
			t.Errorf("%s: Referrer-Policy = %q", tt.name, got)
		}
	}
	// No handler or page loosens it.
	for _, f := range goSources(t, ".", filepath.Join("..", "api")) {
		if strings.Count(f.text, `"Referrer-Policy"`) > 0 && !strings.HasSuffix(f.path, "middleware.go") {
			t.Errorf("%s sets its own Referrer-Policy", f.path)
		}
	}
	for name, page := range templateSources(t) {
		if strings.Contains(strings.ToLower(page), "referrerpolicy") || strings.Contains(page, `name="referrer"`) {
			t.Errorf("template %s sets its own referrer policy", name)
		}
	}
}

// templateSources returns the HTML templates by file name.
func templateSources(t *testing.T) map[string]string {
	t.Helper()
	return readFiles(t, filepath.Join("templates", "*.html"), 50)
}

// TestASVS_3_4_2_CORSNeverReflectsTheOrigin: no response grants another
// origin access by echoing its Origin; the only Access-Control header in
// the code is the fixed "*" on the two public audit files (the audit key
// and a checkpoint, no personal data), never with credentials.
func TestASVS_3_4_2_CORSNeverReflectsTheOrigin(t *testing.T) {
	a, _ := newTestApp(t, Options{BodyLimit: 100})
	for _, tt := range everyKind {
		tt.req.header = map[string]string{"Origin": "https://evil.example"}
		for k, v := range tt.req.do(t, a.Handler()).Header {
			if strings.HasPrefix(k, "Access-Control-") {
				t.Errorf("%s: %s: %v", tt.name, k, v)
			}
		}
	}
	set := regexp.MustCompile(`"Access-Control-[A-Za-z-]+"[^\n]*`)
	n := 0
	for _, f := range goSources(t, ".", filepath.Join("..", "api")) {
		for _, m := range set.FindAllString(f.text, -1) {
			n++
			if m != `"Access-Control-Allow-Origin", "*")` || !strings.HasSuffix(f.path, "wellknown_show.go") {
				t.Errorf("%s: %s", f.path, m)
			}
		}
	}
	if n != 2 {
		t.Errorf("%d Access-Control headers in the code, want the 2 on the public audit files", n)
	}
}

// TestASVS_3_5_2_RequestsWithoutPreflightRefusedCrossOrigin: Kluis does
// not rely on a CORS preflight. The requests a browser sends cross-origin
// without one (a POST with a form, multipart or text/plain body) are
// refused before any handler runs, JSON endpoints included.
func TestASVS_3_5_2_RequestsWithoutPreflightRefusedCrossOrigin(t *testing.T) {
	a, _ := newTestApp(t, Options{})
	for _, ct := range []string{"application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/plain"} {
		for _, h := range []map[string]string{{"Sec-Fetch-Site": "cross-site"}, {"Origin": "https://evil.example"}} {
			h["Content-Type"] = ct
			resp := request{method: http.MethodPost, target: "/test/form", body: "x=1", header: h}.do(t, a.Handler())
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("%s %v: status %d, want 403", ct, h, resp.StatusCode)
			}
		}
	}
}

// TestASVS_3_5_3_StateChangesNeverOnASafeMethod: no GET route is named
// after an action; actions are POST routes (the cross-origin check of
// 3.5.1 covers every method but GET, HEAD and OPTIONS), and a GET to an
// action without a page of its own is a 405 because the mux answers only
// the methods a pattern names (TestAuthorisationMatrix's 405 rows).
func TestASVS_3_5_3_StateChangesNeverOnASafeMethod(t *testing.T) {
	a, _ := newTestApp(t, Options{})
	actions := regexp.MustCompile(`/(logout|signout|delete|revoke|revoke-others|publish|unpublish|unlink|approve|reject|cancel|close|reopen|restore|rotate|enable|disable|status|assign|notes)(/|$)`)
	gets := map[string]bool{}
	for _, p := range a.patterns {
		if path, ok := strings.CutPrefix(p, "GET "); ok {
			gets[path] = true
			if actions.MatchString(path) {
				t.Errorf("%s: an action reachable by GET", p)
			}
		}
	}
	posts := 0
	for _, p := range a.patterns {
		path, ok := strings.CutPrefix(p, "POST ")
		if !ok || gets[path] || path == "/{tenant}/" {
			continue
		}
		posts++
	}
	if posts < 50 {
		t.Errorf("only %d POST-only routes: the route scan is broken", posts)
	}
}

// TestASVS_3_7_1_NoPluginsOrObsoleteClientTechnology: pages embed no
// plugin content and the policy forbids it.
func TestASVS_3_7_1_NoPluginsOrObsoleteClientTechnology(t *testing.T) {
	if !strings.Contains(contentSecurityPolicy, "object-src 'none'") {
		t.Error("the page policy does not forbid plugins")
	}
	bad := regexp.MustCompile(`(?i)<(object|embed|applet)\b|\.swf\b|\.jar\b|\.xap\b|activex|<iframe\b`)
	for name, page := range templateSources(t) {
		if m := bad.FindString(page); m != "" {
			t.Errorf("template %s: %s", name, m)
		}
	}
	for name, js := range staticScripts(t) {
		if m := bad.FindString(js); m != "" {
			t.Errorf("%s: %s", name, m)
		}
	}
}
