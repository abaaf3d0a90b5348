package main

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ddm-agent/ddm/internal/influxtest"
	"github.com/ddm-agent/ddm/schema"
)

const restartPlatform = `name: restart-test
buses:
  - {name: b, speed: 1MHz, muxes: [{address: 0x70, channels: [c0]}]}
ports:
  - {name: p1, bus: c0, profile: osfp-800g-dr8}
`

// TestRunReducedRestartWithinAWindow runs the real binary twice with
// --reduce 60s within one minute against the real InfluxDB, as a restart
// does: every window point the first process wrote (cut at its latest read
// on shutdown) is still in InfluxDB, unchanged, after the second, whose own
// windows add its reads. InfluxDB keeps one point per series and time: the
// second process's window, stamped at the aligned start as the first's
// was, overwrote the first's statistics.
func TestRunReducedRestartWithinAWindow(t *testing.T) {
	t.Parallel()
	srv := influxtest.Start(t)
	dir := t.TempDir()
	platform := filepath.Join(dir, "p.yaml")
	if err := os.WriteFile(platform, []byte(restartPlatform), 0o644); err != nil {
		t.Fatal(err)
	}
	// Both runs take some 3.5 s with their start-ups once the binary is
	// built: start them with at least 6 s of the minute left (a wait of
	// 6 s at most, one time in ten).
	ddmBinary(t)
	if left := time.Until(time.Now().Truncate(time.Minute).Add(time.Minute)); left < 6*time.Second {
		time.Sleep(left + 100*time.Millisecond)
	}
	minute := time.Now().Truncate(time.Minute)
	type window struct{ samples, ns int64 }
	windows := func() map[time.Time]window {
		rows := srv.Query(t, fmt.Sprintf(`SELECT %q, %q FROM %q WHERE "port"='p1' AND "lane"='3' AND %q > 0`,
			schema.WindowSamples, schema.WindowNS, schema.XcvrLane, schema.WindowSamples))
		out := map[time.Time]window{}
		for _, r := range rows {
			n, _ := r.Int(schema.WindowSamples)
			ns, _ := r.Int(schema.WindowNS)
			out[r.Time()] = window{n, ns}
		}
		return out
	}
	run := func() {
		p := startDDM(t, "run", "--emulate="+platform, "--influx-url", srv.URL(), "--influx-bucket", srv.Bucket(),
			"--interval", "250ms", "--reduce", "60s", "--state-dir", filepath.Join(dir, "state"), "--duration", "1500ms")
		if err := p.wait(t, 30*time.Second); err != nil {
			t.Fatalf("ddm run: %v\n%s", err, p.stderr)
		}
	}
	run()
	first := windows()
	run()
	both := windows()
	if !time.Now().Truncate(time.Minute).Equal(minute) {
		t.Logf("the runs did not end within the minute they began (a slow machine): what is checked still holds, but not within one window")
	}
	var n1, n int64
	for at, w := range first {
		n1 += w.samples
		if got, ok := both[at]; !ok || got != w {
			t.Errorf("the first run's window at %v (%d reads over %v) is %+v after the second run (present %v)",
				at, w.samples, time.Duration(w.ns), got, ok)
		}
	}
	for _, w := range both {
		n += w.samples
	}
	// 1.5 s at 250 ms: about 6 fast reads a run.
	if len(first) == 0 || n1 < 4 || n-n1 < 4 {
		t.Errorf("lane p1/3: %d reads in the first run's %d windows, %d in the second's %d, want some 6 each",
			n1, len(first), n-n1, len(both)-len(first))
	}
}
