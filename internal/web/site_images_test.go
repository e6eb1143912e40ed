package web

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/kluis/kluis/internal/storetest"
)

// tinyPNG is a 1×1 PNG.
var tinyPNG = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")

// uploadSiteImage posts an image as the admin, the file with the name and
// Content-Type a browser would claim.
func (fe *formsEnv) uploadSiteImage(t *testing.T, name, contentType string, data []byte, alt map[string]string) (*http.Response, string) {
	t.Helper()
	fields := map[string]string{}
	for k, v := range alt {
		fields["alt-"+k] = v
	}
	return fe.postFile(t, "/gent/admin/site/images", fields, "file", name, contentType, data)
}

// TestSiteImages_UploadRefusedOrServedPublicly: an SVG named .png and sent
// as image/png, or a PNG without alternative text, is refused (422) with
// the field's message linked from the error summary and nothing saved; a
// PNG is listed with a snippet to paste, served to anyone with its type,
// nosniff and cache headers, and shows with its alt text on a published
// page that uses the snippet.
func TestSiteImages_UploadRefusedOrServedPublicly(t *testing.T) {
	storetest.EachDialect(t, func(t *testing.T, env *storetest.Env) {
		fe := newFormsEnv(t, env)
		svg := []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`)
		resp, page := fe.uploadSiteImage(t, "logo.png", "image/png", svg, map[string]string{"nl": "Logo"})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "geen PNG, JPEG of WebP") ||
			!strings.Contains(page, `href="#file"`) || !strings.Contains(page, `aria-describedby="file-hint file-error"`) {
			t.Fatalf("SVG upload: %d\n%s", resp.StatusCode, page)
		}
		resp, page = fe.uploadSiteImage(t, "huis.png", "image/png", tinyPNG, map[string]string{"nl": " ", "fr": "La maison"})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "Geef een alternatieve tekst") ||
			!strings.Contains(page, `href="#alt-nl"`) || !strings.Contains(page, `value="La maison"`) {
			t.Fatalf("upload without alt: %d\n%s", resp.StatusCode, page)
		}
		if is, _ := env.DB.SiteImages(t.Context(), fe.gent.ID); len(is) != 0 {
			t.Fatalf("refused uploads saved %d images", len(is))
		}
		resp, _ = fe.uploadSiteImage(t, "huis.gif", "image/gif", tinyPNG, map[string]string{"nl": "Het gemeentehuis"})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("PNG upload: %d", resp.StatusCode)
		}
		_, list := fe.get(t, "/gent/admin/site/images?done=uploaded", fe.admin)
		m := regexp.MustCompile(`value="!\[Het gemeentehuis\]\((/gent/site/images/([^)"]+))\)"`).FindStringSubmatch(list)
		if m == nil || !strings.Contains(list, "De afbeelding is opgeladen.") {
			t.Fatalf("the list lacks the snippet:\n%s", list)
		}
		src := m[1]
		resp, body := fe.get(t, src, "")
		if resp.StatusCode != http.StatusOK || body != string(tinyPNG) || resp.Header.Get("Content-Type") != "image/png" ||
			resp.Header.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(resp.Header.Get("Cache-Control"), "max-age=") {
			t.Fatalf("public image: %d %v", resp.StatusCode, resp.Header)
		}
		if resp, _ := fe.get(t, strings.Replace(src, "/gent/", "/brugge/", 1), ""); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("another tenant serves gent's image: %d", resp.StatusCode)
		}
		save, _ := fe.submit(t, "/gent/admin/site/new", fe.admin, url.Values{"slug": {"gemeentehuis"}, "position": {"1"}, "version": {"0"},
			"nl-title": {"Het gemeentehuis"}, "nl-body": {"![Het gemeentehuis](" + src + ")"}})
		editPath, _, _ := strings.Cut(save.Header.Get("Location"), "?")
		fe.post(t, editPath+"/publish", url.Values{"version": {"1"}}, http.StatusSeeOther)
		if _, pub := fe.get(t, "/gent/site/gemeentehuis", ""); !strings.Contains(pub, `src="`+src+`" alt="Het gemeentehuis"`) {
			t.Fatalf("the published page does not show the image:\n%s", pub)
		}
		// A page shows it: not deleted (the page would show a broken
		// image); once the page no longer shows it, it is.
		if body := fe.post(t, "/gent/admin/site/images/"+m[2]+"/delete", url.Values{"x": {"1"}}, http.StatusConflict); !strings.Contains(body, "pagina&#39;s: Het gemeentehuis.") {
			t.Fatalf("the refusal does not name the page:\n%s", body)
		}
		fe.post(t, editPath, url.Values{"slug": {"gemeentehuis"}, "position": {"1"}, "version": {"1"}, "nl-title": {"Het gemeentehuis"},
			"nl-body": {"Open van 9 tot 12."}}, http.StatusSeeOther)
		fe.post(t, editPath+"/publish", url.Values{"version": {"2"}}, http.StatusSeeOther)
		fe.post(t, "/gent/admin/site/images/"+m[2]+"/delete", url.Values{"x": {"1"}}, http.StatusSeeOther)
		if resp, _ := fe.get(t, src, ""); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("a deleted image is served: %d", resp.StatusCode)
		}
	})
}
