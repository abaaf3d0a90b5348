package main

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ddm-agent/ddm/config"
	"github.com/ddm-agent/ddm/internal/influxtest"
	"github.com/ddm-agent/ddm/internal/statedir"
)

// nobody is the user the state-folder test runs the binary as when the
// tests run as root.
const nobody = 65534

// TestRunStateDirForUser runs the README's one-liner as a user who is not
// root, with no --state-dir: it must work (the default once was
// /var/lib/ddm, and ddm exited with "spool: open /var/lib/ddm/spool.lock:
// permission denied"), keep its spool and alarm state in the user's own
// folder, and an emulated switch in a folder of its own there.
func TestRunStateDirForUser(t *testing.T) {
	t.Parallel()
	srv := influxtest.Start(t)
	// A folder every user can reach, holding the binary and the home.
	base, err := os.MkdirTemp("", "ddm-user-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	home := filepath.Join(base, "home")
	bin := filepath.Join(base, "ddm")
	if err := os.Mkdir(home, 0o700); err != nil {
		t.Fatal(err)
	}
	copyFile(t, ddmBinary(t), bin, 0o755)
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	args := []string{"run", "--emulate", "--influx-url", srv.URL(), "--influx-bucket", srv.Bucket(), "--duration", "2s"}
	cmd := exec.Command(bin, args...)
	if os.Geteuid() == 0 {
		setpriv, err := exec.LookPath("setpriv")
		if err != nil {
			t.Fatalf("running as root, and no setpriv to run as another user: %v", err)
		}
		if err := os.Chown(home, nobody, nobody); err != nil {
			t.Fatal(err)
		}
		cmd = exec.Command(setpriv, append([]string{"--reuid=65534", "--regid=65534", "--clear-groups", bin}, args...)...)
	}
	cmd.Dir = home
	cmd.Env = []string{"HOME=" + home, "PATH=/usr/bin:/bin"}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("ddm run as a user: %v\n%s", err, out.String())
	}
	state := filepath.Join(home, ".local", "state", "ddm", "emulate", "default")
	if !strings.Contains(out.String(), "state="+state) {
		t.Errorf("the journal does not name the state folder %s:\n%s", state, out.String())
	}
	for _, f := range []string{"alarms.json", "spool"} {
		if _, err := os.Stat(filepath.Join(state, f)); err != nil {
			t.Errorf("state folder: %v", err)
		}
	}
	if n := len(srv.Query(t, `SELECT "present" FROM "xcvr_module"`)); n == 0 {
		t.Error("nothing arrived in InfluxDB")
	}
}

func copyFile(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	src, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestDefaultStateDir: the state folder of a run without --state-dir or
// spool_dir, for the real configuration and for emulated switches.
func TestDefaultStateDir(t *testing.T) {
	user := statedir.Env{Getenv: func(k string) string { return map[string]string{"HOME": "/home/u"}[k] }, EUID: 1000,
		Usable: func(string) bool { return true }}
	service := statedir.Env{Getenv: func(k string) string { return map[string]string{"STATE_DIRECTORY": "/var/lib/ddm"}[k] },
		EUID: 998, Usable: func(string) bool { return false }}
	cases := []struct {
		name    string
		env     statedir.Env
		emulate string
		want    string
	}{
		{"service", service, "", "/var/lib/ddm"},
		{"service, emulated", service, "default", "/var/lib/ddm/emulate/default"},
		{"user", user, "", "/home/u/.local/state/ddm"},
		{"user, emulated profile", user, "osfp-800g-dr8", "/home/u/.local/state/ddm/emulate/osfp-800g-dr8"},
		{"user, platform file", user, "/etc/ddm/lab switch.yaml", "/home/u/.local/state/ddm/emulate/lab_switch-"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := defaultStateDir(&config.Config{Emulate: c.emulate}, c.env)
			if err != nil || !strings.HasPrefix(got, c.want) || strings.HasSuffix(c.want, "-") && len(got) != len(c.want)+8 {
				t.Errorf("defaultStateDir = %q, %v; want %q", got, err, c.want)
			}
		})
	}
	if a, b := emulateKey("/a/p.yaml"), emulateKey("/b/p.yaml"); a == b {
		t.Errorf("two platform files share the state folder %s", a)
	}
}

// An emulated switch whose module "hot" heats past 60 °C at once, and a
// second module that does too.
const restorePlatformHot = `name: restore
buses:
  - {name: b, speed: 1MHz, muxes: [{address: 0x70, channels: [c0, c1]}]}
ports:
  - {name: hot, bus: c0, profile: osfp-800g-dr8}
  - {name: extra, bus: c1, profile: osfp-800g-dr8}
scenarios:
  - {port: hot, kind: temp_runaway, start: 0s, rate: 6000, target: 90}
  - {port: extra, kind: temp_runaway, start: 0s, rate: 6000, target: 90}
`

// The same port, cool, and no port "extra".
const restorePlatformCool = `name: restore
buses:
  - {name: b, speed: 1MHz, muxes: [{address: 0x70, channels: [c0]}]}
ports:
  - {name: hot, bus: c0, profile: osfp-800g-dr8}
`

const restoreRules = `version: 1
rules:
  - name: hot_module
    metric: module.temperature_c
    above: 60
    for: 0s
    clear_for: 1m
    severity: major
    summary: '{{.Port}}: temperature_c {{printf "%.2f" .Value}} beyond {{.Threshold}}'
`

// TestRunRestoredAlarms: alarms saved by one run and restored by the next,
// in one state folder. The next run's module is cool: its restored alarm
// resolves at the first evaluation (not after clear_for, a minute), and is
// never restated with a value that does not breach ("temperature_c 52.04
// beyond the module's high_alarm 80"). The alarm of a port the next run
// does not have is dropped, not restated.
func TestRunRestoredAlarms(t *testing.T) {
	t.Parallel()
	srv := influxtest.Start(t)
	dir := t.TempDir()
	hot, cool, rules := filepath.Join(dir, "hot.yaml"), filepath.Join(dir, "cool.yaml"), filepath.Join(dir, "rules.yaml")
	for f, text := range map[string]string{hot: restorePlatformHot, cool: restorePlatformCool, rules: restoreRules} {
		if err := os.WriteFile(f, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run := func(platform string) *ddmProc {
		p := startDDM(t, "run", "--emulate="+platform, "--rules", rules, "--influx-url", srv.URL(), "--influx-bucket", srv.Bucket(),
			"--interval", "250ms", "--state-dir", filepath.Join(dir, "state"))
		return p
	}
	firing := func(port string) bool {
		return len(srv.Query(t, `SELECT "state" FROM "xcvr_alarm" WHERE "transition"=true AND "state"='firing' AND "port"='`+port+`'`)) > 0
	}
	p := run(hot)
	influxtest.Wait(t, 20*time.Second, "hot_module firing on hot and extra", func() bool { return firing("hot") && firing("extra") })
	p.stop(t, syscall.SIGTERM)

	second := time.Now()
	p2 := run(cool)
	resolved := regexp.MustCompile(`msg="alarm resolved" port=hot .*rule=hot_module`)
	influxtest.Wait(t, 10*time.Second, "the restored alarm resolved", func() bool { return resolved.MatchString(p2.stderr.String()) })
	// Past the first restatement of firing alarms (one interval in).
	time.Sleep(time.Second)
	p2.stop(t, syscall.SIGTERM)
	if !strings.Contains(p2.stderr.String(), "ports=extra") {
		t.Errorf("no journal line for the dropped state of port extra:\n%s", p2.stderr)
	}
	rows := srv.Query(t, `SELECT "state","transition","value","threshold","summary","port" FROM "xcvr_alarm"`)
	for _, r := range rows {
		v, _ := r.Float("value")
		th, _ := r.Float("threshold")
		if r.Values["state"] == "firing" && v <= th {
			t.Errorf("a firing alarm stated with a value that does not breach: %v", r.Values)
		}
		if r.Values["port"] == "extra" && !r.Time().Before(second) {
			t.Errorf("an alarm of a port the second run does not have: %v", r.Values)
		}
		if r.Values["port"] == "hot" && r.Values["state"] == "resolved" {
			if d := r.Time().Sub(second); d > 5*time.Second {
				t.Errorf("the restored alarm resolved %v after the start, not at its first evaluation", d)
			}
			if v >= 60 {
				t.Errorf("resolved with %v, not the value that cleared it", v)
			}
		}
	}
}
