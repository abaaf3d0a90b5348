package alarm

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"time"
)

// stateVersion is the version of the SaveState format.
const stateVersion = 1

type stateFile struct {
	Version int        `json:"version"`
	Saved   time.Time  `json:"saved"`
	Ports   []portJSON `json:"ports"`
}

type portJSON struct {
	Port     string        `json:"port"`
	Seen     bool          `json:"seen,omitempty"`
	Present  bool          `json:"present,omitempty"`
	AbsentAt *time.Time    `json:"absent_since,omitempty"`
	Identity *identityJSON `json:"identity,omitempty"`
	Series   []seriesJSON  `json:"series,omitempty"`
}

type identityJSON struct {
	Identifier string   `json:"identifier,omitempty"`
	Vendor     string   `json:"vendor,omitempty"`
	PartNumber string   `json:"part_number,omitempty"`
	Serial     string   `json:"serial_number,omitempty"`
	Media      []string `json:"media_interfaces,omitempty"`
}

type seriesJSON struct {
	Rule string `json:"rule"`
	// Kind guards against a rule that kept its name but changed meaning.
	Kind       string       `json:"kind"`
	Lane       int          `json:"lane,omitempty"`
	Observable string       `json:"observable,omitempty"`
	Level      uint8        `json:"level,omitempty"`
	State      State        `json:"state"`
	Since      *time.Time   `json:"since,omitempty"`
	Value      float64      `json:"value"`
	Threshold  float64      `json:"threshold"`
	Limit      string       `json:"limit,omitempty"`
	Severity   Severity     `json:"severity"`
	History    *historyJSON `json:"history,omitempty"`
}

type historyJSON struct {
	Resolution int64     `json:"resolution_s"`
	Span       int64     `json:"span"`
	Buckets    []int64   `json:"buckets"`
	Medians    []float32 `json:"medians"`
}

// ruleKind is what a saved series must match to be restored into a rule.
func ruleKind(r *crule) string {
	if r.Builtin != "" {
		return r.Builtin
	}
	switch r.kind {
	case condModuleAbsent:
		return "module_absent"
	case condForecast:
		return "forecast " + r.Forecast.Quantity
	case condCohort:
		return "cohort " + r.Cohort.Quantity
	}
	return r.Metric + " " + conditionKeys[map[condKind]int{condAbove: 0, condBelow: 1, condOutside: 2, condRate: 3, condBaseline: 4, condAbsent: 5}[r.kind]]
}

// SaveState writes the engine's state as versioned JSON: firing alarms,
// the per-series history of rate and baseline rules, the series absent
// rules have seen, and per port whether
// it has held a module, since when it is empty and the identity of its
// module. Pending alarms are not saved.
func (e *Engine) SaveState(w io.Writer) error {
	f := stateFile{Version: stateVersion, Saved: time.Now().UTC()}
	for _, ps := range e.sortedPorts() {
		ps.mu.Lock()
		f.Ports = append(f.Ports, e.savePort(ps))
		ps.mu.Unlock()
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	return enc.Encode(&f)
}

// sortedPorts returns the ports by name.
func (e *Engine) sortedPorts() []*portState {
	e.mu.RLock()
	defer e.mu.RUnlock()
	names := make([]string, 0, len(e.ports))
	for n := range e.ports {
		names = append(names, n)
	}
	sort.Strings(names)
	ports := make([]*portState, 0, len(names))
	for _, n := range names {
		ports = append(ports, e.ports[n])
	}
	return ports
}

// savePort is one port's saved state: its firing series and the series of
// rules that keep state while inactive. The caller holds ps.mu.
func (e *Engine) savePort(ps *portState) portJSON {
	pj := portJSON{Port: ps.name, Seen: ps.seen, Present: ps.present}
	if !ps.absentAt.IsZero() {
		t := ps.absentAt
		pj.AbsentAt = &t
	}
	if id := ps.id; id != nil {
		pj.Identity = &identityJSON{id.identifier, id.vendor, id.partNumber, id.serial, id.media}
	}
	for i, r := range e.rules {
		for _, s := range ps.rules[i].series {
			if s.state == Firing || r.persistent {
				pj.Series = append(pj.Series, saveSeries(r, s))
			}
		}
	}
	return pj
}

func saveSeries(r *crule, s *series) seriesJSON {
	sj := seriesJSON{
		Rule: r.Name, Kind: ruleKind(r), Lane: s.lane, Observable: s.obs, Level: s.level,
		State: s.state, Value: finite(s.value), Threshold: finite(s.threshold), Limit: s.limit, Severity: s.severity,
	}
	if s.state == Firing {
		t := s.firedAt
		sj.Since = &t
	} else {
		sj.State = Inactive
	}
	if s.hist != nil {
		sj.History = saveHistory(s.hist)
	}
	return sj
}

func saveHistory(h *history) *historyJSON {
	hj := &historyJSON{Resolution: h.width, Span: h.span}
	for j, b := range h.nums {
		if b >= 0 {
			hj.Buckets = append(hj.Buckets, b)
			hj.Medians = append(hj.Medians, h.vals[j])
		}
	}
	if h.rem.count() > 0 {
		// The open bucket is saved closed: it loses at most one
		// interval's weight, not its samples.
		hj.Buckets = append(hj.Buckets, h.cur)
		hj.Medians = append(hj.Medians, h.rem.median())
	}
	return hj
}

func finite(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return v
}

// LoadState restores what SaveState wrote, into an engine that has not
// evaluated the ports it names yet (their state is replaced).
//
// After a restart:
//   - an alarm that was firing is still firing and is not fired again; if
//     its clear condition holds at its first evaluation it resolves then,
//     without waiting for clear_for (the values that kept it firing are
//     from before the restart); later it resolves as any alarm does;
//   - pending alarms were not saved: their for timers start again at the
//     first sample, so a restart can delay an alarm by its for, never
//     fire one early;
//   - absence timers (module_absent, absent) count from the first sample
//     after the restart: the time the agent was down is not counted as the
//     module's or the data's absence;
//   - rate and baseline history is kept (at its resolution), so a 24 h
//     baseline is not blind for a day after a restart;
//   - series of rules that are gone, or whose metric or condition kind
//     changed, are dropped; a firing alarm of a rule whose threshold changed
//     is kept and resolves if it no longer holds.
func (e *Engine) LoadState(r io.Reader) error {
	var f stateFile
	if err := json.NewDecoder(r).Decode(&f); err != nil {
		return fmt.Errorf("alarm state: %w", err)
	}
	if f.Version != stateVersion {
		return fmt.Errorf("alarm state: version %d, this ddm reads version %d", f.Version, stateVersion)
	}
	byName := map[string]int{}
	for i, r := range e.rules {
		byName[r.Name] = i
	}
	for _, pj := range f.Ports {
		ps := e.port(pj.Port)
		ps.mu.Lock()
		e.loadPort(ps, &pj, byName)
		ps.mu.Unlock()
	}
	return nil
}

// loadPort replaces a port's state with the saved one. byName gives each
// rule's position. The caller holds ps.mu.
func (e *Engine) loadPort(ps *portState, pj *portJSON, byName map[string]int) {
	ps.seen, ps.present, ps.restored = pj.Seen, pj.Present, true
	ps.absentAt = time.Time{}
	if pj.AbsentAt != nil {
		ps.absentAt = *pj.AbsentAt
	}
	ps.id = nil
	if id := pj.Identity; id != nil {
		ps.id = &identity{id.Identifier, id.Vendor, id.PartNumber, id.Serial, id.Media}
	}
	for i := range ps.rules {
		ps.rules[i].series, ps.rules[i].active = nil, 0
	}
	for j := range pj.Series {
		sj := &pj.Series[j]
		i, ok := byName[sj.Rule]
		if !ok || ruleKind(e.rules[i]) != sj.Kind {
			continue
		}
		loadSeries(e.rules[i], &ps.rules[i], sj)
	}
	e.recomputeApplies(ps)
}

// loadSeries restores one saved series of rule r: a firing alarm, or the
// history of a rule that keeps state while inactive.
func loadSeries(r *crule, rs *ruleState, sj *seriesJSON) {
	if rs.find(sj.Lane, sj.Observable, sj.Level) != nil {
		return
	}
	firing := sj.State == Firing && sj.Since != nil
	if !firing && !r.persistent {
		return
	}
	s := rs.add(sj.Lane, sj.Observable, sj.Level, sj.Severity)
	s.value, s.threshold, s.limit = sj.Value, sj.Threshold, sj.Limit
	if firing {
		s.state, s.firedAt, s.restored = Firing, *sj.Since, true
		rs.active++
	}
	if hj := sj.History; hj != nil && r.persistent && r.kind != condAbsent {
		s.hist = restoreHistory(r, hj)
	}
}

// Retain forgets the state of every port not in ports, and returns the
// ports it dropped. The daemon calls it after LoadState with the ports of
// its configuration: a state file written by another configuration (or
// before a port was removed) must not restate alarms of ports that do not
// exist, which would never resolve.
func (e *Engine) Retain(ports []string) (dropped []string) {
	keep := make(map[string]bool, len(ports))
	for _, p := range ports {
		keep[p] = true
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for name := range e.ports {
		if !keep[name] {
			delete(e.ports, name)
			dropped = append(dropped, name)
		}
	}
	sort.Strings(dropped)
	return dropped
}

// restoreHistory rebuilds a history saved at the rule's current resolution
// and window; otherwise the series starts afresh.
func restoreHistory(r *crule, hj *historyJSON) *history {
	h := r.newHistory()
	if hj.Resolution != h.width || hj.Span != h.span || len(hj.Buckets) != len(hj.Medians) {
		return h
	}
	for i, b := range hj.Buckets {
		if b >= 0 && !math.IsNaN(float64(hj.Medians[i])) {
			h.put(b, hj.Medians[i])
			h.cur = max(h.cur, b+1)
		}
	}
	return h
}
