package alarm

import (
	"time"
)

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
		ps.seenAt(ev.t)
		ps.present = true
	}
	ps.absentAt = time.Time{}
	ps.seen = true
	if ps.id == nil || !ps.id.same(m) {
		ev.identify()
	}
	ev.laneActivity()
}

// identify records the module's identity. When another module (serial or
// part number) took the cage, the old one's alarms resolve and its series
// and history are dropped; module_absent rules keep theirs.
func (ev *evaluator) identify() {
	ps, m := ev.ps, ev.m
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

// laneActivity records which lanes' data paths are not activated, and
// resolves the alarms of lanes whose data path has just gone down.
func (ev *evaluator) laneActivity() {
	ps, m := ev.ps, ev.m
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
