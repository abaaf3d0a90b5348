package pipeline

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/ddm-agent/ddm/internal/atomicfile"

	"github.com/ddm-agent/ddm/agent"
	"github.com/ddm-agent/ddm/exporter"
)

// flagWriter keeps each port's latest flag history (from its fast and
// static samples, and from the flag events a scan sees between two of
// them) and writes its xcvr_flag points when it changed: the agent hands
// out the same history copy until a counter moves, so a new copy is a
// change.
type flagWriter struct {
	mu sync.Mutex
	// last is each port's latest history, at is the time of the read
	// that gave it, and written the history whose points were written
	// last.
	last, written map[string]*agent.FlagHistory
	at            map[string]time.Time
}

// note records h as the port's latest history, seen by a read at t.
func (w *flagWriter) note(port string, h *agent.FlagHistory, t time.Time) {
	if w.last == nil {
		w.last, w.written, w.at = map[string]*agent.FlagHistory{}, map[string]*agent.FlagHistory{}, map[string]time.Time{}
	}
	w.last[port], w.at[port] = h, t
}

// points returns the xcvr_flag points of a fast or static sample whose
// flag history was not written yet, else nil.
func (w *flagWriter) points(host string, s agent.Sample) []exporter.Point {
	if s.Flags == nil || (s.Kind != agent.KindFast && s.Kind != agent.KindStatic) {
		return nil
	}
	w.mu.Lock()
	w.note(s.Port, s.Flags, s.Time)
	same := w.written[s.Port] == s.Flags
	w.written[s.Port] = s.Flags
	w.mu.Unlock()
	if same {
		return nil
	}
	return exporter.FlagPoints(exporter.Source{Host: host, Port: s.Port, Time: s.Time}, FlagCounts(s.Flags))
}

// events keeps the history the flag events of a read leave (a scan's,
// between two samples): saved from now on, its points written with the
// port's next sample, or by pending if none comes.
func (w *flagWriter) events(events []agent.FlagEvent) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, e := range events {
		if e.Flags != nil {
			w.note(e.Port, e.Flags, e.Time)
		}
	}
}

// pending returns the xcvr_flag points of the histories not written yet
// (a scan's events after the port's last sample, at shutdown), stamped
// with the read that gave them, and marks them written.
func (w *flagWriter) pending(host string) []exporter.Point {
	w.mu.Lock()
	defer w.mu.Unlock()
	var pts []exporter.Point
	for port, h := range w.last {
		if w.written[port] == h {
			continue
		}
		w.written[port] = h
		pts = append(pts, exporter.FlagPoints(exporter.Source{Host: host, Port: port, Time: w.at[port]}, FlagCounts(h))...)
	}
	return pts
}

// FlagCounts lists a flag history's counters, module flags first, then by
// lane and flag name (the order `ddm dump` shows them in).
func FlagCounts(h *agent.FlagHistory) []exporter.FlagCount {
	if h == nil {
		return nil
	}
	var out []exporter.FlagCount
	add := func(lane int, stats map[string]*agent.FlagStat) {
		for _, n := range slices.Sorted(maps.Keys(stats)) {
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
