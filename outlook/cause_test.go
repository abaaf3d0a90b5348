package outlook

import (
	"strings"
	"testing"
	"time"

	"github.com/ddm-agent/ddm/alarm"
	"github.com/ddm-agent/ddm/emulator"
	"github.com/ddm-agent/ddm/forecast"
)

// TestLikelyCauseOnEmulatorScenarios is the likely-cause table run on the
// emulator's scenario of each cause: the module read through its bus over
// simulated days, the tracker fed every read and updated as the agent
// does, then asked for the cause of an alarm on the scenario's lane.
func TestLikelyCauseOnEmulatorScenarios(t *testing.T) {
	tests := []struct {
		name    string
		profile string
		opt     emulator.Option
		days    time.Duration
		lane    int
		want    forecast.Cause
		reason  string // a word of the classifier's reasons
	}{
		{"laser ageing", "qsfpdd-400g-fr4",
			emulator.WithDegradations(emulator.Degradation{Kind: emulator.LaserAgeing, Lane: 2, Duration: 20 * day}),
			6 * day, 2, forecast.CauseLaserAgeing, "bias rising"},
		{"dirty connector", "osfp-800g-dr8",
			emulator.WithDegradations(emulator.Degradation{Kind: emulator.RxFade, Lane: 5, Rate: 0.05}),
			6 * day, 5, forecast.CauseDirtyFibre, "Rx low on 1 of 8 lanes"},
		{"fibre cut", "osfp-800g-dr8",
			emulator.WithFaults(emulator.Fault{Kind: emulator.FaultFiberCut, Window: emulator.Window{Start: 3 * day}}),
			4 * day, 3, forecast.CauseFarEndOrCut, "LOS on all 8 lanes"},
		{"host side", "osfp-1.6t-dr8",
			emulator.WithDegradations(emulator.Degradation{Kind: emulator.HostErrors, Lane: 6, Duration: 2 * day, Target: 1e-3}),
			3 * day, 6, forecast.CauseHostSide, "host-side loss of lock"},
		{"module fault", "osfp-800g-dr8",
			emulator.WithFaults(emulator.Fault{Kind: emulator.FaultModule, Window: emulator.Window{Start: 3 * day}}),
			3*day + 4*time.Hour, 0, forecast.CauseModuleFault, "module reports a fault"},
		{"thermal", "osfp-800g-dr8",
			emulator.WithDegradations(emulator.Degradation{Kind: emulator.TempRunaway, Rate: 1.0 / (24 * 60), Target: 90}),
			5 * day, 0, forecast.CauseThermal, "temperature rising"},
		{"healthy: unknown rather than a guess", "osfp-800g-dr8", emulator.WithSeed(7),
			5 * day, 4, forecast.CauseUnknown, "no rule matched"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEmulated(t, tc.profile, tc.opt)
			tr := New()
			e.run(t, tr, "Ethernet1/1", tc.days, time.Hour)
			tr.Update("sw1", e.clk.Now())
			d := tr.Diagnose("Ethernet1/1", tc.lane)
			if d.Cause != string(tc.want) || !strings.Contains(strings.Join(d.Evidence, "; "), tc.reason) {
				ev, _ := tr.Evidence("Ethernet1/1", tc.lane)
				t.Errorf("cause %q, evidence %q; want %q with %q\nclassifier evidence %+v", d.Cause, d.Evidence, tc.want, tc.reason, ev)
			}
		})
	}
}

// When a link alarm of the default rules fires, its event carries the
// likely cause: the tracker sees each read before the rules do, as in the
// agent. A fibre cut two days in fires rx_los and the Rx power alarms
// with far_end_or_fibre_cut and its evidence; a dirty connector's Rx
// threshold alarms name the dirty fibre. (The BER alarms that fire while
// that lane's Rx is still above its warning say unknown: the table wants
// the Rx low before it names the fibre, rather than guess.)
func TestLinkAlarmEventsCarryTheCause(t *testing.T) {
	rules, err := alarm.Parse("default", alarm.DefaultRules())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		profile string
		opt     emulator.Option
		days    time.Duration
		which   func(alarm.Event) bool
		want    forecast.Cause
	}{
		{"fibre cut", "osfp-800g-dr8", emulator.WithFaults(emulator.Fault{Kind: emulator.FaultFiberCut, Window: emulator.Window{Start: 2 * day}}),
			3 * day, func(alarm.Event) bool { return true }, forecast.CauseFarEndOrCut},
		{"dirty connector", "osfp-800g-dr8", emulator.WithDegradations(emulator.Degradation{Kind: emulator.RxFade, Lane: 5, Rate: 0.05}),
			6 * day, func(ev alarm.Event) bool { return ev.Rule == "module_thresholds" && ev.Observable == "rx_power_mw" }, forecast.CauseDirtyFibre},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := New()
			eng := alarm.NewEngine(rules, alarm.Options{Diagnose: tr.Diagnose})
			e := newEmulated(t, tc.profile, tc.opt)
			var firing []alarm.Event
			last := e.clk.Now()
			for end := e.clk.Now().Add(tc.days); !e.clk.Now().After(end); e.clk.Advance(time.Hour) {
				m := e.read(t)
				tr.Observe("Ethernet1/1", e.clk.Now(), m)
				if e.clk.Now().Sub(last) >= 6*time.Hour {
					tr.Update("sw1", e.clk.Now())
					last = e.clk.Now()
				}
				for _, ev := range eng.Evaluate("Ethernet1/1", e.clk.Now(), m, true) {
					if ev.State == alarm.Firing && ev.Lane > 0 && tc.which(ev) {
						firing = append(firing, ev)
					}
				}
			}
			if len(firing) == 0 {
				t.Fatal("no lane alarm fired")
			}
			for _, ev := range firing {
				if ev.Cause != string(tc.want) || len(ev.Evidence) == 0 {
					t.Errorf("%s lane %d %s: cause %q evidence %q, want %q", ev.Rule, ev.Lane, ev.Observable, ev.Cause, ev.Evidence, tc.want)
				}
			}
		})
	}
}
