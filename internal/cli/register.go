package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/kluis/kluis/internal/locale"
	"github.com/kluis/kluis/internal/register"
	"github.com/kluis/kluis/internal/store"
)

// runRegister exports, imports and lists versions of a tenant's processing
// register (annex 1) as YAML. Each import is a new version; earlier ones
// stay readable.
func registerCommand(cmd string) func(ctx context.Context, env *Env, args []string) error {
	return func(ctx context.Context, env *Env, args []string) error { return runRegister(ctx, env, cmd, args) }
}

func runRegister(ctx context.Context, env *Env, cmd string, args []string) error {
	fs := flags(env, "register "+cmd)
	ref := fs.String("tenant", "", "tenant slug or id")
	grant := grantFlag(fs)
	version := 0
	file := ""
	switch cmd {
	case "export":
		fs.IntVar(&version, "version", 0, "the version to export (default: the current one)")
	case "import":
		fs.StringVar(&file, "file", "", "the YAML document to import")
	case "history":
	default:
		return usageError{fmt.Sprintf("unknown register command %q: use export, import or history", cmd)}
	}
	cfg, rest, err := load(env, fs, args)
	if err != nil {
		return err
	}
	// Read and check the document before touching the database: a broken
	// file changes nothing and needs no keys.
	var reg register.Register
	if cmd == "import" {
		if file == "" {
			return usageError{"name the document: --file register.yaml"}
		}
		b, err := os.ReadFile(file)
		if err != nil {
			return fmt.Errorf("read %s: %w", file, err)
		}
		var problems []register.Problem
		if reg, problems = register.ParseYAML(b); len(problems) > 0 {
			return registerProblems(problems)
		}
	}
	db, err := openAll(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	t, err := findTenant(ctx, db, rest, *ref)
	if err != nil {
		return err
	}
	actor, err := granted(ctx, env, db, t, *grant, "kluis register "+cmd)
	if err != nil {
		return err
	}
	switch cmd {
	case "export":
		rv, err := db.RegisterAt(ctx, t.ID, version)
		if errors.Is(err, store.ErrNotFound) {
			if version > 0 {
				return fmt.Errorf("tenant %s has no register version %d: `kluis register history %s` lists them", t.Slug, version, t.Slug)
			}
			return fmt.Errorf("tenant %s has no register yet", t.Slug)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "# %s — version %d, %s, by %s\n", t.LegalName, rv.Version, rv.CreatedAt.Format("2006-01-02 15:04"), rv.CreatedBy)
		_, err = env.Stdout.Write(rv.Register.MarshalYAMLDocument())
		return err
	case "import":
		n, err := db.SaveRegister(ctx, actor, t.ID, reg)
		var inv *store.RegisterInvalidError
		if errors.As(err, &inv) {
			return registerProblems(inv.Problems)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "register of %s saved as version %d\n", t.Slug, n)
		return nil
	}
	hist, err := db.RegisterHistory(ctx, t.ID)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "VERSION\tSAVED\tBY")
	for _, rv := range hist {
		fmt.Fprintf(tw, "%d\t%s\t%s\n", rv.Version, rv.CreatedAt.Format("2006-01-02 15:04"), rv.CreatedBy)
	}
	return tw.Flush()
}

// registerProblems is every problem of a refused document in one sentence
// that says nothing was saved and names each path and rule.
func registerProblems(ps []register.Problem) error {
	msgs := make([]string, len(ps))
	for i, p := range ps {
		msgs[i] = p.Message(func(key string, args ...any) string { return locale.T(locale.EN, key, args...) })
	}
	return fmt.Errorf("register not saved, %d problem(s): %s", len(ps), strings.Join(msgs, "; "))
}
