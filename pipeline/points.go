package pipeline

import (
	"time"

	"github.com/ddm-agent/ddm/agent"
	"github.com/ddm-agent/ddm/alarm"
	"github.com/ddm-agent/ddm/energy"
	"github.com/ddm-agent/ddm/exporter"
	"github.com/ddm-agent/ddm/i2c"
)

// SamplePoints is the points an agent sample yields: for a fast read the
// module, lane and energy points, for a static read also the identity and
// thresholds, for a VDM read the VDM points only (its module and lane
// values are those of the last fast read, already written), for an empty
// cage present=false, for a failed read nothing (its error is in the
// agent's self-telemetry).
func SamplePoints(host string, s agent.Sample) []exporter.Point {
	src := exporter.Source{Host: host, Port: s.Port, Time: s.Time}
	switch s.Kind {
	case agent.KindAbsent:
		return exporter.AbsentPoints(src)
	case agent.KindError:
		return nil
	case agent.KindVDM:
		return exporter.VDMPoints(src, s.Module)
	case agent.KindStatic:
		pts := append(exporter.ModulePoints(src, s.Module), exporter.InfoPoints(src, s.Module)...)
		return append(pts, exporter.EnergyPoint(src, energy.ForModule(s.Port, s.Module))...)
	}
	return append(exporter.ModulePoints(src, s.Module), exporter.EnergyPoint(src, energy.ForModule(s.Port, s.Module))...)
}

// EventPoints is the xcvr_alarm points of alarm events: the state changes
// of one evaluation (transition true) or the restatement of the alarms
// firing now (transition false, from Engine.Active). It is the one mapping
// from events to points, used by the pipeline and the tests.
//
// The tags carry the alarm's identity, so alarms that change state together
// are points of their own. One alarm can still change state twice in one
// evaluation: the old module's alarm resolves when another module appears
// in the cage, and the new module fires the same rule on the same lane at
// once (a rule with for: 0s). The later of two such events is written
// 1 ms later (the writers' timestamp precision), so InfluxDB keeps both.
func EventPoints(host string, events []alarm.Event, transition bool) []exporter.Point {
	pts := make([]exporter.Point, 0, len(events))
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
		pts = append(pts, exporter.AlarmPoint(exporter.Alarm{Host: host, Port: ev.Port, Lane: ev.Lane, Rule: ev.Rule,
			Observable: ev.Observable, Limit: ev.Limit, Severity: ev.Severity.String(),
			State: ev.State.String(), Value: &v, Threshold: &th, Summary: ev.Summary, Time: t, Transition: transition}))
	}
	return pts
}

// sameAlarm reports whether two events have the same xcvr_alarm tags.
func sameAlarm(a, b *alarm.Event) bool {
	return a.Port == b.Port && a.Lane == b.Lane && a.Rule == b.Rule && a.Observable == b.Observable &&
		a.Limit == b.Limit && a.Severity == b.Severity
}

// busIO is the exporter's copy of a bus's I/O counters.
func busIO(s i2c.Stats) exporter.BusIO {
	return exporter.BusIO{Transactions: s.Transactions, BytesRead: s.BytesRead, BytesWritten: s.BytesWritten,
		PageSelects: s.PageSelects, NACKs: s.NACKs, Retries: s.Retries, Errors: s.Errors, BusTime: s.BusTime}
}
