package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/sitemd"
)

// A tenant's site pages: public content its editors write in nl/fr/en,
// kept with every version saved (who and when), published one version at a
// time. The content is public and stored in clear; the editor is named by
// account id only (the name is sealed in users). Every write is audited in
// its own transaction (AUD-1).

// SiteLangs are the languages a page may be written in, in the order the
// editor shows them.
var SiteLangs = []string{"nl", "fr", "en"}

// SiteText is a page's text in one language; Body is Markdown in the safe
// subset of internal/sitemd.
type SiteText struct {
	Title   string `json:"title"`
	Summary string `json:"summary,omitempty"`
	Body    string `json:"body,omitempty"`
}

func (t SiteText) empty() bool { return t.Title == "" && t.Summary == "" && t.Body == "" }

// SiteDraft is what an editor saves.
type SiteDraft struct {
	Slug     string
	Position int
	Text     map[string]SiteText // by language; a language left empty is absent
}

// SitePage is a page as the editor lists it: its last saved version's text.
type SitePage struct {
	ID               string
	Slug             string
	Position         int
	Version          int // the last version saved
	PublishedVersion int // 0: not published
	PublishedAt      time.Time
	UpdatedAt        time.Time
	UpdatedBy        string // account id
	Text             map[string]SiteText
}

// SiteVersion is one saved version of a page (its history).
type SiteVersion struct {
	Version   int
	Slug      string
	Text      map[string]SiteText
	CreatedAt time.Time
	CreatedBy string // account id
}

// PublishedPage is a page as visitors see it: its published version.
type PublishedPage struct {
	Slug     string
	Position int
	Text     map[string]SiteText
}

// Fields of the site page form, as SiteValidationError names them; the
// texts' fields are "<lang>.title", "<lang>.summary", "<lang>.body".
const (
	SiteFieldSlug     = "slug"
	SiteFieldPosition = "position"
)

// SiteProblem is one field's refusal: a catalogue key and its arguments.
type SiteProblem struct {
	Key  string
	Args []any
}

// SiteValidationError maps a field to its problems; nothing was saved.
type SiteValidationError struct {
	Fields map[string][]SiteProblem
}

func (e *SiteValidationError) Error() string {
	var parts []string
	for _, f := range siteFieldOrder() {
		for _, p := range e.Fields[f] {
			parts = append(parts, f+": "+p.Key)
		}
	}
	return "invalid site page: " + strings.Join(parts, "; ")
}

// siteFieldOrder is the order of the form's fields (the error summary's).
func siteFieldOrder() []string {
	fs := []string{SiteFieldSlug, SiteFieldPosition}
	for _, l := range SiteLangs {
		fs = append(fs, l+".title", l+".summary", l+".body")
	}
	return fs
}

// SiteFieldOrder is the order in which a form shows the fields.
func SiteFieldOrder() []string { return siteFieldOrder() }

var siteSlug = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

const (
	siteTitleMax   = 200
	siteSummaryMax = 500
)

func (d SiteDraft) normalize() SiteDraft {
	out := SiteDraft{Slug: strings.ToLower(strings.TrimSpace(d.Slug)), Position: d.Position, Text: map[string]SiteText{}}
	for _, l := range SiteLangs {
		t := d.Text[l]
		t = SiteText{Title: strings.TrimSpace(t.Title), Summary: strings.TrimSpace(t.Summary),
			Body: strings.TrimSpace(strings.ReplaceAll(t.Body, "\r\n", "\n"))}
		if !t.empty() {
			out.Text[l] = t
		}
	}
	return out
}

// validate checks d for a save (publish: also the published page's
// heading order) and returns every problem, or nil.
func (d SiteDraft) validate(defaultLang string, publish bool) *SiteValidationError {
	e := &SiteValidationError{Fields: map[string][]SiteProblem{}}
	add := func(f, key string, args ...any) { e.Fields[f] = append(e.Fields[f], SiteProblem{key, args}) }
	switch {
	case d.Slug == "":
		add(SiteFieldSlug, "site.err.slug_required")
	case !siteSlug.MatchString(d.Slug):
		add(SiteFieldSlug, "site.err.slug_format")
	}
	if d.Position < 0 || d.Position > 999 {
		add(SiteFieldPosition, "site.err.position", 0, 999)
	}
	if _, ok := d.Text[defaultLang]; !ok {
		add(defaultLang+".title", "site.err.title_default_lang")
	}
	for _, l := range SiteLangs {
		t, ok := d.Text[l]
		if !ok {
			continue
		}
		switch {
		case t.Title == "":
			add(l+".title", "site.err.title_required")
		case len([]rune(t.Title)) > siteTitleMax:
			add(l+".title", "site.err.too_long", siteTitleMax)
		}
		if len([]rune(t.Summary)) > siteSummaryMax {
			add(l+".summary", "site.err.too_long", siteSummaryMax)
		}
		check := sitemd.Check
		if publish {
			check = sitemd.CheckPublish
		}
		for _, p := range check(t.Body) {
			add(l+".body", p.MessageKey(), p.Args...)
		}
	}
	if len(e.Fields) == 0 {
		return nil
	}
	return e
}

func siteContent(text map[string]SiteText) (string, error) {
	b, err := json.Marshal(text)
	return string(b), err
}

func parseSiteContent(s string) (map[string]SiteText, error) {
	text := map[string]SiteText{}
	if err := json.Unmarshal([]byte(s), &text); err != nil {
		return nil, fmt.Errorf("site page content: %w", err)
	}
	return text, nil
}

func (tx *Tx) tenantLang(tenantID string) (string, error) {
	var lang string
	err := tx.queryRow(`SELECT default_lang FROM tenants WHERE id = $1`, tenantID).Scan(&lang)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("tenant %q: %w", tenantID, ErrNotFound)
	}
	return lang, err
}

// SaveSitePage saves d as a new version of the page pageID ("" creates
// one) and records "site.page.save" in the same transaction. base is the
// version the editor started from (0 for a new page): when another version
// was saved since, nothing is saved and ErrConflict returned. Bad input
// (an unsafe body, a taken or malformed slug, a missing title) returns a
// *SiteValidationError naming every field, and nothing is saved. The
// handler checks that actor may edit the site.
func (db *DB) SaveSitePage(ctx context.Context, actor audit.Actor, tenantID, pageID string, d SiteDraft, base int) (string, int, error) {
	d = d.normalize()
	var version int
	err := db.write(ctx, func(tx *Tx) error {
		if err := tx.lockTenant(tenantID); err != nil {
			return err
		}
		lang, err := tx.tenantLang(tenantID)
		if err != nil {
			return err
		}
		verr := d.validate(lang, false)
		var other string
		err = tx.queryRow(`SELECT id FROM site_pages WHERE tenant_id = $1 AND slug = $2`, tenantID, d.Slug).Scan(&other)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if errors.Is(err, sql.ErrNoRows) {
			// A published address stays taken while its page's draft
			// moves elsewhere: two published pages never share a slug.
			err = tx.queryRow(`SELECT p.id FROM site_pages p JOIN site_page_versions v ON v.page_id = p.id AND v.version = p.published_version
				WHERE p.tenant_id = $1 AND v.slug = $2 AND p.published_version > 0`, tenantID, d.Slug).Scan(&other)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		if err == nil && other != pageID {
			if verr == nil {
				verr = &SiteValidationError{Fields: map[string][]SiteProblem{}}
			}
			verr.Fields[SiteFieldSlug] = append(verr.Fields[SiteFieldSlug], SiteProblem{Key: "site.err.slug_taken", Args: []any{d.Slug}})
		}
		if verr != nil {
			return verr
		}
		content, err := siteContent(d.Text)
		if err != nil {
			return err
		}
		now := micros(db.now())
		if pageID == "" {
			if base != 0 {
				return fmt.Errorf("a new page edited from version %d: %w", base, ErrConflict)
			}
			pageID, version = newID(db.now()), 1
			_, err = tx.exec(`INSERT INTO site_pages (id, tenant_id, slug, position, version, published_version, created_at, updated_at, updated_by)
				VALUES ($1, $2, $3, $4, 1, 0, $5, $5, $6)`, pageID, tenantID, d.Slug, d.Position, now, actor.ID)
		} else {
			var cur int
			err = tx.queryRow(`SELECT version FROM site_pages WHERE tenant_id = $1 AND id = $2`, tenantID, pageID).Scan(&cur)
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("site page %q: %w", pageID, ErrNotFound)
			}
			if err != nil {
				return err
			}
			if cur != base {
				version = cur
				return fmt.Errorf("site page changed meanwhile (version %d, edited from %d): %w", cur, base, ErrConflict)
			}
			version = cur + 1
			_, err = tx.exec(`UPDATE site_pages SET slug = $3, position = $4, version = $5, updated_at = $6, updated_by = $7
				WHERE tenant_id = $1 AND id = $2`, tenantID, pageID, d.Slug, d.Position, version, now, actor.ID)
		}
		if err != nil {
			return err
		}
		if _, err := tx.exec(`INSERT INTO site_page_versions (tenant_id, page_id, version, slug, content, created_at, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, tenantID, pageID, version, d.Slug, content, now, actor.ID); err != nil {
			return err
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "site.page.save", ObjectType: "site_page",
			ObjectID: fmt.Sprintf("%d %s", version, pageID), Outcome: audit.OutcomeSuccess, Purpose: "/site/" + d.Slug})
	})
	if err != nil {
		var verr *SiteValidationError
		if errors.As(err, &verr) || errors.Is(err, ErrConflict) || errors.Is(err, ErrNotFound) {
			return pageID, version, err
		}
		return "", 0, fmt.Errorf("save site page: %w", err)
	}
	return pageID, version, nil
}

// PublishSitePage publishes version of the page (it replaces what was
// published) and records "site.page.publish", in one transaction. The
// version must pass the publish checks (heading order, WCAG 1.3.1): a
// *SiteValidationError otherwise, and nothing changes.
func (db *DB) PublishSitePage(ctx context.Context, actor audit.Actor, tenantID, pageID string, version int) error {
	err := db.write(ctx, func(tx *Tx) error {
		lang, err := tx.tenantLang(tenantID)
		if err != nil {
			return err
		}
		var slug, content string
		var position int
		err = tx.queryRow(`SELECT v.slug, v.content, p.position FROM site_page_versions v JOIN site_pages p ON p.id = v.page_id
			WHERE v.tenant_id = $1 AND v.page_id = $2 AND v.version = $3`, tenantID, pageID, version).Scan(&slug, &content, &position)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("site page %q version %d: %w", pageID, version, ErrNotFound)
		}
		if err != nil {
			return err
		}
		text, err := parseSiteContent(content)
		if err != nil {
			return err
		}
		if verr := (SiteDraft{Slug: slug, Position: position, Text: text}).validate(lang, true); verr != nil {
			return verr
		}
		if _, err := tx.exec(`UPDATE site_pages SET published_version = $3, published_at = $4 WHERE tenant_id = $1 AND id = $2`,
			tenantID, pageID, version, micros(db.now())); err != nil {
			return err
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "site.page.publish", ObjectType: "site_page",
			ObjectID: fmt.Sprintf("%d %s", version, pageID), Outcome: audit.OutcomeSuccess, Purpose: "/site/" + slug})
	})
	var verr *SiteValidationError
	if err != nil && !errors.As(err, &verr) && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("publish site page: %w", err)
	}
	return err
}

// UnpublishSitePage takes the page off the site (it becomes a draft
// again; its versions stay) and records "site.page.unpublish". Nothing
// happens, and nothing is audited, when it was not published.
func (db *DB) UnpublishSitePage(ctx context.Context, actor audit.Actor, tenantID, pageID string) error {
	err := db.write(ctx, func(tx *Tx) error {
		var slug string
		var published int
		err := tx.queryRow(`SELECT slug, published_version FROM site_pages WHERE tenant_id = $1 AND id = $2`, tenantID, pageID).Scan(&slug, &published)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("site page %q: %w", pageID, ErrNotFound)
		}
		if err != nil || published == 0 {
			return err
		}
		if _, err := tx.exec(`UPDATE site_pages SET published_version = 0, published_at = NULL WHERE tenant_id = $1 AND id = $2`,
			tenantID, pageID); err != nil {
			return err
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "site.page.unpublish", ObjectType: "site_page",
			ObjectID: fmt.Sprintf("%d %s", published, pageID), Outcome: audit.OutcomeSuccess, Purpose: "/site/" + slug})
	})
	if err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("unpublish site page: %w", err)
	}
	return err
}

const sitePageColumns = `p.id, p.slug, p.position, p.version, p.published_version, p.published_at, p.updated_at, p.updated_by, v.content`

func scanSitePage(row interface{ Scan(...any) error }) (SitePage, error) {
	var p SitePage
	var pub sql.NullInt64
	var at int64
	var content string
	if err := row.Scan(&p.ID, &p.Slug, &p.Position, &p.Version, &p.PublishedVersion, &pub, &at, &p.UpdatedBy, &content); err != nil {
		return p, err
	}
	if pub.Valid {
		p.PublishedAt = fromMicros(pub.Int64)
	}
	p.UpdatedAt = fromMicros(at)
	var err error
	p.Text, err = parseSiteContent(content)
	return p, err
}

// SitePages lists the tenant's pages for the editor, in menu order, each
// with its last saved text. Site content is public, so the list is not
// audited.
func (db *DB) SitePages(ctx context.Context, tenantID string) ([]SitePage, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT `+sitePageColumns+` FROM site_pages p
		JOIN site_page_versions v ON v.page_id = p.id AND v.version = p.version
		WHERE p.tenant_id = $1 ORDER BY p.position, p.slug`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("site pages: %w", err)
	}
	defer rows.Close()
	var ps []SitePage
	for rows.Next() {
		p, err := scanSitePage(rows)
		if err != nil {
			return nil, fmt.Errorf("site pages: %w", err)
		}
		ps = append(ps, p)
	}
	return ps, rows.Err()
}

// SitePage returns one page and its versions, newest first; ErrNotFound
// for a page of another tenant or none.
func (db *DB) SitePage(ctx context.Context, tenantID, pageID string) (SitePage, []SiteVersion, error) {
	p, err := scanSitePage(db.sql.QueryRowContext(ctx, `SELECT `+sitePageColumns+` FROM site_pages p
		JOIN site_page_versions v ON v.page_id = p.id AND v.version = p.version
		WHERE p.tenant_id = $1 AND p.id = $2`, tenantID, pageID))
	if errors.Is(err, sql.ErrNoRows) {
		return p, nil, fmt.Errorf("site page %q: %w", pageID, ErrNotFound)
	}
	if err != nil {
		return p, nil, fmt.Errorf("site page: %w", err)
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT version, slug, content, created_at, created_by FROM site_page_versions
		WHERE tenant_id = $1 AND page_id = $2 ORDER BY version DESC`, tenantID, pageID)
	if err != nil {
		return p, nil, fmt.Errorf("site page versions: %w", err)
	}
	defer rows.Close()
	var vs []SiteVersion
	for rows.Next() {
		var v SiteVersion
		var content string
		var at int64
		if err := rows.Scan(&v.Version, &v.Slug, &content, &at, &v.CreatedBy); err != nil {
			return p, nil, fmt.Errorf("site page versions: %w", err)
		}
		v.CreatedAt = fromMicros(at)
		if v.Text, err = parseSiteContent(content); err != nil {
			return p, nil, err
		}
		vs = append(vs, v)
	}
	return p, vs, rows.Err()
}

// PublishedSitePages returns the tenant's published pages in menu order,
// as visitors see them (the site's menu).
func (db *DB) PublishedSitePages(ctx context.Context, tenantID string) ([]PublishedPage, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT v.slug, p.position, v.content FROM site_pages p
		JOIN site_page_versions v ON v.page_id = p.id AND v.version = p.published_version
		WHERE p.tenant_id = $1 AND p.published_version > 0 ORDER BY p.position, p.slug`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("published site pages: %w", err)
	}
	defer rows.Close()
	var ps []PublishedPage
	for rows.Next() {
		var p PublishedPage
		var content string
		if err := rows.Scan(&p.Slug, &p.Position, &content); err != nil {
			return nil, fmt.Errorf("published site pages: %w", err)
		}
		if p.Text, err = parseSiteContent(content); err != nil {
			return nil, err
		}
		ps = append(ps, p)
	}
	return ps, rows.Err()
}

// PublishedSitePage returns the published page at slug; ErrNotFound for a
// draft, an unpublished page or none. The slug of the published version
// counts: a draft that renames a page does not move it until published.
func (db *DB) PublishedSitePage(ctx context.Context, tenantID, slug string) (PublishedPage, error) {
	var p PublishedPage
	var content string
	err := db.sql.QueryRowContext(ctx, `SELECT v.slug, p.position, v.content FROM site_pages p
		JOIN site_page_versions v ON v.page_id = p.id AND v.version = p.published_version
		WHERE p.tenant_id = $1 AND v.slug = $2 AND p.published_version > 0`, tenantID, slug).Scan(&p.Slug, &p.Position, &content)
	if errors.Is(err, sql.ErrNoRows) {
		return p, fmt.Errorf("site page %q: %w", slug, ErrNotFound)
	}
	if err != nil {
		return p, fmt.Errorf("published site page: %w", err)
	}
	p.Text, err = parseSiteContent(content)
	return p, err
}
