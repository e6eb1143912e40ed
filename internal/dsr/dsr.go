// Package dsr owns the rules of data-subject requests under chapter III
// GDPR (contract DSR-1, DSR-2): the kinds, the life of a request and its
// statutory deadline. It is pure Go: no I/O, standard library only.
package dsr

import (
	"time"
)

// Kind is what the person asks for.
type Kind string

// The kinds of request (GDPR art. 15 to 21).
const (
	Access        Kind = "access"        // art. 15
	Rectification Kind = "rectification" // art. 16
	Erasure       Kind = "erasure"       // art. 17
	Restriction   Kind = "restriction"   // art. 18
	Portability   Kind = "portability"   // art. 20
	Objection     Kind = "objection"     // art. 21
)

// Kinds lists the kinds in the order a form offers them.
var Kinds = []Kind{Access, Portability, Rectification, Erasure, Restriction, Objection}

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool {
	for _, v := range Kinds {
		if v == k {
			return true
		}
	}
	return false
}

// The statuses of a request. A request is received, then approved or
// refused by the controller (an admin or the DPO: DSR-2), and only an
// approved request is executed; a refused or executed one may be closed.
const (
	StatusReceived = "received"
	StatusApproved = "approved"
	StatusRefused  = "refused"
	StatusExecuted = "executed"
	StatusClosed   = "closed"
)

// Open reports whether a request in status still needs the controller.
func Open(status string) bool { return status == StatusReceived || status == StatusApproved }

// brussels is where the deadline's days are counted.
var brussels = func() *time.Location {
	if l, err := time.LoadLocation("Europe/Brussels"); err == nil {
		return l
	}
	return time.UTC
}()

// DueAt is the statutory deadline of a request received at received: one
// month later (art. 12.3 GDPR), to the end of that day in Brussels. When
// the month has no such day (31 January), the last day of the month.
func DueAt(received time.Time) time.Time { return addMonths(received, 1) }

// Extended is the deadline after the one extension the GDPR allows: two
// months more (art. 12.3), counted from the original deadline.
func Extended(received time.Time) time.Time { return addMonths(received, 3) }

func addMonths(t time.Time, months int) time.Time {
	l := t.In(brussels)
	y, m, d := l.Date()
	first := time.Date(y, m+time.Month(months), 1, 0, 0, 0, 0, brussels)
	last := first.AddDate(0, 1, -1).Day()
	if d > last {
		d = last
	}
	// The deadline is the end of the day: the start of the next one.
	return time.Date(first.Year(), first.Month(), d+1, 0, 0, 0, 0, brussels).UTC()
}

// DaysLeft is how many calendar days are left before due at now: 0 on the
// last day, negative once overdue.
func DaysLeft(due, now time.Time) int {
	d := due.In(brussels)
	n := now.In(brussels)
	dd := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC)
	nd := time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, time.UTC)
	return int(dd.Sub(nd).Hours()/24) - 1
}
