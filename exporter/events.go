package exporter

import (
	"time"

	"github.com/ddm-agent/ddm/alarm"
)

// EventPoints is the xcvr_alarm points of alarm events: the state changes
// of one evaluation (transition true) or the restatement of the alarms
// firing now (transition false, from Engine.Active). It is the one mapping
// from events to points, used by the daemon and the tests.
//
// The tags carry the alarm's identity, so alarms that change state together
// are points of their own. One alarm can still change state twice in one
// evaluation: the old module's alarm resolves when another module appears
// in the cage, and the new module fires the same rule on the same lane at
// once (a rule with for: 0s). The later of two such events is written
// 1 ms later (the writers' timestamp precision), so InfluxDB keeps both.
func EventPoints(host string, events []alarm.Event, transition bool) []Point {
	pts := make([]Point, 0, len(events))
	for i := range events {
		ev := &events[i]
		t := ev.Time
		for j := range pts {
			prev := pts[j].Time.Truncate(time.Millisecond)
			if sameAlarm(&events[j], ev) && !prev.Before(t.Truncate(time.Millisecond)) {
				t = prev.Add(time.Millisecond)
			}
		}
		v, th := ev.Value, ev.Threshold
		pts = append(pts, AlarmPoint(Alarm{Host: host, Port: ev.Port, Lane: ev.Lane, Rule: ev.Rule,
			Observable: ev.Observable, Limit: ev.Limit, Severity: ev.Severity.String(),
			State: ev.State.String(), Value: &v, Threshold: &th, Summary: ev.Summary, Cause: ev.Cause, Evidence: ev.Evidence,
			Time: t, Transition: transition}))
	}
	return pts
}

// sameAlarm reports whether two events have the same xcvr_alarm tags.
func sameAlarm(a, b *alarm.Event) bool {
	return a.Port == b.Port && a.Lane == b.Lane && a.Rule == b.Rule && a.Observable == b.Observable &&
		a.Limit == b.Limit && a.Severity == b.Severity
}
