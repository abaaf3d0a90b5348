package pipeline

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ddm-agent/ddm/agent"
	"github.com/ddm-agent/ddm/emulator"
	"github.com/ddm-agent/ddm/exporter"
	"github.com/ddm-agent/ddm/i2c"
	"github.com/ddm-agent/ddm/internal/vclock"
	"github.com/ddm-agent/ddm/schema"
)

const flapYAML = `
buses:
  - {name: b, speed: 400kHz}
ports:
  - {name: dr8, bus: b, profile: osfp-800g-dr8}
scenarios:
  - {port: dr8, kind: los_pulses, lane: 6, start: 3s}
`

// TestFlagCountersCurrentAtEveryEvent: the real agent and pipeline on
// virtual time over an emulated module whose lane 6 flaps. At every moment
// the counters the pipeline saves (flag-counts.json, for ddm dump) hold
// every flag event it has written (xcvr_flag_event), and at shutdown the
// last xcvr_flag point of each counter does too, even when the last events
// were a flag scan's after the port's last fast read. Before, the counters
// came with the fast samples only: a scan's events waited for the next
// fast read, and at shutdown there was none (49 events, count 48).
func TestFlagCountersCurrentAtEveryEvent(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 1, 0, 0, 0, time.UTC)
	clk := vclock.New(t0)
	var sink urgentSink
	dir := t.TempDir()
	p := New(Options{Host: "h", Rules: builtinRules(t), Sink: &sink, Ports: []string{"dr8"}, StateDir: dir})
	_, stop := runOnPlatform(t, clk, "flap.yaml", flapYAML, p)

	// The events written so far, per lane/flag: how many, and the count
	// the last one carries.
	written := func() map[string]int64 {
		out := map[string]int64{}
		for _, pt := range sink.urgent.of(schema.XcvrFlagEvent) {
			out[pt.Tag(schema.TagLane)+"/"+pt.Tag(schema.TagFlag)]++
		}
		return out
	}
	saved := func() map[string]int64 {
		p.Save()
		counts, err := LoadFlagCounts(filepath.Join(dir, FlagCountsFile))
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]int64{}
		for _, c := range counts["dr8"] {
			out[laneTag(c.Lane)+"/"+c.Flag] = c.Events
		}
		return out
	}
	// Step 50 ms at a time through some flaps, comparing at each step;
	// once a few have passed, shut down at a step whose newest event is
	// a scan's after the last fast read (the case that lagged), before
	// saving.
	afterFast := 0
	for step := 0; step < 600; step++ {
		clk.Advance(50 * time.Millisecond)
		w := written()
		if lastFlag(sink.of(schema.XcvrFlag), "6", "rx_los") < w["6/rx_los"] {
			if afterFast++; afterFast >= 3 && w["6/rx_los"] >= 3 {
				break // before Save, which writes the counters' points
			}
		}
		s := saved()
		for k, n := range w {
			if s[k] != n {
				t.Fatalf("at %v: %s: %d events written, flag-counts.json says %d", clk.Now().Sub(t0), k, n, s[k])
			}
		}
	}
	if afterFast < 3 {
		t.Fatal("no flag scan event came after a fast read: the test did not reach the case it is about")
	}
	stop()
	p.Save()
	w, s := written(), saved()
	if w["6/rx_los"] < 3 {
		t.Fatalf("rx_los events on lane 6: %v", w)
	}
	for k, n := range w {
		lane, flag, _ := strings.Cut(k, "/")
		if s[k] != n {
			t.Errorf("at shutdown: %s: %d events written, flag-counts.json says %d", k, n, s[k])
		}
		if got := lastFlag(sink.of(schema.XcvrFlag), lane, flag); got != n {
			t.Errorf("at shutdown: %s: %d events written, the last xcvr_flag point says %d", k, n, got)
		}
	}
}

// laneTag is the lane tag of a counter (none for a module flag).
func laneTag(lane int) string {
	if lane == 0 {
		return ""
	}
	return strconv.Itoa(lane)
}

// lastFlag is the events field of the latest xcvr_flag point of a lane's
// flag (0 when none).
func lastFlag(pts []exporter.Point, lane, flag string) int64 {
	var last time.Time
	var n int64
	for _, pt := range pts {
		if pt.Tag(schema.TagLane) != lane || pt.Tag(schema.TagFlag) != flag || pt.Time.Before(last) {
			continue
		}
		for _, f := range pt.Fields {
			if f.Key == schema.FlagEvents {
				n, last = f.Value().(int64), pt.Time
			}
		}
	}
	return n
}

// runOnPlatform starts the agent over the ports of an emulated platform
// (one bus, b) on clk, its samples and flag events to p; stop ends it
// and waits for it.
func runOnPlatform(t *testing.T, clk *vclock.Virtual, name, yaml string, p *Pipeline) (_ *emulator.Platform, stop func()) {
	t.Helper()
	pl, err := emulator.ParsePlatform(name, []byte(yaml), emulator.WithClock(clk))
	if err != nil {
		t.Fatal(err)
	}
	var ports []agent.Port
	pg := i2c.NewPager(pl.Buses()["b"], i2c.PagerOptions{Wait: vclock.Skip})
	for _, ps := range pl.Ports() {
		addr := uint8(ps.Address)
		ports = append(ports, agent.Port{Name: ps.Name, Bus: "b", Addr: addr, Mem: pg.Module(addr), Forget: func() { pg.Forget(addr) }})
	}
	a, err := agent.New(ports, p, agent.Options{Clock: clk, Interval: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { a.Run(ctx); close(done) }()
	clk.BlockUntil(1)
	return pl, func() { cancel(); <-done }
}
