package alarm

import (
	"maps"
	"math"
	"math/bits"
	"sort"
	"sync"
	"time"

	"github.com/ddm-agent/ddm/cmis"
)

// condKind is a rule's compiled condition.
type condKind uint8

const (
	condNone condKind = iota
	condAbove
	condBelow
	condOutside
	condRate
	condBaseline
	condAbsent
	condModuleAbsent
	condModuleThresholds
	condVDMThresholds
	condFlags
)

// State of an alarm series.
type State uint8

// States. A series is inactive until its condition holds, pending while it
// holds for less than the rule's for, firing after that, and resolved (an
// event only; the series is inactive again) when the clear condition has
// held for clear_for.
const (
	Inactive State = iota
	Pending
	Firing
	Resolved
)

var stateNames = [...]string{"inactive", "pending", "firing", "resolved"}

func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "unknown"
}

// MarshalText writes the name.
func (s State) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a name.
func (s *State) UnmarshalText(b []byte) error {
	for i, n := range stateNames {
		if string(b) == n {
			*s = State(i)
			return nil
		}
	}
	*s = Inactive
	return nil
}

// Event is a change of an alarm's state (firing or resolved), or, from
// Active, an alarm that is firing.
type Event struct {
	// Time of the change (for Active: when it fired).
	Time time.Time
	Rule string
	// Metric is the rule's metric, or for built-in sets the metric of the
	// series (lane.rx_power_mw, vdm.pre_fec_ber_media, lane.flags).
	Metric string
	// Observable names the series within its rule and lane: the VDM
	// observable, the monitored quantity of module_thresholds, the flag of
	// latched_flags; empty for a plain module or lane metric.
	Observable string
	// Limit is the module threshold that was crossed (high_alarm,
	// low_alarm, high_warning, low_warning) for the threshold built-ins.
	Limit    string
	Port     string
	Lane     int // 0: the module
	Severity Severity
	State    State
	// Value is the value that changed the state (a rate for rate rules,
	// seconds without data for absence rules); Threshold the limit it was
	// compared with when the alarm fired: the module's own for module
	// thresholds, baseline minus drop for baseline rules.
	Value     float64
	Threshold float64
	// Since is when the alarm fired.
	Since   time.Time
	Summary string
	Labels  map[string]string
}

// Options configure an Engine.
type Options struct {
	// Labels are added to every event (a rule's own labels win).
	Labels map[string]string
}

// Engine evaluates rules on samples. It is safe for concurrent use: calls
// for different ports run in parallel, calls for one port are serialized.
type Engine struct {
	rules []*crule
	mu    sync.RWMutex
	ports map[string]*portState
}

// crule is a rule compiled for evaluation.
type crule struct {
	*Rule
	labels     map[string]string
	modQ       uint8 // module_thresholds: module quantities, bit per moduleQuantities
	laneQ      uint8 // lane quantities, bit per laneQuantities
	laneFlags  cmis.LaneFlags
	modFlags   cmis.ModuleFlags
	only       []string // vdm_thresholds observables; nil: all
	sev        [3]Severity
	persistent bool   // series keep state while inactive (history, last seen)
	relative   bool   // a level refers to the module's thresholds
	fixed      bounds // the bounds of a rule that is not relative
	metricName [2]string
}

// NewEngine compiles rules for evaluation; disabled rules are left out.
// rules must come from Parse (which compiles conditions and templates);
// nil means no rules.
func NewEngine(rules *Rules, opts Options) *Engine {
	e := &Engine{ports: map[string]*portState{}}
	if rules == nil {
		return e
	}
	for i := range rules.Rules {
		r := &rules.Rules[i]
		if r.Disabled || r.kind == condNone {
			continue
		}
		c := &crule{Rule: r, labels: map[string]string{}}
		maps.Copy(c.labels, opts.Labels)
		maps.Copy(c.labels, r.Labels)
		c.sev = [3]Severity{r.Severity, r.Severity, r.Severity}
		for i, n := range classNames {
			if s, ok := r.Severities[n]; ok {
				c.sev[i] = s
			}
		}
		only := func(name string) bool { return len(r.Only) == 0 || indexOf(r.Only, name) >= 0 }
		switch r.kind {
		case condModuleThresholds:
			for i, q := range moduleQuantities {
				if only(q) {
					c.modQ |= 1 << i
				}
			}
			for i, q := range laneQuantities {
				if only(q) {
					c.laneQ |= 1 << i
				}
			}
			c.metricName = [2]string{"module.", "lane."}
		case condVDMThresholds:
			c.only = r.Only
			c.metricName = [2]string{"vdm.", "vdm."}
		case condFlags:
			for i, n := range laneFlagNames {
				if len(r.Only) == 0 && !informationalFlag(n) || indexOf(r.Only, n) >= 0 {
					c.laneFlags |= 1 << i
				}
			}
			for i, n := range moduleFlagNames {
				if len(r.Only) == 0 && !informationalFlag(n) || indexOf(r.Only, n) >= 0 {
					c.modFlags |= 1 << i
				}
			}
			c.metricName = [2]string{"module.flags", "lane.flags"}
		case condModuleAbsent:
			c.metricName = [2]string{"module.present", "module.present"}
		default:
			c.metricName = [2]string{r.Metric, r.Metric}
		}
		c.persistent = r.kind == condRate || r.kind == condBaseline || r.kind == condAbsent
		for _, l := range r.levels() {
			c.relative = c.relative || l.Ref != ""
		}
		if !c.relative {
			c.fixed = c.bounds(nil)
		}
		e.rules = append(e.rules, c)
	}
	return e
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
	for i := range ps.rules {
		for _, s := range ps.rules[i].series {
			s.lastSeen = t
		}
	}
}

// absent handles a sample of an empty cage.
func (ev *evaluator) absent() {
	ps := ev.ps
	if ps.present || ps.absentAt.IsZero() {
		ps.absentAt = ev.t
		ev.forceResolve(func(r *crule, s *series) bool { return r.kind != condModuleAbsent })
	}
	ps.present = false
	for i, r := range ev.e.rules {
		rs := &ps.rules[i]
		if r.kind != condModuleAbsent || !rs.applies {
			continue
		}
		d := ev.t.Sub(ps.absentAt)
		fire := ps.seen && d >= r.ModuleAbsent
		ev.apply(r, rs, 0, "", 0, fire, false, d.Seconds(), r.ModuleAbsent.Seconds(), "", r.Severity)
	}
}

// present tracks presence, identity and lane activity of a read module.
func (ev *evaluator) present() {
	ps, m := ev.ps, ev.m
	if !ps.present {
		// Back after an absence (or first sample): no-data timers start now.
		for i := range ps.rules {
			for _, s := range ps.rules[i].series {
				s.lastSeen = ev.t
			}
		}
		ps.present = true
	}
	ps.absentAt = time.Time{}
	ps.seen = true
	if ps.id == nil || !ps.id.same(m) {
		if ps.id != nil && ps.id.swapped(m) {
			ev.forceResolve(func(r *crule, s *series) bool { return r.kind != condModuleAbsent })
			for i := range ps.rules {
				rs := &ps.rules[i]
				if ev.e.rules[i].kind != condModuleAbsent {
					rs.series, rs.active = nil, 0
				}
			}
		}
		ps.id = identityOf(m)
		ev.e.recomputeApplies(ps)
	}
	var inactive uint64
	for i := range m.Lanes {
		l := &m.Lanes[i]
		if l.DataPathState != "" && l.DataPathState != "DPActivated" && l.Lane >= 1 && l.Lane <= 64 {
			inactive |= 1 << (l.Lane - 1)
		}
	}
	if down := inactive &^ ps.inactive; down != 0 {
		ev.forceResolve(func(r *crule, s *series) bool {
			return s.lane >= 1 && s.lane <= 64 && down&(1<<(s.lane-1)) != 0
		})
	}
	ps.inactive = inactive
}

// laneOK reports whether a rule looks at a lane now.
func (ev *evaluator) laneOK(r *crule, lane int) bool {
	if lane >= 1 && lane <= 64 && ev.ps.inactive&(1<<(lane-1)) != 0 {
		return false
	}
	return r.Match.lane(lane)
}

// forceResolve resolves the firing series that match (and drops pending
// ones) regardless of clear_for: what they watched is gone.
func (ev *evaluator) forceResolve(match func(*crule, *series) bool) {
	for i, r := range ev.e.rules {
		rs := &ev.ps.rules[i]
		if rs.active == 0 {
			continue
		}
		for j := len(rs.series) - 1; j >= 0; j-- {
			s := rs.series[j]
			if s.state == Inactive || !match(r, s) {
				continue
			}
			if s.state == Firing {
				ev.emit(r, s, Resolved)
			}
			rs.deactivate(r, s)
		}
	}
}

// bounds are a threshold rule's fire and clear limits for one module (or
// one VDM instance): above fires over t and clears at or under c, below
// the mirror, outside fires out of [lo, hi] and clears inside [clo, chi].
type bounds struct {
	t, c, lo, hi, clo, chi float64
	ok                     bool
}

// bounds resolves the rule's levels against the module's thresholds.
func (r *crule) bounds(th *cmis.Thresholds) (b bounds) {
	h := r.Hysteresis
	q := r.met.thr // the threshold set of a module or lane metric
	if r.met.kind == metVDM {
		q = r.met.field // a VDM observable's own set
	}
	switch r.kind {
	case condAbove:
		b.t, b.ok = r.Above.resolve(th, q, r.met.dbm)
		b.c = b.t - h
		if r.Clear != nil {
			b.c = r.Clear[0]
		}
	case condBelow:
		b.t, b.ok = r.Below.resolve(th, q, r.met.dbm)
		b.c = b.t + h
		if r.Clear != nil {
			b.c = r.Clear[0]
		}
	case condOutside:
		var ok1, ok2 bool
		b.lo, ok1 = r.Outside[0].resolve(th, q, r.met.dbm)
		b.hi, ok2 = r.Outside[1].resolve(th, q, r.met.dbm)
		b.ok = ok1 && ok2
		b.clo, b.chi = b.lo+h, b.hi-h
		if r.Clear != nil {
			b.clo, b.chi = r.Clear[0], r.Clear[1]
		}
	}
	return b
}

// metric evaluates a metric rule on every instance of its metric.
func (ev *evaluator) metric(r *crule, rs *ruleState) {
	m := ev.m
	b := &r.fixed
	if r.relative && r.met.kind != metVDM {
		var th *cmis.Thresholds
		if t, ok := m.Thresholds[r.met.thr]; ok && r.trusts(t) {
			th = &t
		}
		bb := r.bounds(th)
		b = &bb
	}
	switch r.met.kind {
	case metModule:
		if p := moduleValue(m, r.met.index); p != nil {
			ev.value(r, rs, 0, "", *p, b)
		}
	case metLane:
		for i := range m.Lanes {
			l := &m.Lanes[i]
			if !ev.laneOK(r, l.Lane) {
				continue
			}
			if p := laneValue(l, r.met.index); p != nil {
				ev.value(r, rs, l.Lane, "", *p, b)
			}
		}
	case metVDM:
		if len(m.VDM) == 0 {
			break
		}
		for _, i := range rs.vdmIndex(m.VDM, r.met.field) {
			v := &m.VDM[i]
			if !ev.laneOK(r, v.Lane) {
				continue
			}
			if r.relative {
				bb := r.bounds(v.Thresholds)
				b = &bb
			}
			ev.value(r, rs, v.Lane, v.Observable, v.Value, b)
		}
	}
	if r.kind == condAbsent {
		ev.gaps(r, rs)
	}
}

// vdmIndex returns the positions of an observable in the module's VDM
// list. The layout of a module's VDM does not change between samples, so
// it is found once and checked (a comparison of identical strings) after.
func (rs *ruleState) vdmIndex(vdm []cmis.VDMValue, obs string) []int32 {
	if rs.vdmLen == len(vdm) {
		ok := true
		for _, i := range rs.vdm {
			// rs.vdmObs is the decoder's own string: equal pointers, so the
			// comparison does not read the bytes.
			if vdm[i].Observable != rs.vdmObs {
				ok = false
				break
			}
		}
		if ok {
			return rs.vdm
		}
	}
	rs.vdm, rs.vdmLen = rs.vdm[:0], len(vdm)
	for i := range vdm {
		if vdm[i].Observable == obs {
			rs.vdm = append(rs.vdm, int32(i))
			rs.vdmObs = vdm[i].Observable
		}
	}
	return rs.vdm
}

// value evaluates one instance of a metric rule.
func (ev *evaluator) value(r *crule, rs *ruleState, lane int, obs string, v float64, b *bounds) {
	if v-v != 0 {
		return // NaN or ±Inf: not a value
	}
	switch r.kind {
	case condAbove:
		if b.ok {
			ev.apply(r, rs, lane, obs, 0, v > b.t, v <= b.c, v, b.t, "", r.Severity)
		}
	case condBelow:
		if b.ok {
			ev.apply(r, rs, lane, obs, 0, v < b.t, v >= b.c, v, b.t, "", r.Severity)
		}
	case condOutside:
		if b.ok {
			t := b.hi
			if v < b.lo {
				t = b.lo
			}
			ev.apply(r, rs, lane, obs, 0, v < b.lo || v > b.hi, v >= b.clo && v <= b.chi, v, t, "", r.Severity)
		}
	case condRate, condBaseline:
		s := rs.find(lane, obs, 0)
		if s == nil {
			s = rs.add(lane, obs, 0, r.Severity)
		}
		if s.hist == nil {
			if r.kind == condRate {
				s.hist = newHistory(r.Rate.Per, r.Rate.Resolution)
			} else {
				s.hist = newHistory(r.Baseline.Window, r.Baseline.Resolution)
			}
		}
		s.hist.add(ev.t, v)
		s.lastSeen = ev.t
		if r.kind == condRate {
			ev.rate(r, rs, s)
		} else {
			ev.baseline(r, rs, s, v)
		}
	case condAbsent:
		s := rs.find(lane, obs, 0)
		if s == nil {
			s = rs.add(lane, obs, 0, r.Severity)
		}
		s.lastSeen = ev.t
		if s.state != Inactive {
			ev.step(r, rs, s, false, true, 0, r.Absent.Seconds(), "")
		}
	}
}

func (ev *evaluator) rate(r *crule, rs *ruleState, s *series) {
	rate, ok := s.hist.rate(r.Rate.Percent)
	if !ok {
		return
	}
	h := r.Hysteresis
	fire, clr := false, true
	t := 0.0
	if a := r.Rate.Above; a != nil {
		c := *a - h
		if r.Clear != nil {
			c = r.Clear[0]
		}
		fire, clr, t = rate > *a, rate <= c, *a
	}
	if b := r.Rate.Below; b != nil {
		c := *b + h
		if r.Clear != nil {
			c = r.Clear[0]
		}
		if rate < *b {
			fire, t = true, *b
		}
		clr = clr && rate >= c
	}
	ev.step(r, rs, s, fire, clr, rate, t, "")
}

func (ev *evaluator) baseline(r *crule, rs *ruleState, s *series, v float64) {
	b := r.Baseline
	minBuckets := int64(b.MinHistory / b.Resolution)
	base, ok := s.hist.baseline(minBuckets, &ev.ps.scratch)
	if !ok {
		return
	}
	h := r.Hysteresis
	fire, clr := false, true
	t := 0.0
	if b.Drop > 0 {
		t = base - b.Drop
		fire = v < t
		clr = v >= t+h
	}
	if b.Rise > 0 {
		hi := base + b.Rise
		if v > hi {
			fire, t = true, hi
		}
		clr = clr && v <= hi-h
	}
	ev.step(r, rs, s, fire, clr, v, t, "")
}

// gaps fires absent rules for the series that had no value in this sample.
func (ev *evaluator) gaps(r *crule, rs *ruleState) {
	for j := len(rs.series) - 1; j >= 0; j-- {
		s := rs.series[j]
		if s.lastSeen.Equal(ev.t) {
			continue
		}
		if s.lane > 0 && !ev.laneOK(r, s.lane) {
			continue
		}
		d := ev.t.Sub(s.lastSeen)
		ev.step(r, rs, s, d >= r.Absent, false, d.Seconds(), r.Absent.Seconds(), "")
	}
}

// moduleThresholds checks monitors against the module's own thresholds.
func (ev *evaluator) moduleThresholds(r *crule, rs *ruleState) {
	m := ev.m
	if len(m.Thresholds) == 0 {
		return
	}
	for qi, q := range moduleQuantities {
		if r.modQ&(1<<qi) == 0 {
			continue
		}
		p := moduleValue(m, qi)
		if p == nil {
			continue
		}
		if th, ok := m.Thresholds[q]; ok && r.trusts(th) {
			ev.limits(r, rs, 0, q, *p, &th)
		}
	}
	if len(m.Lanes) == 0 {
		return
	}
	for qi, q := range laneQuantities {
		if r.laneQ&(1<<qi) == 0 {
			continue
		}
		th, ok := m.Thresholds[q]
		if !ok || !r.trusts(th) {
			continue
		}
		for i := range m.Lanes {
			l := &m.Lanes[i]
			if !ev.laneOK(r, l.Lane) {
				continue
			}
			if p := laneValue(l, laneQuantityField[qi]); p != nil {
				ev.limits(r, rs, l.Lane, q, *p, &th)
			}
		}
	}
}

// vdmThresholds checks VDM observables against their threshold sets.
func (ev *evaluator) vdmThresholds(r *crule, rs *ruleState) {
	for i := range ev.m.VDM {
		v := &ev.m.VDM[i]
		if v.Thresholds == nil || !ev.laneOK(r, v.Lane) {
			continue
		}
		if r.only != nil && indexOf(r.only, v.Observable) < 0 {
			continue
		}
		ev.limits(r, rs, v.Lane, v.Observable, v.Value, v.Thresholds)
	}
}

// limits checks one value of quantity obs against an alarm and a warning
// class. Only the limits the module set count (cmis.Thresholds.Set: a zero
// limit of a quantity that cannot be negative is not set): a class may have
// a low limit only, and a class with none is not checked (an alarm of it
// still firing resolves).
func (ev *evaluator) limits(r *crule, rs *ruleState, lane int, obs string, v float64, th *cmis.Thresholds) {
	if rs.active == 0 && v <= th.HighWarning && v >= th.LowWarning && v <= th.HighAlarm && v >= th.LowAlarm {
		return // inside every limit, nothing pending or firing: the common case
	}
	if math.IsNaN(v) {
		return
	}
	set := th.Set(obs)
	g := r.HysteresisGap
	var hiGap, loGap float64
	if set.HighAlarm && set.HighWarning {
		hiGap = max(th.HighAlarm-th.HighWarning, 0) * g
	}
	if set.LowAlarm && set.LowWarning {
		loGap = max(th.LowWarning-th.LowAlarm, 0) * g
	}
	ev.class(r, rs, lane, obs, 0, v, classLimit{th.HighAlarm, set.HighAlarm, hiGap, "high_alarm"}, classLimit{th.LowAlarm, set.LowAlarm, loGap, "low_alarm"},
		r.sev[classAlarm])
	ev.class(r, rs, lane, obs, 1, v, classLimit{th.HighWarning, set.HighWarning, hiGap, "high_warning"}, classLimit{th.LowWarning, set.LowWarning, loGap, "low_warning"},
		r.sev[classWarning])
}

// classLimit is one of a class's two limits: its value, whether the module set
// it, the hysteresis gap to clear it, and its name.
type classLimit struct {
	v    float64
	set  bool
	gap  float64
	name string
}

// class runs one threshold class (level 0 alarm, 1 warning) of a value.
func (ev *evaluator) class(r *crule, rs *ruleState, lane int, obs string, level uint8, v float64, hi, lo classLimit, sev Severity) {
	if !hi.set && !lo.set {
		ev.apply(r, rs, lane, obs, level, false, true, v, 0, "", sev)
		return
	}
	above, below := hi.set && v > hi.v, lo.set && v < lo.v
	clr := (!hi.set || v <= hi.v-hi.gap) && (!lo.set || v >= lo.v+lo.gap)
	t, name := hi.v, hi.name
	if below || !hi.set {
		t, name = lo.v, lo.name
	}
	ev.apply(r, rs, lane, obs, level, above || below, clr, v, t, name, sev)
}

// flags raises the module's latched flags. A flag fires while it is set in
// the samples (a latched flag that is read set again has happened again)
// and clears when it has not been set for clear_for. Flags count as read
// when the lane (module) has monitor values in the sample.
func (ev *evaluator) flags(r *crule, rs *ruleState) {
	m := ev.m
	if m.TemperatureC != nil || m.VccV != nil || m.Flags != 0 {
		ev.flagSet(r, rs, 0, 1, uint32(m.Flags&r.modFlags), moduleFlagNames)
	}
	for i := range m.Lanes {
		l := &m.Lanes[i]
		if !ev.laneOK(r, l.Lane) {
			continue
		}
		if l.TxBiasMA != nil || l.TxPowerMW != nil || l.RxPowerMW != nil || l.Flags != 0 {
			ev.flagSet(r, rs, l.Lane, 0, uint32(l.Flags&r.laneFlags), laneFlagNames)
		}
	}
}

func (ev *evaluator) flagSet(r *crule, rs *ruleState, lane int, level uint8, set uint32, names []string) {
	if set == 0 && rs.active == 0 {
		return
	}
	for f := set; f != 0; f &= f - 1 {
		b := bits.TrailingZeros32(f)
		ev.apply(r, rs, lane, names[b], level, true, false, 1, 0, "", r.sev[flagClass(names[b])])
	}
	for j := len(rs.series) - 1; j >= 0 && rs.active > 0; j-- {
		s := rs.series[j]
		if s.lane != lane || s.level != level || s.state == Inactive {
			continue
		}
		if b := indexOf(names, s.obs); b >= 0 && set&(1<<b) == 0 {
			ev.step(r, rs, s, false, true, 0, 0, "")
		}
	}
}

// apply runs the state machine of a series that exists only while it is
// not inactive.
func (ev *evaluator) apply(r *crule, rs *ruleState, lane int, obs string, level uint8, fire, clr bool, v, t float64, limit string, sev Severity) {
	if !fire && rs.active == 0 {
		return
	}
	s := rs.find(lane, obs, level)
	if s == nil {
		if !fire {
			return
		}
		s = rs.add(lane, obs, level, sev)
	}
	ev.step(r, rs, s, fire, clr, v, t, limit)
}

// step is the state machine: inactive → pending → firing → resolved
// (inactive). fire says the fire condition holds now, clr that the clear
// condition (past the hysteresis) holds.
func (ev *evaluator) step(r *crule, rs *ruleState, s *series, fire, clr bool, v, t float64, limit string) {
	switch s.state {
	case Inactive:
		if !fire {
			return
		}
		s.state, s.since = Pending, ev.t
		rs.active++
		fallthrough
	case Pending:
		if !fire {
			rs.deactivate(r, s)
			return
		}
		s.value, s.threshold, s.limit = v, t, limit
		if ev.t.Sub(s.since) >= r.For {
			s.state, s.firedAt, s.clearSince = Firing, ev.t, time.Time{}
			ev.emit(r, s, Firing)
		}
	case Firing:
		// The value of a firing alarm is one that breaches: Active restates
		// it, with a summary that says it is beyond the threshold. A value
		// inside the hysteresis band, or clear for less than clear_for,
		// leaves the last breaching one.
		if fire {
			s.value = v
		}
		restored := s.restored
		s.restored = false
		if !clr {
			s.clearSince = time.Time{}
			return
		}
		if s.clearSince.IsZero() {
			s.clearSince = ev.t
		}
		// A restored alarm whose condition has cleared at its first
		// evaluation resolves at once: what kept it firing was read before
		// the restart (or by another run), and the first value since says
		// it is over.
		if restored || ev.t.Sub(s.clearSince) >= r.ClearFor {
			s.value = v
			ev.emit(r, s, Resolved)
			rs.deactivate(r, s)
		}
	}
}

// emit records a state change.
func (ev *evaluator) emit(r *crule, s *series, st State) {
	ev.events = append(ev.events, ev.e.event(r, ev.ps, s, st, ev.wall))
}

func (e *Engine) event(r *crule, ps *portState, s *series, st State, t time.Time) Event {
	metric := r.metricName[0]
	if s.lane > 0 {
		metric = r.metricName[1]
	}
	if r.kind == condModuleThresholds || r.kind == condVDMThresholds {
		metric += s.obs
	}
	ev := Event{
		Time: t, Rule: r.Name, Metric: metric, Observable: s.obs, Limit: s.limit,
		Port: ps.name, Lane: s.lane, Severity: s.severity, State: st,
		Value: s.value, Threshold: s.threshold, Since: s.firedAt,
		Labels: maps.Clone(r.labels),
	}
	d := TemplateData{
		Rule: ev.Rule, Metric: ev.Metric, Observable: ev.Observable, Limit: ev.Limit, Port: ev.Port, Lane: ev.Lane,
		Value: ev.Value, Threshold: ev.Threshold, Severity: ev.Severity.String(), State: st.String(),
		Labels: ev.Labels, Since: ev.Since,
	}
	if id := ps.id; id != nil {
		d.Identifier, d.Vendor, d.PartNumber, d.Serial = id.identifier, id.vendor, id.partNumber, id.serial
	}
	if r.tmpl != nil {
		ev.Summary = expandSummary(r.tmpl, &d)
	}
	return ev
}

// find returns the series for (lane, obs, level). Rules visit instances in
// the module's own order, which is the order series were added, so the
// hint makes the common lookup one comparison.
func (rs *ruleState) find(lane int, obs string, level uint8) *series {
	n := len(rs.series)
	if rs.hint >= n {
		rs.hint = 0 // the list shrank
	}
	for i := 0; i < n; i++ {
		j := rs.hint + i
		if j >= n {
			j -= n
		}
		s := rs.series[j]
		if s.lane == lane && s.level == level && s.obs == obs {
			rs.hint = j + 1
			return s
		}
	}
	return nil
}

func (rs *ruleState) add(lane int, obs string, level uint8, sev Severity) *series {
	s := &series{lane: lane, obs: obs, level: level, severity: sev}
	rs.series = append(rs.series, s)
	return s
}

// deactivate returns a series to inactive; one that keeps no state while
// inactive is dropped.
func (rs *ruleState) deactivate(r *crule, s *series) {
	if s.state != Inactive {
		rs.active--
	}
	s.state, s.since, s.firedAt, s.clearSince, s.limit = Inactive, time.Time{}, time.Time{}, time.Time{}, ""
	if r.persistent {
		return
	}
	for i, x := range rs.series {
		if x == s {
			last := len(rs.series) - 1
			rs.series[i] = rs.series[last]
			rs.series[last] = nil
			rs.series = rs.series[:last]
			return
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
