package audit

import (
	"fmt"
	"time"
)

// A tenant's audit log keeps its events for a retention period, after
// which they are pruned at a checkpoint boundary (AUD-2): by default two
// years, never less than six months — the controller must be able to
// consult who did what for at least that long.
const (
	DefaultRetentionMonths = 24
	MinRetentionMonths     = 6
	MaxRetentionMonths     = 1200 // a hundred years: longer is a typo
	// MinRetentionDays is the minimum in days, for a retention the
	// processing register gives in days: the longest six months.
	MinRetentionDays = 184
)

// RegisterCategory is the key of the processing register's category ("audit-log") that,
// when the register has one, gives the audit log's retention in days.
const RegisterCategory = "audit-log"

// RetentionError says why a retention was refused: Key is a message key
// for Field ("months"), with the minimum or maximum as its argument.
type RetentionError struct {
	Field string
	Key   string
	Limit int
}

func (e *RetentionError) Error() string {
	return fmt.Sprintf("audit retention: %s: %s (%d)", e.Field, e.Key, e.Limit)
}

// ValidateRetentionMonths refuses a retention below the minimum or above
// the maximum.
func ValidateRetentionMonths(months int) error {
	switch {
	case months < MinRetentionMonths:
		return &RetentionError{Field: "months", Key: "auditret.error.below_minimum", Limit: MinRetentionMonths}
	case months > MaxRetentionMonths:
		return &RetentionError{Field: "months", Key: "auditret.error.above_maximum", Limit: MaxRetentionMonths}
	}
	return nil
}

// RetentionCutoff is the moment before which events may be pruned, for a
// retention of months (or, when days > 0, of days, the register's unit),
// never later than the minimum allows.
func RetentionCutoff(now time.Time, months, days int) time.Time {
	cut := now.AddDate(0, -max(months, MinRetentionMonths), 0)
	if days > 0 {
		cut = now.AddDate(0, 0, -max(days, MinRetentionDays))
	}
	for _, floor := range []time.Time{now.AddDate(0, -MinRetentionMonths, 0), now.AddDate(0, 0, -MinRetentionDays)} {
		if floor.Before(cut) {
			cut = floor
		}
	}
	return cut
}
