package agent_test

import (
	"context"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ddm-agent/ddm/agent"
	"github.com/ddm-agent/ddm/cmis"
	"github.com/ddm-agent/ddm/emulator"
	"github.com/ddm-agent/ddm/i2c"
	"github.com/ddm-agent/ddm/internal/vclock"
)

// The agent runs on the emulator exactly as on hardware: emulated buses
// behind periph's i2c.Bus, the real pager, the real cadences, on virtual
// time: one vclock.Virtual drives the emulated modules and the agent, and
// the tests step it (no sleep, the same schedule on every run).

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

const platformYAML = `
name: agent-test
seed: 3
buses:
  - name: i2c-1
    speed: 1MHz
    muxes:
      - address: 0x70
        channels: [c10, c11, c12, c13]
  - name: i2c-2
    speed: 400kHz
    muxes:
      - address: 0x70
        channels: [c20, c21, c22, c23]
ports:
  - {name: healthy1, bus: c10, profile: osfp-800g-dr8}
  - {name: nacky, bus: c11, profile: osfp-800g-dr8}
  - {name: busy, bus: c12, profile: osfp-1.6t-dr8}
  - {name: flapper, bus: c13, profile: qsfpdd-400g-fr4}
  - {name: healthy2, bus: c20, profile: osfp-1.6t-dr8}
  - {name: empty, bus: c21, absent: true}
  - {name: xd, bus: c22, profile: osfpxd-1.6t-16}
  - {name: sfp, bus: c23, profile: sfp28-25g}
scenarios:
  - {port: nacky, kind: nack, rate: 0.2}
  - {port: busy, kind: busy, start: 1s, duration: 2s}
  - {port: flapper, kind: unplug, start: 1s, duration: 1500ms, every: 2500ms}
`

type recorder struct {
	mu      sync.Mutex
	samples map[string][]agent.Sample
}

func (r *recorder) Observe(s agent.Sample) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.samples[s.Port] = append(r.samples[s.Port], s)
}

// virtualPlatform parses a platform whose modules run on a new virtual
// clock, returned.
func virtualPlatform(t *testing.T, yaml string) (*vclock.Virtual, *emulator.Platform) {
	t.Helper()
	clk := vclock.New(t0)
	pl, err := emulator.ParsePlatform("test.yaml", []byte(yaml), emulator.WithClock(clk))
	if err != nil {
		t.Fatal(err)
	}
	return clk, pl
}

// startPlatform makes an agent over the ports of a platform, the modules
// and the agent on one virtual clock, returned.
func startPlatform(t *testing.T, yaml string, opts agent.Options) (*agent.Agent, *recorder, *vclock.Virtual) {
	t.Helper()
	clk, pl := virtualPlatform(t, yaml)
	opts.Clock = clk
	rec := &recorder{samples: map[string][]agent.Sample{}}
	a, err := agent.New(platformPorts(pl), rec, opts)
	if err != nil {
		t.Fatal(err)
	}
	return a, rec, clk
}

// platformPorts opens a platform's ports as ddm run --emulate does (a
// pager per channel bus, the root adapter as the agent's bus), for virtual
// time: NACK retries hold the bus, so they take no virtual time.
func platformPorts(pl *emulator.Platform) []agent.Port {
	var ports []agent.Port
	pagers := map[string]*i2c.Pager{}
	for _, p := range pl.Ports() {
		bus := pl.Buses()[p.Bus]
		if pagers[p.Bus] == nil {
			pagers[p.Bus] = i2c.NewPager(bus, i2c.PagerOptions{Wait: vclock.Skip})
		}
		pg, addr := pagers[p.Bus], uint8(p.Address)
		ports = append(ports, agent.Port{Name: p.Name, Bus: bus.Root().String(), Addr: addr, Mem: pg.Module(addr), Forget: func() { pg.Forget(addr) }})
	}
	return ports
}

// start runs a in the background; stop ends it and waits for Run to
// return. On a virtual clock start returns once every bus worker has made
// its first pass and waits for the clock.
func start(a *agent.Agent, clk vclock.Clock) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { a.Run(ctx); close(done) }()
	if v, ok := clk.(*vclock.Virtual); ok {
		v.BlockUntil(len(a.Buses()))
	}
	return func() { cancel(); <-done }
}

// runFor runs a for d of virtual time.
func runFor(a *agent.Agent, clk *vclock.Virtual, d time.Duration) {
	stop := start(a, clk)
	clk.Advance(d)
	stop()
}

// runAgent starts an agent over ports in the background; stop ends it and
// waits for Run to return.
func runAgent(t *testing.T, ports []agent.Port, opts agent.Options) (a *agent.Agent, rec *recorder, stop func()) {
	t.Helper()
	rec = &recorder{samples: map[string][]agent.Sample{}}
	a, err := agent.New(ports, rec, opts)
	if err != nil {
		t.Fatal(err)
	}
	return a, rec, start(a, opts.Clock)
}

// settle waits, on the machine's clock, until f holds (goroutines ending
// after Run returned), at most a second.
func settle(f func() bool) bool {
	for deadline := time.Now().Add(time.Second); !f(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			return false
		}
	}
	return true
}

func TestAgentCadenceUnderFaults(t *testing.T) {
	before := runtime.NumGoroutine()
	interval := 100 * time.Millisecond
	a, rec, clk := startPlatform(t, platformYAML, agent.Options{Interval: interval, VDMInterval: 500 * time.Millisecond})
	if got := len(a.Buses()); got != 2 {
		t.Fatalf("%d bus workers, want 2 (mux channels share their root's wire)", got)
	}
	const elapsed = 4 * time.Second
	runFor(a, clk, elapsed)
	rec.mu.Lock()
	defer rec.mu.Unlock()

	// Healthy ports keep their cadence while their bus neighbours NACK,
	// stick busy and vanish: on virtual time a neighbour's failures cost
	// no time of the clock the cadence is kept on, so every cycle is read,
	// on time (NACK retries take no virtual time, vclock.Skip; a neighbour
	// that holds the bus past the read timeout is TestAgentStalledBus's).
	want := int(elapsed/interval) + 1 // reads at 0, 100 ms, ... 4 s
	for _, p := range []string{"healthy1", "healthy2", "xd", "sfp"} {
		n := 0
		var last time.Time
		maxGap := time.Duration(0)
		for _, s := range rec.samples[p] {
			if s.Kind == agent.KindFast || s.Kind == agent.KindStatic {
				n++
				if !last.IsZero() && s.Time.Sub(last) > maxGap {
					maxGap = s.Time.Sub(last)
				}
				last = s.Time
			}
		}
		if n != want {
			t.Errorf("%s: %d good samples in %v, want %d", p, n, elapsed, want)
		}
		if maxGap != interval {
			t.Errorf("%s: a gap of %v between reads (interval %v)", p, maxGap, interval)
		}
	}
	// The NACKing module is still read (retries absorb a 20% NACK rate).
	good := 0
	for _, s := range rec.samples["nacky"] {
		if s.Module != nil {
			good++
		}
	}
	if good < want/2 {
		t.Errorf("nacky: %d decoded samples of %d cycles", good, want)
	}
	// Hot plug: the flapper is removed and inserted again, as events.
	var inserted, removed int
	for _, s := range rec.samples["flapper"] {
		for _, ev := range s.Events {
			switch ev.Type {
			case "inserted":
				inserted++
			case "removed":
				removed++
			}
		}
	}
	if removed < 1 || inserted < 2 {
		t.Errorf("flapper: %d removals, %d insertions; want at least 1 and 2", removed, inserted)
	}
	// The stuck-busy module fails with backoff; after AbsentAfter failed
	// reads it is taken as removed, and it is inserted again when it answers.
	var failed, gone, back bool
	for _, s := range rec.samples["busy"] {
		if s.Kind == agent.KindError {
			failed = true
		}
		for _, ev := range s.Events {
			switch {
			case ev.Type == "removed" && failed:
				gone = true
			case ev.Type == "inserted" && gone:
				back = true
			}
		}
	}
	if !failed || !gone || !back {
		t.Errorf("busy: failed %v, removed %v, inserted again %v", failed, gone, back)
	}
	// The empty cage is reported absent, never as an error.
	for _, s := range rec.samples["empty"] {
		if s.Kind != agent.KindAbsent {
			t.Fatalf("empty cage: sample kind %v", s.Kind)
		}
	}
	// VDM was read with the freeze handshake on the 800G modules.
	vdm := 0
	for _, s := range rec.samples["healthy1"] {
		if s.Kind == agent.KindVDM && len(s.Module.VDM) > 0 {
			vdm++
		}
	}
	if vdm < 3 {
		t.Errorf("healthy1: %d VDM samples", vdm)
	}
	// Timestamps are the time of the read and never go back.
	for p, ss := range rec.samples {
		for i := 1; i < len(ss); i++ {
			if ss[i].Time.Before(ss[i-1].Time) {
				t.Errorf("%s: sample %d at %v before %v", p, i, ss[i].Time, ss[i-1].Time)
			}
		}
	}
	if !settle(func() bool { return runtime.NumGoroutine() <= before+2 }) {
		t.Errorf("goroutines: %d before, %d after Run returned", before, runtime.NumGoroutine())
	}
}

func TestAgentFlagHistory(t *testing.T) {
	// A lane whose Rx power is faded far below its alarm threshold latches
	// rx_power_low_alarm; the history counts it once while it stays set.
	const yaml = `
buses:
  - {name: b, speed: 1MHz}
ports:
  - {name: p, bus: b, profile: osfp-800g-dr8}
scenarios:
  - {port: p, kind: rx_fade, lane: 2, start: 0s, rate: 100000}
`
	a, rec, clk := startPlatform(t, yaml, agent.Options{Interval: 100 * time.Millisecond})
	runFor(a, clk, 3*time.Second)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	ss := rec.samples["p"]
	last := ss[len(ss)-1]
	if last.Flags == nil || last.Flags.Lanes[2] == nil {
		t.Fatalf("no flag history for lane 2: %+v", last.Flags)
	}
	st := last.Flags.Lanes[2]["rx_power_low_alarm"]
	seen := 0 // reads in which lane 2's latched flag was set
	for _, s := range ss {
		if s.Module != nil && len(s.Module.Lanes) > 1 && s.Module.Lanes[1].Flags&cmis.RxPowerLowAlarm != 0 {
			seen++
		}
	}
	if seen < 2 {
		t.Fatalf("the flag was set in %d reads; the fade should hold it for most of the run", seen)
	}
	if st == nil || st.Count != 1 || !st.Active || st.First.IsZero() || !st.Last.After(st.First) {
		t.Errorf("lane 2 rx_power_low_alarm history %+v: set in %d reads, counted once, first before last", st, seen)
	}
	if last.Flags.Lanes[1] != nil && last.Flags.Lanes[1]["rx_power_low_alarm"] != nil {
		t.Errorf("lane 1 has lane 2's flag")
	}
}

// TestAgentFirstReadIsNotAChange: a module that powered up before the agent
// started has latched DPStateChanged on every lane; the first read is no
// change and must not report one. A module that powers up while the agent
// watches reports its data path changes.
func TestAgentFirstReadIsNotAChange(t *testing.T) {
	const yaml = `
buses:
  - {name: b, speed: 1MHz}
ports:
  - {name: p, bus: b, profile: osfp-800g-dr8}
`
	changed := func(s agent.Sample) bool {
		if s.Module == nil {
			return false
		}
		for _, l := range s.Module.Lanes {
			if l.Flags&(cmis.DataPathStateChanged|cmis.RxOutputStatusChanged) != 0 {
				return true
			}
		}
		return s.Module.Flags&cmis.ModuleStateChanged != 0
	}
	cases := []struct {
		name string
		// poweredFor is how long the module has been in its cage when the
		// agent starts; powerUp is how far the clock moves once the agent
		// has read it.
		poweredFor, powerUp time.Duration
		wantChange          bool
	}{
		{"started after the module powered up", time.Minute, 0, false},
		{"module powers up while watched", 0, 10 * time.Second, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			clk := vclock.New(t0)
			pl, err := emulator.ParsePlatform("test.yaml", []byte(yaml), emulator.WithClock(clk))
			if err != nil {
				t.Fatal(err)
			}
			clk.Advance(c.poweredFor)
			p := pl.Ports()[0]
			pg := i2c.NewPager(pl.Buses()[p.Bus], i2c.PagerOptions{Wait: vclock.Skip})
			_, rec, stop := runAgent(t, []agent.Port{{Name: p.Name, Bus: p.Bus, Addr: uint8(p.Address), Mem: pg.Module(uint8(p.Address))}},
				agent.Options{Interval: 50 * time.Millisecond, VDMInterval: 50 * time.Millisecond, Clock: clk})
			clk.Advance(100 * time.Millisecond) // 3 reads
			clk.Advance(c.powerUp)
			clk.Advance(100 * time.Millisecond)
			stop()
			rec.mu.Lock()
			defer rec.mu.Unlock()
			ss := rec.samples[p.Name]
			if len(ss) < 6 || ss[0].Module == nil {
				t.Fatalf("%d samples, first %+v", len(ss), ss[0])
			}
			sawChange := false
			for i, s := range ss {
				if i == 0 && changed(s) {
					t.Errorf("first read reports a change: module %v, lanes %v", s.Module.Flags, s.Module.Lanes[0].Flags)
				}
				sawChange = sawChange || changed(s)
			}
			if sawChange != c.wantChange {
				t.Errorf("a change reported: %v, want %v", sawChange, c.wantChange)
			}
			var h *agent.FlagHistory // the latest (VDM samples carry none)
			for _, s := range ss {
				if s.Flags != nil {
					h = s.Flags
				}
			}
			if h == nil {
				t.Fatal("no flag history")
			}
			if !c.wantChange {
				for lane, fl := range h.Lanes {
					if fl["data_path_state_changed"] != nil {
						t.Errorf("lane %d: the flag history counts the first read's data_path_state_changed", lane)
					}
				}
			}
		})
	}
}

// slowMemory makes every read of a module take a millisecond of the
// clock, as a bus transaction takes wire time.
type slowMemory struct {
	i2c.Memory
	clk vclock.Clock
}

func (m slowMemory) Read(ctx context.Context, addr, bank, page uint8, off int, p []byte) error {
	if err := m.clk.Sleep(ctx, time.Millisecond); err != nil {
		return err
	}
	return m.Memory.Read(ctx, addr, bank, page, off, p)
}

// TestAgentPassTime: a bus worker reports how long its last pass over the
// due ports took (the reads, a millisecond each here), not the time
// between two looks at it; while it waits for the next port it is busy
// with nothing and never stalled.
func TestAgentPassTime(t *testing.T) {
	const yaml = `
buses:
  - name: b
    speed: 1MHz
    muxes:
      - {address: 0x70, channels: [c1, c2, c3]}
ports:
  - {name: p1, bus: c1, profile: osfp-800g-dr8}
  - {name: p2, bus: c2, profile: qsfp28-100g-lr4}
  - {name: p3, bus: c3, profile: sfp28-25g}
`
	clk := vclock.New(t0)
	pl, err := emulator.ParsePlatform("test.yaml", []byte(yaml), emulator.WithClock(clk))
	if err != nil {
		t.Fatal(err)
	}
	var ports []agent.Port
	for _, p := range pl.Ports() {
		bus := pl.Buses()[p.Bus]
		pg := i2c.NewPager(bus, i2c.PagerOptions{Wait: vclock.Skip})
		ports = append(ports, agent.Port{Name: p.Name, Bus: bus.Root().String(), Mem: slowMemory{pg.Module(uint8(p.Address)), clk}})
	}
	interval := 200 * time.Millisecond
	a, _, stop := runAgent(t, ports, agent.Options{Interval: interval, VDMInterval: time.Second, Clock: clk})
	// Look half an interval after each pass started: it is over by then.
	clk.Advance(interval / 2)
	var passes []agent.BusProgress
	for range 8 {
		clk.Advance(interval)
		for _, p := range a.Progress() {
			passes = append(passes, p)
			if !p.BusySince.IsZero() || len(a.Stalled()) != 0 {
				t.Errorf("between passes: busy since %v, stalled %v", p.BusySince, a.Stalled())
			}
		}
	}
	stop()
	for i, p := range passes {
		if p.PassTime <= 0 || p.PassTime >= interval/2 || p.PassTime%time.Millisecond != 0 {
			t.Errorf("pass %d at %v took %v; want whole milliseconds of reads, more than 0 and less than half the %v interval", i, p.LastPass, p.PassTime, interval)
		}
		if want := t0.Add(time.Duration(i+1)*interval + p.PassTime); !p.LastPass.Equal(want) {
			t.Errorf("pass %d ended at %v, want %v (started on its interval, plus its reads)", i, p.LastPass, want)
		}
	}
	t.Logf("passes took %v to %v", passes[0].PassTime, passes[len(passes)-1].PassTime)
}

// hungLink is a module whose reads block and ignore their context, as a
// wedged adapter driver does, until release ends. They block on the clock:
// the test's virtual clock moves on while the bus stays stuck.
type hungLink struct {
	clk     vclock.Clock
	release context.Context
}

func (h hungLink) Transfer(ctx context.Context, a i2c.Access) (int, error) {
	_ = h.clk.Sleep(h.release, 1000*time.Hour)
	return 0, ctx.Err()
}
func (hungLink) String() string { return "hung" }

// TestAgentStalledBus: a bus whose read never returns is reported stalled
// once its pass runs past its budget (2 x ports x read timeout + 2 s), and
// not a moment before; a bus that only waits for its next read, however
// long the interval, is not.
func TestAgentStalledBus(t *testing.T) {
	clk := vclock.New(t0)
	release, unhang := context.WithCancel(context.Background())
	answered, answer := context.WithCancel(context.Background())
	answer() // answers at once (with an error), then waits a minute
	readTimeout := 50 * time.Millisecond
	a, _, stop := runAgent(t, []agent.Port{
		{Name: "stuck", Bus: "i2c-1", Mem: i2c.NewGuard(hungLink{clk, release}, i2c.GuardOptions{})},
		{Name: "idle", Bus: "i2c-2", Mem: i2c.NewGuard(hungLink{clk, answered}, i2c.GuardOptions{})},
	}, agent.Options{Interval: time.Minute, ReadTimeout: readTimeout, Clock: clk})
	defer func() { unhang(); stop() }()
	budget := 2*readTimeout + 2*time.Second
	clk.Advance(budget)
	if s := a.Stalled(); len(s) != 0 {
		t.Errorf("stalled %v after %v, the budget", s, budget)
	}
	clk.Advance(time.Millisecond)
	if s := a.Stalled(); len(s) != 1 || s[0] != "i2c-1" {
		t.Errorf("stalled %v a millisecond past the budget, want [i2c-1]", s)
	}
}

// corrupting flips a bit of the vendor name (page 00h byte 129) in every
// read of it while on is set: a static read then fails page 00h's checksum.
type corrupting struct {
	i2c.Memory
	on *atomic.Bool
}

func (c corrupting) Read(ctx context.Context, addr, bank, page uint8, off int, p []byte) error {
	err := c.Memory.Read(ctx, addr, bank, page, off, p)
	if c.on.Load() && err == nil && page == 0 && off <= 129 && off+len(p) > 129 {
		p[129-off] ^= 0x04
	}
	return err
}

// TestAgentKeepsLastGoodIdentity: a static re-read whose page 00h fails
// its checksum keeps the identity of the last good read (it used to
// publish a blank vendor and serial, the latest for a revalidation
// period), says so with a checksum_failed event, and reads the pages again
// soon; once the reads are clean the identity comes from them again.
func TestAgentKeepsLastGoodIdentity(t *testing.T) {
	clk := vclock.New(t0)
	pl, err := emulator.ParsePlatform("test.yaml", []byte("buses:\n  - {name: b, speed: 1MHz}\nports:\n  - {name: p, bus: b, profile: osfp-800g-dr8}\n"),
		emulator.WithClock(clk))
	if err != nil {
		t.Fatal(err)
	}
	p := pl.Ports()[0]
	pg := i2c.NewPager(pl.Buses()[p.Bus], i2c.PagerOptions{Wait: vclock.Skip})
	var on atomic.Bool
	_, rec, stop := runAgent(t, []agent.Port{{Name: "p", Bus: "b", Addr: 0x50, Mem: corrupting{pg.Module(0x50), &on}}},
		agent.Options{Interval: 50 * time.Millisecond, Revalidate: 200 * time.Millisecond, Clock: clk})
	statics := func() []agent.Sample {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		var out []agent.Sample
		for _, s := range rec.samples["p"] {
			if s.Kind == agent.KindStatic {
				out = append(out, s)
			}
		}
		return out
	}
	waitStatics := func(n int) {
		for i := 0; len(statics()) < n && i < 1000; i++ {
			clk.Advance(50 * time.Millisecond)
		}
	}
	waitStatics(1)
	good := statics()[0].Module
	if good.Vendor == "" || good.SerialNumber == "" {
		t.Fatalf("first read: vendor %q serial %q", good.Vendor, good.SerialNumber)
	}
	on.Store(true)
	waitStatics(4)
	on.Store(false)
	n := len(statics())
	waitStatics(n + 1)
	stop()
	failedEvents := 0
	for i, s := range statics() {
		if s.Module.Vendor != good.Vendor || s.Module.SerialNumber != good.SerialNumber {
			t.Errorf("static sample %d: vendor %q serial %q, want the last good %q %q", i, s.Module.Vendor, s.Module.SerialNumber, good.Vendor, good.SerialNumber)
		}
		for _, ev := range s.Events {
			if ev.Type == "checksum_failed" {
				failedEvents++
				if !strings.Contains(ev.Text, "page 00h failed its checksum on a static read; the last good copy is kept") {
					t.Errorf("event %q", ev.Text)
				}
			}
		}
	}
	if failedEvents == 0 {
		t.Error("no checksum_failed event")
	}
}

// TestAgentWallClockSteps: the wall clock steps back an hour, then forward
// ten minutes, while the agent runs. Samples carry the wall clock (their
// Time steps with it) and the steady clock (their Steady never does); the
// cadence is kept on the steady clock, so reads neither stop for the hour
// the wall clock repeats nor bunch up after the step forward; the step
// back is counted once, with its size.
func TestAgentWallClockSteps(t *testing.T) {
	const yaml = `
buses:
  - {name: b, speed: 1MHz}
ports:
  - {name: p, bus: b, profile: sfp28-25g}
`
	interval := time.Second
	// The module keeps its own time, which the host's clock steps do not
	// touch: the emulator reads the steady clock.
	clk := vclock.New(t0)
	pl, err := emulator.ParsePlatform("test.yaml", []byte(yaml), emulator.WithClock(steadyOf{clk}))
	if err != nil {
		t.Fatal(err)
	}
	p := pl.Ports()[0]
	pg := i2c.NewPager(pl.Buses()[p.Bus], i2c.PagerOptions{Wait: vclock.Skip})
	a, rec, stop := runAgent(t, []agent.Port{{Name: p.Name, Bus: p.Bus, Mem: pg.Module(uint8(p.Address))}}, agent.Options{Interval: interval, Clock: clk})
	clk.Advance(10 * time.Second)
	clk.Step(-time.Hour)
	clk.Advance(10 * time.Second)
	clk.Step(10 * time.Minute)
	clk.Advance(10 * time.Second)
	stop()
	rec.mu.Lock()
	defer rec.mu.Unlock()
	ss := rec.samples["p"]
	if len(ss) != 31 {
		t.Fatalf("%d samples in 30 s at %v, want 31", len(ss), interval)
	}
	for i, s := range ss {
		if want := t0.Add(time.Duration(i) * interval); !s.Steady.Equal(want) {
			t.Errorf("sample %d: steady %v, want %v", i, s.Steady, want)
		}
		var step time.Duration
		switch {
		case i > 20:
			step = -50 * time.Minute
		case i > 10:
			step = -time.Hour
		}
		if want := s.Steady.Add(step); !s.Time.Equal(want) {
			t.Errorf("sample %d: time %v, want %v", i, s.Time, want)
		}
	}
	if st := a.ClockSteps(); st.Back != 1 || st.Last != time.Hour {
		t.Errorf("clock steps %+v, want one of 1h back", st)
	}
}

// steadyOf reads a virtual clock's steady time as the emulator's clock.
type steadyOf struct{ v *vclock.Virtual }

func (c steadyOf) Now() time.Time { return t0.Add(c.v.Steady()) }

// slowPolls makes each poll of the VDM freeze status (2Fh:145) take real
// time, as on a loaded machine.
type slowPolls struct {
	i2c.Memory
	d time.Duration
}

func (m slowPolls) Read(ctx context.Context, addr, bank, page uint8, off int, p []byte) error {
	if page == 0x2F && off == 145 {
		time.Sleep(m.d)
	}
	return m.Memory.Read(ctx, addr, bank, page, off, p)
}

// TestAgentFreezeTimeoutOnVirtualTime: on virtual time the VDM freeze
// handshake is timed on the virtual clock alone. A module that confirms in
// half the timeout is read, however slowly the machine runs the polls (here
// each poll takes longer in real time than the whole timeout); one that
// needs four times the timeout is paused, with its event.
func TestAgentFreezeTimeoutOnVirtualTime(t *testing.T) {
	const freeze = 8 * time.Millisecond
	for _, c := range []struct {
		name    string
		delay   time.Duration
		timeout bool
	}{
		{"in time", freeze / 2, false},
		{"too slow", 4 * freeze, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			clk := vclock.New(t0)
			m, err := emulator.NewModule("osfp-800g-dr8", emulator.WithClock(clk), emulator.WithInsertion(t0.Add(-time.Hour)),
				emulator.WithFaults(emulator.Fault{Kind: emulator.FaultSlowFreeze, Delay: c.delay}))
			if err != nil {
				t.Fatal(err)
			}
			bus := emulator.NewBus("b", 0, clk)
			m.AttachTo(bus)
			mem := slowPolls{i2c.NewPager(bus, i2c.PagerOptions{Wait: vclock.Skip}).Module(0x50), 2 * freeze}
			_, rec, stop := runAgent(t, []agent.Port{{Name: "p", Bus: "b", Mem: mem}},
				agent.Options{Interval: time.Second, VDMInterval: time.Second, FreezeTimeout: freeze, Clock: clk})
			clk.Advance(2500 * time.Millisecond) // VDM reads at 0, 1 and 2 s
			stop()
			rec.mu.Lock()
			defer rec.mu.Unlock()
			values, paused := 0, 0
			for _, s := range rec.samples["p"] {
				if s.Kind == agent.KindVDM && len(s.Module.VDM) > 0 && s.Err == nil {
					values++
				}
				for _, ev := range s.Events {
					if ev.Type == "vdm_paused" {
						paused++
					}
				}
			}
			if c.timeout && (paused != 1 || values != 0) {
				t.Errorf("freeze in %v, timeout %v: %d vdm_paused events, %d VDM reads; want 1 and 0", c.delay, freeze, paused, values)
			}
			if !c.timeout && (paused != 0 || values != 3) {
				t.Errorf("freeze in %v, timeout %v: %d vdm_paused events, %d VDM reads; want 0 and 3", c.delay, freeze, paused, values)
			}
		})
	}
}
