package pipeline

import (
	"github.com/ddm-agent/ddm/agent"
	"github.com/ddm-agent/ddm/exporter"
)

// ObserveFlags writes the agent's flag events (a flag scan's between two
// samples, a fast read's with its sample) as xcvr_flag_event points
// through the sink's urgent lane: from the read that saw the flag to the
// server without waiting for the next batch. It implements
// agent.FlagObserver: it runs on the bus workers and never blocks.
func (p *Pipeline) ObserveFlags(events []agent.FlagEvent) {
	if len(events) == 0 {
		return
	}
	exporter.WriteNow(p.o.Sink, FlagEventPoints(p.o.Host, events)...)
	p.flags.events(events)
	// The flight recorder: the scan's readings, then the flights the
	// link faults open (with the batch: a window is bulk, not urgent).
	var pts []exporter.Point
	byPort := map[string][]agent.FlagEvent{}
	for _, e := range events {
		byPort[e.Port] = append(byPort[e.Port], e)
	}
	for port, evs := range byPort {
		if f := p.flight.Add(port, scanRecords(evs)...); f != nil {
			pts = append(pts, FlightPoints(p.o.Host, *f)...)
		}
	}
	pts = append(pts, p.flightTriggers(events)...)
	if len(pts) > 0 {
		p.o.Sink.Write(pts...)
	}
}

// FlagEventPoints is the xcvr_flag_event points of the agent's flag events.
func FlagEventPoints(host string, events []agent.FlagEvent) []exporter.Point {
	pts := make([]exporter.Point, len(events))
	for i, e := range events {
		pts[i] = exporter.FlagEventPoint(exporter.FlagEvent{Host: host, Port: e.Port, Lane: e.Lane, Flag: e.Flag,
			Time: e.Time, Since: e.Since, Count: e.Count, Scan: e.Scan})
	}
	return pts
}

var _ agent.FlagObserver = (*Pipeline)(nil)
