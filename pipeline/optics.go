package pipeline

import (
	"fmt"
	"log/slog"
	"strings"

	"github.com/ddm-agent/ddm/agent"
	"github.com/ddm-agent/ddm/alarm"
	"github.com/ddm-agent/ddm/exporter"
	"github.com/ddm-agent/ddm/topology"
)

// optics correlates the lasers of external laser sources with the engine
// lanes they light (the platform's optical topology): a laser that goes
// bad is one xcvr_laser_event naming every port and lane it darkens, and
// those lanes' alarms carry its id. A nil *optics (no topology) does
// nothing.
type optics struct {
	corr *topology.Correlator
	host string
	log  *slog.Logger
}

func newOptics(m *topology.Map, host string, log *slog.Logger) *optics {
	if m == nil || len(m.Feeds) == 0 {
		return nil
	}
	return &optics{corr: topology.NewCorrelator(m), host: host, log: log}
}

// observe takes a sample of any port; for a laser source it returns the
// points of the laser events that start or end with it. A starting event
// lists the fed lanes' alarms already firing (active).
func (o *optics) observe(s agent.Sample, active func() []alarm.Event) []exporter.Point {
	if o == nil || !o.corr.Map().IsSource(s.Port) {
		return nil
	}
	var evs []topology.Event
	switch {
	case s.Kind == agent.KindAbsent:
		evs = o.corr.ObserveSource(s.Port, s.Time, nil, false)
	case (s.Kind == agent.KindFast || s.Kind == agent.KindStatic) && s.Module != nil:
		evs = o.corr.ObserveSource(s.Port, s.Time, s.Module.LaserSource, true)
	}
	if len(evs) == 0 {
		return nil
	}
	var firing []alarm.Event
	for _, a := range active() {
		if a.Lane > 0 && a.State == alarm.Firing {
			firing = append(firing, a)
		}
	}
	pts := make([]exporter.Point, 0, len(evs))
	for i := range evs {
		ev := &evs[i]
		if ev.Firing {
			for _, a := range firing {
				if ev.Covers(a.Port, a.Lane) {
					ev.Linked = append(ev.Linked, fmt.Sprintf("%s lane %d %s", a.Port, a.Lane, a.Rule))
				}
			}
		}
		state := "resolved"
		if ev.Firing {
			state = "firing"
		}
		o.log.Warn("laser event "+state, "id", ev.ID, "source", ev.Source, "laser", ev.Laser, "cause", ev.Cause,
			"ports", strings.Join(ev.Ports(), " "), "lanes", ev.Lanes(), "linked_alarms", strings.Join(ev.Linked, "; "), "summary", ev.Summary())
		pts = append(pts, exporter.LaserEventPoint(o.host, ev))
	}
	return pts
}

// link marks the points of alarm events (pts[i] is events[i]'s) whose
// lane a firing laser event darkens, and returns the event id of each
// ("" for none).
func (o *optics) link(pts []exporter.Point, events []alarm.Event) []string {
	ids := make([]string, len(events))
	if o == nil {
		return ids
	}
	for i := range events {
		if events[i].Lane == 0 || i >= len(pts) {
			continue
		}
		if id, ok := o.corr.Link(events[i].Port, events[i].Lane); ok {
			exporter.LinkLaserEvent(&pts[i], id)
			ids[i] = id
		}
	}
	return ids
}
