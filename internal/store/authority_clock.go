package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/locale"
	"github.com/kluis/kluis/internal/tenant"
	"github.com/kluis/kluis/internal/workdays"
)

// The deadline of an authority's request (REG-5): the date the authority
// asked for an answer by. The controller must be told in time to seek
// legal remedies, so a request still open (nothing disclosed) is near due
// from AuthorityRemindWorkdays working days before that date, Belgian
// holidays excluded, and overdue once it has passed. The clock mails the
// supplier's operators then, and the controller's admins and DPO too once
// they were told of the request — never while a legal prohibition of
// telling them stands, and never before they were told (the reminder is no
// way around the assessment).

// AuthorityRemindWorkdays is how many working days before its deadline an
// open request is reminded of.
const AuthorityRemindWorkdays = 3

// The stages of the reminded column.
const (
	remindedAhead   = 1
	remindedOverdue = 2
)

// The deadline states the pages show.
const (
	DeadlineNear    = "near"
	DeadlineOverdue = "overdue"
)

// RemindAt is when the request falls near due: the start of the
// AuthorityRemindWorkdays-th working day before its deadline's date.
func (ar AuthorityRequest) RemindAt() time.Time {
	return workdays.Before(ar.Deadline, AuthorityRemindWorkdays)
}

// DeadlineState is "" while the deadline is far or the request is settled
// (disclosed), DeadlineNear from RemindAt, DeadlineOverdue once the
// deadline has passed.
func (ar AuthorityRequest) DeadlineState(now time.Time) string {
	switch {
	case ar.DisclosedAt != nil:
		return ""
	case now.After(ar.Deadline):
		return DeadlineOverdue
	case !now.Before(ar.RemindAt()):
		return DeadlineNear
	}
	return ""
}

// controllerMayHear reports whether the controller may be reminded: it
// was told and no prohibition of telling it stands.
func (ar AuthorityRequest) controllerMayHear() bool {
	return ar.NotifiedAt != nil && !ar.Prohibited
}

// AuthorityMail composes a reminder about request ar of tenant t for
// event "ahead" or "overdue", to the controller or, with side "supplier",
// to the supplier's operators.
type AuthorityMail func(t tenant.Tenant, ar AuthorityRequest, event, side string) OutgoingMail

// RemindAuthorityDeadlines mails every open request of the tenant that
// fell near due or overdue and was not yet mailed at that stage
// ("authority.remind", the stage in the purpose), and returns how many it
// mailed about. Idempotent: the stage is kept on the request with the
// mails, in one transaction.
func (db *DB) RemindAuthorityDeadlines(ctx context.Context, actor audit.Actor, tenantID string, compose AuthorityMail) (int, error) {
	var sent int
	err := db.write(ctx, func(tx *Tx) error {
		sent = 0
		now := tx.db.now()
		rows, err := tx.query(`SELECT `+authorityColumns+` FROM authority_requests WHERE tenant_id = $1 AND disclosed_at IS NULL
			AND reminded < $2 ORDER BY deadline, id`, tenantID, remindedOverdue)
		if err != nil {
			return err
		}
		var todo []AuthorityRequest
		for rows.Next() {
			ar, err := scanAuthority(rows)
			if err != nil {
				rows.Close()
				return err
			}
			todo = append(todo, ar)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, ar := range todo {
			stage, event := 0, ""
			switch ar.DeadlineState(now) {
			case DeadlineOverdue:
				stage, event = remindedOverdue, "overdue"
			case DeadlineNear:
				if ar.Reminded < remindedAhead {
					stage, event = remindedAhead, "ahead"
				}
			}
			if stage == 0 {
				continue
			}
			if _, err := tx.exec(`UPDATE authority_requests SET reminded = $1 WHERE tenant_id = $2 AND id = $3`, stage, tenantID, ar.ID); err != nil {
				return err
			}
			if err := tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "authority.remind", ObjectType: "authority",
				ObjectID: ar.ID, Purpose: event}); err != nil {
				return err
			}
			if compose != nil {
				if err := tx.mailSupplier(actor, tenantID, "authority."+event, func(t tenant.Tenant) OutgoingMail {
					return compose(t, ar, event, "supplier")
				}); err != nil {
					return err
				}
				if ar.controllerMayHear() {
					if err := tx.mailControllerEach(actor, tenantID, "authority."+event, "authority deadline reminder",
						func(t tenant.Tenant) OutgoingMail { return compose(t, ar, event, "controller") }); err != nil {
						return err
					}
				}
			}
			sent++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("remind authority deadlines: %w", err)
	}
	return sent, nil
}

// TenantsWithOpenAuthorityRequests lists the tenants with a request not
// yet disclosed nor mailed as overdue: where the deadline clock looks. A
// platform-level query of the job, without personal data.
func (db *DB) TenantsWithOpenAuthorityRequests(ctx context.Context) ([]string, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT DISTINCT tenant_id FROM authority_requests WHERE disclosed_at IS NULL
		AND reminded < $1 ORDER BY tenant_id`, remindedOverdue)
	if err != nil {
		return nil, fmt.Errorf("tenants with open authority requests: %w", err)
	}
	return scanStrings(rows)
}

// AuthorityMailer composes the reminders in the tenant's language, each
// linking under baseURL to the page of the side it goes to. Only the
// deadline is in the mail: who asked what stays sealed in Kluis.
func AuthorityMailer(baseURL string) AuthorityMail {
	return func(t tenant.Tenant, ar AuthorityRequest, event, side string) OutgoingMail {
		l, ok := locale.Parse(t.DefaultLang)
		if !ok {
			l = locale.NL
		}
		base := strings.TrimRight(baseURL, "/")
		link := t.Link(base, "/admin/authority-requests#"+ar.ID)
		key := "gaps.authority.mail." + event
		if side == "supplier" {
			l = locale.NL // the supplier's language
			link = base + "/" + tenant.OperatorSlug + "/authority?tenant=" + t.Slug + "#" + ar.ID
			key += ".supplier"
		}
		due := ar.Deadline.In(workdays.Brussels).Format("02.01.2006")
		return OutgoingMail{Lang: string(l),
			Subject: locale.T(l, key+".subject", t.LegalName),
			Body:    locale.T(l, key+".body", t.LegalName, due, link)}
	}
}
