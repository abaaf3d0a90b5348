package alarm

import (
	"math"
	"math/bits"

	"github.com/ddm-agent/ddm/cmis"
)

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
		if th, ok := m.Thresholds[q]; ok && r.trusts(th) {
			ev.laneLimits(r, rs, qi, &th)
		}
	}
}

// laneLimits checks lane quantity qi of every lane the rule looks at
// against the module's thresholds th of that quantity.
func (ev *evaluator) laneLimits(r *crule, rs *ruleState, qi int, th *cmis.Thresholds) {
	q := laneQuantities[qi]
	for i := range ev.m.Lanes {
		l := &ev.m.Lanes[i]
		if !ev.laneOK(r, l.Lane) {
			continue
		}
		if p := laneValue(l, laneQuantityField[qi]); p != nil {
			ev.limits(r, rs, l.Lane, q, *p, th)
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
