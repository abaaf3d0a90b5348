package agent

import (
	"sync"
	"time"

	"github.com/ddm-agent/ddm/internal/vclock"
)

// clock gives the agent two readings of time from its vclock.Clock. The
// wall clock (Now) stamps samples: it is what InfluxDB, Grafana and the
// operator go by, and it can step, backward too (NTP correcting a wrong
// clock, date -s). The steady clock never steps: it is the wall clock at
// the agent's start advanced by the clock's steady reading (Go's monotonic
// clock on the machine), so its readings are still plain time.Time values
// near the wall clock, but durations and buckets measured on it (alarm
// rules: for, clear_for, rate and baseline buckets; cycle times) are right
// across a step. The clock also notices steps back of the wall clock and
// counts them.
type clock struct {
	clk          vclock.Clock
	origin       time.Time     // the wall clock at start
	originSteady time.Duration // the steady reading at start

	mu       sync.Mutex
	offset   time.Duration // wall minus steady at the last check
	checked  bool
	back     int64
	lastBack time.Duration
	lastAt   time.Time
}

func newClock(clk vclock.Clock) *clock {
	// Round(0): the origin is a wall reading; the steady clock's own
	// reading supplies the monotonic part.
	return &clock{clk: clk, origin: clk.Now().Round(0), originSteady: clk.Steady()}
}

// steady reads the steady clock.
func (c *clock) steady() time.Time {
	return c.origin.Add(c.clk.Steady() - c.originSteady)
}

// now reads both clocks.
func (c *clock) now() (wall, steady time.Time) {
	return c.clk.Now(), c.steady()
}

// stepTolerance: a step back smaller than this is not counted (points are
// stamped to the millisecond).
const stepTolerance = time.Millisecond

// check reads both clocks and counts a step back of the wall clock since
// the last check; it returns the step (0 when none). Readings are taken
// under the lock, so checks from several bus workers are in order.
func (c *clock) check() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	w, s := c.now()
	// Round(0) drops the wall reading's monotonic part: this is the wall
	// difference.
	off := w.Round(0).Sub(s)
	defer func() { c.offset, c.checked = off, true }()
	if c.checked && off < c.offset-stepTolerance {
		c.back++
		c.lastBack, c.lastAt = c.offset-off, w
		return c.lastBack
	}
	return 0
}

// ClockSteps reports the backward steps of the wall clock the agent saw.
type ClockSteps struct {
	// Back counts them; Last is the size of the last one, At its wall time.
	Back int64
	Last time.Duration
	At   time.Time
}

func (c *clock) steps() ClockSteps {
	c.mu.Lock()
	defer c.mu.Unlock()
	return ClockSteps{Back: c.back, Last: c.lastBack, At: c.lastAt}
}
