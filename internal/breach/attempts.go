package breach

import (
	"slices"
	"time"
)

// Serious attempts (BRE-1: "a breach or a serious attempt"). Kluis reads
// its own audit log for the signs below and opens a draft breach for
// review, one per cause and window; a person then judges it.

// The causes of an automatic draft.
const (
	CauseLockouts = "lockouts" // a lockout storm: many accounts locked
	CauseDenied   = "denied"   // one actor refused again and again (cross-tenant, ungranted)
	CauseScanner  = "scanner"  // a burst of uploads the scanner refused
	CauseChain    = "chain"    // the audit chain's verification failed
	CauseReport   = "report"   // a citizen's access report judged a breach candidate
)

// AttemptCauses are the causes in a fixed order.
var AttemptCauses = []string{CauseLockouts, CauseDenied, CauseScanner, CauseChain, CauseReport}

// AttemptWindow is the window the events of one cause are counted in.
const AttemptWindow = 15 * time.Minute

// AttemptThresholds: how many events of a cause in one AttemptWindow open
// a draft. Denied events count per actor.
var AttemptThresholds = map[string]int{
	CauseLockouts: 10,
	CauseDenied:   20,
	CauseScanner:  10,
	CauseChain:    1,
	CauseReport:   1,
}

// AttemptEvent is one audit event that may be a sign, reduced to what the
// rules need: its cause, time and (for denied events) its actor.
type AttemptEvent struct {
	Cause string
	At    time.Time
	Actor string // actor kind and id, for CauseDenied
}

// Attempt is a burst that reached its cause's threshold: the window from
// its first event and how many events of the cause it held.
type Attempt struct {
	Cause       string
	WindowStart time.Time
	Last        time.Time // the last event counted
	Events      int
}

// DetectAttempts finds the bursts in events: for each cause (and, for
// denied events, each actor) a window of AttemptWindow opening at an event
// that holds at least the threshold. covered(cause, at) reports whether a
// draft already covers an event of cause at at (its window holds at), so
// a second run over the same events opens nothing twice; the events a new
// window covers are not counted again.
func DetectAttempts(events []AttemptEvent, covered func(cause string, at time.Time) bool) []Attempt {
	groups := map[string][]AttemptEvent{}
	var keys []string
	for _, e := range events {
		if _, ok := AttemptThresholds[e.Cause]; !ok {
			continue
		}
		k := e.Cause
		if e.Cause == CauseDenied {
			k += "/" + e.Actor
		}
		if _, seen := groups[k]; !seen {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], e)
	}
	slices.Sort(keys)
	var out []Attempt
	opened := func(cause string, at time.Time) bool {
		for _, a := range out {
			if a.Cause == cause && !at.Before(a.WindowStart) && at.Before(a.WindowStart.Add(AttemptWindow)) {
				return true
			}
		}
		return covered(cause, at)
	}
	for _, k := range keys {
		g := groups[k]
		slices.SortStableFunc(g, func(a, b AttemptEvent) int { return a.At.Compare(b.At) })
		need := AttemptThresholds[g[0].Cause]
		for i := 0; i < len(g); i++ {
			if opened(g[i].Cause, g[i].At) {
				continue
			}
			end := g[i].At.Add(AttemptWindow)
			j := i
			for j < len(g) && g[j].At.Before(end) {
				j++
			}
			if j-i >= need {
				out = append(out, Attempt{Cause: g[i].Cause, WindowStart: g[i].At, Last: g[j-1].At, Events: j - i})
				i = j - 1
			}
		}
	}
	slices.SortStableFunc(out, func(a, b Attempt) int { return a.WindowStart.Compare(b.WindowStart) })
	return out
}

// CauseKey and CauseArgs are the message key and arguments of the clause
// that says why a draft was opened (after "because"): the counted causes
// name their count, the others take none.
func CauseKey(cause string) string { return "scope.cause." + cause }

// CauseArgs: see CauseKey.
func CauseArgs(cause string, events int) []any {
	switch cause {
	case CauseLockouts, CauseDenied, CauseScanner:
		return []any{events}
	}
	return nil
}
