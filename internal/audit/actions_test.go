package audit_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/locale"
)

// actionCode is the shape of an action code: dotted lower-case words.
var actionCode = regexp.MustCompile(`^[a-z_]+(\.[a-z_]+)+$`)

// sourceActions finds, in every non-test Go file of the module, the action
// codes the code writes: string literals (or the constant start of a
// concatenation, "submission." + kind) given as audit.Event's Action, assigned
// to a variable or field named action or …Action, or passed to a function's
// parameter so named. It returns the codes and the prefixes of concatenated
// ones, each with where it was found.
func sourceActions(t *testing.T) (codes, prefixes map[string]string) {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not found from internal/audit: %v", err)
	}
	fset := token.NewFileSet()
	var files []*ast.File
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case "node_modules", "e2e", ".git", "testdata":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		files = append(files, f)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	isActionName := func(name string) bool { return name == "action" || strings.HasSuffix(name, "Action") }
	// Functions (by name) that take an action parameter, and at which positions.
	actionParams := map[string][]int{}
	params := func(name string, ft *ast.FuncType) {
		i := 0
		for _, field := range ft.Params.List {
			if len(field.Names) == 0 {
				i++
				continue
			}
			for _, n := range field.Names {
				if isActionName(n.Name) {
					actionParams[name] = append(actionParams[name], i)
				}
				i++
			}
		}
	}
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			switch v := n.(type) {
			case *ast.FuncDecl:
				params(v.Name.Name, v.Type)
			case *ast.AssignStmt: // event := func(action, outcome string) error {…}
				for i, rhs := range v.Rhs {
					if fl, ok := rhs.(*ast.FuncLit); ok && i < len(v.Lhs) {
						if id, ok := v.Lhs[i].(*ast.Ident); ok {
							params(id.Name, fl.Type)
						}
					}
				}
			}
			return true
		})
	}
	codes, prefixes = map[string]string{}, map[string]string{}
	var take func(e ast.Expr)
	take = func(e ast.Expr) {
		switch v := e.(type) {
		case *ast.BasicLit:
			if s, err := strconv.Unquote(v.Value); err == nil && v.Kind == token.STRING {
				if actionCode.MatchString(s) {
					codes[s] = fset.Position(v.Pos()).String()
				}
			}
		case *ast.BinaryExpr: // "submission." + kind
			if lit, ok := v.X.(*ast.BasicLit); ok && v.Op == token.ADD {
				if s, err := strconv.Unquote(lit.Value); err == nil {
					prefixes[s] = fset.Position(lit.Pos()).String()
				}
			}
		case *ast.IndexExpr: // map[string]string{…: "webhook.disable", …}[to]
			if cl, ok := v.X.(*ast.CompositeLit); ok {
				for _, el := range cl.Elts {
					if kv, ok := el.(*ast.KeyValueExpr); ok {
						take(kv.Value)
					}
				}
			}
		case *ast.ParenExpr:
			take(v.X)
		}
	}
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			switch v := n.(type) {
			case *ast.KeyValueExpr:
				if k, ok := v.Key.(*ast.Ident); ok && k.Name == "Action" {
					take(v.Value)
				}
			case *ast.AssignStmt:
				for i, lhs := range v.Lhs {
					var name string
					switch l := lhs.(type) {
					case *ast.Ident:
						name = l.Name
					case *ast.SelectorExpr:
						name = l.Sel.Name
					}
					if isActionName(name) && len(v.Rhs) == len(v.Lhs) {
						take(v.Rhs[i])
					}
				}
			case *ast.ValueSpec:
				for i, name := range v.Names {
					if isActionName(name.Name) && i < len(v.Values) {
						take(v.Values[i])
					}
				}
			case *ast.CallExpr:
				var name string
				switch fun := v.Fun.(type) {
				case *ast.Ident:
					name = fun.Name
				case *ast.SelectorExpr:
					name = fun.Sel.Name
				}
				for _, i := range actionParams[name] {
					if i < len(v.Args) {
						take(v.Args[i])
					}
				}
			}
			return true
		})
	}
	return codes, prefixes
}

// TestAuditActionsHaveSentences (AUD-1, AUD-2): every action code the code
// writes is in the one registry, and every registered action reads as a
// sentence in Dutch, French and English — also when it was refused or
// failed — so the controller reads its log without knowing codes. The store
// refuses to write an unregistered code (TestUnregisteredActionRefused), and
// this test finds the codes in the source, so a new code without its
// sentences fails here before it ships.
func TestAuditActionsHaveSentences(t *testing.T) {
	codes, prefixes := sourceActions(t)
	if len(codes) < 50 {
		t.Fatalf("the source scan found only %d action codes: it no longer sees how actions are written", len(codes))
	}
	for code, where := range codes {
		if _, ok := audit.LookupAction(code); !ok {
			t.Errorf("%s: action %q is not in the registry (internal/audit/actions.go)", where, code)
		}
	}
	for prefix, where := range prefixes {
		n := 0
		for _, a := range audit.Actions() {
			if strings.HasPrefix(a.Code, prefix) {
				n++
			}
		}
		if n == 0 {
			t.Errorf("%s: actions made as %q + … have no registered code", where, prefix)
		}
	}
	groups := audit.ActionGroups()
	for _, g := range groups {
		for _, l := range locale.Supported() {
			if !locale.Has(l, g.MessageKey()) {
				t.Errorf("group %s has no name in %s (%s)", g, l, g.MessageKey())
			}
		}
	}
	seen := map[string]bool{}
	for _, a := range audit.Actions() {
		if seen[a.Code] {
			t.Errorf("action %s registered twice", a.Code)
		}
		seen[a.Code] = true
		if !slices.Contains(groups, a.Group) {
			t.Errorf("action %s: unknown group %q", a.Code, a.Group)
		}
		for _, l := range locale.Supported() {
			if !locale.Has(l, a.NameKey()) {
				t.Errorf("action %s has no name %s in %s", a.Code, a.NameKey(), l)
			}
		}
		for _, key := range []string{a.SentenceKey(), a.NotSentenceKey()} {
			if key == "" {
				continue
			}
			for _, l := range locale.Supported() {
				if !locale.Has(l, key) {
					t.Errorf("action %s has no sentence %s in %s", a.Code, key, l)
					continue
				}
				s := locale.T(l, key)
				if !strings.Contains(s, "%[1]s") {
					t.Errorf("%s (%s) does not name who acted (%%[1]s): %q", key, l, s)
				}
				if a.Object != audit.NameNone && !strings.Contains(s, "%[2]s") {
					t.Errorf("%s (%s) does not name the object (%%[2]s): %q", key, l, s)
				}
			}
		}
	}
}

// TestUnregisteredActionRefused: an event whose code is not registered is
// not recorded, so no writer can put a code in the log that the log
// cannot read as a sentence, also when it builds the code at run time.
func TestUnregisteredActionRefused(t *testing.T) {
	e := audit.Event{TenantID: "t1", Actor: audit.System("test"), Action: "submission.read", Outcome: audit.OutcomeSuccess}
	if err := e.Validate(); err != nil {
		t.Fatalf("a registered action: %v", err)
	}
	e.Action = "submission.reopen"
	if err := e.Validate(); err == nil || !strings.Contains(err.Error(), "not registered") {
		t.Fatalf("an unregistered action: %v", err)
	}
}
