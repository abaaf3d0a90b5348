package agent

import (
	"sync"
	"time"
)

// clock gives the agent two readings of time. The wall clock (Options.Now)
// stamps samples: it is what InfluxDB, Grafana and the operator go by, and
// it can step, backward too (NTP correcting a wrong clock, date -s). The
// steady clock never steps: it is the wall clock at the agent's start
// advanced by Go's monotonic clock, so its readings are still plain
// time.Time values near the wall clock, but durations and buckets measured
// on it (alarm rules: for, clear_for, rate and baseline buckets; cycle
// times) are right across a step. The clock also notices steps back of
// the wall clock and counts them.
type clock struct {
	now     func() time.Time
	elapsed func() time.Duration // nil: now's own monotonic reading
	origin  time.Time

	mu       sync.Mutex
	offset   time.Duration // wall minus steady at the last check
	checked  bool
	back     int64
	lastBack time.Duration
	lastAt   time.Time
}

func newClock(now func() time.Time, elapsed func() time.Duration) *clock {
	return &clock{now: now, elapsed: elapsed, origin: now()}
}

// steadyOf maps a wall reading taken from now to the steady clock. With
// Go's own clock the mapping is exact: t.Sub(origin) uses both readings'
// monotonic parts.
func (c *clock) steadyOf(t time.Time) time.Time {
	if c.elapsed != nil {
		return c.origin.Add(c.elapsed())
	}
	return c.origin.Add(t.Sub(c.origin))
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
	w := c.now()
	// Round(0) drops the monotonic readings: this is the wall difference.
	off := w.Round(0).Sub(c.steadyOf(w).Round(0))
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
