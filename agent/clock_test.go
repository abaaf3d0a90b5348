package agent

import (
	"testing"
	"time"
)

// TestClockStepsBack: the steady clock goes on while the wall clock steps
// back, and each step back is counted once with its size; a step forward
// (a suspend, the first NTP sync) is not a step back.
func TestClockStepsBack(t *testing.T) {
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var mono, offset time.Duration // elapsed monotonic time; wall minus monotonic
	c := newClock(func() time.Time { return base.Add(mono + offset) }, func() time.Duration { return mono })
	type step struct {
		advance, wallStep time.Duration
		wantBack          time.Duration
	}
	var lastSteady time.Time
	for i, s := range []step{
		{time.Second, 0, 0},
		{time.Second, -time.Hour, time.Hour}, // NTP corrects a clock an hour ahead
		{time.Second, 0, 0},
		{time.Second, 10 * time.Minute, 0},        // forward: not counted
		{time.Second, -500 * time.Microsecond, 0}, // below the tolerance
		{time.Second, -3 * time.Second, 3 * time.Second},
	} {
		mono += s.advance
		offset += s.wallStep
		if got := c.check(); got != s.wantBack {
			t.Errorf("step %d: check() = %v, want %v", i, got, s.wantBack)
		}
		wall := c.now()
		steady := c.steadyOf(wall)
		if !steady.After(lastSteady) {
			t.Errorf("step %d: steady %v not after %v", i, steady, lastSteady)
		}
		if want := base.Add(mono); !steady.Equal(want) {
			t.Errorf("step %d: steady %v, want %v", i, steady, want)
		}
		lastSteady = steady
	}
	if st := c.steps(); st.Back != 2 || st.Last != 3*time.Second || !st.At.Equal(base.Add(mono+offset)) {
		t.Errorf("steps %+v, want 2, the last 3s", st)
	}
}

// TestClockDefaultIsMonotonic: without Elapsed the steady clock is the
// mapping of Go's own readings, exact for the instant they were taken.
func TestClockDefaultIsMonotonic(t *testing.T) {
	c := newClock(time.Now, nil)
	w := time.Now()
	if s := c.steadyOf(w); s.Sub(c.origin) != w.Sub(c.origin) || c.check() != 0 {
		t.Errorf("steady %v for wall %v", s, w)
	}
}
