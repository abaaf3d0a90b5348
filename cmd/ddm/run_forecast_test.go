package main

import (
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// lpPoint is the measurement, tags and field keys of one line of line
// protocol (enough to say what a point is about).
type lpPoint struct {
	measurement string
	tags        map[string]string
	fields      string
}

func parseLPLine(line string) (lpPoint, bool) {
	head, fields, ok := strings.Cut(line, " ")
	if !ok {
		return lpPoint{}, false
	}
	parts := strings.Split(head, ",")
	p := lpPoint{measurement: parts[0], tags: map[string]string{}, fields: fields}
	for _, kv := range parts[1:] {
		k, v, _ := strings.Cut(kv, "=")
		p.tags[k] = v
	}
	return p, true
}

// The agent writes forecasts and cohort scores for every lane of the
// emulated switch: with the history days of reads left in its state
// folder, `ddm run --emulate` writes, at its first forecast, an
// xcvr_forecast point for each quantity of each lane it reads (the
// history's ports) and an xcvr_cohort point for each lane whose part
// number has peers, and keeps the history.
func TestRunWritesForecastsForEveryLane(t *testing.T) {
	dir := t.TempDir()
	hist := agentHistory(t, "default", dir, 3*24*time.Hour, 4*time.Hour)
	inHistory := map[string]bool{}
	for _, p := range hist.Ports() {
		inHistory[p] = true
	}
	// The first forecast comes once every port was read twice: the agent
	// is stopped (SIGTERM) a second after it appears, not after a fixed
	// time, which a loaded machine may spend on the first reads.
	cmd := exec.Command(ddmBinary(t), "run", "--emulate", "--output", "lp", "--interval", "1s", "--vdm-interval", "1s",
		"--duration", "2m", "--state-dir", dir)
	var outb, errb safeBuffer
	cmd.Stdout, cmd.Stderr = &outb, &errb
	cmd.Env = append(os.Environ(), "DDM_INFLUX_TOKEN=")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	deadline := time.After(90 * time.Second)
wait:
	for !strings.Contains(outb.String(), "xcvr_forecast,") {
		select {
		case err := <-exited:
			t.Fatalf("ddm exited before its first forecast: %v\n%s", err, errb.String())
		case <-deadline:
			t.Fatalf("no forecast in 90 s:\n%s", errb.String())
		case <-time.After(100 * time.Millisecond):
			continue wait
		}
	}
	// The forecast's points are one Write of the pipeline's forecast
	// cycle, which a SIGTERM lets finish before the sink is closed: no
	// wait for "the rest" of them.
	_ = cmd.Process.Signal(syscall.SIGTERM)
	if err := <-exited; err != nil {
		t.Fatalf("ddm after SIGTERM: %v\n%s", err, errb.String())
	}
	out, errs := outb.String(), errb.String()
	lanes := map[string]bool{}    // port/lane read with an Rx power
	lanesOf := map[string]int{}   // lanes per port
	forecast := map[string]bool{} // port/lane/quantity with a forecast
	cohort := map[string]bool{}   // port/lane with an Rx cohort score
	for _, line := range strings.Split(out, "\n") {
		p, ok := parseLPLine(line)
		if !ok {
			continue
		}
		key := p.tags["port"] + "/" + p.tags["lane"]
		switch p.measurement {
		case "xcvr_lane":
			if strings.Contains(p.fields, "rx_power_mw=") && strings.Contains(p.fields, `data_path_state="DPActivated"`) && !lanes[key] {
				lanes[key] = true
				lanesOf[p.tags["port"]]++
			}
		case "xcvr_forecast":
			forecast[key+"/"+p.tags["quantity"]] = true
		case "xcvr_cohort":
			if p.tags["quantity"] == "rx_power_mw" {
				cohort[key] = true
			}
		}
	}
	if len(lanes) < 300 {
		t.Fatalf("only %d lanes read:\n%s", len(lanes), errs)
	}
	var missing []string
	for key := range lanes {
		port := strings.Split(key, "/")[0]
		if inHistory[port] && !forecast[key+"/rx_power_mw"] {
			missing = append(missing, key+" forecast")
		}
		if lanesOf[port] >= 4 && !cohort[key] {
			missing = append(missing, key+" cohort")
		}
	}
	if len(missing) > 0 || len(forecast) == 0 {
		t.Errorf("%d lanes read, %d forecasts, %d cohort scores; missing:\n%s", len(lanes), len(forecast), len(cohort), strings.Join(missing, "\n"))
	}
}
