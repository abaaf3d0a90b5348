package agent

import (
	"context"
	"sync"
	"time"
)

// Interrupts. Where a platform wires a module's IntL to a GPIO (Port.
// Interrupt), the module's flag scan runs on the pin's edge instead of on
// the scan timer: the module says when it latched something. The fast
// cadence is unchanged.
//
// The pin is waited on by a goroutine of its own in real time (periph's
// WaitForEdge blocks in the kernel); it only wakes the bus worker, which
// does every read.

// edgePoll bounds one WaitForEdge so the waiting goroutine notices the end
// of Run.
const edgePoll = 200 * time.Millisecond

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
		a.wg.Add(1)
		go func() {
			defer a.wg.Done()
			for ctx.Err() == nil {
				if pin.WaitForEdge(edgePoll) {
					w.edge(ps)
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
		a.scanPort(ctx, bus, ps) // (the pin's goroutine only wakes the worker)
		// IntL falls when the read clears the flags and does not rise when
		// the condition ends: the timer scans the port again until a scan
		// finds it quiet, so the end is seen and the next edge is a new
		// event.
		ps.scan.recheck = ps.scan.flags.Any()
	}
}
