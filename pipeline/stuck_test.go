package pipeline

import (
	"testing"
	"time"

	"github.com/ddm-agent/ddm/flightrec"
	"github.com/ddm-agent/ddm/internal/vclock"
	"github.com/ddm-agent/ddm/schema"
)

const stuckBusYAML = `
buses:
  - {name: b, speed: 400kHz}
ports:
  - {name: dr8, bus: b, profile: osfp-800g-dr8}
  - {name: stuck, bus: b, address: 0x52, profile: osfp-800g-dr8}
  - {name: quiet, bus: b, address: 0x54, profile: osfp-800g-dr8}
scenarios:
  - {port: dr8, kind: los_pulses, lane: 6, start: 10s}
  - {port: stuck, kind: busy, start: 5s}
`

// TestEventsBesideStuckModule: the agent and the pipeline on virtual time
// over a bus that also holds a stuck module (NACKs everything from 5 s):
// every loss of signal injected on dr8 lane 6 becomes one urgent
// xcvr_flag_event point and one trigger of the flight the first opened
// (each later one joins it: no point written twice), and the stuck and
// the quiet module write no event.
func TestEventsBesideStuckModule(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	clk := vclock.New(t0)
	var sink urgentSink
	p := New(Options{Host: "h", Rules: builtinRules(t), Sink: &sink})
	pl, stop := runOnPlatform(t, clk, "stuck.yaml", stuckBusYAML, p)
	span := 70 * time.Second
	clk.Advance(span)
	stop()

	injected := 0
	for _, o := range pl.Module("dr8").Onsets() {
		if o.At.Before(t0.Add(span - time.Second)) {
			injected++
		}
	}
	byPort := map[string]int{}
	ids := map[string]bool{}
	for _, pt := range sink.urgent.of(schema.XcvrFlagEvent) {
		if pt.Tag(schema.TagFlag) != "rx_los" {
			continue
		}
		if pt.Time.Before(t0.Add(span - time.Second)) {
			byPort[pt.Tag(schema.TagPort)+"/"+pt.Tag(schema.TagLane)]++
		}
		id := pt.Tag(schema.TagPort) + pt.Tag(schema.TagLane) + pt.Tag(schema.TagFlag) + pt.Time.String()
		if ids[id] {
			t.Errorf("two flag event points share their identity: %s", id)
		}
		ids[id] = true
	}
	if injected < 20 || byPort["dr8/6"] != injected || len(byPort) != 1 {
		t.Errorf("%d pulses injected on dr8 lane 6; rx_los events %v", injected, byPort)
	}
	seen := map[string]bool{}
	flights := map[string]bool{}
	readings := 0
	losTriggers, triggers := 0, 0
	for _, pt := range append(sink.of(schema.XcvrFlight), sink.of(schema.XcvrFlightTrigger)...) {
		if pt.Tag(schema.TagPort) != "dr8" {
			t.Fatalf("a flight point of %s", pt.Tag(schema.TagPort))
		}
		flights[pt.Tag(schema.TagFlight)] = true
		k := pointKey(t, pt)
		if seen[k] {
			t.Errorf("point written twice: %s", k)
		}
		seen[k] = true
		switch {
		case pt.Measurement == schema.XcvrFlight:
			readings++
			continue
		}
		triggers++
		switch {
		case pt.Tag(schema.Trigger) == "rx_los/lane6" && pt.Time.Before(t0.Add(span-time.Second)):
			losTriggers++
		}
	}
	// The pulses come every 0.2-2 s: each joins the flight the first
	// opened (its window bounded to 90 s), each a trigger of it until
	// the flight lists flightrec.MaxTriggers (the others counted).
	if len(flights) != 1 || readings == 0 || losTriggers > injected ||
		(losTriggers < injected && triggers != flightrec.MaxTriggers) {
		t.Errorf("%d flights with %d readings and %d triggers (%d rx_los) for %d pulses", len(flights), readings, triggers, losTriggers, injected)
	}
	t.Logf("%d pulses, %d rx_los events, %d flights, %d flight readings, %d rx_los triggers", injected, byPort["dr8/6"], len(flights), readings, losTriggers)
}
