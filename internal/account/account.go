// Package account owns who may do what in a tenant: the roles, the
// permission table, users and their lifecycle (invited → active → disabled
// → removed), and the rules for invitation tokens. It is pure Go: standard
// library only, no I/O. The store persists accounts; web and api enforce
// the permission table through Can.
package account

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/mail"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Role is a tenant user's level of rights (contract USR-5: at least
// administrator and user, by level of use and decision).
type Role string

// The tenant roles. Supplier staff (operators) are not tenant users: they
// live in a separate realm and reach tenant data only under a grant.
const (
	RoleAdmin Role = "admin" // beheerder: manages users, register, settings
	RoleUser  Role = "user"  // medewerker: handles submissions of the forms granted
	RoleDPO   Role = "dpo"   // functionaris gegevensbescherming: reads register, audit log, requests
	// RoleSupport is never stored: it is the role a supplier operator has
	// on a controller's pages while the controller's time-boxed grant runs
	// (read-only help: the users and the register, no submissions).
	RoleSupport Role = "support"
)

// Roles lists the tenant roles in display order.
var Roles = []Role{RoleAdmin, RoleUser, RoleDPO}

// ParseRole accepts a role name (also the Dutch names beheerder,
// medewerker and dpo).
func ParseRole(s string) (Role, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "admin", "beheerder":
		return RoleAdmin, true
	case "user", "medewerker":
		return RoleUser, true
	case "dpo":
		return RoleDPO, true
	}
	return "", false
}

// RequiresMFA reports whether the role must use a second factor (USR-2):
// admins and DPOs always; users when the tenant says so.
func (r Role) RequiresMFA(tenantRequiresAll bool) bool {
	return r == RoleAdmin || r == RoleDPO || tenantRequiresAll
}

// Permission is one thing a tenant user may do.
type Permission string

// The permissions. Each handler checks exactly one of them (and the tenant).
const (
	ManageUsers       Permission = "users.manage"       // invite, change role, disable, remove, unlock, reset MFA
	ViewUsers         Permission = "users.view"         // list users, last login, sessions
	EditRegister      Permission = "register.edit"      // processing register, retention
	ViewRegister      Permission = "register.view"      //
	EditForms         Permission = "forms.edit"         // form builder, publish
	ViewForms         Permission = "forms.view"         // form definitions, versions and publish checklist
	HandleSubmissions Permission = "submissions.handle" // inbox: read, handle, export (per form grants on top)
	ViewAudit         Permission = "audit.view"         // the tenant's audit log, including supplier actions
	HandleRequests    Permission = "requests.handle"    // data-subject requests (approve, refuse, execute: DSR-2), breaches
	ViewRequests      Permission = "requests.view"      //
	FileRequests      Permission = "requests.file"      // file a data-subject request on a citizen's behalf
	EditSettings      Permission = "settings.edit"      // tenant policy: passwords, lockout, sessions, MFA for all
	ViewSettings      Permission = "settings.view"      // read the tenant policy
	ManageOwnAccount  Permission = "account.own"        // own password, MFA, sessions
	// EditSite: write, preview, publish and take offline the public site's
	// pages and images. Admins have it by role; any other user has it when
	// an admin made them a site editor (User.SiteEditor, see UserCan).
	EditSite Permission = "site.edit"
	// ViewAnalytics: the visitor statistics of the public pages (counts
	// only, no visitor identifier): admins, the DPO and site editors.
	ViewAnalytics Permission = "analytics.view"
	// LookupRegister: check a citizen's data against the national register
	// (Rijksregister, through MAGDA) from a submission. No role carries it:
	// the register's authorisation names the people who may consult it, so
	// an admin grants it per person (User.RegisterLookup, see UserCan), and
	// only to someone who handles submissions (REG-4, ORG-6).
	LookupRegister Permission = "register.lookup"
)

// permissions is the permission table: which role may do what. It is the
// one place this is decided (ORG-6: nobody reaches data they do not need).
// A DPO reads the register, the audit log and the requests but handles no
// submissions and changes nothing but their own account.
var permissions = map[Role]map[Permission]bool{
	RoleAdmin: set(ManageUsers, ViewUsers, EditRegister, ViewRegister, EditForms, ViewForms, HandleSubmissions, ViewAudit,
		HandleRequests, ViewRequests, FileRequests, EditSettings, ViewSettings, ManageOwnAccount, EditSite, ViewAnalytics),
	// A civil servant files a citizen's request at the counter; only the
	// controller (admin, DPO) decides on it (DSR-2).
	RoleUser: set(ViewRegister, HandleSubmissions, FileRequests, ManageOwnAccount),
	// The DPO keeps the processing register (REG-1: annex 1 is the
	// controller's instruction, and the DPO is who maintains it).
	// The DPO decides on data-subject requests for the controller (DSR-2).
	RoleDPO: set(EditRegister, ViewRegister, ViewForms, ViewAudit, HandleRequests, ViewRequests, FileRequests, ViewUsers, ViewSettings,
		ManageOwnAccount, ViewAnalytics),
	// A granted operator reads what support needs, changes nothing and,
	// not being a tenant user, has no own account here either. A
	// data-subject request that reaches the supplier is filed here, which
	// reports it to the controller at once (DSR-2); only the controller
	// decides on it.
	RoleSupport: set(ViewUsers, ViewRegister, FileRequests),
}

func set(ps ...Permission) map[Permission]bool {
	m := make(map[Permission]bool, len(ps))
	for _, p := range ps {
		m[p] = true
	}
	return m
}

// Can reports whether role has permission p. An unknown role has none.
func Can(role Role, p Permission) bool { return permissions[role][p] }

// editorPermissions are what the site-editor permission adds to a user's
// role: writing the public site and reading its visitor statistics.
var editorPermissions = set(EditSite, ViewAnalytics)

// UserCan reports whether u may do p: by u's role, or, for EditSite and
// ViewAnalytics, because an admin made u a site editor (USR-5: rights by
// level of use, without a role per combination). A supplier operator
// (RoleSupport) never edits the site, whatever the flag.
func UserCan(u User, p Permission) bool {
	if Can(u.Role, p) {
		return true
	}
	if p == LookupRegister {
		return u.RegisterLookup && Can(u.Role, HandleSubmissions)
	}
	return u.SiteEditor && u.Role != RoleSupport && editorPermissions[p] && permissions[u.Role] != nil
}

// NeedsMFA reports whether u must use a second factor (USR-2): by role
// (RequiresMFA), and always for a site editor, who publishes on the
// organisation's public website in its name, an impact like an admin's.
func (u User) NeedsMFA(tenantRequiresAll bool) bool {
	return u.Role.RequiresMFA(tenantRequiresAll) || (u.SiteEditor && u.Role != RoleSupport)
}

// AllPermissions lists every permission, for the documented table.
func AllPermissions() []Permission {
	return []Permission{ManageUsers, ViewUsers, EditRegister, ViewRegister, EditForms, ViewForms, HandleSubmissions, ViewAudit,
		HandleRequests, ViewRequests, FileRequests, EditSettings, ViewSettings, ManageOwnAccount, EditSite, ViewAnalytics, LookupRegister}
}

// Status of a user account.
const (
	StatusInvited  = "invited"  // invitation sent, not yet activated
	StatusActive   = "active"   //
	StatusDisabled = "disabled" // cannot log in; sessions ended
	// StatusRemoved: removed by an admin (USR-1). The row stays for the
	// audit trail; name and address are erased and the user is shown by
	// Pseudonym only.
	StatusRemoved = "removed"
)

// Pseudonym is how a removed user is shown: four hex digits derived from
// the user id ("7F3A"), stable, and telling nothing about the person.
// Pages put it in a localized phrase ("Verwijderde gebruiker 7F3A").
func Pseudonym(userID string) string {
	s := sha256.Sum256([]byte("kluis/user-pseudonym/v1\x00" + userID))
	return strings.ToUpper(hex.EncodeToString(s[:2]))
}

// User is a tenant user. Email and Name are personal data: the store seals
// them and finds users by a blind index of the normalised e-mail address.
type User struct {
	ID       string
	TenantID string
	Email    string
	Name     string
	Role     Role
	// SiteEditor: an admin gave this user the site-editor permission
	// (EditSite and ViewAnalytics on top of their role, see UserCan).
	SiteEditor bool
	// RegisterLookup: an admin authorised this user to consult the national
	// register from a submission (LookupRegister, see UserCan).
	RegisterLookup bool
	Status         string
	Lang           string
	CreatedAt      time.Time
	LastLoginAt    *time.Time
	// Unreadable: the sealed name and address did not open (damaged, key
	// missing); a list shows the user without them rather than failing.
	Unreadable bool
	// OnBehalfOf is, for a supplier operator on a controller's pages (role
	// support, never stored), the id of the controller's grant or of the
	// maintenance notice they act under (AUD-4); their audit events carry it.
	OnBehalfOf string
}

// Invite is the input for inviting a user.
type Invite struct {
	Email string
	Name  string
	Role  Role
	Lang  string
	// Department is a supplier operator's unit, shown to every controller
	// on its staff list (AUD-5); empty for a controller's users.
	Department string
}

// ValidationError maps a field to a message key.
type ValidationError struct{ Fields map[string]string }

func (e *ValidationError) Error() string {
	var parts []string
	for _, f := range []string{"email", "name", "role", "lang", "department"} {
		if m, ok := e.Fields[f]; ok {
			parts = append(parts, f+": "+m)
		}
	}
	return "invalid user: " + strings.Join(parts, "; ")
}

// NormalizeEmail lower-cases and trims an address for matching. The
// address as typed is kept for display.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// Normalize trims the input.
func (in Invite) Normalize() Invite {
	in.Email = strings.TrimSpace(in.Email)
	in.Name = strings.TrimSpace(in.Name)
	in.Lang = strings.ToLower(strings.TrimSpace(in.Lang))
	in.Department = strings.TrimSpace(in.Department)
	if in.Lang == "" {
		in.Lang = "nl"
	}
	return in
}

// ValidEmail reports whether s is one bare e-mail address (no display
// name, no surrounding spaces) of at most 254 characters.
func ValidEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && len(s) <= 254
}

// Validate checks every field and reports all problems at once.
func (in Invite) Validate() error {
	f := map[string]string{}
	if in.Email == "" {
		f["email"] = "is required"
	} else if !ValidEmail(in.Email) {
		f["email"] = "is not a valid e-mail address"
	}
	if in.Name == "" {
		f["name"] = "is required"
	} else if len(in.Name) > 200 {
		f["name"] = "is longer than 200 characters"
	}
	if !slices.Contains(Roles, in.Role) {
		f["role"] = "must be admin, user or dpo"
	}
	switch in.Lang {
	case "nl", "fr", "en":
	default:
		f["lang"] = "must be nl, fr or en"
	}
	if msg := DepartmentProblem(in.Department); msg != "" {
		f["department"] = msg
	}
	if len(f) > 0 {
		return &ValidationError{Fields: f}
	}
	return nil
}

// DepartmentProblem says what is wrong with an operator's department ("" when
// nothing): at most 100 characters on one line.
func DepartmentProblem(d string) string {
	if utf8.RuneCountInString(d) > 100 || strings.ContainsAny(d, "\r\n\t") {
		return "must be one line of at most 100 characters"
	}
	return ""
}

// InvitationTTL is how long an activation link stays valid.
const InvitationTTL = 24 * time.Hour

// Token is a single-use secret handed to a person in a link (activation,
// password reset). Only its hash is stored.
type Token struct {
	Plain string // base64url, 43 characters; shown once
	Hash  []byte // SHA-256 of Plain; what the database keeps
}

// NewToken returns a fresh 256-bit token.
func NewToken() (Token, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return Token{}, err
	}
	plain := base64.RawURLEncoding.EncodeToString(b[:])
	return Token{Plain: plain, Hash: HashToken(plain)}, nil
}

// HashToken is how a presented token is looked up.
func HashToken(plain string) []byte {
	s := sha256.Sum256([]byte("kluis/token/v1\x00" + plain))
	return s[:]
}

// ErrTokenInvalid covers unknown, used and expired tokens alike, so a link
// tells nothing about why it no longer works.
var ErrTokenInvalid = errors.New("link is invalid, used or expired")

// PermissionTable renders the permission table as Markdown, the form in
// which docs/permissions.md documents it (a test keeps the two equal).
func PermissionTable() string {
	var b strings.Builder
	roles := append(slices.Clone(Roles), RoleSupport)
	b.WriteString("| Permission |")
	for _, r := range roles {
		b.WriteString(" " + string(r) + " |")
	}
	b.WriteString("\n|---|")
	for range roles {
		b.WriteString(":-:|")
	}
	b.WriteString("\n")
	for _, p := range AllPermissions() {
		b.WriteString("| `" + string(p) + "` |")
		for _, r := range roles {
			if Can(r, p) {
				b.WriteString(" yes |")
			} else {
				b.WriteString(" – |")
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}
