package store_test

import (
	"bytes"
	"errors"
	"image"
	"image/png"
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/brand"
	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

func brandingSettings() brand.Settings {
	return brand.Settings{Name: "Gemeente Zonnedal", Accent: "#1d5e3a", Contact: brand.Contact{Address: "Markt 1\n9999 Zonnedal",
		Phone: "09 123 45 67", Email: "info@zonnedal.be", Website: "https://www.zonnedal.be", Hours: "ma–vr 9–12 u."}}
}

func testPNG(t *testing.T) brand.Logo {
	t.Helper()
	var b bytes.Buffer
	png.Encode(&b, image.NewGray(image.Rect(0, 0, 60, 20)))
	l, err := brand.ParseLogo(b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestBranding_SetReadAndAudit: a tenant without settings has the
// defaults; a change is stored with its version and audited with the
// names of the fields changed; the logo is kept, replaced and removed.
func TestBranding_SetReadAndAudit(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		tn := newTenant(t, env, "zonnedal")
		b, err := env.DB.Branding(ctx, tn.ID)
		if err != nil || b.Version != 0 || b.Name != "" {
			t.Fatalf("defaults: %+v %v", b, err)
		}
		if _, _, err := env.DB.BrandingLogo(ctx, tn.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("logo before any: %v", err)
		}
		logo := testPNG(t)
		v, err := env.DB.SetBranding(ctx, clerk("admin1"), tn.ID, brandingSettings(), store.LogoChange{New: &logo}, 0)
		if err != nil || v != 1 {
			t.Fatalf("SetBranding: %d %v", v, err)
		}
		b, err = env.DB.Branding(ctx, tn.ID)
		if err != nil {
			t.Fatal(err)
		}
		if b.Name != "Gemeente Zonnedal" || b.Contact.Phone != "+3291234567" || b.LogoType != brand.TypePNG || b.LogoHash == "" || b.Version != 1 {
			t.Fatalf("stored %+v", b)
		}
		got, hash, err := env.DB.BrandingLogo(ctx, tn.ID)
		if err != nil || !bytes.Equal(got.Data, logo.Data) || hash != b.LogoHash || got.Type != brand.TypePNG {
			t.Fatalf("logo: %v %q", err, hash)
		}
		events, _ := auditActions(t, env, tn.ID)
		last := events[len(events)-1]
		if last.Action != "branding.update" || last.Actor.ID != "admin1" || !strings.Contains(last.Purpose, "accent") ||
			!strings.Contains(last.Purpose, "logo") {
			t.Fatalf("audit %+v", last)
		}
		// The same settings again change nothing and audit nothing.
		if v, err := env.DB.SetBranding(ctx, clerk("admin1"), tn.ID, brandingSettings(), store.LogoChange{}, 1); err != nil || v != 1 {
			t.Fatalf("no change: %d %v", v, err)
		}
		if again, _ := auditActions(t, env, tn.ID); len(again) != len(events) {
			t.Fatal("an unchanged save was audited")
		}
		// Keeping the logo while the accent changes.
		s := brandingSettings()
		s.Accent = "#5a1d5e"
		if v, err = env.DB.SetBranding(ctx, clerk("admin1"), tn.ID, s, store.LogoChange{}, 1); err != nil || v != 2 {
			t.Fatalf("accent: %d %v", v, err)
		}
		if _, h, err := env.DB.BrandingLogo(ctx, tn.ID); err != nil || h != b.LogoHash {
			t.Fatalf("logo not kept: %v", err)
		}
		if v, err = env.DB.SetBranding(ctx, clerk("admin1"), tn.ID, s, store.LogoChange{Remove: true}, 2); err != nil || v != 3 {
			t.Fatalf("remove: %d %v", v, err)
		}
		if _, _, err := env.DB.BrandingLogo(ctx, tn.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("logo after remove: %v", err)
		}
		// A change made from an old version is refused.
		if _, err := env.DB.SetBranding(ctx, clerk("admin2"), tn.ID, brandingSettings(), store.LogoChange{}, 1); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("stale base: %v", err)
		}
		// Another tenant sees none of it.
		other := newTenant(t, env, "elders")
		if ob, _ := env.DB.Branding(ctx, other.ID); ob.Version != 0 {
			t.Fatalf("other tenant: %+v", ob)
		}
	})
}

// TestBranding_BadInputSavesNothing: an accent below contrast, a foreign
// phone, a bad e-mail or website are refused field by field, and nothing
// of the change is saved or audited, the good fields and the logo neither.
func TestBranding_BadInputSavesNothing(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		tn := newTenant(t, env, "zonnedal")
		if _, err := env.DB.SetBranding(ctx, clerk("admin1"), tn.ID, brandingSettings(), store.LogoChange{}, 0); err != nil {
			t.Fatal(err)
		}
		before, _ := auditActions(t, env, tn.ID)
		logo := testPNG(t)
		for name, tc := range map[string]struct {
			change func(*brand.Settings)
			field  string
		}{
			"accent below contrast": {func(s *brand.Settings) { s.Accent = "#8899aa" }, brand.FieldAccent},
			"accent not a colour":   {func(s *brand.Settings) { s.Accent = "green" }, brand.FieldAccent},
			"phone":                 {func(s *brand.Settings) { s.Contact.Phone = "12" }, brand.FieldPhone},
			"e-mail":                {func(s *brand.Settings) { s.Contact.Email = "info@" }, brand.FieldEmail},
			"website":               {func(s *brand.Settings) { s.Contact.Website = "http://zonnedal.be" }, brand.FieldWebsite},
		} {
			t.Run(name, func(t *testing.T) {
				s := brandingSettings()
				s.Name = "Changed"
				tc.change(&s)
				_, err := env.DB.SetBranding(ctx, clerk("admin1"), tn.ID, s, store.LogoChange{New: &logo}, 1)
				var ve *brand.ValidationError
				if !errors.As(err, &ve) || len(ve.Fields) != 1 || ve.Fields[tc.field].Key == "" {
					t.Fatalf("err = %v, want one problem on %s", err, tc.field)
				}
				b, err := env.DB.Branding(ctx, tn.ID)
				if err != nil || b.Version != 1 || b.Name != "Gemeente Zonnedal" || b.LogoType != "" {
					t.Fatalf("saved after all: %+v %v", b, err)
				}
				if after, _ := auditActions(t, env, tn.ID); len(after) != len(before) {
					t.Fatal("a refused change was audited")
				}
			})
		}
	})
}

// TestBranding_MailFooter: every mail of a municipality ends with its
// name and contact block in the mail's language.
func TestBranding_MailFooter(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		tn := newTenant(t, env, "zonnedal")
		if _, err := env.DB.SetBranding(ctx, clerk("admin1"), tn.ID, brandingSettings(), store.LogoChange{}, 0); err != nil {
			t.Fatal(err)
		}
		if _, err := env.DB.QueueMail(ctx, clerk("u1"), tn.ID, invite("fr-BE")); err != nil {
			t.Fatal(err)
		}
		m := claimOne(t, env)
		want := "\n\n-- \nGemeente Zonnedal\nMarkt 1\n9999 Zonnedal\nTéléphone : 09 123 45 67\nE-mail : info@zonnedal.be\n" +
			"Site web : https://www.zonnedal.be\nHeures d’ouverture : ma–vr 9–12 u.\n"
		if !strings.HasSuffix(m.Body, want) || !strings.HasPrefix(m.Body, "Beste Jan,") {
			t.Fatalf("body %q\nwant suffix %q", m.Body, want)
		}
	})
}
