package agent

import (
	"strings"
	"time"

	"github.com/ddm-agent/ddm/cmis"
)

// FlagHistory accumulates a module's latched flags since insertion. Latched
// flags clear when read, so each read sees only what latched since the last
// one; keeping every bit here is what stops a short event from being lost.
type FlagHistory struct {
	Module map[string]*FlagStat         `json:"module,omitempty"`
	Lanes  map[int]map[string]*FlagStat `json:"lanes,omitempty"`

	// last is the copy clone made last; it serves every sample until add
	// records a change (changed), so a module with no flags set shares one
	// copy instead of getting a new one every cycle.
	last    *FlagHistory
	changed bool
	// settle: a read that sees a flag clear less than settle after a read
	// that saw it set does not end its event. A condition that lasts
	// latches its flag again at the module's next update, not at once: a
	// second read right after a first (a fast read just after a scan)
	// finds it clear while the condition holds.
	settle time.Duration
	// settleMonitor is settle for the monitors' threshold flags (names
	// ending in _alarm or _warning): a module sets them from its monitor
	// samples, so a condition that lasts latches its flag again only at
	// the module's next monitor refresh (up to a fast interval later),
	// and a scan in between finds it clear.
	settleMonitor time.Duration
}

// FlagStat is one flag's record.
type FlagStat struct {
	// Count is how many times the flag went from clear to set: the events
	// (a condition that lasts keeps its flag latched from read to read and
	// counts once; with a flag scan every 100 ms, every loss of signal
	// that comes back for 200 ms or more before the next counts again).
	Count int `json:"count"`
	// Reads is how many reads saw the flag set.
	Reads int `json:"reads"`
	// First and Last are the read times it was first and last seen set.
	First time.Time `json:"first"`
	Last  time.Time `json:"last"`
	// Active: set in the latest read.
	Active bool `json:"active"`
}

func newFlagHistory() *FlagHistory {
	return &FlagHistory{Module: map[string]*FlagStat{}, Lanes: map[int]map[string]*FlagStat{}}
}

// FlagEvent is a latched flag seen set by a read after a read that saw it
// clear: one event of its counter. The onset lies in (Since, Time]: a
// latched flag says only that the condition happened since the flags were
// last read.
type FlagEvent struct {
	Port string
	Bus  string
	// Lane is global and 1-based; 0 for a module flag.
	Lane int
	Flag string
	// Time is when the read that saw it ended (wall clock), Steady the
	// same instant on the agent's steady clock.
	Time   time.Time
	Steady time.Time
	// Since is when the flags were read before (wall clock; zero for the
	// first read of the module).
	Since time.Time
	// Scan: seen by a flag scan, not a fast or static read.
	Scan bool
	// Count is the flag's count with this event.
	Count int
	// Flags is the port's flag history with this event counted (shared
	// by the events of one read, read-only): a scan's events come between
	// two samples, and the counters a holder keeps must include them.
	Flags *FlagHistory
}

// FlagObserver is an Observer that also takes flag events as soon as a
// read sees them (a flag scan's between two samples included). The agent
// calls ObserveFlags from the bus worker: it must return quickly.
type FlagObserver interface {
	ObserveFlags([]FlagEvent)
}

// add records the flags of one read (a fast or static read's module). A
// flag absent from this read becomes inactive; a flag set again after
// being clear counts once more, and is appended to ev.
func (h *FlagHistory) add(m *cmis.Module, t time.Time, ev []FlagEvent) []FlagEvent {
	if h == nil || m == nil {
		return ev
	}
	ev = h.recordModule(m.Flags, t, ev)
	for _, l := range m.Lanes {
		ev = h.recordLane(l.Lane, l.Flags, t, ev)
	}
	return ev
}

// addScan records a flag scan's flags (lanes[i] is lane i+1).
func (h *FlagHistory) addScan(mf cmis.ModuleFlags, lanes []cmis.LaneFlags, t time.Time, ev []FlagEvent) []FlagEvent {
	if h == nil {
		return ev
	}
	ev = h.recordModule(mf, t, ev)
	for i, f := range lanes {
		ev = h.recordLane(i+1, f, t, ev)
	}
	return ev
}

func (h *FlagHistory) recordModule(f cmis.ModuleFlags, t time.Time, ev []FlagEvent) []FlagEvent {
	var changed bool
	ev, changed = record(h.Module, 0, f.Names(), t, h.settle, h.settleMonitor, ev)
	h.changed = changed || h.changed
	return ev
}

func (h *FlagHistory) recordLane(lane int, f cmis.LaneFlags, t time.Time, ev []FlagEvent) []FlagEvent {
	lm := h.Lanes[lane]
	if lm == nil {
		if f == 0 {
			return ev
		}
		lm = map[string]*FlagStat{}
		h.Lanes[lane] = lm
	}
	var changed bool
	ev, changed = record(lm, lane, f.Names(), t, h.settle, h.settleMonitor, ev)
	h.changed = changed || h.changed
	return ev
}

// anyActive reports whether some flag's event is still open: the flag was
// set at the last read that saw it, and no read has seen it clear at least
// the settle time later. A monitor's threshold flag does not count: its
// module sets it again at a monitor refresh (an IntL edge), and the fast
// reads see it end.
func (h *FlagHistory) anyActive() bool {
	if h == nil {
		return false
	}
	for name, st := range h.Module {
		if st.Active && !monitorFlag(name) {
			return true
		}
	}
	for _, m := range h.Lanes {
		for name, st := range m {
			if st.Active && !monitorFlag(name) {
				return true
			}
		}
	}
	return false
}

// record updates stats with the flags set in one read, appends the new
// events to ev and reports whether anything changed.
func record(stats map[string]*FlagStat, lane int, set []string, t time.Time, settle, settleMonitor time.Duration, ev []FlagEvent) (_ []FlagEvent, changed bool) {
	on := make(map[string]bool, len(set))
	changed = len(set) > 0 // a set flag's Last moves
	for _, name := range set {
		on[name] = true
		st := stats[name]
		if st == nil {
			st = &FlagStat{First: t}
			stats[name] = st
		}
		if !st.Active {
			st.Count++
			ev = append(ev, FlagEvent{Lane: lane, Flag: name, Time: t, Count: st.Count})
		}
		st.Reads++
		st.Active, st.Last = true, t
	}
	for name, st := range stats {
		wait := settle
		if monitorFlag(name) {
			wait = max(settle, settleMonitor)
		}
		if !on[name] && st.Active && t.Sub(st.Last) >= wait {
			st.Active, changed = false, true
		}
	}
	return ev, changed
}

// monitorFlag reports whether a flag is a monitor's threshold flag (a
// temperature, voltage, bias or power alarm or warning).
func monitorFlag(name string) bool {
	return strings.HasSuffix(name, "_alarm") || strings.HasSuffix(name, "_warning")
}

// clone returns a deep copy, so an observer can keep a sample's history
// while the worker goes on updating its own. While nothing changes it
// returns the same copy: samples share it, read-only.
func (h *FlagHistory) clone() *FlagHistory {
	if h == nil {
		return nil
	}
	if h.last != nil && !h.changed {
		return h.last
	}
	c := newFlagHistory()
	h.last, h.changed = c, false
	for k, v := range h.Module {
		st := *v
		c.Module[k] = &st
	}
	for lane, m := range h.Lanes {
		cm := make(map[string]*FlagStat, len(m))
		for k, v := range m {
			st := *v
			cm[k] = &st
		}
		c.Lanes[lane] = cm
	}
	return c
}
