package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/kluis/kluis/internal/config"
	"github.com/kluis/kluis/internal/objstore"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/tenant"
	"github.com/kluis/kluis/internal/tenantexport"
	"github.com/kluis/kluis/internal/termination"
)

// tenantTerminate runs one step of a tenant's end of contract (END-3,
// END-4, END-5): kluis tenant terminate --tenant X --step NAME. Without
// --step it prints where the procedure stands and what comes next.
func tenantTerminate(ctx context.Context, env *Env, args []string) error {
	fs := flags(env, "tenant terminate")
	ref := fs.String("tenant", "", "tenant slug or id")
	step := fs.String("step", "", "the step to do: "+strings.Join(store.TerminationSteps, ", ")+"; none to see the state")
	days := fs.Int("receipt-days", store.DefaultReceiptDays, "freeze: days the controller has to confirm receipt of the final export")
	exportTo := fs.String("export-to", "", "export: where the final export is written (when the export is wired in)")
	manifest := fs.String("manifest-sha256", "", "export: SHA-256 of the manifest of the final export made with kluis export")
	files := fs.Int("files", 0, "export: the number of files in that export")
	receivedBy := fs.String("received-by", "", "export: who received it for the controller (function and organisation)")
	backups := fs.String("backups", "", "keys, check: the backup targets, comma-separated (default: KLUIS_BACKUP_TARGETS and KLUIS_BACKUP_SECOND_SITE)")
	var recipients fileList
	fs.Var(&recipients, "age-recipient", "export: encrypt the final export to this age recipient (age1…), the controller's; repeat for several")
	out := fs.String("out", ".", "certificate: directory to write the certificate's JSON and PDF to")
	cfg, rest, err := load(env, fs, args)
	if err != nil {
		return err
	}
	if *step != "" && !slices.Contains(store.TerminationSteps, *step) {
		return usageError{fmt.Sprintf("unknown step %q: one of %s", *step, strings.Join(store.TerminationSteps, ", "))}
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
	p := &termination.Procedure{DB: db, KeyName: cfg.CheckpointKeyName()}
	if p.Backups, err = terminationBackups(cfg, *backups); err != nil {
		return err
	}
	if *exportTo != "" {
		rs, err := tenantexport.ParseRecipients(recipients)
		if err != nil {
			return usageError{err.Error()}
		}
		if err := refuseExisting(*exportTo, t.ID); err != nil {
			return err
		}
		p.Exporter = termination.Exporter{DB: db, Actor: operatorActor(env), Recipients: rs}
	}
	if *step != "" {
		in := termination.Input{ReceiptDays: *days, ExportTo: *exportTo, ManifestSHA256: *manifest, Files: *files, ReceivedBy: *receivedBy}
		if _, err := p.Step(ctx, operatorActor(env), t.ID, *step, in); err != nil {
			return terminationError(err)
		}
		fmt.Fprintf(env.Stdout, "tenant %s: step %s done\n", t.Slug, *step)
	}
	term, err := db.Termination(ctx, t.ID)
	if err != nil {
		return err
	}
	printTermination(env, t, term)
	if *step == store.TermCertificate {
		return writeCertificate(env, t, term, *out)
	}
	return nil
}

// terminationError turns a refusal into a usage error (exit status 2)
// that says what to do; other errors stay errors.
func terminationError(err error) error {
	var ve *termination.ValidationError
	switch {
	case errors.As(err, &ve):
		var b strings.Builder
		for _, f := range []string{"receipt_days", "export_to", "manifest", "received_by"} {
			if _, ok := ve.Fields[f]; ok {
				b.WriteString(map[string]string{
					"receipt_days": "--receipt-days must be between 1 and 365; ",
					"export_to":    "--export-to is needed: where the final export goes; ",
					"manifest":     "--manifest-sha256 is needed: the 64 hex digits of the final export's manifest; ",
					"received_by":  "--received-by is needed (at most 200 characters): who received the export for the controller; ",
				}[f])
			}
		}
		return usageError{strings.TrimSuffix(b.String(), "; ")}
	case errors.Is(err, store.ErrTerminationOrder), errors.Is(err, store.ErrTerminated), errors.Is(err, store.ErrTerminationHold),
		errors.Is(err, store.ErrTerminationRealm), errors.Is(err, store.ErrReceiptNotDue):
		return usageError{err.Error()}
	}
	return err
}

func printTermination(env *Env, t tenant.Tenant, term store.Termination) {
	fmt.Fprintf(env.Stdout, "termination of %s (%s):\n", t.Slug, t.LegalName)
	for _, s := range store.TerminationSteps {
		if done, ok := term.Step(s); ok {
			fmt.Fprintf(env.Stdout, "  [x] %-12s %s by %s %s\n", s, done.DoneAt.UTC().Format("2006-01-02 15:04 UTC"), done.ActorKind, done.ActorID)
		} else {
			fmt.Fprintf(env.Stdout, "  [ ] %s\n", s)
		}
	}
	switch next := term.Next(); next {
	case "":
		fmt.Fprintln(env.Stdout, "complete: the tenant is terminated")
	case store.TermReceipt:
		fmt.Fprintf(env.Stdout, "next: receipt — the controller confirms in Kluis, or after %s\n",
			term.ReceiptDeadline().UTC().Format("2006-01-02 15:04 UTC"))
	default:
		fmt.Fprintf(env.Stdout, "next: %s\n", next)
	}
}

// writeCertificate writes the signed JSON and its PDF, named after the
// tenant, refusing to overwrite files.
func writeCertificate(env *Env, t tenant.Tenant, term store.Termination, dir string) error {
	file, err := termination.SignedCertificate(term)
	if err != nil {
		return err
	}
	c, vkey, err := termination.Verify(file, "")
	if err != nil {
		return err
	}
	pdf, err := termination.PDF(c, vkey)
	if err != nil {
		return err
	}
	base := filepath.Join(dir, "destruction-certificate-"+t.Slug)
	for _, f := range []struct {
		path string
		data []byte
	}{{base + ".json", append(file, '\n')}, {base + ".pdf", pdf}} {
		if err := writeNew(f.path, f.data); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "wrote %s\n", f.path)
	}
	return nil
}

func writeNew(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// certificateVerify checks a destruction certificate offline (END-5):
// kluis certificate verify FILE [--key VERIFIER-KEY-OR-FINGERPRINT].
func certificateVerify(_ context.Context, env *Env, args []string) error {
	fs := flags(env, "certificate verify")
	pinned := fs.String("key", "", "the platform's verification key (from /.well-known/kluis-audit-key) or its fingerprint to pin")
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	if fs.NArg() != 1 {
		return usageError{"say which file: kluis certificate verify FILE [--key KEY]"}
	}
	c, vkey, err := termination.VerifyFile(fs.Arg(0), strings.TrimSpace(*pinned))
	if errors.Is(err, termination.ErrCertificateInvalid) {
		fmt.Fprintf(env.Stdout, "INVALID: %v\n", err)
		return errCertificateInvalid
	}
	if err != nil {
		return err
	}
	var rows int64
	for _, n := range c.Rows {
		rows += n
	}
	fmt.Fprintf(env.Stdout, "VALID: destruction certificate for %s (%s, enterprise number %s), issued %s\n",
		c.Tenant.LegalName, c.Tenant.Slug, c.Tenant.EnterpriseNumber, c.IssuedAt.Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(env.Stdout, "signed by %s\n", vkey)
	if *pinned == "" {
		fmt.Fprintln(env.Stdout, "the key was not pinned: compare it with the platform's published key, or give --key")
	}
	fmt.Fprintf(env.Stdout, "rows deleted: %d; keyring: %s; keyring backups: %d; data backups checked: %d\n",
		rows, c.Keys.Keyring, len(c.Keys.Backups), len(c.Check.Backups))
	return nil
}

// errCertificateInvalid ends verify with a failing status after it said why.
var errCertificateInvalid = errors.New("the certificate is not valid")

// terminationBackups is every backup target the platform knows — the
// configured targets and the second site, or the --backups override — for
// the keys and check steps (END-4); nil when there is none, which the
// certificate then states.
func terminationBackups(cfg config.Config, override string) (termination.KeyBackups, error) {
	locs := append(cfg.BackupTargetList(), cfg.BackupSecondSite)
	if override != "" {
		locs = strings.Split(override, ",")
	}
	var stores []objstore.Store
	for _, l := range locs {
		if l = strings.TrimSpace(l); l == "" {
			continue
		}
		st, err := objstore.Open(l)
		if err != nil {
			return nil, usageError{err.Error()}
		}
		stores = append(stores, st)
	}
	if len(stores) == 0 {
		return nil, nil
	}
	return termination.Backups{Stores: stores}, nil
}
