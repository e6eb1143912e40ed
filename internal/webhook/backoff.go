package webhook

import "time"

// schedule is the wait after each failed attempt, as Standard Webhooks
// suggests: a quick retry, then minutes, then hours, for about a day.
var schedule = []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour,
	10 * time.Hour, 10 * time.Hour}

// MaxAttempts is how many times a delivery is tried before it fails for good.
var MaxAttempts = len(schedule) + 1

// Backoff returns how long to wait after failed attempt n (1-based) before
// the next one; ok is false when n was the last attempt.
func Backoff(n int) (d time.Duration, ok bool) {
	if n < 1 {
		n = 1
	}
	if n > len(schedule) {
		return 0, false
	}
	return schedule[n-1], true
}
