package agent_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ddm-agent/ddm/agent"
	"github.com/ddm-agent/ddm/emulator"
	"github.com/ddm-agent/ddm/internal/vclock"
)

// flagRecorder is a recorder that also takes the flag events.
type flagRecorder struct {
	recorder
	fmu    sync.Mutex
	events []agent.FlagEvent
}

func (r *flagRecorder) ObserveFlags(ev []agent.FlagEvent) {
	r.fmu.Lock()
	r.events = append(r.events, ev...)
	r.fmu.Unlock()
}

// scanRig is a platform's ports under an agent with a flagRecorder, on one
// virtual clock. With paced, every bus transaction takes its wire time on
// that clock. Paced, the modules must have no VDM: a VDM read's goroutine
// would queue on the bus lock, not on the clock, while the worker waits on
// the clock holding it.
func scanRig(t *testing.T, yaml string, opts agent.Options, paced bool) (*agent.Agent, *flagRecorder, *vclock.Virtual, *emulator.Platform) {
	t.Helper()
	clk := vclock.New(t0)
	opts.Clock = clk
	popts := []emulator.Option{emulator.WithClock(clk)}
	if paced {
		// Ended with the test: a transaction waiting for its wire time when
		// the clock stops moving returns, so the agent can stop.
		ctx, cancel := context.WithCancel(context.Background())
		t.Cleanup(cancel)
		popts = append(popts, emulator.WithPacing(func(d time.Duration) { _ = clk.Sleep(ctx, d) }))
		pacingStops[clk] = cancel
	}
	pl, err := emulator.ParsePlatform("test.yaml", []byte(yaml), popts...)
	if err != nil {
		t.Fatal(err)
	}
	rec := &flagRecorder{recorder: recorder{samples: map[string][]agent.Sample{}}}
	a, err := agent.New(platformPorts(pl), rec, opts)
	if err != nil {
		t.Fatal(err)
	}
	return a, rec, clk, pl
}

// fastGaps returns the longest and shortest time between two fast reads of
// a port, from its samples after from.
func fastGaps(ss []agent.Sample, from time.Time) (longest, shortest time.Duration, n int) {
	var last time.Time
	shortest = time.Hour
	for _, s := range ss {
		if (s.Kind != agent.KindFast && s.Kind != agent.KindStatic) || s.Time.Before(from) {
			continue
		}
		if !last.IsZero() {
			longest, shortest = max(longest, s.Time.Sub(last)), min(shortest, s.Time.Sub(last))
		}
		last, n = s.Time, n+1
	}
	return longest, shortest, n
}

const flapYAML = `
buses:
  - {name: b, speed: 400kHz}
ports:
  - {name: dr8, bus: b, profile: osfp-800g-dr8}
  - {name: xd, bus: b, address: 0x52, profile: osfpxd-1.6t-16}
  - {name: qsfp, bus: b, address: 0x54, profile: qsfp28-100g-lr4}
  - {name: stuck, bus: b, address: 0x56, profile: osfp-800g-dr8}
  - {name: quiet, bus: b, address: 0x58, profile: osfp-1.6t-dr8}
scenarios:
  - {port: dr8, kind: los_pulses, lane: 1, start: 10s}
  - {port: dr8, kind: los_pulses, lane: 6, start: 10s}
  - {port: xd, kind: los_pulses, lane: 3, start: 10s}
  - {port: xd, kind: los_pulses, lane: 14, start: 10s}
  - {port: qsfp, kind: los_pulses, lane: 2, start: 10s}
  - {port: stuck, kind: busy, start: 20s}
`

// flapsCounted runs flapYAML for span with the given flag interval
// (negative: no scan) and returns, per port and lane, the pulses injected
// and the rx_los events counted, and the agent's samples.
func flapsCounted(t *testing.T, flagInterval, span time.Duration) (injected, counted map[string]int, rec *flagRecorder, a *agent.Agent) {
	t.Helper()
	a, rec, clk, pl := scanRig(t, flapYAML, agent.Options{Interval: time.Second, FlagInterval: flagInterval}, false)
	runFor(a, clk, span)
	injected, counted = countFlaps(pl, rec, span)
	return injected, counted, rec, a
}

// countFlaps returns, per port and lane, the pulses injected into pl's
// modules and the rx_los events rec counted, over the first span of
// virtual time less its last second.
func countFlaps(pl *emulator.Platform, rec *flagRecorder, span time.Duration) (injected, counted map[string]int) {
	injected, counted = map[string]int{}, map[string]int{}
	end := t0.Add(span)
	for _, p := range pl.Ports() {
		if pl.Module(p.Name) == nil {
			continue // an empty cage
		}
		for _, o := range pl.Module(p.Name).Onsets() {
			// A pulse that began within the last scan period may not be
			// read yet.
			if o.At.Before(end.Add(-time.Second)) {
				injected[fmt.Sprintf("%s lane %d", p.Name, o.Lane)]++
			}
		}
	}
	rec.fmu.Lock()
	defer rec.fmu.Unlock()
	for _, e := range rec.events {
		if e.Flag == "rx_los" && e.Since.Before(end.Add(-time.Second)) {
			counted[fmt.Sprintf("%s lane %d", e.Port, e.Lane)]++
		}
	}
	return injected, counted
}

// checkFlaps fails t unless every pulse injected into flapYAML's lanes
// (at least 5 × 50) was counted once and every healthy port kept its fast
// cadence of exactly 1 s; it returns how many pulses were injected.
func checkFlaps(t *testing.T, injected, counted map[string]int, rec *flagRecorder, span time.Duration) int {
	t.Helper()
	total := 0
	for k, n := range injected {
		total += n
		if counted[k] != n {
			t.Errorf("%s: %d pulses injected, %d counted", k, n, counted[k])
		}
	}
	if len(counted) != len(injected) || total < 5*50 {
		t.Errorf("counted on %v, injected %d pulses on %v", counted, total, injected)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for _, port := range []string{"dr8", "xd", "qsfp", "quiet"} {
		longest, shortest, n := fastGaps(rec.samples[port], t0.Add(5*time.Second))
		if longest != time.Second || shortest != time.Second || n < int(span/time.Second)-6 {
			t.Errorf("%s: fast reads %v to %v apart (%d), want exactly 1 s", port, shortest, longest, n)
		}
	}
	return total
}

// TestAgentFlapsCounted: short losses of signal (down 30-300 ms, up
// 0.2-2 s) on five lanes of three modules, a stuck module on the same
// bus: with the flag scan every pulse is counted once, the fast cadence
// of every healthy port stays exactly 1 s, and each event's onset window
// holds the injected onset.
func TestAgentFlapsCounted(t *testing.T) {
	span := 2 * time.Minute
	injected, counted, rec, a := flapsCounted(t, 100*time.Millisecond, span)
	checkFlaps(t, injected, counted, rec, span)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if got := len(rec.samples["stuck"]); got == 0 {
		t.Error("the stuck port has no samples")
	}
	p := a.Progress()["b"]
	if p.ScanPeriod != 100*time.Millisecond || p.CyclePeriod != time.Second || p.ScanRounds < int64(span/(100*time.Millisecond))-20 {
		t.Errorf("progress %+v: want scan period 100 ms, cycle period 1 s", p)
	}
	// The fast samples carry the flags the scans read since the previous
	// one: a pulse seen only by a scan still reaches the alarm rules.
	sawInSample := 0
	for _, s := range rec.samples["dr8"] {
		if s.Module != nil && len(s.Module.Lanes) > 5 && s.Module.Lanes[5].Flags.String() != "" && strings.Contains(s.Module.Lanes[5].Flags.String(), "rx_los") {
			sawInSample++
		}
	}
	if sawInSample < int(span/time.Second)/4 {
		t.Errorf("rx_los of dr8 lane 6 in %d fast samples, want most (a pulse every 1.2 s on average)", sawInSample)
	}
}

// TestAgentFlapsFigure prints the "flaps counted" figure of
// docs/BENCHMARKS.md: pulses injected and counted, with the flag scan at
// 100 ms and without it (the fast read alone, every second), on virtual
// time.
//
//	go test -run TestAgentFlapsFigure -v ./agent/
func TestAgentFlapsFigure(t *testing.T) {
	span := 10 * time.Minute
	if testing.Short() {
		span = time.Minute
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%-14s %9s %16s %16s\n", "lane", "injected", "counted (scan)", "counted (1 s)")
	in, withScan, _, _ := flapsCounted(t, 100*time.Millisecond, span)
	_, without, _, _ := flapsCounted(t, -1, span)
	var keys []string
	for k := range in {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var ti, ts, tw int
	for _, k := range keys {
		fmt.Fprintf(&b, "%-14s %9d %16d %16d\n", k, in[k], withScan[k], without[k])
		ti, ts, tw = ti+in[k], ts+withScan[k], tw+without[k]
	}
	fmt.Fprintf(&b, "%-14s %9d %16d %16d\n", "total", ti, ts, tw)
	t.Logf("flaps counted over %v of virtual time (down 30-300 ms, up 0.2-2 s):\n%s", span, b.String())
	if ts != ti {
		t.Errorf("with the scan %d of %d counted", ts, ti)
	}
}

// pacingStops ends the pacing of a paced rig's clock.
var pacingStops = map[*vclock.Virtual]context.CancelFunc{}

var scanCostPorts, scanCostSpan = 64, 30 * time.Second

// busYAML is n ports of profile on one bus of speed.
func busYAML(n int, speed, profile string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "buses:\n  - name: b\n    speed: %s\n    muxes:\n", speed)
	for m := 0; m < (n+7)/8; m++ {
		fmt.Fprintf(&b, "      - address: 0x%02x\n        channels: [", 0x70+m)
		for c := 0; c < 8; c++ {
			if c > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "m%dc%d", m, c)
		}
		b.WriteString("]\n")
	}
	b.WriteString("ports:\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "  - {name: p%d, bus: m%dc%d, profile: %s}\n", i+1, i/8, i%8, profile)
	}
	return b.String()
}

// TestAgentScanCost: 64 ports on one bus, every transaction taking its
// wire time on the virtual clock (modules without VDM, see scanRig; a VDM
// read's bus time is in the bus-cost table). At 400 kHz the flag scan keeps 100 ms
// and every port its 1 s fast cadence; at 100 kHz the fast reads take
// most of the bus, the scan stretches, and the fast cadence still holds.
// It prints the "scan cost" figure of docs/BENCHMARKS.md:
//
//	go test -run TestAgentScanCost -v ./agent/
func TestAgentScanCost(t *testing.T) {
	var b strings.Builder
	fmt.Fprintf(&b, "%-8s %-16s %6s %12s %12s %12s %11s %9s\n", "bus", "profile", "ports", "fast worst", "fast best", "scan period", "stretched", "bus util")
	for _, tc := range []struct {
		speed, profile string
		stretched      bool
	}{
		{"400kHz", "qsfpdd-400g-fr4", false},
		{"400kHz", "qsfp28-100g-lr4", false},
		{"100kHz", "qsfpdd-400g-fr4", true},
	} {
		a, rec, clk, _ := scanRig(t, busYAML(scanCostPorts, tc.speed, tc.profile), agent.Options{Interval: time.Second}, true)
		span := scanCostSpan
		stop := start(a, clk)
		clk.Advance(span)
		pacingStops[clk]()
		stop()
		p := a.Progress()["b"]
		worst, best := time.Duration(0), time.Hour
		rec.mu.Lock()
		for i := 0; i < 64; i++ {
			port := fmt.Sprintf("p%d", i+1)
			longest, shortest, n := fastGaps(rec.samples[port], t0.Add(10*time.Second))
			worst, best = max(worst, longest), min(best, shortest)
			if n < 15 {
				t.Errorf("%s %s: %s read %d times in 20 s", tc.speed, tc.profile, port, n)
			}
		}
		rec.mu.Unlock()
		fmt.Fprintf(&b, "%-8s %-16s %6d %12v %12v %12v %11v %8.1f%%\n", tc.speed, tc.profile, 64, worst, best,
			p.ScanPeriod, p.ScanStretched, 100*p.Utilisation)
		// A port's read may start a little late behind another's (one bus),
		// never by a cycle.
		if worst > time.Second+50*time.Millisecond || best < time.Second-50*time.Millisecond {
			t.Errorf("%s %s: fast reads %v to %v apart, want 1 s", tc.speed, tc.profile, best, worst)
		}
		if p.ScanStretched != tc.stretched || p.ScanPeriod < 100*time.Millisecond || (!tc.stretched && p.ScanPeriod > 110*time.Millisecond) {
			t.Errorf("%s %s: scan period %v stretched %v, want stretched %v", tc.speed, tc.profile, p.ScanPeriod, p.ScanStretched, tc.stretched)
		}
		if p.Utilisation <= 0 || p.Utilisation > 1 {
			t.Errorf("%s %s: utilisation %v", tc.speed, tc.profile, p.Utilisation)
		}
	}
	t.Logf("64 ports on one bus, fast cadence 1 s, flag scan 100 ms (virtual time, every transaction its wire time):\n%s", b.String())
}

// TestAgentScanStretchesOnWireTime: on an emulated bus that does not pace
// its transactions (each takes no time on the clock, as on `ddm run
// --emulate`), a flag interval the bus cannot hold (10 ms over 16 ports
// at 100 kHz) stretches the scan, and the published utilisation, the
// emulator's own wire time over the same span and the stretch agree: at
// most the budget (each fast cycle's utilisation within one scan round of
// it), the fast cadence exactly 1 s. At 100 ms over 400 kHz
// the scan keeps its period. Before, the stretch weighed the reads' time
// on the clock (none) and the utilisation their wire time: 3.8 to 11 with
// the scan never stretched.
func TestAgentScanStretchesOnWireTime(t *testing.T) {
	for _, tc := range []struct {
		speed        string
		flagInterval time.Duration
		stretched    bool
	}{
		{"100kHz", 10 * time.Millisecond, true},
		{"400kHz", 100 * time.Millisecond, false},
	} {
		name := fmt.Sprintf("%s, flag interval %v", tc.speed, tc.flagInterval)
		a, rec, clk, pl := scanRig(t, busYAML(16, tc.speed, "qsfpdd-400g-fr4"),
			agent.Options{Interval: time.Second, FlagInterval: tc.flagInterval}, false)
		stop := start(a, clk)
		clk.Advance(5 * time.Second) // past the static reads
		wire0, from := pl.Buses()["b"].BusTime(), clk.Now()
		var worst float64
		for i := 0; i < 15; i++ {
			clk.Advance(time.Second)
			p := a.Progress()["b"]
			worst = max(worst, p.Utilisation)
			// Rounds are whole: a window of a fast interval may hold one
			// round beyond its share (a round's bus time is at most the
			// budget's share of its period).
			limit := agent.DefaultScanBudget * (1 + float64(p.ScanPeriod)/float64(time.Second))
			if p.ScanStretched != tc.stretched || p.Utilisation <= 0 || p.Utilisation > limit {
				t.Errorf("%s at %v: utilisation %.3f, stretched %v; want at most %.3f, stretched %v",
					name, clk.Now().Sub(t0), p.Utilisation, p.ScanStretched, limit, tc.stretched)
			}
		}
		wire := float64(pl.Buses()["b"].BusTime()-wire0) / float64(clk.Now().Sub(from))
		p := a.Progress()["b"]
		stop()
		if wire > agent.DefaultScanBudget {
			t.Errorf("%s: the emulated bus was on the wire %.3f of the time, over the budget", name, wire)
		}
		if worst-wire > 0.03 {
			t.Errorf("%s: utilisation published up to %.3f, the bus's wire share %.3f", name, worst, wire)
		}
		if tc.stretched && (p.ScanPeriod <= tc.flagInterval || wire < agent.DefaultScanBudget/2) {
			t.Errorf("%s: scan period %v, wire share %.3f: the stretched scan should use the bus's room", name, p.ScanPeriod, wire)
		}
		if !tc.stretched && p.ScanPeriod != tc.flagInterval {
			t.Errorf("%s: scan period %v, want %v", name, p.ScanPeriod, tc.flagInterval)
		}
		rec.mu.Lock()
		for i := 0; i < 16; i++ {
			port := fmt.Sprintf("p%d", i+1)
			if longest, shortest, n := fastGaps(rec.samples[port], from); longest != time.Second || shortest != time.Second || n < 14 {
				t.Errorf("%s: %s fast reads %v to %v apart (%d), want exactly 1 s", name, port, shortest, longest, n)
			}
		}
		rec.mu.Unlock()
		t.Logf("%s: scan period %v, utilisation at most %.3f, wire share %.3f", name, p.ScanPeriod, worst, wire)
	}
}
