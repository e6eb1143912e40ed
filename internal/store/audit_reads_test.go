package store_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
)

// notPersonalData are the exported store methods that open sealed values
// which are not personal data of citizens or staff — or that only the
// person they belong to reads, as part of proving who they are — each with
// the reason. Every other method that opens a sealed value must write an
// audit event.
var notPersonalData = map[string]string{
	"OIDCProvider":  "the tenant's identity provider configuration (client secret), no personal data",
	"OIDCProviders": "the tenant's identity provider configuration (client secret), no personal data",
	"VerifyTOTP":    "the user's own TOTP secret, opened to check a code; the login it serves is audited by its caller",
	"Passkeys":      "the signed-in user's own passkey labels, shown to that user on their account page",
	"UserSessions":  "the signed-in user's own device labels, shown to that user on their sessions page",
	"Session":       "the session being used, for its own request",
	"ExportJob":     "the export file's data key, for the build job; the export and what it holds were recorded when it was asked for",
	// The analysis sees the shared scanner; this caller asks it to open
	// nothing (scanGrant(…, false)).
	"ActiveOperatorGrant":     "checks that a grant exists; opens neither label nor reason",
	"ActiveMaintenanceNotice": "checks that a notice is open now; opens neither label, scope nor reason (scanNotice(…, false))",
}

// TestClauseAUD1_NoUnauditedReadOfPersonalData enumerates the store's
// methods from its source: every exported method that opens a sealed value
// — itself or through the helpers it calls — must also write an audit
// event (itself or through its helpers), unless it is listed above with a
// reason. A new read method that skips the audit fails here before it
// ships. The behaviour of each read path (the right event, in the same
// transaction) is shown by TestClauseAUD1_InboxReadPathsAreAudited and
// TestClauseAUD1_ReadAndWriteAreAudited.
func TestClauseAUD1_NoUnauditedReadOfPersonalData(t *testing.T) {
	fset := token.NewFileSet()
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	var files []*ast.File
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, e.Name(), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	type fn struct {
		exported, method bool
		opens, audits    bool
		calls            map[string]bool
	}
	funcs := map[string]*fn{}
	for _, f := range files {
		{
			for _, d := range f.Decls {
				fd, ok := d.(*ast.FuncDecl)
				if !ok || fd.Body == nil {
					continue
				}
				name := fd.Name.Name
				if fd.Recv != nil {
					name = recvName(fd.Recv) + "." + name
				}
				info := &fn{exported: fd.Name.IsExported(), method: fd.Recv != nil && recvName(fd.Recv) == "DB", calls: map[string]bool{}}
				ast.Inspect(fd.Body, func(n ast.Node) bool {
					c, ok := n.(*ast.CallExpr)
					if !ok {
						return true
					}
					switch fun := c.Fun.(type) {
					case *ast.SelectorExpr:
						if x, ok := fun.X.(*ast.SelectorExpr); ok && x.Sel.Name == "keys" && fun.Sel.Name == "Open" {
							info.opens = true
						}
						if fun.Sel.Name == "appendAudit" {
							info.audits = true
						}
						// A call on a receiver: db.x, tx.x, s.x … resolved by
						// method name against every receiver type.
						info.calls["."+fun.Sel.Name] = true
					case *ast.Ident:
						info.calls[fun.Name] = true
					}
					return true
				})
				funcs[name] = info
			}
		}
	}
	// Close over the calls: opening or auditing through a helper counts.
	resolve := func(call string) []*fn {
		if !strings.HasPrefix(call, ".") {
			if f, ok := funcs[call]; ok {
				return []*fn{f}
			}
			return nil
		}
		var out []*fn
		for name, f := range funcs {
			if strings.HasSuffix(name, call) && strings.Contains(name, ".") {
				out = append(out, f)
			}
		}
		return out
	}
	for changed := true; changed; {
		changed = false
		for _, f := range funcs {
			for call := range f.calls {
				for _, g := range resolve(call) {
					if g.opens && !f.opens {
						f.opens, changed = true, true
					}
					if g.audits && !f.audits {
						f.audits, changed = true, true
					}
				}
			}
		}
	}
	var readers, unaudited []string
	for _, name := range slices.Sorted(maps.Keys(funcs)) {
		f := funcs[name]
		short := strings.TrimPrefix(name, "DB.")
		if !f.method || !f.exported || !f.opens {
			continue
		}
		readers = append(readers, short)
		if _, ok := notPersonalData[short]; ok {
			continue
		}
		if !f.audits {
			unaudited = append(unaudited, short)
		}
	}
	if len(unaudited) > 0 {
		t.Errorf("store methods open sealed data without writing an audit event: %v", unaudited)
	}
	// The enumeration must see the read paths it is meant to guard.
	for _, want := range []string{"Submission", "OpenSubmission", "OpenAttachment", "Inbox", "SearchSubject", "OpenReceipt", "ClaimMail", "Users"} {
		if !slices.Contains(readers, want) {
			t.Errorf("the enumeration does not see %s as a read of sealed data (found %v)", want, readers)
		}
	}
	for name := range notPersonalData {
		if !slices.Contains(readers, name) {
			t.Errorf("notPersonalData lists %s, which opens nothing sealed: remove it", name)
		}
	}
}

func recvName(fl *ast.FieldList) string {
	if len(fl.List) == 0 {
		return ""
	}
	switch t := fl.List[0].Type.(type) {
	case *ast.StarExpr:
		if id, ok := t.X.(*ast.Ident); ok {
			return id.Name
		}
	case *ast.Ident:
		return t.Name
	}
	return ""
}
