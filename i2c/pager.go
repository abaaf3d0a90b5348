package i2c

import (
	"context"
	"fmt"
	"sync"
	"time"

	"periph.io/x/conn/v3/i2c"

	"github.com/ddm-agent/ddm/internal/vclock"
)

// PagerOptions tune a Pager. The zero value is the default.
type PagerOptions struct {
	// Retries is how many times a NACKed transaction is retried (default 3).
	Retries int
	// Backoff is the first wait after a NACK (default 1 ms); it doubles up
	// to MaxBackoff (default 16 ms). Waits never outlive the context.
	Backoff, MaxBackoff time.Duration
	// Shared: another master (the NOS's optoe driver) uses the same module.
	// The pager then selects the page before every upper-page read instead
	// of trusting its cache, and returns the module to page 00h afterwards,
	// as optoe expects.
	Shared bool
	// Wait waits d or until ctx ends. Tests inject a fake; nil uses a timer.
	Wait func(ctx context.Context, d time.Duration) error
}

func (o PagerOptions) withDefaults() PagerOptions {
	if o.Retries == 0 {
		o.Retries = 3
	}
	if o.Backoff == 0 {
		o.Backoff = time.Millisecond
	}
	if o.MaxBackoff == 0 {
		o.MaxBackoff = 16 * time.Millisecond
	}
	if o.Wait == nil {
		o.Wait = vclock.Sleep
	}
	return o
}

// busClock is implemented by buses that know the wire time of their
// transactions (the emulator's virtual bus clock).
type busClock interface{ BusTime() time.Duration }

// Pager reads the modules on one periph i2c.Bus: one Pager per bus, one
// Guard per module (address) on it, which select the pages themselves
// (GuardOptions.HostPaging). It is safe for concurrent use; transactions
// on one bus are serialised, as they are on the wire.
type Pager struct {
	bus  i2c.Bus
	opts PagerOptions

	wire   sync.Mutex // the bus: one guard operation at a time
	mu     sync.Mutex
	guards map[uint8]*Guard
}

// NewPager returns a pager on bus.
func NewPager(bus i2c.Bus, opts PagerOptions) *Pager {
	return &Pager{bus: bus, opts: opts.withDefaults(), guards: map[uint8]*Guard{}}
}

// Module returns the Memory of the module at addr on this pager's bus
// (the same Guard for the same address).
func (p *Pager) Module(addr uint8) *Guard {
	p.mu.Lock()
	defer p.mu.Unlock()
	g := p.guards[addr]
	if g == nil {
		g = NewGuard(&busLink{bus: p.bus, base: addr}, GuardOptions{HostPaging: true, Retry: p.opts, Lock: &p.wire})
		p.guards[addr] = g
	}
	return g
}

// Stats returns the counters of every module on the bus, summed.
func (p *Pager) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	var t Stats
	for _, g := range p.guards {
		t = t.Add(g.Stats())
	}
	return t
}

// Forget drops what the pager knows of the module at addr (selected page,
// verified pages). The agent calls it when a module is removed or
// inserted: a new module starts at page 00h whatever the last one had
// selected.
func (p *Pager) Forget(addr uint8) { p.Module(addr).Forget() }

// busLink is a module on a raw bus: one bus transaction per Access, at
// the module's own address (base for A0h, base+1 for A2h, so a module
// strapped at another base address reads right). Its Guard serialises
// its transfers.
type busLink struct {
	bus  i2c.Bus
	base uint8
	w    [3]byte // what is written: the offset, then at most bank and page
}

func (l *busLink) String() string { return fmt.Sprintf("%s 0x%02x", l.bus, l.base) }

// Transfer implements Link.
func (l *busLink) Transfer(_ context.Context, a Access) (int, error) {
	dev := uint16(l.base + a.Addr - AddrA0)
	l.w[0] = byte(a.Off)
	if a.Op == OpRead {
		if err := l.bus.Tx(dev, l.w[:1], a.Data); err != nil {
			return 0, err
		}
		return len(a.Data), nil
	}
	if len(a.Data) > len(l.w)-1 {
		return 0, fmt.Errorf("%w: a %d-byte write", ErrWriteRefused, len(a.Data))
	}
	n := copy(l.w[1:], a.Data)
	if err := l.bus.Tx(dev, l.w[:1+n], nil); err != nil {
		return 0, err
	}
	return len(a.Data), nil
}

// WireTime returns the bus's virtual wire clock, when it has one.
func (l *busLink) WireTime() (time.Duration, bool) {
	if c, ok := l.bus.(busClock); ok {
		return c.BusTime(), true
	}
	return 0, false
}
