package pipeline

import (
	"testing"
	"time"

	"github.com/ddm-agent/ddm/agent"
	"github.com/ddm-agent/ddm/exporter"
	"github.com/ddm-agent/ddm/schema"
)

// urgentSink keeps the points of WriteNow apart from those of Write.
type urgentSink struct {
	memSink
	urgent memSink
}

func (u *urgentSink) WriteNow(pts ...exporter.Point) { u.urgent.Write(pts...) }

// TestObserveFlagsUrgent: flag events go out through the urgent lane, one
// xcvr_flag_event point each, with their own identity (lane, flag, time).
func TestObserveFlagsUrgent(t *testing.T) {
	var sink urgentSink
	p := New(Options{Host: "h", Rules: builtinRules(t), Sink: &sink})
	now := time.Unix(1700000000, 0)
	p.ObserveFlags([]agent.FlagEvent{
		{Port: "Ethernet1/12", Lane: 6, Flag: "rx_los", Time: now, Since: now.Add(-100 * time.Millisecond), Scan: true, Count: 1},
		{Port: "Ethernet1/12", Lane: 6, Flag: "rx_lol", Time: now, Since: now.Add(-100 * time.Millisecond), Scan: true, Count: 1},
		{Port: "Ethernet1/12", Lane: 0, Flag: "temperature_high_alarm", Time: now, Count: 2},
	})
	p.ObserveFlags(nil)
	got := sink.urgent.of(schema.XcvrFlagEvent)
	if len(got) != 3 || len(sink.of(schema.XcvrFlagEvent)) != 0 {
		t.Fatalf("%d urgent and %d batched xcvr_flag_event points, want 3 and 0", len(got), len(sink.of(schema.XcvrFlagEvent)))
	}
	seen := map[string]bool{}
	for _, pt := range got {
		key := pt.Tag(schema.TagPort) + "/" + pt.Tag(schema.TagLane) + "/" + pt.Tag(schema.TagFlag) + "@" + pt.Time.String()
		if seen[key] {
			t.Errorf("two points share port, lane and flag at one time: %s", key)
		}
		seen[key] = true
	}
}
