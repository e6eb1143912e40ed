package cli

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/auditproof"
	"github.com/kluis/kluis/internal/config"
	"github.com/kluis/kluis/internal/seal"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/tenant"
	"golang.org/x/mod/sumdb/note"
)

// fileList is a flag that may be given more than once.
type fileList []string

func (f *fileList) String() string     { return strings.Join(*f, ",") }
func (f *fileList) Set(v string) error { *f = append(*f, v); return nil }

func auditVerify(ctx context.Context, env *Env, args []string) error {
	fs := flags(env, "audit verify")
	ref := fs.String("tenant", "", "tenant slug or id: verify the live log's hash chain")
	all := fs.Bool("all", false, "verify every tenant's live hash chain")
	export := fs.String("export", "", "offline: an export file (kluis audit export) to verify against --checkpoint")
	var cps fileList
	fs.Var(&cps, "checkpoint", "a signed checkpoint file kept by the controller (repeat for several); with --export offline, with --tenant against the live log")
	key := fs.String("key", "", "the checkpoints' verification key (name+hash+key), or a file holding it")
	cfg, rest, err := load(env, fs, args)
	if err != nil {
		return err
	}
	if *export != "" || len(cps) > 0 || *key != "" {
		switch {
		case *all:
			return usageError{"--checkpoint and --key verify one log: give --tenant or --export, not --all"}
		case *export != "" && *ref != "":
			return usageError{"give --export (offline) or --tenant (the live log), not both"}
		case *export != "" || *ref == "":
			return verifyExport(env, *export, cps, *key)
		}
		return verifyLive(ctx, env, cfg, rest, *ref, cps, *key)
	}
	db, err := openAll(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	var ids []string
	if *all {
		ts, err := db.AuditChains(ctx)
		if err != nil {
			return err
		}
		for _, t := range ts {
			ids = append(ids, t.ID)
		}
	} else {
		t, err := findTenant(ctx, db, rest, *ref)
		if err != nil {
			return err
		}
		ids = []string{t.ID}
	}
	var failed int
	for _, id := range ids {
		t, _ := db.Tenant(ctx, id)
		start := time.Now()
		n, err := db.VerifyAudit(ctx, id)
		var broken *audit.BrokenError
		switch {
		case errors.As(err, &broken):
			failed++
			fmt.Fprintf(env.Stdout, "%s: BROKEN at event %d: %s (%d events before it are intact)\n", t.Slug, broken.Seq, broken.Reason, n)
		case err != nil:
			return err
		default:
			d := time.Since(start)
			fmt.Fprintf(env.Stdout, "%s: %d events verified, chain intact (%.0f events/s)\n", t.Slug, n, float64(n)/max(d.Seconds(), 1e-9))
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d audit log(s) failed verification", failed)
	}
	return nil
}

// verifyExport checks an export against the checkpoints the controller
// kept, with no database, keyring or network (ADT-1, AUD-3): what a
// controller's IT department runs. Exit status 0 when every checkpoint
// holds, 1 when one no longer does (the error names it), 2 when the input
// cannot be read (a usageError).
func verifyExport(env *Env, exportPath string, cpPaths []string, keyArg string) error {
	if missing := missingArgs(exportPath == "", cpPaths, keyArg); missing != "" {
		return usageError{"offline verification needs " + missing}
	}
	v, kept, err := keptCheckpoints(cpPaths, keyArg)
	if err != nil {
		return err
	}
	f, err := os.Open(exportPath)
	if err != nil {
		return usageError{fmt.Sprintf("--export %s: cannot read it: %v", exportPath, unwrapPath(err))}
	}
	defer f.Close()
	x, err := auditproof.NewExportReader(f)
	if err != nil {
		return badExport(exportPath, err)
	}
	r, err := auditproof.VerifyFrom(x.Tenant(), checkpointOrigin(v, x.Tenant()), v, x.Pruned(), kept, x.Next)
	var xErr *auditproof.ExportError
	var pErr *auditproof.PruningError
	if errors.As(err, &xErr) || (errors.As(err, &pErr) && pErr.Check == auditproof.CheckFormat) {
		return badExport(exportPath, err)
	}
	return verified(env, r, err)
}

// verifyLive checks a tenant's live log, read from the database, against
// the checkpoints the controller kept elsewhere (ADT-1): the same check as
// verifyExport, without an export in between. Exit status as verifyExport's.
func verifyLive(ctx context.Context, env *Env, cfg config.Config, rest []string, ref string, cpPaths []string, keyArg string) error {
	if missing := missingArgs(false, cpPaths, keyArg); missing != "" {
		return usageError{"verifying the live log against kept checkpoints needs " + missing}
	}
	v, kept, err := keptCheckpoints(cpPaths, keyArg)
	if err != nil {
		return err
	}
	db, t, err := openTenant(ctx, cfg, rest, ref)
	if err != nil {
		return err
	}
	defer db.Close()
	r, err := db.VerifyAgainstCheckpoints(ctx, t.ID, v, kept)
	if err == nil {
		fmt.Fprintf(env.Stdout, "%s: ", t.Slug)
	}
	return verified(env, r, err)
}

// missingArgs lists what a verification against kept checkpoints lacks.
func missingArgs(noExport bool, cpPaths []string, keyArg string) string {
	var missing []string
	if noExport {
		missing = append(missing, "--export FILE")
	}
	if len(cpPaths) == 0 {
		missing = append(missing, "--checkpoint FILE (at least one)")
	}
	if keyArg == "" {
		missing = append(missing, "--key KEY")
	}
	return strings.Join(missing, ", ")
}

// keptCheckpoints reads the verification key and the kept checkpoints (the
// caller checked that both were given); a usageError (exit 2) when one
// cannot be read.
func keptCheckpoints(cpPaths []string, keyArg string) (note.Verifier, []auditproof.SignedCheckpoint, error) {
	vkey, err := readVerifierKey(keyArg)
	if err != nil {
		return nil, nil, err
	}
	v, err := auditproof.ParseVerifierKey(vkey)
	if err != nil {
		return nil, nil, usageError{"--key: " + err.Error()}
	}
	kept := make([]auditproof.SignedCheckpoint, 0, len(cpPaths))
	for _, p := range cpPaths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, nil, usageError{fmt.Sprintf("--checkpoint %s: cannot read it: %v", p, unwrapPath(err))}
		}
		kept = append(kept, auditproof.SignedCheckpoint{Name: p, Note: b})
	}
	return v, kept, nil
}

// checkpointOrigin names the tenant's log under the key's name: the
// platform signs kluis.example/audit/<tenant id> with the key
// kluis.example/audit.
func checkpointOrigin(v note.Verifier, tenantID string) string {
	return auditproof.Origin(v.Name()+"/", tenantID)
}

// verified reports a verification's result: exit 0 when every checkpoint
// holds, 1 when one no longer does (the error names it), 2 when a
// checkpoint is not one at all.
func verified(env *Env, r *auditproof.Report, err error) error {
	var cpErr *auditproof.CheckpointError
	switch {
	case errors.As(err, &cpErr) && cpErr.Check == auditproof.CheckFormat:
		return usageError{fmt.Sprintf("--checkpoint %s is not a signed checkpoint: %s", cpErr.Name, cpErr.Reason)}
	case err != nil:
		return err // a checkpoint that no longer holds, or a break after the last one: exit 1
	}
	fmt.Fprintf(env.Stdout, "intact: %d events, %d checkpoints hold (the largest covers %d events)\n", r.Events, r.Checkpoints, r.Size)
	if r.Pruned > 0 {
		fmt.Fprintf(env.Stdout, "pruned: events 1-%d were removed by the audit retention; the signed pruning record holds, and the events after it chain from it\n", r.Pruned)
		for _, name := range r.Covered {
			fmt.Fprintf(env.Stdout, "covered by the pruning record: %s\n", name)
		}
		for _, name := range r.Unprovable {
			fmt.Fprintf(env.Stdout, "not provable without the pruned events: %s (verify it against an export made before the pruning)\n", name)
		}
	}
	return nil
}

func badExport(path string, err error) error {
	return usageError{fmt.Sprintf("--export %s is not a readable export: %v", path, err)}
}

// readVerifierKey takes the key itself or the name of a file holding it
// on its first line.
func readVerifierKey(arg string) (string, error) {
	if fi, err := os.Stat(arg); err == nil && fi.Mode().IsRegular() {
		b, err := os.ReadFile(arg)
		if err != nil {
			return "", usageError{fmt.Sprintf("--key %s: cannot read it: %v", arg, unwrapPath(err))}
		}
		// The key is the file's first line: what `kluis audit key`, the
		// well-known address and the audit page give has the fingerprint
		// on the second.
		first, _, _ := strings.Cut(strings.TrimLeft(string(b), "\r\n"), "\n")
		return strings.TrimRight(first, "\r"), nil
	}
	if !strings.Contains(arg, "+") {
		return "", usageError{fmt.Sprintf("--key %s: no such file, and not a verification key (name+hash+key)", arg)}
	}
	return arg, nil
}

// unwrapPath drops the path from an *os.PathError: the message names the
// file already.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// checkpointKey returns the platform's checkpoint signer and verification
// key from the keyring, making the key on first use (AUD-3).
func checkpointKey(cfg config.Config, keys *seal.Keyring) (signer note.Signer, vkey string, created bool, err error) {
	name, priv, created, err := keys.CheckpointKey(cfg.CheckpointKeyName())
	if err != nil {
		return nil, "", false, err
	}
	// The signer holds priv: it lives as long as the command.
	if signer, err = auditproof.NewSigner(name, priv); err != nil {
		return nil, "", false, err
	}
	vkey, err = auditproof.VerifierKey(name, priv.Public().(ed25519.PublicKey))
	return signer, vkey, created, err
}

// auditKey prints the verification key of the platform's checkpoints and
// its fingerprint: what a controller keeps to verify them (ADT-1).
func auditKey(ctx context.Context, env *Env, args []string) error {
	cfg, _, err := load(env, flags(env, "audit key"), args)
	if err != nil {
		return err
	}
	keys, err := openKeys(cfg)
	if err != nil {
		return err
	}
	_, vkey, created, err := checkpointKey(cfg, keys)
	if err != nil {
		return err
	}
	fp, err := auditproof.Fingerprint(vkey)
	if err != nil {
		return err
	}
	if created {
		// In the platform log when there is a database to hold it (the key
		// may be made before the first migration).
		if db, err := openAll(ctx, cfg); err == nil {
			err = recordCheckpointKey(ctx, env, db, vkey)
			db.Close()
			if err != nil {
				return err
			}
		}
		fmt.Fprintf(env.Stderr, "made the platform's checkpoint-signing key in the keyring %s\n", keys.Dir())
	}
	fmt.Fprintf(env.Stdout, "%s\nfingerprint: %s\n", vkey, fp)
	return nil
}

// recordCheckpointKey puts the making of the checkpoint-signing key in the
// platform log, with its fingerprint: it concerns every tenant (AUD-3).
func recordCheckpointKey(ctx context.Context, env *Env, db *store.DB, vkey string) error {
	fp, err := auditproof.Fingerprint(vkey)
	if err != nil {
		return err
	}
	return db.PlatformLog(ctx, operatorActor(env), "platform.checkpoint_key", store.PlatformAll, fp)
}

// auditExport writes a tenant's whole audit log in the export format of
// docs/audit.md, for offline verification against kept checkpoints
// (ADT-1). The events are streamed from the database to the file, never
// held in memory together. Reading the log is itself recorded in it, as
// the operator's CLI action (AUD-3), before a byte is written: the export
// holds its own event.
func auditExport(ctx context.Context, env *Env, args []string) error {
	fs := flags(env, "audit export")
	ref := fs.String("tenant", "", "tenant slug or id")
	grant := grantFlag(fs)
	out := fs.String("out", "", "the file to write (replaced if it exists)")
	cfg, rest, err := load(env, fs, args)
	if err != nil {
		return err
	}
	if *out == "" {
		return usageError{"say where to write the export: --out FILE"}
	}
	db, t, err := openTenant(ctx, cfg, rest, *ref)
	if err != nil {
		return err
	}
	defer db.Close()
	// The export holds who did what to the tenant's data: a supplier reads
	// it only under the tenant's grant (AUD-4); the tenant's own staff
	// export it from the audit page without the supplier (AUD-2).
	actor, err := granted(ctx, env, db, t, *grant, "kluis audit export")
	if err != nil {
		return err
	}
	// Recorded once the file can be written, before the log is read.
	n, err := writeFileAtomic(*out, func(f *os.File) (int64, error) {
		return db.ExportAuditLog(ctx, actor, t.ID, f)
	})
	if err != nil {
		return fmt.Errorf("export to %s: %w", *out, err)
	}
	fmt.Fprintf(env.Stdout, "%s: %d events exported to %s\n", t.Slug, n, *out)
	return nil
}

// writeFileAtomic writes path through a temporary file beside it, synced
// and then renamed, so that a failure leaves no half-written file that a
// verifier would take for a truncated log.
func writeFileAtomic(path string, write func(*os.File) (int64, error)) (int64, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return 0, unwrapPath(err)
	}
	defer os.Remove(f.Name()) // a no-op once renamed
	n, err := write(f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	return n, err
}

// auditCheckpoint signs a checkpoint of a tenant's live log with the
// platform key (ADT-1, AUD-3): its size and Merkle root, for the
// controller to keep where the supplier cannot reach it.
//
// The store signs from the tree it keeps beside the chain's head; a
// command run by hand can afford to walk the whole chain first, so that a
// log that is already broken is not blessed with a signature.
func auditCheckpoint(ctx context.Context, env *Env, args []string) error {
	fs := flags(env, "audit checkpoint")
	ref := fs.String("tenant", "", "tenant slug or id")
	out := fs.String("out", "", "write the checkpoint to this file instead of printing it")
	cfg, rest, err := load(env, fs, args)
	if err != nil {
		return err
	}
	db, t, err := openTenant(ctx, cfg, rest, *ref)
	if err != nil {
		return err
	}
	defer db.Close()
	actor := operatorActor(env)
	key, err := db.CheckpointKeyBy(ctx, actor, cfg.CheckpointKeyName())
	if err != nil {
		return err
	}
	if _, err := db.VerifyAudit(ctx, t.ID); err != nil {
		var broken *audit.BrokenError
		if errors.As(err, &broken) {
			return fmt.Errorf("%s: the log is broken at event %d (%s): no checkpoint signed", t.Slug, broken.Seq, broken.Reason)
		}
		return err
	}
	cp, _, err := db.SignCheckpoint(ctx, t.ID, key.Signer, &actor)
	if err != nil {
		return err
	}
	signed := cp.Note
	if *out == "" {
		_, err = env.Stdout.Write(signed)
		return err
	}
	if _, err := writeFileAtomic(*out, func(f *os.File) (int64, error) {
		_, err := f.Write(signed)
		return 0, err
	}); err != nil {
		return fmt.Errorf("write checkpoint to %s: %w", *out, err)
	}
	fmt.Fprintf(env.Stdout, "%s: checkpoint of %d events written to %s\n", t.Slug, cp.Size, *out)
	return nil
}

// openTenant opens the store and finds the tenant a command is about.
func openTenant(ctx context.Context, cfg config.Config, rest []string, ref string) (*store.DB, tenant.Tenant, error) {
	db, err := openAll(ctx, cfg)
	if err != nil {
		return nil, tenant.Tenant{}, err
	}
	t, err := findTenant(ctx, db, rest, ref)
	if err != nil {
		db.Close()
		return nil, t, err
	}
	return db, t, nil
}
