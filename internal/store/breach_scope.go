package store

import (
	"context"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/breach"
)

// BreachScope answers the scope-from-evidence question of a breach (BRE-1,
// BRE-5): which of the tenant's submissions the actor of q touched with
// success between q.From and q.Until — named by an event's object or shown
// in a list (audit_list_objects) —, how many distinct citizens they are by
// the subject blind index (else the contact index), and which REG-7
// information classes the fields of their forms carry, mapped to the
// annex's letters. It reads only ids, blind indexes and form definitions,
// never a submission's content, and records the question as "breach.scope"
// in the same transaction. *BreachValidationError for a refused question.
func (db *DB) BreachScope(ctx context.Context, actor audit.Actor, tenantID string, q breach.ScopeQuery) (breach.Scope, error) {
	q.ActorID = strings.TrimSpace(q.ActorID)
	q.From, q.Until = q.From.UTC(), q.Until.UTC()
	if bad := q.Validate(db.now()); len(bad) > 0 {
		return breach.Scope{}, &BreachValidationError{bad}
	}
	// Whose events: an actor kind and id, or a grant by the events'
	// on-behalf-of.
	who := `e.actor_kind = $4 AND e.actor_id = $5`
	args := []any{tenantID, micros(q.From), micros(q.Until), q.Actor, q.ActorID}
	if q.Actor == breach.ScopeGrant {
		who = `e.on_behalf_of = $4 AND e.on_behalf_of <> $5`
		args = []any{tenantID, micros(q.From), micros(q.Until), q.ActorID, ""}
	}
	window := `e.tenant_id = $1 AND e.at >= $2 AND e.at < $3 AND e.outcome = 'success' AND ` + who
	touched := `SELECT s.id, s.form_key, s.subject_index, s.contact_index FROM submissions s WHERE s.tenant_id = $1 AND s.id IN (
		SELECT e.object_id FROM audit_events e WHERE ` + window + `
		UNION SELECT l.object_id FROM audit_list_objects l JOIN audit_events e ON e.tenant_id = l.tenant_id AND e.seq = l.seq WHERE ` + window + `
		UNION SELECT a.submission_id FROM audit_events e JOIN attachments a ON a.tenant_id = e.tenant_id AND a.id = e.object_id
			WHERE e.object_type = 'attachment' AND ` + window + `)`
	s := breach.Scope{Query: q}
	err := db.write(ctx, func(tx *Tx) error {
		s = breach.Scope{Query: q}
		rows, err := tx.query(touched, args...)
		if err != nil {
			return err
		}
		people := map[string]bool{}
		forms := map[string]bool{}
		for rows.Next() {
			var id, key string
			var subject, contact []byte
			if err := rows.Scan(&id, &key, &subject, &contact); err != nil {
				rows.Close()
				return err
			}
			s.Submissions++
			forms[key] = true
			switch {
			case len(subject) > 0:
				people["s"+hex.EncodeToString(subject)] = true
			case len(contact) > 0:
				people["c"+hex.EncodeToString(contact)] = true
			default:
				s.Unidentified++
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		s.People = len(people)
		s.Forms = slices.Sorted(func(yield func(string) bool) {
			for k := range forms {
				if !yield(k) {
					return
				}
			}
		})
		if s.InfoClasses, err = tx.formClasses(tenantID, s.Forms); err != nil {
			return err
		}
		s.Letters = breach.ClassLetters(s.InfoClasses)
		return tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: "breach.scope", ObjectType: "audit_log",
			Purpose: fmt.Sprintf("%s %s from %s until %s: %d submissions, %d people, %d unidentified", q.Actor, q.ActorID,
				q.From.Format("2006-01-02T15:04:05Z"), q.Until.Format("2006-01-02T15:04:05Z"), s.Submissions, s.People, s.Unidentified)})
	})
	if err != nil {
		return breach.Scope{}, fmt.Errorf("breach scope: %w", err)
	}
	return s, nil
}

// formClasses is the sorted set of REG-7 classes the fields of every
// version of the forms keys carry, looked up in the tenant's current
// register. A category the register no longer knows counts as class
// "unknown", which the annex's table maps to Q (other): a field is never
// silently left out of a breach's scope.
func (tx *Tx) formClasses(tenantID string, keys []string) ([]string, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	reg, _, err := tx.currentRegister(tenantID)
	if err != nil {
		return nil, err
	}
	args := []any{tenantID}
	marks := make([]string, len(keys))
	for i, k := range keys {
		args = append(args, k)
		marks[i] = fmt.Sprintf("$%d", i+2)
	}
	rows, err := tx.query(`SELECT `+formColumns+` FROM forms WHERE tenant_id = $1 AND form_key IN (`+strings.Join(marks, ", ")+`)`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	classes := map[string]bool{}
	for rows.Next() {
		fv, err := scanForm(rows)
		if err != nil {
			return nil, err
		}
		for _, p := range fv.Form.Pages {
			for _, f := range p.Fields {
				if c, ok := reg.Category(f.Category); ok {
					classes[c.Class] = true
				} else {
					classes["unknown"] = true
				}
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]string, 0, len(classes))
	for c := range classes {
		out = append(out, c)
	}
	slices.Sort(out)
	return out, nil
}
