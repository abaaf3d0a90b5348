package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A module that runs hot at once, so a run of a few seconds logs at info
// (start, port events) and at warning (the alarm).
const execdPlatform = `name: execd-test
buses:
  - {name: b, speed: 1MHz, muxes: [{address: 0x70, channels: [c0, c1]}]}
ports:
  - {name: hot, bus: c0, profile: osfp-800g-dr8}
  - {name: cool, bus: c1, profile: qsfp28-100g-lr4}
scenarios:
  - {port: hot, kind: temp_runaway, start: 0s, rate: 600, target: 85}
`

const execdRules = `version: 1
rules:
  - name: hot_module
    metric: module.temperature_c
    above: 60
    for: 0s
    severity: major
    summary: '{{.Port}} hot'
`

// TestRunLineProtocolLogPrefixes runs the real binary as Telegraf's execd
// runs it (--output lp): every line on standard error carries the level
// prefix Telegraf reads (E!, W!, I!, D!), so an info line is not logged as
// an error by Telegraf; standard output is line protocol only.
func TestRunLineProtocolLogPrefixes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	platform := filepath.Join(dir, "p.yaml")
	rules := filepath.Join(dir, "rules.yaml")
	os.WriteFile(platform, []byte(execdPlatform), 0o644)
	os.WriteFile(rules, []byte(execdRules), 0o644)
	run := func(args ...string) (stdout, stderr string, err error) {
		cmd := exec.Command(ddmBinary(t), args...)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		cmd.Env = append(os.Environ(), "DDM_INFLUX_TOKEN=")
		err = cmd.Run()
		return out.String(), errb.String(), err
	}

	stdout, stderr, err := run("run", "--emulate="+platform, "--rules", rules, "--output", "lp", "--interval", "250ms",
		"--duration", "4s", "--state-dir", filepath.Join(dir, "state"))
	if err != nil {
		t.Fatalf("ddm run: %v\n%s", err, stderr)
	}
	levels := map[string]int{}
	for _, l := range strings.Split(strings.TrimSuffix(stderr, "\n"), "\n") {
		p, _, ok := strings.Cut(l, " ")
		if !ok || len(p) != 2 || !strings.Contains("EWID", p[:1]) || p[1] != '!' {
			t.Errorf("stderr line without a Telegraf level prefix: %q", l)
			continue
		}
		levels[p]++
		if strings.Contains(l, "level=") || strings.Contains(l, "time=") {
			t.Errorf("level or time repeated in %q (Telegraf shows both)", l)
		}
	}
	if !strings.Contains(stderr, `I! msg="ddm running"`) {
		t.Errorf("no info line for the start:\n%s", stderr)
	}
	if !strings.Contains(stderr, `W! msg="alarm firing" port=hot`) {
		t.Errorf("no warning line for the alarm:\n%s", stderr)
	}
	for _, l := range strings.Split(strings.TrimSuffix(stdout, "\n"), "\n") {
		if !strings.HasPrefix(l, "xcvr_") {
			t.Fatalf("stdout line is not line protocol: %q", l)
		}
	}

	// An error before the agent starts is an error line for Telegraf too.
	_, stderr, err = run("run", "--emulate="+platform, "--rules", filepath.Join(dir, "missing.yaml"), "--output", "lp",
		"--state-dir", filepath.Join(dir, "state"))
	if err == nil || !strings.HasPrefix(stderr, "E! ddm: run: rules:") {
		t.Errorf("missing rules file: %v, stderr %q", err, stderr)
	}

	// Without --output lp (systemd's journal) the lines stay as they were.
	_, stderr, _ = run("run", "--emulate="+platform, "--rules", rules, "--interval", "250ms", "--duration", "1s",
		"--state-dir", filepath.Join(dir, "state"))
	if !strings.Contains(stderr, `level=INFO msg="ddm running"`) || strings.Contains(stderr, "I! ") {
		t.Errorf("journal lines changed:\n%s", stderr)
	}
}
