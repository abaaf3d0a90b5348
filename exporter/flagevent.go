package exporter

import (
	"time"

	"github.com/ddm-agent/ddm/schema"
)

// FlagEvent is one latched flag seen set after a read that saw it clear:
// the exporter's copy of the agent's event (the exporter imports no agent).
type FlagEvent struct {
	Host, Port string
	// Lane is 1-based and global; 0 for a module flag.
	Lane int
	Flag string
	// Time is when the read that saw it ended; Since when the flags were
	// read before (zero for a module's first read): the onset lies in
	// (Since, Time].
	Time, Since time.Time
	Count       int
	Scan        bool
}

// FlagEventPoint is a flag event as an xcvr_flag_event point. Its identity
// is host, port, lane, flag and the read's time: one flag counts again only
// after a later read saw it clear, so two of its events are never one read.
func FlagEventPoint(e FlagEvent) Point {
	p := NewPoint(schema.XcvrFlagEvent, e.Time)
	p.AddTag(schema.TagHost, e.Host)
	p.AddTag(schema.TagPort, e.Port)
	p.AddTag(schema.TagLane, laneTag(e.Lane))
	p.AddTag(schema.TagFlag, e.Flag)
	p.AddInt(schema.FlagCount, int64(e.Count))
	if !e.Since.IsZero() && e.Time.After(e.Since) {
		p.AddInt(schema.OnsetWindowMS, e.Time.Sub(e.Since).Milliseconds())
	}
	p.AddBool(schema.ByScan, e.Scan)
	return p
}

func flagEventDoc() MeasurementDoc {
	return MeasurementDoc{
		Name: schema.XcvrFlagEvent,
		Doc: "A latched flag (LOS, LOL, Tx fault, power and bias alarms and warnings, module flags) seen set by a read " +
			"after a read that saw it clear: one point per event, written at once (the writer's urgent lane), not with " +
			"the next batch. The flag scan between fast cycles sees most of them within its interval (100 ms).",
		Tags: []TagDoc{tagHost, tagPort, {schema.TagLane, "1-based lane, global across banks; absent for a module flag"},
			{schema.TagFlag, "the flag, named as its xcvr_lane or xcvr_module field"}},
		Fields: []FieldDoc{
			{schema.FlagCount, Int, "", "the flag's count of events since the module was inserted, this one included", "", false},
			{schema.OnsetWindowMS, Int, "ms", "the onset lies within this long before the point's time (since the previous read); absent on a module's first read", "", false},
			{schema.ByScan, Bool, "", "seen by a flag scan, not a fast read", "", false},
		},
	}
}
