package agent_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"

	"github.com/ddm-agent/ddm/agent"
	"github.com/ddm-agent/ddm/emulator"
	"github.com/ddm-agent/ddm/i2c"
	"github.com/ddm-agent/ddm/internal/vclock"
)

// fakePin is a kernel-like gpio.PinIn (WaitForEdge in real time) whose
// edges the test fires.
type fakePin struct {
	gpio.PinIn // the rest of the interface: unused
	edges      chan struct{}
}

func (p *fakePin) Name() string { return "GPIO17" }

func (p *fakePin) WaitForEdge(timeout time.Duration) bool {
	select {
	case <-p.edges:
		return true
	case <-time.After(timeout):
		return false
	}
}

// intlRig is a platform's ports under an agent with a flagRecorder, on one
// virtual clock, with the ports named in pins wired to the platform's GPIO
// of that name (emulator.IntLPrefix and the port: its own IntL), through
// wrap when it is set.
func intlRig(t *testing.T, yaml string, opts agent.Options, pins map[string]string, wrap func(*vclock.Virtual, gpio.PinIn) gpio.PinIn) (*agent.Agent, *flagRecorder, *vclock.Virtual, *emulator.Platform, []agent.Port) {
	t.Helper()
	clk, pl := virtualPlatform(t, yaml)
	opts.Clock = clk
	ports := platformPorts(pl)
	for i := range ports {
		name, ok := pins[ports[i].Name]
		if !ok {
			continue
		}
		pin, err := pl.GPIO(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := pin.In(gpio.PullUp, gpio.FallingEdge); err != nil {
			t.Fatal(err)
		}
		ports[i].Interrupt = pin
		if wrap != nil {
			ports[i].Interrupt = wrap(clk, pin)
		}
	}
	rec := &flagRecorder{recorder: recorder{samples: map[string][]agent.Sample{}}}
	a, err := agent.New(ports, rec, opts)
	if err != nil {
		t.Fatal(err)
	}
	return a, rec, clk, pl, ports
}

// ownIntL wires each named port to its own IntL.
func ownIntL(ports ...string) map[string]string {
	m := map[string]string{}
	for _, p := range ports {
		m[p] = emulator.IntLPrefix + p
	}
	return m
}

// onsetDelays returns, per port and lane ("dr8 lane 6", as countFlaps
// names them) and for all lanes under "", how long after its pulse's onset
// each rx_los event was read, by a scan or not, sorted.
func onsetDelays(pl *emulator.Platform, rec *flagRecorder) map[string][]time.Duration {
	onsets := map[string][]time.Time{}
	for _, p := range pl.Ports() {
		if pl.Module(p.Name) == nil {
			continue
		}
		for _, o := range pl.Module(p.Name).Onsets() {
			k := fmt.Sprintf("%s lane %d", p.Name, o.Lane)
			onsets[k] = append(onsets[k], o.At)
		}
	}
	rec.fmu.Lock()
	defer rec.fmu.Unlock()
	out := map[string][]time.Duration{}
	for _, e := range rec.events {
		if e.Flag != "rx_los" {
			continue
		}
		k := fmt.Sprintf("%s lane %d", e.Port, e.Lane)
		var at time.Time
		for _, o := range onsets[k] {
			if !o.After(e.Time) && o.After(e.Since) {
				at = o
			}
		}
		if !at.IsZero() {
			out[k] = append(out[k], e.Time.Sub(at))
			out[""] = append(out[""], e.Time.Sub(at))
		}
	}
	for _, d := range out {
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	}
	return out
}

// atOnset counts the delays of 0: events read at their onset's instant.
func atOnset(d []time.Duration) int {
	n := 0
	for _, x := range d {
		if x == 0 {
			n++
		}
	}
	return n
}

// quantile of sorted durations.
func quantile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	return d[min(int(q*float64(len(d))), len(d)-1)]
}

// portEvents returns the events of a type in a port's samples.
func portEvents(rec *flagRecorder, port, typ string) []agent.Event {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var out []agent.Event
	for _, s := range rec.samples[port] {
		for _, ev := range s.Events {
			if ev.Type == typ {
				out = append(out, ev)
			}
		}
	}
	return out
}

var flapPorts = []string{"dr8", "xd", "qsfp", "stuck", "quiet"}

// flapsByEdge runs flapYAML for span with every port's flag scan on its
// own IntL: pulses injected and counted per lane, the onset delays, the
// agent's samples and ports.
func flapsByEdge(t *testing.T, span time.Duration, pins map[string]string) (injected, counted map[string]int, delays map[string][]time.Duration, rec *flagRecorder, ports []agent.Port) {
	t.Helper()
	a, rec, clk, pl, ports := intlRig(t, flapYAML, agent.Options{Interval: time.Second}, pins, nil)
	runFor(a, clk, span)
	injected, counted = countFlaps(pl, rec, span)
	return injected, counted, onsetDelays(pl, rec), rec, ports
}

// TestAgentFlapsCountedByEdge: the flaps of TestAgentFlapsCounted with the
// flag scan driven by each module's IntL on an emulated GPIO, no timer
// scan of a port while its flags are clear: every pulse counted once, three
// in four or more read at the very instant of their onset (the scan reads
// the VDM flags that would hold the line low), the fast cadence of every
// healthy port exactly 1 s, the quiet port never scanned (its only reads
// are its fast reads), and no pin reported silent.
func TestAgentFlapsCountedByEdge(t *testing.T) {
	span := 2 * time.Minute
	injected, counted, delays, rec, _ := flapsByEdge(t, span, ownIntL(flapPorts...))
	total := checkFlaps(t, injected, counted, rec, span)
	// The edge scans the port at the onset's instant, unless the port was
	// still on the timer: an event of its still open (a pulse on its other
	// lane, or the previous one ended less than half a flag interval before
	// its last scan).
	all := delays[""]
	if n := atOnset(all); len(all) < total || n < total*3/4 || quantile(all, 0.99) > 100*time.Millisecond {
		t.Errorf("%d events of %d pulses read at their onset's instant, p99 %v after it; want most at once, all within the flag interval",
			n, total, quantile(all, 0.99))
	}
	for _, port := range flapPorts {
		if ev := portEvents(rec, port, agent.EventInterruptSilent); len(ev) > 0 {
			t.Errorf("%s: %v (its pin works)", port, ev)
		}
	}
	// The scans on IntL read (and clear) the VDM flags; the VDM reads
	// report them all the same: as on the timer, which leaves them to the
	// VDM read.
	_, _, _, timerRec, _ := flapsByEdge(t, span, nil)
	for _, port := range []string{"dr8", "xd"} {
		edge, timer := vdmFlags(rec, port), vdmFlags(timerRec, port)
		if len(timer) == 0 || fmt.Sprint(edge) != fmt.Sprint(timer) {
			t.Errorf("%s: VDM flags in VDM samples on IntL\n%v\non the timer\n%v", port, edge, timer)
		}
	}
}

// vdmFlags lists the VDM flags of a port's VDM samples, by read time.
func vdmFlags(rec *flagRecorder, port string) []string {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var out []string
	for _, s := range rec.samples[port] {
		if s.Kind != agent.KindVDM || s.Module == nil {
			continue
		}
		for _, v := range s.Module.VDM {
			if v.Flags != 0 {
				out = append(out, fmt.Sprintf("%s %s/%d:%v", s.Time.Sub(t0), v.Observable, v.Lane, v.Flags))
			}
		}
	}
	return out
}

// TestAgentQuietPortNotScanned compares the quiet module's transactions
// with its IntL wired and without: the timer scans it ten times a second,
// the pin not at all.
func TestAgentQuietPortNotScanned(t *testing.T) {
	span := 30 * time.Second
	transactions := func(pins map[string]string) int64 {
		a, _, clk, _, ports := intlRig(t, flapYAML, agent.Options{Interval: time.Second}, pins, nil)
		runFor(a, clk, span)
		for _, p := range ports {
			if p.Name == "quiet" {
				return p.Mem.Stats().Transactions
			}
		}
		return 0
	}
	byTimer, byEdge := transactions(nil), transactions(ownIntL(flapPorts...))
	if scans := int64(span / (100 * time.Millisecond)); byTimer-byEdge < scans*9/10 {
		t.Errorf("quiet module: %d transactions scanned on the timer, %d on its IntL; want the %d scans fewer", byTimer, byEdge, scans)
	}
}

// silentUntil is a pin that gives no edge before a time of the clock (a
// wire fixed then), and the emulated IntL after.
type silentUntil struct {
	*emulator.IntLPin
	clk   *vclock.Virtual
	until time.Time
}

// Read is high while the wire is broken (the host's pull-up).
func (p *silentUntil) Read() gpio.Level {
	if p.clk.Now().Before(p.until) {
		return gpio.High
	}
	return p.IntLPin.Read()
}

func (p *silentUntil) WaitForEdgeContext(ctx context.Context) bool {
	if d := p.until.Sub(p.clk.Now()); d > 0 {
		_ = p.clk.Sleep(ctx, d)
		// What latched while the wire was broken gave no edge.
		_ = p.IntLPin.In(gpio.PullUp, gpio.FallingEdge)
		return false
	}
	return p.IntLPin.WaitForEdgeContext(ctx)
}

// TestAgentSilentPin: a port whose configured GPIO never fires (the IntL
// of an empty cage named by mistake, or a broken wire) is not left to its
// fast reads: the first read that finds a flap no edge announced puts the
// port on the scan timer, so at most the flaps before that read are
// merged; after three such reads the port's sample says so (a warning in
// the journal) once. A pin that starts firing again takes the port back to
// edge scans and says so.
func TestAgentSilentPin(t *testing.T) {
	yaml := flapYAML + "  - {port: quiet, kind: los_pulses, lane: 4, start: 10s}\n"
	yaml = strings.Replace(yaml, "ports:\n", "ports:\n  - {name: empty, bus: b, address: 0x5a, absent: true}\n", 1)
	span := 2 * time.Minute
	for _, tc := range []struct {
		name      string
		fixedAt   time.Duration // 0: never
		recovered bool
	}{
		{"never fires", 0, false},
		{"fixed at 60s", time.Minute, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pins := ownIntL("xd", "qsfp", "stuck")
			pins["dr8"] = "IntL-empty"
			var wrap func(*vclock.Virtual, gpio.PinIn) gpio.PinIn
			if tc.fixedAt > 0 {
				// quiet's own IntL, silent until fixedAt.
				pins["quiet"] = "IntL-quiet"
				wrap = func(clk *vclock.Virtual, p gpio.PinIn) gpio.PinIn {
					ip := p.(*emulator.IntLPin)
					if ip.Name() != "IntL-quiet" {
						return p
					}
					return &silentUntil{IntLPin: ip, clk: clk, until: t0.Add(tc.fixedAt)}
				}
			} else {
				pins["quiet"] = "IntL-empty"
			}
			a, rec, clk, pl, _ := intlRig(t, yaml, agent.Options{Interval: time.Second}, pins, wrap)
			runFor(a, clk, span)
			injected, counted := countFlaps(pl, rec, span)
			for k, n := range injected {
				// A flap is at most 0.2 + 0.03 s: before the first fast
				// read after the first onset, at most 4 merge into one.
				if lost := n - counted[k]; lost < 0 || lost > 3 {
					t.Errorf("%s: %d pulses injected, %d counted", k, n, counted[k])
				}
			}
			for _, port := range []string{"dr8", "quiet"} {
				silent := portEvents(rec, port, agent.EventInterruptSilent)
				if len(silent) != 1 || !strings.Contains(silent[0].Text, "interrupt gpio IntL-") {
					t.Errorf("%s: silent events %v, want one naming the pin", port, silent)
				}
				rec := portEvents(rec, port, agent.EventInterruptRecovered)
				if want := tc.recovered && port == "quiet"; (len(rec) == 1) != want || len(rec) > 1 {
					t.Errorf("%s: recovered events %v, want recovered %v", port, rec, want)
				}
			}
			for _, port := range []string{"xd", "qsfp", "stuck"} {
				if ev := portEvents(rec, port, agent.EventInterruptSilent); len(ev) > 0 {
					t.Errorf("%s: %v (its pin works)", port, ev)
				}
			}
		})
	}
}

// TestAgentInterruptScan: a kernel GPIO (WaitForEdge in real time) that
// gives no edge while its module's lane flaps is not trusted: the port is
// scanned on the timer and its sample says the pin is silent; then an
// edge just after an onset scans the port at once, with virtual time
// standing still, and the port is back on its edges. Its neighbour on the
// bus keeps the timer.
func TestAgentInterruptScan(t *testing.T) {
	const yaml = `
buses:
  - {name: b, speed: 400kHz}
ports:
  - {name: intl, bus: b, profile: osfp-800g-dr8}
  - {name: timer, bus: b, address: 0x52, profile: osfp-800g-dr8}
scenarios:
  - {port: intl, kind: los_pulses, lane: 2, start: 10s}
  - {port: timer, kind: los_pulses, lane: 2, start: 10s}
`
	// The platform and its clock from scanRig; the agent again, with a pin
	// on "intl".
	_, _, vc, pl := scanRig(t, yaml, agent.Options{Interval: time.Second}, false)
	pin := &fakePin{edges: make(chan struct{})}
	ports := platformPorts(pl)
	var intlMem i2c.Memory
	for i := range ports {
		if ports[i].Name == "intl" {
			ports[i].Interrupt = pin
			intlMem = ports[i].Mem
		}
	}
	rec := &flagRecorder{recorder: recorder{samples: map[string][]agent.Sample{}}}
	a, err := agent.New(ports, rec, agent.Options{Interval: time.Second, Clock: vc})
	if err != nil {
		t.Fatal(err)
	}
	stop := start(a, vc)
	defer stop()
	vc.Advance(time.Minute)
	scans := func(port string) (n int) {
		rec.fmu.Lock()
		defer rec.fmu.Unlock()
		for _, e := range rec.events {
			if e.Port == port && e.Scan {
				n++
			}
		}
		return n
	}
	if n := scans("intl"); n < 30 {
		t.Errorf("%d scan events on the port whose pin gave no edge for a minute of flaps, want it on the timer", n)
	}
	if ev := portEvents(rec, "intl", agent.EventInterruptSilent); len(ev) != 1 || !strings.Contains(ev[0].Text, "gpio GPIO17") {
		t.Errorf("silent events %v", ev)
	}
	// IntL fires 1 ms after the next onset of intl's lane 2: the edge scans
	// the port at once, with virtual time standing still.
	for n := len(pl.Module("intl").Onsets()); len(pl.Module("intl").Onsets()) == n; {
		vc.Advance(time.Millisecond)
	}
	vc.Advance(time.Millisecond)
	// Time stands still: no fast read or timer scan can run, so reads of
	// the port now are the edge's scan: the summaries, and page 11h of
	// bank 0, which they show latched.
	before := intlMem.Stats()
	pin.edges <- struct{}{}
	if !settle(func() bool { return intlMem.Stats().Transactions > before.Transactions }) {
		t.Fatal("the edge did not scan the port within a second")
	}
	settle(func() bool { return intlMem.Stats().BytesRead-before.BytesRead >= 11+20 })
	if got := intlMem.Stats().Sub(before).BytesRead; got != 11+20 {
		t.Errorf("the edge's scan read %d bytes, want 11 (summaries) + 20 (bank 0's lane flags)", got)
	}
	vc.Advance(2 * time.Second)
	if ev := portEvents(rec, "intl", agent.EventInterruptRecovered); len(ev) != 1 {
		t.Errorf("recovered events %v, want one", ev)
	}
}

// TestAgentFlapsFigureByEdge prints the GPIO mode's "flaps counted" figure
// of docs/BENCHMARKS.md: pulses injected and counted with every port's
// flag scan on its module's IntL (an emulated GPIO), and how long after
// its onset each was read, beside the timer scan at 100 ms, on virtual
// time.
//
//	go test -run TestAgentFlapsFigureByEdge -v ./agent/
func TestAgentFlapsFigureByEdge(t *testing.T) {
	span := 10 * time.Minute
	if testing.Short() {
		span = time.Minute
	}
	in, byEdge, edgeDelays, _, _ := flapsByEdge(t, span, ownIntL(flapPorts...))
	_, byTimer, timerDelays, _, _ := flapsByEdge(t, span, nil)
	var keys []string
	for k := range in {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	fmt.Fprintf(&b, "%-14s %9s %16s %17s %18s\n", "lane", "injected", "counted (IntL)", "counted (timer)", "read at onset (IntL)")
	var ti, te, tt int
	for _, k := range keys {
		fmt.Fprintf(&b, "%-14s %9d %16d %17d %18d\n", k, in[k], byEdge[k], byTimer[k], atOnset(edgeDelays[k]))
		ti, te, tt = ti+in[k], te+byEdge[k], tt+byTimer[k]
	}
	fmt.Fprintf(&b, "%-14s %9d %16d %17d %18d\n", "total", ti, te, tt, atOnset(edgeDelays[""]))
	e, tm := edgeDelays[""], timerDelays[""]
	fmt.Fprintf(&b, "onset to read: IntL p50 %v p99 %v max %v; timer p50 %v p99 %v max %v\n",
		quantile(e, 0.5), quantile(e, 0.99), quantile(e, 1), quantile(tm, 0.5), quantile(tm, 0.99), quantile(tm, 1))
	t.Logf("flaps counted over %v of virtual time (down 30-300 ms, up 0.2-2 s), scans on IntL edges vs every 100 ms:\n%s", span, b.String())
	if te != ti {
		t.Errorf("on IntL edges %d of %d counted", te, ti)
	}
}

func (p *fakePin) Read() gpio.Level { return gpio.High }

// brokenPin is a kernel GPIO whose wait fails at once: periph's sysfs and
// ioctl pins return false without waiting when the wait itself errs (the
// ioctl one logging it on each call).
type brokenPin struct {
	gpio.PinIn // the rest of the interface: unused
	waits      atomic.Int64
}

func (p *brokenPin) Name() string { return "GPIO27" }

func (p *brokenPin) WaitForEdge(time.Duration) bool {
	p.waits.Add(1)
	return false
}

func (p *brokenPin) Read() gpio.Level { return gpio.High }

// TestAgentBrokenPinDoesNotSpin: a kernel GPIO whose WaitForEdge fails at
// once is waited on at the edge poll's pace, not in a loop that takes a
// core (and, for periph's ioctl pins, floods the journal with a log line a
// call). Before: some hundred thousand waits in 300 ms.
func TestAgentBrokenPinDoesNotSpin(t *testing.T) {
	const yaml = `
buses:
  - {name: b, speed: 400kHz}
ports:
  - {name: intl, bus: b, profile: osfp-800g-dr8}
`
	_, _, vc, pl := scanRig(t, yaml, agent.Options{Interval: time.Second}, false)
	pin := &brokenPin{}
	ports := platformPorts(pl)
	ports[0].Interrupt = pin
	a, err := agent.New(ports, &recorder{samples: map[string][]agent.Sample{}}, agent.Options{Interval: time.Second, Clock: vc})
	if err != nil {
		t.Fatal(err)
	}
	stop := start(a, vc)
	// The pin's goroutine waits in real time (a kernel pin blocks in the
	// kernel): 300 ms of it are at most 3 polls of 200 ms.
	time.Sleep(300 * time.Millisecond)
	stop()
	if n := pin.waits.Load(); n > 4 {
		t.Errorf("%d waits on a failing pin in 300 ms, want at most 4 (one per edge poll)", n)
	}
}
