package pipeline

import (
	"fmt"
	"math"
	"slices"

	"github.com/ddm-agent/ddm/agent"
	"github.com/ddm-agent/ddm/alarm"
	"github.com/ddm-agent/ddm/cmis"
	"github.com/ddm-agent/ddm/exporter"
	"github.com/ddm-agent/ddm/flightrec"
)

// linkFaults are the flags whose event opens a flight: the lane went dark
// or its laser failed.
var linkFaults = []string{"rx_los", "rx_cdr_lol", "tx_fault", "tx_los"}

// laneFlagBit maps a lane flag's name to its bit.
var laneFlagBit = func() map[string]cmis.LaneFlags {
	m := map[string]cmis.LaneFlags{}
	for i, n := range cmis.LaneFlagNames() {
		m[n] = 1 << i
	}
	return m
}()

// FlightRecords is a fast or static read as flight-recorder readings: the
// module's, then each lane's.
func FlightRecords(s agent.Sample) []flightrec.Record {
	m := s.Module
	if m == nil {
		return nil
	}
	recs := make([]flightrec.Record, 0, 1+len(m.Lanes))
	recs = append(recs, flightrec.Record{Time: s.Time, Flags: uint32(m.Flags), TxBiasMA: flightrec.NaN, TxPowerMW: flightrec.NaN,
		RxPowerMW: flightrec.NaN, TemperatureC: f32(m.TemperatureC), VccV: f32(m.VccV)})
	for _, l := range m.Lanes {
		recs = append(recs, flightrec.Record{Time: s.Time, Lane: l.Lane, Flags: uint32(l.Flags), TxBiasMA: f32(l.TxBiasMA),
			TxPowerMW: f32(l.TxPowerMW), RxPowerMW: f32(l.RxPowerMW), TemperatureC: flightrec.NaN, VccV: flightrec.NaN})
	}
	return recs
}

// scanRecords is a flag scan's events as readings, one per lane.
func scanRecords(events []agent.FlagEvent) []flightrec.Record {
	var recs []flightrec.Record
	for _, e := range events {
		if !e.Scan || e.Lane == 0 {
			continue
		}
		i := slices.IndexFunc(recs, func(r flightrec.Record) bool { return r.Lane == e.Lane && r.Time.Equal(e.Time) })
		if i < 0 {
			recs = append(recs, flightrec.Record{Time: e.Time, Lane: e.Lane, Scan: true, TxBiasMA: flightrec.NaN, TxPowerMW: flightrec.NaN,
				RxPowerMW: flightrec.NaN, TemperatureC: flightrec.NaN, VccV: flightrec.NaN})
			i = len(recs) - 1
		}
		recs[i].Flags |= uint32(laneFlagBit[e.Flag])
	}
	return recs
}

// flightTriggers opens a flight for each link-fault flag event.
func (p *Pipeline) flightTriggers(events []agent.FlagEvent) []exporter.Point {
	var pts []exporter.Point
	for _, e := range events {
		if slices.Contains(linkFaults, e.Flag) {
			f := p.flight.Trigger(e.Port, fmt.Sprintf("%s/lane%d", e.Flag, e.Lane), e.Time)
			pts = append(pts, FlightPoints(p.o.Host, f)...)
		}
	}
	return pts
}

// alarmTriggers opens a flight for each alarm that fires.
func (p *Pipeline) alarmTriggers(events []alarm.Event) []exporter.Point {
	var pts []exporter.Point
	for _, ev := range events {
		if ev.State == alarm.Firing {
			f := p.flight.Trigger(ev.Port, fmt.Sprintf("%s/lane%d", ev.Rule, ev.Lane), ev.Time)
			pts = append(pts, FlightPoints(p.o.Host, f)...)
		}
	}
	return pts
}

// FlightPoints is a flight's readings as xcvr_flight points.
func FlightPoints(host string, f flightrec.Flight) []exporter.Point {
	pts := make([]exporter.Point, 0, len(f.Records))
	for _, r := range f.Records {
		rd := exporter.FlightReading{Host: host, Port: f.Port, Flight: f.ID, Trigger: f.Trigger, Lane: r.Lane, Time: r.Time, Scan: r.Scan,
			TxBiasMA: f64(r.TxBiasMA), TxPowerMW: f64(r.TxPowerMW), RxPowerMW: f64(r.RxPowerMW), TemperatureC: f64(r.TemperatureC), VccV: f64(r.VccV)}
		if r.Lane == 0 {
			rd.ModuleFlags = cmis.ModuleFlags(r.Flags)
		} else {
			rd.LaneFlags = cmis.LaneFlags(r.Flags)
		}
		pts = append(pts, exporter.FlightPoint(rd))
	}
	return pts
}

func f32(v *float64) float32 {
	if v == nil {
		return flightrec.NaN
	}
	return float32(*v)
}

func f64(v float32) *float64 {
	if math.IsNaN(float64(v)) {
		return nil
	}
	x := float64(v)
	return &x
}
