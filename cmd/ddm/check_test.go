package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ddm-agent/ddm/internal/influxtest"
)

// runBinary runs the real binary with a deadline and returns its exit
// code and output; a run still going at the deadline is a failure (it
// hung).
func runBinary(t *testing.T, timeout time.Duration, stdout *os.File, args ...string) (code int, out, errs string) {
	t.Helper()
	bin := ddmBinary(t) // built before the clock starts
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	var ob, eb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &ob, &eb
	if stdout != nil {
		cmd.Stdout = stdout
	}
	cmd.Env = append(os.Environ(), "DDM_INFLUX_TOKEN=")
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("ddm %v did not finish within %v:\n%s", args, timeout, eb.String())
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, ob.String(), eb.String()
}

// TestCheckRefusesWhatRunRefuses: every configuration that run refuses (or
// used to hang on) is refused by --check with the same message, and run
// refuses it at once. Before, --check passed each of these.
func TestCheckRefusesWhatRunRefuses(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	fifo := filepath.Join(dir, "token.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	spool := filepath.Join(dir, "spool")
	influx := func(extra string) string {
		return "emulate: default\ninflux:\n  url: http://127.0.0.1:1\n  bucket: telemetry\n  spool_dir: " + spool + "\n" + extra
	}
	foreign := filepath.Join(dir, "foreign")
	if err := os.MkdirAll(foreign, 0o750); err != nil {
		t.Fatal(err)
	}
	write("foreign/notes.txt", "not ddm's")
	bigRules := write("big-rules.yaml", "version: 1\nrules: []\n# "+strings.Repeat("x", 2<<20)+"\n")
	for _, tc := range []struct {
		name, config string
		flags        []string
		want         string
	}{
		{"host block scalar", "host: |\n  leaf01\nemulate: default\noutput: lp\n", nil, `c.yaml:1: host "leaf01\n" begins or ends with white space`},
		{"url without host", strings.Replace(influx(""), "http://127.0.0.1:1", "'http://'", 1), nil, `c.yaml:3: influx.url: "http://" has no host`},
		{"url unparsable", strings.Replace(influx(""), "http://127.0.0.1:1", "'http://[::1'", 1), nil, `c.yaml:3: influx.url: "http://[::1" is not a URL`},
		{"url credentials", strings.Replace(influx(""), "http://", "http://admin:hunter2@", 1), nil, "holds a user name or password: put the credentials"},
		{"token file missing", influx("  token_file: " + filepath.Join(dir, "nope") + "\n"), nil, "influx.token_file: open " + filepath.Join(dir, "nope") + ": no such file"},
		{"token file empty", influx("  token_file: " + write("empty", "\n") + "\n"), nil, "is empty: write the token"},
		{"token file fifo", influx("  token_file: " + fifo + "\n"), nil, "not a regular file (it is a named pipe)"},
		{"prometheus address", "emulate: default\noutput: lp\nprometheus:\n  listen: '9464'\n", nil, "c.yaml:4: prometheus.listen \"9464\": want host:port"},
		{"spool_dir /dev/null", strings.Replace(influx(""), spool, "/dev/null", 1), nil, "spool_dir /dev/null is not a directory"},
		{"spool_dir /proc/self", strings.Replace(influx(""), spool, "/proc/self", 1), nil, "spool_dir /proc/self is on a kernel pseudo-filesystem"},
		{"spool_dir not ddm's", strings.Replace(influx(""), spool, foreign, 1), nil, `holds "notes.txt", which ddm did not create`},
		{"spool size NaN", influx("  spool_max_bytes: NaNGiB\n"), nil, `c.yaml:6: influx.spool_max_bytes: "NaNGiB" is not a size`},
		{"revalidate 1ns", "emulate: default\noutput: lp\nrevalidate: 1ns\n", nil, "c.yaml:3: revalidate 1ns is out of range"},
		{"rules file too large", "emulate: default\noutput: lp\nrules: " + bigRules + "\n", nil, "more than the 1 MiB allowed"},
		{"host flag", "emulate: default\noutput: lp\n", []string{"--host", "leaf\n01"}, `command line: --host: host "leaf\n01" holds a control character`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := write("c.yaml", tc.config)
			args := append([]string{"run", "--config", cfg}, tc.flags...)
			if !strings.Contains(tc.config, "spool_dir") {
				// Where the alarm state would go (--state-dir would override
				// spool_dir).
				args = append(args, "--state-dir", dir)
			}
			code, out, errs := runBinary(t, 10*time.Second, nil, append(args, "--check")...)
			if code != exitUsage || !strings.Contains(errs, tc.want) {
				t.Errorf("--check: exit %d, stdout %q, stderr %q; want exit 2 and %q", code, out, errs, tc.want)
			}
			if strings.Contains(errs, "hunter2") {
				t.Errorf("the password is in the error: %s", errs)
			}
			code, _, errs2 := runBinary(t, 10*time.Second, nil, append(args, "--duration", "3s")...)
			if code != exitUsage || errs2 != errs {
				t.Errorf("run: exit %d, stderr %q; want exit 2 and --check's %q", code, errs2, errs)
			}
		})
	}
}

// TestCheckPingsInflux: --check says whether InfluxDB answers, as a
// warning when it does not (at boot it may start after ddm).
func TestCheckPingsInflux(t *testing.T) {
	srv := influxtest.Start(t)
	dir := t.TempDir()
	code, out, errs := runBinary(t, 10*time.Second, nil, "run", "--emulate", "--influx-url", srv.URL(), "--influx-bucket", srv.Bucket(), "--state-dir", dir, "--check")
	if code != 0 || !strings.Contains(out, "InfluxDB at "+srv.URL()+" is reachable") {
		t.Errorf("reachable: exit %d %q %q", code, out, errs)
	}
	srv.Stop()
	code, out, errs = runBinary(t, 10*time.Second, nil, "run", "--emulate", "--influx-url", srv.URL(), "--influx-bucket", srv.Bucket(), "--state-dir", dir, "--check")
	if code != 0 || !strings.Contains(out, "configuration OK") || !strings.Contains(out, "warning: InfluxDB at "+srv.URL()+" is not reachable now") {
		t.Errorf("unreachable: exit %d %q %q", code, out, errs)
	}
}

// TestRunNeverSilent: a run that delivers nothing says so and why.
func TestRunNeverSilent(t *testing.T) {
	dir, platform := writePlatform(t)
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		// Every Linux system has it (ddm runs on Linux only); without it
		// the full-output case would go untested, so that is a failure.
		t.Fatalf("open /dev/full for the full-output case: %v", err)
	}
	defer full.Close()
	code, _, errs := runBinary(t, 20*time.Second, full, "run", "--emulate="+platform, "--output", "lp", "--interval", "200ms", "--duration", "1s", "--state-dir", dir)
	if code != 0 || !strings.Contains(errs, "no point delivered in") || !strings.Contains(errs, "dropped (output failed or queue full); last error: line protocol output: write /dev/stdout: no space left on device") {
		t.Errorf("exit %d, stderr:\n%s", code, errs)
	}
	code, _, errs = runBinary(t, 20*time.Second, nil, "run", "--emulate="+platform, "--output", "lp", "--duration", "1ms", "--state-dir", dir)
	if code != 0 || !strings.Contains(errs, "no point written in") {
		t.Errorf("1 ms run: exit %d, stderr:\n%s", code, errs)
	}
}

// TestRulesCheckBounded: rules check on the real binary refuses, at once,
// a summary template that would run for hours and a rules file too large
// to parse safely (an 8 MB file took 1.27 GB).
func TestRulesCheckBounded(t *testing.T) {
	dir := t.TempDir()
	hang := filepath.Join(dir, "hang.yaml")
	os.WriteFile(hang, []byte("version: 1\nrules:\n  - name: r\n    metric: lane.rx_power_dbm\n    below: -8\n    severity: major\n    summary: '{{range 100000000000}}{{end}}'\n"), 0o600)
	code, _, errs := runBinary(t, 10*time.Second, nil, "rules", "check", hang)
	if code != exitUsage || !strings.Contains(errs, "hang.yaml:7: bad summary template: a summary may range over .Labels only") {
		t.Errorf("range over an integer: exit %d %s", code, errs)
	}
	big := filepath.Join(dir, "big.yaml")
	os.WriteFile(big, []byte("version: 1\nrules: []\n# "+strings.Repeat("x", 8<<20)+"\n"), 0o600)
	code, _, errs = runBinary(t, 10*time.Second, nil, "rules", "check", big)
	if code != exitUsage || !strings.Contains(errs, "more than the 1 MiB allowed") {
		t.Errorf("8 MB rules file: exit %d %s", code, errs)
	}
}

// TestURLCredentialsRefusedEverywhere: every command that takes an
// InfluxDB URL refuses one holding a password (it would be in argv, and
// for rules export in a file), pointing to the token file.
func TestURLCredentialsRefusedEverywhere(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"run", "--emulate", "--influx-url", "http://admin:hunter2@127.0.0.1:8086", "--influx-bucket", "b", "--state-dir", dir, "--check"},
		{"summary", "--influx-url", "http://admin:hunter2@127.0.0.1:8086"},
		{"rules", "export", "--grafana", dir, "--influx-url", "http://admin:hunter2@127.0.0.1:8086"},
	} {
		code, _, errs := runDDM(t, "", args...)
		if code != exitUsage || !strings.Contains(errs, "holds a user name or password: put the credentials") || strings.Contains(errs, "hunter2") {
			t.Errorf("%v: exit %d, stderr %q", args[:2], code, errs)
		}
	}
}
