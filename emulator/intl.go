package emulator

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/physic"

	"github.com/ddm-agent/ddm/internal/vclock"
)

// IntL, the module's interrupt line, on an emulated GPIO.
//
// A CMIS or SFF-8636 module pulls IntL low while some latched flag is set
// and not masked, and releases it when a read clears the flags; a platform
// may wire it to a GPIO, which the agent waits on for falling edges
// instead of polling the flag summaries. The module notes the line's level
// wherever its flags can change (an internal update, a pulse's latch, a
// read that clears them, a mask written) and counts its transitions; an
// IntLPin is a periph gpio.PinIn over those counts. Its WaitForEdge waits
// on the module's clock (Sleep, when the clock has one: a virtual clock's
// Advance then wakes it at a pulse's onset, and at each internal update),
// so the edge of a pulse comes at the pulse's onset, on virtual time too.
//
// SFF-8472 modules (SFP) have no IntL: their cage wires Rx_LOS and
// Tx_Fault instead.

// intLine is a personality whose module drives an IntL line.
type intLine interface {
	// interrupt reports whether IntL is asserted (low) now: some latched
	// flag set and not masked.
	interrupt(m *Module) bool
}

// intLState is a module's IntL line: its level when last noted and how
// often it fell and rose.
type intLState struct {
	asserted    bool
	falls, rise uint64
}

// noteIntL notes IntL's level after something that may have changed it.
// Called with m.mu held.
func (m *Module) noteIntL() {
	l, ok := m.p.(intLine)
	if !ok {
		return
	}
	a := m.present && m.mem != nil && l.interrupt(m)
	switch {
	case a && !m.intl.asserted:
		m.intl.falls++
	case !a && m.intl.asserted:
		m.intl.rise++
	}
	m.intl.asserted = a
}

// intLAt brings the module to now (its updates and pulses due), notes
// IntL, and returns the line's state and the next time the module may
// latch a flag by itself: its next internal update or the next pulse's
// onset, whichever comes first.
func (m *Module) intLAt() (st intLState, next time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.cfg.clk.Now()
	if m.sync(now) {
		m.advance(now)
	}
	m.noteIntL()
	next = m.inserted.Add(time.Duration(m.lastTick+1) * m.cfg.update)
	if !next.After(now) {
		next = now.Add(m.cfg.update)
	}
	for _, tr := range m.pulses {
		if tr.next.After(now) && tr.next.Before(next) && (tr.stop.IsZero() || tr.next.Before(tr.stop)) {
			next = tr.next
		}
	}
	return m.intl, next
}

// HasIntL reports whether the module drives an IntL line (CMIS and
// SFF-8636 do; SFF-8472 does not).
func (m *Module) HasIntL() bool {
	_, ok := m.p.(intLine)
	return ok
}

// clockSleeper is a clock that can also wait (vclock's clocks).
type clockSleeper interface {
	Sleep(ctx context.Context, d time.Duration) error
}

// IntLPin is a cage's IntL wired to a GPIO, as periph's gpio.PinIn: Read
// is the line's level (low: asserted), WaitForEdge waits for the edges
// chosen by In. An empty cage's pin (no module) stays high. It is safe
// for concurrent use.
type IntLPin struct {
	name string
	m    *Module // nil: an empty cage
	clk  Clock
	wait func(ctx context.Context, d time.Duration) error

	mu    sync.Mutex
	edge  gpio.Edge
	seen  intLState                    // the counts the last WaitForEdge (or In) consumed
	waits map[*context.CancelFunc]bool // the WaitForEdge calls in progress, for Halt
}

// NewIntLPin returns the GPIO named name wired to m's IntL (m nil: an empty
// cage, whose line is pulled up). It waits on clk: with its Sleep when it
// has one, else on the machine's clock.
func NewIntLPin(name string, m *Module, clk Clock) (*IntLPin, error) {
	if m != nil && !m.HasIntL() {
		return nil, fmt.Errorf("emulator: %s: %s has no IntL (SFF-8472 cages wire Rx_LOS and Tx_Fault, not an interrupt)", name, m)
	}
	p := &IntLPin{name: name, m: m, clk: clk, wait: vclock.Sleep}
	if s, ok := clk.(clockSleeper); ok {
		p.wait = s.Sleep
	}
	return p, nil
}

// state is the line now and when it may next change by itself.
func (p *IntLPin) state() (intLState, time.Time) {
	if p.m == nil {
		return intLState{}, p.clk.Now().Add(time.Hour)
	}
	return p.m.intLAt()
}

// String names the pin.
func (p *IntLPin) String() string { return p.name }

// Name names the pin.
func (p *IntLPin) Name() string { return p.name }

// Number is -1: an emulated pin has no number.
func (p *IntLPin) Number() int { return -1 }

// Function says what the pin is.
func (p *IntLPin) Function() string { return "In/IntL" }

// Halt ends a WaitForEdge in progress (it returns false).
func (p *IntLPin) Halt() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for cancel := range p.waits {
		(*cancel)()
	}
	return nil
}

// In sets the edges WaitForEdge waits for and forgets those already seen.
// IntL is open drain: any pull is accepted (the platform pulls it up).
func (p *IntLPin) In(_ gpio.Pull, edge gpio.Edge) error {
	switch edge {
	case gpio.NoEdge, gpio.FallingEdge, gpio.RisingEdge, gpio.BothEdges:
	default:
		return fmt.Errorf("emulator: %s: unknown edge %v", p.name, edge)
	}
	st, _ := p.state()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.edge, p.seen = edge, st
	return nil
}

// Read returns the line's level: Low while the module asserts IntL.
func (p *IntLPin) Read() gpio.Level {
	if st, _ := p.state(); st.asserted {
		return gpio.Low
	}
	return gpio.High
}

// Pull is PullUp: IntL is open drain, pulled up by the platform.
func (p *IntLPin) Pull() gpio.Pull { return gpio.PullUp }

// DefaultPull is PullUp.
func (p *IntLPin) DefaultPull() gpio.Pull { return gpio.PullUp }

// WaitForEdge waits up to timeout of the pin's clock (negative: no
// timeout) for an edge of the kind In chose, and returns true at once if
// one came since the last call. It returns false at the timeout, on Halt,
// and when In chose no edge.
func (p *IntLPin) WaitForEdge(timeout time.Duration) bool {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var deadline time.Time
	if timeout >= 0 {
		deadline = p.clk.Now().Add(timeout)
	}
	return p.waitEdge(ctx, cancel, deadline)
}

// WaitForEdgeContext waits for an edge until ctx ends, on the pin's clock:
// what the agent's interrupt watcher calls, so that it ends with the
// agent and a virtual clock counts its waits.
func (p *IntLPin) WaitForEdgeContext(ctx context.Context) bool {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	return p.waitEdge(ctx, cancel, time.Time{})
}

// waitEdge waits until the line shows a chosen edge (true), deadline
// passes (zero: none), ctx ends or Halt is called.
func (p *IntLPin) waitEdge(ctx context.Context, cancel context.CancelFunc, deadline time.Time) bool {
	p.mu.Lock()
	if p.waits == nil {
		p.waits = map[*context.CancelFunc]bool{}
	}
	p.waits[&cancel] = true
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		delete(p.waits, &cancel)
		p.mu.Unlock()
	}()
	for {
		st, next := p.state()
		if p.consume(st) {
			return true
		}
		now := p.clk.Now()
		wake := next
		if !deadline.IsZero() {
			if !now.Before(deadline) {
				return false
			}
			if deadline.Before(wake) {
				wake = deadline
			}
		}
		if err := p.wait(ctx, max(wake.Sub(now), time.Nanosecond)); err != nil {
			return false
		}
	}
}

// consume reports whether st shows an edge of the chosen kind since the
// counts last consumed, and consumes them.
func (p *IntLPin) consume(st intLState) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	fell, rose := st.falls != p.seen.falls, st.rise != p.seen.rise
	p.seen = st
	switch p.edge {
	case gpio.FallingEdge:
		return fell
	case gpio.RisingEdge:
		return rose
	case gpio.BothEdges:
		return fell || rose
	}
	return false
}

// Out refuses: IntL is an input of the host.
func (p *IntLPin) Out(gpio.Level) error {
	return fmt.Errorf("emulator: %s: IntL is an input", p.name)
}

// PWM refuses: IntL is an input of the host.
func (p *IntLPin) PWM(gpio.Duty, physic.Frequency) error {
	return fmt.Errorf("emulator: %s: IntL is an input", p.name)
}

var _ gpio.PinIO = (*IntLPin)(nil)

// IntLPrefix begins the name of an emulated cage's IntL GPIO, which ends
// with the port's name: IntL-Ethernet1/5.
const IntLPrefix = "IntL-"

// GPIO returns the platform's GPIO named name: IntLPrefix and a cage's
// port name, that cage's IntL line. The same name gives the same pin.
func (p *Platform) GPIO(name string) (*IntLPin, error) {
	p.pinMu.Lock()
	defer p.pinMu.Unlock()
	if pin := p.pins[name]; pin != nil {
		return pin, nil
	}
	port, ok := strings.CutPrefix(name, IntLPrefix)
	var spec *PortSpec
	for i := range p.ports {
		if ok && p.ports[i].Name == port {
			spec = &p.ports[i]
		}
	}
	if spec == nil {
		example := "IntL-PORT"
		if len(p.ports) > 0 {
			example = IntLPrefix + p.ports[0].Name
		}
		return nil, fmt.Errorf("emulator: no GPIO %q on the emulated switch (a cage's IntL is %s and its port's name: %s)", name, IntLPrefix, example)
	}
	pin, err := NewIntLPin(name, p.modules[spec.Name], p.clk)
	if err != nil {
		return nil, err
	}
	if p.pins == nil {
		p.pins = map[string]*IntLPin{}
	}
	p.pins[name] = pin
	return pin, nil
}
