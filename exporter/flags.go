package exporter

import (
	"time"

	"github.com/ddm-agent/ddm/schema"
)

// FlagCount is one latched flag's counters on one lane (0: a module flag)
// of a port, since the module was inserted.
type FlagCount struct {
	Lane int    `json:"lane,omitempty"`
	Flag string `json:"flag"`
	// Events: reads that saw the flag set after a read that saw it clear.
	// Reads: reads that saw it set.
	Events int64     `json:"events"`
	Reads  int64     `json:"reads"`
	First  time.Time `json:"first"`
	Last   time.Time `json:"last"`
	// Active: set in the latest read.
	Active bool `json:"active,omitempty"`
}

// FlagPoints is one xcvr_flag point per counted flag of a port, stamped
// src.Time: the counters as they stand (cumulative, so a lost point loses
// no event).
func FlagPoints(src Source, counts []FlagCount) []Point {
	pts := make([]Point, 0, len(counts))
	a := newPointSlab(4*len(counts), 5*len(counts))
	for _, c := range counts {
		p := a.point(src, schema.XcvrFlag, 4, 5)
		if tag := laneTag(c.Lane); tag != "" {
			p.AddTag(schema.TagLane, tag)
		}
		p.AddTag(schema.TagFlag, c.Flag)
		p.AddInt(schema.FlagEvents, c.Events)
		p.AddInt(schema.FlagReads, c.Reads)
		p.AddInt(schema.FlagFirstSeen, c.First.UnixMilli())
		p.AddInt(schema.FlagLastSeen, c.Last.UnixMilli())
		p.AddBool(schema.FlagActive, c.Active)
		pts = append(pts, p)
	}
	return pts
}

func flagDoc() MeasurementDoc {
	return MeasurementDoc{
		Name: schema.XcvrFlag,
		Doc: "Latch-aware counters of a port's latched flags since the module was inserted (a replacement starts them again), " +
			"per lane and module: every read that sees a latched bit, fast reads and the flag scans between them (flag_interval). " +
			"Written with a fast read when a counter changed since the port's last xcvr_flag points, and when the agent stops for counters that flag scans moved after the port's last fast read (stamped with that scan: the last points hold every `xcvr_flag_event`); only flags seen at least once.",
		Tags: []TagDoc{tagHost, tagPort, {schema.TagLane, "1-based lane; absent for module flags"},
			{schema.TagFlag, "the flag, named as in xcvr_lane/xcvr_module (rx_los, tx_fault, rx_power_low_alarm, temp_high_warning, ...)"}},
		Fields: []FieldDoc{
			{schema.FlagEvents, Int, "", "events: reads that saw the flag set after one that saw it clear (a condition that lasts is one event)", "", true},
			{schema.FlagReads, Int, "", "reads that saw the flag set", "", true},
			{schema.FlagFirstSeen, Int, "ms", "first read that saw it set, Unix time in milliseconds", "", false},
			{schema.FlagLastSeen, Int, "ms", "latest read that saw it set, Unix time in milliseconds", "", false},
			{schema.FlagActive, Bool, "", "set in the latest read", "", false},
		},
	}
}
