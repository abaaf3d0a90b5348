package outlook

import (
	"fmt"
	"strings"

	"github.com/ddm-agent/ddm/alarm"
	"github.com/ddm-agent/ddm/cmis"
	"github.com/ddm-agent/ddm/forecast"
)

// Diagnose names the likely cause of an alarm on a port's lane (0: the
// module) from the newest read and the trends of the last Update, with
// the evidence in words. It is the alarm engine's Options.Diagnose: the
// tracker must have observed the sample the engine evaluates first.
func (t *Tracker) Diagnose(name string, lane int) alarm.Diagnosis {
	t.mu.Lock()
	defer t.mu.Unlock()
	p := t.ports[name]
	if p == nil || p.last == nil {
		return alarm.Diagnosis{Cause: string(forecast.CauseUnknown), Evidence: []string{"no read of the module yet"}}
	}
	d := forecast.Classify(p.evidence(lane))
	return alarm.Diagnosis{Cause: string(d.Cause), Evidence: append(d.Reasons, p.facts(lane)...)}
}

// Evidence is what the classifier is given for an alarm on lane of port
// name, for tests and `ddm dump`.
func (t *Tracker) Evidence(name string, lane int) (forecast.Evidence, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	p := t.ports[name]
	if p == nil || p.last == nil {
		return forecast.Evidence{}, false
	}
	return p.evidence(lane), true
}

const (
	laneHostFlags  = cmis.TxLOS | cmis.TxCDRLOL
	laneLOSFlags   = cmis.RxLOS | cmis.RxCDRLOL
	moduleFWFaults = "module_firmware_error data_path_firmware_error"
)

// evidence gathers the classifier's evidence for an alarm on lane.
func (p *port) evidence(lane int) forecast.Evidence {
	m := p.last
	ev := forecast.Evidence{Lane: lane, Lanes: len(m.Lanes)}
	ev.ModuleFault = m.ModuleStateCode == 5 || m.ModuleState == "ModuleFault"
	for _, f := range m.Flags.Names() {
		if strings.Contains(moduleFWFaults, f) {
			ev.ModuleFault = true
		}
	}
	rxTh, rxOK := m.Thresholds[cmis.QRxPower]
	txTh, txOK := m.Thresholds[cmis.QTxPower]
	biasTh, biasOK := m.Thresholds[cmis.QTxBias]
	below := func(th cmis.Thresholds, ok bool, q string, v *float64) bool {
		lw, set := th.Limit(q, "low_warning")
		return ok && set && v != nil && *v < lw
	}
	above := func(th cmis.Thresholds, ok bool, q string, v *float64) bool {
		hw, set := th.Limit(q, "high_warning")
		return ok && set && v != nil && *v > hw
	}
	for i := range m.Lanes {
		l := &m.Lanes[i]
		los := l.Flags&laneLOSFlags != 0
		rxLow := los || below(rxTh, rxOK, cmis.QRxPower, l.RxPowerMW)
		if l.Flags&cmis.TxFault != 0 {
			ev.ModuleFault = true
		}
		if los {
			ev.RxLOSLanes++
		}
		if rxLow {
			ev.RxLowLanes++
		}
		if below(txTh, txOK, cmis.QTxPower, l.TxPowerMW) {
			ev.TxLowLanes++
		}
		if l.Flags&laneHostFlags != 0 {
			ev.HostLOL = true
		}
		if l.Lane == lane {
			ev.AlarmLaneRx = rxLow
			ev.BiasHigh = above(biasTh, biasOK, cmis.QTxBias, l.TxBiasMA)
		}
	}
	if p.lastVDM != nil {
		for i := range p.lastVDM.VDM {
			v := &p.lastVDM.VDM[i]
			if v.Thresholds == nil || !strings.HasPrefix(v.Observable, "pre_fec_ber") {
				continue
			}
			hw, set := v.Thresholds.Limit(v.Observable, "high_warning")
			if !set || v.Value <= hw {
				continue
			}
			if strings.HasSuffix(v.Observable, "_host") {
				ev.HostVDMErrors = true
			} else {
				ev.MediaBERHigh = true
			}
		}
	}
	ev.TempHigh = above(m.Thresholds[cmis.QTemperature], true, cmis.QTemperature, m.TemperatureC) ||
		above(m.Thresholds[cmis.QLaserTemperature], true, cmis.QLaserTemperature, m.LaserTemperatureC)
	ev.TempPerDay = p.rising(Key{0, cmis.QTemperature})
	biasLane, txLane := lane, lane
	if lane == 0 {
		// A module-level alarm: the lane whose bias climbs fastest.
		for k := range p.results {
			if k.Quantity == cmis.QTxBias && p.rising(k) > p.rising(Key{biasLane, cmis.QTxBias}) {
				biasLane = k.Lane
			}
		}
		txLane = biasLane
	}
	ev.BiasPerDay = p.rising(Key{biasLane, cmis.QTxBias})
	ev.TxPowerPerDay = p.slope(Key{txLane, cmis.QTxPower})
	return ev
}

// slope is the significant trend per day of series k at the last Update,
// 0 when it had none.
func (p *port) slope(k Key) float64 {
	r, ok := p.results[k]
	if !ok || !r.Trend.OK || !r.Trend.Significant {
		return 0
	}
	return r.Trend.UnitPerDay
}

// rising is slope when it is positive, else 0.
func (p *port) rising(k Key) float64 { return max(p.slope(k), 0) }

// facts are the numbers behind a diagnosis, in words.
func (p *port) facts(lane int) []string {
	var out []string
	for _, k := range p.sortedKeys() {
		if k.Lane != lane && k.Lane != 0 {
			continue
		}
		r, ok := p.results[k]
		if !ok || !r.Trend.OK || !r.Trend.Significant {
			continue
		}
		what := k.Quantity
		if k.Lane > 0 {
			what = fmt.Sprintf("lane %d %s", k.Lane, k.Quantity)
		}
		unit := "/day"
		if forecast.ScaleOf(k.Quantity) == forecast.Log10 {
			unit = " decades/day"
		}
		s := fmt.Sprintf("%s trend %+.3g%s over %.1f days", what, r.Trend.UnitPerDay, unit, r.Trend.Span.Hours()/24)
		if len(r.Crossings) > 0 {
			c := r.Crossings[0]
			s += fmt.Sprintf(", %s in %.1f days", c.Limit.Name, c.Days)
		}
		out = append(out, s)
	}
	return out
}
