package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Alarm scenarios on the emulator, through `ddm rules test`: the agent
// reads the emulated modules at an interval of one step (10 s), on a
// virtual clock that the command steps; every sample is evaluated as the
// daemon evaluates it.

func TestRulesScenarioModuleThreshold(t *testing.T) {
	// Temperature runaway: the module's own page 02h thresholds (75 °C
	// warning, 80 °C alarm) fire with the module's values in the event.
	code, out, errs := runDDM(t, "", "rules", "test", "../../systemd/rules.yaml", "--emulate", "temp-runaway", "--duration", "30m")
	if code != 0 {
		t.Fatalf("exit %d %s", code, errs)
	}
	for _, want := range []string{
		"FIRING warning module_thresholds Ethernet1/30 temperature_c high_warning",
		"threshold 75",
		"FIRING critical module_thresholds Ethernet1/30 temperature_c high_alarm",
		"threshold 80",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("temp-runaway lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "FIRING critical module_thresholds Ethernet1/30"); n != 1 {
		t.Errorf("the high alarm fired %d times, want once:\n%s", n, out)
	}
}

func TestRulesScenarioUnplug(t *testing.T) {
	code, out, _ := runDDM(t, "", "rules", "test", "../../systemd/rules.yaml", "--emulate", "unplug", "--duration", "30m")
	if code != 0 || strings.Count(out, "FIRING major module_absent Ethernet1/47") != 1 {
		t.Errorf("unplug: exit %d\n%s", code, out)
	}
	// Pulled at 10m: a module that answered before NACKs as busy; the
	// agent (at an interval of one 10 s step) reads it again with backoff,
	// at 10:20 (two intervals) and 10:50 (four, capped at 30 s), and takes
	// it as removed on that third read that NACKs (modread.Absence); the
	// rule's 5m run from there.
	if !strings.Contains(out, "T+00:10:00 READ-ERROR Ethernet1/47") || !strings.Contains(out, "T+00:10:20 READ-ERROR Ethernet1/47") ||
		!strings.Contains(out, "T+00:15:50 FIRING major module_absent Ethernet1/47") || strings.Count(out, "READ-ERROR Ethernet1/47") != 2 {
		t.Errorf("unplug: want read errors at 10:00 and 10:20, then the removal at 10:50 as the agent counts it:\n%s", out)
	}
}

// TestRulesScenarioNoFlap: lane 1's Rx power wanders around 0 dBm on an
// emulated module. A rule at that level without hysteresis flaps (the
// control); with 0.3 dB of hysteresis it fires once and never clears.
func TestRulesScenarioNoFlap(t *testing.T) {
	dir := t.TempDir()
	pf := filepath.Join(dir, "p.yaml")
	os.WriteFile(pf, []byte("buses:\n  - {name: b, speed: 400kHz}\nports:\n  - {name: p1, bus: b, profile: osfp-800g-dr8}\n"), 0o644)
	changes := func(h string) int {
		rf := filepath.Join(dir, "r"+h+".yaml")
		os.WriteFile(rf, []byte("version: 1\nrules:\n  - name: wobble\n    metric: lane.rx_power_dbm\n    match: {lane: \"1\"}\n    above: 0.01\n    hysteresis: "+h+"\n    for: 0s\n    severity: minor\n"), 0o644)
		code, out, errs := runDDM(t, "", "rules", "test", rf, "--emulate", pf, "--duration", "2h", "--step", "10s")
		if code != 0 {
			t.Fatalf("exit %d %s", code, errs)
		}
		return strings.Count(out, "FIRING") + strings.Count(out, "RESOLVED")
	}
	if n := changes("0"); n < 4 {
		t.Fatalf("control without hysteresis changed state %d times; the value does not wobble around the threshold", n)
	}
	if n := changes("0.3"); n != 1 {
		t.Errorf("with hysteresis: %d state changes, want 1 (fire once, no flap)", n)
	}
}

// TestRulesScenarioErroredFramesAreFrames: the default errored_frames rule
// ("above: 0") fires on frames a module counted, not on the expected share
// of a healthy link's: the BER ramp (to 3e-4, where a lane loses a frame
// every half hour or so) once fired it on a ratio of 2.27e-18, the Rx fade
// (BER past 1e-3) loses frames for real.
func TestRulesScenarioErroredFramesAreFrames(t *testing.T) {
	code, out, errs := runDDM(t, "", "rules", "test", "--emulate", "ber-ramp", "--duration", "25m")
	if code != 0 {
		t.Fatalf("exit %d %s", code, errs)
	}
	if strings.Contains(out, "FIRING major errored_frames") {
		t.Errorf("errored_frames fired without a lost frame:\n%s", out)
	}
	code, out, errs = runDDM(t, "", "rules", "test", "--emulate", "rx-fade", "--duration", "40m")
	if code != 0 {
		t.Fatalf("exit %d %s", code, errs)
	}
	if !strings.Contains(out, "FIRING major errored_frames Ethernet1/12 lane 2") {
		t.Errorf("errored_frames did not fire on the faded lane:\n%s", out)
	}
}

// TestRulesTestSameOnEveryRun: the agent's bus workers and VDM reads run
// at once, yet a scenario prints the same lines in the same order on every
// run (the virtual clock finishes each instant before the next; the lines
// of one instant are ordered by time, then port).
func TestRulesTestSameOnEveryRun(t *testing.T) {
	var first string
	for run := range 3 {
		code, out, errs := runDDM(t, "", "rules", "test", "--emulate", "default", "--duration", "60s")
		if code != 0 {
			t.Fatalf("exit %d %s", code, errs)
		}
		if run == 0 {
			first = out
			if !strings.Contains(out, "FIRING") || !strings.Contains(out, "READ-ERROR") {
				t.Fatalf("the run shows neither alarms nor read errors to order:\n%s", out)
			}
			continue
		}
		if out != first {
			t.Errorf("run %d printed\n%s\nrun 0 printed\n%s", run, out, first)
		}
	}
}
