package agent

import (
	"context"
	"time"

	"github.com/ddm-agent/ddm/cmis"
	"github.com/ddm-agent/ddm/modread"
)

// The flag scan. Between two fast reads of its ports, a bus worker reads
// every FlagInterval only what says whether a latched flag is set
// (modread.Reader.ScanFlags: a few bytes a module, more only where a
// summary shows a flag), so a loss of signal that comes and goes between
// two fast reads is seen and counted, within about FlagInterval of its
// onset.
//
// The fast cadence comes first: a scan round stops whenever a port's fast
// read falls due and goes on after it. A round's reads may use ScanBudget
// of the bus's time less what the other reads use; when they would use
// more, the next round starts later (the scan stretches; the fast cadence
// never does). The bus's time is its wire time (busScan). BusProgress
// publishes the achieved periods and the bus's utilisation.

// DefaultFlagInterval is the flag scan's period when Options.FlagInterval
// is zero.
const DefaultFlagInterval = 100 * time.Millisecond

// DefaultScanBudget is the share of a bus's time the fast reads and the
// flag scans together may take before the scan stretches.
const DefaultScanBudget = 0.8

// minScanShare is the share of the bus a scan keeps however busy the fast
// reads keep it: a scan that stops altogether would miss every flap.
const minScanShare = 0.05

// scanState is a port's flag-scan state.
type scanState struct {
	flags modread.Flags
	// module and lanes are the flags the scans read since the last fast
	// read (which they cleared): the next sample carries them.
	module cmis.ModuleFlags
	lanes  []cmis.LaneFlags
	// hold: a scan of this port failed; it is not scanned again until a
	// fast read succeeds (the fast cadence reports the failure and backs
	// off; a stuck module must not cost every scan round a timeout).
	hold bool
	// lastRead is when the port's flags were last read (wall clock), the
	// lower bound of the next event's onset.
	lastRead time.Time
	// events are the flag events of the read in progress, not yet given
	// to the observer.
	events []FlagEvent
	// lastFast is the steady start of the last fast read, gap the time
	// between the last two.
	lastFast time.Time
	gap      time.Duration
	// recheck: a port scanned on its interrupt pin's edge found flags; the
	// timer scans it until it is quiet (interrupt.go).
	recheck bool
}

// mergeInto ORs the flags the scans read since the last fast read into m
// (the fast read's module) and forgets them.
func (sc *scanState) mergeInto(m *cmis.Module) {
	m.Flags |= sc.module
	for i := range m.Lanes {
		if l := m.Lanes[i].Lane - 1; l >= 0 && l < len(sc.lanes) {
			m.Lanes[i].Flags |= sc.lanes[l]
		}
	}
	sc.module = 0
	clear(sc.lanes)
}

// newFlagHistory starts a module's flag history: with the flag scan on, a
// flag's event ends only at a read half a scan period or more after the
// last that saw it set (FlagHistory.settle), a monitor threshold flag's a
// fast interval and half a scan period after (settleMonitor: its module
// sets it again at its next monitor refresh, and scans in between find
// it clear; a lasting tx power alarm was an event a second).
func (ps *portState) newFlagHistory(o Options) *FlagHistory {
	h := newFlagHistory()
	if o.FlagInterval > 0 {
		h.settle = o.FlagInterval / 2
		h.settleMonitor = o.Interval + o.FlagInterval/2
	}
	return h
}

// busScan is a bus worker's flag-scan schedule.
//
// The bus's time is its wire time (the ports' i2c.Stats.BusTime: each
// transaction's measured time on a real bus, its computed time on an
// emulated one), for the stretch and for the published utilisation alike:
// an emulated bus that does not pace its transactions takes no time on the
// clock, and a stretch that weighed the reads' time on the clock never
// came while the bus was busier than it can be.
type busScan struct {
	next       time.Time     // steady: when the next round may start
	cursor     int           // next port of the round in progress
	roundStart time.Time     // steady start of the round in progress
	busy       time.Duration // the round's scans' bus time so far
	lastStart  time.Time     // steady start of the last complete round
	// The window the utilisation is measured over: from the start of a
	// pass of fast reads to the start of the first pass at least window
	// later, a whole number of fast intervals, so that it holds the same
	// number of fast reads of each port at its cadence, not the few that
	// fell into one round's span or a pass more than the last window.
	// winStart is its steady start, winBus the ports' bus time then,
	// winScan the timer scans' bus time since.
	winStart time.Time
	window   time.Duration
	winBus   time.Duration
	winScan  time.Duration
	// otherShare is the share of the last window the bus spent on all
	// but the timer scans (fast, static and VDM reads, edge-driven
	// scans): what the stretch leaves to them.
	otherShare float64
}

// busTime is the bus time of a worker's ports so far.
func busTime(ports []*portState) time.Duration {
	var t time.Duration
	for _, ps := range ports {
		t += ps.port.Mem.Stats().BusTime
	}
	return t
}

// noteFlags marks the events appended to the port's pending ones since
// the last call as seen at t (by a scan or not).
func (ps *portState) noteFlags(ev []FlagEvent, t time.Time, scan bool) {
	ps.noteFound(len(ev) - len(ps.scan.events))
	for i := len(ps.scan.events); i < len(ev); i++ {
		ev[i].Since, ev[i].Scan = ps.scan.lastRead, scan
	}
	ps.scan.events = ev
	ps.scan.lastRead = t
}

// flagEvents returns a copy of the port's pending flag events, named,
// with the port's flag history as they leave it.
func (a *Agent) flagEvents(bus string, ps *portState, steady time.Time) []FlagEvent {
	if len(ps.scan.events) == 0 {
		return nil
	}
	out := append([]FlagEvent(nil), ps.scan.events...)
	h := ps.flags.clone()
	for i := range out {
		out[i].Port, out[i].Bus, out[i].Steady, out[i].Flags = ps.port.Name, bus, steady, h
	}
	return out
}

func (a *Agent) deliverFlags(ev []FlagEvent) {
	if fo, ok := a.obs.(FlagObserver); ok && len(ev) > 0 {
		fo.ObserveFlags(ev)
	}
}

// noteCycle records a fast read's start, for the achieved cycle period.
func (a *Agent) noteCycle(bus string, ps *portState, start time.Time) {
	if !ps.scan.lastFast.IsZero() {
		a.mu.Lock() // Progress reads gap
		ps.scan.gap = start.Sub(ps.scan.lastFast)
		a.mu.Unlock()
	}
	ps.scan.lastFast = start
}

// scanning reports whether the flag scan is on.
func (a *Agent) scanning() bool { return a.opts.FlagInterval > 0 }

// fastDue reports whether a port's fast read is due at now.
func fastDue(ports []*portState, now time.Time) bool {
	for _, ps := range ports {
		if !now.Before(ps.nextFast) {
			return true
		}
	}
	return false
}

// scanRound scans the bus's ports from where the round in progress
// stopped. It returns early, the round unfinished, when a fast read falls
// due.
func (a *Agent) scanRound(ctx context.Context, bus string, ports []*portState, sc *busScan) {
	if sc.cursor == 0 {
		sc.roundStart, sc.busy = a.clock.steady(), 0
	}
	for sc.cursor < len(ports) {
		if ctx.Err() != nil {
			return
		}
		if fastDue(ports, a.clock.steady()) {
			return
		}
		ps := ports[sc.cursor]
		sc.cursor++
		if ps.edgeDriven() && !ps.scan.recheck {
			continue // scanned on its pin's edge
		}
		before := ps.port.Mem.Stats().BusTime
		if a.scanPort(ctx, bus, ps) && ps.port.Interrupt != nil {
			ps.scan.recheck = ps.needsRecheck()
		}
		took := ps.port.Mem.Stats().BusTime - before
		sc.busy += took
		sc.winScan += took
	}
	sc.cursor = 0
	// The next round: FlagInterval after this one began, or later if this
	// round's reads took more of the bus than the budget leaves beside the
	// other reads.
	room := max(a.opts.ScanBudget-sc.otherShare, minScanShare)
	gap := max(a.opts.FlagInterval, time.Duration(float64(sc.busy)/room))
	a.mu.Lock()
	p := a.progress[bus]
	p.ScanStretched = gap > a.opts.FlagInterval
	if !sc.lastStart.IsZero() {
		p.ScanPeriod = sc.roundStart.Sub(sc.lastStart)
		p.ScanRounds++
	}
	a.mu.Unlock()
	sc.lastStart = sc.roundStart
	sc.next = sc.roundStart.Add(gap)
}

// notePass is called as a pass of fast reads begins at now (steady): when
// the utilisation window is over, it publishes the bus's utilisation over
// it and keeps the share the reads other than the timer scans took, then
// starts the next window.
func (a *Agent) notePass(bus string, ports []*portState, sc *busScan, now time.Time) {
	span := now.Sub(sc.winStart)
	if !sc.winStart.IsZero() && span < sc.window {
		return
	}
	bt := busTime(ports)
	if !sc.winStart.IsZero() && span > 0 {
		total := bt - sc.winBus
		sc.otherShare = max(0, float64(total-sc.winScan)/float64(span))
		a.mu.Lock()
		a.progress[bus].Utilisation = float64(total) / float64(span)
		a.mu.Unlock()
	}
	cycle := max(a.opts.Interval, time.Nanosecond)
	cycles := max(1, (a.opts.FlagInterval+cycle-1)/cycle)
	sc.winStart, sc.window, sc.winBus, sc.winScan = now, cycles*cycle, bt, 0
}

// scanPort runs one flag scan of a port whose module has been read whole
// and answers; false when it may not be scanned now.
func (a *Agent) scanPort(ctx context.Context, bus string, ps *portState) bool {
	if !ps.present || ps.reader.Layout() == nil || ps.health.ConsecutiveFailures > 0 || ps.scan.hold || ps.firstRead {
		return false
	}
	o := a.opts
	rctx, cancel := o.Clock.WithTimeout(ctx, o.ReadTimeout)
	err := ps.reader.ScanFlags(rctx, &ps.scan.flags)
	cancel()
	if err != nil {
		// The summaries did not answer, or the flags they showed could
		// not be read (they stay latched: the fast read gets them).
		ps.scan.hold = true
		if !modread.ScanDecoded(err) {
			return false
		}
	}
	t := o.Clock.Now()
	f := &ps.scan.flags
	ps.noteFlags(ps.flags.addScan(f.Module, f.Lanes, t, ps.scan.events), t, true)
	ps.scan.module |= f.Module
	if len(ps.scan.lanes) < len(f.Lanes) {
		ps.scan.lanes = append(ps.scan.lanes, make([]cmis.LaneFlags, len(f.Lanes)-len(ps.scan.lanes))...)
	}
	for i, l := range f.Lanes {
		ps.scan.lanes[i] |= l
	}
	// Delivered even when the agent is stopping: the read succeeded and
	// cleared the latches it saw on the module; dropped, those flaps would
	// be lost for good. Run returns after this worker, so the observer is
	// still there.
	if ev := a.flagEvents(bus, ps, a.clock.steady()); ev != nil {
		a.deliverFlags(ev)
	}
	ps.scan.events = ps.scan.events[:0]
	return true
}
