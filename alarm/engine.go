package alarm

import (
	"sort"
	"sync"
	"time"

	"github.com/ddm-agent/ddm/cmis"
)

// Options configure an Engine.
type Options struct {
	// Labels are added to every event (a rule's own labels win).
	Labels map[string]string
	// Diagnose, when set, names the likely cause of an alarm that fires on
	// a port (lane 0: the module), with its evidence, for the event's
	// Cause and Evidence. It is called with the port's evaluation under
	// way, so it must not call the Engine.
	Diagnose func(port string, lane int) Diagnosis
}

// Diagnosis is the likely cause of an alarm and the evidence for it, in
// words ("laser ageing"; "lane 3 bias 61.2 mA, +0.4 mA/day").
type Diagnosis struct {
	Cause    string
	Evidence []string
}

// Engine evaluates rules on samples. It is safe for concurrent use: calls
// for different ports run in parallel, calls for one port are serialized.
type Engine struct {
	rules    []*crule
	diagnose func(port string, lane int) Diagnosis
	mu       sync.RWMutex
	ports    map[string]*portState
}

// portState is everything the engine keeps about one port.
type portState struct {
	mu       sync.Mutex
	name     string
	rules    []ruleState
	id       *identity
	seen     bool // has held a module
	present  bool
	absentAt time.Time // when the cage was found empty
	inactive uint64    // lanes (bit lane-1) whose data path is not activated
	restored bool      // state was loaded: timers restart at the next sample
	scratch  []float32
}

// ruleState holds one rule's series on one port.
type ruleState struct {
	applies bool
	series  []*series
	active  int // series not inactive
	hint    int
	vdm     []int32 // positions of the rule's VDM observable (vdmIndex)
	vdmLen  int
	vdmObs  string
}

// series is one alarm instance: (rule, port, lane, observable, level).
type series struct {
	lane       int
	obs        string
	level      uint8 // module_thresholds/vdm_thresholds: 0 alarm, 1 warning; latched_flags: 0 lane, 1 module
	state      State
	since      time.Time // pending since
	firedAt    time.Time
	clearSince time.Time
	lastSeen   time.Time
	outlookAt  time.Time // forecast and cohort rules: the outlook that last had this series
	value      float64
	threshold  float64
	limit      string
	severity   Severity
	hist       *history
	// restored: firing when the state was loaded, not evaluated since.
	restored bool
}

func (e *Engine) port(name string) *portState {
	e.mu.RLock()
	ps := e.ports[name]
	e.mu.RUnlock()
	if ps != nil {
		return ps
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if ps = e.ports[name]; ps == nil {
		ps = &portState{name: name, rules: make([]ruleState, len(e.rules))}
		e.recomputeApplies(ps)
		e.ports[name] = ps
	}
	return ps
}

func (e *Engine) recomputeApplies(ps *portState) {
	for i, r := range e.rules {
		ps.rules[i].applies = r.Match.matchModule(ps.name, ps.id)
	}
}

// evaluator is one Evaluate call.
type evaluator struct {
	e  *Engine
	ps *portState
	// t is the sample's time on a clock that never steps back: every
	// duration (for, clear_for, absence) and every rate or baseline bucket
	// is measured on it. wall stamps the events.
	t      time.Time
	wall   time.Time
	m      *cmis.Module
	events []Event
}

// Evaluate runs every rule on one sample of a port and returns the alarms
// that changed state (firing or resolved), nil when none did. present is
// false when the cage is empty (the agent's KindAbsent); a present module
// that could not be read (KindError) is m == nil with present true and
// changes nothing. Samples of one port must come in time order.
//
// A series with no value in a sample (a fast sample carries no VDM, a lane
// at 0 mW has no dBm) keeps its state; only absent rules look at gaps.
// Lanes whose data path is known and not DPActivated are skipped, and
// their alarms resolve when the data path goes down. When the cage
// empties, the removed module's alarms resolve at once (module_absent
// rules then take over); when a different module (serial or part number)
// appears, the old one's alarms resolve and its history is dropped.
func (e *Engine) Evaluate(port string, t time.Time, m *cmis.Module, present bool) []Event {
	return e.EvaluateAt(port, t, t, m, present)
}

// EvaluateAt is Evaluate with the sample's time on two clocks: wall stamps
// the events, steady (a clock that never steps back, such as the agent's
// Sample.Steady) times the rules. When the wall clock steps back, rules
// timed on it would stall until it caught up (a rate or baseline bucket
// stays open, a for never elapses); on steady they go on.
func (e *Engine) EvaluateAt(port string, wall, steady time.Time, m *cmis.Module, present bool) []Event {
	ps := e.port(port)
	ps.mu.Lock()
	defer ps.mu.Unlock()
	t := steady
	ev := evaluator{e: e, ps: ps, t: t, wall: wall, m: m}
	if ps.restored {
		ps.restart(t)
	}
	if !present {
		ev.absent()
		return ev.events
	}
	if m == nil {
		return nil
	}
	ev.present()
	for i, r := range e.rules {
		rs := &ps.rules[i]
		if !rs.applies {
			continue
		}
		switch r.kind {
		case condModuleThresholds:
			ev.moduleThresholds(r, rs)
		case condVDMThresholds:
			ev.vdmThresholds(r, rs)
		case condFlags:
			ev.flags(r, rs)
		case condForecast, condCohort:
			// evaluated on the agent's forecasts (EvaluateOutlook)
		case condModuleAbsent:
			if rs.active > 0 {
				ev.apply(r, rs, 0, "", 0, false, true, 0, 0, "", r.Severity)
			}
		default:
			ev.metric(r, rs)
		}
	}
	return ev.events
}

// restart begins the timers of restored state at the first sample after
// LoadState: absence and no-data timers count from now, since the agent
// itself was away.
func (ps *portState) restart(t time.Time) {
	ps.restored = false
	if !ps.absentAt.IsZero() {
		ps.absentAt = t
	}
	ps.seenAt(t)
}

// seenAt starts every series' no-data timer at t.
func (ps *portState) seenAt(t time.Time) {
	for i := range ps.rules {
		for _, s := range ps.rules[i].series {
			s.lastSeen = t
		}
	}
}

// Active lists the alarms firing now, by port, rule, lane and observable.
// Time and Since are when each fired.
func (e *Engine) Active() []Event {
	e.mu.RLock()
	ports := make([]*portState, 0, len(e.ports))
	for _, ps := range e.ports {
		ports = append(ports, ps)
	}
	e.mu.RUnlock()
	var out []Event
	for _, ps := range ports {
		ps.mu.Lock()
		for i, r := range e.rules {
			for _, s := range ps.rules[i].series {
				if s.state == Firing {
					out = append(out, e.event(r, ps, s, Firing, s.firedAt))
				}
			}
		}
		ps.mu.Unlock()
	}
	sortEvents(out)
	return out
}

func sortEvents(ev []Event) {
	sort.Slice(ev, func(i, j int) bool {
		a, b := &ev[i], &ev[j]
		if a.Port != b.Port {
			return a.Port < b.Port
		}
		if a.Rule != b.Rule {
			return a.Rule < b.Rule
		}
		if a.Lane != b.Lane {
			return a.Lane < b.Lane
		}
		if a.Observable != b.Observable {
			return a.Observable < b.Observable
		}
		return a.Severity > b.Severity
	})
}
