package alarm

import (
	"math"
	"time"
)

// EvaluateOutlook runs the forecast and cohort rules on a port's outlook,
// the agent's forecasts and cohort scores for it (made every
// ForecastEvery), and returns the alarms that changed state. wall stamps
// the events, steady times for and clear_for, as in EvaluateAt.
//
// A port whose module is absent, or that Evaluate has not seen yet, has
// no outlook: nothing is evaluated. A crossing or score that is no longer
// in the outlook (the trend turned, the lane left its cohort) counts as
// clear; so does a crossing now further away than the rule's window.
func (e *Engine) EvaluateOutlook(port string, wall, steady time.Time, o *Outlook) []Event {
	ps := e.port(port)
	ps.mu.Lock()
	defer ps.mu.Unlock()
	ev := evaluator{e: e, ps: ps, t: steady, wall: wall}
	if ps.restored {
		ps.restart(steady)
	}
	if !ps.present || o == nil {
		return nil
	}
	for i, r := range e.rules {
		rs := &ps.rules[i]
		if !rs.applies {
			continue
		}
		switch r.kind {
		case condForecast:
			ev.forecast(r, rs, o.Crossings)
		case condCohort:
			ev.cohort(r, rs, o.Scores)
		default:
			continue
		}
		ev.outlookGone(r, rs)
	}
	return ev.events
}

// forecast evaluates a forecast rule on the crossings of its quantity:
// one series per lane and module threshold (low_warning and low_alarm of
// one lane are two alarms).
func (ev *evaluator) forecast(r *crule, rs *ruleState, cs []Crossing) {
	f := r.Forecast
	within := f.Within.Hours() / 24
	for i := range cs {
		c := &cs[i]
		if c.Quantity != f.Quantity || f.Threshold != "" && thresholdClass(c.Limit) != f.Threshold {
			continue
		}
		if c.Days-c.Days != 0 || c.Lane > 0 && !ev.laneOK(r, c.Lane) {
			continue // NaN or ±Inf: no forecast
		}
		fire := c.Days <= within
		ev.outlookValue(r, rs, c.Lane, c.Quantity, uint8(indexOf(thresholdNames, c.Limit)+1), fire, !fire, c.Days, within, c.Limit)
	}
}

// cohort evaluates a cohort rule on the scores of its quantity.
func (ev *evaluator) cohort(r *crule, rs *ruleState, scores []Score) {
	z, h := r.Cohort.Z, r.Hysteresis
	for i := range scores {
		s := &scores[i]
		if s.Quantity != r.Cohort.Quantity || s.Z-s.Z != 0 || s.Lane > 0 && !ev.laneOK(r, s.Lane) {
			continue
		}
		a := math.Abs(s.Z)
		ev.outlookValue(r, rs, s.Lane, s.Quantity, 0, a > z, a <= z-h, s.Z, math.Copysign(z, s.Z), "")
	}
}

// outlookValue steps the series (lane, obs, level) of a forecast or cohort
// rule and marks it seen in this outlook.
func (ev *evaluator) outlookValue(r *crule, rs *ruleState, lane int, obs string, level uint8, fire, clr bool, v, t float64, limit string) {
	s := rs.find(lane, obs, level)
	if s == nil {
		if !fire {
			return
		}
		s = rs.add(lane, obs, level, r.Severity)
	}
	s.outlookAt = ev.t
	ev.step(r, rs, s, fire, clr, v, t, limit)
}

// outlookGone clears the series of a forecast or cohort rule that this
// outlook no longer mentions.
func (ev *evaluator) outlookGone(r *crule, rs *ruleState) {
	var gone []*series
	for _, s := range rs.series {
		if !s.outlookAt.Equal(ev.t) {
			gone = append(gone, s)
		}
	}
	// In the order the series were added: step may drop a series from
	// rs.series.
	for _, s := range gone {
		ev.step(r, rs, s, false, true, s.value, s.threshold, s.limit)
	}
}
