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

// The kinds of site page (site_pages.kind). News items and the composed
// home page reuse the page's versions, drafts, publishing, history and
// audit; only their addresses and a few fields differ.
const (
	SiteKindPage = "page" // a content page at /{tenant}/site/{slug}
	SiteKindNews = "news" // a news item at /{tenant}/site/news/{slug}, with a date
	SiteKindHome = "home" // the composed front page at /{tenant}/, one per tenant
)

// SiteHomeSlug is the home page's slug: reserved, no editor's slug can
// take it (siteSlug refuses "_").
const SiteHomeSlug = "_home"

// SiteNewsSlug is the address of the news list under /{tenant}/site/: no
// page may take it.
const SiteNewsSlug = "news"

// SiteNewsMax is the most latest news items a home page may show.
const SiteNewsMax = 20

// SiteHome is a composed home page's layout: the featured pages (ids) in
// order and how many latest news items it shows.
type SiteHome struct {
	Featured []string `json:"featured"`
	News     int      `json:"news"`
}

// SiteDraft is what an editor saves. Kind is that of a new page ("" is a
// page); an existing page keeps its kind. Date is a news item's date as
// the editor typed it (dd.mm.jjjj or yyyy-mm-dd); Home is used by the
// home page only.
type SiteDraft struct {
	Kind     string
	Slug     string
	Position int
	Date     string
	Home     SiteHome
	Text     map[string]SiteText // by language; a language left empty is absent
}

// SitePage is a page as the editor lists it: its last saved version's text.
type SitePage struct {
	ID               string
	Kind             string
	Date             string // a news item's date, yyyy-mm-dd
	Home             SiteHome
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
	Date      string // a news item's date, yyyy-mm-dd
	Text      map[string]SiteText
	CreatedAt time.Time
	CreatedBy string // account id
}

// PublishedPage is a page as visitors see it: its published version.
type PublishedPage struct {
	Slug        string
	Position    int
	Date        string // a news item's date, yyyy-mm-dd
	Home        SiteHome
	PublishedAt time.Time
	Text        map[string]SiteText
}

// Fields of the site page form, as SiteValidationError names them; the
// texts' fields are "<lang>.title", "<lang>.summary", "<lang>.body".
const (
	SiteFieldSlug     = "slug"
	SiteFieldPosition = "position"
	SiteFieldDate     = "date"     // a news item's date
	SiteFieldFeatured = "featured" // the home page's featured pages
	SiteFieldNews     = "news"     // how many news items the home page shows
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
	fs := []string{SiteFieldSlug, SiteFieldPosition, SiteFieldDate, SiteFieldFeatured, SiteFieldNews}
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

// parseNewsDate reads a news item's date as people type it in Belgium
// (dd.mm.jjjj, also d.m.jjjj and dd/mm/jjjj) or as a date control sends it
// (yyyy-mm-dd); false when it is not a real date.
func parseNewsDate(s string) (string, bool) {
	for _, layout := range []string{"2.1.2006", "2/1/2006", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil && t.Year() >= 1900 && t.Year() <= 9999 {
			return t.Format("2006-01-02"), true
		}
	}
	return "", false
}

func (d SiteDraft) normalize() SiteDraft {
	out := SiteDraft{Kind: d.Kind, Slug: strings.ToLower(strings.TrimSpace(d.Slug)), Position: d.Position,
		Date: strings.TrimSpace(d.Date), Text: map[string]SiteText{}}
	if out.Kind == "" {
		out.Kind = SiteKindPage
	}
	if iso, ok := parseNewsDate(out.Date); ok {
		out.Date = iso
	}
	switch out.Kind {
	case SiteKindHome:
		out.Slug, out.Position, out.Date = SiteHomeSlug, 0, ""
		out.Home.News = d.Home.News
		seen := map[string]bool{}
		for _, id := range d.Home.Featured {
			if id = strings.TrimSpace(id); id != "" && !seen[id] {
				seen[id] = true
				out.Home.Featured = append(out.Home.Featured, id)
			}
		}
	case SiteKindNews:
		out.Position = 0
	default:
		out.Date = ""
	}
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
	home := d.Kind == SiteKindHome
	switch {
	case home:
	case d.Slug == "":
		add(SiteFieldSlug, "site.err.slug_required")
	case !siteSlug.MatchString(d.Slug):
		add(SiteFieldSlug, "site.err.slug_format")
	case d.Kind == SiteKindPage && d.Slug == SiteNewsSlug:
		add(SiteFieldSlug, "news.err.slug_reserved", SiteNewsSlug)
	}
	if d.Position < 0 || d.Position > 999 {
		add(SiteFieldPosition, "site.err.position", 0, 999)
	}
	if d.Kind == SiteKindNews {
		if d.Date == "" {
			add(SiteFieldDate, "news.err.date_required")
		} else if _, ok := parseNewsDate(d.Date); !ok {
			add(SiteFieldDate, "news.err.date_format")
		}
	}
	if home && (d.Home.News < 0 || d.Home.News > SiteNewsMax) {
		add(SiteFieldNews, "sitehome.err.news", 0, SiteNewsMax)
	}
	if _, ok := d.Text[defaultLang]; !ok && !home {
		add(defaultLang+".title", "site.err.title_default_lang")
	}
	for _, l := range SiteLangs {
		t, ok := d.Text[l]
		if !ok {
			continue
		}
		switch {
		case home && t.Title == "":
			// The home page's heading is the organisation's name: its
			// intro needs no title of its own.
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

// sitePath is where visitors find a page of kind at slug, below
// /{tenant}: the audit event's purpose and the analytics path.
func sitePath(kind, slug string) string {
	switch kind {
	case SiteKindNews:
		return "/site/news/" + slug
	case SiteKindHome:
		return "/"
	}
	return "/site/" + slug
}

// checkFeatured adds a problem for each featured id that is not a content
// page of the tenant (a news item, the home page or none).
func (tx *Tx) checkFeatured(tenantID string, d SiteDraft, verr *SiteValidationError) (*SiteValidationError, error) {
	for _, id := range d.Home.Featured {
		var kind string
		err := tx.queryRow(`SELECT kind FROM site_pages WHERE tenant_id = $1 AND id = $2`, tenantID, id).Scan(&kind)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return verr, err
		}
		if err == nil && kind == SiteKindPage {
			continue
		}
		if verr == nil {
			verr = &SiteValidationError{Fields: map[string][]SiteProblem{}}
		}
		verr.Fields[SiteFieldFeatured] = append(verr.Fields[SiteFieldFeatured], SiteProblem{Key: "sitehome.err.featured_unknown"})
		break
	}
	return verr, nil
}

// SaveSitePage saves d as a new version of the page pageID ("" creates
// one of d.Kind; an existing page keeps its kind) and records
// "site.<kind>.save" in the same transaction. base is the version the
// editor started from (0 for a new page): when another version was saved
// since, nothing is saved and ErrConflict returned; a second home page is
// an ErrConflict too. Bad input (an unsafe body, a taken or malformed
// slug, a missing title, a news item without a date or with one that is
// not a date, a featured page that is not a page) returns a
// *SiteValidationError naming every field, and nothing is saved. The
// handler checks that actor may edit the site.
func (db *DB) SaveSitePage(ctx context.Context, actor audit.Actor, tenantID, pageID string, d SiteDraft, base int) (string, int, error) {
	var version int
	err := db.write(ctx, func(tx *Tx) error {
		if err := tx.lockTenant(tenantID); err != nil {
			return err
		}
		if pageID != "" {
			err := tx.queryRow(`SELECT kind FROM site_pages WHERE tenant_id = $1 AND id = $2`, tenantID, pageID).Scan(&d.Kind)
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("site page %q: %w", pageID, ErrNotFound)
			}
			if err != nil {
				return err
			}
		}
		d = d.normalize()
		lang, err := tx.tenantLang(tenantID)
		if err != nil {
			return err
		}
		verr := d.validate(lang, false)
		if verr, err = tx.checkFeatured(tenantID, d, verr); err != nil {
			return err
		}
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
			if d.Kind == SiteKindHome {
				return fmt.Errorf("a second home page: %w", ErrConflict)
			}
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
		var home string
		if d.Kind == SiteKindHome {
			b, err := json.Marshal(d.Home)
			if err != nil {
				return err
			}
			home = string(b)
		}
		now := micros(db.now())
		if pageID == "" {
			if base != 0 {
				return fmt.Errorf("a new page edited from version %d: %w", base, ErrConflict)
			}
			pageID, version = newID(db.now()), 1
			_, err = tx.exec(`INSERT INTO site_pages (id, tenant_id, kind, slug, position, version, published_version, created_at, updated_at, updated_by)
				VALUES ($1, $2, $3, $4, $5, 1, 0, $6, $6, $7)`, pageID, tenantID, d.Kind, d.Slug, d.Position, now, actor.ID)
		} else {
			var cur int
			if err := tx.queryRow(`SELECT version FROM site_pages WHERE tenant_id = $1 AND id = $2`, tenantID, pageID).Scan(&cur); err != nil {
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
		if _, err := tx.exec(`INSERT INTO site_page_versions (tenant_id, page_id, version, slug, content, news_date, home, created_at, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, tenantID, pageID, version, d.Slug, content, d.Date, home, now, actor.ID); err != nil {
			return err
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "site." + d.Kind + ".save", ObjectType: "site_page",
			ObjectID: fmt.Sprintf("%d %s", version, pageID), Outcome: audit.OutcomeSuccess, Purpose: sitePath(d.Kind, d.Slug)})
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
// published) and records "site.<kind>.publish", in one transaction. The
// version must pass the publish checks (heading order, WCAG 1.3.1; a home
// page's featured pages still pages): a *SiteValidationError otherwise,
// and nothing changes.
func (db *DB) PublishSitePage(ctx context.Context, actor audit.Actor, tenantID, pageID string, version int) error {
	err := db.write(ctx, func(tx *Tx) error {
		lang, err := tx.tenantLang(tenantID)
		if err != nil {
			return err
		}
		var kind, slug, content, date, home string
		var position int
		err = tx.queryRow(`SELECT p.kind, v.slug, v.content, v.news_date, v.home, p.position FROM site_page_versions v JOIN site_pages p ON p.id = v.page_id
			WHERE v.tenant_id = $1 AND v.page_id = $2 AND v.version = $3`, tenantID, pageID, version).Scan(&kind, &slug, &content, &date, &home, &position)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("site page %q version %d: %w", pageID, version, ErrNotFound)
		}
		if err != nil {
			return err
		}
		d := SiteDraft{Kind: kind, Slug: slug, Position: position, Date: date}
		if d.Text, err = parseSiteContent(content); err != nil {
			return err
		}
		if d.Home, err = parseSiteHome(home); err != nil {
			return err
		}
		verr := d.validate(lang, true)
		if verr, err = tx.checkFeatured(tenantID, d, verr); err != nil {
			return err
		}
		if verr != nil {
			return verr
		}
		if _, err := tx.exec(`UPDATE site_pages SET published_version = $3, published_at = $4 WHERE tenant_id = $1 AND id = $2`,
			tenantID, pageID, version, micros(db.now())); err != nil {
			return err
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "site." + kind + ".publish", ObjectType: "site_page",
			ObjectID: fmt.Sprintf("%d %s", version, pageID), Outcome: audit.OutcomeSuccess, Purpose: sitePath(kind, slug)})
	})
	var verr *SiteValidationError
	if err != nil && !errors.As(err, &verr) && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("publish site page: %w", err)
	}
	return err
}

// UnpublishSitePage takes the page off the site (it becomes a draft
// again; its versions stay) and records "site.<kind>.unpublish". Nothing
// happens, and nothing is audited, when it was not published.
func (db *DB) UnpublishSitePage(ctx context.Context, actor audit.Actor, tenantID, pageID string) error {
	err := db.write(ctx, func(tx *Tx) error {
		var kind, slug string
		var published int
		err := tx.queryRow(`SELECT kind, slug, published_version FROM site_pages WHERE tenant_id = $1 AND id = $2`, tenantID, pageID).Scan(&kind, &slug, &published)
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
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "site." + kind + ".unpublish", ObjectType: "site_page",
			ObjectID: fmt.Sprintf("%d %s", published, pageID), Outcome: audit.OutcomeSuccess, Purpose: sitePath(kind, slug)})
	})
	if err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("unpublish site page: %w", err)
	}
	return err
}

func parseSiteHome(s string) (SiteHome, error) {
	var h SiteHome
	if s == "" {
		return h, nil
	}
	if err := json.Unmarshal([]byte(s), &h); err != nil {
		return h, fmt.Errorf("site home layout: %w", err)
	}
	return h, nil
}

const sitePageColumns = `p.id, p.kind, p.slug, p.position, p.version, p.published_version, p.published_at, p.updated_at, p.updated_by, v.content, v.news_date, v.home`

func scanSitePage(row interface{ Scan(...any) error }) (SitePage, error) {
	var p SitePage
	var pub sql.NullInt64
	var at int64
	var content, home string
	if err := row.Scan(&p.ID, &p.Kind, &p.Slug, &p.Position, &p.Version, &p.PublishedVersion, &pub, &at, &p.UpdatedBy, &content, &p.Date, &home); err != nil {
		return p, err
	}
	if pub.Valid {
		p.PublishedAt = fromMicros(pub.Int64)
	}
	p.UpdatedAt = fromMicros(at)
	var err error
	if p.Text, err = parseSiteContent(content); err != nil {
		return p, err
	}
	p.Home, err = parseSiteHome(home)
	return p, err
}

// SitePages lists the tenant's content pages for the editor, in menu
// order, each with its last saved text. Site content is public, so the
// list is not audited.
func (db *DB) SitePages(ctx context.Context, tenantID string) ([]SitePage, error) {
	return db.sitePagesOf(ctx, tenantID, SiteKindPage)
}

// SiteNews lists the tenant's news items for the editor, newest first,
// each with its last saved text (not audited: public content).
func (db *DB) SiteNews(ctx context.Context, tenantID string) ([]SitePage, error) {
	return db.sitePagesOf(ctx, tenantID, SiteKindNews)
}

func (db *DB) sitePagesOf(ctx context.Context, tenantID, kind string) ([]SitePage, error) {
	order := `p.position, p.slug`
	if kind == SiteKindNews {
		order = `v.news_date DESC, p.created_at DESC`
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT `+sitePageColumns+` FROM site_pages p
		JOIN site_page_versions v ON v.page_id = p.id AND v.version = p.version
		WHERE p.tenant_id = $1 AND p.kind = $2 ORDER BY `+order, tenantID, kind)
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

// SiteHomePage returns the tenant's home page (its id), ErrNotFound when
// none was ever saved.
func (db *DB) SiteHomePage(ctx context.Context, tenantID string) (string, error) {
	var id string
	err := db.sql.QueryRowContext(ctx, `SELECT id FROM site_pages WHERE tenant_id = $1 AND kind = $2`, tenantID, SiteKindHome).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("site home page: %w", ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("site home page: %w", err)
	}
	return id, nil
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
	rows, err := db.sql.QueryContext(ctx, `SELECT version, slug, news_date, content, created_at, created_by FROM site_page_versions
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
		if err := rows.Scan(&v.Version, &v.Slug, &v.Date, &content, &at, &v.CreatedBy); err != nil {
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

const publishedColumns = `v.slug, p.position, v.news_date, v.home, p.published_at, v.content`

const publishedFrom = ` FROM site_pages p
	JOIN site_page_versions v ON v.page_id = p.id AND v.version = p.published_version
	WHERE p.tenant_id = $1 AND p.kind = $2 AND p.published_version > 0`

func scanPublished(row interface{ Scan(...any) error }) (PublishedPage, error) {
	var p PublishedPage
	var content, home string
	var at sql.NullInt64
	if err := row.Scan(&p.Slug, &p.Position, &p.Date, &home, &at, &content); err != nil {
		return p, err
	}
	if at.Valid {
		p.PublishedAt = fromMicros(at.Int64)
	}
	var err error
	if p.Text, err = parseSiteContent(content); err != nil {
		return p, err
	}
	p.Home, err = parseSiteHome(home)
	return p, err
}

func (db *DB) publishedList(ctx context.Context, query string, args ...any) ([]PublishedPage, error) {
	rows, err := db.sql.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ps []PublishedPage
	for rows.Next() {
		p, err := scanPublished(rows)
		if err != nil {
			return nil, err
		}
		ps = append(ps, p)
	}
	return ps, rows.Err()
}

// PublishedSitePages returns the tenant's published content pages in menu
// order, as visitors see them (the site's menu).
func (db *DB) PublishedSitePages(ctx context.Context, tenantID string) ([]PublishedPage, error) {
	ps, err := db.publishedList(ctx, `SELECT `+publishedColumns+publishedFrom+` ORDER BY p.position, p.slug`, tenantID, SiteKindPage)
	if err != nil {
		return nil, fmt.Errorf("published site pages: %w", err)
	}
	return ps, nil
}

// PublishedSitePagesByID returns the published content pages among ids,
// in the order of ids (a home page's featured pages); a draft, an
// unpublished page or none is left out.
func (db *DB) PublishedSitePagesByID(ctx context.Context, tenantID string, ids []string) ([]PublishedPage, error) {
	var out []PublishedPage
	for _, id := range ids {
		p, err := scanPublished(db.sql.QueryRowContext(ctx, `SELECT `+publishedColumns+publishedFrom+` AND p.id = $3`, tenantID, SiteKindPage, id))
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("featured site page: %w", err)
		}
		out = append(out, p)
	}
	return out, nil
}

// PublishedNews returns a page of the tenant's published news items,
// newest first (by their date, then by when they were published), from
// offset, at most limit, and how many there are in all.
func (db *DB) PublishedNews(ctx context.Context, tenantID string, offset, limit int) ([]PublishedPage, int, error) {
	var total int
	if err := db.sql.QueryRowContext(ctx, `SELECT COUNT(*)`+publishedFrom, tenantID, SiteKindNews).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("published news: %w", err)
	}
	ps, err := db.publishedList(ctx, `SELECT `+publishedColumns+publishedFrom+` ORDER BY v.news_date DESC, p.published_at DESC, p.id
		LIMIT $3 OFFSET $4`, tenantID, SiteKindNews, limit, offset)
	if err != nil {
		return nil, 0, fmt.Errorf("published news: %w", err)
	}
	return ps, total, nil
}

// PublishedSitePage returns the published content page at slug;
// ErrNotFound for a draft, an unpublished page or none. The slug of the
// published version counts: a draft that renames a page does not move it
// until published.
func (db *DB) PublishedSitePage(ctx context.Context, tenantID, slug string) (PublishedPage, error) {
	return db.PublishedSiteItem(ctx, tenantID, SiteKindPage, slug)
}

// PublishedHome returns the tenant's published home page; ErrNotFound
// when there is none (the front page then stays the list of forms).
func (db *DB) PublishedHome(ctx context.Context, tenantID string) (PublishedPage, error) {
	return db.PublishedSiteItem(ctx, tenantID, SiteKindHome, SiteHomeSlug)
}

// PublishedSiteItem returns the published page of kind at slug, as
// PublishedSitePage does for content pages.
func (db *DB) PublishedSiteItem(ctx context.Context, tenantID, kind, slug string) (PublishedPage, error) {
	p, err := scanPublished(db.sql.QueryRowContext(ctx, `SELECT `+publishedColumns+publishedFrom+` AND v.slug = $3`, tenantID, kind, slug))
	if errors.Is(err, sql.ErrNoRows) {
		return p, fmt.Errorf("site page %q: %w", slug, ErrNotFound)
	}
	if err != nil {
		return p, fmt.Errorf("published site page: %w", err)
	}
	return p, nil
}
