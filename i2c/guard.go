package i2c

import (
	"context"
	"fmt"
	"io"
	"math/bits"
	"sync"
	"time"
)

// The guard is the one gate between ddm and a module. Every transport (a
// raw bus under a Pager: Linux i2c-dev through periph or the SMBus
// fallback, the emulator; the optoe driver's file; ethtool netlink) is a
// Link, and the only Memory there is is a Guard over a Link, so no read
// or write reaches a module without passing the same checks and being
// counted the same way:
//
//   - range: a read is 1 to 128 bytes at the role addresses 0x50/0x51,
//     within lower memory (0-127) or one upper page (128-255); lower memory
//     is page 0 bank 0, and an unbanked page is bank 0 (the module ignores
//     the bank there), so every Link sees the same normalised access; a
//     bank at or above Rules.MaxBanks is refused, and so is any page but
//     00h of an A0h that has no page select (SFF-8472);
//   - writes: the page select (127), bank and page together (126-127) and
//     the VDM freeze request bit, the last as a read-modify-write that may
//     change that one bit only; everything else is ErrWriteRefused before
//     the Link sees it, and so is every write until the Rules are given;
//   - counters: transactions, bytes, page selects, NACKs, retries, errors
//     and wire time, per Guard (one module), the same for every Link.

// Op is what one Access does.
type Op uint8

// Ops.
const (
	// OpRead reads len(Data) bytes at Off.
	OpRead Op = iota + 1
	// OpSelect writes the page select: Data is the page at Off 127, or
	// bank and page at Off 126.
	OpSelect
	// OpWrite writes Data (one byte) at Off of Page: the VDM freeze
	// request, after the Guard checked that only its bit changes.
	OpWrite
)

func (o Op) String() string {
	switch o {
	case OpRead:
		return "read"
	case OpSelect:
		return "select"
	case OpWrite:
		return "write"
	}
	return fmt.Sprintf("op(%d)", uint8(o))
}

// Access is one transaction as a Guard hands it to a Link: checked, with
// its bank and page normalised.
type Access struct {
	Op         Op
	Addr       uint8 // role address: AddrA0 or AddrA2
	Bank, Page uint8
	Off        int
	Data       []byte
	old        byte // OpWrite: the byte's value read just before
}

// Link is how one transport moves the bytes of one Access. Only a Guard
// calls it; NewGuard makes a Link a Memory.
type Link interface {
	// Transfer performs a and returns how many bytes of a.Data it moved.
	Transfer(ctx context.Context, a Access) (int, error)
	// String names the module for errors and logs.
	String() string
}

// wireClock is implemented by links that know the wire time of their
// transactions (the emulator's virtual bus clock). For other links the
// guard measures wall time around each transaction.
type wireClock interface{ WireTime() (time.Duration, bool) }

// Rules are what the guard must know of the module standards, given as
// plain values by the side that knows them (modread, from the decoder's
// constants): this package knows no module standard.
type Rules struct {
	// FreezePage, FreezeOffset and FreezeBit locate the VDM freeze
	// request (at A0h), the one bit a monitoring agent may change besides
	// the bank and page select.
	FreezePage   uint8
	FreezeOffset int
	FreezeBit    byte
	// UnpagedIDs are the identifiers (A0h byte 0) of modules whose A0h
	// has no page select: bytes 128-255 are plain memory there and byte
	// 127 is data, never written.
	UnpagedIDs []byte
	// MaxBanks is how many banks a module may have.
	MaxBanks int
}

func (r Rules) validate() error {
	switch {
	case bits.OnesCount8(r.FreezeBit) != 1:
		return fmt.Errorf("freeze bit %#02x: want exactly one bit", r.FreezeBit)
	case r.FreezeOffset < WindowSize || r.FreezeOffset > 255:
		return fmt.Errorf("freeze offset %d: want an upper-page byte (128-255)", r.FreezeOffset)
	case r.MaxBanks < 1 || r.MaxBanks > 256:
		return fmt.Errorf("%d banks: want 1 to 256", r.MaxBanks)
	}
	return nil
}

// GuardOptions say what a Link needs from its Guard. The zero value is a
// link whose driver selects pages itself and retries nothing (optoe).
type GuardOptions struct {
	// HostPaging: the host selects pages by writing bytes 126-127 (a raw
	// bus). Otherwise the driver does (optoe, ethtool netlink), and an
	// explicit select returns ErrNotSupported: it would race the driver.
	HostPaging bool
	// NoWrites: the link has no module write at all (ethtool netlink);
	// every write returns ErrNotSupported before any transaction.
	NoWrites bool
	// Retry: NACK retries, backoff and the shared-master mode (HostPaging
	// links only; see PagerOptions).
	Retry PagerOptions
	// Lock serialises this guard's operations with the others on the same
	// wire (a Pager's bus). Nil: the guard's own.
	Lock sync.Locker
}

// selection is what the guard believes a device has selected.
type selection struct {
	known      bool
	bank, page uint8
}

// device is what the guard knows of one role address (A0h, A2h).
type device struct {
	sel        selection
	verified   map[[2]uint8]bool // pages whose select was read back once
	answered   bool              // ACKed since it was last absent
	ident      byte              // identifier byte seen at offset 0 (A0h)
	identKnown bool
}

// Guard is a module's Memory over a Link. It is safe for concurrent use;
// its operations are serialised (with the other modules on the same wire,
// when the Link's Pager shares its lock).
type Guard struct {
	link Link
	opts GuardOptions
	lock sync.Locker
	own  sync.Mutex

	// Under lock.
	rules    Rules
	hasRules bool
	unpaged  [256]bool
	dev      [2]device
	// Buffers of the guard's own transactions (selects, read-backs, the
	// freeze byte), so that they cost no allocation.
	selData, back [2]byte
	one, val      [1]byte

	statMu sync.Mutex
	stats  Stats
}

var _ Memory = (*Guard)(nil)

// NewGuard returns the Memory of the module behind link.
func NewGuard(link Link, opts GuardOptions) *Guard {
	g := &Guard{link: link, opts: opts}
	g.opts.Retry = opts.Retry.withDefaults()
	g.lock = opts.Lock
	if g.lock == nil {
		g.lock = &g.own
	}
	return g
}

func (g *Guard) guarded() {}

// String names the module.
func (g *Guard) String() string { return g.link.String() }

// Stats returns this module's I/O counters.
func (g *Guard) Stats() Stats {
	g.statMu.Lock()
	defer g.statMu.Unlock()
	return g.stats
}

// Close closes the link when it holds something to close (a file, a
// socket); a module on a shared bus has nothing of its own to close.
func (g *Guard) Close() error {
	if c, ok := g.link.(io.Closer); ok {
		return c.Close()
	}
	return nil
}

// SetRules implements Memory.
func (g *Guard) SetRules(r Rules) error {
	if err := r.validate(); err != nil {
		return fmt.Errorf("%s: rules: %w", g, err)
	}
	g.lock.Lock()
	defer g.lock.Unlock()
	r.UnpagedIDs = append([]byte(nil), r.UnpagedIDs...)
	g.rules, g.hasRules = r, true
	g.unpaged = [256]bool{}
	for _, id := range r.UnpagedIDs {
		g.unpaged[id] = true
	}
	return nil
}

// Forget drops what the guard knows of the module (selected page, pages
// read back, identifier): the cage may hold another module now, which
// starts at page 00h whatever the last one had selected. The rules stay.
func (g *Guard) Forget() {
	g.lock.Lock()
	defer g.lock.Unlock()
	g.dev = [2]device{}
}

// Read implements Memory.
func (g *Guard) Read(ctx context.Context, addr, bank, page uint8, off int, p []byte) error {
	g.lock.Lock()
	defer g.lock.Unlock()
	a, err := g.access(OpRead, addr, bank, page, off, p)
	if err != nil {
		return g.err("read", bank, page, off, len(p), err)
	}
	if a.Off >= WindowSize {
		if err := g.selectPage(ctx, a.Addr, a.Bank, a.Page); err != nil {
			return g.err("select", a.Bank, a.Page, off, len(p), err)
		}
	}
	if _, err := g.tx(ctx, a); err != nil {
		return g.err("read", a.Bank, a.Page, off, len(p), err)
	}
	if a.Off == 0 && a.Addr == AddrA0 {
		d := &g.dev[0]
		d.ident, d.identKnown = p[0], true
	}
	if a.Off >= WindowSize && g.opts.HostPaging && g.opts.Retry.Shared && a.Page != 0 {
		// Another master (the NOS's optoe) expects page 00h.
		if err := g.writeSelect(ctx, a.Addr, 0, 0, false); err != nil {
			return g.err("select", 0, 0, PageSelect, 1, err)
		}
	}
	return nil
}

// Write implements Memory: only the bank and page select and the VDM
// freeze bit pass, checked in that order on every transport: a write
// outside the allowlist is ErrWriteRefused, then one the transport cannot
// make is ErrNotSupported. A select goes through the page cache; the
// freeze byte is read first and only its freeze bit may change.
func (g *Guard) Write(ctx context.Context, addr, bank, page uint8, off int, data []byte) error {
	g.lock.Lock()
	defer g.lock.Unlock()
	sel := addr == AddrA0 || addr == AddrA2
	isSelect := sel && (off == PageSelect && len(data) == 1 || off == BankSelect && len(data) == 2)
	isFreeze := g.hasRules && addr == AddrA0 && page == g.rules.FreezePage && off == g.rules.FreezeOffset && len(data) == 1
	switch {
	case !isSelect && !isFreeze && !g.hasRules:
		return g.err("write", bank, page, off, len(data), fmt.Errorf("%w (and no rules were given: every write is refused)", ErrWriteRefused))
	case !isSelect && !isFreeze:
		return g.err("write", bank, page, off, len(data), ErrWriteRefused)
	case g.opts.NoWrites:
		// Not even the freeze byte can be read-modify-written to check
		// its other bits: the write is refused and not supported.
		return g.err("write", bank, page, off, len(data), fmt.Errorf("%w: %w: %s has no module write", ErrWriteRefused, ErrNotSupported, g))
	case isFreeze:
		return g.wrapErr("write", bank, page, off, 1, g.writeFreeze(ctx, addr, page, data[0]))
	case off == PageSelect:
		return g.wrapErr("select", bank, data[0], off, 1, g.explicitSelect(ctx, addr, bank, data[0]))
	}
	return g.wrapErr("select", data[0], data[1], off, 2, g.explicitSelect(ctx, addr, data[0], data[1]))
}

func (g *Guard) explicitSelect(ctx context.Context, addr, bank, page uint8) error {
	if !g.opts.HostPaging {
		return fmt.Errorf("%w: %s selects pages itself; writing the select would race it", ErrNotSupported, g)
	}
	if !g.hasRules {
		return fmt.Errorf("%w: no rules were given: every write is refused", ErrWriteRefused)
	}
	bank, page = normalise(bank, page)
	if err := g.checkBank(bank); err != nil {
		return err
	}
	return g.selectPage(ctx, addr, bank, page)
}

// writeFreeze sets or clears the freeze bit by read-modify-write: the
// byte is read, and new may differ from it in the freeze bit only.
func (g *Guard) writeFreeze(ctx context.Context, addr, page, v byte) error {
	if g.unpagedA0() {
		return fmt.Errorf("%w: this module (identifier %02Xh) has no paged memory and no VDM freeze", ErrWriteRefused, g.dev[0].ident)
	}
	if err := g.selectPage(ctx, addr, 0, page); err != nil {
		return err
	}
	old := g.one[:]
	if _, err := g.tx(ctx, Access{Op: OpRead, Addr: addr, Page: page, Off: g.rules.FreezeOffset, Data: old}); err != nil {
		return err
	}
	if (v^old[0])&^g.rules.FreezeBit != 0 {
		return fmt.Errorf("%w: byte is %02Xh, writing %02Xh would change more than bit %#02x", ErrWriteRefused, old[0], v, g.rules.FreezeBit)
	}
	g.val[0] = v
	_, err := g.tx(ctx, Access{Op: OpWrite, Addr: addr, Page: page, Off: g.rules.FreezeOffset, Data: g.val[:], old: old[0]})
	return err
}

// access checks and normalises a read: the range rules every transport
// shares. The caller holds the lock.
func (g *Guard) access(op Op, addr, bank, page uint8, off int, p []byte) (Access, error) {
	n := len(p)
	switch {
	case addr != AddrA0 && addr != AddrA2:
		return Access{}, fmt.Errorf("%w: device 0x%02X: a module is read at 0x50 (A0h) and 0x51 (A2h)", ErrRange, addr)
	case n < 1 || n > WindowSize:
		return Access{}, fmt.Errorf("%w: length %d: a read is 1 to 128 bytes", ErrRange, n)
	case off < 0 || off+n > 256:
		return Access{}, fmt.Errorf("%w: offset %d length %d runs past byte 255", ErrRange, off, n)
	case off < WindowSize && off+n > WindowSize:
		return Access{}, fmt.Errorf("%w: offset %d length %d crosses the 127/128 boundary", ErrRange, off, n)
	}
	if off < WindowSize {
		bank, page = 0, 0 // lower memory is the same on every page
	}
	bank, page = normalise(bank, page)
	if err := g.checkBank(bank); err != nil {
		return Access{}, err
	}
	if off >= WindowSize && page != 0 && addr == AddrA0 && g.unpagedA0() {
		return Access{}, fmt.Errorf("%w: this module's A0h (identifier %02Xh) has no page %02Xh: it has no page select", ErrRefused, g.dev[0].ident, page)
	}
	return Access{Op: op, Addr: addr, Bank: bank, Page: page, Off: off, Data: p}, nil
}

// normalise returns the bank the module uses for page: 0 when the page
// is not banked.
func normalise(bank, page uint8) (uint8, uint8) {
	if !banked(page) {
		bank = 0
	}
	return bank, page
}

// banked reports whether a page is repeated per bank (CMIS: 10h-FFh, as
// optoe and SONiC treat them; the CDB pages 9Fh-AFh are not banked).
func banked(page uint8) bool { return page >= 0x10 && (page < 0x9F || page > 0xAF) }

func (g *Guard) checkBank(bank uint8) error {
	if g.hasRules && int(bank) >= g.rules.MaxBanks {
		return fmt.Errorf("%w: bank %d: a module has at most %d banks", ErrRange, bank, g.rules.MaxBanks)
	}
	return nil
}

// unpagedA0 reports whether the module's A0h has no page select.
func (g *Guard) unpagedA0() bool {
	d := g.dev[0]
	return d.identKnown && g.unpaged[d.ident]
}

// selectPage makes (bank, page) the module's upper memory, writing only
// what changed: nothing when the cache already says so; byte 127 alone when
// only the page changes; bytes 126-127 in one 2-byte write when the bank
// changes (CMIS 5.3 §8.2.15: the bank takes effect when the page is
// written). The first time a page is selected it is read back: a module
// refuses a page it does not have by clearing byte 127. Links whose driver
// selects pages (HostPaging false) need none of it.
func (g *Guard) selectPage(ctx context.Context, addr, bank, page uint8) error {
	if !g.opts.HostPaging {
		return nil
	}
	if addr == AddrA0 && !g.dev[0].identKnown {
		// Which kind of memory this is decides whether byte 127 is a page
		// select or data: read the identifier before any select (a read
		// plan reads lower memory first, so this costs nothing there).
		id := g.one[:]
		if _, err := g.tx(ctx, Access{Op: OpRead, Addr: AddrA0, Data: id}); err != nil {
			return err
		}
		d := &g.dev[0]
		d.ident, d.identKnown = id[0], true
	}
	if addr == AddrA0 && g.unpagedA0() {
		// No page select: bytes 128-255 are plain memory and byte 127 is
		// vendor data, which must never be written.
		if page != 0 || bank != 0 {
			return fmt.Errorf("%w: this module's A0h has no page %02Xh", ErrRefused, page)
		}
		return nil
	}
	d := &g.dev[addr-AddrA0]
	cur := d.sel
	if cur.known && cur.page == page && (cur.bank == bank || !banked(page)) && !g.opts.Retry.Shared {
		return nil
	}
	// Bank and page go together (2 bytes at 126) when the bank must change.
	// When the bank is unknown and 0 is wanted, a 1-byte page write is tried
	// first (modules with only bank 0 may reject 2-byte writes, per the
	// SONiC banking design) and the read-back below catches a stale bank.
	twoByte := banked(page) && ((cur.known && cur.bank != bank) || (!cur.known && bank != 0))
	if err := g.writeSelect(ctx, addr, bank, page, twoByte); err != nil {
		return err
	}
	if d.verified == nil {
		d.verified = map[[2]uint8]bool{}
	}
	// Read back the first select of each page, and any select made while
	// the bank was unknown (after a bus error or at start).
	key := [2]uint8{bank, page}
	if d.verified[key] && (cur.known || !banked(page)) {
		return nil
	}
	back := g.back[:]
	readBack := Access{Op: OpRead, Addr: addr, Off: BankSelect, Data: back}
	if _, err := g.tx(ctx, readBack); err != nil {
		d.sel = selection{}
		return err
	}
	if back[1] == page && banked(page) && back[0] != bank && !twoByte {
		// The module sat in another bank: select bank and page together.
		if err := g.writeSelect(ctx, addr, bank, page, true); err != nil {
			return err
		}
		if _, err := g.tx(ctx, readBack); err != nil {
			d.sel = selection{}
			return err
		}
	}
	if back[1] != page || (banked(page) && back[0] != bank) {
		d.sel = selection{known: true, bank: back[0], page: back[1]}
		return fmt.Errorf("%w: selected bank %d page %02Xh, module reads back bank %d page %02Xh", ErrRefused, bank, page, back[0], back[1])
	}
	d.verified[key] = true
	return nil
}

// writeSelect writes the page select (and the bank with it, if twoByte)
// and updates the selection the guard believes in.
func (g *Guard) writeSelect(ctx context.Context, addr, bank, page uint8, twoByte bool) error {
	g.selData = [2]byte{bank, page}
	a := Access{Op: OpSelect, Addr: addr, Off: PageSelect, Data: g.selData[1:]}
	if twoByte {
		a = Access{Op: OpSelect, Addr: addr, Off: BankSelect, Data: g.selData[:]}
	}
	d := &g.dev[addr-AddrA0]
	if _, err := g.tx(ctx, a); err != nil {
		d.sel = selection{}
		return err
	}
	cur := d.sel
	if twoByte || !cur.known {
		cur.bank = bank
	}
	d.sel = selection{known: true, bank: cur.bank, page: page}
	return nil
}

// admit is the write allowlist, checked on every write transaction,
// whoever asked for it: a bug elsewhere in ddm cannot write to a module.
func (g *Guard) admit(a Access) error {
	ok := false
	switch a.Op {
	case OpSelect:
		ok = g.hasRules && g.opts.HostPaging && !(a.Addr == AddrA0 && g.unpagedA0()) &&
			(a.Off == PageSelect && len(a.Data) == 1 || a.Off == BankSelect && len(a.Data) == 2)
	case OpWrite:
		ok = g.hasRules && !g.opts.NoWrites && a.Addr == AddrA0 && a.Page == g.rules.FreezePage &&
			a.Off == g.rules.FreezeOffset && len(a.Data) == 1 && (a.Data[0]^a.old)&^g.rules.FreezeBit == 0
	}
	if !ok {
		return fmt.Errorf("%w: %s of %d byte(s) at page %02Xh offset %d", ErrWriteRefused, a.Op, len(a.Data), a.Page, a.Off)
	}
	return nil
}

// tx runs one transaction, with bounded retries on NACK on a raw bus: the
// only path from ddm to a Link.
func (g *Guard) tx(ctx context.Context, a Access) (int, error) {
	if a.Op != OpRead {
		if err := g.admit(a); err != nil {
			return 0, err
		}
	}
	d := &g.dev[a.Addr-AddrA0]
	ro := g.opts.Retry
	backoff := ro.Backoff
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		n, err := g.transfer(ctx, a)
		if err == nil {
			d.answered = true
			return n, nil
		}
		if !g.opts.HostPaging {
			// The driver has retried already and classified the error.
			g.count(func(s *Stats) { s.Errors++ })
			return n, err
		}
		if !IsNACK(err) {
			g.count(func(s *Stats) { s.Errors++ })
			d.sel = selection{} // the bus state is unknown after a failure
			return n, fmt.Errorf("%w: %w", ErrBus, err)
		}
		if attempt >= ro.Retries || !fitsDeadline(ctx, backoff) {
			g.count(func(s *Stats) { s.Errors++ })
			if !d.answered {
				// Never answered since we last saw it gone: nothing is there.
				g.dev[a.Addr-AddrA0] = device{}
				return n, fmt.Errorf("%w: no ACK after %d tries: %w", ErrAbsent, attempt+1, err)
			}
			d.sel = selection{}
			return n, fmt.Errorf("%w: NACK after %d tries: %w", ErrBusy, attempt+1, err)
		}
		g.count(func(s *Stats) { s.Retries++ })
		// The wire is held while waiting: a module that NACKs is updating
		// its memory, and the next transaction on this bus would queue
		// behind it anyway.
		if err := ro.Wait(ctx, backoff); err != nil {
			return n, err
		}
		backoff = min(2*backoff, ro.MaxBackoff)
	}
}

// transfer hands one access to the link and counts it.
func (g *Guard) transfer(ctx context.Context, a Access) (int, error) {
	wc, _ := g.link.(wireClock)
	var before time.Duration
	virtual := false
	if wc != nil {
		before, virtual = wc.WireTime()
	}
	start := time.Now()
	n, err := g.link.Transfer(ctx, a)
	var took time.Duration
	if virtual {
		after, _ := wc.WireTime()
		took = after - before
	} else {
		took = time.Since(start)
	}
	n = max(0, min(n, len(a.Data)))
	g.count(func(s *Stats) {
		s.Transactions++
		s.BusTime += took
		if a.Op == OpRead {
			s.BytesRead += int64(n)
		} else {
			s.BytesWritten += int64(n)
		}
		if a.Op == OpSelect && err == nil {
			s.PageSelects++
		}
		if IsNACK(err) {
			s.NACKs++
		}
	})
	return n, err
}

func (g *Guard) count(f func(*Stats)) {
	g.statMu.Lock()
	f(&g.stats)
	g.statMu.Unlock()
}

func fitsDeadline(ctx context.Context, d time.Duration) bool {
	dl, ok := ctx.Deadline()
	return !ok || time.Until(dl) > d
}

func (g *Guard) err(op string, bank, page uint8, off, n int, err error) error {
	return &Error{Op: op, Module: g.String(), Bank: bank, Page: page, Offset: off, Length: n, Err: err}
}

func (g *Guard) wrapErr(op string, bank, page uint8, off, n int, err error) error {
	if err == nil {
		return nil
	}
	return g.err(op, bank, page, off, n, err)
}
