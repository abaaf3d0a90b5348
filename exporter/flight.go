package exporter

import (
	"strings"
	"time"

	"github.com/ddm-agent/ddm/cmis"
	"github.com/ddm-agent/ddm/schema"
)

// FlightReading is one reading of a flight-recorder window: a lane's
// (Lane >= 1) or the module's (Lane 0) monitors and latched flags at one
// fast read, the flags a flag scan saw (Scan), or one VDM observable of a
// lane (VDMObservable, with Value and its limit flags). Nil monitors were
// not read.
type FlightReading struct {
	Host, Port string
	// Flight names the window (port/trigger@ms); Trigger what opened it.
	Flight, Trigger string
	Lane            int
	Time            time.Time
	Scan            bool
	LaneFlags       cmis.LaneFlags
	ModuleFlags     cmis.ModuleFlags
	TxBiasMA        *float64
	TxPowerMW       *float64
	RxPowerMW       *float64
	TemperatureC    *float64
	VccV            *float64
	// VDMObservable names a VDM reading's observable with its side
	// (pre_fec_ber_media); empty for the others.
	VDMObservable string
	Value         *float64
	VDMFlags      cmis.LimitFlags
}

// Sources of an xcvr_flight reading (tag source).
const (
	SourceFast = "fast"
	SourceScan = "scan"
	SourceVDM  = "vdm"
)

// FlightPoint is a reading as an xcvr_flight point. Its identity is host,
// port, lane, flight, source (fast, scan, vdm), a VDM reading's observable
// and side, and the read's time: a flag scan and a fast read of the same
// millisecond, or two observables of one VDM read, are points of their
// own. The flight recorder hands each reading to one flight only, so
// overlapping windows write no point twice.
func FlightPoint(r FlightReading) Point {
	p := NewPoint(schema.XcvrFlight, r.Time)
	p.AddTag(schema.TagHost, r.Host)
	p.AddTag(schema.TagPort, r.Port)
	p.AddTag(schema.TagLane, laneTag(r.Lane))
	p.AddTag(schema.TagFlight, r.Flight)
	p.AddString(schema.Trigger, r.Trigger)
	switch {
	case r.VDMObservable != "":
		obs, side := splitSide(r.VDMObservable)
		p.AddTag(schema.TagSource, SourceVDM)
		p.AddTag(schema.TagObservable, obs)
		p.AddTag(schema.TagSide, side)
		p.AddFloatPtr(schema.Value, r.Value)
		p.AddString(schema.Flags, strings.Join(r.VDMFlags.Names(), ","))
		return p
	case r.Scan:
		p.AddTag(schema.TagSource, SourceScan)
	default:
		p.AddTag(schema.TagSource, SourceFast)
	}
	p.AddFloatPtr(schema.TxBiasMA, r.TxBiasMA)
	p.AddFloatPtr(schema.TxPowerMW, r.TxPowerMW)
	p.AddFloatPtr(schema.RxPowerMW, r.RxPowerMW)
	p.AddFloatPtr(schema.TemperatureC, r.TemperatureC)
	p.AddFloatPtr(schema.VccV, r.VccV)
	flags := r.LaneFlags.String()
	if r.Lane == 0 {
		flags = r.ModuleFlags.String()
	}
	p.AddString(schema.Flags, flags)
	return p
}

// FlightTrigger is one trigger of a flight: the one that opened it or
// one that joined it.
type FlightTrigger struct {
	Host, Port, Flight string
	// Cause is the flag or alarm rule with its lane (rx_los/lane6).
	Cause  string
	Time   time.Time
	Opened bool
}

// FlightTriggerPoint is a trigger as an xcvr_flight_trigger point. Its
// identity is host, port, flight, trigger (the cause) and time: LOS and LOL latched by
// one pulse (same time) are two points.
func FlightTriggerPoint(t FlightTrigger) Point {
	p := NewPoint(schema.XcvrFlightTrigger, t.Time)
	p.AddTag(schema.TagHost, t.Host)
	p.AddTag(schema.TagPort, t.Port)
	p.AddTag(schema.TagFlight, t.Flight)
	p.AddTag(schema.Trigger, t.Cause)
	p.AddBool(schema.Opened, t.Opened)
	return p
}

func flightDocs() []MeasurementDoc {
	flightTag := TagDoc{schema.TagFlight, "the window: port/trigger@ms of the trigger that opened it"}
	return []MeasurementDoc{{
		Name: schema.XcvrFlight,
		Doc: "The flight recorder: when a link fault (rx_los, rx_cdr_lol, tx_fault, tx_los flag event) or an alarm fires, " +
			"the port's full-rate readings of the minute before (60 s) and of the 30 s after, tagged with the flight: each fast read's " +
			"lanes and module, each flag scan's flags, each VDM read's observables. A trigger while the port's flight is open joins it " +
			"(xcvr_flight_trigger) and extends its after-window to 30 s after itself (at most 90 s after the opening: a flight spans at most 2.5 minutes; " +
			"a port that flaps on makes a flight every 90 s). A reading is written once.",
		Tags: []TagDoc{tagHost, tagPort, {schema.TagLane, "1-based lane, global across banks; absent for the module's reading"},
			flightTag, {schema.TagSource, "what made the reading: fast (a fast read's monitors), scan (a flag scan's flags), vdm (one VDM observable)"},
			{schema.TagObservable, "a VDM reading's observable without its side suffix (as in xcvr_vdm)"},
			{schema.TagSide, "media or host, for VDM observables that come in both"}},
		Fields: []FieldDoc{
			{schema.Trigger, String, "", "what opened the flight: the flag, or the alarm rule (with the observable and limit of a rule that has several), and the lane (rx_los/lane6, latched_faults:rx_los/lane6)", "", false},
			{schema.TxBiasMA, Float, "mA", "laser bias current (fast)", "", false},
			{schema.TxPowerMW, Float, "mW", "transmit optical power (fast)", "", false},
			{schema.RxPowerMW, Float, "mW", "receive optical power (fast)", "", false},
			{schema.TemperatureC, Float, "°C", "module case temperature (fast, module reading)", "", false},
			{schema.VccV, Float, "V", "supply voltage (fast, module reading)", "", false},
			{schema.Value, Float, "", "a VDM observable's value, in its unit (xcvr_vdm)", "", false},
			{schema.Flags, String, "", "the latched flags the read saw set, comma separated (xcvr_lane and xcvr_module field names; for vdm, " +
				"the observable's high_alarm, low_alarm, high_warning, low_warning); empty when none", "", false},
		},
	}, {
		Name: schema.XcvrFlightTrigger,
		Doc: "Each trigger of a flight: the link fault or alarm that opened it (opened=true) and every one that joined it while it was open " +
			"(one pulse that latches LOS and LOL, the alarm a LOS causes), at its own time. A flight lists at most 64 triggers: past them, a trigger " +
			"of a cause it already lists extends its after-window but is not written (every flap is still its own xcvr_flag_event point and " +
			"counted in xcvr_flag; ddm dump --flight says how many); a trigger of a new cause is always written.",
		Tags: []TagDoc{tagHost, tagPort, flightTag, {schema.Trigger, "the flag or alarm rule with its lane, as the trigger field of xcvr_flight"}},
		Fields: []FieldDoc{
			{schema.Opened, Bool, "", "this trigger opened the flight (false: it joined it)", "", false},
		},
	}}
}
