package exporter

import (
	"strings"

	"github.com/ddm-agent/ddm/schema"
	"github.com/ddm-agent/ddm/topology"
)

// LaserEventPoint is a correlated laser event (its start or its end) as an
// xcvr_laser_event point of the laser source's port and laser.
func LaserEventPoint(host string, ev *topology.Event) Point {
	p := NewPoint(schema.XcvrLaserEvent, ev.Time)
	p.AddTag(schema.TagHost, host)
	p.AddTag(schema.TagPort, ev.Source)
	p.AddTag(schema.TagLane, laneTag(ev.Laser))
	p.AddString(schema.EventID, ev.ID)
	state := AlarmFiring
	if !ev.Firing {
		state = "resolved"
	}
	p.AddString(schema.State, state)
	p.AddBool(schema.Firing, ev.Firing)
	p.AddString(schema.Cause, ev.Cause)
	p.AddString(schema.Ports, strings.Join(ev.Ports(), " "))
	p.AddString(schema.Lanes, ev.Lanes())
	p.AddFloatPtr(schema.PowerMW, ev.PowerMW)
	p.AddString(schema.LinkedAlarms, strings.Join(ev.Linked, "; "))
	p.AddString(schema.Summary, ev.Summary())
	return p
}

// LinkLaserEvent marks an xcvr_alarm point as a consequence of the laser
// event id: the alarm's lane is dark because the laser feeding it is.
func LinkLaserEvent(p *Point, id string) { p.AddString(schema.LaserEvent, id) }

func laserEventDoc() MeasurementDoc {
	return MeasurementDoc{
		Name: schema.XcvrLaserEvent,
		Doc: "A laser of an external laser source that faults, warns, goes off or whose source stops answering, as one " +
			"event naming every engine lane and switch port it darkens (the platform's optical topology): a point when it " +
			"starts (state firing) and one when it ends (resolved), with the same event_id. The fed lanes' own alarms carry " +
			"that id in xcvr_alarm.laser_event.",
		Tags: []TagDoc{tagHost, {schema.TagPort, "the laser source's port"}, {schema.TagLane, "the laser, 1-based"}},
		Fields: []FieldDoc{
			{schema.EventID, String, "", "the event's identity: source/laserN@start time in ms", "", false},
			{schema.State, String, "", "firing or resolved", "", false},
			{schema.Firing, Bool, "", "the event is starting (false: it ended)", "", false},
			{schema.Cause, String, "", "fault, off, warning or source absent (the worst seen while it fired)", "", false},
			{schema.Ports, String, "", "the switch ports it darkens, space separated (the engine's port where the platform names none)", "", false},
			{schema.Lanes, String, "", "the engine lanes it darkens: engine:lanes, space separated (npo1:5-8)", "", false},
			{schema.PowerMW, Float, "mW", "the laser's output power at the read", "", false},
			{schema.LinkedAlarms, String, "", "the fed lanes' alarms already firing when it started, '; ' separated", "", false},
			{schema.Summary, String, "", "human-readable summary", "", false},
		},
	}
}
