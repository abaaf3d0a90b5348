package agent

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"periph.io/x/conn/v3/gpio"
)

// Interrupts. Where a platform wires a module's IntL to a GPIO (Port.
// Interrupt), the module's flag scan runs on the pin's edge instead of on
// the scan timer: the module says when it latched something. The fast
// cadence is unchanged.
//
// The pin is waited on by a goroutine of its own (periph's WaitForEdge
// blocks in the kernel, in real time; a ContextPin, the emulator's IntL,
// waits on the agent's clock); it only wakes the bus worker, which does
// every read.
//
// IntL is a level: low while an unmasked latched flag is set. A read
// clears the flags, but a condition that lasts latches them again, so the
// line stays low (or falls again at once) and the next pulse would bring
// no edge. A port whose edge scan found flags is therefore scanned on the
// timer until a scan finds it quiet and the line high (scanState.recheck,
// needsRecheck), and its edges meanwhile wake nothing: the timer's next
// scan reads them. Its scans also read the VDM flags (CMIS page 2Ch) their
// summaries show, which would hold the line low until the VDM cadence
// read them; the VDM read reports them (modread.Options.ScanVDMFlags).
//
// A pin that never fires (a broken wire, the wrong GPIO named) must not
// leave the port's flaps to the fast read alone: a fast cycle whose reads
// found flag events while the pin gave no edge puts the port back on the
// scan timer at once, until the pin fires again, and after silentAfter
// such cycles in a row the port's sample says so (EventInterruptSilent, a warning in
// the journal) and, when the pin fires again, EventInterruptRecovered.

// edgePoll bounds one WaitForEdge of a kernel GPIO so the waiting
// goroutine notices the end of Run.
const edgePoll = 200 * time.Millisecond

// silentAfter is how many reads in a row must find flag events no edge
// announced before the pin is reported silent: one may be a race (an
// edge delivered just after the read that cleared its flags).
const silentAfter = 3

// Event types of an interrupt pin.
const (
	EventInterruptSilent    = "interrupt_silent"
	EventInterruptRecovered = "interrupt_recovered"
)

// ContextPin is an interrupt pin whose wait for an edge ends with a context
// and waits on the agent's clock (emulator.IntLPin): its watcher is
// started with Options.Clock.Go, so a virtual clock moves on only once the
// watcher waits again, and the edge of a pulse is taken at the pulse's
// onset.
type ContextPin interface {
	WaitForEdgeContext(ctx context.Context) bool
}

// interruptState is a port's interrupt pin, as its bus worker sees it
// (edges is also counted by the pin's watcher).
type interruptState struct {
	edges atomic.Uint64 // edges the pin gave
	seen  uint64        // edges at the port's last fast read
	found int           // flag events its reads found since
	// armed: the module has been read since it was found; what it latched
	// before had no edge the agent could see.
	armed bool
	// unannounced counts the fast cycles in a row whose reads found flag
	// events while the pin gave no edge; timer: the last did, and the port
	// is scanned on the timer until the pin fires again; silent: reported
	// silent.
	unannounced int
	timer       bool
	silent      bool
	events      []Event // for the port's next sample
}

// edgeDriven reports whether the port's flag scan runs on its pin's edge.
func (ps *portState) edgeDriven() bool {
	return ps.port.Interrupt != nil && !ps.intr.timer
}

// noteFound counts the flag events a read of the port's flags found
// (scans, static and fast reads alike).
func (ps *portState) noteFound(n int) {
	ps.intr.found += n
}

// checkAnnounced is called at each fast read: flag events found since the
// previous one while the pin gave no edge mean the pin missed them. (Per
// fast cycle, not per read: the static and fast reads of one poll find
// what one edge announced, and an edge may come just after the read that
// cleared its flags.)
func (ps *portState) checkAnnounced(t time.Time) {
	if ps.port.Interrupt == nil {
		return
	}
	in := &ps.intr
	e, found := in.edges.Load(), in.found
	announced := e != in.seen
	in.seen, in.found = e, 0
	if !in.armed {
		in.armed = true
		return
	}
	if announced {
		if in.silent {
			in.events = append(in.events, Event{Time: t, Type: EventInterruptRecovered,
				Text: fmt.Sprintf("interrupt gpio %s fires again: the port's flag scan runs on its edges", pinName(ps.port.Interrupt))})
		}
		in.unannounced, in.timer, in.silent = 0, false, false
		return
	}
	if found == 0 || ps.port.Interrupt.Read() == gpio.Low {
		// Nothing to announce, or the line is held low (no edge can
		// come: the timer scans the port meanwhile, needsRecheck).
		return
	}
	in.unannounced++
	in.timer = true
	if in.unannounced >= silentAfter && !in.silent {
		in.silent = true
		in.events = append(in.events, Event{Time: t, Type: EventInterruptSilent,
			Text: fmt.Sprintf("interrupt gpio %s gave no edge in %d fast cycles in a row whose reads found flag events (IntL not wired to it, or the pin is broken): the port's flags are scanned every flag_interval until it fires",
				pinName(ps.port.Interrupt), in.unannounced)})
	}
}

// takeInterruptEvents returns the pin's events for the port's sample.
func (ps *portState) takeInterruptEvents() []Event {
	ev := ps.intr.events
	ps.intr.events = nil
	return ev
}

// pinName names a pin for the journal.
func pinName(p gpio.PinIn) string {
	if n, ok := p.(interface{ Name() string }); ok {
		return n.Name()
	}
	return fmt.Sprint(p)
}

// busWake lets the interrupt goroutines of a bus wake its worker.
type busWake struct {
	mu      sync.Mutex
	cancel  context.CancelFunc // the worker's current wait, nil when it does not wait
	pending map[*portState]bool
}

// edge marks ps as interrupted and ends the worker's wait.
func (w *busWake) edge(ps *portState) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.pending == nil {
		w.pending = map[*portState]bool{}
	}
	w.pending[ps] = true
	if w.cancel != nil {
		w.cancel()
	}
}

// take returns the interrupted ports, in the bus's order, and clears them.
func (w *busWake) take(ports []*portState) []*portState {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []*portState
	for _, ps := range ports {
		if w.pending[ps] {
			out = append(out, ps)
			delete(w.pending, ps)
		}
	}
	return out
}

// sleep waits for d on the agent's clock, or until an edge: the wait's
// context is ended by busWake.edge. It returns ctx's error only.
func (a *Agent) sleep(ctx context.Context, w *busWake, d time.Duration) error {
	if w == nil {
		return a.opts.Clock.Sleep(ctx, d)
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w.mu.Lock()
	if len(w.pending) > 0 { // an edge came while the worker read
		w.mu.Unlock()
		return ctx.Err()
	}
	w.cancel = cancel
	w.mu.Unlock()
	_ = a.opts.Clock.Sleep(wctx, d)
	w.mu.Lock()
	w.cancel = nil
	w.mu.Unlock()
	return ctx.Err()
}

// watchInterrupts starts a goroutine per port with an interrupt pin of the
// bus; they end with ctx. It returns nil when no port has one.
func (a *Agent) watchInterrupts(ctx context.Context, ports []*portState) *busWake {
	var w *busWake
	for _, ps := range ports {
		pin := ps.port.Interrupt
		if pin == nil {
			continue
		}
		if w == nil {
			w = &busWake{}
		}
		fired := func() {
			ps.intr.edges.Add(1)
			w.edge(ps)
		}
		a.wg.Add(1)
		if cp, ok := pin.(ContextPin); ok {
			a.opts.Clock.Go(func() {
				defer a.wg.Done()
				for ctx.Err() == nil {
					if cp.WaitForEdgeContext(ctx) {
						fired()
					}
				}
			})
			continue
		}
		go func() {
			defer a.wg.Done()
			for ctx.Err() == nil {
				began := time.Now()
				if pin.WaitForEdge(edgePoll) {
					fired()
					continue
				}
				// periph's kernel pins return false at once when the wait
				// itself fails (the ioctl one logging it each time): wait
				// out the poll, or a broken pin takes a core and floods
				// the journal. An edge meanwhile stays pending in the
				// kernel and ends the next wait at once.
				if rest := edgePoll - time.Since(began); rest > 0 {
					pause := time.NewTimer(rest)
					select {
					case <-ctx.Done():
					case <-pause.C:
					}
					pause.Stop()
				}
			}
		}()
	}
	return w
}

// interruptScans scans the ports whose pin fired since the last call.
func (a *Agent) interruptScans(ctx context.Context, bus string, ports []*portState, w *busWake) {
	if w == nil {
		return
	}
	for _, ps := range w.take(ports) {
		if a.scanning() && ps.scan.recheck {
			// The timer scans it: its flags were still set at the last
			// scan (the line stays low, or falls again, while they are).
			continue
		}
		// (A port on the timer since its pin missed an event: the edge
		// says the pin works again; checkAnnounced puts it back.)
		if !a.scanPort(ctx, bus, ps) { // (the pin's goroutine only wakes the worker)
			// Not scannable now (its static pages are due, a scan failed):
			// the line stays low and gives no new edge, so the timer
			// scans it until it can.
			ps.scan.recheck = true
			continue
		}
		ps.scan.recheck = ps.needsRecheck()
	}
}

// needsRecheck reports, after a scan of a port with an interrupt pin,
// whether the timer must scan it again: a flag's event is still open (a
// condition that lasts latches its flag again, and only a read that finds
// it clear half a flag interval after it was last set ends the event, so
// that the next pulse counts once more), or the line is still low, held
// by a flag the scan could not read (its VDM flags are read, ScanVDMFlags;
// a follow-up that failed, a flag of a page no summary names): no edge
// can come until it rises.
func (ps *portState) needsRecheck() bool {
	return ps.scan.flags.Any() || ps.flags.anyActive() || ps.port.Interrupt.Read() == gpio.Low
}
