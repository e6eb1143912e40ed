// Package config owns Kluis's configuration: the settings, their defaults
// that work on a laptop, their KLUIS_* environment variables and flags, and
// their validation. There is no package-level configuration: callers Load a
// Config and pass it on. Standard library only; it reads no files.
package config

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/mail"
	"net/netip"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Config is the effective configuration of one kluis process.
type Config struct {
	DataDir       string
	DatabaseURL   string
	KeysDir       string
	MasterKey     string // secret
	MasterKeyFile string
	Listen        string
	BaseURL       string
	TLSCert       string
	TLSKey        string
	// ACME (tenants' own host names, see internal/acmecert): the CA's
	// directory URL turns it on; Email is the account contact; the HTTP-01
	// challenges are answered on ACMEHTTPListen (plain HTTP, port 80 in
	// production); certificates and keys (secrets) live in the database,
	// sealed with the platform key and shared by every node, or, when
	// ACMECacheDir is set, in that directory of this node's own.
	ACMEDirectory  string
	ACMEEmail      string
	ACMEHTTPListen string
	ACMECacheDir   string
	// MetricsListen is the address of the separate Prometheus listener
	// (/metrics); empty: no metrics. Never the public listener.
	MetricsListen string
	BodyLimit     int64
	LogLevel      string
	LogFormat     string
	Node          string
	Worker        bool

	// Outgoing mail (invitations, resets, notices). Without SMTPHost mails
	// wait in the outbox.
	SMTPHost     string
	SMTPPort     int
	SMTPUsername string
	SMTPPassword string // secret
	SMTPFrom     string
	SMTPTLS      string

	// TrustedProxies lists the reverse proxies (comma-separated CIDRs or
	// addresses) whose X-Forwarded-For Kluis believes; empty: none, the
	// client address is the connection's.
	TrustedProxies string
	// BreachedPasswordsURL is the k-anonymity range endpoint new passwords
	// are checked against (HIBP range API format; Kluis appends the 5-hex
	// SHA-1 prefix); empty: no breached-password check.
	BreachedPasswordsURL string
	// GeoIPDB is a local MaxMind DB country file (GeoLite2-Country.mmdb)
	// the analytics count visitors' countries with, looked up in memory;
	// empty: no country is counted at all.
	GeoIPDB string
	// Analytics is "off" to count no visitor statistics at all (the
	// default, "" or "on", counts them in memory, consent-free). The
	// intake benchmark measures with and without.
	Analytics string
	// FormRateLimit caps form posts per client address per minute (0:
	// the default, 20). Load tests raise it.
	FormRateLimit int
	// Clamd is the virus scanner's address: unix:/run/clamav/clamd.ctl or
	// tcp:127.0.0.1:3310. Empty: uploads are refused (never stored
	// unscanned).
	Clamd string
	// ClauseResults is the clause results file of the CI run that tested
	// this build (scripts/test.sh writes it; internal/clausecov reads
	// it); empty: every clause test shows as not run in this build.
	ClauseResults string
	// WebhookAllowNetworks lists networks (comma-separated CIDRs or
	// addresses) webhooks may reach although they are loopback, private,
	// link-local or otherwise internal; empty: none (server-side request
	// forgery protection).
	WebhookAllowNetworks string
	// CheckpointEvery is how often the audit log of every tenant that grew
	// gets a signed checkpoint (AUD-2); 0: the default, 15 minutes.
	CheckpointEvery time.Duration
	// SecurityOfficer is the supplier's security officer's address: warned
	// when a breach is not reported to its controller 18 hours after
	// discovery, and when the 24 hours of BRE-1 have passed. Empty: no
	// warning mails (the clocks still show on the pages).
	SecurityOfficer string

	// Storage is the object store (an absolute directory or
	// s3://ACCESS@host/bucket/prefix) that several nodes share for export
	// files and large attachments; empty: each node keeps export files
	// under its data directory, and attachments stay in the database.
	Storage string
	// StorageAttachmentThreshold: with Storage set, an attachment larger
	// than this many bytes has its sealed bytes in the object store
	// instead of the database (SEC-2: sealed as before), so that any node
	// serves it; unused without Storage.
	StorageAttachmentThreshold int64
	// BackupSecondSite is the object store backups are replicated to
	// (SEC-6: a second data centre); empty: none. Its provider must be a
	// registered sub-processor in the EEA.
	BackupSecondSite string
	// Backups (END-2, SEC-4, SEC-5, SEC-6); see docs/backup.md.
	// BackupTargets: comma-separated locations (a directory, s3://…); the
	// scheduled backup writes to every one. BackupRecipients: comma-
	// separated age recipients the backups are encrypted to.
	// BackupIdentityFile: an age identity file of one of them, for the
	// restore test. BackupAt: the daily time (HH:MM, UTC) of the backup;
	// empty: no scheduled backup. BackupKeep: daily,weekly,monthly backups
	// kept. BackupAlert: where failed backups and restore tests are mailed
	// (default: the security officer). BackupScratchDatabaseURL: an empty
	// PostgreSQL database the restore test may overwrite (PostgreSQL only).
	// BackupRate: megabytes per second the encrypted snapshot is streamed
	// to the targets at most (default 40; 0: unlimited).
	BackupTargets            string
	BackupRecipients         string
	BackupIdentityFile       string
	BackupAt                 string
	BackupKeep               string
	BackupAlert              string
	BackupScratchDatabaseURL string
	BackupRate               string

	// Limits an operator may tune (SEC-3: availability under load). Each
	// has its default in Defaults and its range in settings.
	// APIRateLimit: API calls per key per minute. APIBodyLimit: largest
	// API request body. UploadLimit: largest multipart body (a form with
	// attachments; each form caps its own posts lower). LoginRateLimit:
	// login and code posts per client address per minute, on top of the
	// per-account lockout (USR-6). WriterMaxBatch: writes the single
	// writer commits in one transaction at most. HTTPReadTimeout and
	// HTTPWriteTimeout: the public listener's time to read a request
	// (slow uploads) and to write a response (large downloads).
	// ShutdownTimeout: how long in-flight requests get on shutdown.
	APIRateLimit     int
	APIBodyLimit     int64
	UploadLimit      int64
	LoginRateLimit   int
	WriterMaxBatch   int
	HTTPReadTimeout  time.Duration
	HTTPWriteTimeout time.Duration
	ShutdownTimeout  time.Duration
}

// BackupTargetList splits BackupTargets.
func (c Config) BackupTargetList() []string { return splitList(c.BackupTargets) }

// BackupRecipientList splits BackupRecipients.
func (c Config) BackupRecipientList() []string { return splitList(c.BackupRecipients) }

// BackupAlertTo is who hears of a failed backup or restore test.
func (c Config) BackupAlertTo() string {
	if c.BackupAlert != "" {
		return c.BackupAlert
	}
	return c.SecurityOfficer
}

// BackupDaily parses BackupAt ("03:30") as an offset from midnight UTC;
// ok is false when no backup is scheduled.
func (c Config) BackupDaily() (offset time.Duration, ok bool, err error) {
	if c.BackupAt == "" {
		return 0, false, nil
	}
	t, err := time.Parse("15:04", c.BackupAt)
	if err != nil {
		return 0, false, fmt.Errorf("backup time %q is not a time of day such as 03:30", c.BackupAt)
	}
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, true, nil
}

// BackupRateBytes parses BackupRate (megabytes per second) as bytes per
// second; 0 is unlimited. The default, 40 MB/s, kept the intake's loss
// during back-to-back backups under 20 % on the shared test machine where
// unlimited lost 24–44 % (docs/backup.md), and costs a daily backup of a
// million submissions (2.2 GB) a few seconds.
func (c Config) BackupRateBytes() (int64, error) {
	rate := c.BackupRate
	if rate == "" {
		rate = "40"
	}
	v, err := strconv.Atoi(strings.TrimSpace(rate))
	if err != nil || v < 0 || v > 100000 {
		return 0, fmt.Errorf("backup rate %q is not a whole number of megabytes per second such as 40 (0: unlimited)", c.BackupRate)
	}
	return int64(v) << 20, nil
}

// BackupRetention parses BackupKeep ("7,4,6": daily, weekly, monthly).
func (c Config) BackupRetention() (daily, weekly, monthly int, err error) {
	keep := c.BackupKeep
	if keep == "" {
		keep = "7,4,6"
	}
	var n [3]int
	parts := strings.Split(keep, ",")
	if len(parts) != 3 {
		return 0, 0, 0, fmt.Errorf("backup retention %q is not three numbers daily,weekly,monthly such as 7,4,6", keep)
	}
	for i, p := range parts {
		v, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || v < 0 || v > 1000 {
			return 0, 0, 0, fmt.Errorf("backup retention %q is not three numbers daily,weekly,monthly such as 7,4,6", keep)
		}
		n[i] = v
	}
	if n[0]+n[1]+n[2] == 0 {
		return 0, 0, 0, errors.New("backup retention keeps no backup at all: keep at least one daily backup")
	}
	return n[0], n[1], n[2], nil
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// ClamdNetwork splits Clamd into network and address ("", "" when unset).
func (c Config) ClamdNetwork() (network, address string) {
	n, a, ok := strings.Cut(c.Clamd, ":")
	if !ok {
		return "", ""
	}
	return n, a
}

// setting describes one configuration item: its flag, its variable, its
// default and how to show it.
type setting struct {
	flag, env, help string
	secret          bool
	get             func(*Config) string
	set             func(*Config, string) error
}

func str(p func(*Config) *string) (func(*Config) string, func(*Config, string) error) {
	return func(c *Config) string { return *p(c) }, func(c *Config, v string) error { *p(c) = v; return nil }
}

func settings() []setting {
	var s []setting
	add := func(flag, env, help string, secret bool, p func(*Config) *string) {
		g, st := str(p)
		s = append(s, setting{flag, env, help, secret, g, st})
	}
	add("data-dir", "KLUIS_DATA_DIR", "directory for the embedded database", false, func(c *Config) *string { return &c.DataDir })
	add("database-url", "KLUIS_DATABASE_URL", "sqlite:PATH or postgres://user@host/db (default: sqlite in the data dir)", false, func(c *Config) *string { return &c.DatabaseURL })
	add("keys-dir", "KLUIS_KEYS_DIR", "directory of the keyring, kept apart from the data", false, func(c *Config) *string { return &c.KeysDir })
	add("", "KLUIS_MASTER_KEY", "master key (base64 or hex, 32 bytes); environment only", true, func(c *Config) *string { return &c.MasterKey })
	add("master-key-file", "KLUIS_MASTER_KEY_FILE", "file holding the master key", false, func(c *Config) *string { return &c.MasterKeyFile })
	add("listen", "KLUIS_LISTEN", "address to listen on", false, func(c *Config) *string { return &c.Listen })
	add("base-url", "KLUIS_BASE_URL", "public address of the site, used in links sent to people (default: derived from --listen)", false, func(c *Config) *string { return &c.BaseURL })
	add("tls-cert", "KLUIS_TLS_CERT", "TLS certificate file (PEM); serves HTTPS with HSTS when set with the key", false, func(c *Config) *string { return &c.TLSCert })
	add("tls-key", "KLUIS_TLS_KEY", "TLS private key file (PEM)", false, func(c *Config) *string { return &c.TLSKey })
	add("acme-directory", "KLUIS_ACME_DIRECTORY", "ACME directory URL (e.g. https://acme-v02.api.letsencrypt.org/directory): certificates for tenants' own host names, and for the base URL's name without --tls-cert", false, func(c *Config) *string { return &c.ACMEDirectory })
	add("acme-email", "KLUIS_ACME_EMAIL", "contact address of the ACME account (the CA's expiry warnings)", false, func(c *Config) *string { return &c.ACMEEmail })
	add("acme-http-listen", "KLUIS_ACME_HTTP_LISTEN", "plain HTTP address for ACME HTTP-01 challenges (other requests are redirected to HTTPS)", false, func(c *Config) *string { return &c.ACMEHTTPListen })
	add("acme-cache-dir", "KLUIS_ACME_CACHE_DIR", "keep the ACME account key and the certificates with their private keys in this directory of the node's own (mode 0600) instead of the database (default: the database, sealed with the platform key and shared by every node)", false, func(c *Config) *string { return &c.ACMECacheDir })
	add("metrics-listen", "KLUIS_METRICS_LISTEN", "address of the separate Prometheus metrics listener, e.g. 127.0.0.1:9464 (default none: no metrics)", false, func(c *Config) *string { return &c.MetricsListen })
	s = append(s, setting{"body-limit", "KLUIS_BODY_LIMIT", "largest request body in bytes (suffix KiB or MiB allowed)", false,
		func(c *Config) string { return strconv.FormatInt(c.BodyLimit, 10) },
		func(c *Config, v string) error {
			n, err := parseSize(v)
			if err != nil {
				return err
			}
			c.BodyLimit = n
			return nil
		}})
	add("log-level", "KLUIS_LOG_LEVEL", "debug, info, warn or error", false, func(c *Config) *string { return &c.LogLevel })
	add("log-format", "KLUIS_LOG_FORMAT", "text or json", false, func(c *Config) *string { return &c.LogFormat })
	add("node", "KLUIS_NODE", "name of this node in job leases and logs", false, func(c *Config) *string { return &c.Node })
	s = append(s, setting{"worker", "KLUIS_WORKER", "run the background job worker in serve (true or false)", false,
		func(c *Config) string { return strconv.FormatBool(c.Worker) },
		func(c *Config, v string) error {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("want true or false, got %q", v)
			}
			c.Worker = b
			return nil
		}})
	add("smtp-host", "KLUIS_SMTP_HOST", "mail relay host; without it mail waits in the outbox", false, func(c *Config) *string { return &c.SMTPHost })
	s = append(s, setting{"smtp-port", "KLUIS_SMTP_PORT", "mail relay port (default 587 for starttls, 465 for tls)", false,
		func(c *Config) string { return strconv.Itoa(c.SMTPPort) },
		func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || n > 65535 {
				return fmt.Errorf("want a port number, got %q", v)
			}
			c.SMTPPort = n
			return nil
		}})
	add("smtp-username", "KLUIS_SMTP_USERNAME", "mail relay user name", false, func(c *Config) *string { return &c.SMTPUsername })
	add("", "KLUIS_SMTP_PASSWORD", "mail relay password; environment only", true, func(c *Config) *string { return &c.SMTPPassword })
	add("smtp-from", "KLUIS_SMTP_FROM", "sender address, e.g. \"Kluis <noreply@loket.example.be>\"", false, func(c *Config) *string { return &c.SMTPFrom })
	add("smtp-tls", "KLUIS_SMTP_TLS", "starttls (default), tls, or none (loopback only)", false, func(c *Config) *string { return &c.SMTPTLS })
	add("trusted-proxies", "KLUIS_TRUSTED_PROXIES", "reverse proxies whose X-Forwarded-For is believed: comma-separated CIDRs (default none)", false, func(c *Config) *string { return &c.TrustedProxies })
	s = append(s, setting{"form-rate-limit", "KLUIS_FORM_RATE_LIMIT", "form posts per client address per minute (default 20)", false,
		func(c *Config) string { return strconv.Itoa(c.FormRateLimit) },
		func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return fmt.Errorf("want a number of posts per minute, got %q", v)
			}
			c.FormRateLimit = n
			return nil
		}})
	add("clamd", "KLUIS_CLAMD", "virus scanner for uploads: unix:/run/clamav/clamd.ctl or tcp:host:port (default none: uploads refused)", false, func(c *Config) *string { return &c.Clamd })
	add("clause-results", "KLUIS_CLAUSE_RESULTS", "the CI run's clause results file for this build (bin/clause-results.txt from .ci/run; default none: tests shown as not run)", false, func(c *Config) *string { return &c.ClauseResults })
	add("webhook-allow-networks", "KLUIS_WEBHOOK_ALLOW_NETWORKS", "internal networks webhooks may reach anyway: comma-separated CIDRs or addresses (default none)", false, func(c *Config) *string { return &c.WebhookAllowNetworks })
	s = append(s, setting{"checkpoint-every", "KLUIS_CHECKPOINT_EVERY", "how often each grown audit log gets a signed checkpoint, e.g. 15m (default 15m, at least 1m)", false,
		func(c *Config) string { return c.CheckpointEvery.String() },
		func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d < time.Minute || d > 24*time.Hour {
				return fmt.Errorf("want a duration between 1m and 24h such as 15m, got %q", v)
			}
			c.CheckpointEvery = d
			return nil
		}})
	add("security-officer", "KLUIS_SECURITY_OFFICER", "the supplier's security officer's e-mail address, warned about breaches not reported within 18 and 24 hours (default none)", false, func(c *Config) *string { return &c.SecurityOfficer })
	add("storage", "KLUIS_STORAGE", "object store several nodes share for export files and large attachments: an absolute directory or s3://ACCESS@host/bucket/prefix?region=…; the S3 secret key comes from KLUIS_S3_SECRET_KEY(_FILE), never the location (default: the data directory)", false, func(c *Config) *string { return &c.Storage })
	s = append(s, setting{"storage-attachment-threshold", "KLUIS_STORAGE_ATTACHMENT_THRESHOLD",
		"with KLUIS_STORAGE set, attachments larger than this many bytes (suffix KiB or MiB allowed) are kept, sealed, in the object store instead of the database (default 1MiB)", false,
		func(c *Config) string { return strconv.FormatInt(c.StorageAttachmentThreshold, 10) },
		func(c *Config, v string) error {
			n, err := parseSize(v)
			if err != nil {
				return fmt.Errorf("storage attachment threshold: %w", err)
			}
			c.StorageAttachmentThreshold = n
			return nil
		}})
	add("backup-second-site", "KLUIS_BACKUP_SECOND_SITE", "object store backups are replicated to (SEC-6): an absolute directory or s3://ACCESS@host/bucket/prefix; a registered EEA sub-processor (default none)", false, func(c *Config) *string { return &c.BackupSecondSite })
	add("backup-targets", "KLUIS_BACKUP_TARGETS", "where backups go: comma-separated directories or s3://… locations (default none)", false, func(c *Config) *string { return &c.BackupTargets })
	add("backup-recipients", "KLUIS_BACKUP_RECIPIENTS", "age recipients (age1…) backups are encrypted to, comma-separated", false, func(c *Config) *string { return &c.BackupRecipients })
	add("backup-identity-file", "KLUIS_BACKUP_IDENTITY_FILE", "age identity file of one backup recipient, for the scheduled restore test", false, func(c *Config) *string { return &c.BackupIdentityFile })
	add("backup-at", "KLUIS_BACKUP_AT", "daily time of the scheduled backup and restore test, HH:MM in UTC (default none: no scheduled backup)", false, func(c *Config) *string { return &c.BackupAt })
	add("backup-keep", "KLUIS_BACKUP_KEEP", "backups kept: daily,weekly,monthly (default 7,4,6)", false, func(c *Config) *string { return &c.BackupKeep })
	add("backup-rate", "KLUIS_BACKUP_RATE", "megabytes per second a backup streams to its targets at most, so that it leaves the disk to the server (default 40; 0: unlimited)", false, func(c *Config) *string { return &c.BackupRate })
	add("backup-alert", "KLUIS_BACKUP_ALERT", "e-mail address told of a failed backup or restore test (default: the security officer)", false, func(c *Config) *string { return &c.BackupAlert })
	add("backup-scratch-database-url", "KLUIS_BACKUP_SCRATCH_DATABASE_URL", "PostgreSQL only: an empty database the restore test restores into and empties again", false, func(c *Config) *string { return &c.BackupScratchDatabaseURL })
	s = append(s,
		intSetting("api-rate-limit", "KLUIS_API_RATE_LIMIT", "API calls per key per minute (default 600)", 1, 1000000,
			func(c *Config) *int { return &c.APIRateLimit }),
		sizeSetting("api-body-limit", "KLUIS_API_BODY_LIMIT", "largest API request body in bytes, KiB or MiB suffix allowed (default 64KiB, at least 1KiB)", 1<<10,
			func(c *Config) *int64 { return &c.APIBodyLimit }),
		sizeSetting("upload-limit", "KLUIS_UPLOAD_LIMIT", "largest form post with attachments (multipart) in bytes, KiB or MiB suffix allowed; each form caps its own posts lower (default 64MiB, at least 1KiB)", 1<<10,
			func(c *Config) *int64 { return &c.UploadLimit }),
		intSetting("login-rate-limit", "KLUIS_LOGIN_RATE_LIMIT", "login and code posts per client address per minute, on top of the per-account lockout (default 20)", 1, 100000,
			func(c *Config) *int { return &c.LoginRateLimit }),
		intSetting("writer-max-batch", "KLUIS_WRITER_MAX_BATCH", "writes committed together in one transaction at most (default 256)", 1, 4096,
			func(c *Config) *int { return &c.WriterMaxBatch }),
		durationSetting("http-read-timeout", "KLUIS_HTTP_READ_TIMEOUT", "time to read a whole request, uploads included (default 30s)", time.Second, time.Hour,
			func(c *Config) *time.Duration { return &c.HTTPReadTimeout }),
		durationSetting("http-write-timeout", "KLUIS_HTTP_WRITE_TIMEOUT", "time to write a whole response, downloads included (default 60s)", time.Second, time.Hour,
			func(c *Config) *time.Duration { return &c.HTTPWriteTimeout }),
		durationSetting("shutdown-timeout", "KLUIS_SHUTDOWN_TIMEOUT", "how long in-flight requests may finish when serve stops (default 15s)", time.Second, 10*time.Minute,
			func(c *Config) *time.Duration { return &c.ShutdownTimeout }),
	)
	add("breached-passwords-url", "KLUIS_BREACHED_PASSWORDS_URL", "k-anonymity range endpoint for the breached-password check, e.g. https://api.pwnedpasswords.com/range/ (default off)", false, func(c *Config) *string { return &c.BreachedPasswordsURL })
	add("geoip-db", "KLUIS_GEOIP_DB", "local MaxMind DB country file (GeoLite2-Country.mmdb) for the visitor statistics' countries, read into memory (default none: no country counted)", false, func(c *Config) *string { return &c.GeoIPDB })
	add("analytics", "KLUIS_ANALYTICS", "on or off: count the consent-free visitor statistics of public pages (default on)", false, func(c *Config) *string { return &c.Analytics })
	return s
}

// intSetting is a whole-number setting within [lo, hi].
func intSetting(flag, env, help string, lo, hi int, p func(*Config) *int) setting {
	return setting{flag, env, help, false,
		func(c *Config) string { return strconv.Itoa(*p(c)) },
		func(c *Config, v string) error {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil || n < lo || n > hi {
				return fmt.Errorf("want a whole number from %d to %d, got %q", lo, hi, v)
			}
			*p(c) = n
			return nil
		}}
}

// sizeSetting is a size in bytes (KiB, MiB suffixes) of at least lo.
func sizeSetting(flag, env, help string, lo int64, p func(*Config) *int64) setting {
	return setting{flag, env, help, false,
		func(c *Config) string { return strconv.FormatInt(*p(c), 10) },
		func(c *Config, v string) error {
			n, err := parseSize(v)
			if err != nil {
				return err
			}
			if n < lo {
				return fmt.Errorf("want at least %d bytes, got %q", lo, v)
			}
			*p(c) = n
			return nil
		}}
}

// durationSetting is a duration such as 30s within [lo, hi].
func durationSetting(flag, env, help string, lo, hi time.Duration, p func(*Config) *time.Duration) setting {
	return setting{flag, env, help, false,
		func(c *Config) string { return p(c).String() },
		func(c *Config, v string) error {
			d, err := time.ParseDuration(strings.TrimSpace(v))
			if err != nil || d < lo || d > hi {
				return fmt.Errorf("want a duration from %s to %s such as 30s, got %q", lo, hi, v)
			}
			*p(c) = d
			return nil
		}}
}

// Defaults returns the laptop defaults.
func Defaults() Config {
	return Config{
		DataDir:                    "./kluis-data",
		KeysDir:                    "./kluis-keys",
		Listen:                     "127.0.0.1:8080",
		ACMEHTTPListen:             ":80",
		BodyLimit:                  10 << 20,
		StorageAttachmentThreshold: 1 << 20,
		LogLevel:                   "info",
		LogFormat:                  "text",
		Node:                       "node-1",
		Worker:                     true,

		CheckpointEvery: 15 * time.Minute,

		APIRateLimit:     600,
		APIBodyLimit:     64 << 10,
		UploadLimit:      64 << 20,
		LoginRateLimit:   20,
		WriterMaxBatch:   256,
		HTTPReadTimeout:  30 * time.Second,
		HTTPWriteTimeout: 60 * time.Second,
		ShutdownTimeout:  15 * time.Second,
	}
}

// Load builds the configuration from defaults, then the environment (via
// getenv), then the flags in args that fs knows. Flags are registered on fs
// by Load itself, so a subcommand registers its own flags first and passes
// the same FlagSet. It returns the remaining arguments.
func Load(getenv func(string) string, fs *flag.FlagSet, args []string) (Config, []string, error) {
	c := Defaults()
	for _, s := range settings() {
		if v := getenv(s.env); v != "" {
			if err := s.set(&c, v); err != nil {
				return c, nil, fmt.Errorf("%s: %v", s.env, err)
			}
		}
	}
	for _, s := range settings() {
		if s.flag == "" {
			continue
		}
		s := s
		fs.Func(s.flag, s.help+" ["+s.env+"]", func(v string) error { return s.set(&c, v) })
	}
	if err := fs.Parse(args); err != nil {
		return c, nil, err
	}
	c = c.withDerived()
	if err := c.Validate(); err != nil {
		return c, nil, err
	}
	return c, fs.Args(), nil
}

func (c Config) withDerived() Config {
	if c.DatabaseURL == "" {
		c.DatabaseURL = "sqlite:" + filepath.Join(c.DataDir, "kluis.db")
	}
	if c.BaseURL == "" {
		scheme := "http"
		if c.TLS() {
			scheme = "https"
		}
		// A loopback listener is reached as localhost: browsers accept a
		// host name, not an IP address, as WebAuthn relying party, and
		// treat http://localhost as a secure context.
		host := c.Listen
		if h, port, err := net.SplitHostPort(c.Listen); err == nil && (h == "127.0.0.1" || h == "::1" || h == "localhost") {
			host = net.JoinHostPort("localhost", port)
		}
		c.BaseURL = scheme + "://" + host
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if c.MasterKeyFile == "" && c.MasterKey == "" {
		c.MasterKeyFile = filepath.Join(filepath.Dir(filepath.Clean(c.KeysDir)), "kluis-master.key")
	}
	return c
}

// Validate checks the settings that can be checked without I/O.
func (c Config) Validate() error {
	var errs []string
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		errs = append(errs, fmt.Sprintf("listen address %q is not host:port", c.Listen))
	}
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
		errs = append(errs, fmt.Sprintf("base URL %q is not an http(s) address such as https://loket.example.be", c.BaseURL))
	}
	if c.MetricsListen != "" {
		if _, port, err := net.SplitHostPort(c.MetricsListen); err != nil {
			errs = append(errs, fmt.Sprintf("KLUIS_METRICS_LISTEN %q is not host:port such as 127.0.0.1:9464", c.MetricsListen))
		} else if c.MetricsListen == c.Listen && port != "0" { // port 0: each listener gets its own free port
			errs = append(errs, "KLUIS_METRICS_LISTEN must not be the public listen address: metrics are served on their own listener only")
		}
	}
	if c.Analytics != "" && c.Analytics != "on" && c.Analytics != "off" {
		errs = append(errs, fmt.Sprintf("KLUIS_ANALYTICS %q is neither on nor off", c.Analytics))
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		errs = append(errs, "give both a TLS certificate and a TLS key, or neither")
	}
	if c.ACMEDirectory != "" {
		if u, err := url.Parse(c.ACMEDirectory); err != nil || u.Scheme != "https" || u.Host == "" {
			errs = append(errs, fmt.Sprintf("ACME directory %q is not an https address such as https://acme-v02.api.letsencrypt.org/directory", c.ACMEDirectory))
		}
		if _, _, err := net.SplitHostPort(c.ACMEHTTPListen); err != nil {
			errs = append(errs, fmt.Sprintf("ACME HTTP listen address %q is not host:port", c.ACMEHTTPListen))
		}
	}
	if n, a := c.ClamdNetwork(); c.Clamd != "" && ((n != "unix" && n != "tcp") || a == "") {
		errs = append(errs, fmt.Sprintf("clamd address %q is not unix:/path/to/socket or tcp:host:port", c.Clamd))
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Sprintf("log level %q is not debug, info, warn or error", c.LogLevel))
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		errs = append(errs, fmt.Sprintf("log format %q is not text or json", c.LogFormat))
	}
	if c.BodyLimit < 1024 {
		errs = append(errs, "body limit must be at least 1 KiB")
	}
	if filepath.Clean(c.KeysDir) == filepath.Clean(c.DataDir) {
		errs = append(errs, "the keys directory must not be the data directory: keys are kept apart from the data they protect")
	}
	if _, err := ParseTrustedProxies(c.TrustedProxies); err != nil {
		errs = append(errs, err.Error())
	}
	if _, err := ParseWebhookAllowNetworks(c.WebhookAllowNetworks); err != nil {
		errs = append(errs, err.Error())
	}
	if c.BreachedPasswordsURL != "" {
		if u, err := url.Parse(c.BreachedPasswordsURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
			u.RawQuery != "" || u.Fragment != "" {
			errs = append(errs, fmt.Sprintf("breached-passwords URL %q is not an http(s) address such as https://api.pwnedpasswords.com/range/",
				c.BreachedPasswordsURL))
		}
	}
	if c.SecurityOfficer != "" {
		if a, err := mail.ParseAddress(c.SecurityOfficer); err != nil || a.Address != c.SecurityOfficer {
			errs = append(errs, fmt.Sprintf("security officer %q is not a bare e-mail address such as security@supplier.example", c.SecurityOfficer))
		}
	}
	if err := CheckStorageLocation("storage", c.Storage); err != nil {
		errs = append(errs, err.Error())
	}
	if c.StorageAttachmentThreshold < 1024 {
		errs = append(errs, "storage attachment threshold must be at least 1 KiB: smaller files stay in the database")
	}
	if err := CheckStorageLocation("backup second site", c.BackupSecondSite); err != nil {
		errs = append(errs, err.Error())
	}
	for _, loc := range c.BackupTargetList() {
		if err := CheckStorageLocation("backup target", loc); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if _, _, err := c.BackupDaily(); err != nil {
		errs = append(errs, err.Error())
	}
	if _, _, _, err := c.BackupRetention(); err != nil {
		errs = append(errs, err.Error())
	}
	if _, err := c.BackupRateBytes(); err != nil {
		errs = append(errs, err.Error())
	}
	if c.BackupAlert != "" {
		if a, err := mail.ParseAddress(c.BackupAlert); err != nil || a.Address != c.BackupAlert {
			errs = append(errs, fmt.Sprintf("backup alert address %q is not a bare e-mail address such as ops@supplier.example", c.BackupAlert))
		}
	}
	if len(errs) > 0 {
		return errors.New("configuration: " + strings.Join(errs, "; "))
	}
	return nil
}

// ParseTrustedProxies reads a comma-separated list of CIDRs ("10.0.0.0/8")
// and single addresses ("192.0.2.7", taken as /32 or /128). Empty: none.
func ParseTrustedProxies(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if strings.Contains(f, "/") {
			p, err := netip.ParsePrefix(f)
			if err != nil {
				return nil, fmt.Errorf("trusted proxy %q is not a CIDR such as 10.0.0.0/8", f)
			}
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q is not an address or a CIDR such as 10.0.0.0/8", f)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// TrustedProxyPrefixes returns the parsed TrustedProxies; Validate has
// checked them.
func (c Config) TrustedProxyPrefixes() []netip.Prefix {
	p, _ := ParseTrustedProxies(c.TrustedProxies)
	return p
}

// ParseWebhookAllowNetworks reads KLUIS_WEBHOOK_ALLOW_NETWORKS: CIDRs
// ("10.20.0.0/16") and single addresses ("127.0.0.1", taken as /32 or
// /128), comma-separated. Empty: none.
func ParseWebhookAllowNetworks(s string) ([]netip.Prefix, error) {
	p, err := ParseTrustedProxies(s)
	if err != nil {
		return nil, fmt.Errorf("webhook allow-list: %s", strings.TrimPrefix(err.Error(), "trusted proxy "))
	}
	return p, nil
}

// WebhookAllowPrefixes returns the parsed WebhookAllowNetworks; Validate
// has checked them.
func (c Config) WebhookAllowPrefixes() []netip.Prefix {
	p, _ := ParseWebhookAllowNetworks(c.WebhookAllowNetworks)
	return p
}

// CheckStorageLocation checks an object-store location without I/O (the
// object store itself checks the bucket and keys when it opens): empty, an
// absolute directory ("/srv/kluis", "file:/srv/kluis") or
// s3://ACCESS@host[:port]/bucket[/prefix] with only the parameters region,
// tls and secret_file. A location with a secret in it is refused without
// repeating it: locations are shown in logs and `kluis config`.
func CheckStorageLocation(what, loc string) error {
	if loc == "" {
		return nil
	}
	if !strings.Contains(loc, "://") {
		if p := strings.TrimPrefix(loc, "file:"); !filepath.IsAbs(p) {
			return fmt.Errorf("%s %q is not an absolute directory or s3://ACCESS@host/bucket/prefix", what, loc)
		}
		return nil
	}
	u, err := url.Parse(loc)
	if err != nil {
		return fmt.Errorf("%s location is not an s3://ACCESS@host/bucket/prefix address", what)
	}
	if _, has := u.User.Password(); has {
		return fmt.Errorf("%s location holds a secret key (ACCESS:SECRET@): give the secret in KLUIS_S3_SECRET_KEY or KLUIS_S3_SECRET_KEY_FILE", what)
	}
	for k := range u.Query() {
		switch k {
		case "region", "tls", "secret_file":
		default:
			if l := strings.ToLower(k); strings.Contains(l, "secret") || strings.Contains(l, "password") || strings.Contains(l, "key") ||
				strings.Contains(l, "credential") || strings.Contains(l, "token") || strings.Contains(l, "signature") {
				return fmt.Errorf("%s location holds a secret (parameter %q): give the secret in KLUIS_S3_SECRET_KEY or KLUIS_S3_SECRET_KEY_FILE", what, k)
			}
			return fmt.Errorf("%s location has an unknown parameter %q (known: region, tls, secret_file)", what, k)
		}
	}
	if u.Scheme != "s3" {
		return fmt.Errorf("%s location %q has scheme %q; known are an absolute directory and s3://", what, loc, u.Scheme)
	}
	if u.User.Username() == "" || u.Host == "" || strings.Trim(u.Path, "/") == "" {
		return fmt.Errorf("%s location %q is not s3://ACCESS@host/bucket/prefix (access key, host and bucket are needed)", what, loc)
	}
	return nil
}

// TLS reports whether HTTPS is configured.
// ACME certificates count: the server then speaks HTTPS too.
func (c Config) TLS() bool { return c.TLSCert != "" && c.TLSKey != "" || c.ACMEDirectory != "" }

// Item is one line of the effective configuration.
type Item struct{ Name, Env, Value string }

// Redacted lists the effective configuration with secrets hidden, for
// `kluis config`.
func (c Config) Redacted() []Item {
	var items []Item
	for _, s := range settings() {
		v := s.get(&c)
		if s.secret && v != "" {
			v = "(set, redacted)"
		}
		if s.env == "KLUIS_DATABASE_URL" || s.env == "KLUIS_BACKUP_SCRATCH_DATABASE_URL" {
			v = redactURL(v)
		}
		name := s.flag
		if name == "" {
			name = strings.ToLower(strings.TrimPrefix(s.env, "KLUIS_"))
		}
		items = append(items, Item{Name: name, Env: s.env, Value: v})
	}
	return items
}

func redactURL(u string) string {
	// postgres://user:password@host → postgres://user:xxxxx@host
	at := strings.LastIndex(u, "@")
	scheme := strings.Index(u, "://")
	if at < 0 || scheme < 0 || at < scheme {
		return u
	}
	cred := u[scheme+3 : at]
	if i := strings.IndexByte(cred, ':'); i >= 0 {
		return u[:scheme+3] + cred[:i] + ":xxxxx" + u[at:]
	}
	return u
}

func parseSize(v string) (int64, error) {
	v = strings.TrimSpace(v)
	mult := int64(1)
	for _, suf := range []struct {
		s string
		m int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"K", 1 << 10}, {"M", 1 << 20}} {
		if strings.HasSuffix(v, suf.s) {
			mult, v = suf.m, strings.TrimSuffix(v, suf.s)
			break
		}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("want a positive size in bytes such as 10MiB, got %q", v)
	}
	return n * mult, nil
}

// CheckpointKeyName names a new checkpoint-signing key after the platform's
// public address, e.g. "loket.example/audit"; the key keeps its name
// afterwards, as it is part of the verification key the controllers hold.
func (c Config) CheckpointKeyName() string {
	host := c.BaseURL
	if u, err := url.Parse(c.BaseURL); err == nil && u.Hostname() != "" {
		host = u.Hostname()
	}
	host = strings.Map(func(r rune) rune {
		if r == ' ' || r == '+' || r < 0x21 {
			return -1
		}
		return r
	}, host)
	if host == "" {
		host = "kluis.example"
	}
	return host + "/audit"
}
