package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"

	"github.com/kluis/kluis/internal/breached"
	"github.com/kluis/kluis/internal/config"
	"github.com/kluis/kluis/internal/jobs"
	"github.com/kluis/kluis/internal/mail"
	"github.com/kluis/kluis/internal/register"
	"github.com/kluis/kluis/internal/seal"
	"github.com/kluis/kluis/internal/server"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/tenant"
	"github.com/kluis/kluis/internal/web"
)

// serveHooks lets a test learn the address serve bound (with --listen
// 127.0.0.1:0); it travels in the context under serveHooksKey.
type serveHooks struct {
	ready func(addr net.Addr)
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
	if *demo || *migrate {
		applied, err := db.Migrate(ctx)
		if err != nil {
			return err
		}
		if len(applied) > 0 {
			log.Info("applied migrations", "versions", applied)
		}
	}
	if err := db.CheckSchema(ctx); err != nil {
		return err
	}
	if *demo {
		if err := ensureDemoTenant(ctx, env, db); err != nil {
			return err
		}
	}

	sender, err := mailSender(cfg)
	if err != nil {
		return err
	}
	if sender == nil {
		log.Warn("no mail relay configured (KLUIS_SMTP_HOST): mail waits in the outbox")
	}

	app := web.New(web.Options{
		Logger: log, Version: versionString(), TLS: cfg.TLS(), BodyLimit: cfg.BodyLimit, BaseURL: cfg.BaseURL,
		Store: db, TrustedProxies: cfg.TrustedProxyPrefixes(),
		Breached: breached.New(cfg.BreachedPasswordsURL, 0),
		Checks: []web.Check{
			{Name: "database", Fn: db.Ping},
			{Name: "keyring", Fn: func(context.Context) error { return keys.Ping() }},
		},
	})

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	if cfg.Worker {
		handlers := jobs.Handlers()
		handlers[jobs.KindMailSend] = jobs.MailHandler(sender, log)
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := &jobs.Runner{DB: db, Log: log, Node: cfg.Node, Handlers: handlers}
			r.Run(ctx)
		}()
	}
	hooks, _ := ctx.Value(serveHooksKey{}).(*serveHooks)
	scheme := "http"
	if cfg.TLS() {
		scheme = "https"
	}
	err = server.Serve(ctx, server.Config{Addr: cfg.Listen, TLSCertFile: cfg.TLSCert, TLSKeyFile: cfg.TLSKey}, app.Handler(), log,
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

// ensureDemoTenant creates "Gemeente Demo" and its register on first start.
func ensureDemoTenant(ctx context.Context, env *Env, db *store.DB) error {
	if _, err := db.Tenant(ctx, DemoSlug); err == nil {
		return nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	actor := operatorActor(env)
	t, err := db.CreateTenant(ctx, actor, tenant.New{
		Slug: DemoSlug, LegalName: "Gemeente Demo", EnterpriseNumber: "0207.451.227",
		DPOName: "An Peeters", DPOEmail: "dpo@demo.kluis.example", DefaultLang: "nl",
	})
	if err != nil {
		return fmt.Errorf("create demo tenant: %w", err)
	}
	if _, err := db.SaveRegister(ctx, actor, t.ID, register.Demo()); err != nil {
		return fmt.Errorf("demo register: %w", err)
	}
	fmt.Fprintf(env.Stdout, "demo tenant %q created with its processing register\n", t.LegalName)
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
