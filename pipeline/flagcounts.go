package pipeline

import (
	"sort"
	"sync"

	"github.com/ddm-agent/ddm/agent"
	"github.com/ddm-agent/ddm/exporter"
)

// flagWriter writes a port's xcvr_flag points when its flag history
// changed: the agent hands every sample the same history copy until a
// counter moves, so a new copy is a change.
type flagWriter struct {
	mu   sync.Mutex
	last map[string]*agent.FlagHistory
}

// points returns the xcvr_flag points of a fast or static sample whose
// flag history changed since the port's last, else nil.
func (w *flagWriter) points(host string, s agent.Sample) []exporter.Point {
	if s.Flags == nil || (s.Kind != agent.KindFast && s.Kind != agent.KindStatic) {
		return nil
	}
	w.mu.Lock()
	if w.last == nil {
		w.last = map[string]*agent.FlagHistory{}
	}
	same := w.last[s.Port] == s.Flags
	w.last[s.Port] = s.Flags
	w.mu.Unlock()
	if same {
		return nil
	}
	return exporter.FlagPoints(exporter.Source{Host: host, Port: s.Port, Time: s.Time}, FlagCounts(s.Flags))
}

// FlagCounts lists a flag history's counters, module flags first, then by
// lane and flag name (the order `ddm dump` shows them in).
func FlagCounts(h *agent.FlagHistory) []exporter.FlagCount {
	if h == nil {
		return nil
	}
	var out []exporter.FlagCount
	add := func(lane int, stats map[string]*agent.FlagStat) {
		names := make([]string, 0, len(stats))
		for n := range stats {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			st := stats[n]
			out = append(out, exporter.FlagCount{Lane: lane, Flag: n, Events: int64(st.Count), Reads: int64(st.Reads),
				First: st.First, Last: st.Last, Active: st.Active})
		}
	}
	add(0, h.Module)
	lanes := make([]int, 0, len(h.Lanes))
	for l := range h.Lanes {
		lanes = append(lanes, l)
	}
	sort.Ints(lanes)
	for _, l := range lanes {
		add(l, h.Lanes[l])
	}
	return out
}
