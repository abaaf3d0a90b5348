package agent

import (
	"testing"
	"time"

	"github.com/ddm-agent/ddm/internal/vclock"
)

// TestClockStepsBack: the steady clock goes on while the wall clock steps
// back, and each step back is counted once with its size; a step forward
// (a suspend, the first NTP sync) is not a step back.
func TestClockStepsBack(t *testing.T) {
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	v := vclock.New(base)
	c := newClock(v)
	type step struct {
		advance, wallStep time.Duration
		wantBack          time.Duration
	}
	var lastSteady time.Time
	var mono, offset time.Duration
	for i, s := range []step{
		{time.Second, 0, 0},
		{time.Second, -time.Hour, time.Hour}, // NTP corrects a clock an hour ahead
		{time.Second, 0, 0},
		{time.Second, 10 * time.Minute, 0},        // forward: not counted
		{time.Second, -500 * time.Microsecond, 0}, // below the tolerance
		{time.Second, -3 * time.Second, 3 * time.Second},
	} {
		v.Advance(s.advance)
		v.Step(s.wallStep)
		mono += s.advance
		offset += s.wallStep
		if got := c.check(); got != s.wantBack {
			t.Errorf("step %d: check() = %v, want %v", i, got, s.wantBack)
		}
		wall, steady := c.now()
		if !steady.After(lastSteady) {
			t.Errorf("step %d: steady %v not after %v", i, steady, lastSteady)
		}
		if want := base.Add(mono); !steady.Equal(want) {
			t.Errorf("step %d: steady %v, want %v", i, steady, want)
		}
		if want := base.Add(mono + offset); !wall.Equal(want) {
			t.Errorf("step %d: wall %v, want %v", i, wall, want)
		}
		lastSteady = steady
	}
	if st := c.steps(); st.Back != 2 || st.Last != 3*time.Second || !st.At.Equal(base.Add(mono+offset)) {
		t.Errorf("steps %+v, want 2, the last 3s", st)
	}
}

// TestClockRealIsMonotonic: on the machine's clock the steady clock starts
// at the wall clock and moves with the monotonic clock; no step is seen.
func TestClockRealIsMonotonic(t *testing.T) {
	c := newClock(vclock.NewReal())
	before := time.Now()
	w, s := c.now()
	if d := s.Sub(w.Round(0)); d > time.Second || d < -time.Second || s.Before(c.origin) || c.check() != 0 {
		t.Errorf("steady %v for wall %v (origin %v, read after %v)", s, w, c.origin, before)
	}
}
