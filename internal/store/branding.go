package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/brand"
	"github.com/kluis/kluis/internal/locale"
)

// Branding is a tenant's stored look, without the logo's bytes.
type Branding struct {
	brand.Settings
	// LogoType is brand.TypePNG, brand.TypeSVG or "" (no logo); LogoHash
	// versions the logo's URL and is its ETag.
	LogoType, LogoHash string
	// Version counts the changes; 0 when the tenant has set nothing.
	Version   int
	UpdatedAt time.Time
}

// LogoChange says what SetBranding does with the logo: keep it (the zero
// value), remove it, or replace it with New.
type LogoChange struct {
	Remove bool
	New    *brand.Logo
}

const brandingColumns = `version, name, accent, address, phone, email, website, hours, logo_type, logo_hash, updated_at`

func scanBranding(row interface{ Scan(...any) error }) (Branding, error) {
	var b Branding
	var at int64
	c := &b.Contact
	if err := row.Scan(&b.Version, &b.Name, &b.Accent, &c.Address, &c.Phone, &c.Email, &c.Website, &c.Hours,
		&b.LogoType, &b.LogoHash, &at); err != nil {
		return b, err
	}
	b.UpdatedAt = fromMicros(at)
	return b, nil
}

// Branding returns the tenant's look; the zero Branding (version 0) when
// it has set none, also for an unknown tenant. It holds no personal data,
// so reading it is not audited.
func (db *DB) Branding(ctx context.Context, tenantID string) (Branding, error) {
	b, err := scanBranding(db.sql.QueryRowContext(ctx, `SELECT `+brandingColumns+` FROM tenant_branding WHERE tenant_id = $1`, tenantID))
	if errors.Is(err, sql.ErrNoRows) {
		return Branding{}, nil
	}
	if err != nil {
		return Branding{}, fmt.Errorf("branding: %w", err)
	}
	return b, nil
}

// BrandingLogo returns the tenant's logo; ErrNotFound when it has none.
func (db *DB) BrandingLogo(ctx context.Context, tenantID string) (brand.Logo, string, error) {
	var l brand.Logo
	var hash string
	err := db.sql.QueryRowContext(ctx, `SELECT logo_type, logo_hash, logo FROM tenant_branding
		WHERE tenant_id = $1 AND logo_type <> ''`, tenantID).Scan(&l.Type, &hash, &l.Data)
	if errors.Is(err, sql.ErrNoRows) {
		return l, "", fmt.Errorf("logo of tenant %q: %w", tenantID, ErrNotFound)
	}
	if err != nil {
		return l, "", fmt.Errorf("branding logo: %w", err)
	}
	return l, hash, nil
}

// logoHash is the short content hash that versions a logo's URL.
func logoHash(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:8])
}

// SetBranding stores the tenant's look and records "branding.update" with
// the names of the fields changed in the tenant's audit log, in one
// transaction. s is normalised and validated first: a
// *brand.ValidationError names every bad field and nothing is saved. A
// new logo must come from brand.ParseLogo. base is the version the change
// was made from: when another change was stored since, nothing is saved
// and ErrConflict returned. ErrNotFound for an unknown tenant. It returns
// the version after the call (unchanged when nothing changed). The handler
// checks that actor may edit settings.
func (db *DB) SetBranding(ctx context.Context, actor audit.Actor, tenantID string, s brand.Settings, logo LogoChange, base int) (int, error) {
	s = s.Normalize()
	if err := s.Validate(); err != nil {
		return 0, err
	}
	if logo.New != nil && (logo.New.Type != brand.TypePNG && logo.New.Type != brand.TypeSVG || len(logo.New.Data) == 0) {
		return 0, errors.New("set branding: the logo was not checked by brand.ParseLogo")
	}
	var version int
	err := db.write(ctx, func(tx *Tx) error {
		if err := tx.lockTenant(tenantID); err != nil {
			return err
		}
		old, err := scanBranding(tx.queryRow(`SELECT `+brandingColumns+` FROM tenant_branding WHERE tenant_id = $1`, tenantID))
		exists := err == nil
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		version = old.Version
		if old.Version != base {
			return fmt.Errorf("branding changed meanwhile (version %d, edited from %d): %w", old.Version, base, ErrConflict)
		}
		var changed []string
		for _, f := range []struct {
			name     string
			old, new string
		}{{brand.FieldName, old.Name, s.Name}, {brand.FieldAccent, old.Accent, s.Accent},
			{brand.FieldAddress, old.Contact.Address, s.Contact.Address}, {brand.FieldPhone, old.Contact.Phone, s.Contact.Phone},
			{brand.FieldEmail, old.Contact.Email, s.Contact.Email}, {brand.FieldWebsite, old.Contact.Website, s.Contact.Website},
			{brand.FieldHours, old.Contact.Hours, s.Contact.Hours}} {
			if f.old != f.new {
				changed = append(changed, f.name)
			}
		}
		logoType, hash := old.LogoType, old.LogoHash
		var data []byte
		logoSet := false
		switch {
		case logo.New != nil:
			logoType, hash, data, logoSet = logo.New.Type, logoHash(logo.New.Data), logo.New.Data, true
		case logo.Remove && old.LogoType != "":
			logoType, hash, logoSet = "", "", true
		}
		if logoSet && hash != old.LogoHash {
			changed = append(changed, brand.FieldLogo)
		}
		if len(changed) == 0 {
			return nil
		}
		version = old.Version + 1
		now := micros(db.now())
		c := s.Contact
		switch {
		case !exists:
			_, err = tx.exec(`INSERT INTO tenant_branding (tenant_id, version, name, accent, address, phone, email, website, hours,
				logo, logo_type, logo_hash, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
				tenantID, version, s.Name, s.Accent, c.Address, c.Phone, c.Email, c.Website, c.Hours, data, logoType, hash, now, actor.ID)
		case logoSet:
			_, err = tx.exec(`UPDATE tenant_branding SET version = $2, name = $3, accent = $4, address = $5, phone = $6, email = $7,
				website = $8, hours = $9, logo = $10, logo_type = $11, logo_hash = $12, updated_at = $13, updated_by = $14
				WHERE tenant_id = $1`,
				tenantID, version, s.Name, s.Accent, c.Address, c.Phone, c.Email, c.Website, c.Hours, data, logoType, hash, now, actor.ID)
		default:
			_, err = tx.exec(`UPDATE tenant_branding SET version = $2, name = $3, accent = $4, address = $5, phone = $6, email = $7,
				website = $8, hours = $9, updated_at = $10, updated_by = $11 WHERE tenant_id = $1`,
				tenantID, version, s.Name, s.Accent, c.Address, c.Phone, c.Email, c.Website, c.Hours, now, actor.ID)
		}
		if err != nil {
			return err
		}
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "branding.update", ObjectType: "branding",
			ObjectID: fmt.Sprint(version), Outcome: audit.OutcomeSuccess,
			Purpose: fmt.Sprintf("branding v%d: %s", version, strings.Join(changed, ", "))})
	})
	if err != nil {
		if errors.Is(err, ErrConflict) || errors.Is(err, ErrNotFound) {
			return version, err
		}
		return 0, fmt.Errorf("set branding: %w", err)
	}
	return version, nil
}

// brandingFooter is the footer mails of a controller tenant end with: the
// name shown and the contact block, labelled in the mail's language.
func (tx *Tx) brandingFooter(tenantID, lang string) (string, error) {
	var legal, realm string
	if err := tx.queryRow(`SELECT legal_name, realm FROM tenants WHERE id = $1`, tenantID).Scan(&legal, &realm); err != nil {
		return "", err
	}
	if realm != "controller" {
		return "", nil
	}
	b, err := scanBranding(tx.queryRow(`SELECT `+brandingColumns+` FROM tenant_branding WHERE tenant_id = $1`, tenantID))
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", err
	}
	return brandingMailFooter(b.Settings.Resolve(legal), lang), nil
}

// brandingMailFooter writes b as a plain-text signature block ("-- "
// line, RFC 3676), labelled in lang.
func brandingMailFooter(b brand.Brand, lang string) string {
	l, ok := locale.Parse(lang)
	if !ok {
		l = locale.NL
	}
	lines := append([]string{b.Name}, b.Contact.ContactLines(locale.T(l, "branding.contact.phone"),
		locale.T(l, "branding.contact.email"), locale.T(l, "branding.contact.website"), locale.T(l, "branding.contact.hours"))...)
	return "\n\n-- \n" + strings.Join(lines, "\n") + "\n"
}
