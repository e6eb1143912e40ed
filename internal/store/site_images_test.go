package store_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/store"
	"github.com/kluis/kluis/internal/storetest"
)

// tinyPNG is a 1×1 PNG.
var tinyPNG = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")

// TestASVS_5_2_2_SiteImagesTypeByMagicBytesAltRequiredAudited: an SVG, a GIF, an
// empty or too large file and an image without alternative text in the
// default language are refused field by field with nothing saved or
// audited; a PNG is kept with its type from its bytes, its alternative
// texts (fr falls back to nl) and the uploader's account id; upload and
// delete are audited; another tenant cannot read or delete it.
func TestASVS_5_2_2_SiteImagesTypeByMagicBytesAltRequiredAudited(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		tn := newTenant(t, env, "zonnedal")
		other := newTenant(t, env, "bergdal")
		nl := map[string]string{"nl": "Het gemeentehuis"}
		for name, tc := range map[string]struct {
			data  []byte
			alt   map[string]string
			field string
			key   string
		}{
			"svg":      {[]byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), nl, "file", "siteimg.err.type"},
			"gif":      {[]byte("GIF89a\x01\x00\x01\x00"), nl, "file", "siteimg.err.type"},
			"empty":    {nil, nl, "file", "siteimg.err.file_required"},
			"too big":  {append(append([]byte{}, tinyPNG...), bytes.Repeat([]byte{0}, store.SiteImageMax)...), nl, "file", "siteimg.err.too_large"},
			"no alt":   {tinyPNG, map[string]string{"nl": "  ", "fr": "La maison communale"}, "alt.nl", "siteimg.err.alt_required"},
			"long alt": {tinyPNG, map[string]string{"nl": "x", "en": strings.Repeat("a", 301)}, "alt.en", "site.err.too_long"},
		} {
			_, err := env.DB.SaveSiteImage(ctx, clerk("editor1"), tn.ID, tc.data, tc.alt)
			var verr *store.SiteValidationError
			if !errors.As(err, &verr) || len(verr.Fields[tc.field]) != 1 || verr.Fields[tc.field][0].Key != tc.key {
				t.Errorf("%s: %v, want %s on %s", name, err, tc.key, tc.field)
			}
		}
		if is, _ := env.DB.SiteImages(ctx, tn.ID); len(is) != 0 {
			t.Fatalf("refused uploads saved %d images", len(is))
		}
		if _, actions := auditActions(t, env, tn.ID); strings.Contains(actions, "site.image") {
			t.Fatalf("a refused upload was audited: %s", actions)
		}
		id, err := env.DB.SaveSiteImage(ctx, clerk("editor1"), tn.ID, tinyPNG, map[string]string{"nl": " Het  gemeentehuis ", "en": "The town hall"})
		if err != nil {
			t.Fatal(err)
		}
		img, err := env.DB.SiteImageData(ctx, tn.ID, id)
		if err != nil || img.MIME != "image/png" || !bytes.Equal(img.Data, tinyPNG) || img.CreatedBy != "editor1" ||
			img.AltFor("fr", "nl") != "Het gemeentehuis" || img.AltFor("en", "nl") != "The town hall" {
			t.Fatalf("read back: %+v %v", img, err)
		}
		if _, err := env.DB.SiteImageData(ctx, other.ID, id); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("another tenant reads the image: %v", err)
		}
		if err := env.DB.DeleteSiteImage(ctx, clerk("editor2"), other.ID, id); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("another tenant deletes the image: %v", err)
		}
		if err := env.DB.DeleteSiteImage(ctx, clerk("editor2"), tn.ID, id); err != nil {
			t.Fatal(err)
		}
		if _, err := env.DB.SiteImageData(ctx, tn.ID, id); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("a deleted image is still there: %v", err)
		}
		events, _ := auditActions(t, env, tn.ID)
		var got []string
		for _, e := range events {
			if strings.HasPrefix(e.Action, "site.image") {
				got = append(got, e.Action+" "+e.Actor.ID+" "+e.ObjectID)
			}
		}
		if want := "site.image.upload editor1 " + id + ",site.image.delete editor2 " + id; strings.Join(got, ",") != want {
			t.Fatalf("audit: %s, want %s", strings.Join(got, ","), want)
		}
	})
}

// TestSniffSiteImage: the type comes from the bytes only.
func TestSniffSiteImage(t *testing.T) {
	for in, want := range map[string]string{
		string(tinyPNG):                "image/png",
		"\xff\xd8\xff\xe0\x00\x10JFIF": "image/jpeg",
		"RIFF\x24\x00\x00\x00WEBPVP8 ": "image/webp",
		"<svg></svg>":                  "",
		"<!DOCTYPE html><img>":         "",
		"RIFF\x24\x00\x00\x00WAVEfmt ": "",
	} {
		if got := store.SniffSiteImage([]byte(in)); got != want {
			t.Errorf("%q: %q, want %q", in[:8], got, want)
		}
	}
}
