package web

import (
	"fmt"
	"html"
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/account"
	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/locale"
	"github.com/kluis/kluis/internal/store"
)

// The audit log read as sentences in the reader's language (AUD-1, AUD-2):
// "Jan Peeters (beheerder) opende inzending K7M4Q-2XD9P (doel: behandeling)".
// Each action's sentence comes from the registry in internal/audit and the
// catalogue; objects are named as people know them — a submission by its
// reference, a form by its title, a user by their name — and linked to
// their page where the reader may open it. Names are resolved once per page
// of events, never per row, and nothing sealed is opened for it.

// phrase is a piece of a sentence both as HTML (escaped, perhaps a link)
// and as plain text (for the CSV).
type phrase struct {
	html template.HTML
	text string
}

func plain(s string) phrase { return phrase{template.HTML(html.EscapeString(s)), s} }

func linked(s, href string) phrase {
	if href == "" {
		return plain(s)
	}
	return phrase{template.HTML(`<a href="` + html.EscapeString(href) + `">` + html.EscapeString(s) + `</a>`), s}
}

// sprintf formats a catalogue message with phrases: the message is escaped
// as text, the phrases go in as they are.
func sprintf(msg string, args ...phrase) phrase {
	h, t := make([]any, len(args)), make([]any, len(args))
	for i, a := range args {
		h[i], t[i] = string(a.html), a.text
	}
	return phrase{template.HTML(fmt.Sprintf(html.EscapeString(msg), h...)), fmt.Sprintf(msg, t...)}
}

// auditNamer names the actors and objects of one page of events for one
// reader.
type auditNamer struct {
	a        *App
	r        *http.Request
	lang     locale.Lang
	slug     string
	tenantID string
	me       account.User
	users    map[string]account.User
	subs     map[string]store.SubmissionRef
	keys     map[string]string // API key id → its name
	notices  map[string]store.NoticeWindow
}

func (n *auditNamer) t(key string, args ...any) string { return locale.T(n.lang, key, args...) }

// attachmentOf is the "(submission ID)" an attachment.read event's purpose
// ends with.
var attachmentOf = regexp.MustCompile(`^(.*) \(submission ([^ ()]+)\)$`)

// submissionIDs are the submissions the events name, for one batch look-up.
func submissionIDs(events []audit.Event) []string {
	seen := map[string]bool{}
	var ids []string
	add := func(id string) {
		if id != "" && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	for _, e := range events {
		act, _ := audit.LookupAction(e.Action)
		switch act.Object {
		case audit.NameSubmission:
			add(e.ObjectID)
		case audit.NameSubmissions:
			for i, id := range strings.Split(e.ObjectID, ",") {
				if i == maxRefsShown {
					break
				}
				add(id)
			}
		case audit.NameAttachment:
			if m := attachmentOf.FindStringSubmatch(e.Purpose); m != nil {
				add(m[2])
			}
		}
	}
	return ids
}

// maxRefsShown is how many references a list event shows.
const maxRefsShown = 5

func (n *auditNamer) role(role string) string {
	if role != "" && locale.Has(n.lang, "role."+role) {
		return n.t("role." + role)
	}
	return ""
}

// user names a user of the tenant, linked to their page for a reader who
// manages users.
func (n *auditNamer) user(id string) phrase {
	u, ok := n.users[id]
	if !ok {
		if id == "" || id == "anonymous" {
			return plain(n.t("auditlog.obj.unknown_account"))
		}
		return plain(n.t("auditlog.obj.user_unknown"))
	}
	u = n.a.showName(n.r, u)
	href := ""
	if account.Can(n.me.Role, account.ManageUsers) {
		href = "/" + n.slug + "/admin/users/" + url.PathEscape(id)
	}
	return linked(u.Name, href)
}

func (n *auditNamer) actor(a audit.Actor) phrase {
	switch a.Kind {
	case audit.KindUser:
		if _, ok := n.users[a.ID]; !ok {
			if a.ID == "anonymous" {
				return plain(n.t("auditlog.actor.someone"))
			}
			return plain(n.t("auditlog.actor.user"))
		}
		p := n.user(a.ID)
		if role := n.role(a.Role); role != "" {
			return sprintf(n.t("auditlog.actor.with_role"), p, plain(role))
		}
		return p
	case audit.KindOperator:
		if w, ok := n.notices[a.OnBehalfOf]; ok {
			return plain(n.t("auditlog.actor.operator_notice", datetime(w.StartsAt), datetime(w.EndsAt)))
		}
		if a.OnBehalfOf != "" {
			return plain(n.t("auditlog.actor.operator_grant"))
		}
		return plain(n.t("auditlog.actor.operator"))
	case audit.KindAPIKey:
		if name, ok := n.keys[a.ID]; ok {
			return sprintf(n.t("auditlog.actor.apikey_named"), plain(name))
		}
		return plain(n.t("auditlog.actor.apikey"))
	case audit.KindCitizen:
		return plain(n.t("auditlog.actor.citizen"))
	}
	return plain(n.t("auditlog.actor.system"))
}

func (n *auditNamer) submission(id string) phrase {
	if id == "" {
		// A refused look-up names no submission (none matched).
		return plain(n.t("auditlog.obj.submission_none"))
	}
	ref, ok := n.subs[id]
	if !ok {
		return plain(n.t("auditlog.obj.submission_gone"))
	}
	label := ref.Reference
	if label == "" {
		label = id
	}
	href := ""
	if ref.Visible && account.Can(n.me.Role, account.HandleSubmissions) {
		href = "/" + n.slug + "/inbox/submissions/" + url.PathEscape(id)
	}
	return linked(label, href)
}

func (n *auditNamer) form(key string) phrase {
	if key == "" {
		return plain(n.t("auditlog.obj.form_unknown"))
	}
	href := ""
	if account.Can(n.me.Role, account.ViewForms) {
		href = "/" + n.slug + "/admin/forms/" + url.PathEscape(key)
	}
	return linked(n.a.formTitle(n.r, n.tenantID, key), href)
}

var leadingNumber = regexp.MustCompile(`^\d+(-\d+)?`)

func (n *auditNamer) object(act audit.Action, e audit.Event) phrase {
	switch act.Object {
	case audit.NameSubmission:
		return n.submission(e.ObjectID)
	case audit.NameSubmissions:
		ids := strings.Split(e.ObjectID, ",")
		if e.ObjectID == "" {
			ids = nil
		}
		parts := []phrase{plain(n.t("auditlog.obj.submissions", len(ids)))}
		if len(ids) > 0 {
			var refs []string
			var texts []string
			for i, id := range ids {
				if i == maxRefsShown {
					refs, texts = append(refs, "…"), append(texts, "…")
					break
				}
				p := n.submission(id)
				refs, texts = append(refs, string(p.html)), append(texts, p.text)
			}
			parts = append(parts, phrase{template.HTML(strings.Join(refs, ", ")), strings.Join(texts, ", ")})
			return sprintf("%s: %s", parts...)
		}
		return parts[0]
	case audit.NameAttachment:
		if m := attachmentOf.FindStringSubmatch(e.Purpose); m != nil {
			return n.submission(m[2])
		}
		return plain(n.t("auditlog.obj.submission_gone"))
	case audit.NameForm:
		return n.form(e.ObjectID)
	case audit.NameUser:
		return n.user(e.ObjectID)
	case audit.NameSubjectUser:
		return n.user(e.Subject)
	case audit.NameNumber:
		if m := leadingNumber.FindString(e.ObjectID); m != "" {
			if from, to, ok := strings.Cut(m, "-"); ok && from != to {
				return plain(from + "–" + to)
			} else if ok {
				return plain(from)
			}
			return plain(m)
		}
		return plain("0")
	}
	return plain("")
}

// sentence is the event as a sentence, its details (the recorded purpose,
// translated) apart.
func (n *auditNamer) sentence(e audit.Event) (sentence, detail phrase) {
	act, ok := audit.LookupAction(e.Action)
	if !ok {
		// An event written before its code was renamed: said plainly.
		return sprintf(n.t("auditlog.action.unknown"), n.actor(e.Actor), plain(e.Action)), n.detail(e, act)
	}
	key := act.SentenceKey()
	if e.Outcome != audit.OutcomeSuccess && act.MayFail {
		key = act.NotSentenceKey()
	}
	return sprintf(n.t(key), n.actor(e.Actor), n.object(act, e)), n.detail(e, act)
}

// purposeRule turns a recorded purpose (written in English for the
// machine) into a detail in the reader's language: the key and how its
// arguments come from the match. A rule with an empty key says nothing
// beyond the sentence.
type purposeRule struct {
	re   *regexp.Regexp
	key  string
	args func(n *auditNamer, m []string) []phrase
}

func rule(re, key string, args func(n *auditNamer, m []string) []phrase) purposeRule {
	return purposeRule{regexp.MustCompile("^(?:" + re + ")$"), key, args}
}

// group returns match group i as plain text.
func group(is ...int) func(n *auditNamer, m []string) []phrase {
	return func(n *auditNamer, m []string) []phrase {
		out := make([]phrase, len(is))
		for j, i := range is {
			out[j] = plain(m[i])
		}
		return out
	}
}

func (n *auditNamer) status(s string) phrase {
	if locale.Has(n.lang, "users.status."+s) {
		return plain(n.t("users.status." + s))
	}
	return plain(s)
}

func (n *auditNamer) roleOrRaw(s string) phrase {
	if r := n.role(s); r != "" {
		return plain(r)
	}
	return plain(s)
}

func (n *auditNamer) when(s string) phrase {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return plain(datetime(t))
	}
	return plain(s)
}

// purposeRules know every purpose the code records (see the writers of
// each action); a purpose none matches is shown as recorded.
var purposeRules = []purposeRule{
	// Said by the sentence already.
	rule(`integrity|key management|register|activation|user management|onboarding|contract|operations|access review|`+
		`withdrawn|password reset|login|mfa: TOTP enrolment started|mfa: TOTP enrolled|mfa: new recovery codes|`+
		`mfa: passkey added|mfa: passkey removed|oidc: identity unlinked|session management|by owner|audit log review|`+
		`support under grant|mfa: TOTP and recovery codes removed|grant \S+|step-up|login: passkey`, "", nil),
	rule(`mfa: TOTP code|step-up: password and TOTP code`, "auditlog.detail.with_totp", nil),
	rule(`mfa: recovery code used, (\d+) left`, "auditlog.detail.codes_left", group(1)),
	rule(`step-up: password and recovery code`, "auditlog.detail.with_recovery", nil),
	rule(`step-up: password`, "auditlog.detail.with_password", nil),
	rule(`lockout: lock (\d+), until an admin unlocks`, "auditlog.detail.lock_admin", group(1)),
	rule(`lockout: lock (\d+), until (\S+)`, "auditlog.detail.lock_until",
		func(n *auditNamer, m []string) []phrase { return []phrase{plain(m[1]), n.when(m[2])} }),
	rule(`scopes ([^;]*); forms (.*)`, "auditlog.detail.api_key", func(n *auditNamer, m []string) []phrase {
		var forms []string
		var texts []string
		for _, key := range strings.Fields(m[2]) {
			f := n.form(key)
			forms, texts = append(forms, string(f.html)), append(texts, f.text)
		}
		return []phrase{plain(m[1]), {template.HTML(strings.Join(forms, ", ")), strings.Join(texts, ", ")}}
	}),
	rule(`refused (\S+): .*`, "auditlog.detail.webhook", group(1)),
	rule(`refused: .*`, "", nil),
	rule(`tenant administration`, "", nil),
	rule(`handling`, "auditlog.detail.handling", nil),
	rule(`api`, "auditlog.detail.api", nil),
	rule(`receipt`, "auditlog.detail.receipt", nil),
	rule(`inbox`, "auditlog.detail.inbox", nil),
	rule(`export`, "auditlog.detail.export", nil),
	rule(`audit log review: .*`, "auditlog.detail.filtered", nil),
	rule(`audit log download, (\d+) events(?:: .*)?`, "auditlog.detail.download", group(1)),
	rule(`audit log download up to event (\d+)(?:: .*)?`, "auditlog.detail.download_all", nil),
	rule(`citizen search, (\d+) found`, "auditlog.detail.found", group(1)),
	rule(`version (\d+)`, "auditlog.detail.version", group(1)),
	rule(`version (\d+) under register version (\d+)`, "auditlog.detail.version_register", group(1, 2)),
	rule(`form (\S+) version (\d+), register version (\d+), (\d+) attachment\(s\)`, "auditlog.detail.submitted",
		func(n *auditNamer, m []string) []phrase { return []phrase{n.form(m[1]), plain(m[2]), plain(m[4])} }),
	rule(`form (\S+)`, "auditlog.detail.form", func(n *auditNamer, m []string) []phrase { return []phrase{n.form(m[1])} }),
	rule(`export (\S+), form (\S+)`, "auditlog.detail.form", func(n *auditNamer, m []string) []phrase { return []phrase{n.form(m[2])} }),
	rule(`form (\S+); format (\w+); count (\d+); reason: (.*); ids .*`, "auditlog.detail.export_request",
		func(n *auditNamer, m []string) []phrase {
			return []phrase{n.form(m[1]), plain(strings.ToUpper(m[2])), plain(m[3]), plain(m[4])}
		}),
	rule(`rows (\d+), bytes \d+`, "auditlog.detail.rows", group(1)),
	rule(`after (.+)`, "auditlog.detail.expired", nil),
	rule(`user management \(role (\w+)\)`, "auditlog.detail.role",
		func(n *auditNamer, m []string) []phrase { return []phrase{n.roleOrRaw(m[1])} }),
	rule(`user management \(role (\w+)→(\w+)\)`, "auditlog.detail.role_change",
		func(n *auditNamer, m []string) []phrase { return []phrase{n.roleOrRaw(m[1]), n.roleOrRaw(m[2])} }),
	rule(`user management \(was (\w+), (\w+); (\d+) sessions ended\)`, "auditlog.detail.was_role_status",
		func(n *auditNamer, m []string) []phrase {
			return []phrase{n.roleOrRaw(m[1]), n.status(m[2]), plain(m[3])}
		}),
	rule(`user management \(was (\w+); (\d+) sessions ended\)`, "auditlog.detail.was_status",
		func(n *auditNamer, m []string) []phrase { return []phrase{n.status(m[1]), plain(m[2])} }),
	rule(`user management \(now (\w+)\)`, "auditlog.detail.now_status",
		func(n *auditNamer, m []string) []phrase { return []phrase{n.status(m[1])} }),
	rule(`session management \((\d+) ended\)|own password changed; (\d+) other sessions revoked|password reset; (\d+) sessions revoked`,
		"auditlog.detail.sessions_ended", func(n *auditNamer, m []string) []phrase { return []phrase{plain(m[1] + m[2] + m[3])} }),
	rule(`session management \((\d+) shown\)`, "auditlog.detail.sessions_shown", group(1)),
	rule(`session management \(one session\)`, "auditlog.detail.one_session", nil),
	rule(`mfa: reset, (\d+) passkeys removed`, "auditlog.detail.passkeys_removed", group(1)),
	rule(`mfa: reset \(nothing was enrolled\)`, "auditlog.detail.nothing_enrolled", nil),
	rule(`mfa: passkey as second factor`, "auditlog.detail.second_factor", nil),
	rule(`login: passkey with user verification`, "auditlog.detail.passkey_login", nil),
	rule(`mfa: locked until (\S+)`, "auditlog.detail.locked_until", func(n *auditNamer, m []string) []phrase { return []phrase{n.when(m[1])} }),
	rule(`until (\S+)`, "auditlog.detail.until", func(n *auditNamer, m []string) []phrase { return []phrase{n.when(m[1])} }),
	rule(`login: unknown e-mail address|mfa: no such user in this tenant|passkey: unknown credential`, "auditlog.detail.unknown_account", nil),
	rule(`login: account not active|mfa: account not active|passkey: account not active or locked`, "auditlog.detail.inactive", nil),
	rule(`login: account locked|mfa: second factor locked|step-up: account locked`, "auditlog.detail.locked", nil),
	rule(`login: wrong password|step-up: wrong password`, "auditlog.detail.wrong_password", nil),
	rule(`login: too many attempts at once`, "auditlog.detail.busy", nil),
	rule(`(?:login|step-up): stored password hash unreadable`, "auditlog.detail.hash_unreadable", nil),
	rule(`mfa: wrong code`, "auditlog.detail.wrong_code", nil),
	rule(`mfa: code already used`, "auditlog.detail.code_used", nil),
	rule(`mfa: wrong or used recovery code`, "auditlog.detail.wrong_recovery", nil),
	rule(`mfa: no confirmed TOTP`, "auditlog.detail.no_totp", nil),
	rule(`step-up: second factor refused`, "auditlog.detail.second_factor_refused", nil),
	rule(`passkey: .*`, "auditlog.detail.passkey_refused", nil),
	rule(`password reset: no active account`, "auditlog.detail.unknown_account", nil),
	rule(`(?:login: )?oidc (.+?)(?:: (?:linked already|identity linked))?|activation with oidc (.+)|login configuration: (.+?)(?: \(\w*\)| removed, \d+ linked identities removed)`,
		"auditlog.detail.provider", func(n *auditNamer, m []string) []phrase { return []phrase{plain(m[1] + m[2] + m[3])} }),
	rule(`security policy v\d+: .*`, "", nil),
	rule(`branding v\d+: .*`, "", nil),
	rule(`attachment kept between steps`, "auditlog.detail.draft_kept", nil),
	rule(`form sent`, "auditlog.detail.draft_sent", nil),
	rule(`(\d+) expired draft attachment\(s\) deleted`, "auditlog.detail.draft_swept", group(1)),
	rule(`(\d+) pending deliveries cancelled`, "auditlog.detail.cancelled", group(1)),
	rule(`\S+, attempt (\d+): .*`, "auditlog.detail.attempt", group(1)),
	rule(`(\S+) for (.+) under (.+) \((\w+)\)`, "auditlog.detail.webhook", group(1)),
	rule(`(?:GET|POST|PUT|DELETE) /\{tenant\}(/.*)|/\{tenant\}(/.*)`, "auditlog.detail.page",
		func(n *auditNamer, m []string) []phrase { return []phrase{plain(m[1] + m[2])} }),
	rule(`submission\.confirmation`, "auditlog.detail.mail_receipt", nil),
	rule(`account\.password-reset`, "auditlog.detail.mail_reset", nil),
	rule(`account\.password-changed`, "auditlog.detail.mail_password_changed", nil),
	rule(`account\.invite|operator\.invite`, "auditlog.detail.mail_invite", nil),
	rule(`notice\.[a-z._-]+|account\.[a-z._-]+|maintenance\.notice`, "auditlog.detail.mail_notice", nil),
	// Maintenance notices (AUD-4).
	rule(`maintenance under notice|minimum notice in working days`, "", nil),
	rule(`from (\S+) until (\S+)`, "auditlog.detail.window",
		func(n *auditNamer, m []string) []phrase { return []phrase{n.when(m[1]), n.when(m[2])} }),
	// National-register calls (LOC-2): the reference, the outcome, the purpose.
	rule(`national register connection(?:: .*| removed)`, "", nil),
	rule(`MAGDA reference (\S+); purpose (.+)`, "auditlog.detail.magda_call", group(1, 2)),
	rule(`MAGDA reference (\S+); outcome (\w+)(?: \(warnings [^)]*\))?; purpose (.+)`, "auditlog.detail.magda_answer",
		func(n *auditNamer, m []string) []phrase {
			return []phrase{plain(m[1]), plain(n.t("magda.outcome." + m[2])), plain(m[3])}
		}),
}

// detail translates the event's recorded purpose; a purpose no rule knows
// is shown as recorded, marked as such.
func (n *auditNamer) detail(e audit.Event, act audit.Action) phrase {
	purpose := e.Purpose
	if act.Object == audit.NameAttachment {
		if m := attachmentOf.FindStringSubmatch(purpose); m != nil {
			purpose = m[1]
		}
	}
	if act.Code == "submission.create" && !strings.Contains(purpose, " ") && purpose != "" {
		return sprintf(n.t("auditlog.detail.form"), n.form(purpose))
	}
	if purpose == "" {
		return phrase{}
	}
	for _, r := range purposeRules {
		m := r.re.FindStringSubmatch(purpose)
		if m == nil {
			continue
		}
		if r.key == "" {
			return phrase{}
		}
		var args []phrase
		if r.args != nil {
			args = r.args(n, m)
		}
		return sprintf(n.t(r.key), args...)
	}
	return phrase{template.HTML(html.EscapeString(n.t("auditlog.detail.recorded")) + ` <code>` + html.EscapeString(purpose) + `</code>`),
		n.t("auditlog.detail.recorded") + " " + purpose}
}

// pseudonymShown is the citizen's pseudonym as the log shows it: long
// enough that two citizens on a page do not share it.
func pseudonymShown(s string) string {
	if len(s) > 12 {
		s = s[:12]
	}
	return strings.ToUpper(s)
}

// outcomeText names a refusal or failure.
func (n *auditNamer) outcome(e audit.Event) string {
	if e.Outcome == audit.OutcomeSuccess {
		return ""
	}
	return n.t("auditlog.outcome." + e.Outcome)
}
