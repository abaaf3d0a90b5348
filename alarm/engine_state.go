package alarm

import (
	"time"
)

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
		ev.stepFiring(r, rs, s, fire, clr, v)
	}
}

// stepFiring is the state machine of a firing series: it resolves when
// the clear condition has held for clear_for.
func (ev *evaluator) stepFiring(r *crule, rs *ruleState, s *series, fire, clr bool, v float64) {
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

// findOrAdd returns the series for (lane, obs, level), adding it when there
// is none (rules whose series keep state while inactive).
func (rs *ruleState) findOrAdd(lane int, obs string, level uint8, sev Severity) *series {
	if s := rs.find(lane, obs, level); s != nil {
		return s
	}
	return rs.add(lane, obs, level, sev)
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
