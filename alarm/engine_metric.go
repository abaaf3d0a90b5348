package alarm

import (
	"github.com/ddm-agent/ddm/cmis"
)

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
	switch r.met.kind {
	case metModule:
		if p := moduleValue(ev.m, r.met.index); p != nil {
			b := ev.moduleBounds(r)
			ev.value(r, rs, 0, "", *p, &b)
		}
	case metLane:
		ev.laneMetric(r, rs)
	case metVDM:
		ev.vdmMetric(r, rs)
	}
	if r.kind == condAbsent {
		ev.gaps(r, rs)
	}
}

// moduleBounds are the bounds of a module or lane metric rule: fixed, or
// resolved against the module's thresholds of the metric's quantity (none
// when the module has none, or the rule does not trust them).
func (ev *evaluator) moduleBounds(r *crule) bounds {
	if !r.relative {
		return r.fixed
	}
	var th *cmis.Thresholds
	if t, ok := ev.m.Thresholds[r.met.thr]; ok && r.trusts(t) {
		th = &t
	}
	return r.bounds(th)
}

// laneMetric evaluates a lane metric rule on every lane it looks at.
func (ev *evaluator) laneMetric(r *crule, rs *ruleState) {
	m := ev.m
	b := ev.moduleBounds(r)
	for i := range m.Lanes {
		l := &m.Lanes[i]
		if !ev.laneOK(r, l.Lane) {
			continue
		}
		if p := laneValue(l, r.met.index); p != nil {
			ev.value(r, rs, l.Lane, "", *p, &b)
		}
	}
}

// vdmMetric evaluates a VDM metric rule on every instance of its
// observable; a relative level follows each instance's own thresholds.
func (ev *evaluator) vdmMetric(r *crule, rs *ruleState) {
	m := ev.m
	if len(m.VDM) == 0 {
		return
	}
	b := &r.fixed
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
	case condAbove, condBelow, condOutside:
		if b.ok {
			ev.level(r, rs, lane, obs, v, b)
		}
	case condRate, condBaseline:
		ev.history(r, rs, lane, obs, v)
	case condAbsent:
		s := rs.findOrAdd(lane, obs, 0, r.Severity)
		s.lastSeen = ev.t
		if s.state != Inactive {
			ev.step(r, rs, s, false, true, 0, r.Absent.Seconds(), "")
		}
	}
}

// level compares a value with the bounds of an above, below or outside
// rule.
func (ev *evaluator) level(r *crule, rs *ruleState, lane int, obs string, v float64, b *bounds) {
	switch r.kind {
	case condAbove:
		ev.apply(r, rs, lane, obs, 0, v > b.t, v <= b.c, v, b.t, "", r.Severity)
	case condBelow:
		ev.apply(r, rs, lane, obs, 0, v < b.t, v >= b.c, v, b.t, "", r.Severity)
	case condOutside:
		t := b.hi
		if v < b.lo {
			t = b.lo
		}
		ev.apply(r, rs, lane, obs, 0, v < b.lo || v > b.hi, v >= b.clo && v <= b.chi, v, t, "", r.Severity)
	}
}

// history adds a value to its series' history and evaluates a rate or
// baseline rule on it.
func (ev *evaluator) history(r *crule, rs *ruleState, lane int, obs string, v float64) {
	s := rs.findOrAdd(lane, obs, 0, r.Severity)
	if s.hist == nil {
		s.hist = r.newHistory()
	}
	s.hist.add(ev.t, v)
	s.lastSeen = ev.t
	if r.kind == condRate {
		ev.rate(r, rs, s)
	} else {
		ev.baseline(r, rs, s, v)
	}
}

// newHistory is an empty history for a rate or baseline rule's series.
func (r *crule) newHistory() *history {
	if r.kind == condRate {
		return newHistory(r.Rate.Per, r.Rate.Resolution)
	}
	return newHistory(r.Baseline.Window, r.Baseline.Resolution)
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
