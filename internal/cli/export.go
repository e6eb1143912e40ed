package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"filippo.io/age"

	"github.com/kluis/kluis/internal/locale"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/tenantexport"
)

// kluis export: the full export of one tenant's data (END-3), for the
// controller's hand-over. It reads all of the tenant's personal data, so a
// supplier runs it only under the tenant's grant (AUD-3); the export is in
// the tenant's log before anything is read.
func runExport(ctx context.Context, env *Env, args []string) error {
	fs := flags(env, "export")
	ref := fs.String("tenant", "", "tenant slug or id")
	grant := grantFlag(fs)
	to := fs.String("to", "", "a new directory (resumable: run again with the same --to after an interruption), or a new FILE.tar / FILE.tar.age")
	var recipients fileList
	fs.Var(&recipients, "age-recipient", "encrypt to this age recipient (age1…), the controller's; repeat for several")
	cfg, rest, err := load(env, fs, args)
	if err != nil {
		return err
	}
	if *to == "" {
		return usageError{"say where to write the export: --to DIR or --to FILE.tar.age"}
	}
	// A recipient that does not parse is refused before anything is opened
	// or written (END-3: the hand-over must reach the controller).
	rs, err := tenantexport.ParseRecipients(recipients)
	if err != nil {
		return usageError{err.Error()}
	}
	db, t, err := openTenant(ctx, cfg, rest, *ref)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := refuseExisting(*to, t.ID); err != nil {
		return err
	}
	actor, err := granted(ctx, env, db, t, *grant, "kluis export")
	if err != nil {
		return err
	}
	m, err := tenantexport.Export(ctx, db, t.ID, *to, tenantexport.Options{Actor: actor, Recipients: rs})
	if errors.Is(err, tenantexport.ErrExists) {
		return usageError{fmt.Sprintf("%s exists and is not an unfinished export of %s: give a new path", *to, t.Slug)}
	}
	if err != nil {
		return fmt.Errorf("export %s: %w", t.Slug, err)
	}
	var rows, bytes, unreadable int64
	for _, f := range m.Files {
		rows += f.Rows
		bytes += f.Bytes
		unreadable += f.Unreadable
	}
	fmt.Fprintf(env.Stdout, "%s: %d files, %d rows, %d bytes exported to %s\n", t.Slug, len(m.Files), rows, bytes, *to)
	if unreadable > 0 {
		fmt.Fprintf(env.Stderr, "warning: %d sealed values could not be opened and are null in the export (see the manifest and the alert=unreadable log lines)\n", unreadable)
	}
	return nil
}

// refuseExisting refuses, before the grant is checked and anything is
// recorded, a --to that exists and is not an unfinished export of the
// tenant (the export checks again; this keeps the log free of a refused
// attempt).
func refuseExisting(to, tenantID string) error {
	if _, err := os.Lstat(to); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if !tenantexport.Resumable(to, tenantID) {
		return usageError{fmt.Sprintf("%s exists and is not an unfinished export of this tenant: give a new path", to)}
	}
	return nil
}

// kluis import: an export written by kluis export, into an instance that
// does not hold the tenant (a new data directory and keyring). It creates
// the tenant, so there is nobody yet to give a grant: a platform command,
// recorded at the end of the imported log.
func runImport(ctx context.Context, env *Env, args []string) error {
	fs := flags(env, "import")
	ref := fs.String("tenant", "", "the tenant's slug or id, as the export names it (a check)")
	from := fs.String("from", "", "the export: its directory, or its FILE.tar / FILE.tar.age")
	identity := fs.String("age-identity", "", "a file with the age identity (AGE-SECRET-KEY-1…) that opens an encrypted export")
	langFlag := fs.String("lang", "en", "language of the summary: nl, fr or en")
	cfg, _, err := load(env, fs, args)
	if err != nil {
		return err
	}
	if *from == "" || *ref == "" {
		return usageError{"say which export to import and whose: --tenant SLUG --from DIR|FILE"}
	}
	lang, ok := locale.Parse(*langFlag)
	if !ok {
		return usageError{"--lang: nl, fr or en"}
	}
	var ids []age.Identity
	if *identity != "" {
		f, err := os.Open(*identity)
		if err != nil {
			return usageError{fmt.Sprintf("the age identity file: %v", unwrapPath(err))}
		}
		ids, err = tenantexport.ParseIdentities(f)
		f.Close()
		if err != nil {
			return usageError{fmt.Sprintf("the age identity file does not parse: %v", err)}
		}
	}
	db, err := openAll(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	rep, err := tenantexport.ImportTenant(ctx, db, *from, tenantexport.Options{Actor: operatorActor(env), Identities: ids, Tenant: *ref})
	switch {
	case errors.Is(err, store.ErrConflict):
		return usageError{fmt.Sprintf("%s is already in this instance: import into a new data directory and keyring", *ref)}
	case errors.Is(err, tenantexport.ErrOtherTenant):
		return usageError{err.Error()}
	case err != nil:
		return fmt.Errorf("import %s: %w", *ref, err)
	}
	printImportReport(env.Stdout, lang, *ref, *from, rep)
	return nil
}

// printImportReport prints what an import did (END-3): rows per entity,
// what was skipped and why, the sub-processor decisions carried over or
// kept as history, and the keys made again. The same report is in the
// tenant.import event of the imported log.
func printImportReport(w io.Writer, l locale.Lang, ref, from string, rep tenantexport.Report) {
	fmt.Fprintln(w, locale.T(l, "reindex.cli.title", ref, rep.TenantID, from))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, locale.T(l, "reindex.cli.header"))
	for _, e := range rep.Entities {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\n", e.Name, e.Imported, e.Skipped, e.Reason)
	}
	tw.Flush()
	if len(rep.Subprocessors) > 0 {
		fmt.Fprintln(w, locale.T(l, "reindex.cli.subprocessors"))
		for _, sp := range rep.Subprocessors {
			key := "reindex.cli.subprocessor.historic"
			if sp.Matched {
				key = "reindex.cli.subprocessor.matched"
			}
			fmt.Fprintln(w, locale.T(l, key, sp.Name, sp.AgreementRef, sp.Status))
		}
	}
	fmt.Fprintln(w, locale.T(l, "reindex.cli.keys", rep.Reindexed, rep.NotReindexed, rep.PersonKeys, rep.Pseudonyms, rep.Unmapped))
}
