package web

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/brand"
	"github.com/kluis/kluis/internal/pdftest"
	"github.com/kluis/kluis/internal/storetest"
)

// brandingPost sends the branding form as the browser does: multipart,
// with the logo as a file part when logo is not nil.
func brandingPost(t *testing.T, le *loginEnv, cookie string, fields map[string]string, logoName string, logo []byte) (*http.Response, string) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	if logo != nil {
		fw, err := mw.CreateFormFile("logo", logoName)
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(logo)
	}
	mw.Close()
	resp := request{method: http.MethodPost, target: "/gent/admin/branding", body: body.String(),
		header: map[string]string{"Content-Type": mw.FormDataContentType(), "Cookie": cookie}}.do(t, le.app.Handler())
	return resp, bodyOf(t, resp)
}

func logoPNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, 90, 30))
	for x := range 90 {
		for y := range 30 {
			img.Set(x, y, color.NRGBA{29, 94, 58, 255})
		}
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	return b.Bytes()
}

func goodBranding() map[string]string {
	return map[string]string{"version": "0", "name": "Gemeente Zonnedal", "accent": "#1d5e3a",
		"address": "Markt 1\r\n9999 Zonnedal", "phone": "09 123 45 67", "email": "info@zonnedal.be",
		"website": "https://www.zonnedal.be", "hours": "ma–vr 9–12 u."}
}

// TestBranding_AdminSetsTheLookPublicPagesShowIt: an admin saves a name,
// a PNG logo, an accent and a contact block; the public pages show the
// name, the logo (served from our origin with its type, nosniff and a
// version) and the contact block, and the style sheet carries the accent.
func TestBranding_AdminSetsTheLookPublicPagesShowIt(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		le := newLoginEnv(t, env, Options{})
		_, admin := le.signIn(t, "admin@gent.be", account.RoleAdmin)
		resp, body := brandingPost(t, le, admin, goodBranding(), "logo.png", logoPNG(t))
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/gent/admin/branding?saved=1" {
			t.Fatalf("save: %d %s\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
		}
		b, err := env.DB.Branding(context.Background(), le.gent.ID)
		if err != nil || b.LogoType != brand.TypePNG || b.Accent != "#1d5e3a" {
			t.Fatalf("stored %+v %v", b, err)
		}
		resp = request{target: "/gent/"}.do(t, le.app.Handler())
		page := bodyOf(t, resp)
		logoURL := "/gent/logo?v=" + b.LogoHash
		for _, want := range []string{`<span class="brand-name">Gemeente Zonnedal</span>`, `src="` + logoURL + `"`,
			`href="/gent/brand.css?v=`, "Markt 1<br>9999 Zonnedal", `href="tel:&#43;3291234567">09 123 45 67</a>`,
			`href="mailto:info@zonnedal.be"`, `href="https://www.zonnedal.be"`, "ma–vr 9–12 u."} {
			if !strings.Contains(page, want) {
				t.Errorf("front page lacks %q", want)
			}
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "img-src 'self'") || !strings.Contains(csp, "style-src 'self'") {
			t.Fatalf("the page's CSP does not allow our own logo and style sheet: %s", csp)
		}

		resp = request{target: logoURL}.do(t, le.app.Handler())
		logo := bodyOf(t, resp)
		h := resp.Header
		if resp.StatusCode != 200 || h.Get("Content-Type") != "image/png" || h.Get("X-Content-Type-Options") != "nosniff" ||
			h.Get("ETag") != `"`+b.LogoHash+`"` || !strings.Contains(h.Get("Cache-Control"), "immutable") {
			t.Fatalf("logo: %d %v", resp.StatusCode, h)
		}
		if _, err := png.Decode(strings.NewReader(logo)); err != nil {
			t.Fatalf("served logo: %v", err)
		}
		resp = request{target: "/gent/logo", header: map[string]string{"If-None-Match": `"` + b.LogoHash + `"`}}.do(t, le.app.Handler())
		if resp.StatusCode != http.StatusNotModified || resp.Header.Get("Cache-Control") != "no-cache" {
			t.Fatalf("revalidation: %d %v", resp.StatusCode, resp.Header)
		}

		resp = request{target: "/gent/brand.css"}.do(t, le.app.Handler())
		css := bodyOf(t, resp)
		if resp.Header.Get("Content-Type") != "text/css; charset=utf-8" || !strings.Contains(css, "--primary:#1d5e3a") {
			t.Fatalf("brand.css: %s %q", resp.Header.Get("Content-Type"), css)
		}
		// Another tenant keeps its own look.
		if other := bodyOf(t, request{target: "/brugge/"}.do(t, le.app.Handler())); strings.Contains(other, "Zonnedal") ||
			!strings.Contains(other, `<span class="brand-name">Stad brugge</span>`) {
			t.Fatal("brugge shows gent's look")
		}
	})
}

// TestBranding_BadInputRefusedFieldByField: a logo that is not an image,
// one too large, an accent below contrast, a foreign phone number: each
// comes back 422 with its message on its field, in the page's language,
// and nothing is saved, the good fields and a good logo neither.
func TestBranding_BadInputRefusedFieldByField(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		le := newLoginEnv(t, env, Options{})
		_, admin := le.signIn(t, "admin@gent.be", account.RoleAdmin)
		good := logoPNG(t)
		big := append(logoPNG(t), make([]byte, brand.MaxLogoBytes)...)
		tests := []struct {
			name     string
			change   map[string]string
			logoName string
			logo     []byte
			field    string
			message  string
		}{
			{"not an image", nil, "logo.png", []byte("MZ this is a program, not a picture"), "logo", "Het logo moet een PNG- of SVG-afbeelding zijn."},
			{"an HTML page as SVG", nil, "logo.svg", []byte("<html><script>alert(1)</script></html>"), "logo", "Het logo moet een PNG- of SVG-afbeelding zijn."},
			{"too large", nil, "logo.png", big, "logo", "Het logo mag hoogstens 200 kB groot zijn."},
			{"accent below contrast", map[string]string{"accent": "#8899aa"}, "logo.png", good, "accent", "Deze kleur heeft te weinig contrast: 2,6:1, minstens 4,5:1"},
			{"phone", map[string]string{"phone": "+31 20 123 4567"}, "logo.png", good, "phone", "Geef een Belgisch telefoonnummer"},
			{"website", map[string]string{"website": "http://zonnedal.be"}, "logo.png", good, "website", "Geef een volledig webadres dat begint met https://"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				f := goodBranding()
				for k, v := range tt.change {
					f[k] = v
				}
				resp, body := brandingPost(t, le, admin, f, tt.logoName, tt.logo)
				if resp.StatusCode != http.StatusUnprocessableEntity {
					t.Fatalf("status %d\n%s", resp.StatusCode, body)

				}
				for _, want := range []string{`<a href="#` + tt.field + `">` + tt.message, `id="` + tt.field + `-error">` + tt.message} {
					if !strings.Contains(body, want) {
						t.Errorf("page lacks %q", want)
					}
				}
				if !regexp.MustCompile(`id="` + tt.field + `"[^>]*aria-describedby="[^"]*` + tt.field + `-error"[^>]*aria-invalid="true"`).MatchString(body) {
					t.Errorf("the %s input is not described by its error", tt.field)
				}
				if tt.field != "accent" && !strings.Contains(body, `value="#1d5e3a"`) {
					t.Error("the typed accent did not come back")
				}
				if strings.Count(body, `class="error-message"`) != 1 {
					t.Errorf("%d messages, want 1", strings.Count(body, `class="error-message"`))
				}
				// A good logo beside a bad field is not kept either: the page asks for it again.
				if again := strings.Contains(body, "Kies het logo opnieuw"); again != (tt.field != "logo") {
					t.Errorf("asked to choose the logo again: %v", again)
				}
				if b, err := env.DB.Branding(context.Background(), le.gent.ID); err != nil || b.Version != 0 || b.Name != "" {
					t.Fatalf("saved after all: %+v %v", b, err)
				}
			})
		}
	})
}

// TestASVS_1_3_4_SVGLogoSanitisedAndSandboxed: an SVG logo with a script
// and an event handler is stored without them and served as image/svg+xml
// with nosniff and a sandboxing CSP (LOC-3).
func TestASVS_1_3_4_SVGLogoSanitisedAndSandboxed(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		le := newLoginEnv(t, env, Options{})
		_, admin := le.signIn(t, "admin@gent.be", account.RoleAdmin)
		svg := `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 40 40" onload="alert(1)"><script>alert(2)</script>` +
			`<a href="https://evil.example"><circle cx="20" cy="20" r="18" fill="#1d5e3a"/></a><rect width="10" height="10"/></svg>`
		if resp, body := brandingPost(t, le, admin, goodBranding(), "logo.svg", []byte(svg)); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("save: %d\n%s", resp.StatusCode, body)
		}
		resp := request{target: "/gent/logo"}.do(t, le.app.Handler())
		got := bodyOf(t, resp)
		h := resp.Header
		if h.Get("Content-Type") != "image/svg+xml" || h.Get("X-Content-Type-Options") != "nosniff" ||
			!strings.Contains(h.Get("Content-Security-Policy"), "sandbox") || !strings.Contains(h.Get("Content-Security-Policy"), "default-src 'none'") {
			t.Fatalf("headers %v", h)
		}
		for _, bad := range []string{"script", "onload", "alert", "evil"} {
			if strings.Contains(got, bad) {
				t.Errorf("%q served: %s", bad, got)
			}
		}
		if !strings.Contains(got, "<rect") {
			t.Errorf("the drawing is gone: %s", got)
		}
	})
}

// TestBranding_DPOReadsAdminPageShowsPreview: the DPO sees the settings
// without a form; the admin's page previews the look with its contrast,
// in French too.
func TestBranding_DPOReadsAdminPageShowsPreview(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		le := newLoginEnv(t, env, Options{})
		_, admin := le.signIn(t, "admin@gent.be", account.RoleAdmin)
		brandingPost(t, le, admin, goodBranding(), "", nil)
		_, dpo := le.signIn(t, "dpo@gent.be", account.RoleDPO)
		resp := request{target: "/gent/admin/branding", header: map[string]string{"Cookie": dpo}}.do(t, le.app.Handler())
		body := bodyOf(t, resp)
		if resp.StatusCode != 200 || strings.Contains(body, `id="branding-form"`) || !strings.Contains(body, "Gemeente Zonnedal") {
			t.Fatalf("DPO: %d\n%s", resp.StatusCode, body)
		}
		resp = request{target: "/gent/admin/branding?lang=fr", header: map[string]string{"Cookie": admin}}.do(t, le.app.Handler())
		body = bodyOf(t, resp)
		if !strings.Contains(body, `id="branding-form"`) || !strings.Contains(body, "contraste avec le blanc : 7,") ||
			!strings.Contains(body, `value="09 123 45 67"`) {
			t.Fatalf("admin page:\n%s", body)
		}
	})
}

// TestBranding_ReceiptPDFHasLetterhead: the receipt PDF opens with the
// municipality's PNG logo, name and contact block, carries its language
// and title, and names its accessible version (fpdf cannot tag a PDF).
func TestBranding_ReceiptPDFHasLetterhead(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		le := newLoginEnv(t, env, Options{})
		_, admin := le.signIn(t, "admin@gent.be", account.RoleAdmin)
		if resp, body := brandingPost(t, le, admin, goodBranding(), "logo.png", logoPNG(t)); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("save: %d\n%s", resp.StatusCode, body)
		}
		r := httptest.NewRequest(http.MethodGet, "/gent/receipt/vraag?format=pdf", nil)
		r = r.WithContext(context.WithValue(r.Context(), tenantKey{}, le.gent))
		pdf, err := le.app.receiptPDF(r, receiptPage{Tenant: le.gent, FormKey: "vraag", Title: loc{Text: "Vraag of melding"},
			Reference: "2YET9-1Y7AK", CreatedAt: "04.12.2026 10:19"}, time.Date(2026, 12, 4, 9, 19, 0, 0, time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"/Subtype /Image", "/Lang (nl-BE)"} {
			if !bytes.Contains(pdf, []byte(want)) {
				t.Errorf("PDF lacks %s", want)
			}
		}
		if os.Getenv("KLUIS_KEEP_PDF") != "" {
			os.WriteFile(os.Getenv("KLUIS_KEEP_PDF"), pdf, 0o600)
		}
		pages := pdftest.Text(t, pdf)
		text := strings.Join(pages, " ")
		for _, want := range []string{"Gemeente Zonnedal Markt 1 9999 Zonnedal Telefoon: 09 123 45 67 E-mail: info@zonnedal.be",
			"Website: https://www.zonnedal.be", "Openingsuren: ma–vr 9–12 u.", "2YET9-1Y7AK",
			"De toegankelijke versie van dit document is de ontvangstbevestiging als webpagina"} {
			if !strings.Contains(text, want) {
				t.Errorf("PDF text lacks %q:\n%s", want, text)
			}
		}
		if !strings.HasPrefix(pages[0], "Gemeente Zonnedal") {
			t.Errorf("the letterhead does not open the page: %.80s", pages[0])
		}
	})
}
