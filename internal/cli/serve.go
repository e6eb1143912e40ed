package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/kluis/kluis/internal/analytics"
	"github.com/kluis/kluis/internal/geoip"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/kluis/kluis/internal/api"
	"github.com/kluis/kluis/internal/backup"
	"github.com/kluis/kluis/internal/breached"
	"github.com/kluis/kluis/internal/config"
	"github.com/kluis/kluis/internal/form"
	"github.com/kluis/kluis/internal/jobs"
	"github.com/kluis/kluis/internal/mail"
	"github.com/kluis/kluis/internal/metrics"
	"github.com/kluis/kluis/internal/register"
	"github.com/kluis/kluis/internal/scan"
	"github.com/kluis/kluis/internal/seal"
	"github.com/kluis/kluis/internal/server"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/tenant"
	"github.com/kluis/kluis/internal/web"
	"github.com/kluis/kluis/internal/webhook"
)

// serveHooks lets a test learn the address serve bound (with --listen
// 127.0.0.1:0); it travels in the context under serveHooksKey.
type serveHooks struct {
	ready func(addr net.Addr)
	// metricsReady hears the metrics listener's address (with
	// KLUIS_METRICS_LISTEN 127.0.0.1:0).
	metricsReady func(addr net.Addr)
}

type serveHooksKey struct{}

func runServe(ctx context.Context, env *Env, args []string) error {
	fs := flags(env, "serve")
	demo := fs.Bool("demo", false, "create the master key, keyring, schema and demo tenant when missing")
	migrate := fs.Bool("migrate", false, "apply pending migrations before serving")
	cfg, _, err := load(env, fs, args)
	if err != nil {
		return err
	}
	log := newLogger(env, cfg)

	if *demo {
		if err := prepareDemoKeys(env, cfg); err != nil {
			return err
		}
	}
	keys, err := openKeys(cfg)
	if err != nil {
		return err
	}
	db, err := openStore(ctx, cfg, keys, *demo || *migrate)
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetLogger(log) // the store's operator alerts (unreadable sealed values) go where the rest of the log goes
	if *demo || *migrate {
		applied, err := db.Migrate(ctx)
		if err != nil {
			return err
		}
		if len(applied) > 0 {
			log.Info("applied migrations", "versions", applied)
			if err := recordMigration(ctx, env, db, applied, nil); err != nil {
				return err
			}
		}
	}
	if err := db.CheckSchema(ctx); err != nil {
		return err
	}
	// The first start of each version is in the platform log (AUD-3): an
	// upgrade concerns every tenant.
	if _, err := db.PlatformStarted(ctx, operatorActor(env), versionString()); err != nil {
		return err
	}
	if *demo {
		if err := ensureDemoTenant(ctx, env, db); err != nil {
			return err
		}
		if err := ensureDemoGrant(ctx, env, db, cfg.DataDir); err != nil {
			return err
		}
		stopMagda, err := startDemoMagda(ctx, db, log)
		if err != nil {
			return err
		}
		defer stopMagda()
	}

	sender, err := mailSender(cfg)
	if err != nil {
		return err
	}
	if sender == nil {
		log.Warn("no mail relay configured (KLUIS_SMTP_HOST): mail waits in the outbox")
	}

	exports, err := exportStore(cfg)
	if err != nil {
		return err
	}
	if cfg.Storage != "" {
		log.Info("export files are in the shared storage", "location", exports.Location())
	}
	// The end-of-contract pages remove a tenant's keys from every backup
	// target the platform knows (END-4); the final export is made with
	// kluis export or the tenant's own full-export page and named there by
	// its manifest.
	termBackups, err := terminationBackups(cfg, "")
	if err != nil {
		return err
	}
	started := db.Now()
	backupAt, backupScheduled, _ := cfg.BackupDaily()
	keepD, keepW, keepM, _ := cfg.BackupRetention()
	backupShown := backup.Settings{Targets: cfg.BackupTargetList(), SecondSite: cfg.BackupSecondSite,
		Retention: backup.Retention{Daily: keepD, Weekly: keepW, Monthly: keepM}}
	restoreTestJob := "" // the worker runs it only when backups are scheduled
	if backupScheduled {
		backupShown.At = cfg.BackupAt
		if cfg.Worker {
			restoreTestJob = jobs.KindRestoreTest
		}
	}
	// Consent-free analytics: counted in memory by the web side, written
	// in batches by the flusher below and once more on shutdown.
	// KLUIS_ANALYTICS=off counts nothing: the web side then skips the
	// counting altogether (a nil counter) and nothing is flushed.
	var counts *analytics.Counter
	if cfg.Analytics != "off" {
		counts = analytics.NewCounter()
	}
	// Metrics (SEC-3): only with their own listener, never on the public
	// one; observe stays nil without it, so nothing is counted for nobody.
	var mets *metrics.Metrics
	var observe func(string, int, time.Duration)
	if cfg.MetricsListen != "" {
		mets = metrics.New(db, log)
		observe = mets.Request
		db.ObserveBatches(mets.Batch)
		defer db.ObserveBatches(nil)
	}
	var countries *geoip.DB
	if cfg.GeoIPDB != "" {
		if countries, err = geoip.Open(cfg.GeoIPDB); err != nil {
			return err
		}
	}
	app := web.New(web.Options{
		Observe: observe,
		Logger:  log, Version: versionString(), Commit: commitString(), ClauseResults: cfg.ClauseResults, TLS: cfg.TLS(), BodyLimit: cfg.BodyLimit, BaseURL: cfg.BaseURL,
		Store: db, TrustedProxies: cfg.TrustedProxyPrefixes(),
		Breached: breached.New(cfg.BreachedPasswordsURL, 0), Scanner: scanner(cfg), FormRateLimit: cfg.FormRateLimit,
		UploadLimit: cfg.UploadLimit, LoginRateLimit: cfg.LoginRateLimit,
		ExportStore: exports, CheckpointKeyName: cfg.CheckpointKeyName(), TerminationBackups: termBackups,
		Backups: backupShown, Compliance: compliancePlatform(cfg), RestoreTestJob: restoreTestJob, Analytics: counts, GeoIP: countries,
		Checks: []web.Check{
			{Name: "database", Fn: db.Ping},
			{Name: "keyring", Fn: func(context.Context) error { return keys.Ping() }},
			// A failed backup or restore test, or none for too long (SEC-5).
			{Name: "backup", Fn: func(ctx context.Context) error {
				return backup.Health(ctx, db, backupScheduled, 26*time.Hour, started)
			}},
		},
	})

	// The JSON API answers below /api/, the web side everything else.
	apiApp := api.New(api.Options{Logger: log, Store: db, Observe: observe, RateLimit: cfg.APIRateLimit, BodyLimit: cfg.APIBodyLimit, TLS: cfg.TLS(), BaseURL: cfg.BaseURL})
	handler := server.Mount(app.Handler(), api.Prefix, apiApp.Handler())

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	if counts != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			counts.Run(ctx, analyticsFlushEvery, 10*time.Second, db.AddAnalytics, func(err error) {
				log.Error("flush analytics", "error", err.Error())
			})
		}()
	}
	if cfg.Worker {
		handlers := jobs.Handlers()
		handlers[jobs.KindMailSend] = jobs.MailHandler(sender, log)
		handlers[jobs.KindExportBuild] = jobs.ExportBuildIn(exports)
		handlers[jobs.KindExportSweep] = jobs.ExportSweepIn(exports)
		handlers[jobs.KindFullExportBuild] = jobs.FullExportBuildIn(exports)
		hookClient := webhook.NewClient(webhook.ClientOptions{Allow: cfg.WebhookAllowPrefixes()})
		handlers[jobs.KindWebhookSend] = jobs.WebhookHandler(hookClient, log)
		handlers[jobs.KindCheckpointPush] = jobs.CheckpointPushHandler(hookClient, log)
		handlers[jobs.KindAuditCheckpoint] = jobs.CheckpointHandler(cfg.CheckpointKeyName())
		handlers[jobs.KindAuditPrune] = jobs.PruneHandler(cfg.CheckpointKeyName())
		handlers[jobs.KindBreachClock] = jobs.BreachClockHandler(cfg.SecurityOfficer)
		handlers[jobs.KindAuditPlanClock] = jobs.AuditPlanClockHandler(cfg.BaseURL)
		schedule := jobs.ScheduleWith(cfg.CheckpointEvery)
		if backupScheduled {
			bs, err := backupSettings(cfg)
			if err != nil {
				return err
			}
			handlers[jobs.KindBackup] = jobs.BackupHandler(bs)
			handlers[jobs.KindRestoreTest] = jobs.RestoreTestHandler(bs)
			schedule = jobs.WithBackups(schedule, backupAt)
		}
		handlers[jobs.KindAuthorityClock] = jobs.AuthorityClockHandler(cfg.BaseURL)
		// The hourly drift alerts (ADT-1) measure the platform as the
		// report does, so that a reading and the job never differ on it.
		handlers[jobs.KindComplianceDrift] = jobs.ComplianceDriftHandler(cfg.BaseURL, jobs.MeasureCompliance(compliancePlatform(cfg)))
		// Also without a schedule: backups made by hand sit at the targets.
		handlers[store.KeyringRefreshJobKind] = jobs.KeyringRefreshHandler(jobs.BackupSettings{Targets: cfg.BackupTargetList(),
			SecondSite: cfg.BackupSecondSite, Recipients: cfg.BackupRecipientList()})
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := &jobs.Runner{DB: db, Log: log, Node: cfg.Node, Handlers: handlers, Schedule: schedule}
			if mets != nil {
				r.Observer = mets
			}
			r.Run(ctx)
		}()
	}
	hooks, _ := ctx.Value(serveHooksKey{}).(*serveHooks)
	if mets != nil {
		stop, err := serveMetrics(ctx, cfg.MetricsListen, mets, log, hooks)
		if err != nil {
			return err
		}
		defer stop()
	}
	scheme := "http"
	if cfg.TLS() {
		scheme = "https"
	}
	srvCfg := server.Config{Addr: cfg.Listen, TLSCertFile: cfg.TLSCert, TLSKeyFile: cfg.TLSKey,
		ReadTimeout: cfg.HTTPReadTimeout, WriteTimeout: cfg.HTTPWriteTimeout, ShutdownTimeout: cfg.ShutdownTimeout}
	if cfg.ACMEDirectory != "" {
		m, err := acmeManager(cfg, db)
		if err != nil {
			return err
		}
		srvCfg.ACME, srvCfg.ChallengeAddr, srvCfg.Challenge = m.TLSConfig(), cfg.ACMEHTTPListen, m.HTTPHandler(server.RedirectToHTTPS(api.Prefix))
	}
	err = server.Serve(ctx, srvCfg, handler, log,
		func(addr net.Addr) {
			fmt.Fprintf(env.Stdout, "Kluis %s serves %s://%s/ (database: %s)\n", versionString(), scheme, addr, db.Dialect())
			if *demo {
				base := cfg.BaseURL
				if strings.HasSuffix(cfg.Listen, ":0") {
					base = scheme + "://" + addr.String()
				}
				fmt.Fprintf(env.Stdout, "Demo tenant: %s/demo/\n", base)
			}
			if hooks != nil && hooks.ready != nil {
				hooks.ready(addr)
			}
		})
	cancel()
	wg.Wait()
	return err
}

func newLogger(env *Env, cfg config.Config) *slog.Logger {
	var level slog.Level
	level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(env.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(env.Stderr, opts))
}

// prepareDemoKeys creates the master key file and the keyring on first
// start, so the demo needs no set-up. An existing keyring is left alone.
func prepareDemoKeys(env *Env, cfg config.Config) error {
	if _, err := os.Stat(cfg.KeysDir + "/" + seal.FileName); err == nil {
		return nil
	}
	if err := keysInit(env, cfg); err != nil && !errors.Is(err, seal.ErrKeyringExists) {
		return err
	}
	return nil
}

// DemoSlug is the slug of the demo tenant.
const DemoSlug = "demo"

// ensureDemoTenant creates "Gemeente Demo" and its register on first start,
// and keeps its register and published demo forms current on later starts
// (a data directory from an older development version gets them anew).
func ensureDemoTenant(ctx context.Context, env *Env, db *store.DB) error {
	actor := operatorActor(env)
	t, err := db.Tenant(ctx, DemoSlug)
	if errors.Is(err, store.ErrNotFound) {
		t, err = db.CreateTenant(ctx, actor, tenant.New{
			Slug: DemoSlug, LegalName: "Gemeente Demo", EnterpriseNumber: "0207.451.227",
			DPOName: "An Peeters", DPOEmail: "dpo@demo.kluis.example", DefaultLang: "nl",
		})
		if err != nil {
			return fmt.Errorf("create demo tenant: %w", err)
		}
		fmt.Fprintf(env.Stdout, "demo tenant %q created\n", t.LegalName)
	} else if err != nil {
		return err
	}
	rv, err := db.CurrentRegister(ctx, t.ID)
	if err != nil || !reflect.DeepEqual(rv.Register, register.Demo()) {
		if _, err := db.SaveRegister(ctx, actor, t.ID, register.Demo()); err != nil {
			return fmt.Errorf("demo register: %w", err)
		}
		fmt.Fprintln(env.Stdout, "demo processing register saved")
	}
	reg := register.Demo()
	for _, f := range form.DemoForms() {
		if pub, err := db.FormByStatus(ctx, t.ID, f.Key, store.FormPublished); err == nil &&
			bytes.Equal(pub.Form.JSON(), f.JSON()) && bytes.Equal(pub.Notice, form.NoticeFor(f, reg).JSON()) {
			continue
		}
		d, err := db.SaveFormDraft(ctx, actor, t.ID, f)
		if err == nil {
			err = db.ApproveNotice(ctx, actor, t.ID, f.Key, d.Version, store.NoticeDigest(form.NoticeFor(f, reg).JSON()))
		}
		if err == nil {
			_, err = db.PublishForm(ctx, actor, t.ID, f.Key, d.Version)
		}
		if err != nil {
			return fmt.Errorf("demo form %s: %w", f.Key, err)
		}
		fmt.Fprintf(env.Stdout, "demo form %q published\n", f.Key)
	}
	return ensureDemoSitePage(ctx, env, db, t.ID)
}

// demoSitePageSlug is the demo's published site page (kluis bench pages
// measures it); not "openingsuren", which the browser test makes itself.
const demoSitePageSlug = "praktisch"

// ensureDemoSitePage publishes the demo's site page when the tenant has
// none yet; what editors make of it later is theirs.
func ensureDemoSitePage(ctx context.Context, env *Env, db *store.DB, tenantID string) error {
	if pages, err := db.SitePages(ctx, tenantID); err != nil || len(pages) > 0 {
		return err
	}
	actor := operatorActor(env)
	id, v, err := db.SaveSitePage(ctx, actor, tenantID, "", store.SiteDraft{Slug: demoSitePageSlug, Position: 1,
		Text: map[string]store.SiteText{
			"nl": {Title: "Praktische informatie", Summary: "Wanneer het gemeentehuis open is",
				Body: "## Loket\n\nHet loket is open van maandag tot vrijdag, van **9 tot 12 uur**, en op woensdag ook van 14 tot 16 uur.\n\n## Telefoon\n\nBel ons op werkdagen tijdens de openingsuren."},
			"fr": {Title: "Informations pratiques", Summary: "Quand la maison communale est ouverte",
				Body: "## Guichet\n\nLe guichet est ouvert du lundi au vendredi, de **9 à 12 heures**, et le mercredi aussi de 14 à 16 heures.\n\n## Téléphone\n\nAppelez-nous les jours ouvrables pendant les heures d'ouverture."},
			"en": {Title: "Practical information", Summary: "When the town hall is open",
				Body: "## Desk\n\nThe desk is open Monday to Friday, from **9 to 12**, and on Wednesday also from 14 to 16.\n\n## Phone\n\nCall us on working days during opening hours."},
		}}, 0)
	if err == nil {
		err = db.PublishSitePage(ctx, actor, tenantID, id, v)
	}
	if err != nil {
		return fmt.Errorf("demo site page: %w", err)
	}
	fmt.Fprintf(env.Stdout, "demo site page %q published\n", demoSitePageSlug)
	return nil
}

// mailSender returns the configured relay, or nil when none is.
func mailSender(cfg config.Config) (*mail.Sender, error) {
	if cfg.SMTPHost == "" {
		return nil, nil
	}
	s, err := mail.New(mail.Config{Host: cfg.SMTPHost, Port: cfg.SMTPPort, Username: cfg.SMTPUsername,
		Password: cfg.SMTPPassword, TLS: cfg.SMTPTLS, From: cfg.SMTPFrom})
	if err != nil {
		return nil, fmt.Errorf("mail relay: %w", err)
	}
	return s, nil
}

// scanner is the configured clamd, or nil (uploads are then refused).
func scanner(cfg config.Config) web.Scanner {
	network, address := cfg.ClamdNetwork()
	if network == "" {
		return nil
	}
	return &scan.Client{Network: network, Address: address, Timeout: 60 * time.Second}
}

// exportDir is where exports wait, encrypted, for download: under the data
// directory, apart from the keys.
func exportDir(cfg config.Config) string { return filepath.Join(cfg.DataDir, "exports") }

// analyticsFlushEvery is how often the analytics counts are written: one
// batch per interval, whatever the traffic.
const analyticsFlushEvery = 30 * time.Second

// serveMetrics serves /metrics, and nothing else, on its own listener
// (KLUIS_METRICS_LISTEN): the public listener never answers it. A listener
// that cannot be opened refuses the start. stop closes it.
func serveMetrics(ctx context.Context, addr string, m *metrics.Metrics, log *slog.Logger, hooks *serveHooks) (stop func(), err error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("cannot listen on the metrics address %q (KLUIS_METRICS_LISTEN): %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 120 * time.Second, MaxHeaderBytes: 16 << 10,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	go srv.Serve(ln)
	log.Info("metrics listening", "addr", ln.Addr().String())
	if hooks != nil && hooks.metricsReady != nil {
		hooks.metricsReady(ln.Addr())
	}
	return func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}, nil
}
