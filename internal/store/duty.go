package store

import (
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/kluis/kluis/internal/audit"
	"github.com/kluis/kluis/internal/seal"
	"github.com/kluis/kluis/internal/tenant"
)

// The history shared by the controller's instructions (REG-3) and the
// authorities' requests for data (REG-5): every step — recorded, flagged,
// confirmed, assessed, notified, disclosed… — is a row of duty_steps with
// its content sealed with the tenant key, who and when, and, for a step
// that told the controller, the proof: to whom and the mail's SHA-256.

// DutyStep is one step of an instruction's or an authority request's
// history.
type DutyStep struct {
	Seq        int
	Kind       string            // what happened: record, flag, confirm, amend, withdraw, assess, notify, …
	Content    map[string]string // what was written at that step (sealed at rest)
	ActorKind  string            // user or operator
	Actor      string
	At         time.Time
	NotifiedTo []string // the controller's addresses a step's mail went to
	MailSHA256 string   // hex SHA-256 of the mail's subject, a blank line and its body
}

// DutyMail composes the mail that tells the controller of tenant t about a
// step (kind) of the instruction or request id; the store fills To and
// Kind.
type DutyMail func(t tenant.Tenant, kind, id string) OutgoingMail

// DutyValidationError is refused input: input id → message key. Nothing
// was saved.
type DutyValidationError struct{ Fields map[string]string }

func (e *DutyValidationError) Error() string { return refusedIn("refused: ", e.Fields) }

// refusedIn is the error text of a refused form: prefix and the refused
// fields' names in order (never their values, which may be personal).
func refusedIn(prefix string, fields map[string]string) string {
	return prefix + strings.Join(slices.Sorted(maps.Keys(fields)), ", ")
}

// ErrDutyState: the step does not follow from the current state (a
// disclosure before the controller was told, a confirmation of an
// instruction nobody flagged, anything on a withdrawn instruction).
var ErrDutyState = errors.New("step not allowed in this state")

// ErrSupplierOnly: only supplier staff (operators' realm) take this step.
var ErrSupplierOnly = errors.New("only the supplier records this")

func dutyAD(tenantID, parentID string, seq int) seal.AD {
	return seal.AD{Tenant: tenantID, Table: "duty_steps", Column: "content", Row: fmt.Sprintf("%s/%d", parentID, seq)}
}

func dutyToAD(tenantID, parentID string, seq int) seal.AD {
	return seal.AD{Tenant: tenantID, Table: "duty_steps", Column: "notified_to", Row: fmt.Sprintf("%s/%d", parentID, seq)}
}

// addDutyStep seals content as the parent's next step, audits it as action
// (object parentKind, the step's number and kind in the purpose) and with
// compose mails the controller's admins and DPO at once, keeping the proof.
// It returns the step.
func (tx *Tx) addDutyStep(actor audit.Actor, tenantID, parentKind, parentID, kind, action string, content map[string]string,
	compose DutyMail) (DutyStep, error) {
	var seq int
	if err := tx.queryRow(`SELECT COALESCE(MAX(seq), 0) + 1 FROM duty_steps WHERE parent_id = $1`, parentID).Scan(&seq); err != nil {
		return DutyStep{}, err
	}
	s := DutyStep{Seq: seq, Kind: kind, Content: content, ActorKind: string(actor.Kind), Actor: actor.ID, At: tx.db.now()}
	plain, err := json.Marshal(content)
	if err != nil {
		return s, err
	}
	sealed, err := tx.db.keys.Seal(tenantID, dutyAD(tenantID, parentID, seq), plain)
	if err != nil {
		return s, err
	}
	if _, err := tx.exec(`INSERT INTO duty_steps (tenant_id, parent_kind, parent_id, seq, kind, content, actor_kind, actor, at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, tenantID, parentKind, parentID, seq, kind, sealed, s.ActorKind, s.Actor, micros(s.At)); err != nil {
		return s, err
	}
	if err := tx.appendAudit(audit.Event{TenantID: tenantID, Actor: actor, Action: action, ObjectType: parentKind, ObjectID: parentID,
		Purpose: fmt.Sprintf("step %d: %s", seq, kind)}); err != nil {
		return s, err
	}
	if compose == nil {
		return s, nil
	}
	return s, tx.notifyDuty(actor, tenantID, parentID, &s, compose)
}

// notifyDuty mails step s to the controller's DPO and active admins and
// keeps the proof on the step (REG-3: at once; REG-5: before any
// disclosure).
func (tx *Tx) notifyDuty(actor audit.Actor, tenantID, parentID string, s *DutyStep, compose DutyMail) error {
	to, sum, err := tx.mailController(actor, tenantID, "duty."+s.Kind, "notification to the controller", func(t tenant.Tenant) OutgoingMail { return compose(t, s.Kind, parentID) })
	if err != nil {
		return err
	}
	s.NotifiedTo, s.MailSHA256 = to, sum
	list, _ := json.Marshal(to)
	sealedTo, err := tx.db.keys.Seal(tenantID, dutyToAD(tenantID, parentID, s.Seq), list)
	if err != nil {
		return err
	}
	_, err = tx.exec(`UPDATE duty_steps SET notified_to = $1, mail_sha256 = $2 WHERE parent_id = $3 AND seq = $4`,
		sealedTo, s.MailSHA256, parentID, s.Seq)
	return err
}

// mailController queues the mail compose makes, of kind, to the
// controller's DPO and each active admin (its contact read for purpose),
// and returns the addresses and the
// hex SHA-256 of the mail as delivered (its subject, a blank line and its
// body): the proof of a notification (BRE-1, REG-3, REG-5).
func (tx *Tx) mailController(actor audit.Actor, tenantID, kind, purpose string, compose func(tenant.Tenant) OutgoingMail) ([]string, string, error) {
	t, err := tx.openContact(tenantID, actor, purpose)
	if err != nil {
		return nil, "", err
	}
	to, err := tx.breachRecipients(tenantID, t.DPOEmail)
	if err != nil {
		return nil, "", err
	}
	if len(to) == 0 {
		return nil, "", errors.New("the controller has no address to notify")
	}
	m := compose(t)
	m.To, m.Kind = to[0], kind
	if m, err = tx.finalMail(tenantID, m); err != nil {
		return nil, "", err
	}
	sum := sha256.Sum256([]byte(m.Subject + "\n\n" + m.Body))
	for _, addr := range to {
		m.To = addr
		if _, err := tx.queueFinalMail(tenantID, m, actor); err != nil {
			return nil, "", err
		}
	}
	return to, hex.EncodeToString(sum[:]), nil
}

// dutySteps opens the history of parentID, oldest first.
func (tx *Tx) dutySteps(tenantID, parentID string) ([]DutyStep, error) {
	rows, err := tx.query(`SELECT seq, kind, content, actor_kind, actor, at, notified_to, mail_sha256 FROM duty_steps
		WHERE tenant_id = $1 AND parent_id = $2 ORDER BY seq`, tenantID, parentID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []DutyStep
	for rows.Next() {
		var s DutyStep
		var content, to []byte
		var at int64
		var sum sql.NullString
		if err := rows.Scan(&s.Seq, &s.Kind, &content, &s.ActorKind, &s.Actor, &at, &to, &sum); err != nil {
			return nil, err
		}
		s.At, s.MailSHA256 = fromMicros(at), sum.String
		plain, err := tx.db.keys.Open(tenantID, dutyAD(tenantID, parentID, s.Seq), content)
		if err != nil {
			return nil, keep(fmt.Errorf("%s step %d: %w", parentID, s.Seq, ErrUnreadable))
		}
		if err := json.Unmarshal(plain, &s.Content); err != nil {
			return nil, err
		}
		if len(to) > 0 {
			plain, err := tx.db.keys.Open(tenantID, dutyToAD(tenantID, parentID, s.Seq), to)
			if err != nil {
				return nil, keep(fmt.Errorf("%s step %d: %w", parentID, s.Seq, ErrUnreadable))
			}
			if err := json.Unmarshal(plain, &s.NotifiedTo); err != nil {
				return nil, err
			}
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// required adds key msg for every named value that is blank.
func required(bad map[string]string, msg string, values map[string]string, names ...string) {
	for _, n := range names {
		if strings.TrimSpace(values[n]) == "" {
			bad[n] = msg
		}
	}
}

// trimAll trims every value; texts keep their inner line breaks.
func trimAll(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = strings.TrimSpace(v)
	}
	return out
}

func refuse(bad map[string]string) error {
	if len(bad) > 0 {
		return &DutyValidationError{bad}
	}
	return nil
}
