package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/magda"
	"github.com/kluis/kluis/internal/magda/magdasim"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
	"github.com/kluis/kluis/internal/tenant"
)

// magdaSettings returns valid settings for a simulator that accepts kbo.
func magdaSettings(t *testing.T, kbo string) (magda.Settings, *magdasim.PKI) {
	t.Helper()
	pki, err := magdasim.NewPKI()
	if err != nil {
		t.Fatal(err)
	}
	sim, err := magdasim.Start(magdasim.Config{PKI: pki, ConsumerID: kbo, Capacities: []string{"10086"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	cert, err := pki.Issue("kluis-test", false)
	if err != nil {
		t.Fatal(err)
	}
	s, err := sim.Settings(cert)
	if err != nil {
		t.Fatal(err)
	}
	return s, pki
}

// TestClauseLOC2_MagdaConnectionStoredSealedAndAudited: a tenant's national
// register connection is stored with its private key sealed (not found in
// plaintext at rest), read back whole, replaced, and removed, each change
// audited in the same transaction; bad settings are refused field by field
// and nothing is stored; another tenant sees nothing.
func TestClauseLOC2_MagdaConnectionStoredSealedAndAudited(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		op := audit.Actor{Kind: audit.KindOperator, ID: "op"}
		admin := audit.Actor{Kind: audit.KindUser, ID: "u-admin", Role: "admin"}
		mk := func(slug string) tenant.Tenant {
			tn, err := env.DB.CreateTenant(ctx, op, tenant.New{Slug: slug, LegalName: "Gemeente " + slug, EnterpriseNumber: "0207451227",
				DPOName: "DPO", DPOEmail: "dpo@" + slug + ".be"})
			if err != nil {
				t.Fatal(err)
			}
			return tn
		}
		gent, other := mk("gent"), mk("andere")
		s, _ := magdaSettings(t, "0207451227")
		s.AuthorisationRef = "CONTROL-beraadslaging-42"

		if _, err := env.DB.MagdaConnection(ctx, gent.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("before: %v, want ErrNotFound", err)
		}
		if err := env.DB.SetMagdaConnection(ctx, admin, gent.ID, s); err != nil {
			t.Fatal(err)
		}
		got, err := env.DB.MagdaConnection(ctx, gent.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.ClientKeyPEM != s.ClientKeyPEM || got.ClientCertPEM != s.ClientCertPEM || got.Endpoint != s.Endpoint ||
			got.ConsumerID != "0207451227" || got.Capacity != "10086" || got.AuthorisationRef != s.AuthorisationRef ||
			got.ServerCAPEM != s.ServerCAPEM || got.ResponseCertPEM != s.ResponseCertPEM || got.Timeout != magda.DefaultTimeout {
			t.Fatalf("read back %+v", got)
		}
		if got.UpdatedBy != "user:u-admin" || !got.UpdatedAt.Equal(env.Clock.Now()) {
			t.Errorf("updated %s by %s", got.UpdatedAt, got.UpdatedBy)
		}
		if _, err := magda.NewClient(mustConfig(t, got.Settings)); err != nil {
			t.Errorf("the stored connection does not make a client: %v", err)
		}
		if _, err := env.DB.MagdaConnection(ctx, other.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("another tenant reads %v", err)
		}
		// The private key is sealed at rest.
		keyLines := strings.Split(strings.TrimSpace(s.ClientKeyPEM), "\n")
		if found := storetest.FindPlaintext(t, env, "CONTROL-beraadslaging-42", keyLines[3], keyLines[len(keyLines)-3]); len(found) > 0 {
			t.Errorf("the private key is stored in plaintext: %v", found)
		}

		// Replaced, with a shorter timeout.
		env.Clock.Advance(time.Hour)
		s.Timeout = 2 * time.Second
		s.ConsumerID = "0207.451.227"
		if err := env.DB.SetMagdaConnection(ctx, admin, gent.ID, s); err != nil {
			t.Fatal(err)
		}
		if got, err = env.DB.MagdaConnection(ctx, gent.ID); err != nil || got.Timeout != 2*time.Second || got.ConsumerID != "0207451227" {
			t.Fatalf("after replace: %+v, %v", got, err)
		}
		sets := env.Events(t, gent.ID, "magda.connection.set")
		if len(sets) != 2 || sets[1].Actor.ID != "u-admin" || sets[1].ObjectID != gent.ID ||
			strings.Contains(sets[1].Purpose, "PRIVATE") || !strings.Contains(sets[1].Purpose, s.Endpoint) {
			t.Errorf("set events %+v", sets)
		}

		// Bad settings: every bad field named, nothing changed, no event.
		bad := s
		bad.Endpoint = "http://magda.example/GeefPersoon"
		bad.ConsumerID = "0207451228"
		bad.ClientKeyPEM = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
		bad.ResponseCertPEM = ""
		bad.Capacity = "10 086"
		bad.AuthorisationRef = ""
		bad.Timeout = time.Hour
		err = env.DB.SetMagdaConnection(ctx, admin, gent.ID, bad)
		var se *magda.SettingsError
		if !errors.As(err, &se) {
			t.Fatalf("bad settings: %v", err)
		}
		want := map[string]string{"endpoint": "not_https", "consumer": "kbo", "client_key": "unparseable", "response_cert": "required",
			"capacity": "invalid", "authorisation": "required", "timeout": "invalid"}
		for f, reason := range want {
			if se.Fields[f] != reason {
				t.Errorf("field %s: %q, want %q", f, se.Fields[f], reason)
			}
		}
		if len(se.Fields) != len(want) {
			t.Errorf("fields %v, want %v", se.Fields, want)
		}
		if got, _ := env.DB.MagdaConnection(ctx, gent.ID); got.Endpoint != s.Endpoint || len(env.Events(t, gent.ID, "magda.connection.set")) != 2 {
			t.Error("refused settings changed the connection or were audited")
		}
		if err := env.DB.SetMagdaConnection(ctx, admin, "no-such-tenant", s); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown tenant: %v", err)
		}

		// The audit log refuses: nothing is stored.
		restore := storetest.RefuseAuditInserts(t, env)
		err = env.DB.RemoveMagdaConnection(ctx, admin, gent.ID)
		restore()
		if err == nil {
			t.Fatal("removed without its audit event")
		}
		if _, err := env.DB.MagdaConnection(ctx, gent.ID); err != nil {
			t.Fatalf("the failed removal removed: %v", err)
		}

		if err := env.DB.RemoveMagdaConnection(ctx, admin, gent.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := env.DB.MagdaConnection(ctx, gent.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("after remove: %v", err)
		}
		if err := env.DB.RemoveMagdaConnection(ctx, admin, gent.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("second remove: %v", err)
		}
		if rm := env.Events(t, gent.ID, "magda.connection.remove"); len(rm) != 1 || rm[0].Actor.ID != "u-admin" {
			t.Errorf("remove events %+v", rm)
		}
	})
}

// TestMagdaSettingsRefuseCertificateProblems: an expired or not yet valid
// client certificate, a key of another certificate, a non-RSA or
// unreadable certificate are refused on the field they concern.
func TestMagdaSettingsRefuseCertificateProblems(t *testing.T) {
	s, pki := magdaSettings(t, "0207451227")
	now := time.Now()
	if err := s.Normalize().Validate(now); err != nil {
		t.Fatalf("valid settings refused: %v", err)
	}
	other, err := pki.Issue("another", false)
	if err != nil {
		t.Fatal(err)
	}
	otherSettings := func() magda.Settings {
		sim, err := magdasim.Start(magdasim.Config{PKI: pki, ConsumerID: "0207451227", Capacities: []string{"1"}})
		if err != nil {
			t.Fatal(err)
		}
		defer sim.Close()
		o, err := sim.Settings(other)
		if err != nil {
			t.Fatal(err)
		}
		return o
	}()
	expired, err := pki.IssueValid("expired", false, now.Add(-48*time.Hour), now.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	expiredSettings := s
	{
		sim, err := magdasim.Start(magdasim.Config{PKI: pki, ConsumerID: "0207451227", Capacities: []string{"1"}})
		if err != nil {
			t.Fatal(err)
		}
		e, err := sim.Settings(expired)
		sim.Close()
		if err != nil {
			t.Fatal(err)
		}
		expiredSettings.ClientCertPEM, expiredSettings.ClientKeyPEM = e.ClientCertPEM, e.ClientKeyPEM
	}
	for _, tt := range []struct {
		name        string
		mod         func(*magda.Settings)
		field, want string
	}{
		{"key of another certificate", func(x *magda.Settings) { x.ClientKeyPEM = otherSettings.ClientKeyPEM }, "client_key", "key_mismatch"},
		{"expired certificate", func(x *magda.Settings) { *x = expiredSettings }, "client_cert", "expired"},
		{"certificate not yet valid", func(x *magda.Settings) { *x = s }, "client_cert", "not_yet_valid"},
		{"garbage certificate", func(x *magda.Settings) { x.ClientCertPEM = "not a certificate" }, "client_cert", "unparseable"},
		{"a key where the CA goes", func(x *magda.Settings) { x.ServerCAPEM = s.ClientKeyPEM }, "server_ca", "unparseable"},
		{"EC key", func(x *magda.Settings) {
			x.ClientKeyPEM = "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n"
		}, "client_key", "not_rsa"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			x := s
			tt.mod(&x)
			at := now
			if tt.want == "not_yet_valid" {
				at = now.Add(-2 * magdasim.Validity)
			}
			var se *magda.SettingsError
			if err := x.Normalize().Validate(at); !errors.As(err, &se) || se.Fields[tt.field] != tt.want {
				t.Fatalf("got %v, want %s %s", err, tt.field, tt.want)
			}
		})
	}
}

func mustConfig(t *testing.T, s magda.Settings) magda.Config {
	t.Helper()
	c, err := s.Config()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestClauseEND3_MagdaConnectionExportedWithoutItsKey: the full export
// hands over the connection (endpoint, consumer, capacity, authorisation,
// certificates) but never its private key (USR: a credential stays).
func TestClauseEND3_MagdaConnectionExportedWithoutItsKey(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		ctx := context.Background()
		op := audit.Actor{Kind: audit.KindOperator, ID: "op"}
		tn, err := env.DB.CreateTenant(ctx, op, tenant.New{Slug: "gent", LegalName: "Stad Gent", EnterpriseNumber: "0207451227",
			DPOName: "DPO", DPOEmail: "dpo@gent.be"})
		if err != nil {
			t.Fatal(err)
		}
		s, _ := magdaSettings(t, "0207451227")
		if err := env.DB.SetMagdaConnection(ctx, op, tn.ID, s); err != nil {
			t.Fatal(err)
		}
		var e store.TenantEntity
		for _, x := range store.TenantEntities {
			if x.Name == "magda_connections" {
				e = x
			}
		}
		cols, err := env.DB.TenantEntityColumns(ctx, e)
		if err != nil {
			t.Fatal(err)
		}
		run, err := env.DB.StartTenantExport(ctx, op, tn.ID, "end of contract")
		if err != nil {
			t.Fatal(err)
		}
		var rows []store.Row
		if _, _, err := env.DB.ReadTenantEntity(ctx, run, e, cols, nil, 10, func(r store.Row) error { rows = append(rows, r); return nil }); err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1 || rows[0]["endpoint"] != s.Endpoint || rows[0]["client_cert_pem"] != s.ClientCertPEM {
			t.Fatalf("exported %v", rows)
		}
		if _, ok := rows[0]["client_key"]; ok {
			t.Error("the private key is exported")
		}
	})
}
