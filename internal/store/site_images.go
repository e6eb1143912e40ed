package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/audit"
)

// Images of a tenant's site pages: public content, stored in clear with
// the uploader's account id. Only PNG, JPEG and WebP, recognised by their
// magic bytes (never by the name or the Content-Type the browser sent):
// SVG can carry script and is refused. Every image has an alternative
// text in the tenant's default language (WCAG 1.1.1). Upload and delete
// are audited in their own transaction (AUD-1).
//
// Images are not virus-scanned: unlike attachments they come from staff
// with EditSite, not from citizens, and only bytes that start as one of
// three raster formats are kept and served with nosniff, so a browser
// never runs them as anything else.

// SiteImageMax is the largest image kept, in bytes.
const SiteImageMax = 2 << 20

// Fields of the image upload form, as SiteValidationError names them; the
// alternative texts are "alt.<lang>".
const SiteImageFieldFile = "file"

const siteAltMax = 300

// SiteImage is an image as the editor lists it (Data only from
// SiteImageData).
type SiteImage struct {
	ID        string
	MIME      string
	Size      int64
	Alt       map[string]string // by language; nl (the default) always there
	CreatedAt time.Time
	CreatedBy string // account id
	Data      []byte
}

// AltFor is the alternative text in lang, else the default language's.
func (i SiteImage) AltFor(lang, defaultLang string) string {
	if a := i.Alt[lang]; a != "" {
		return a
	}
	return i.Alt[defaultLang]
}

// SiteImageFieldOrder is the order of the upload form's fields.
func SiteImageFieldOrder() []string {
	fs := []string{SiteImageFieldFile}
	for _, l := range SiteLangs {
		fs = append(fs, "alt."+l)
	}
	return fs
}

// SniffSiteImage names the image type of data by its magic bytes: PNG,
// JPEG or WebP; "" for anything else (SVG, GIF, HTML, ...).
func SniffSiteImage(data []byte) string {
	switch {
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return "image/png"
	case bytes.HasPrefix(data, []byte("\xff\xd8\xff")):
		return "image/jpeg"
	case len(data) >= 12 && bytes.Equal(data[:4], []byte("RIFF")) && bytes.Equal(data[8:12], []byte("WEBP")):
		return "image/webp"
	}
	return ""
}

// SaveSiteImage keeps an uploaded image and records "site.image.upload"
// in the same transaction. An empty, too large or wrongly typed file, or
// a missing alternative text in the default language, is a
// *SiteValidationError naming every field; nothing is saved then. The
// handler checks that actor may edit the site.
func (db *DB) SaveSiteImage(ctx context.Context, actor audit.Actor, tenantID string, data []byte, alt map[string]string) (string, error) {
	var id string
	err := db.write(ctx, func(tx *Tx) error {
		lang, err := tx.tenantLang(tenantID)
		if err != nil {
			return err
		}
		e := &SiteValidationError{Fields: map[string][]SiteProblem{}}
		add := func(f, key string, args ...any) { e.Fields[f] = append(e.Fields[f], SiteProblem{key, args}) }
		mime := SniffSiteImage(data)
		switch {
		case len(data) == 0:
			add(SiteImageFieldFile, "siteimg.err.file_required")
		case len(data) > SiteImageMax:
			add(SiteImageFieldFile, "siteimg.err.too_large", SiteImageMax>>20)
		case mime == "":
			add(SiteImageFieldFile, "siteimg.err.type")
		}
		clean := map[string]string{}
		for _, l := range SiteLangs {
			a := strings.Join(strings.Fields(alt[l]), " ")
			switch {
			case a == "" && l == lang:
				add("alt."+l, "siteimg.err.alt_required")
			case len([]rune(a)) > siteAltMax:
				add("alt."+l, "site.err.too_long", siteAltMax)
			case a != "":
				clean[l] = a
			}
		}
		if len(e.Fields) > 0 {
			return e
		}
		altJSON, err := json.Marshal(clean)
		if err != nil {
			return err
		}
		id = newID(db.now())
		if _, err := tx.exec(`INSERT INTO site_images (id, tenant_id, mime, size, alt, data, created_at, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, id, tenantID, mime, len(data), string(altJSON), data, micros(db.now()), actor.ID); err != nil {
			return err
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "site.image.upload", ObjectType: "site_image",
			ObjectID: id, Outcome: audit.OutcomeSuccess})
	})
	var verr *SiteValidationError
	if err != nil && !errors.As(err, &verr) {
		return "", fmt.Errorf("save site image: %w", err)
	}
	if err != nil {
		return "", err
	}
	return id, nil
}

// ImageInUseError refuses deleting an image that a page shows, in its
// draft or its published version: the page would show a broken image
// (WCAG 1.1.1). Pages names them by title in the organisation's default
// language (the address when it has none there). It is an ErrConflict.
type ImageInUseError struct{ Pages []string }

func (e *ImageInUseError) Error() string {
	return fmt.Sprintf("site image is shown on %d page(s)", len(e.Pages))
}

func (e *ImageInUseError) Unwrap() error { return ErrConflict }

// siteImageUsers returns the titles of the pages whose last saved or
// published version shows the image id.
func (tx *Tx) siteImageUsers(tenantID, id string) ([]string, error) {
	lang, err := tx.tenantLang(tenantID)
	if err != nil {
		return nil, err
	}
	// The image's address is "/{tenant}/site/images/{id}" (or, written by
	// hand for the tenant's own host, "/site/images/{id}"): LIKE narrows,
	// the exact check below makes sure the id is not the start of another.
	ref := "site/images/" + id
	rows, err := tx.query(`SELECT DISTINCT p.slug, v.content FROM site_pages p
		JOIN site_page_versions v ON v.tenant_id = p.tenant_id AND v.page_id = p.id
			AND (v.version = p.version OR v.version = p.published_version)
		WHERE p.tenant_id = $1 AND v.content LIKE $2 ORDER BY p.slug`, tenantID, "%"+ref+"%")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var pages []string
	for rows.Next() {
		var slug, content string
		if err := rows.Scan(&slug, &content); err != nil {
			return nil, err
		}
		if !refersTo(content, ref) {
			continue
		}
		name := slug
		if text, err := parseSiteContent(content); err == nil && text[lang].Title != "" {
			name = text[lang].Title
		}
		if !slices.Contains(pages, name) {
			pages = append(pages, name)
		}
	}
	return pages, rows.Err()
}

// refersTo reports whether content holds ref not followed by another
// character of an id.
func refersTo(content, ref string) bool {
	for i := strings.Index(content, ref); i >= 0; {
		end := i + len(ref)
		if end == len(content) || !isIDChar(content[end]) {
			return true
		}
		next := strings.Index(content[end:], ref)
		if next < 0 {
			return false
		}
		i = end + next
	}
	return false
}

func isIDChar(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_'
}

// DeleteSiteImage removes an image and records "site.image.delete". An
// image a page shows (its draft or its published version) is not deleted:
// *ImageInUseError names the pages. ErrNotFound for an image of another
// tenant or none.
func (db *DB) DeleteSiteImage(ctx context.Context, actor audit.Actor, tenantID, id string) error {
	err := db.write(ctx, func(tx *Tx) error {
		var n int
		if err := tx.queryRow(`SELECT count(*) FROM site_images WHERE tenant_id = $1 AND id = $2`, tenantID, id).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("site image %q: %w", id, ErrNotFound)
		}
		pages, err := tx.siteImageUsers(tenantID, id)
		if err != nil {
			return err
		}
		if len(pages) > 0 {
			return &ImageInUseError{Pages: pages}
		}
		res, err := tx.exec(`DELETE FROM site_images WHERE tenant_id = $1 AND id = $2`, tenantID, id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			if err == nil {
				err = fmt.Errorf("site image %q: %w", id, ErrNotFound)
			}
			return err
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "site.image.delete", ObjectType: "site_image",
			ObjectID: id, Outcome: audit.OutcomeSuccess})
	})
	var inUse *ImageInUseError
	if err != nil && !errors.Is(err, ErrNotFound) && !errors.As(err, &inUse) {
		return fmt.Errorf("delete site image: %w", err)
	}
	return err
}

func scanSiteImage(row interface{ Scan(...any) error }, withData bool) (SiteImage, error) {
	var i SiteImage
	var alt string
	var at int64
	dest := []any{&i.ID, &i.MIME, &i.Size, &alt, &at, &i.CreatedBy}
	if withData {
		dest = append(dest, &i.Data)
	}
	if err := row.Scan(dest...); err != nil {
		return i, err
	}
	i.CreatedAt = fromMicros(at)
	i.Alt = map[string]string{}
	if err := json.Unmarshal([]byte(alt), &i.Alt); err != nil {
		return i, fmt.Errorf("site image alt: %w", err)
	}
	return i, nil
}

const siteImageColumns = `id, mime, size, alt, created_at, created_by`

// SiteImages lists the tenant's images, newest first, without their
// bytes. Site content is public: not audited.
func (db *DB) SiteImages(ctx context.Context, tenantID string) ([]SiteImage, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT `+siteImageColumns+` FROM site_images
		WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("site images: %w", err)
	}
	defer rows.Close()
	var is []SiteImage
	for rows.Next() {
		i, err := scanSiteImage(rows, false)
		if err != nil {
			return nil, fmt.Errorf("site images: %w", err)
		}
		is = append(is, i)
	}
	return is, rows.Err()
}

// SiteImageData returns one image with its bytes, as visitors get it;
// ErrNotFound for an image of another tenant or none.
func (db *DB) SiteImageData(ctx context.Context, tenantID, id string) (SiteImage, error) {
	i, err := scanSiteImage(db.sql.QueryRowContext(ctx, `SELECT `+siteImageColumns+`, data FROM site_images
		WHERE tenant_id = $1 AND id = $2`, tenantID, id), true)
	if errors.Is(err, sql.ErrNoRows) {
		return i, fmt.Errorf("site image %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return i, fmt.Errorf("site image: %w", err)
	}
	return i, nil
}
