package pipeline

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sort"
	"sync"

	"github.com/ddm-agent/ddm/internal/atomicfile"

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

// FlagCountsFile is the file in the state folder where the pipeline saves
// each port's flag counters (with the alarm state), for `ddm dump`.
const FlagCountsFile = "flag-counts.json"

// save writes every port's latest counters to path atomically; nothing
// while no port has been read.
func (w *flagWriter) save(path string) error {
	w.mu.Lock()
	if len(w.last) == 0 {
		w.mu.Unlock()
		return nil
	}
	out := make(map[string][]exporter.FlagCount, len(w.last))
	for port, h := range w.last {
		out[port] = FlagCounts(h)
	}
	w.mu.Unlock()
	return atomicfile.Write(path, 0o600, func(f io.Writer) error { return json.NewEncoder(f).Encode(out) })
}

// LoadFlagCounts reads the counters the agent saved (FlagCountsFile), per
// port; a missing file is no counters and no error.
func LoadFlagCounts(path string) (map[string][]exporter.FlagCount, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out map[string][]exporter.FlagCount
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return out, nil
}
