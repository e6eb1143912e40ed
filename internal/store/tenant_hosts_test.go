package store_test

import (
	"errors"
	"testing"

	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
	"github.com/kluis/kluis/internal/tenant"
)

// TestTenantHosts_AddRemoveUniqueAudited: a tenant's host names are stored
// normalised and audited; a name another tenant holds, or a bad name, is
// refused with a field error and nothing saved (no row, no event).
func TestTenantHosts_AddRemoveUniqueAudited(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		a := newTenant(t, env, "zonnedal")
		b := newTenant(t, env, "maandal")
		host, err := env.DB.AddTenantHost(ctx, clerk("admin1"), a.ID, " WWW.Zonnedal.BE. ")
		if err != nil || host != "www.zonnedal.be" {
			t.Fatalf("add: %q %v", host, err)
		}
		if _, err := env.DB.AddTenantHost(ctx, clerk("admin1"), a.ID, "e-loket.zonnedal.be"); err != nil {
			t.Fatal(err)
		}
		got, err := env.DB.TenantByHost(ctx, "www.zonnedal.be")
		if err != nil || got.ID != a.ID {
			t.Fatalf("by host: %+v %v", got, err)
		}
		if _, err := env.DB.TenantByHost(ctx, "www.elders.be"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unknown host: %v", err)
		}
		if ev := env.Events(t, a.ID, "tenant_host.add"); len(ev) != 2 || ev[0].ObjectID != "www.zonnedal.be" || ev[0].Actor.ID != "admin1" {
			t.Fatalf("add events %+v", ev)
		}
		// Another tenant, and the same tenant again, cannot take the name.
		for _, tn := range []string{b.ID, a.ID} {
			_, err := env.DB.AddTenantHost(ctx, clerk("admin2"), tn, "www.zonnedal.be")
			var ve *tenant.ValidationError
			if !errors.As(err, &ve) || ve.Fields[tenant.FieldHost] != tenant.HostTaken {
				t.Fatalf("taken name for %s: %v", tn, err)
			}
		}
		for raw, want := range map[string]string{"*.maandal.be": tenant.HostWildcard, "www.maandal.be:443": tenant.HostPort, "10.0.0.1": tenant.HostIP} {
			_, err := env.DB.AddTenantHost(ctx, clerk("admin2"), b.ID, raw)
			var ve *tenant.ValidationError
			if !errors.As(err, &ve) || ve.Fields[tenant.FieldHost] != want {
				t.Fatalf("%q: %v, want %s", raw, err, want)
			}
		}
		if hs, _ := env.DB.TenantHosts(ctx, b.ID); len(hs) != 0 {
			t.Fatalf("refused names were saved: %+v", hs)
		}
		if ev := env.Events(t, b.ID, "tenant_host.add"); len(ev) != 0 {
			t.Fatalf("refused names were audited: %+v", ev)
		}
		// Another tenant cannot remove it; its own admin can.
		if err := env.DB.RemoveTenantHost(ctx, clerk("admin2"), b.ID, "www.zonnedal.be"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("remove by another tenant: %v", err)
		}
		if err := env.DB.RemoveTenantHost(ctx, clerk("admin1"), a.ID, "www.zonnedal.be"); err != nil {
			t.Fatal(err)
		}
		hs, err := env.DB.TenantHosts(ctx, a.ID)
		if err != nil || len(hs) != 1 || hs[0].Host != "e-loket.zonnedal.be" {
			t.Fatalf("after remove: %+v %v", hs, err)
		}
		if ev := env.Events(t, a.ID, "tenant_host.remove"); len(ev) != 1 || ev[0].ObjectID != "www.zonnedal.be" {
			t.Fatalf("remove events %+v", ev)
		}
		// Once freed, the other tenant may take the name.
		if _, err := env.DB.AddTenantHost(ctx, clerk("admin2"), b.ID, "www.zonnedal.be"); err != nil {
			t.Fatalf("freed name: %v", err)
		}
	})
}
