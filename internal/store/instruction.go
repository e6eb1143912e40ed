package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/kluis/kluis/internal/audit"
)

// The controller's written instructions (REG-3). The controller's users
// record each instruction — subject, text, its author and the date it was
// given; supplier staff may flag one they believe infringes the GDPR, with
// their reasoning, which tells the controller's admins and DPO at once by
// mail (proof kept) and on its pages; the controller then confirms, amends
// or withdraws it. Every step is kept (duty_steps) and audited.

// The states of an instruction.
const (
	InstructionGiven     = "given"
	InstructionFlagged   = "flagged"
	InstructionConfirmed = "confirmed"
	InstructionAmended   = "amended"
	InstructionWithdrawn = "withdrawn"
)

// Instruction is one instruction with its current wording.
type Instruction struct {
	ID        string
	GivenAt   time.Time
	Status    string
	FlaggedAt *time.Time
	CreatedAt time.Time
	UpdatedAt time.Time
	// The current wording, from the latest record or amend step.
	Subject, Text, Author string
	// Reasoning is the latest flag's, "" when never flagged.
	Reasoning string
	Steps     []DutyStep // oldest first
}

// InstructionInput is an instruction as written (record and amend).
type InstructionInput struct {
	Subject, Text, Author string
	GivenAt               time.Time
}

func (in InstructionInput) validate(now time.Time) (map[string]string, error) {
	v := trimAll(map[string]string{"subject": in.Subject, "text": in.Text, "author": in.Author})
	bad := map[string]string{}
	required(bad, "instr.error.required", v, "subject", "text", "author")
	switch {
	case in.GivenAt.IsZero():
		bad["given_at"] = "instr.error.date_required"
	case in.GivenAt.After(now):
		bad["given_at"] = "instr.error.future"
	}
	v["text"] = in.Text
	return v, refuse(bad)
}

// controllerOnly refuses any actor but the controller's own user.
func controllerOnly(actor audit.Actor) error {
	if actor.Kind != audit.KindUser || actor.OnBehalfOf != "" {
		return ErrControllerOnly
	}
	return nil
}

// supplierOnly refuses any actor but supplier staff.
func supplierOnly(actor audit.Actor) error {
	if actor.Kind != audit.KindOperator {
		return ErrSupplierOnly
	}
	return nil
}

// RecordInstruction records the controller's written instruction
// ("instr.record"). Only the controller's users record it.
// *DutyValidationError for refused input, nothing saved.
func (db *DB) RecordInstruction(ctx context.Context, actor audit.Actor, tenantID string, in InstructionInput) (Instruction, error) {
	if err := db.requireKeys(); err != nil {
		return Instruction{}, err
	}
	if err := controllerOnly(actor); err != nil {
		return Instruction{}, err
	}
	now := db.now()
	content, err := in.validate(now)
	if err != nil {
		return Instruction{}, err
	}
	content["given_at"] = in.GivenAt.UTC().Format(time.RFC3339)
	ins := Instruction{ID: newID(now), GivenAt: in.GivenAt, Status: InstructionGiven, CreatedAt: now, UpdatedAt: now,
		Subject: content["subject"], Text: content["text"], Author: content["author"]}
	err = db.write(ctx, func(tx *Tx) error {
		if _, err := tx.exec(`INSERT INTO instructions (id, tenant_id, given_at, status, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)`,
			ins.ID, tenantID, micros(in.GivenAt), ins.Status, micros(now)); err != nil {
			return err
		}
		_, err := tx.addDutyStep(actor, tenantID, "instruction", ins.ID, "record", "instr.record", content, nil)
		return err
	})
	if err != nil {
		return Instruction{}, fmt.Errorf("record instruction: %w", err)
	}
	return ins, nil
}

func (tx *Tx) instructionRow(tenantID, id string) (Instruction, error) {
	var ins Instruction
	var given, created, updated int64
	var flagged sql.NullInt64
	err := tx.queryRow(`SELECT id, given_at, status, flagged_at, created_at, updated_at FROM instructions WHERE tenant_id = $1 AND id = $2`,
		tenantID, id).Scan(&ins.ID, &given, &ins.Status, &flagged, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return ins, fmt.Errorf("instruction %q: %w", id, ErrNotFound)
	}
	ins.GivenAt, ins.FlaggedAt, ins.CreatedAt, ins.UpdatedAt = fromMicros(given), optMicros(flagged), fromMicros(created), fromMicros(updated)
	return ins, err
}

// FlagInstruction records supplier staff's view that instruction id
// infringes the GDPR, with their reasoning ("instr.flag"), and tells the
// controller's admins and DPO at once by mail, the proof kept on the step
// (REG-3). Only supplier staff flag; a withdrawn instruction cannot be.
func (db *DB) FlagInstruction(ctx context.Context, actor audit.Actor, tenantID, id, reasoning string, compose DutyMail) error {
	if err := db.requireKeys(); err != nil {
		return err
	}
	if err := supplierOnly(actor); err != nil {
		return err
	}
	v := trimAll(map[string]string{"reasoning": reasoning})
	bad := map[string]string{}
	required(bad, "instr.error.required", v, "reasoning")
	if err := refuse(bad); err != nil {
		return err
	}
	err := db.write(ctx, func(tx *Tx) error {
		ins, err := tx.instructionRow(tenantID, id)
		if err != nil {
			return err
		}
		if ins.Status == InstructionWithdrawn {
			return ErrDutyState
		}
		now := tx.db.now()
		if _, err := tx.exec(`UPDATE instructions SET status = $1, flagged_at = $2, updated_at = $2 WHERE tenant_id = $3 AND id = $4`,
			InstructionFlagged, micros(now), tenantID, id); err != nil {
			return err
		}
		_, err = tx.addDutyStep(actor, tenantID, "instruction", id, "flag", "instr.flag", map[string]string{"reasoning": reasoning}, compose)
		return err
	})
	if err != nil {
		return fmt.Errorf("flag instruction: %w", err)
	}
	return nil
}

// The controller's answers to a flag.
const (
	AnswerConfirm  = "confirm"
	AnswerAmend    = "amend"
	AnswerWithdraw = "withdraw"
)

// AnswerInstruction records the controller's answer ("instr.confirm",
// "instr.amend", "instr.withdraw") with its note: a confirmation stands by
// a flagged instruction; an amendment replaces its wording (amended, the
// input validated as on record); a withdrawal ends it. Only the
// controller's users answer; ErrDutyState for a confirmation of an
// instruction not flagged or any answer to a withdrawn one.
func (db *DB) AnswerInstruction(ctx context.Context, actor audit.Actor, tenantID, id, answer, note string, amended InstructionInput) error {
	if err := db.requireKeys(); err != nil {
		return err
	}
	if err := controllerOnly(actor); err != nil {
		return err
	}
	status := map[string]string{AnswerConfirm: InstructionConfirmed, AnswerAmend: InstructionAmended, AnswerWithdraw: InstructionWithdrawn}[answer]
	if status == "" {
		return &DutyValidationError{map[string]string{"answer": "instr.error.answer"}}
	}
	content := map[string]string{"note": note}
	if answer == AnswerAmend {
		c, err := amended.validate(db.now())
		if err != nil {
			return err
		}
		content = c
		content["note"] = note
		content["given_at"] = amended.GivenAt.UTC().Format(time.RFC3339)
	}
	err := db.write(ctx, func(tx *Tx) error {
		ins, err := tx.instructionRow(tenantID, id)
		if err != nil {
			return err
		}
		if ins.Status == InstructionWithdrawn || (answer == AnswerConfirm && ins.Status != InstructionFlagged) {
			return ErrDutyState
		}
		now := tx.db.now()
		given := ins.GivenAt
		if answer == AnswerAmend {
			given = amended.GivenAt
		}
		if _, err := tx.exec(`UPDATE instructions SET status = $1, given_at = $2, updated_at = $3 WHERE tenant_id = $4 AND id = $5`,
			status, micros(given), micros(now), tenantID, id); err != nil {
			return err
		}
		_, err = tx.addDutyStep(actor, tenantID, "instruction", id, answer, "instr."+answer, content, nil)
		return err
	})
	if err != nil {
		return fmt.Errorf("answer instruction: %w", err)
	}
	return nil
}

// fill sets the current wording and reasoning from the steps.
func (ins *Instruction) fill(steps []DutyStep) {
	for _, s := range steps {
		switch s.Kind {
		case "record", AnswerAmend:
			ins.Subject, ins.Text, ins.Author = s.Content["subject"], s.Content["text"], s.Content["author"]
		case "flag":
			ins.Reasoning = s.Content["reasoning"]
		}
	}
}

// Instructions lists the tenant's instructions, newest given first, each
// with its current wording and its history, recorded as "instr.list".
func (db *DB) Instructions(ctx context.Context, actor audit.Actor, tenantID string) ([]Instruction, error) {
	if err := db.requireKeys(); err != nil {
		return nil, err
	}
	var out []Instruction
	err := db.write(ctx, func(tx *Tx) error {
		out = nil
		rows, err := tx.query(`SELECT id FROM instructions WHERE tenant_id = $1 ORDER BY given_at DESC, id`, tenantID)
		if err != nil {
			return err
		}
		var ids []string
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, id := range ids {
			ins, err := tx.instructionRow(tenantID, id)
			if err != nil {
				return err
			}
			if ins.Steps, err = tx.dutySteps(tenantID, id); err != nil {
				return err
			}
			ins.fill(ins.Steps)
			out = append(out, ins)
		}
		return tx.appendListed(audit.Event{TenantID: tenantID, Actor: actor, Action: "instr.list", ObjectType: "instruction"},
			ids, fmt.Sprintf("%d shown", len(ids)))
	})
	if err != nil {
		return nil, fmt.Errorf("instructions: %w", err)
	}
	return out, nil
}

// ValidateInstruction refuses in field by field as RecordInstruction
// would, without saving: a form whose date could not be read still learns
// what else is missing.
func ValidateInstruction(in InstructionInput, now time.Time) error {
	_, err := in.validate(now)
	return err
}
