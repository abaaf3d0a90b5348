package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ddm-agent/ddm/exporter"
)

// TestRunInterruptGPIOEmulated runs the real binary on an emulated switch
// whose configuration wires p1's IntL to its GPIO (interrupt: gpio
// IntL-p1) and p2's, by mistake, to an empty cage's (IntL-e1): the agent
// counts p1's flaps on its edges with no warning, warns that p2's pin
// gives no edge (and scans p2 on the timer), and `ddm dump --json` shows
// the flag counters it saved for each port, as the text output does. A
// GPIO the switch does not have is refused by --check, naming port and
// pin.
func TestRunInterruptGPIOEmulated(t *testing.T) {
	bin := ddmBinary(t)
	dir := t.TempDir()
	platform := filepath.Join(dir, "switch.yaml")
	writeFile(t, platform, `name: intl-test
buses:
  - {name: i2c-1, speed: 400kHz}
ports:
  - {name: p1, bus: i2c-1, address: 0x50, profile: osfp-800g-dr8}
  - {name: p2, bus: i2c-1, address: 0x52, profile: qsfpdd-400g-fr4}
  - {name: e1, bus: i2c-1, address: 0x54, absent: true}
scenarios:
  - {port: p1, kind: los_pulses, lane: 3, start: 1s}
  - {port: p2, kind: los_pulses, lane: 1, start: 1s}
  - {port: p2, kind: los_pulses, lane: 2, start: 1s}
  - {port: p2, kind: los_pulses, lane: 3, start: 1s}
  - {port: p2, kind: los_pulses, lane: 4, start: 1s}
`)
	conf := func(p2pin string) string {
		path := filepath.Join(dir, "ddm-"+p2pin+".yaml")
		writeFile(t, path, fmt.Sprintf("emulate: %s\noutput: lp\ninterval: 250ms\nports:\n  - {name: p1, interrupt: gpio IntL-p1}\n  - {name: p2, interrupt: gpio %s}\n", platform, p2pin))
		return path
	}
	state := filepath.Join(dir, "state")

	cmd := exec.Command(bin, "run", "--config", conf("IntL-e1"), "--state-dir", state)
	var stderr safeBuffer // read while the process writes it
	cmd.Stdout, cmd.Stderr = io.Discard, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Until p2's pin is reported silent (three fast cycles whose reads
	// found flaps the pin did not announce: pulses on four of its lanes,
	// a 250 ms interval), at most 20 s.
	// The first pulse of each lane begins within 3 s of the start.
	started := time.Now()
	deadline := started.Add(20 * time.Second)
	for time.Now().Before(deadline) && (!strings.Contains(stderr.String(), "interrupt_silent") || time.Since(started) < 3500*time.Millisecond) {
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	_ = cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("ddm run: %v\n%s", err, stderr.String())
	}
	journal := stderr.String()
	var silent []string
	for sc := bufio.NewScanner(strings.NewReader(journal)); sc.Scan(); {
		if strings.Contains(sc.Text(), "interrupt_silent") {
			silent = append(silent, sc.Text())
		}
	}
	if len(silent) != 1 || !strings.HasPrefix(silent[0], "W! ") || !strings.Contains(silent[0], "port=p2") || !strings.Contains(silent[0], "interrupt gpio IntL-e1 gave no edge") {
		t.Errorf("want one warning that p2's pin is silent, got %q\n%s", silent, journal)
	}

	// The counters ddm run saved, in JSON and as text.
	out, err := exec.Command(bin, "dump", "--json", "--config", conf("IntL-e1"), "--state-dir", state, "p1", "p2").Output()
	if err != nil {
		t.Fatalf("dump --json: %v", err)
	}
	los := map[string]exporter.FlagCount{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		var obj struct {
			Source struct {
				Port string `json:"port"`
			} `json:"source"`
			FlagCounts []exporter.FlagCount `json:"flag_counts"`
		}
		if err := json.Unmarshal([]byte(line), &obj); err != nil {
			t.Fatalf("%v: %s", err, line)
		}
		for _, c := range obj.FlagCounts {
			if c.Flag == "rx_los" && (c.Lane == 3) == (obj.Source.Port == "p1") && (c.Lane == 1) == (obj.Source.Port == "p2") {
				los[obj.Source.Port] = c
			}
		}
	}
	for port, lane := range map[string]int{"p1": 3, "p2": 1} {
		c, ok := los[port]
		if !ok || c.Lane != lane || c.Events < 1 || c.Reads < c.Events || c.First.IsZero() || c.Last.Before(c.First) {
			t.Errorf("%s: rx_los counters %+v in the JSON, want lane %d counted\n%s", port, c, lane, out)
			continue
		}
		text, err := exec.Command(bin, "dump", "--config", conf("IntL-e1"), "--state-dir", state, port).Output()
		want := fmt.Sprintf("lane %d   rx_los                   %6d events %7d reads", lane, c.Events, c.Reads)
		if err != nil || !strings.Contains(string(text), want) {
			t.Errorf("%s: text dump (%v) lacks %q:\n%s", port, err, want, text)
		}
	}

	// A GPIO the emulated switch does not have, with the switch named by
	// the file or by --emulate.
	for _, args := range [][]string{
		{"run", "--check", "--config", conf("GPIO17"), "--state-dir", state},
		{"run", "--check", "--emulate", platform, "--config", conf("GPIO17"), "--state-dir", state},
	} {
		b, err := exec.Command(bin, args...).CombinedOutput()
		if err == nil || !strings.Contains(string(b), `port p2: interrupt gpio GPIO17: emulator: no GPIO "GPIO17" on the emulated switch`) {
			t.Errorf("%v with an unknown GPIO: %v\n%s", args[2:4], err, b)
		}
	}
}

func writeFile(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}
