package alarm

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// TestRestoredAlarmResolvesAtFirstEvaluation: a firing alarm restored from
// a saved state is restated with a value that breaches, and resolves at
// its first evaluation when its condition has cleared, without waiting for
// clear_for; one still beyond its clear threshold keeps firing; a module
// still absent keeps its absence alarm.
func TestRestoredAlarmResolvesAtFirstEvaluation(t *testing.T) {
	const rules = `version: 1
defaults: {for: 0s, clear_for: 1m}
rules:
  - name: module_thresholds
    builtin: module_thresholds
    severity: {alarm: critical, warning: warning}
    hysteresis_gap: 0.5
  - name: gone
    module_absent: 10s
    severity: major
`
	cases := []struct {
		name string
		// temperature at the first evaluation after the restart
		temp        float64
		want        []string // events at the first evaluation
		wantRestate float64  // the value Active restates for the alarm band, 0: none firing
	}{
		{"back to normal", 52.04, []string{"0s resolved module_thresholds temperature_c high_alarm",
			"0s resolved module_thresholds temperature_c high_warning"}, 0},
		// past the warning threshold, inside the alarm's hysteresis band
		// (76 - 0.5·(76-73) = 74.5 to 76)
		{"inside the hysteresis band", 75, nil, 90},
		{"still beyond", 85, nil, 85},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e1 := engine(t, rules)
			hot := osfp("740-174932", "SN1")
			hot.TemperatureC = f64(90)
			e1.Evaluate("hot", t0, hot, true)
			e1.Evaluate("pulled", t0, osfp("740-174932", "SN2"), true)
			e1.Evaluate("pulled", t0.Add(time.Minute), nil, false)
			e1.Evaluate("pulled", t0.Add(2*time.Minute), nil, false)
			if n := len(e1.Active()); n != 3 {
				t.Fatalf("%d alarms firing before the restart, want 3: %v", n, brief(e1.Active()))
			}
			e2 := restarted(t, e1, rules)
			restart := t0
			m := osfp("740-174932", "SN1")
			m.TemperatureC = f64(c.temp)
			got := e2.Evaluate("hot", restart, m, true)
			got = append(got, e2.Evaluate("pulled", restart, nil, false)...)
			if g := brief(got); !equalStrings(g, c.want) {
				t.Errorf("first evaluation: %v, want %v", g, c.want)
			}
			for _, ev := range got {
				if ev.Value != c.temp {
					t.Errorf("%s: resolved with value %v, want the value that cleared it, %v", ev.Limit, ev.Value, c.temp)
				}
			}
			restated := 0.0
			for _, ev := range e2.Active() {
				switch ev.Rule {
				case "module_thresholds":
					if ev.Value <= ev.Threshold {
						t.Errorf("restated %s %s with %v, which does not breach %v: %q", ev.Observable, ev.Limit, ev.Value, ev.Threshold, ev.Summary)
					}
					if ev.Limit == "high_alarm" {
						restated = ev.Value
					}
				case "gone":
					if ev.Port != "pulled" {
						t.Errorf("absence alarm on %s", ev.Port)
					}
				}
			}
			if restated != c.wantRestate {
				t.Errorf("alarm band restated with %v, want %v", restated, c.wantRestate)
			}
			if !hasRule(e2.Active(), "gone") {
				t.Error("the module is still absent: its alarm must keep firing")
			}
		})
	}
}

// restarted is a new engine on the same rules with the state e saved.
func restarted(t *testing.T, e *Engine, rules string) *Engine {
	t.Helper()
	var saved bytes.Buffer
	if err := e.SaveState(&saved); err != nil {
		t.Fatal(err)
	}
	e2 := engine(t, rules)
	if err := e2.LoadState(strings.NewReader(saved.String())); err != nil {
		t.Fatal(err)
	}
	return e2
}

func hasRule(ev []Event, rule string) bool {
	for _, e := range ev {
		if e.Rule == rule {
			return true
		}
	}
	return false
}

// TestRetainDropsPortsNotConfigured: state loaded for ports this
// configuration does not have is dropped, so their alarms are neither
// restated nor kept.
func TestRetainDropsPortsNotConfigured(t *testing.T) {
	rules := rule("name: hot", "metric: module.temperature_c", "above: 70", "for: 0s", "severity: major")
	e1 := engine(t, rules)
	hot := osfp("740-174932", "SN1")
	hot.TemperatureC = f64(90)
	for _, p := range []string{"Ethernet1/5", "Ethernet1/30", "p1"} {
		e1.Evaluate(p, t0, hot, true)
	}
	e2 := restarted(t, e1, rules)
	dropped := e2.Retain([]string{"p1", "p2"})
	if want := []string{"Ethernet1/30", "Ethernet1/5"}; !equalStrings(dropped, want) {
		t.Errorf("dropped %v, want %v", dropped, want)
	}
	if a := brief(e2.Active()); len(a) != 1 || e2.Active()[0].Port != "p1" {
		t.Errorf("active after Retain: %v, want p1's alarm only", a)
	}
}
