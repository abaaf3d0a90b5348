package pipeline

import (
	"testing"
	"time"

	"github.com/ddm-agent/ddm/agent"
	"github.com/ddm-agent/ddm/cmis"
	"github.com/ddm-agent/ddm/schema"
)

// TestFlagCountersWritten: a sample whose flag history is a new copy (a
// counter moved) writes the port's xcvr_flag points, module flags without
// a lane tag; the same copy again writes nothing; the counters are the
// history's.
func TestFlagCountersWritten(t *testing.T) {
	var sink memSink
	p := New(Options{Host: "leaf01", Rules: builtinRules(t), Sink: &sink, Ports: []string{"a"}})
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	m := &cmis.Module{Spec: "CMIS", Identifier: "OSFP", Lanes: []cmis.Lane{{Lane: 6}}}
	h1 := &agent.FlagHistory{
		Module: map[string]*agent.FlagStat{"temp_high_warning": {Count: 1, Reads: 2, First: t0, Last: t0.Add(time.Second)}},
		Lanes:  map[int]map[string]*agent.FlagStat{6: {"rx_los": {Count: 3, Reads: 5, First: t0, Last: t0.Add(2 * time.Second), Active: true}}},
	}
	h2 := &agent.FlagHistory{Lanes: map[int]map[string]*agent.FlagStat{6: {"rx_los": {Count: 4, Reads: 6, First: t0, Last: t0.Add(3 * time.Second)}}}}
	for _, s := range []agent.Sample{
		{Port: "a", Bus: "b", Kind: agent.KindFast, Time: t0, Module: m, Flags: h1},
		{Port: "a", Bus: "b", Kind: agent.KindFast, Time: t0.Add(time.Second), Module: m, Flags: h1}, // unchanged
		{Port: "a", Bus: "b", Kind: agent.KindVDM, Time: t0.Add(time.Second), Module: m, Flags: h2},  // not a fast read
		{Port: "a", Bus: "b", Kind: agent.KindFast, Time: t0.Add(2 * time.Second), Module: m, Flags: h2},
	} {
		p.Observe(s)
	}
	pts := sink.of(schema.XcvrFlag)
	if len(pts) != 3 {
		t.Fatalf("%d xcvr_flag points, want 2 then 1: %+v", len(pts), pts)
	}
	want := []struct {
		lane, flag string
		events     int64
		at         time.Time
	}{{"", "temp_high_warning", 1, t0}, {"6", "rx_los", 3, t0}, {"6", "rx_los", 4, t0.Add(2 * time.Second)}}
	for i, w := range want {
		pt := pts[i]
		lane, flag := "", ""
		for _, tg := range pt.Tags {
			switch tg.Key {
			case schema.TagLane:
				lane = tg.Value
			case schema.TagFlag:
				flag = tg.Value
			}
		}
		var events any
		for _, f := range pt.Fields {
			if f.Key == schema.FlagEvents {
				events = f.Value()
			}
		}
		if lane != w.lane || flag != w.flag || events != w.events || !pt.Time.Equal(w.at) {
			t.Errorf("point %d: lane %q flag %q events %v at %v, want %+v", i, lane, flag, events, pt.Time, w)
		}
	}
}
