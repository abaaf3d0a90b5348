package agent

import (
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
}

// FlagStat is one flag's record.
type FlagStat struct {
	// Count is how many times the flag went from clear to set.
	Count int `json:"count"`
	// First and Last are the read times it was first and last seen set.
	First time.Time `json:"first"`
	Last  time.Time `json:"last"`
	// Active: set in the latest read.
	Active bool `json:"active"`
}

func newFlagHistory() *FlagHistory {
	return &FlagHistory{Module: map[string]*FlagStat{}, Lanes: map[int]map[string]*FlagStat{}}
}

// add records the flags of one read. A flag absent from this read becomes
// inactive; a flag set again after being clear counts once more.
func (h *FlagHistory) add(m *cmis.Module, t time.Time) {
	if h == nil || m == nil {
		return
	}
	h.changed = record(h.Module, m.Flags.Names(), t) || h.changed
	for _, l := range m.Lanes {
		lm := h.Lanes[l.Lane]
		if lm == nil {
			if l.Flags == 0 {
				continue
			}
			lm = map[string]*FlagStat{}
			h.Lanes[l.Lane] = lm
		}
		h.changed = record(lm, l.Flags.Names(), t) || h.changed
	}
}

// record updates stats with the flags set in one read and reports whether
// anything changed.
func record(stats map[string]*FlagStat, set []string, t time.Time) (changed bool) {
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
		}
		st.Active, st.Last = true, t
	}
	for name, st := range stats {
		if !on[name] && st.Active {
			st.Active, changed = false, true
		}
	}
	return changed
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
