package systemd

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ddm-agent/ddm/alarm"
	"github.com/ddm-agent/ddm/config"
	"github.com/ddm-agent/ddm/internal/sdnotify"
)

// unitForTest writes ddm.service with ExecStart pointing at a real binary
// (verify fails when the ExecStart path does not exist) and returns its path.
func unitForTest(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "ddm")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/ddm").CombinedOutput(); err != nil {
		t.Fatalf("build ddm: %v\n%s", err, out)
	}
	unit, err := os.ReadFile("ddm.service")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "ddm.service")
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(string(unit), "/usr/bin/ddm", bin)), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func systemdAnalyze(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Fatal("systemd-analyze not found: install the systemd package (.ci/run does)")
	}
	return p
}

// TestUnitVerifies fails on any output: systemd-analyze verify exits 0 on an
// unknown or misspelt key and only prints a warning.
func TestUnitVerifies(t *testing.T) {
	sa := systemdAnalyze(t)
	unit := unitForTest(t)
	cmd := exec.Command(sa, "verify", "--man=no", unit)
	cmd.Dir = filepath.Dir(unit)
	out, err := cmd.CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
}

func TestUnitExposure(t *testing.T) {
	sa := systemdAnalyze(t)
	unit := unitForTest(t)
	cmd := exec.Command(sa, "security", "--offline=true", unit)
	cmd.Dir = filepath.Dir(unit)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("systemd-analyze security: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`Overall exposure level for ddm.service: ([0-9.]+)`).FindStringSubmatch(string(out))
	if m == nil {
		t.Fatalf("no exposure level in:\n%s", out)
	}
	level, _ := strconv.ParseFloat(m[1], 64)
	t.Logf("exposure %.1f", level)
	if level > 2.5 {
		t.Errorf("exposure %.1f, want 2.5 or lower:\n%s", level, out)
	}
}

func TestUnitRunsUnprivileged(t *testing.T) {
	unit, err := os.ReadFile("ddm.service")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"User=ddm", "SupplementaryGroups=i2c", "CapabilityBoundingSet=\n", "NoNewPrivileges=yes",
		"DevicePolicy=closed", "DeviceAllow=char-i2c rw", "StateDirectory=ddm", "Type=notify", "WatchdogSec="} {
		if !strings.Contains(string(unit), want) {
			t.Errorf("ddm.service lacks %q", want)
		}
	}
	if strings.Contains(string(unit), "PrivateDevices=yes") {
		t.Error("PrivateDevices=yes hides /dev/i2c-*")
	}
	if strings.Contains(string(unit), "token") {
		t.Error("the unit must not carry the InfluxDB token (ExecStart is world-readable)")
	}
}

func TestExampleConfigParses(t *testing.T) {
	c, err := config.Load("ddm.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Ports) != 2 || c.Influx.Bucket != "telemetry/autogen" {
		t.Errorf("example config: %+v", c)
	}
}

func TestSysusersAndUdev(t *testing.T) {
	su, _ := os.ReadFile("ddm.sysusers.conf")
	for _, want := range []string{"g i2c", "u ddm", "m ddm i2c"} {
		if !strings.Contains(string(su), want) {
			t.Errorf("sysusers lacks %q", want)
		}
	}
	if st, err := exec.LookPath("systemd-sysusers"); err == nil {
		// A scratch root with empty account databases; the file goes on stdin.
		dir := t.TempDir()
		if err := os.MkdirAll(filepath.Join(dir, "etc"), 0o755); err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{"passwd", "group", "shadow", "gshadow"} {
			if err := os.WriteFile(filepath.Join(dir, "etc", f), nil, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		cmd := exec.Command(st, "--root", dir, "-")
		cmd.Stdin = strings.NewReader(string(su))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("systemd-sysusers: %v\n%s", err, out)
		} else if b, _ := os.ReadFile(filepath.Join(dir, "etc/group")); !strings.Contains(string(b), "i2c:") || !strings.Contains(string(b), "ddm") {
			t.Errorf("sysusers did not create the groups:\n%s", b)
		}
	}
	udev, _ := os.ReadFile("60-ddm-i2c.rules")
	if !strings.Contains(string(udev), `SUBSYSTEM=="i2c-dev"`) || !strings.Contains(string(udev), `GROUP="i2c"`) {
		t.Errorf("udev rule: %s", udev)
	}
}

// TestExampleRules: systemd/rules.yaml is the built-in rule set, shipped
// as /etc/ddm/rules.yaml to be edited; it must parse and must not drift
// from what ddm uses when no rules file is configured.
func TestExampleRules(t *testing.T) {
	b, err := os.ReadFile("rules.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := alarm.Parse("rules.yaml", b); err != nil {
		t.Fatal(err)
	}
	if string(b) != string(alarm.DefaultRules()) {
		t.Error("systemd/rules.yaml differs from alarm/testdata/default-rules.yaml (the built-in rules): copy it again")
	}
}

// unitDuration reads a time setting ("30s", "1min", "90") of ddm.service.
func unitDuration(t *testing.T, unit, key string) time.Duration {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + key + `=(\S+)$`).FindStringSubmatch(unit)
	if m == nil {
		t.Fatalf("ddm.service has no %s", key)
	}
	v := strings.NewReplacer("min", "m", "sec", "s").Replace(m[1])
	if _, err := strconv.Atoi(v); err == nil {
		v += "s" // systemd's default unit
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		t.Fatalf("%s=%s: %v", key, m[1], err)
	}
	return d
}

// TestUnitTimeoutsHoldForEveryInterval: the unit's start timeout and
// watchdog hold for every interval the configuration accepts, because ddm
// sends READY=1 within sdnotify.ReadyWithin and feeds the watchdog on its
// own timer (half of WatchdogSec), neither waiting for the polling
// interval (up to config.MaxInterval). A wedged bus still trips the
// watchdog: its pass budget does not grow with WatchdogSec.
func TestUnitTimeoutsHoldForEveryInterval(t *testing.T) {
	b, err := os.ReadFile("ddm.service")
	if err != nil {
		t.Fatal(err)
	}
	unit := string(b)
	start, wd := unitDuration(t, unit, "TimeoutStartSec"), unitDuration(t, unit, "WatchdogSec")
	if start < 2*sdnotify.ReadyWithin {
		t.Errorf("TimeoutStartSec=%v: want at least twice the %v within which ddm sends READY=1", start, sdnotify.ReadyWithin)
	}
	// Pings every wd/2: a process starved for a few seconds must still
	// get one in.
	if wd < 10*time.Second {
		t.Errorf("WatchdogSec=%v: want at least 10s", wd)
	}
	if config.MaxInterval < wd {
		t.Logf("intervals up to %v (longer than WatchdogSec=%v) are valid: the watchdog does not depend on them", config.MaxInterval, wd)
	}
	for _, iv := range []time.Duration{config.MinInterval, time.Second, 30 * time.Second, time.Minute, config.MaxInterval} {
		text := fmt.Sprintf("emulate: default\ninterval: %v\nvdm_interval: %v\n", iv, max(iv, 10*time.Second))
		if _, err := config.Parse("c.yaml", []byte(text)); err != nil {
			t.Errorf("interval %v: %v", iv, err)
		}
	}
	if _, err := config.Parse("c.yaml", []byte(fmt.Sprintf("emulate: default\ninterval: %v\n", config.MaxInterval+time.Second))); err == nil {
		t.Errorf("interval beyond %v accepted", config.MaxInterval)
	}
}
