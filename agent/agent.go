// Package agent is the polling scheduler: one worker per bus (buses in
// parallel, the ports of a bus in turn), each port on its own cadences —
// fast monitors and latched flags, VDM inside the freeze handshake, static
// pages at insertion and when the module's state or firmware changes — with
// presence and hot-plug detection, per-port health and backoff, and
// latched-flag accumulation. It hands every result to an Observer and never
// waits for one: the exporter and the alarm engine must not slow the bus.
package agent

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"periph.io/x/conn/v3/gpio"

	"github.com/ddm-agent/ddm/cmis"
	"github.com/ddm-agent/ddm/i2c"
	"github.com/ddm-agent/ddm/internal/vclock"
	"github.com/ddm-agent/ddm/modread"
)

// Port is one module cage.
type Port struct {
	Name string
	// Bus groups ports that share a wire: ports of one bus are polled in
	// turn by one worker, different buses in parallel.
	Bus string
	// Addr is the device address of the module (0x50).
	Addr uint8
	Mem  i2c.Memory
	// Forget, if set, is called when the module is removed or inserted, so
	// the transport drops cached state (the pager's selected page).
	Forget func()
	// NoFreeze: the transport cannot write (ethtool netlink), so VDM is
	// read without the freeze handshake.
	NoFreeze bool
	// Interrupt is the GPIO the module's IntL is wired to, configured for
	// edges (interrupt.go): the flag scan of this port runs on its edge
	// instead of the scan timer. nil: the timer.
	Interrupt gpio.PinIn
}

// Options set the cadences. Zero values mean the defaults.
type Options struct {
	Interval    time.Duration // fast cadence, default 1s
	VDMInterval time.Duration // default 10s
	Revalidate  time.Duration // static re-check, default 10m
	// AbsentInterval is how often an empty cage is probed; default the fast
	// interval (a probe is one 1-byte read).
	AbsentInterval time.Duration
	// MaxBackoff bounds the retry interval of a module that keeps failing
	// while present; default 30s.
	MaxBackoff time.Duration
	// ReadTimeout bounds one port's reads in one cycle; default the larger
	// of interval/2 and 500 ms.
	ReadTimeout time.Duration
	// FreezeTimeout bounds each half of the VDM freeze handshake; default
	// modread.DefaultFreezeTimeout. A module that misses it has its VDM
	// reads paused for ten VDM intervals (at least a minute).
	FreezeTimeout time.Duration
	// FlagInterval is the flag scan's period between fast reads (scan.go);
	// default DefaultFlagInterval, negative turns the scan off.
	FlagInterval time.Duration
	// ScanBudget is the share of each bus's time the fast reads and the
	// flag scans may take together before the scan stretches; default
	// DefaultScanBudget.
	ScanBudget float64
	// AbsentAfter: a present module that NACKs every try for this many
	// reads in a row is taken as removed; default 3.
	AbsentAfter int
	// Clock is what the agent reads and waits on: its wall clock stamps
	// samples, its steady clock measures durations, and every wait (the
	// next port due, read timeouts, NACK backoff inside the reader, VDM
	// freeze polls) is on it. nil means the machine's clock; tests and
	// `ddm rules test` pass a vclock.Virtual and step it.
	Clock vclock.Clock
}

// The default cadences: the agent's when Options leaves them zero, and
// the configuration's when neither the file nor a flag sets them.
const (
	DefaultInterval    = time.Second
	DefaultVDMInterval = 10 * time.Second
	DefaultRevalidate  = 10 * time.Minute
)

func (o Options) withDefaults() Options {
	if o.Interval == 0 {
		o.Interval = DefaultInterval
	}
	if o.VDMInterval == 0 {
		o.VDMInterval = DefaultVDMInterval
	}
	if o.Revalidate == 0 {
		o.Revalidate = DefaultRevalidate
	}
	if o.AbsentInterval == 0 {
		o.AbsentInterval = o.Interval
	}
	if o.MaxBackoff == 0 {
		o.MaxBackoff = 30 * time.Second
	}
	if o.ReadTimeout == 0 {
		// A guard against a hung bus, not a budget: a module read takes a few
		// ms of bus time, but on a busy host the agent may wait for a CPU, and
		// a read cut short counts as a failure (with backoff).
		o.ReadTimeout = max(o.Interval/2, 500*time.Millisecond)
	}
	if o.FreezeTimeout == 0 {
		o.FreezeTimeout = modread.DefaultFreezeTimeout
	}
	if o.FlagInterval == 0 {
		o.FlagInterval = DefaultFlagInterval
	}
	if o.ScanBudget <= 0 || o.ScanBudget > 1 {
		o.ScanBudget = DefaultScanBudget
	}
	if o.AbsentAfter == 0 {
		o.AbsentAfter = modread.DefaultAbsentAfter
	}
	if o.Clock == nil {
		o.Clock = vclock.NewReal()
	}
	return o
}

// Observer receives every sample and event. It is called from the bus
// workers and must return quickly (queue, don't write to the network).
type Observer interface {
	Observe(Sample)
}

// ObserverFunc adapts a function.
type ObserverFunc func(Sample)

// Observe implements Observer.
func (f ObserverFunc) Observe(s Sample) { f(s) }

// Kind says what a sample holds.
type Kind int

// Sample kinds.
const (
	KindFast   Kind = iota // monitors and flags
	KindVDM                // VDM observables (and the fast data of the same read)
	KindStatic             // static pages were (re)read: identity, thresholds
	KindAbsent             // the cage is empty
	KindError              // the module is present but could not be read
)

func (k Kind) String() string {
	return [...]string{"fast", "vdm", "static", "absent", "error"}[k]
}

// Sample is the outcome of one port's read.
type Sample struct {
	Port string
	Bus  string
	Kind Kind
	// Time is when the bytes were read (the end of the read), on the wall
	// clock: it stamps the points.
	Time time.Time
	// Steady is the same instant on the agent's steady clock (the wall
	// clock at start advanced by the monotonic clock): unlike Time it
	// never steps back, so durations between samples (alarm rules) are
	// measured on it.
	Steady time.Time
	// Module is the decoded module (fast data laid over the cached static
	// pages); nil when absent.
	Module *cmis.Module
	// Flags accumulates latched flags since the module was inserted.
	Flags *FlagHistory
	// FlagEvents are the flags this read saw set after a read that saw
	// them clear (a FlagObserver gets them too, with the flag scans').
	FlagEvents []FlagEvent
	// Events that happened with this sample (insertion, removal, state).
	Events []Event
	// IO is the I/O of this read (fast and static samples; a VDM read in
	// flight at the same time is included). IOTotal is the port's I/O since
	// start, the figure to sum for per-bus telemetry.
	IO      i2c.Stats
	IOTotal i2c.Stats
	// Err is the read error (KindError, KindAbsent), or a partial failure.
	Err error
	// Health of the port after this sample.
	Health Health
}

// Health is a port's reading record.
type Health struct {
	LastGood            time.Time
	ConsecutiveFailures int
	// NextAttempt is when the port will be read again (backoff), on the
	// wall clock.
	NextAttempt time.Time
}

// Event is something that happened to a port.
type Event struct {
	Time time.Time
	Type string // inserted, removed, state_changed, firmware_changed, static_changed, read_failed, recovered
	Text string
}

// Agent polls ports.
type Agent struct {
	opts  Options
	obs   Observer
	buses map[string][]*portState

	clock *clock

	mu       sync.Mutex
	lastTick map[string]time.Time // per bus: last completed cycle
	progress map[string]*BusProgress

	runCtx context.Context // Run's context, for the VDM goroutines
	wg     sync.WaitGroup  // the VDM goroutines
}

// New returns an agent for ports. Ports with the same Bus are polled by
// one worker, in the order given.
func New(ports []Port, obs Observer, opts Options) (*Agent, error) {
	a := &Agent{opts: opts.withDefaults(), obs: obs, buses: map[string][]*portState{}, lastTick: map[string]time.Time{},
		progress: map[string]*BusProgress{}}
	a.clock = newClock(a.opts.Clock)
	names := map[string]bool{}
	for _, p := range ports {
		if names[p.Name] {
			return nil, fmt.Errorf("agent: port %q listed twice", p.Name)
		}
		if p.Mem == nil {
			return nil, fmt.Errorf("agent: port %q has no transport", p.Name)
		}
		names[p.Name] = true
		// A port scanned on IntL reads the VDM flags its summaries show,
		// or they hold the line low until the VDM read (interrupt.go).
		reader := modread.New(p.Mem, modread.Options{NoFreeze: p.NoFreeze, FreezeTimeout: a.opts.FreezeTimeout,
			Wait: a.opts.Clock.Sleep, WithTimeout: a.opts.Clock.WithTimeout, ScanVDMFlags: p.Interrupt != nil})
		a.buses[p.Bus] = append(a.buses[p.Bus], &portState{port: p, reader: reader, agent: a, vdmInterval: a.opts.VDMInterval})
	}
	for bus := range a.buses {
		a.progress[bus] = &BusProgress{}
	}
	return a, nil
}

// BusProgress is what a bus worker has done and is doing.
type BusProgress struct {
	// LastPass is when the worker last finished a pass over the ports that
	// were due (wall clock), and PassTime how long that pass took: the
	// reads, not the wait until the next port falls due.
	LastPass time.Time
	PassTime time.Duration
	// BusySince is when the pass in progress started (steady clock); zero
	// while the worker waits for the next port to fall due.
	BusySince time.Time
	// CyclePeriod is the longest time between the starts of a port's last
	// two fast reads, over the bus's ports: the achieved fast cadence.
	CyclePeriod time.Duration
	// ScanPeriod is the time between the starts of the last two complete
	// flag-scan rounds (every port scanned once): the achieved scan
	// period, longer than Options.FlagInterval when the scan stretched.
	ScanPeriod time.Duration
	// ScanRounds counts complete scan rounds.
	ScanRounds int64
	// ScanStretched: the last round's reads left too little of the bus's
	// budget to keep FlagInterval, so the next starts later.
	ScanStretched bool
	// Utilisation is the share of the time the bus spent on the wire
	// (every read: fast, VDM, scans) over the last whole fast cycle (from
	// a pass of fast reads to the first a fast interval, and a flag
	// interval, later): what the scan's stretch keeps within ScanBudget
	// (within a scan round of it; above it only when the other reads
	// alone take more, above 1 only on an emulated bus that does not pace
	// its wire time).
	Utilisation float64
}

// Progress returns each bus worker's progress.
func (a *Agent) Progress() map[string]BusProgress {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make(map[string]BusProgress, len(a.progress))
	for k, v := range a.progress {
		p := *v
		for _, ps := range a.buses[k] {
			p.CyclePeriod = max(p.CyclePeriod, ps.scan.gap)
		}
		out[k] = p
	}
	return out
}

// passBudget bounds a pass over n ports: each port's reads are cut at
// ReadTimeout (VDM reads run beside the pass), so a pass that runs twice
// that and 2 s more (a starved CPU) is stuck in the kernel or the driver,
// beyond what a context can cancel. The systemd watchdog adds its own
// WatchdogSec before it acts.
func (a *Agent) passBudget(n int) time.Duration {
	return 2*time.Duration(n)*a.opts.ReadTimeout + 2*time.Second
}

// Stalled lists the buses whose pass in progress has run past its budget
// (a hung adapter): the systemd watchdog is fed only while there are none.
// A worker waiting for its next port to fall due is never stalled, however
// long the interval.
func (a *Agent) Stalled() []string {
	_, now := a.clock.now()
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []string
	for bus, p := range a.progress {
		if !p.BusySince.IsZero() && now.Sub(p.BusySince) > a.passBudget(len(a.buses[bus])) {
			out = append(out, bus)
		}
	}
	sort.Strings(out)
	return out
}

// Started reports whether every bus worker has finished a pass.
func (a *Agent) Started() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, p := range a.progress {
		if p.LastPass.IsZero() {
			return false
		}
	}
	return true
}

// ClockSteps reports the backward steps of the wall clock seen so far.
func (a *Agent) ClockSteps() ClockSteps { return a.clock.steps() }

// Buses lists the bus names.
func (a *Agent) Buses() []string {
	var out []string
	for b := range a.buses {
		out = append(out, b)
	}
	sort.Strings(out)
	return out
}

// Run polls until ctx ends. Each bus has its own goroutine.
func (a *Agent) Run(ctx context.Context) error {
	a.runCtx = ctx
	defer a.wg.Wait() // VDM reads in flight finish (they release the freeze)
	var wg sync.WaitGroup
	// The workers start together: on a virtual clock no worker's first
	// pass may be seen as the whole agent waiting before the others exist.
	start := make(chan struct{})
	for bus, ports := range a.buses {
		wg.Add(1)
		a.opts.Clock.Go(func() {
			defer wg.Done()
			<-start
			a.runBus(ctx, bus, ports)
		})
	}
	close(start)
	wg.Wait()
	return ctx.Err()
}

// LastCycles returns, per bus, when its worker last completed a cycle. The
// systemd watchdog is pinged only while every bus makes progress, so a hung
// bus trips it.
func (a *Agent) LastCycles() map[string]time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make(map[string]time.Time, len(a.lastTick))
	for k, v := range a.lastTick {
		out[k] = v
	}
	return out
}

// runBus is one bus worker: it reads every port that is due, in turn, then
// sleeps until the next port is due.
//
// Ports fall due on the steady clock: a step of the wall clock (back or
// forward) neither stalls the cadence nor bunches reads.
func (a *Agent) runBus(ctx context.Context, bus string, ports []*portState) {
	now := a.clock.steady()
	for _, ps := range ports {
		ps.nextFast = now
	}
	prog := a.progress[bus]
	var sc busScan
	wake := a.watchInterrupts(ctx, ports)
	for {
		now = a.clock.steady()
		if a.scanning() && fastDue(ports, now) {
			a.notePass(bus, ports, &sc, now)
		}
		var passStart time.Time // steady
		for _, ps := range ports {
			if ctx.Err() != nil {
				return
			}
			if !now.Before(ps.nextFast) {
				if passStart.IsZero() {
					_, passStart = a.clock.now()
					a.mu.Lock()
					prog.BusySince = passStart
					a.mu.Unlock()
				}
				a.poll(ctx, bus, ps)
			}
		}
		end, endSteady := a.clock.now()
		a.mu.Lock()
		a.lastTick[bus] = end
		if !passStart.IsZero() {
			prog.LastPass, prog.PassTime, prog.BusySince = end, endSteady.Sub(passStart), time.Time{}
		}
		a.mu.Unlock()
		a.clock.check()
		a.interruptScans(ctx, bus, ports, wake)
		if a.scanning() && !a.clock.steady().Before(sc.next) {
			a.scanRound(ctx, bus, ports, &sc)
		}
		next := ports[0].nextFast
		for _, ps := range ports[1:] {
			if ps.nextFast.Before(next) {
				next = ps.nextFast
			}
		}
		if a.scanning() && sc.next.Before(next) {
			next = sc.next
		}
		if a.sleep(ctx, wake, next.Sub(a.clock.steady())) != nil {
			return
		}
	}
}

// poll reads one port once and schedules its next read.
func (a *Agent) poll(ctx context.Context, bus string, ps *portState) {
	o := a.opts
	start := a.clock.steady()
	rctx, cancel := o.Clock.WithTimeout(ctx, o.ReadTimeout)
	before := ps.port.Mem.Stats()
	s := ps.read(rctx, o, start)
	cancel()
	s.Port, s.Bus = ps.port.Name, bus
	s.IO = ps.port.Mem.Stats().Sub(before)
	if s.Time.IsZero() {
		s.Time = o.Clock.Now()
	}
	s.Steady = a.clock.steady()
	// The schedule is kept on the steady clock (see runBus).
	// Schedule from the planned time, not the finish time, so a port keeps
	// its cadence instead of drifting by its read time each cycle.
	planned := ps.nextFast
	if planned.IsZero() || start.Sub(planned) > o.Interval {
		planned = start
	}
	switch s.Kind {
	case KindAbsent:
		ps.nextFast = planned.Add(o.AbsentInterval)
	case KindError:
		backoff := o.Interval << min(ps.health.ConsecutiveFailures, 10)
		ps.nextFast = s.Steady.Add(min(backoff, o.MaxBackoff))
	default:
		// Keep at least half an interval between two reads of a port: a late
		// read must not be followed at once by the next one (two samples in
		// one millisecond collapse into one point in InfluxDB).
		ps.nextFast = planned.Add(o.Interval)
		if floor := s.Steady.Add(o.Interval / 2); ps.nextFast.Before(floor) {
			ps.nextFast = floor
		}
	}
	ps.health.NextAttempt = s.Time.Add(ps.nextFast.Sub(s.Steady))
	s.Health = ps.health
	if s.Kind == KindFast || s.Kind == KindStatic {
		a.noteCycle(bus, ps, start)
	}
	// A read that ended in an error because the agent is stopping says
	// nothing of the module; one that succeeded is delivered all the same
	// (it cleared the latched flags it read).
	if a.obs != nil && (ctx.Err() == nil || s.Kind != KindError) {
		s.FlagEvents = a.flagEvents(bus, ps, s.Steady)
		a.obs.Observe(s)
		a.deliverFlags(s.FlagEvents)
	}
	ps.scan.events = ps.scan.events[:0]
}

// IsAbsent reports whether err means there is no module.
func IsAbsent(err error) bool { return errors.Is(err, i2c.ErrAbsent) }
