package breach

import (
	"slices"
	"testing"
	"time"

	"github.com/kluis/kluis/internal/register"
)

// TestClauseBRE5_EveryRegisterClassHasAnnexLetters: the table from REG-7
// classes to the annex's letters knows every class of the register, maps
// only to letters of the annex, and sends what it does not know to Q.
func TestClauseBRE5_EveryRegisterClassHasAnnexLetters(t *testing.T) {
	for _, c := range register.Classes {
		letters, ok := regClassLetters[c.Code]
		if !ok {
			t.Errorf("class %s has no row in the table", c.Code)
		}
		for _, l := range letters {
			if !slices.Contains(Classes, l) {
				t.Errorf("class %s maps to %q, not an annex letter", c.Code, l)
			}
		}
		if c.Code != "1.00" && len(letters) == 0 {
			t.Errorf("personal class %s maps to no letter", c.Code)
		}
	}
	if got := ClassLetters([]string{"3.08", "4.02", "9.99"}); !slices.Equal(got, []string{"G", "K", "Q"}) {
		t.Fatalf("letters %v", got)
	}
}

// TestClauseBRE1_AttemptWindowsSlide: a storm straddling two quarter
// hours is one burst; the next burst starts after the first window; an
// event a recorded window covers opens nothing; denied events count per
// actor.
func TestClauseBRE1_AttemptWindowsSlide(t *testing.T) {
	t0 := time.Date(2026, 12, 4, 10, 10, 0, 0, time.UTC)
	var ev []AttemptEvent
	for i := 0; i < 10; i++ { // 10:10 … 10:19, across 10:15
		ev = append(ev, AttemptEvent{Cause: CauseLockouts, At: t0.Add(time.Duration(i) * time.Minute)})
	}
	for i := 0; i < 10; i++ { // 10:30 …: a second window
		ev = append(ev, AttemptEvent{Cause: CauseLockouts, At: t0.Add(20*time.Minute + time.Duration(i)*time.Second)})
	}
	for i := 0; i < 19; i++ {
		ev = append(ev, AttemptEvent{Cause: CauseDenied, At: t0, Actor: "user:a"}, AttemptEvent{Cause: CauseDenied, At: t0, Actor: "user:b"})
	}
	none := func(string, time.Time) bool { return false }
	got := DetectAttempts(ev, none)
	if len(got) != 2 || got[0].Events != 10 || !got[0].WindowStart.Equal(t0) || !got[1].WindowStart.Equal(t0.Add(20*time.Minute)) {
		t.Fatalf("bursts %+v", got)
	}
	covered := func(cause string, at time.Time) bool {
		return cause == CauseLockouts && at.Before(t0.Add(15*time.Minute))
	}
	if got := DetectAttempts(ev, covered); len(got) != 1 || !got[0].WindowStart.Equal(t0.Add(20*time.Minute)) {
		t.Fatalf("with the first window recorded: %+v", got)
	}
}
