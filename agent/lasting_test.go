package agent_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/ddm-agent/ddm/agent"
	"github.com/ddm-agent/ddm/emulator"
	"github.com/ddm-agent/ddm/internal/vclock"
)

const lastingYAML = `
buses:
  - {name: b, speed: 400kHz}
ports:
  - {name: fade, bus: b, profile: osfp-800g-dr8}
  - {name: cut, bus: b, address: 0x52, profile: osfp-800g-dr8}
  - {name: hot, bus: b, address: 0x54, profile: osfp-1.6t-dr8}
scenarios:
  - {port: fade, kind: tx_fade, lane: 6, start: 0s, duration: 15s, rate: 2400}
  - {port: cut, kind: fiber_cut, start: 10s, duration: 20s}
  - {port: hot, kind: temp_runaway, start: 5s, rate: 90, target: 90}
`

// TestAgentLastingConditionsCountOnce: a condition that lasts is one
// event, with the flag scan every 100 ms: a Tx power that faded below its
// alarm and stays there, a temperature held above its alarm, a fibre cut
// for 20 s. The modules refresh their monitors once a second and set a
// threshold flag again only then, so the scans in between find it clear;
// before, each refresh was a new event (a lasting Tx power alarm counted
// about once a second, each an urgent point), and a cut fibre, whose
// RxLOS the emulator set again only at its refresh, counted 20 losses of
// signal a lane and opened a flight each.
func TestAgentLastingConditionsCountOnce(t *testing.T) {
	// The modules as ddm run --emulate makes them: monitors refreshed once
	// a second (portset.EmulatorUpdate), not at every access.
	clk := vclock.New(t0)
	pl, err := emulator.ParsePlatform("test.yaml", []byte(lastingYAML), emulator.WithClock(clk), emulator.WithUpdateInterval(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	rec := &flagRecorder{recorder: recorder{samples: map[string][]agent.Sample{}}}
	a, err := agent.New(platformPorts(pl), rec, agent.Options{Interval: time.Second, FlagInterval: 100 * time.Millisecond, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	runFor(a, clk, 60*time.Second)
	counted := map[string]int{}
	rec.fmu.Lock()
	for _, e := range rec.events {
		counted[fmt.Sprintf("%s lane %d %s", e.Port, e.Lane, e.Flag)]++
	}
	rec.fmu.Unlock()
	want := map[string]int{
		"fade lane 6 tx_power_low_alarm":      1,
		"fade lane 6 tx_power_low_warning":    1,
		"hot lane 0 temperature_high_alarm":   1,
		"hot lane 0 temperature_high_warning": 1,
	}
	for lane := 1; lane <= 8; lane++ {
		want[fmt.Sprintf("cut lane %d rx_los", lane)] = 1
		want[fmt.Sprintf("cut lane %d rx_cdr_lol", lane)] = 1
		want[fmt.Sprintf("cut lane %d rx_power_low_alarm", lane)] = 1
	}
	for k, n := range want {
		if counted[k] != n {
			t.Errorf("%s: %d events, want %d", k, counted[k], n)
		}
	}
}
