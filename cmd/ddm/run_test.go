package main

import (
	"bytes"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ddm-agent/ddm/internal/influxtest"
)

// These tests run the real binary against a real InfluxDB on loopback
// (internal/influxtest starts bin/influxd; .ci/run builds it).

const testPlatform = `name: run-test
buses:
  - name: i2c-1
    speed: 1MHz
    muxes:
      - {address: 0x70, channels: [c10, c11, c12]}
ports:
  - {name: p1, bus: c10, profile: osfp-800g-dr8}
  - {name: p2, bus: c11, profile: osfp-1.6t-dr8}
  - {name: p3, bus: c12, profile: qsfp28-100g-lr4}
`

type ddmProc struct {
	cmd    *exec.Cmd
	stderr *bytes.Buffer
}

func startDDM(t *testing.T, args ...string) *ddmProc {
	t.Helper()
	cmd := exec.Command(ddmBinary(t), args...)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	cmd.Env = append(os.Environ(), "DDM_INFLUX_TOKEN=")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &ddmProc{cmd: cmd, stderr: &errb}
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			p.cmd.Wait()
		}
	})
	return p
}

func (p *ddmProc) stop(t *testing.T, sig syscall.Signal) {
	t.Helper()
	p.cmd.Process.Signal(sig)
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		if sig == syscall.SIGTERM && err != nil {
			t.Errorf("ddm exited with %v after SIGTERM:\n%s", err, p.stderr)
		}
	case <-time.After(20 * time.Second):
		p.cmd.Process.Kill()
		t.Fatalf("ddm did not exit within 20 s of %v", sig)
	}
}

func writePlatform(t *testing.T) (dir, platform string) {
	dir = t.TempDir()
	platform = filepath.Join(dir, "platform.yaml")
	if err := os.WriteFile(platform, []byte(testPlatform), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, platform
}

func TestRunWritesSchema(t *testing.T) {
	srv := influxtest.Start(t)
	dir, platform := writePlatform(t)
	p := startDDM(t, "run", "--emulate="+platform, "--influx-url", srv.URL(), "--influx-bucket", srv.Bucket(),
		"--interval", "250ms", "--vdm-interval", "500ms", "--state-dir", dir)
	influxtest.Wait(t, 30*time.Second, "lane points of p3 in InfluxDB", func() bool {
		return srv.Count(t, "tx_power_mw", "xcvr_lane", `"port"='p3'`) >= 8
	})
	influxtest.Wait(t, 30*time.Second, "VDM and agent points", func() bool {
		return srv.Count(t, "value", "xcvr_vdm", `"port"='p1'`) > 0 && srv.Count(t, "transactions", "xcvr_agent", "") > 0
	})
	p.stop(t, syscall.SIGTERM)
	for m, fields := range map[string]map[string]string{
		"xcvr_module":       {"temperature_c": "float", "vcc_v": "float", "present": "boolean", "module_state": "string"},
		"xcvr_lane":         {"tx_power_mw": "float", "tx_power_dbm": "float", "rx_power_mw": "float", "tx_bias_ma": "float", "rx_los": "boolean"},
		"xcvr_vdm":          {"value": "float"},
		"xcvr_info":         {"vendor": "string", "part_number": "string", "serial_number": "string"},
		"xcvr_agent":        {"transactions": "integer", "bus_time_s": "float"},
		"xcvr_energy":       {"power_w": "float", "basis": "string", "data_rate_gbps": "float", "pj_per_bit": "float"},
		"xcvr_energy_total": {"power_w": "float", "ports": "integer", "w_per_tbps": "float"},
	} {
		got := srv.FieldTypes(t, m)
		for f, typ := range fields {
			if got[f] != typ {
				t.Errorf("%s.%s: type %q, want %q (all: %v)", m, f, got[f], typ, got)
			}
		}
	}
	tags := strings.Join(srv.TagKeys(t, "xcvr_vdm"), ",")
	for _, want := range []string{"host", "port", "lane", "observable"} {
		if !strings.Contains(tags, want) {
			t.Errorf("xcvr_vdm tags %s lack %s", tags, want)
		}
	}
	// Energy: p1 800G DR8 16 W at 800 Gb/s, 20 pJ/bit; the switch 16 + 25 +
	// 3.5 = 44.5 W over 800 + 1600 + 100 Gb/s.
	if rows := srv.Query(t, `SELECT last("pj_per_bit") AS pj FROM "xcvr_energy" WHERE "port"='p1'`); len(rows) != 1 || !floatIs(rows[0], "pj", 20) {
		t.Errorf("p1 energy per bit: %v", rows)
	}
	if rows := srv.Query(t, `SELECT last("power_w") AS w, last("w_per_tbps") AS wt FROM "xcvr_energy_total" WHERE "part_number"=''`); len(rows) != 1 ||
		!floatIs(rows[0], "w", 44.5) || !floatIs(rows[0], "wt", 44.5/2.5) {
		t.Errorf("switch energy: %v", rows)
	}
	// Lanes are global: the 1.6T DR8 has 8, the QSFP28 4.
	if n := len(srv.Query(t, `SHOW TAG VALUES FROM "xcvr_lane" WITH KEY = "lane" WHERE "port"='p3'`)); n != 4 {
		t.Errorf("p3 has %d lanes in InfluxDB, want 4", n)
	}
}

// laneTimes returns the sorted timestamps of xcvr_lane lane 1 of a port.
func laneTimes(t *testing.T, srv *influxtest.Server, port string) []time.Time {
	rows := srv.Query(t, `SELECT "tx_power_mw" FROM "xcvr_lane" WHERE "port"='`+port+`' AND "lane"='1'`)
	var ts []time.Time
	for _, r := range rows {
		ts = append(ts, r.Time())
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i].Before(ts[j]) })
	return ts
}

// TestRunSurvivesOutageAndKill: InfluxDB goes away; the agent spools; it is
// killed with SIGKILL during the outage and started again; InfluxDB comes
// back. Every point the agent read before the kill arrives, once, with its
// read time: lane 1 of every port has a point every interval except across
// the time the agent was dead.
func TestRunSurvivesOutageAndKill(t *testing.T) {
	srv := influxtest.Start(t)
	dir, platform := writePlatform(t)
	interval := 250 * time.Millisecond
	args := []string{"run", "--emulate=" + platform, "--influx-url", srv.URL(), "--influx-bucket", srv.Bucket(),
		"--interval", interval.String(), "--vdm-interval", "1s", "--state-dir", dir}
	p := startDDM(t, args...)
	influxtest.Wait(t, 30*time.Second, "first points", func() bool { return srv.Count(t, "tx_power_mw", "xcvr_lane", "") > 0 })

	// The outage: the agent keeps reading and spooling, about 100 kB a
	// second here; it is killed once 3 s of reads are in the spool.
	srv.Stop()
	spool := filepath.Join(dir, "spool")
	atStop := spoolBytes(t, spool)
	influxtest.Wait(t, 60*time.Second, "300 kB spooled during the outage", func() bool { return spoolBytes(t, spool) >= atStop+300_000 })
	p.stop(t, syscall.SIGKILL)
	killed := time.Now()
	time.Sleep(time.Second)
	restarted := time.Now()
	// Still down: the new process spools too (its own reads on top of what
	// the first left), after replaying nothing yet.
	atRestart := spoolBytes(t, spool)
	p2 := startDDM(t, args...)
	influxtest.Wait(t, 60*time.Second, "the new process spooling", func() bool { return spoolBytes(t, spool) >= atRestart+100_000 })
	srv.Restart(t)
	back := time.Now()
	// The spool is sent in order, so a point read a second after InfluxDB
	// came back means the backlog went first.
	influxtest.Wait(t, 60*time.Second, "points read after InfluxDB came back", func() bool {
		ts := laneTimes(t, srv, "p1")
		return len(ts) > 0 && ts[len(ts)-1].After(back.Add(time.Second))
	})
	p2.stop(t, syscall.SIGTERM)
	for _, port := range []string{"p1", "p2", "p3"} {
		ts := laneTimes(t, srv, port)
		// At least 3 s before the kill, 1 s after it and 1 s after
		// InfluxDB's return: 20 reads.
		if len(ts) < 20 {
			t.Fatalf("%s: only %d points", port, len(ts))
		}
		for i := 1; i < len(ts); i++ {
			gap := ts[i].Sub(ts[i-1])
			if gap == 0 {
				t.Errorf("%s: duplicate point at %v", port, ts[i])
			}
			spansKill := !ts[i-1].After(killed) && !ts[i].Before(restarted)
			if gap > 3*interval && !spansKill {
				t.Errorf("%s: %v without a point between %v and %v (killed %v, restarted %v)", port, gap,
					ts[i-1].Format("15:04:05.000"), ts[i].Format("15:04:05.000"), killed.Format("15:04:05.000"), restarted.Format("15:04:05.000"))
			}
			// What was read before the kill reached the spool: the last point
			// before the kill is within an interval (and the ~50 ms the
			// writer batches in memory) of it.
			if spansKill && killed.Sub(ts[i-1]) > interval+100*time.Millisecond {
				t.Errorf("%s: last point before the kill at %v, killed at %v: points lost", port, ts[i-1], killed)
			}
		}
	}
}

// spoolBytes is the size of the spool's segment files in dir.
func spoolBytes(t *testing.T, dir string) int64 {
	t.Helper()
	segs, err := filepath.Glob(filepath.Join(dir, "*.seg"))
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, seg := range segs {
		if fi, err := os.Stat(seg); err == nil {
			n += fi.Size()
		}
	}
	return n
}

// TestRunSIGTERMFlushes: on SIGTERM the agent sends what it has before it
// exits.
func TestRunSIGTERMFlushes(t *testing.T) {
	srv := influxtest.Start(t)
	dir, platform := writePlatform(t)
	p := startDDM(t, "run", "--emulate="+platform, "--influx-url", srv.URL(), "--influx-bucket", srv.Bucket(),
		"--interval", "200ms", "--state-dir", dir)
	// Running and delivering (a flush interval's worth of points would
	// have landed without SIGTERM too): then the tail is what SIGTERM
	// must flush.
	influxtest.Wait(t, 30*time.Second, "points of p2 in InfluxDB", func() bool { return len(laneTimes(t, srv, "p2")) >= 5 })
	stopAt := time.Now()
	p.stop(t, syscall.SIGTERM)
	ts := laneTimes(t, srv, "p2")
	if len(ts) == 0 || stopAt.Sub(ts[len(ts)-1]) > 400*time.Millisecond {
		t.Errorf("last point %v, SIGTERM at %v: the tail was not flushed", ts, stopAt)
	}
	if !strings.Contains(p.stderr.String(), "ddm running") {
		t.Errorf("stderr: %s", p.stderr)
	}
}

func TestRunLineProtocolAndCheck(t *testing.T) {
	dir, platform := writePlatform(t)
	code, out, errs := runDDM(t, "", "run", "--emulate="+platform, "--check", "--state-dir", dir)
	if code != 0 || !strings.Contains(out, "configuration OK: 3 ports") {
		t.Errorf("--check: exit %d %s %s", code, out, errs)
	}
	code, out, errs = runDDM(t, "", "run", "--emulate="+platform, "--output", "lp", "--interval", "200ms", "--duration", "1s", "--state-dir", dir)
	if code != 0 || !strings.Contains(out, "xcvr_lane,host=") || !strings.Contains(out, "port=p1") {
		t.Errorf("--output lp: exit %d %.300s %s", code, out, errs)
	}
	// A bad configuration names the line.
	cfg := filepath.Join(dir, "bad.yaml")
	os.WriteFile(cfg, []byte("interval: 1s\nports:\n  - name: x\n    transport: spi\n"), 0o644)
	code, _, errs = runDDM(t, "", "run", "--config", cfg, "--check")
	if code != exitUsage || !strings.Contains(errs, "bad.yaml:3") {
		t.Errorf("bad config: exit %d %s", code, errs)
	}
	// The token never goes on the command line: there is no flag for it.
	code, _, errs = runDDM(t, "", "run", "--influx-token", "secret")
	if code != exitUsage || !strings.Contains(errs, "unknown flag") {
		t.Errorf("--influx-token accepted: exit %d %s", code, errs)
	}
}

func floatIs(r influxtest.Row, col string, want float64) bool {
	v, ok := r.Float(col)
	return ok && math.Abs(v-want) < 1e-9
}
