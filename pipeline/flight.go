package pipeline

import (
	"fmt"
	"math"
	"slices"
	"strconv"

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

// VDMRecords is a VDM read's observables as flight-recorder readings,
// one per observable and lane.
func VDMRecords(s agent.Sample) []flightrec.Record {
	if s.Module == nil || len(s.Module.VDM) == 0 {
		return nil
	}
	recs := make([]flightrec.Record, len(s.Module.VDM))
	for i, v := range s.Module.VDM {
		recs[i] = flightrec.Record{Time: s.Time, Lane: v.Lane, VDM: v.TypeID, Value: float32(v.Value), Flags: uint32(v.Flags),
			TxBiasMA: flightrec.NaN, TxPowerMW: flightrec.NaN, RxPowerMW: flightrec.NaN, TemperatureC: flightrec.NaN, VccV: flightrec.NaN}
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

// flightTriggers opens a flight for each link-fault flag event (or joins
// the port's open one).
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

// alarmTriggers opens a flight for each alarm that fires (or joins the
// port's open one).
func (p *Pipeline) alarmTriggers(events []alarm.Event) []exporter.Point {
	var pts []exporter.Point
	for _, ev := range events {
		if ev.State == alarm.Firing {
			f := p.flight.Trigger(ev.Port, AlarmCause(ev), ev.Time)
			pts = append(pts, FlightPoints(p.o.Host, f)...)
		}
	}
	return pts
}

// AlarmCause names an alarm as a flight's trigger: its rule, the
// observable and limit when the rule has several (latched_faults:rx_los,
// module_thresholds:tx_power_mw:high_alarm), and the lane, so two alarms
// that fire together are two triggers.
func AlarmCause(ev alarm.Event) string {
	c := ev.Rule
	if ev.Observable != "" && ev.Observable != ev.Rule {
		c += ":" + ev.Observable
	}
	if ev.Limit != "" {
		c += ":" + ev.Limit
	}
	return fmt.Sprintf("%s/lane%d", c, ev.Lane)
}

// FlightPoints is what a flight handed out as points: its new triggers
// (xcvr_flight_trigger) and readings (xcvr_flight).
func FlightPoints(host string, f flightrec.Flight) []exporter.Point {
	pts := make([]exporter.Point, 0, len(f.Triggers)+len(f.Records))
	for _, t := range f.Triggers {
		pts = append(pts, exporter.FlightTriggerPoint(exporter.FlightTrigger{Host: host, Port: f.Port, Flight: f.ID, Cause: t.Cause,
			Time: t.At, Opened: t.Opened}))
	}
	for _, r := range f.Records {
		rd := exporter.FlightReading{Host: host, Port: f.Port, Flight: f.ID, Trigger: f.Trigger, Lane: r.Lane, Time: r.Time, Scan: r.Scan,
			TxBiasMA: f64(r.TxBiasMA), TxPowerMW: f64(r.TxPowerMW), RxPowerMW: f64(r.RxPowerMW), TemperatureC: f64(r.TemperatureC), VccV: f64(r.VccV)}
		switch {
		case r.VDM != 0:
			obs, _ := cmis.LookupObservable(r.VDM)
			rd.VDMObservable, rd.Value, rd.VDMFlags = obs.Name, f64(r.Value), cmis.LimitFlags(r.Flags)
		case r.Lane == 0:
			rd.ModuleFlags = cmis.ModuleFlags(r.Flags)
		default:
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

// f64 is a recorded monitor as written: the shortest decimal that is the
// float32 (1.1, not 1.100000023841858: the recorder's precision, without
// the digits of the conversion).
func f64(v float32) *float64 {
	if math.IsNaN(float64(v)) {
		return nil
	}
	x, _ := strconv.ParseFloat(strconv.FormatFloat(float64(v), 'g', -1, 32), 64)
	return &x
}
