package config

import (
	"flag"
	"io"
	"strings"
	"testing"
)

func load(env map[string]string, args ...string) (Config, error) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c, _, err := Load(func(k string) string { return env[k] }, fs, args)
	return c, err
}

func TestDefaultsWorkOnALaptop(t *testing.T) {
	c, err := load(nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.BaseURL != "http://localhost:8080" {
		t.Fatalf("base URL: %q", c.BaseURL)
	}
	if c.Listen != "127.0.0.1:8080" || c.DatabaseURL != "sqlite:kluis-data/kluis.db" || c.KeysDir != "./kluis-keys" || c.MasterKeyFile != "kluis-master.key" {
		t.Fatalf("defaults: %+v", c)
	}
}

func TestFlagsOverrideEnvironment(t *testing.T) {
	c, err := load(map[string]string{"KLUIS_LISTEN": "127.0.0.1:9000", "KLUIS_BODY_LIMIT": "2MiB"}, "--listen", "127.0.0.1:9100")
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:9100" || c.BodyLimit != 2<<20 {
		t.Fatalf("got %+v", c)
	}
}

func TestMalformedConfigurationIsOneClearSentence(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"bad listen", nil, []string{"--listen", "nonsense"}, "not host:port"},
		{"bad body limit env", map[string]string{"KLUIS_BODY_LIMIT": "lots"}, nil, "KLUIS_BODY_LIMIT"},
		{"half TLS", map[string]string{"KLUIS_TLS_CERT": "c.pem"}, nil, "both a TLS certificate and a TLS key"},
		{"bad worker", map[string]string{"KLUIS_WORKER": "maybe"}, nil, "true or false"},
		{"keys in data dir", nil, []string{"--keys-dir", "./d", "--data-dir", "d"}, "must not be the data directory"},
		{"bad log level", map[string]string{"KLUIS_LOG_LEVEL": "loud"}, nil, "log level"},
		{"bad base URL", map[string]string{"KLUIS_BASE_URL": "ftp://x"}, nil, "base URL"},
		{"bad clamd address", map[string]string{"KLUIS_CLAMD": "clamd.sock"}, nil, "clamd address"},
		{"bad trusted proxy", map[string]string{"KLUIS_TRUSTED_PROXIES": "10.0.0.0/8, proxy.example"}, nil, `trusted proxy "proxy.example"`},
		{"bad trusted CIDR", nil, []string{"--trusted-proxies", "10.0.0.0/33"}, `trusted proxy "10.0.0.0/33"`},
		{"bad breached URL", map[string]string{"KLUIS_BREACHED_PASSWORDS_URL": "ftp://hibp"}, nil, "breached-passwords URL"},
		{"relative storage", map[string]string{"KLUIS_STORAGE": "shared/exports"}, nil, `storage "shared/exports" is not an absolute directory`},
		{"storage without bucket", map[string]string{"KLUIS_STORAGE": "s3://AK@s3.example.eu"}, nil, "access key, host and bucket are needed"},
		{"storage of another scheme", map[string]string{"KLUIS_STORAGE": "gs://bucket/x"}, nil, `has scheme "gs"`},
		{"second site unknown parameter", nil, []string{"--backup-second-site", "s3://AK@s3.example.eu/b?acl=public"}, `unknown parameter "acl"`},
		{"bad security officer", map[string]string{"KLUIS_SECURITY_OFFICER": "Security <security@supplier.example>"}, nil, "security officer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load(tt.env, tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("err = %v, want one line with %q", err, tt.want)
			}
		})
	}
}

func TestRedactedHidesSecrets(t *testing.T) {
	c, err := load(map[string]string{"KLUIS_MASTER_KEY": "c2VjcmV0", "KLUIS_DATABASE_URL": "postgres://kluis:hunter2@db/kluis"})
	if err != nil {
		t.Fatal(err)
	}
	var all strings.Builder
	for _, it := range c.Redacted() {
		all.WriteString(it.Name + "=" + it.Value + "\n")
	}
	if s := all.String(); strings.Contains(s, "c2VjcmV0") || strings.Contains(s, "hunter2") || !strings.Contains(s, "(set, redacted)") {
		t.Fatalf("not redacted:\n%s", s)
	}
}

// A storage location is shown in logs and `kluis config`: one with the S3
// secret in it is refused, and the refusal does not repeat the secret.
func TestStorageLocationWithASecretIsRefused(t *testing.T) {
	for _, env := range []map[string]string{
		{"KLUIS_STORAGE": "s3://AK:Hunter2x@s3.example.eu/kluis"},
		{"KLUIS_BACKUP_SECOND_SITE": "s3://AK:Hunter2x@s3.example.eu/kluis"},
		{"KLUIS_BACKUP_SECOND_SITE": "s3://AK@s3.example.eu/kluis?secret_key=Hunter2x"},
		{"KLUIS_STORAGE": "s3://AK@s3.example.eu/kluis?X-Amz-Credential=Hunter2x"},
	} {
		_, err := load(env)
		if err == nil || strings.Contains(err.Error(), "Hunter2x") || !strings.Contains(err.Error(), "secret") {
			t.Errorf("%v: err = %v", env, err)
		}
	}
	c, err := load(map[string]string{"KLUIS_STORAGE": "s3://AK@s3.example.eu:9000/kluis/exports?region=eu-west-1&secret_file=/run/secrets/s3",
		"KLUIS_BACKUP_SECOND_SITE": "/mnt/site2/kluis"})
	if err != nil || c.Storage == "" || c.BackupSecondSite != "/mnt/site2/kluis" {
		t.Fatalf("good locations: %v %+v", err, c)
	}
}

func TestTrustedProxiesAndBreachedURL(t *testing.T) {
	c, err := load(nil)
	if err != nil || len(c.TrustedProxyPrefixes()) != 0 || c.BreachedPasswordsURL != "" {
		t.Fatalf("defaults: none trusted, no breached check: %v %+v", err, c)
	}
	c, err = load(map[string]string{"KLUIS_TRUSTED_PROXIES": " 10.0.0.0/8 , 192.0.2.7,2001:db8::/32,",
		"KLUIS_BREACHED_PASSWORDS_URL": "https://api.pwnedpasswords.com/range/"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range c.TrustedProxyPrefixes() {
		got = append(got, p.String())
	}
	if strings.Join(got, " ") != "10.0.0.0/8 192.0.2.7/32 2001:db8::/32" {
		t.Fatalf("trusted proxies: %v", got)
	}
}

func TestWebhookAllowNetworks(t *testing.T) {
	c, err := load(nil)
	if err != nil || len(c.WebhookAllowPrefixes()) != 0 {
		t.Fatalf("default: no internal network allowed: %v %v", err, c.WebhookAllowPrefixes())
	}
	c, err = load(map[string]string{"KLUIS_WEBHOOK_ALLOW_NETWORKS": "127.0.0.1/32, 10.20.0.0/16,::1"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range c.WebhookAllowPrefixes() {
		got = append(got, p.String())
	}
	if strings.Join(got, " ") != "127.0.0.1/32 10.20.0.0/16 ::1/128" {
		t.Fatalf("allowed: %v", got)
	}
	if _, err := load(nil, "--webhook-allow-networks", "intranet"); err == nil || !strings.Contains(err.Error(), "webhook allow-list") {
		t.Fatalf("a bad network: %v", err)
	}
}

// The attachment threshold of the shared object store (SEC-2): bytes with
// a KiB/MiB suffix, 1 MiB by default, at least 1 KiB; a bad value is
// refused by name.
func TestClauseSEC2_StorageAttachmentThreshold(t *testing.T) {
	c, err := load(map[string]string{})
	if err != nil || c.StorageAttachmentThreshold != 1<<20 {
		t.Fatalf("default: %v %d", err, c.StorageAttachmentThreshold)
	}
	c, err = load(map[string]string{"KLUIS_STORAGE": "/srv/kluis/shared", "KLUIS_STORAGE_ATTACHMENT_THRESHOLD": "256KiB"})
	if err != nil || c.StorageAttachmentThreshold != 256<<10 {
		t.Fatalf("256KiB: %v %d", err, c.StorageAttachmentThreshold)
	}
	for _, bad := range []string{"0", "-5", "ten", "12XB", "512"} {
		_, err := load(map[string]string{"KLUIS_STORAGE_ATTACHMENT_THRESHOLD": bad})
		if err == nil || !strings.Contains(err.Error(), "attachment threshold") {
			t.Errorf("%q: err = %v", bad, err)
		}
	}
}

// END-2: KLUIS_BACKUP_RATE is whole megabytes per second, 40 when unset,
// 0 unlimited, and anything else is refused with one sentence.
func TestClauseEND2_BackupRate(t *testing.T) {
	for in, want := range map[string]int64{"": 40 << 20, "0": 0, "100": 100 << 20} {
		c, err := load(map[string]string{"KLUIS_BACKUP_RATE": in})
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		if got, err := c.BackupRateBytes(); err != nil || got != want {
			t.Fatalf("%q: %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"-1", "40MB", "fast"} {
		if _, err := load(map[string]string{"KLUIS_BACKUP_RATE": in}); err == nil || !strings.Contains(err.Error(), "backup rate") {
			t.Fatalf("%q: %v", in, err)
		}
	}
}
