package web

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/locale"
	"github.com/kluis/kluis/internal/store"
)

// The site's images: editors (account.EditSite) upload PNG, JPEG or WebP
// with an alternative text (WCAG 1.1.1) under Website > Afbeeldingen and
// paste the snippet into a page; visitors get them at
// /{tenant}/site/images/{id}. The type is the store's reading of the
// magic bytes, never the browser's Content-Type or the file's name.

type siteImagesPage struct {
	Slug   string
	Images []siteImageRow
	Errors fieldErrors
	Alt    map[string]string
	Langs  []siteAltField
	Done   string
	// Refused says why an image was not deleted: the pages that show it.
	Refused string
}

type siteImageRow struct {
	ID, Src, Alt, Snippet, Type, Size, Uploaded string
}

type siteAltField struct {
	Lang, Name, Value, Err string
	Required               bool
}

func (a *App) siteImages(w http.ResponseWriter, r *http.Request, me account.User) {
	a.renderSiteImages(w, r, http.StatusOK, nil, nil, "")
}

func (a *App) renderSiteImages(w http.ResponseWriter, r *http.Request, status int, alt map[string]string, verr *store.SiteValidationError,
	refused string) {
	t := tenantFrom(r.Context())
	lang := LangFrom(r.Context())
	imgs, err := a.opts.Store.SiteImages(r.Context(), t.ID)
	if err != nil {
		a.internalError(w, r, "site images", err)
		return
	}
	p := siteImagesPage{Slug: t.Slug, Refused: refused}
	msg := func(f string) string {
		if verr == nil || len(verr.Fields[f]) == 0 {
			return ""
		}
		pr := verr.Fields[f][0]
		return locale.T(lang, pr.Key, pr.Args...)
	}
	for _, f := range store.SiteImageFieldOrder() {
		if m := msg(f); m != "" {
			p.Errors = append(p.Errors, fieldError{siteFieldID(f), m})
		}
	}
	for _, l := range store.SiteLangs {
		p.Langs = append(p.Langs, siteAltField{Lang: l, Name: a.t(r, "site.lang."+l), Value: alt[l], Err: msg("alt." + l),
			Required: l == t.DefaultLang})
	}
	for _, i := range imgs {
		src := "/" + t.Slug + "/site/images/" + i.ID
		alt := i.AltFor(string(lang), t.DefaultLang)
		p.Images = append(p.Images, siteImageRow{ID: i.ID, Src: src, Alt: alt, Snippet: "![" + i.AltFor(t.DefaultLang, t.DefaultLang) + "](" + src + ")",
			Type: strings.ToUpper(i.MIME[len("image/"):]), Size: strconv.FormatInt((i.Size+1023)/1024, 10), Uploaded: localTime(i.CreatedAt)})
	}
	switch r.URL.Query().Get("done") {
	case "uploaded":
		p.Done = a.t(r, "siteimg.done.uploaded")
	case "deleted":
		p.Done = a.t(r, "siteimg.done.deleted")
	}
	a.render(w, r, status, "siteimages", p)
}

// siteImageUpload keeps an uploaded image; a refused one (type, size,
// missing alternative text) answers 422 with the fields' messages and
// nothing is saved.
func (a *App) siteImageUpload(w http.ResponseWriter, r *http.Request, me account.User) {
	r.Body = http.MaxBytesReader(w, r.Body, store.SiteImageMax+64<<10)
	if err := r.ParseMultipartForm(store.SiteImageMax + 64<<10); err != nil {
		var mbe *http.MaxBytesError
		switch {
		case errors.As(err, &mbe):
			a.renderSiteImages(w, r, http.StatusRequestEntityTooLarge, nil, &store.SiteValidationError{Fields: map[string][]store.SiteProblem{
				store.SiteImageFieldFile: {{Key: "siteimg.err.too_large", Args: []any{store.SiteImageMax >> 20}}}}}, "")
		case errors.Is(err, http.ErrNotMultipart):
			a.error(w, r, http.StatusUnsupportedMediaType)
		default:
			a.bodyError(w, r, err)
		}
		return
	}
	defer r.MultipartForm.RemoveAll()
	alt := map[string]string{}
	for _, l := range store.SiteLangs {
		alt[l] = r.PostFormValue("alt-" + l)
	}
	var data []byte
	if f, _, err := r.FormFile(store.SiteImageFieldFile); err == nil {
		data, err = io.ReadAll(io.LimitReader(f, store.SiteImageMax+1))
		f.Close()
		if err != nil {
			a.bodyError(w, r, err)
			return
		}
	}
	t := tenantFrom(r.Context())
	_, err := a.opts.Store.SaveSiteImage(r.Context(), userActor(me, RequestIDFrom(r.Context())), t.ID, data, alt)
	var verr *store.SiteValidationError
	switch {
	case errors.As(err, &verr):
		a.renderSiteImages(w, r, http.StatusUnprocessableEntity, alt, verr, "")
	case err != nil:
		a.internalError(w, r, "save site image", err)
	default:
		http.Redirect(w, r, "/"+t.Slug+"/admin/site/images?done=uploaded", http.StatusSeeOther)
	}
}

func (a *App) siteImageDelete(w http.ResponseWriter, r *http.Request, me account.User) {
	t := tenantFrom(r.Context())
	err := a.opts.Store.DeleteSiteImage(r.Context(), userActor(me, RequestIDFrom(r.Context())), t.ID, r.PathValue("id"))
	var inUse *store.ImageInUseError
	switch {
	case errors.As(err, &inUse):
		// A page would show a broken image (WCAG 1.1.1): 409, naming the
		// pages to change first.
		a.renderSiteImages(w, r, http.StatusConflict, nil, nil,
			a.t(r, "editor.image_in_use", strings.Join(inUse.Pages, ", ")))
	case errors.Is(err, store.ErrNotFound):
		a.notFound(w, r)
	case err != nil:
		a.internalError(w, r, "delete site image", err)
	default:
		http.Redirect(w, r, "/"+t.Slug+"/admin/site/images?done=deleted", http.StatusSeeOther)
	}
}

// siteImageShow serves an image to anyone: site content is public. The
// stored type (from the magic bytes) with nosniff, so a browser never
// reads it as anything else; an image never changes under its id, so it
// may be cached long.
func (a *App) siteImageShow(w http.ResponseWriter, r *http.Request) {
	t := tenantFrom(r.Context())
	i, err := a.opts.Store.SiteImageData(r.Context(), t.ID, r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		a.notFound(w, r)
		return
	}
	if err != nil {
		a.internalError(w, r, "site image", err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", i.MIME)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "public, max-age=86400")
	h.Set("Content-Security-Policy", sandboxedFilePolicy)
	h.Set("Content-Length", strconv.Itoa(len(i.Data)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(i.Data)
	}
}
