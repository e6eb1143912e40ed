// Package cli is the kluis command line: one file per subcommand, each
// parsing its flags and then running against the store, the keyring and the
// server. It is the top of the import graph (cli → server → web | jobs →
// store → domain packages). Errors reach the user as one sentence on stderr
// and a non-zero exit status.
package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/config"
	"github.com/kluis/kluis/internal/seal"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/tenant"
)

// Env is what a command sees of its process.
type Env struct {
	Stdout, Stderr io.Writer
	Getenv         func(string) string
}

// command is one entry of the command table: either a command of its own
// (run, with what it touches in access) or a group of subcommands (subs).
// Both are enumerable, so that a test can run every command and check
// that those touching a tenant's data need a grant (AUD-3, AUD-4).
type command struct {
	name, summary string
	run           func(ctx context.Context, env *Env, args []string) error
	access        access
	subs          []subcommand
}

func commands() []command {
	return []command{
		{name: "serve", summary: "run the web server and the job worker", run: runServe, access: platform},
		{name: "migrate", summary: "apply pending database migrations", run: runMigrate, access: platform},
		{name: "tenant", summary: "create, list, show, suspend, reactivate or terminate tenants, or set their host names", subs: []subcommand{
			{"create", platform, tenantCreate},
			{"list", platform, tenantList},
			{"show", tenantData, tenantShow},
			{"suspend", platform, func(ctx context.Context, env *Env, args []string) error {
				return tenantStatus(ctx, env, args, tenant.StatusSuspended)
			}},
			{"reactivate", platform, func(ctx context.Context, env *Env, args []string) error {
				return tenantStatus(ctx, env, args, tenant.StatusActive)
			}},
			// The tenant's own host names (requests routed by host, ACME certificates).
			{"hosts", platform, tenantHosts},
			// The end of a contract (END-3, END-4, END-5), one confirmed step at a time.
			{"terminate", platform, tenantTerminate},
		}},
		{name: "user", summary: "invite a tenant's first administrator, list a tenant's users", subs: []subcommand{
			{"invite", onboarding, userInvite},
			{"list", tenantData, userList},
		}},
		{name: "operator", summary: "add, list, change, suspend or remove the supplier's platform operators; announce maintenance", subs: []subcommand{
			{"add", supplierOnly, operatorAdd},
			{"list", supplierOnly, operatorList},
			{"set", supplierOnly, operatorSet},
			{"suspend", supplierOnly, operatorStatus("suspend")},
			{"reactivate", supplierOnly, operatorStatus("reactivate")},
			{"remove", supplierOnly, operatorStatus("remove")},
			{"reset-mfa", supplierOnly, operatorStatus("reset-mfa")},
			{"notice", supplierOnly, operatorNotice},
		}},
		{name: "register", summary: "export, import (YAML) and list the versions of a tenant's processing register", subs: []subcommand{
			{"export", tenantData, registerCommand("export")},
			{"import", tenantData, registerCommand("import")},
			{"history", tenantData, registerCommand("history")},
		}},
		{name: "retention", summary: "apply the register's retention periods now, or see what a run would do (--dry-run)", subs: []subcommand{
			{"run", platform, retentionRun},
		}},
		{name: "oidc", summary: "add, list or remove a tenant's OpenID providers (eID, itsme, ACM, other)", subs: []subcommand{
			{"add", tenantData, oidcAdd},
			{"list", tenantData, oidcListCommand},
			{"remove", tenantData, oidcRemove},
		}},
		{name: "magda", summary: "check a tenant's national register (MAGDA) connection with one test call", subs: []subcommand{
			{"check", tenantData, magdaCheck},
		}},
		{name: "bench", summary: "measure a real server: kluis bench intake, kluis bench intake-during-backup, kluis bench pages; kill it under load: kluis bench crash", subs: []subcommand{
			{"intake", supplierOnly, benchIntake},
			{"pages", supplierOnly, benchPages},
			{"pages-limit", supplierOnly, benchPagesLimit},
			{"intake-during-backup", supplierOnly, benchIntakeDuringBackup},
			{"crash", supplierOnly, benchCrash},
		}},
		{name: "keys", summary: "init the keyring and master key, rotate a tenant's data key", subs: []subcommand{
			{"init", platform, keysInitCommand},
			{"rotate", platform, keysRotate},
		}},
		{name: "audit", summary: "verify, export or checkpoint a tenant's audit log; print the checkpoint key", subs: []subcommand{
			{"verify", platform, auditVerify},
			{"export", tenantData, auditExport},
			{"checkpoint", platform, auditCheckpoint},
			{"key", platform, auditKey},
		}},
		{name: "accessibility", summary: "record a full accessibility audit by the browser suite, which every tenant's statement shows", subs: []subcommand{
			{"record", platform, accessibilityRecord},
		}},
		{name: "compliance", summary: "what proves the contract: every clause with the tests named after it and their outcome in this build's CI run; a tenant's report of every clause measured now", subs: complianceCommands()},
		{name: "backup", summary: "make an encrypted, signed backup of the database, with the keyring backed up apart (--list: the backups there are)", run: runBackup, access: platform},
		{name: "restore", summary: "restore a backup into a new data directory and keyring, refusing one that does not verify", run: runRestore, access: platform},
		{name: "export", summary: "export all of a tenant's data for the controller (END-3): JSON Lines, schemas, CSV, files, age-encrypted", run: runExport, access: tenantData},
		{name: "import", summary: "import a tenant's full export into an instance without it (new data directory and keyring)", run: runImport, access: platform},
		{name: "certificate", summary: "verify a destruction certificate offline", subs: []subcommand{
			{"verify", supplierOnly, certificateVerify},
		}},
		{name: "config", summary: "print the effective configuration, secrets redacted", run: runConfig, access: supplierOnly},
		{name: "version", summary: "print the version", run: runVersion, access: supplierOnly},
	}
}

// usageError is a mistake in how a command was called (exit status 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// Run runs the kluis command line with args (without the program name) and
// returns the process exit status.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return RunEnv(ctx, args, &Env{Stdout: stdout, Stderr: stderr, Getenv: os.Getenv})
}

// RunEnv is Run with an explicit environment, for tests.
func RunEnv(ctx context.Context, args []string, env *Env) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(env.Stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name == args[0] {
			var err error
			if c.subs != nil {
				err = dispatch(ctx, env, c.name, c.subs, args[1:])
			} else {
				err = c.run(ctx, env, args[1:])
			}
			if err == nil {
				return 0
			}
			if errors.Is(err, flag.ErrHelp) {
				return 0
			}
			fmt.Fprintf(env.Stderr, "kluis %s: %s\n", c.name, oneLine(err))
			var ue usageError
			if errors.As(err, &ue) {
				return 2
			}
			var xe exitError
			if errors.As(err, &xe) {
				return xe.code
			}
			return 1
		}
	}
	fmt.Fprintf(env.Stderr, "kluis: unknown command %q; run `kluis help` for the list\n", args[0])
	return 2
}

func oneLine(err error) string {
	return strings.ReplaceAll(strings.TrimSpace(err.Error()), "\n", " ")
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "kluis — GDPR processing platform for local governments")
	fmt.Fprintln(w, "\nUsage: kluis <command> [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nEvery command takes the configuration flags (see `kluis config -h`); KLUIS_* variables set the same.")
}

// flags returns a FlagSet for a command that reports errors, not exits.
func flags(env *Env, name string) *flag.FlagSet {
	fs := flag.NewFlagSet("kluis "+name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	return fs
}

// load parses the configuration flags together with a command's own.
func load(env *Env, fs *flag.FlagSet, args []string) (config.Config, []string, error) {
	cfg, rest, err := config.Load(env.Getenv, fs, args)
	if err != nil && !errors.Is(err, flag.ErrHelp) && !strings.HasPrefix(err.Error(), "configuration") {
		// flag's own messages (unknown flag, bad value) are usage errors.
		return cfg, rest, usageError{err.Error()}
	}
	return cfg, rest, err
}

// version and commit are stamped by release builds (make release):
//
//	go build -ldflags "-X github.com/kluis/kluis/internal/cli.version=v1.2.3 -X github.com/kluis/kluis/internal/cli.commit=$(git rev-parse HEAD)"
//
// Without them a build says "dev", with the VCS revision Go recorded when
// there is one.
var version, commit = "", ""

func versionString() string {
	if version != "" {
		return version
	}
	if rev, dirty := vcsRevision(); rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		return "dev-" + rev + dirty
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// commitString is the stamped commit, else the VCS revision Go recorded,
// else "unknown".
func commitString() string {
	if commit != "" {
		return commit
	}
	if rev, dirty := vcsRevision(); rev != "" {
		return rev + dirty
	}
	return "unknown"
}

func vcsRevision() (rev, dirty string) {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "", ""
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "+dirty"
			}
		}
	}
	return rev, dirty
}

func runVersion(_ context.Context, env *Env, args []string) error {
	fs := flags(env, "version")
	modules := fs.Bool("m", false, "also list every Go module built in, with its version (to check against security advisories, LOC-4)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	fmt.Fprintf(env.Stdout, "kluis %s\ncommit %s\n%s %s/%s\n", versionString(), commitString(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	if *modules {
		// Structural security updates (LOC-4) start from knowing what is
		// built in: the Go release above (its net/http is the web server,
		// its crypto/tls the TLS stack) and each module, as the build
		// recorded them — the same list govulncheck -mode=binary reads.
		bi, ok := debug.ReadBuildInfo()
		if !ok {
			return errors.New("this binary carries no build information (built without module support)")
		}
		for _, d := range bi.Deps {
			if d.Replace != nil {
				d = d.Replace
			}
			fmt.Fprintf(env.Stdout, "module %s %s\n", d.Path, d.Version)
		}
	}
	return nil
}

// operatorActor is the audit actor for CLI commands: supplier staff acting
// on the platform (AUD-3), named by their login.
func operatorActor(env *Env) audit.Actor {
	name := env.Getenv("KLUIS_OPERATOR")
	if name == "" {
		if u, err := user.Current(); err == nil {
			name = u.Username
		} else {
			name = "unknown"
		}
	}
	var b [8]byte
	rand.Read(b[:])
	return audit.Actor{Kind: audit.KindOperator, ID: "cli:" + name, Role: "operator", RequestID: "cli-" + hex.EncodeToString(b[:])}
}

// masterKey reads the master key from KLUIS_MASTER_KEY or the key file.
func masterKey(cfg config.Config) (seal.MasterKey, error) {
	if cfg.MasterKey != "" {
		m, err := seal.ParseMasterKey(cfg.MasterKey)
		if err != nil {
			return m, fmt.Errorf("KLUIS_MASTER_KEY: %w", err)
		}
		return m, nil
	}
	b, err := os.ReadFile(cfg.MasterKeyFile)
	if errors.Is(err, os.ErrNotExist) {
		return seal.MasterKey{}, fmt.Errorf("no master key: set KLUIS_MASTER_KEY or KLUIS_MASTER_KEY_FILE (looked for %s), or run `kluis keys init` to create one", cfg.MasterKeyFile)
	}
	if err != nil {
		return seal.MasterKey{}, fmt.Errorf("read master key file: %w", err)
	}
	m, err := seal.ParseMasterKey(string(b))
	if err != nil {
		return m, fmt.Errorf("master key file %s: %w", cfg.MasterKeyFile, err)
	}
	return m, nil
}

func openKeys(cfg config.Config) (*seal.Keyring, error) {
	m, err := masterKey(cfg)
	if err != nil {
		return nil, err
	}
	return seal.OpenKeyring(cfg.KeysDir, m)
}

// openStore opens the database. create allows a new SQLite file (migrate,
// serve); other commands refuse to create an empty database by accident.
func openStore(ctx context.Context, cfg config.Config, keys *seal.Keyring, create bool) (*store.DB, error) {
	dialect, _, err := store.ParseURL(cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	if dialect == store.SQLite {
		path := store.SQLitePath(cfg.DatabaseURL)
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			if !create {
				return nil, fmt.Errorf("no database at %s: run `kluis migrate` first", path)
			}
			if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
				return nil, fmt.Errorf("create data directory: %w", err)
			}
		}
	}
	attachments, err := attachmentStore(cfg)
	if err != nil {
		return nil, err
	}
	return store.Open(ctx, cfg.DatabaseURL, store.Options{Keys: keys, Attachments: attachments,
		AttachmentThreshold: cfg.StorageAttachmentThreshold, MaxBatch: cfg.WriterMaxBatch})
}

// openAll opens keys and a database at the current schema.
func openAll(ctx context.Context, cfg config.Config) (*store.DB, error) {
	keys, err := openKeys(cfg)
	if err != nil {
		return nil, err
	}
	db, err := openStore(ctx, cfg, keys, false)
	if err != nil {
		return nil, err
	}
	if err := db.CheckSchema(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func runConfig(_ context.Context, env *Env, args []string) error {
	fs := flags(env, "config")
	cfg, _, err := load(env, fs, args)
	if err != nil {
		return err
	}
	for _, it := range cfg.Redacted() {
		fmt.Fprintf(env.Stdout, "%-16s %-22s %s\n", it.Name, it.Env, it.Value)
	}
	return nil
}
