package exporter

import (
	"time"

	"github.com/ddm-agent/ddm/cmis"
	"github.com/ddm-agent/ddm/schema"
)

// FlightReading is one reading of a flight-recorder window: a lane's
// (Lane >= 1) or the module's (Lane 0) monitors and latched flags at one
// read. Nil monitors were not read.
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
}

// FlightPoint is a reading as an xcvr_flight point. Its identity is host,
// port, lane, flight and the read's time; the flight recorder hands each
// reading to one flight only, so overlapping windows write no point twice.
func FlightPoint(r FlightReading) Point {
	p := NewPoint(schema.XcvrFlight, r.Time)
	p.AddTag(schema.TagHost, r.Host)
	p.AddTag(schema.TagPort, r.Port)
	p.AddTag(schema.TagLane, laneTag(r.Lane))
	p.AddTag(schema.TagFlight, r.Flight)
	p.AddString(schema.Trigger, r.Trigger)
	p.AddBool(schema.ByScan, r.Scan)
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

func flightDoc() MeasurementDoc {
	return MeasurementDoc{
		Name: schema.XcvrFlight,
		Doc: "The flight recorder: when a link fault (rx_los, rx_cdr_lol, tx_fault, tx_los flag event) or an alarm fires, " +
			"the port's full-rate readings of the minute before (60 s) and of the 30 s after, tagged with the flight. " +
			"A reading is written once: windows that overlap share it (it goes to the flight open when it was read).",
		Tags: []TagDoc{tagHost, tagPort, {schema.TagLane, "1-based lane, global across banks; absent for the module's reading"},
			{schema.TagFlight, "the window: port/trigger@ms of the trigger"}},
		Fields: []FieldDoc{
			{schema.Trigger, String, "", "what opened the flight: flag or alarm rule, with its lane (rx_los/lane6)", "", false},
			{schema.ByScan, Bool, "", "a flag scan's reading (flags alone)", "", false},
			{schema.TxBiasMA, Float, "mA", "laser bias current", "", false},
			{schema.TxPowerMW, Float, "mW", "transmit optical power", "", false},
			{schema.RxPowerMW, Float, "mW", "receive optical power", "", false},
			{schema.TemperatureC, Float, "°C", "module case temperature (module reading)", "", false},
			{schema.VccV, Float, "V", "supply voltage (module reading)", "", false},
			{schema.Flags, String, "", "the latched flags the read saw set, comma separated (xcvr_lane and xcvr_module field names); empty when none", "", false},
		},
	}
}
