package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ddm-agent/ddm/internal/influxtest"
)

// An emulated switch with a module pulled after 2 s, and the same switch
// as the first run left it: the module still out of its cage. The rules
// below fire on "hot" (a 48 °C module is hot for them) and on the pulled
// module. An emulated module starts afresh with each process (a runaway
// would start again from 48 °C), so the second run's switch is written as
// the world is then, as a real switch is across a restart of ddm.
const alarmPlatform = `name: alarm-test
buses:
  - {name: b, speed: 1MHz, muxes: [{address: 0x70, channels: [c0, c1, c2]}]}
ports:
  - {name: hot, bus: c0, profile: osfp-800g-dr8}
  - {name: cool, bus: c1, profile: osfp-800g-dr8}
  - {name: pulled, bus: c2, profile: qsfpdd-400g-fr4}
scenarios:
  - {port: pulled, kind: unplug, start: 2s}
`

const alarmPlatformLater = `name: alarm-test
buses:
  - {name: b, speed: 1MHz, muxes: [{address: 0x70, channels: [c0, c1, c2]}]}
ports:
  - {name: hot, bus: c0, profile: osfp-800g-dr8}
  - {name: cool, bus: c1, profile: osfp-800g-dr8}
  - {name: pulled, bus: c2, absent: true}
`

const alarmRules = `version: 1
rules:
  - name: hot_module
    metric: module.temperature_c
    match: {port: hot}
    above: 40
    hysteresis: 5
    for: 1s
    clear_for: 5s
    severity: major
    summary: '{{.Port}} at {{printf "%.1f" .Value}} °C'
  - name: gone
    module_absent: 1s
    for: 0s
    clear_for: 5s
    severity: critical
    summary: '{{.Port}} removed'
`

// TestRunAlarmsFireOnceAcrossRestart: a hot module fires its rule once (a
// transition in xcvr_alarm and a journal line); an unplugged module fires
// its absence rule; restarting the agent while both still hold does not
// fire them again, because the state is kept in the state directory.
func TestRunAlarmsFireOnceAcrossRestart(t *testing.T) {
	t.Parallel()
	srv := influxtest.Start(t)
	dir := t.TempDir()
	platform, later := filepath.Join(dir, "p.yaml"), filepath.Join(dir, "later.yaml")
	rules := filepath.Join(dir, "rules.yaml")
	os.WriteFile(platform, []byte(alarmPlatform), 0o644)
	os.WriteFile(later, []byte(alarmPlatformLater), 0o644)
	os.WriteFile(rules, []byte(alarmRules), 0o644)
	args := func(platform string) []string {
		return []string{"run", "--emulate=" + platform, "--rules", rules, "--influx-url", srv.URL(), "--influx-bucket", srv.Bucket(),
			"--interval", "250ms", "--state-dir", filepath.Join(dir, "state")}
	}
	transitions := func(rule, port string) []influxtest.Row {
		return srv.Query(t, `SELECT "state","value","threshold" FROM "xcvr_alarm" WHERE "transition"=true AND "rule"='`+rule+`' AND "port"='`+port+`'`)
	}
	p := startDDM(t, args(platform)...)
	influxtest.Wait(t, 30*time.Second, "hot_module and gone firing", func() bool {
		return len(transitions("hot_module", "hot")) > 0 && len(transitions("gone", "pulled")) > 0
	})
	p.stop(t, syscall.SIGTERM)
	if !strings.Contains(p.stderr.String(), `msg="alarm firing" port=hot`) {
		t.Errorf("no journal line for the firing alarm:\n%s", p.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "state", "alarms.json")); err != nil {
		t.Errorf("alarm state not saved: %v", err)
	}
	// A new process, same state directory, the same world: both alarms
	// still hold at their first evaluation and stay firing. (One that no
	// longer holds resolves then: TestRunRestoredAlarms.)
	// The new process runs until its reads of 2.5 s after its start are in
	// InfluxDB: past for (1 s) and module_absent (1 s), so an alarm it
	// did not restore would have fired again by then.
	second := time.Now()
	p2 := startDDM(t, args(later)...)
	influxtest.Wait(t, 30*time.Second, "2.5 s of the second run in InfluxDB", func() bool {
		return srv.Count(t, "temperature_c", "xcvr_module", fmt.Sprintf(`"port"='hot' AND time >= %d`, second.Add(2500*time.Millisecond).UnixNano())) > 0
	})
	p2.stop(t, syscall.SIGTERM)
	for _, c := range []struct{ rule, port string }{{"hot_module", "hot"}, {"gone", "pulled"}} {
		rows := transitions(c.rule, c.port)
		firing := 0
		for _, r := range rows {
			if r.Values["state"] == "firing" {
				firing++
			}
		}
		if firing != 1 {
			t.Errorf("%s on %s: %d firing transitions across the restart, want 1: %v", c.rule, c.port, firing, rows)
		}
	}
	if n := len(transitions("hot_module", "cool")); n != 0 {
		t.Errorf("hot_module fired on the cool module: %d transitions", n)
	}
	// The module's threshold value and the measured value are in the event.
	rows := transitions("hot_module", "hot")
	if v, ok := rows[0].Float("value"); !ok || v <= 40 {
		t.Errorf("firing value %v", rows[0].Values)
	}
	if th, ok := rows[0].Float("threshold"); !ok || th != 40 {
		t.Errorf("firing threshold %v", rows[0].Values)
	}
}

// A lane whose pre-FEC BER jumps past the module's VDM alarm thresholds:
// pre-FEC BER current, min, max and average and eSNR cross their limits in
// the same VDM read; a module heating past its warning and alarm
// thresholds in one read; and rules that fire at once, with one severity
// for both threshold classes, so that nothing but the observable and the
// limit tells those alarms apart.
const eventPlatform = `name: event-test
buses:
  - {name: b, speed: 1MHz, muxes: [{address: 0x70, channels: [c0, c1]}]}
ports:
  - {name: ber, bus: c0, profile: osfp-800g-dr8}
  - {name: hot, bus: c1, profile: osfp-800g-dr8}
scenarios:
  - {port: ber, kind: ber_ramp, lane: 3, start: 0s, duration: 500ms, target: 3e-4}
  - {port: hot, kind: temp_runaway, start: 0s, rate: 6000, target: 95}
`

const eventRules = `version: 1
defaults: {for: 0s, clear_for: 0s}
rules:
  - name: module_thresholds
    builtin: module_thresholds
    severity: {alarm: major, warning: major}
  - name: vdm_thresholds
    builtin: vdm_thresholds
    severity: {alarm: major, warning: major}
`

// TestRunEveryAlarmEventReachesInfluxDB runs the agent on alarms that
// change state together and counts them three ways: the engine's (the
// journal has a line per event), InfluxDB's (the xcvr_alarm points with
// transition=true) and ddm summary's. Points that shared measurement, tags
// and timestamp were one point in InfluxDB, and summary showed fewer
// alarms than the journal.
func TestRunEveryAlarmEventReachesInfluxDB(t *testing.T) {
	t.Parallel()
	srv := influxtest.Start(t)
	dir := t.TempDir()
	platform, rules := filepath.Join(dir, "p.yaml"), filepath.Join(dir, "rules.yaml")
	os.WriteFile(platform, []byte(eventPlatform), 0o644)
	os.WriteFile(rules, []byte(eventRules), 0o644)
	p := startDDM(t, "run", "--emulate="+platform, "--rules", rules, "--influx-url", srv.URL(), "--influx-bucket", srv.Bucket(),
		"--interval", "250ms", "--vdm-interval", "500ms", "--state-dir", filepath.Join(dir, "state"), "--duration", "3s")
	if err := p.wait(t, 30*time.Second); err != nil {
		t.Fatalf("ddm run: %v\n%s", err, p.stderr)
	}
	journal := regexp.MustCompile(`msg="alarm (firing|resolved)"`).FindAllString(p.stderr.String(), -1)
	vdmEvents := strings.Count(p.stderr.String(), "rule=vdm_thresholds")
	if len(journal) < 6 || vdmEvents < 4 {
		t.Fatalf("the scenario should change at least 6 alarms, 4 of them VDM on one lane: %d events, %d VDM\n%s", len(journal), vdmEvents, p.stderr)
	}
	t.Logf("%d alarm events in the journal, %d of vdm_thresholds", len(journal), vdmEvents)
	rows := srv.Query(t, `SELECT "state","rule" FROM "xcvr_alarm" WHERE "transition"=true`)
	if len(rows) != len(journal) {
		t.Errorf("the engine reported %d alarm events, InfluxDB holds %d", len(journal), len(rows))
	}
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"summary", "--influx-url", srv.URL(), "--influx-bucket", srv.Bucket()}, nil, &out, &errb); code != 0 {
		t.Fatalf("summary: exit %d: %s", code, errb.String())
	}
	shown := regexp.MustCompile(`(?m)^\s+\S+\s+(FIRING|RESOLVED) `).FindAllString(out.String(), -1)
	if len(shown) != len(journal) {
		t.Errorf("ddm summary shows %d alarm state changes, the engine reported %d:\n%s", len(shown), len(journal), out.String())
	}
}

// wait waits for a process that stops by itself (--duration).
func (p *ddmProc) wait(t *testing.T, timeout time.Duration) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(timeout):
		p.cmd.Process.Kill()
		<-done
		return fmt.Errorf("did not exit within %v", timeout)
	}
}
