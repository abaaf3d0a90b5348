package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ddm-agent/ddm/alarm"
	"github.com/ddm-agent/ddm/alarm/grafana"
)

// runRules runs `ddm rules ARGS...` in-process through run(), or, until
// the command is in the command table, through cmdRules itself.
func runRules(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	for _, c := range commands() {
		if c.name == "rules" {
			return runDDM(t, "", append([]string{"rules"}, args...)...)
		}
	}
	var out, errb bytes.Buffer
	code = cmdRules(context.Background(), env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb}, args)
	return code, out.String(), errb.String()
}

func TestRulesCheck(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "rules.yaml")
	os.WriteFile(bad, []byte(`version: 1
rules:
  - name: hot
    metric: module.temperature_c
    above: 70
    severity: urgent
  - name: cold
    metric: module.temperature_c
    below: 0
    severity: minor
    colour: blue
`), 0o644)
	code, out, errs := runRules(t, "check", bad)
	if code != exitUsage {
		t.Errorf("exit %d, want %d", code, exitUsage)
	}
	for _, want := range []string{bad + ":6:", bad + ":11:"} {
		if !strings.Contains(errs, want) {
			t.Errorf("no %q in\n%s", want, errs)
		}
	}
	if out != "" {
		t.Errorf("stdout %q", out)
	}

	good := filepath.Join(dir, "default.yaml")
	code, out, errs = runRules(t, "print-default")
	if code != 0 || out != string(alarm.DefaultRules()) || errs != "" {
		t.Fatalf("print-default: exit %d, %d bytes, stderr %q", code, len(out), errs)
	}
	os.WriteFile(good, []byte(out), 0o644)
	code, out, errs = runRules(t, "check", good)
	if code != 0 || !strings.Contains(out, "16 rules, OK") {
		t.Errorf("check default: exit %d\n%s%s", code, out, errs)
	}

	for _, args := range [][]string{{}, {"frobnicate"}, {"check"}, {"check", filepath.Join(dir, "missing.yaml")}, {"print-default", "x"}} {
		if code, _, _ := runRules(t, args...); code != exitUsage {
			t.Errorf("rules %v: exit %d, want %d", args, code, exitUsage)
		}
	}
}

var rulesEventRE = regexp.MustCompile(`^T\+(\d\d):(\d\d):(\d\d) (FIRING|RESOLVED) (critical|major|minor|warning) (\S+) (\S+)( lane \d+)?.* value \S+ threshold \S+$`)

// TestRulesTestBERRamp: on ber-ramp, lane 3 of Ethernet1/5 fires the BER
// rules as the BER climbs and, once it is back below the clear
// thresholds, resolves them; the healthy neighbour fires none.
func TestRulesTestBERRamp(t *testing.T) {
	code, out, errs := runRules(t, "test", "--emulate", "ber-ramp", "--duration", "45m")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	firing, resolved := -1, -1
	lines := strings.Split(strings.TrimSpace(out), "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "#") {
			continue
		}
		m := rulesEventRE.FindStringSubmatch(l)
		if m == nil {
			t.Errorf("line %q", l)
			continue
		}
		if strings.HasPrefix(m[6], "pre_fec_ber_") && m[7] != "Ethernet1/5" {
			t.Errorf("a healthy port fires: %s", l)
		}
		if strings.HasPrefix(l, "T+") && strings.Contains(l, " warning pre_fec_ber_warning Ethernet1/5 lane 3 value ") {
			switch m[4] {
			case "FIRING":
				firing = i
			case "RESOLVED":
				resolved = i
			}
		}
	}
	if firing < 0 || resolved < firing {
		t.Errorf("want pre_fec_ber_warning on Ethernet1/5 lane 3 FIRING, then RESOLVED (lines %d, %d):\n%s", firing, resolved, out)
	}
	// It fires 15 minutes after the BER passes 1e-5 (about T+15m) and
	// resolves a minute after it is back under 5e-6 (about T+37m).
	if firing >= 0 && !strings.HasPrefix(lines[firing], "T+00:3") {
		t.Errorf("fired at %s", lines[firing])
	}
	if resolved >= 0 && !strings.HasPrefix(lines[resolved], "T+00:3") {
		t.Errorf("resolved at %s", lines[resolved])
	}
	if !strings.Contains(out, "FIRING critical pre_fec_ber_critical Ethernet1/5 lane 3") {
		t.Errorf("no critical BER alarm:\n%s", out)
	}
}

// TestRulesTestPlatformFile runs a platform YAML file with a rules file.
func TestRulesTestPlatformFile(t *testing.T) {
	dir := t.TempDir()
	pf := filepath.Join(dir, "lab.yaml")
	os.WriteFile(pf, []byte(`name: lab
buses:
  - {name: i2c-1, speed: 400kHz}
ports:
  - {name: Ethernet1/30, bus: i2c-1, profile: osfp-800g-dr8}
scenarios:
  - {port: Ethernet1/30, kind: temp_runaway, start: 1m, rate: 5, target: 85}
`), 0o644)
	rf := filepath.Join(dir, "rules.yaml")
	os.WriteFile(rf, []byte(`version: 1
rules:
  - name: hot
    metric: module.temperature_c
    above: 70
    clear: 67
    for: 2m
    severity: major
`), 0o644)
	code, out, errs := runRules(t, "test", rf, "--emulate", pf, "--duration", "20m", "--step", "30s")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !regexp.MustCompile(`(?m)^T\+00:\d\d:\d\d FIRING major hot Ethernet1/30 value \S+ threshold 70$`).MatchString(out) {
		t.Errorf("no firing line for rule hot:\n%s", out)
	}
	for _, args := range [][]string{
		{"test", rf},
		{"test", rf, "--emulate", "nowhere"},
		{"test", rf, "--emulate", pf, "--step", "0s"},
		{"test", filepath.Join(dir, "missing.yaml"), "--emulate", pf},
	} {
		if code, _, _ := runRules(t, args...); code != exitUsage {
			t.Errorf("rules %v: exit %d, want %d", args, code, exitUsage)
		}
	}
}

// TestRulesExport writes the Grafana files and reads them back with the
// grafana package's typed checks.
func TestRulesExport(t *testing.T) {
	for _, lang := range []string{"--influxql", "--flux"} {
		dir := filepath.Join(t.TempDir(), "grafana")
		code, out, errs := runRules(t, "export", "--grafana", dir, lang, "--datasource", "influx-lab", "--bucket", "telemetry/autogen",
			"--influx-url", "http://192.0.2.7:8086")
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", lang, code, errs)
		}
		if !strings.Contains(out, "alerting/ddm-rules.yaml") || !strings.Contains(out, "dashboards/ddm-port.json") ||
			!strings.Contains(out, grafana.DatasourcesPath) || !strings.Contains(out, grafana.DashboardProviderPath) {
			t.Errorf("%s: output %s", lang, out)
		}
		b, err := grafana.ReadDir(dir)
		if err != nil {
			t.Fatalf("%s: %v", lang, err)
		}
		if err := b.Check(); err != nil {
			t.Fatalf("%s: %v", lang, err)
		}
		y, _ := os.ReadFile(filepath.Join(dir, grafana.RulesPath))
		if !strings.Contains(string(y), "influx-lab") || (lang == "--flux") != strings.Contains(string(y), "telemetry/autogen") {
			t.Errorf("%s: datasource or bucket not in the rules", lang)
		}
		if ds := b.Datasources.Datasources[0]; ds.URL != "http://192.0.2.7:8086" || ds.UID != "influx-lab" {
			t.Errorf("%s: data source %+v", lang, ds)
		}
		if len(b.Rules.Groups[0].Rules) != 16 {
			t.Errorf("%s: %d rules", lang, len(b.Rules.Groups[0].Rules))
		}
	}
	if code, _, _ := runRules(t, "export"); code != exitUsage {
		t.Errorf("export without --grafana: exit %d", code)
	}
	if code, _, _ := runRules(t, "export", "--grafana", t.TempDir(), "--flux", "--influxql"); code != exitUsage {
		t.Errorf("export --flux --influxql: exit %d", code)
	}
}
