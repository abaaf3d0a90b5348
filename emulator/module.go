package emulator

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"syscall"
	"time"

	"github.com/ddm-agent/ddm/cmis"
)

// Device-address roles: memory is kept under the address a module has by
// default; a module moved elsewhere (WithAddress) maps its bus address back.
const (
	roleA0 = 0x50 // CMIS, SFF-8636 and SFF-8472 serial ID (A0h)
	roleA2 = 0x51 // SFF-8472 diagnostics (A2h)

	bankSelect = 126
	pageSelect = 127
)

// Byte classes: what a host write does and what a read does.
type byteClass uint8

const (
	classRO  byteClass = iota // read-only: a write is ignored (and logged as ignored)
	classRW                   // host-writable and read back
	classWO                   // host-writable, reads back 0 (passwords)
	classCOR                  // latched flag: read-only, cleared by reading it
)

// personality is what a management interface decides: the memory image,
// which bytes a host may write, which are latched, which pages exist, and
// how a sample of the dynamics is encoded.
type personality interface {
	// roles lists the device addresses (roleA0, roleA2) the module answers at.
	roles() []uint16
	// build returns the memory image at insertion.
	build(serial string) *memory
	// spans lists the page checksums.
	spans() []span
	class(w win, off int) byteClass
	// paged reports whether the role address has a page select at 127.
	paged(role uint16) bool
	// hasPage reports whether a page select of (bank, page) is accepted.
	hasPage(bank, page uint8) bool
	banked(page uint8) bool
	// wrap is where the address pointer goes after byte 255.
	wrap() int
	// cmis reports CMIS semantics: bank select at 126, VDM freeze at 2Fh:144.
	cmis() bool
	// live returns a byte computed when read (status, summaries), if off is one.
	live(m *Module, w win, off int) (byte, bool)
	// apply encodes s into memory and latches the flags it raises; prev is
	// the previous update's sample (nil after insertion).
	apply(m *Module, s, prev *sample)
}

// WriteRecord is one byte a host wrote.
type WriteRecord struct {
	Time   time.Time
	Addr   uint16 // bus address
	Bank   uint8  // bank in effect
	Page   uint8  // page select (byte 127) before the write
	Offset int    // I2C offset, 0-255
	Value  byte
	// Ignored: the byte is read-only; the module did not store it.
	Ignored bool
}

// WriteLogSize bounds Writes: the last writes are what a test inspects,
// and every emulated module of `ddm run --emulate` keeps its log (at 48
// bytes a record, 4096 were 12.6 MB for 64 modules, filling over the first
// minutes of a run: most of the live heap's growth).
const WriteLogSize = 512

const maxWriteLog = WriteLogSize

// maxTicks bounds the internal updates run by one access; a longer gap is
// sampled evenly.
const maxTicks = 600

// selection is the bank and page the upper half of the paged address shows.
type selection struct {
	bank, page uint8
	serve00    bool // a refused-pages fault: 127 holds page, page 00h is served
}

// Module is one emulated module behind an I²C address (two for SFF-8472):
// paged memory with CMIS or SFF semantics, a state machine, dynamics and
// faults, all evaluated lazily against its clock when it is accessed. It
// implements Device and is safe for concurrent use.
type Module struct {
	mu       sync.Mutex
	name     string
	p        personality
	md       *model // nil: static memory (a dump file)
	cfg      config
	serial   string
	pristine *memory
	spanList []span
	rng      *rand.Rand

	// Since insertion.
	present  bool
	inserted time.Time
	mem      *memory
	ptr      map[uint16]int
	sel      selection
	dyn      *dynState
	fz       freezeState
	ticked   bool
	lastTick int64
	prev     *sample

	// pulses are the lanes' FaultLOSPulses trains, onsets their pulses
	// begun so far (pulses.go).
	pulses []*pulseTrain
	onsets []Onset
	// intl is the IntL line's level and transitions (intl.go).
	intl intLState

	load    float64
	writes  []WriteRecord
	wnext   int
	wtotal  int64
	ignored int64
}

func newModule(name string, p personality, md *model, c config) *Module {
	serial := c.serial
	m := &Module{name: name, p: p, md: md, cfg: c, load: c.load,
		rng: rand.New(rand.NewPCG(c.seed, mix(c.seed)))}
	if serial == "" && md != nil {
		serial = fmt.Sprintf("%s%08d", md.p.SerialPrefix, mix(c.seed^0x5e41)%100000000)
	}
	m.serial = serial
	if md != nil {
		m.pulses = newPulseTrains(&c)
		if len(m.pulses) > 0 {
			md.los = m.pulseLOS
		}
	}
	m.pristine = p.build(serial)
	m.spanList = p.spans()
	for _, s := range m.spanList {
		m.pristine.fix(s)
	}
	m.reset(c.insertion)
	return m
}

// reset puts the module in the state of a fresh insertion at t.
func (m *Module) reset(t time.Time) {
	m.present, m.inserted = true, t
	m.mem = m.pristine.clone()
	m.ptr = map[uint16]int{}
	m.sel = selection{}
	lanes := 0
	if m.md != nil {
		lanes = m.md.lanes
	}
	m.dyn = newDynState(lanes)
	m.fz = freezeState{}
	// The state at insertion, so that the first update sees its changes.
	m.ticked, m.lastTick, m.prev = false, 0, &sample{state: stateLowPwr, dp: dpDeactivated}
}

// String names the module: profile and serial number.
func (m *Module) String() string { return m.name + " " + m.serial }

// Serial returns the serial number.
func (m *Module) Serial() string { return m.serial }

// Addresses lists the bus addresses the module answers at.
func (m *Module) Addresses() []uint16 {
	var a []uint16
	for _, r := range m.p.roles() {
		a = append(a, m.cfg.address+r-roleA0)
	}
	return a
}

// AttachTo attaches the module to b at each of its addresses.
func (m *Module) AttachTo(b *Bus) {
	for _, a := range m.Addresses() {
		b.Attach(a, m)
	}
}

// SetLoad sets the load factor (0 idle to 1 full traffic) from now on; the
// module temperature moves towards it with a 90 s time constant.
func (m *Module) SetLoad(f float64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if now := m.cfg.clk.Now(); m.sync(now) {
		m.advance(now) // the updates due so far ran at the old load
	}
	m.load = clampLoad(f)
}

// Writes returns the most recent host writes (up to WriteLogSize), oldest first,
// including the ignored ones.
func (m *Module) Writes() []WriteRecord {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.writes) < maxWriteLog {
		return append([]WriteRecord(nil), m.writes...)
	}
	return append(append([]WriteRecord(nil), m.writes[m.wnext:]...), m.writes[:m.wnext]...)
}

// WriteCounts returns how many bytes hosts have written since creation and
// how many of them were ignored (read-only bytes).
func (m *Module) WriteCounts() (total, ignored int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.wtotal, m.ignored
}

func (m *Module) logWrite(r WriteRecord) {
	m.wtotal++
	if r.Ignored {
		m.ignored++
	}
	if len(m.writes) < maxWriteLog {
		if m.writes == nil {
			// The whole ring at once: no garbage from growing it.
			m.writes = make([]WriteRecord, 0, maxWriteLog)
		}
		m.writes = append(m.writes, r)
		return
	}
	m.writes[m.wnext] = r
	m.wnext = (m.wnext + 1) % maxWriteLog
}

// Present reports whether the module is plugged in now.
func (m *Module) Present() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.sync(m.cfg.clk.Now())
}

// Snapshot returns the module's whole memory now, every bank and page, as
// the decoder's Snapshot, without the side effects of a bus read (latched
// flags are not cleared). It returns nil while the module is absent.
func (m *Module) Snapshot() *cmis.Snapshot {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.cfg.clk.Now()
	if !m.sync(now) {
		return nil
	}
	m.advance(now)
	s := cmis.NewSnapshot()
	s.Time = now
	for w, p := range m.mem.w {
		id := cmis.PageID{Addr: uint8(w.addr), Lower: w.lower, Bank: w.bank, Page: w.page}
		_ = s.SetPage(id, p[:])
	}
	return s
}

// Tx is one I²C transaction at addr: w[0] sets the address pointer, the
// rest of w is written from there, then r is read sequentially. The
// pointer moves from 127 into the upper page and wraps from 255 back to
// 128 (CMIS, SFF-8636: the upper page repeats) or to 0 (SFF-8472 A0h/A2h,
// 256-byte devices). A module that is absent or NACKs returns
// syscall.ENXIO and changes nothing.
func (m *Module) Tx(addr uint16, w, r []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	role, ok := m.role(addr)
	if !ok {
		return syscall.ENXIO
	}
	now := m.cfg.clk.Now()
	if !m.sync(now) || m.nacks(now) {
		return syscall.ENXIO
	}
	m.advance(now)
	if len(w) > 0 {
		off := int(w[0])
		for _, v := range w[1:] {
			m.writeByte(addr, role, off, v, now)
			off = m.next(off)
		}
		m.ptr[role] = off
	}
	if len(r) > 0 {
		off := m.ptr[role]
		first := m.locate(role, off)
		for i := range r {
			r[i] = m.readByte(role, off)
			off = m.next(off)
		}
		m.ptr[role] = off
		m.corrupt(now, first, r)
	}
	m.noteIntL() // a read clears flags, a write may mask them
	return nil
}

func (m *Module) role(addr uint16) (uint16, bool) {
	for _, r := range m.p.roles() {
		if addr == m.cfg.address+r-roleA0 {
			return r, true
		}
	}
	return 0, false
}

func (m *Module) next(off int) int {
	if off >= 255 {
		return m.p.wrap()
	}
	return off + 1
}

// sync applies the unplug schedule: false while absent; a module that was
// re-inserted since the last access starts again from power-up.
func (m *Module) sync(now time.Time) bool {
	present, inserted := presenceAt(&m.cfg, now)
	if !present {
		m.present = false
		return false
	}
	if !m.present || !inserted.Equal(m.inserted) {
		m.reset(inserted)
	}
	return true
}

// locate returns the window that I2C offset off at role shows now.
func (m *Module) locate(role uint16, off int) win {
	if off < pageSize {
		return lowerWin(role)
	}
	if !m.p.paged(role) {
		return upperWin(role, 0, 0)
	}
	bank, page := m.sel.bank, m.sel.page
	if m.sel.serve00 {
		bank, page = 0, 0
	}
	if !m.p.banked(page) {
		bank = 0
	}
	return upperWin(role, bank, page)
}

func (m *Module) readByte(role uint16, off int) byte {
	w := m.locate(role, off)
	if v, ok := m.p.live(m, w, off); ok {
		return v
	}
	p := m.mem.get(w)
	if p == nil {
		return 0
	}
	switch m.p.class(w, off) {
	case classWO:
		return 0
	case classCOR:
		v := p[idx(off)]
		p[idx(off)] = 0
		return v
	}
	return p[idx(off)]
}

func (m *Module) writeByte(addr, role uint16, off int, v byte, now time.Time) {
	w := m.locate(role, off)
	lower := m.mem.ensure(lowerWin(role))
	cls := m.p.class(w, off)
	m.logWrite(WriteRecord{Time: now, Addr: addr, Bank: m.sel.bank, Page: lower[pageSelect], Offset: off, Value: v,
		Ignored: cls == classRO || cls == classCOR})
	switch {
	case cls == classRO || cls == classCOR:
		return
	case off == pageSelect && m.p.paged(role):
		m.selectPage(role, v, now)
		return
	}
	p := m.mem.get(w)
	if p == nil {
		return
	}
	p[idx(off)] = v
	if m.p.cmis() && !w.lower && w.page == vdmCtrlPage && off == vdmFreezeReq {
		m.freezeRequest(v, now)
	}
	m.fixSpans(w)
}

// selectPage handles a write of v to byte 127. The bank written to 126
// takes effect now (CMIS 5.3 §8.2.15). A page the module does not have is
// refused: PageSelect reads back 0 and page 00h is served.
func (m *Module) selectPage(role uint16, v byte, now time.Time) {
	lower := m.mem.ensure(lowerWin(role))
	bank := uint8(0)
	if m.p.cmis() {
		bank = lower[bankSelect]
	}
	switch {
	case m.refused(now, v):
		lower[pageSelect] = v
		m.sel = selection{bank: bank, page: v, serve00: true}
	case m.p.hasPage(bank, v):
		lower[pageSelect] = v
		m.sel = selection{bank: bank, page: v}
	default:
		lower[pageSelect] = 0
		m.sel = selection{bank: bank}
	}
}

// poke changes module memory from inside the emulator and recomputes the
// checksums of the window.
func (m *Module) poke(w win, off int, b []byte) {
	p := m.mem.get(w)
	if p == nil {
		return
	}
	for i, v := range b {
		if o := off + i; idx(o) == o-w.base() {
			p[idx(o)] = v
		}
	}
	m.fixSpans(w)
}

func (w win) base() int {
	if w.lower {
		return 0
	}
	return pageSize
}

func (m *Module) fixSpans(w win) {
	for _, s := range m.spanList {
		if s.w == w {
			m.mem.fix(s)
		}
	}
}

// advance runs the internal updates due since the last access.
func (m *Module) advance(now time.Time) {
	if m.md != nil {
		k := int64(now.Sub(m.inserted) / m.cfg.update)
		if !m.ticked || k > m.lastTick {
			from := int64(0)
			if m.ticked {
				from = m.lastTick + 1
			}
			n := k - from + 1
			steps := min(n, maxTicks)
			for j := int64(1); j <= steps; j++ {
				m.tick(from + n*j/steps - 1)
			}
			m.ticked, m.lastTick = true, k
		}
		m.latchPulses(now)
	}
	m.settleFreeze(now)
	m.noteIntL()
}

func (m *Module) tick(k int64) {
	t := m.inserted.Add(time.Duration(k) * m.cfg.update)
	m.settleFreeze(t)
	s := m.md.sampleAt(t, m.inserted, m.load, m.dyn, m.fz.frozen)
	m.p.apply(m, s, m.prev)
	m.prev = s
}
