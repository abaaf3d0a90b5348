package i2c

import (
	"context"
	"fmt"
	"sync"
	"time"

	"periph.io/x/conn/v3/i2c"
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
		o.Wait = timerWait
	}
	return o
}

func timerWait(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// busClock is implemented by buses that know the wire time of their
// transactions (the emulator's virtual bus clock). For other buses the
// pager measures wall time around each transaction.
type busClock interface{ BusTime() time.Duration }

// selection is what the pager believes a device has selected.
type selection struct {
	known      bool
	bank, page uint8
}

// Pager reads module memory over a periph i2c.Bus: one Pager per bus,
// shared by the modules (addresses) on it. It is safe for concurrent use;
// transactions on one bus are serialised, as they are on the wire.
type Pager struct {
	bus  i2c.Bus
	opts PagerOptions

	mu       sync.Mutex
	sel      map[uint8]selection
	verified map[uint8]map[[2]uint8]bool // pages whose select was read back once
	answered map[uint8]bool              // the address has ACKed since it was last absent
	ident    map[uint8]byte              // identifier byte seen at offset 0
	stats    map[uint8]*Stats
	acct     *Stats // the counters of the ModuleMemory being served
}

// NewPager returns a pager on bus.
func NewPager(bus i2c.Bus, opts PagerOptions) *Pager {
	return &Pager{
		bus: bus, opts: opts.withDefaults(),
		sel:      map[uint8]selection{},
		verified: map[uint8]map[[2]uint8]bool{},
		answered: map[uint8]bool{},
		ident:    map[uint8]byte{},
		stats:    map[uint8]*Stats{},
	}
}

// Module returns the Memory of the module at addr on this pager's bus.
func (p *Pager) Module(addr uint8) *ModuleMemory { return &ModuleMemory{p: p, addr: addr} }

// Stats returns the counters of every address on the bus, summed.
func (p *Pager) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	var t Stats
	for _, s := range p.stats {
		t = t.Add(*s)
	}
	return t
}

// Forget drops what the pager knows of addr (selected page, verified
// pages). The agent calls it when a module is removed or inserted: a new
// module starts at page 00h whatever the last one had selected.
func (p *Pager) Forget(addr uint8) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.forget(addr)
}

func (p *Pager) forget(addr uint8) {
	delete(p.sel, addr)
	delete(p.verified, addr)
	delete(p.answered, addr)
	delete(p.ident, addr)
}

// ModuleMemory is one module (device address) behind a Pager. It
// implements Memory.
type ModuleMemory struct {
	p    *Pager
	addr uint8
}

func (m *ModuleMemory) String() string { return fmt.Sprintf("%s 0x%02x", m.p.bus, m.addr) }

// Stats returns this module's counters.
func (m *ModuleMemory) Stats() Stats {
	m.p.mu.Lock()
	defer m.p.mu.Unlock()
	if s := m.p.stats[m.addr]; s != nil {
		return *s
	}
	return Stats{}
}

// device maps a role address (0x50 for A0h, 0x51 for SFF-8472 A2h, as
// callers address a module) to this module's bus address, so a module
// strapped at another base address (0x52 on a shared bus) reads right.
func (m *ModuleMemory) device(addr uint8) uint8 {
	if addr == 0x50 || addr == 0x51 {
		return m.addr + addr - 0x50
	}
	return addr
}

// Read implements Memory.
func (m *ModuleMemory) Read(ctx context.Context, addr, bank, page uint8, off int, buf []byte) error {
	addr = m.device(addr)
	p := m.p
	if err := checkRange(page, off, len(buf)); err != nil {
		return m.err("read", bank, page, off, len(buf), err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.acct = p.stat(m.addr) // all of this module's traffic, A2h included
	if off >= 128 {
		if err := p.selectPage(ctx, addr, bank, page); err != nil {
			return m.err("select", bank, page, off, len(buf), err)
		}
	}
	if err := p.tx(ctx, addr, []byte{byte(off)}, buf); err != nil {
		return m.err("read", bank, page, off, len(buf), err)
	}
	if off == 0 {
		p.ident[addr] = buf[0]
	}
	if off >= 128 && p.opts.Shared && page != 0 {
		if err := p.writeSelect(ctx, addr, []byte{PageSelect, 0}); err != nil {
			return m.err("select", 0, 0, PageSelect, 1, err)
		}
		p.sel[addr] = selection{known: true, page: 0, bank: p.sel[addr].bank}
	}
	return nil
}

// Write implements Memory: only the allowlist passes. Bank and page selects
// go through the page cache; the VDM freeze byte is read first and only
// bit 7 may change.
func (m *ModuleMemory) Write(ctx context.Context, addr, bank, page uint8, off int, data []byte) error {
	addr = m.device(addr)
	p := m.p
	p.mu.Lock()
	defer p.mu.Unlock()
	p.acct = p.stat(m.addr)
	switch {
	case off == PageSelect && len(data) == 1:
		return m.wrap("select", bank, data[0], off, 1, p.selectPage(ctx, addr, bank, data[0]))
	case off == BankSelect && len(data) == 2:
		return m.wrap("select", data[0], data[1], off, 2, p.selectPage(ctx, addr, data[0], data[1]))
	case page == VDMControlPage && off == VDMFreezeByte && len(data) == 1:
		if err := p.selectPage(ctx, addr, bank, page); err != nil {
			return m.err("select", bank, page, off, 1, err)
		}
		old := make([]byte, 1)
		if err := p.tx(ctx, addr, []byte{byte(off)}, old); err != nil {
			return m.err("read", bank, page, off, 1, err)
		}
		if !Allowed(page, off, data, old[0]) {
			return m.err("write", bank, page, off, 1, ErrWriteRefused)
		}
		return m.wrap("write", bank, page, off, 1, p.writeChecked(ctx, addr, page, []byte{byte(off), data[0]}, old[0]))
	}
	return m.err("write", bank, page, off, len(data), ErrWriteRefused)
}

func (m *ModuleMemory) err(op string, bank, page uint8, off, n int, err error) error {
	return &Error{Op: op, Module: m.String(), Bank: bank, Page: page, Offset: off, Length: n, Err: err}
}

func (m *ModuleMemory) wrap(op string, bank, page uint8, off, n int, err error) error {
	if err == nil {
		return nil
	}
	return m.err(op, bank, page, off, n, err)
}

// checkRange enforces the bus rules every transport shares: at most 128
// bytes, never across the 127/128 boundary or past 255.
func checkRange(page uint8, off, n int) error {
	switch {
	case n < 1 || n > 128:
		return fmt.Errorf("length %d: a read is 1 to 128 bytes", n)
	case off < 0 || off+n > 256:
		return fmt.Errorf("offset %d length %d runs past byte 255", off, n)
	case off < 128 && off+n > 128:
		return fmt.Errorf("offset %d length %d crosses the 127/128 boundary", off, n)
	}
	return nil
}

// banked reports whether a page is repeated per bank (CMIS: 10h-FFh, as
// optoe and SONiC treat them; the CDB pages 9Fh-AFh are not banked).
func banked(page uint8) bool { return page >= 0x10 && (page < 0x9F || page > 0xAF) }

// selectPage makes (bank, page) the module's upper memory, writing only
// what changed: nothing when the cache already says so; byte 127 alone when
// only the page changes; bytes 126-127 in one 2-byte write when the bank
// changes (CMIS 5.3 §8.2.15: the bank takes effect when the page is
// written). The first time a page is selected it is read back: a module
// refuses a page it does not have by clearing byte 127.
func (p *Pager) selectPage(ctx context.Context, addr, bank, page uint8) error {
	if id, ok := p.ident[addr]; ok && addr == 0x50 && sff8472ID(id) {
		// SFF-8472 A0h has no page select: bytes 128-255 are plain memory
		// and byte 127 is vendor data, which must never be written.
		if page != 0 || bank != 0 {
			return fmt.Errorf("%w: SFF-8472 A0h has no page %02Xh", ErrRefused, page)
		}
		return nil
	}
	if !banked(page) {
		bank = 0
	}
	cur := p.sel[addr]
	if cur.known && cur.page == page && (cur.bank == bank || !banked(page)) && !p.opts.Shared {
		return nil
	}
	// Bank and page go together (2 bytes at 126) when the bank must change.
	// When the bank is unknown and 0 is wanted, a 1-byte page write is tried
	// first (modules with only bank 0 may reject 2-byte writes, per the
	// SONiC banking design) and the read-back below catches a stale bank.
	twoByte := banked(page) && ((cur.known && cur.bank != bank) || (!cur.known && bank != 0))
	if err := p.writeBankPage(ctx, addr, bank, page, twoByte); err != nil {
		return err
	}
	if p.verified[addr] == nil {
		p.verified[addr] = map[[2]uint8]bool{}
	}
	// Read back the first select of each page, and any select made while
	// the bank was unknown (after a bus error or at start).
	key := [2]uint8{bank, page}
	if p.verified[addr][key] && (cur.known || !banked(page)) {
		return nil
	}
	back := make([]byte, 2)
	if err := p.tx(ctx, addr, []byte{BankSelect}, back); err != nil {
		p.sel[addr] = selection{}
		return err
	}
	if back[1] == page && banked(page) && back[0] != bank && !twoByte {
		// The module sat in another bank: select bank and page together.
		if err := p.writeBankPage(ctx, addr, bank, page, true); err != nil {
			return err
		}
		if err := p.tx(ctx, addr, []byte{BankSelect}, back); err != nil {
			p.sel[addr] = selection{}
			return err
		}
	}
	if back[1] != page || (banked(page) && back[0] != bank) {
		p.sel[addr] = selection{known: true, bank: back[0], page: back[1]}
		return fmt.Errorf("%w: selected bank %d page %02Xh, module reads back bank %d page %02Xh", ErrRefused, bank, page, back[0], back[1])
	}
	p.verified[addr][key] = true
	return nil
}

func (p *Pager) writeBankPage(ctx context.Context, addr, bank, page uint8, twoByte bool) error {
	w := []byte{PageSelect, page}
	if twoByte {
		w = []byte{BankSelect, bank, page}
	}
	if err := p.writeSelect(ctx, addr, w); err != nil {
		p.sel[addr] = selection{}
		return err
	}
	cur := p.sel[addr]
	if twoByte || !cur.known {
		cur.bank = bank
	}
	p.sel[addr] = selection{known: true, bank: cur.bank, page: page}
	return nil
}

func (p *Pager) writeSelect(ctx context.Context, addr uint8, w []byte) error {
	if err := p.writeChecked(ctx, addr, 0, w, 0); err != nil {
		return err
	}
	p.acct.PageSelects++
	return nil
}

// writeChecked is the only path from the pager to a bus write. It enforces
// the allowlist on the bytes actually sent (w[0] is the offset), whatever
// the caller: a bug elsewhere in ddm cannot write to a module.
func (p *Pager) writeChecked(ctx context.Context, addr, page uint8, w []byte, old byte) error {
	if len(w) < 2 || !Allowed(page, int(w[0]), w[1:], old) {
		return ErrWriteRefused
	}
	return p.tx(ctx, addr, w, nil)
}

// tx runs one transaction with bounded retries on NACK, counting it.
func (p *Pager) tx(ctx context.Context, addr uint8, w, r []byte) error {
	st := p.acct
	backoff := p.opts.Backoff
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		err := p.timedTx(st, addr, w, r)
		if err == nil {
			p.answered[addr] = true
			st.BytesWritten += int64(len(w))
			st.BytesRead += int64(len(r))
			return nil
		}
		if !IsNACK(err) {
			st.Errors++
			delete(p.sel, addr) // the bus state is unknown after a failure
			return fmt.Errorf("%w: %w", ErrBus, err)
		}
		st.NACKs++
		if attempt >= p.opts.Retries || !fitsDeadline(ctx, backoff) {
			st.Errors++
			if !p.answered[addr] {
				// Never answered since we last saw it gone: nothing is there.
				p.forget(addr)
				return fmt.Errorf("%w: no ACK after %d tries: %w", ErrAbsent, attempt+1, err)
			}
			delete(p.sel, addr)
			return fmt.Errorf("%w: NACK after %d tries: %w", ErrBusy, attempt+1, err)
		}
		st.Retries++
		// The bus lock is held while waiting: a module that NACKs is
		// updating its memory, and the next transaction on this bus would
		// queue behind it anyway.
		if err := p.opts.Wait(ctx, backoff); err != nil {
			return err
		}
		backoff = min(2*backoff, p.opts.MaxBackoff)
	}
}

func fitsDeadline(ctx context.Context, d time.Duration) bool {
	dl, ok := ctx.Deadline()
	return !ok || time.Until(dl) > d
}

func (p *Pager) timedTx(st *Stats, addr uint8, w, r []byte) error {
	st.Transactions++
	if c, ok := p.bus.(busClock); ok {
		before := c.BusTime()
		err := p.bus.Tx(uint16(addr), w, r)
		st.BusTime += c.BusTime() - before
		return err
	}
	start := time.Now()
	err := p.bus.Tx(uint16(addr), w, r)
	st.BusTime += time.Since(start)
	return err
}

func (p *Pager) stat(addr uint8) *Stats {
	s := p.stats[addr]
	if s == nil {
		s = &Stats{}
		p.stats[addr] = s
	}
	return s
}

// sff8472ID reports whether an identifier selects SFF-8472 (GBIC, soldered,
// SFP, DWDM-SFP), whose A0h memory is not paged.
func sff8472ID(id byte) bool { return id == 0x01 || id == 0x02 || id == 0x03 || id == 0x0B }
