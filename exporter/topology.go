package exporter

import (
	"strings"

	"github.com/ddm-agent/ddm/topology"
)

// MLaserEvent is the measurement of correlated laser events.
const MLaserEvent = "xcvr_laser_event"

// LaserEventPoint is a correlated laser event (its start or its end) as an
// xcvr_laser_event point of the laser source's port and laser.
func LaserEventPoint(host string, ev *topology.Event) Point {
	p := NewPoint(MLaserEvent, ev.Time)
	p.AddTag("host", host)
	p.AddTag("port", ev.Source)
	p.AddTag("lane", laneTag(ev.Laser))
	p.AddString("event_id", ev.ID)
	state := AlarmFiring
	if !ev.Firing {
		state = "resolved"
	}
	p.AddString("state", state)
	p.AddBool("firing", ev.Firing)
	p.AddString("cause", ev.Cause)
	p.AddString("ports", strings.Join(ev.Ports(), " "))
	p.AddString("lanes", ev.Lanes())
	p.AddFloatPtr("power_mw", ev.PowerMW)
	p.AddString("linked_alarms", strings.Join(ev.Linked, "; "))
	p.AddString("summary", ev.Summary())
	return p
}

// LinkLaserEvent marks an xcvr_alarm point as a consequence of the laser
// event id: the alarm's lane is dark because the laser feeding it is.
func LinkLaserEvent(p *Point, id string) { p.AddString("laser_event", id) }

func laserEventDoc() MeasurementDoc {
	return MeasurementDoc{
		Name: MLaserEvent,
		Doc: "A laser of an external laser source that faults, warns, goes off or whose source stops answering, as one " +
			"event naming every engine lane and switch port it darkens (the platform's optical topology): a point when it " +
			"starts (state firing) and one when it ends (resolved), with the same event_id. The fed lanes' own alarms carry " +
			"that id in xcvr_alarm.laser_event.",
		Tags: []TagDoc{tagHost, {"port", "the laser source's port"}, {"lane", "the laser, 1-based"}},
		Fields: []FieldDoc{
			{"event_id", String, "", "the event's identity: source/laserN@start time in ms", "", false},
			{"state", String, "", "firing or resolved", "", false},
			{"firing", Bool, "", "the event is starting (false: it ended)", "", false},
			{"cause", String, "", "fault, off, warning or source absent (the worst seen while it fired)", "", false},
			{"ports", String, "", "the switch ports it darkens, space separated (the engine's port where the platform names none)", "", false},
			{"lanes", String, "", "the engine lanes it darkens: engine:lanes, space separated (npo1:5-8)", "", false},
			{"power_mw", Float, "mW", "the laser's output power at the read", "", false},
			{"linked_alarms", String, "", "the fed lanes' alarms already firing when it started, '; ' separated", "", false},
			{"summary", String, "", "human-readable summary", "", false},
		},
	}
}
