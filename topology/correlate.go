package topology

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ddm-agent/ddm/cmis"
)

// Causes of a laser event, worst first.
const (
	CauseAbsent  = "source absent" // the laser source does not answer: every laser it has is dark
	CauseFault   = "fault"         // the laser's fault bit (ELSFP 1Ah:166-173)
	CauseOff     = "off"           // the laser is off
	CauseWarning = "warning"       // the laser's warning bit: its output or bias is past a warning limit
)

// Event is one laser's loss of light and everything it takes down: the
// engine lanes it feeds and the ports they carry. It fires once when the
// laser goes bad and resolves once when it is good again; ID is the same
// for both and is what the fed lanes' own alarms are linked by.
type Event struct {
	ID     string
	Source string
	Laser  int
	// Firing is true for the start of the event, false for its end.
	Firing bool
	// Cause is why the laser counts as bad (the worst seen while firing).
	Cause   string
	Time    time.Time
	PowerMW *float64
	Feeds   []Feed
	// Linked lists the fed lanes' alarms already firing when the event
	// started ("npo1 lane 5 tx_power_low"); alarms that fire later carry
	// the event's ID themselves.
	Linked []string
}

// Ports returns the switch ports the event takes down: each feed's port,
// or its engine where the feed names none.
func (e *Event) Ports() []string {
	seen := map[string]bool{}
	var out []string
	for _, f := range e.Feeds {
		p := f.Port
		if p == "" {
			p = f.Engine
		}
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}

// Lanes names the engine lanes the event takes down: "npo1:5-8".
func (e *Event) Lanes() string {
	parts := make([]string, 0, len(e.Feeds))
	for _, f := range e.Feeds {
		parts = append(parts, f.Engine+":"+LanesText(f.Lanes))
	}
	return strings.Join(parts, " ")
}

// Covers reports whether lane of engine is one the event takes down.
func (e *Event) Covers(engine string, lane int) bool {
	for _, f := range e.Feeds {
		if f.Engine != engine {
			continue
		}
		for _, l := range f.Lanes {
			if l == lane {
				return true
			}
		}
	}
	return false
}

// Summary is the event in one sentence.
func (e *Event) Summary() string {
	where := make([]string, 0, len(e.Feeds))
	for _, f := range e.Feeds {
		where = append(where, f.Where())
	}
	if !e.Firing {
		return fmt.Sprintf("%s laser %d is good again (was %s): %s have their light back", e.Source, e.Laser, e.Cause, strings.Join(where, ", "))
	}
	return fmt.Sprintf("%s laser %d %s: no light for %s", e.Source, e.Laser, e.Cause, strings.Join(where, ", "))
}

type laserKey struct {
	source string
	laser  int
}

// Correlator follows the lasers of a Map's sources and keeps the events
// that are firing. It is safe for concurrent use: sources and engines are
// read on different bus workers.
type Correlator struct {
	m      *Map
	mu     sync.Mutex
	active map[laserKey]*Event
}

// NewCorrelator returns a Correlator over m (nil: no topology, nothing is
// ever correlated).
func NewCorrelator(m *Map) *Correlator {
	return &Correlator{m: m, active: map[laserKey]*Event{}}
}

// Map returns the topology the correlator follows.
func (c *Correlator) Map() *Map { return c.m }

// cause says why laser l counts as bad, or "" when it is good.
func cause(l *cmis.Laser) string {
	switch {
	case l == nil:
		return CauseAbsent
	case l.Fault:
		return CauseFault
	case l.State == "off":
		return CauseOff
	case l.Warning:
		return CauseWarning
	}
	return ""
}

// worse reports whether cause a is worse than b.
func worse(a, b string) bool {
	rank := map[string]int{CauseAbsent: 4, CauseFault: 3, CauseOff: 2, CauseWarning: 1}
	return rank[a] > rank[b]
}

// ObserveSource takes a read of laser source port at t: its lasers, or
// present=false for a source that does not answer. It returns the events
// that start or end with it, in laser order. A laser the read does not
// show (its page not read) keeps its state.
func (c *Correlator) ObserveSource(port string, t time.Time, lasers []cmis.Laser, present bool) []Event {
	if c.m == nil || !c.m.IsSource(port) {
		return nil
	}
	byLaser := map[int]*cmis.Laser{}
	for i := range lasers {
		byLaser[lasers[i].Lane] = &lasers[i]
	}
	var mapped []int
	seen := map[int]bool{}
	for _, f := range c.m.Feeds {
		if f.Source == port && !seen[f.Laser] {
			seen[f.Laser] = true
			mapped = append(mapped, f.Laser)
		}
	}
	sort.Ints(mapped)
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []Event
	for _, n := range mapped {
		l, shown := byLaser[n]
		if present && !shown {
			continue
		}
		why := CauseAbsent
		if present {
			why = cause(l)
		}
		k := laserKey{port, n}
		ev := c.active[k]
		switch {
		case why != "" && ev == nil:
			ev = &Event{ID: fmt.Sprintf("%s/laser%d@%d", port, n, t.UnixMilli()), Source: port, Laser: n, Firing: true,
				Cause: why, Time: t, Feeds: c.m.FedBy(port, n)}
			if l != nil {
				ev.PowerMW = l.PowerMW
			}
			c.active[k] = ev
			out = append(out, *ev)
		case why != "" && worse(why, ev.Cause):
			ev.Cause = why
		case why == "" && ev != nil:
			delete(c.active, k)
			end := *ev
			end.Firing, end.Time, end.Linked, end.PowerMW = false, t, nil, nil
			if l != nil {
				end.PowerMW = l.PowerMW
			}
			out = append(out, end)
		}
	}
	return out
}

// Link returns the ID of the firing event whose laser feeds lane of
// engine, if any.
func (c *Correlator) Link(engine string, lane int) (string, bool) {
	f, ok := c.m.Feeding(engine, lane)
	if !ok {
		return "", false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if ev := c.active[laserKey{f.Source, f.Laser}]; ev != nil {
		return ev.ID, true
	}
	return "", false
}

// LaserView is a laser as `ddm dump` shows it beside the lanes it feeds.
type LaserView struct {
	Feed
	State   string   `json:"state,omitempty"`
	PowerMW *float64 `json:"power_mw,omitempty"`
	Fault   bool     `json:"fault,omitempty"`
	Warning bool     `json:"warning,omitempty"`
	// Read is false when the laser source was not read (its state is
	// unknown).
	Read bool `json:"read"`
}

// Views returns the feeds that involve port with the state of each
// laser from sources (port -> the source's lasers; a missing source was
// not read).
func (m *Map) Views(port string, sources map[string][]cmis.Laser) []LaserView {
	var out []LaserView
	for _, f := range m.Of(port) {
		v := LaserView{Feed: f}
		if ls, ok := sources[f.Source]; ok {
			for _, l := range ls {
				if l.Lane == f.Laser {
					v.Read, v.State, v.PowerMW, v.Fault, v.Warning = true, l.State, l.PowerMW, l.Fault, l.Warning
				}
			}
		}
		out = append(out, v)
	}
	return out
}
