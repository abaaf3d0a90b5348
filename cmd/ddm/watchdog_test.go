package main

import (
	"bufio"
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestRunWatchdogOwnPeriod: with a 60 s interval (the housekeeping tick of
// old) the real binary sends READY=1 after its first pass and WATCHDOG=1
// every half WATCHDOG_USEC, to a NOTIFY_SOCKET the test listens on. Before,
// READY came at the first 60 s tick (past the unit's TimeoutStartSec) and
// the watchdog was fed every 60 s (past WatchdogSec=30s).
func TestRunWatchdogOwnPeriod(t *testing.T) {
	dir, platform := writePlatform(t)
	sock := filepath.Join(dir, "notify.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	bin := ddmBinary(t)
	cmd := exec.Command(bin, "run", "--emulate="+platform, "--output", "lp", "--interval", "60s", "--vdm-interval", "60s", "--state-dir", dir)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	cmd.Env = append(os.Environ(), "NOTIFY_SOCKET="+sock, "WATCHDOG_USEC=200000", "DDM_INFLUX_TOKEN=")
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	}()
	var ready time.Duration
	var pings []time.Duration
	buf := make([]byte, 4096)
	for time.Since(start) < 2500*time.Millisecond {
		conn.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		n, err := conn.Read(buf)
		if err != nil {
			continue
		}
		at := time.Since(start)
		for _, state := range strings.Split(string(buf[:n]), "\n") {
			switch {
			case state == "READY=1" && ready == 0:
				ready = at
			case state == "WATCHDOG=1":
				pings = append(pings, at)
			}
		}
	}
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()
	if ready == 0 || ready > 2*time.Second {
		t.Errorf("READY=1 at %v, want within 2 s of the start (interval 60s)\n%s", ready, errb.String())
	}
	// 100 ms period: about 20 pings in 2.5 s; the first may wait for the
	// process to start.
	var afterReady []time.Duration
	for _, p := range pings {
		if p >= ready {
			afterReady = append(afterReady, p)
		}
	}
	if len(afterReady) < 10 {
		t.Fatalf("%d WATCHDOG=1 after READY at %v (pings %v), want one every 100 ms", len(afterReady), ready, pings)
	}
	for i := 1; i < len(afterReady); i++ {
		if gap := afterReady[i] - afterReady[i-1]; gap > 250*time.Millisecond {
			t.Errorf("%v between two pings, want about 100 ms (WATCHDOG_USEC=200000)", gap)
		}
	}
	t.Logf("READY at %v, %d pings after it", ready.Round(time.Millisecond), len(afterReady))
}

// TestRunCycleTime: xcvr_agent.cycle_time_s is the duration of one pass
// over a bus's modules (milliseconds on the emulator), present from the
// first point; it used to be 0 on the first point and about 10 s
// (the self-telemetry period) after.
func TestRunCycleTime(t *testing.T) {
	dir, platform := writePlatform(t)
	code, out, errs := runBinary(t, 20*time.Second, nil, "run", "--emulate="+platform, "--output", "lp", "--interval", "200ms", "--duration", "1500ms", "--state-dir", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	n := 0
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "xcvr_agent,bus=") {
			continue
		}
		i := strings.Index(line, "cycle_time_s=")
		if i < 0 {
			t.Fatalf("no cycle_time_s: %s", line)
		}
		v, err := strconv.ParseFloat(strings.SplitN(strings.SplitN(line[i+len("cycle_time_s="):], ",", 2)[0], " ", 2)[0], 64)
		// The first pass reads every module's static pages too, and a
		// loaded machine slows it; what matters is that it is the pass, not
		// the 10 s self-telemetry period nor a placeholder 0.
		if err != nil || v <= 0 || v >= 2 {
			t.Errorf("cycle_time_s %v (%v), want more than 0 and well under the 10 s self-telemetry period: %s", v, err, line)
		}
		n++
	}
	if n == 0 {
		t.Fatalf("no xcvr_agent bus point in %d bytes of output", len(out))
	}
}
