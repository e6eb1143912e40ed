package cli

import (
	"context"
	"fmt"
	"os"

	"github.com/kluis/kluis/internal/accessibility"
)

// accessibilityRecord records the summary of a full audit by the browser
// suite (the axe log e2e/harness.mjs writes to e2e/artifacts/
// axe-audit.jsonl) with its date, in the platform table every tenant's
// accessibility statement reads, and in the platform log. It reads no
// tenant's data: no grant. A malformed or empty log is refused as a whole
// and nothing is recorded: a partial log is no full audit.
func accessibilityRecord(ctx context.Context, env *Env, args []string) error {
	fs := flags(env, "accessibility record")
	from := fs.String("from", "", "the browser suite's audit log (e2e/artifacts/axe-audit.jsonl)")
	cfg, _, err := load(env, fs, args)
	if err != nil {
		return err
	}
	if *from == "" {
		return usageError{"say which audit log to record: --from e2e/artifacts/axe-audit.jsonl"}
	}
	f, err := os.Open(*from)
	if err != nil {
		return fmt.Errorf("nothing recorded: %w", err)
	}
	defer f.Close()
	a, err := accessibility.ParseAuditLog(f)
	if err != nil {
		return fmt.Errorf("nothing recorded: %s: %v", *from, err)
	}
	db, err := openAll(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.RecordAccessibilityAudit(ctx, operatorActor(env), a); err != nil {
		return fmt.Errorf("nothing recorded: %w", err)
	}
	fmt.Fprintf(env.Stdout, "recorded the audit of %s: %d pages checked, %d with violations, %d violations (%s)\n",
		a.At.Format("2006-01-02 15:04 MST"), a.PagesChecked, a.PagesFailed, a.Violations, a.Tool)
	return nil
}
