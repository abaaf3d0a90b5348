package cmis

import (
	"slices"
	"strings"
)

// Layout is what a module's static pages say, decoded once: identity,
// applications, advertisement, thresholds, VDM descriptors with their
// thresholds, the lane count, which monitors the module has, and the read
// plans of its fast and VDM cadences. The static pages change only when
// the module is replaced or changes state or firmware, so a poller makes a
// Layout at those times and, every cycle in between, decodes only what the
// cycle read with DecodeInto.
//
// A Layout is read-only once made and safe for concurrent use. The Modules
// it fills share its static parts (Applications, Thresholds, Advertisement,
// Checksums, the static Warnings, the VDM thresholds): treat those as
// read-only.
type Layout struct {
	family Family
	// src is the static pages as read; view is src less the upper pages
	// that read back as copies of page 00h (see hideCopies).
	src, view *Snapshot
	// base is the static decode: every field that comes from the static
	// pages, with the per-read fields (monitors, flags, lanes, VDM samples)
	// left zero.
	base Module

	fast, vdm []Range
	// read lists the pages the fast and VDM plans read, with the bytes they
	// read of each: a read holding anything else is decoded the slow way.
	read []readPage
	// hidden are the static pages that are copies of page 00h; p00 is page
	// 00h when copies are looked for (read whole and not all one value).
	hidden []PageID
	p00    *window
	// guards are bytes of the fast read that the static decode also used:
	// if a read disagrees, the statics no longer hold for it.
	guards []byteGuard

	cmis cmisLayout
	qsfp qsfpCaps
	sfp  *sfpCal // nil: no diagnostics, or their calibration is unusable
	// sfpDiag: SFF-8472 A0h byte 92 advertises diagnostics at A2h.
	sfpDiag bool
}

// readPage is one page a plan reads and which of its bytes.
type readPage struct {
	id    PageID
	valid [2]uint64
}

// byteGuard is a byte of the fast read whose masked bits the static decode
// relied on.
type byteGuard struct {
	page PageID
	off  int
	mask byte
	want byte // masked value in the static read (0 if not read)
}

// NewLayout decodes the static pages in s (what the Static plan read) and
// caches the Fast and VDM read plans. s is copied: the caller may reuse it.
// It fails only when s lacks the identifier byte.
func NewLayout(s *Snapshot) (*Layout, error) {
	l, err := newLayout(s.Clone())
	if err != nil {
		return nil, err
	}
	l.fast, l.vdm = Plan(l.src, Fast), Plan(l.src, VDM)
	for _, r := range append(slices.Clip(l.fast), l.vdm...) {
		l.addRead(r)
	}
	// A group without descriptors can only show samples a read brought
	// (the plan asked for them) or that the static pages held.
	l.cmis.noDesc = slices.DeleteFunc(l.cmis.noDesc, func(g noDescGroup) bool {
		return !l.view.HasPage(g.samples) && !slices.ContainsFunc(l.read, func(p readPage) bool { return p.id == g.samples })
	})
	// The Module's static slices are shared by every Module filled from the
	// Layout: clipped, an append to one of them copies instead of writing
	// into the Layout.
	b := &l.base
	b.Applications, b.Checksums, b.Warnings = slices.Clip(b.Applications), slices.Clip(b.Checksums), slices.Clip(b.Warnings)
	return l, nil
}

// newLayout runs the static decode of s, which it keeps (no copy).
func newLayout(s *Snapshot) (*Layout, error) {
	id, ok := s.byteAt(Lower, 0)
	if !ok {
		return nil, ErrNoLowerMemory
	}
	l := &Layout{family: FamilyOf(id), src: s, view: s}
	m := &l.base
	m.IdentifierCode, m.Identifier = id, IdentifierName(id)
	switch l.family {
	case FamilyCMIS:
		l.staticCMIS()
	case FamilySFF8636:
		l.staticSFF8636()
	case FamilySFF8472:
		l.staticSFF8472()
	default:
		m.Spec = "unknown"
		m.warnf("identifier %02Xh (%s) has no known management interface; nothing decoded", id, m.Identifier)
	}
	slices.SortStableFunc(m.Checksums, func(a, b Checksum) int { return strings.Compare(a.Page, b.Page) })
	return l, nil
}

func (l *Layout) addRead(r Range) {
	id := r.Page.norm()
	i := slices.IndexFunc(l.read, func(p readPage) bool { return p.id == id })
	if i < 0 {
		l.read = append(l.read, readPage{id: id})
		i = len(l.read) - 1
	}
	for j := r.Offset - id.Base(); j < r.End()-id.Base(); j++ {
		l.read[i].valid[j/64] |= 1 << (j % 64)
	}
}

// Static returns the static decode: identity, applications, advertisement,
// thresholds and checksums, without any per-read value. It is the
// Layout's own: do not modify it.
func (l *Layout) Static() *Module { return &l.base }

// Family is the module's management interface family.
func (l *Layout) Family() Family { return l.family }

// Plan returns the cached read plan of a Fast or VDM cycle (the ranges
// Plan(s, c) names for the static pages the Layout was made from), and nil
// for Static. The slice is the Layout's: do not modify it.
func (l *Layout) Plan(c Cadence) []Range {
	switch c {
	case Fast:
		return l.fast
	case VDM:
		return l.vdm
	}
	return nil
}

// Lanes is the number of lanes a read of the module reports: 8 per bank,
// or on a one-bank module the lanes its applications use.
func (l *Layout) Lanes() int {
	switch l.family {
	case FamilyCMIS:
		if l.cmis.flat {
			return 0
		}
		if l.cmis.adv.Banks == 1 {
			return l.cmis.perBank
		}
		return 8 * l.cmis.adv.Banks
	case FamilySFF8636:
		return qsfpLanes
	case FamilySFF8472:
		if l.sfpDiag {
			return 1
		}
	}
	return 0
}

// Decode returns a new Module decoded from read (bytes of this module's
// fast and VDM plans) over the static pages: the same Module Decode makes
// of the static pages merged with read.
func (l *Layout) Decode(read *Snapshot) *Module {
	m := &Module{}
	l.DecodeInto(m, read)
	return m
}

// DecodeInto fills dst with what Decode would make of the static pages
// merged with read (Snapshot.Merge), without merging them and without
// decoding the static pages again. read holds the bytes of one cycle: the
// ranges of Plan(Fast), and for a VDM cycle also those of Plan(VDM).
//
// dst is overwritten. Its floats, lanes, VDM values and lasers are reused,
// so once dst has been filled from this Layout, a decode of a module whose
// read draws no warning allocates nothing. dst must therefore not share
// them with a Module still in use (Clone gives an independent copy).
//
// A read holding bytes the plans do not read, a page that now reads back
// as a copy of page 00h, or a byte the static decode relied on that now
// reads differently (an SFF-8636 Flat_mem bit) is decoded the slow way,
// by merging: the result is the same, only slower.
func (l *Layout) DecodeInto(dst *Module, read *Snapshot) {
	if l.decodeFast(dst, read) {
		return
	}
	s := l.src.Clone()
	if read != nil {
		s.Merge(read)
	}
	m, _ := Decode(s) // s holds byte 0: l was made from it
	*dst = *m
}

// decodeFast is DecodeInto without merging. It reports false, with dst in
// an undefined state, when read needs the slow way.
func (l *Layout) decodeFast(dst *Module, read *Snapshot) bool {
	mem := layered{top: read, base: l.view}
	if !l.fits(&mem) {
		return false
	}
	st := take(dst)
	*dst = l.base
	l.dynamic(dst, &mem, &st)
	return !mem.mixed
}

// fits reports whether the fast path may decode mem: the read holds only
// planned bytes, none of its pages reads back as page 00h, and the guarded
// bytes read as they did in the static read.
func (l *Layout) fits(mem *layered) bool {
	if mem.top == nil {
		return true
	}
	for id, w := range mem.top.pages {
		if w.empty() {
			continue
		}
		i := slices.IndexFunc(l.read, func(p readPage) bool { return p.id == id })
		if i < 0 || w.valid[0]&^l.read[i].valid[0] != 0 || w.valid[1]&^l.read[i].valid[1] != 0 {
			return false
		}
		if l.p00 != nil && mayBeCopy(id) {
			if slices.Contains(l.hidden, id) || mergedSameAsPage00(w, l.view, id, l.p00) {
				return false
			}
		}
	}
	for _, g := range l.guards {
		b, _ := mem.byteAt(g.page, g.off)
		if b&g.mask != g.want {
			return false
		}
	}
	return true
}

// dynamic decodes the per-read fields of the module into m, whose static
// fields are set.
func (l *Layout) dynamic(m *Module, mem *layered, st *storage) {
	switch l.family {
	case FamilyCMIS:
		l.dynamicCMIS(m, mem, st)
	case FamilySFF8636:
		l.dynamicSFF8636(m, mem, st)
	case FamilySFF8472:
		l.dynamicSFF8472(m, mem, st)
	}
	// A decode that found nothing leaves nil, as a fresh decode does, not
	// the empty slices of the reused storage.
	if len(m.Lanes) == 0 {
		m.Lanes = nil
	}
	if len(m.VDM) == 0 {
		m.VDM = nil
	}
	if len(m.LaserSource) == 0 {
		m.LaserSource = nil
	}
}

// layered is the memory a per-read decode sees: the bytes of one read
// (top) laid over the static pages (base), as Snapshot.Merge would lay
// them, without copying either. Either may be nil.
type layered struct {
	top, base *Snapshot
	// mixed: a field was found partly in top and partly not, which only a
	// real merge decodes right.
	mixed bool
}

// bytes returns the n bytes at offset off of page id, or nil if any of them
// is in neither layer.
func (v *layered) bytes(id PageID, off, n int) []byte {
	j := off - id.Base()
	if w := v.top.window(id); w != nil {
		if w.has(j, n) {
			return w.data[j : j+n]
		}
		if w.hasAny(j, n) {
			v.mixed = true
			return nil
		}
	}
	if w := v.base.window(id); w != nil && w.has(j, n) {
		return w.data[j : j+n]
	}
	return nil
}

func (v *layered) byteAt(id PageID, off int) (byte, bool) {
	b := v.bytes(id, off, 1)
	if b == nil {
		return 0, false
	}
	return b[0], true
}

func (v *layered) hasPage(id PageID) bool {
	return v.page(id).present()
}

// page returns both layers' windows of id, for decodes that read many
// small fields of one page (VDM samples and flags).
func (v *layered) page(id PageID) pageLayers {
	return pageLayers{top: v.top.window(id), base: v.base.window(id), v: v}
}

type pageLayers struct {
	top, base *window
	v         *layered
}

func (p pageLayers) present() bool {
	return p.top != nil && !p.top.empty() || p.base != nil && !p.base.empty()
}

// bytes is layered.bytes for window offsets j (0-127).
func (p pageLayers) bytes(j, n int) []byte {
	if p.top != nil {
		if p.top.has(j, n) {
			return p.top.data[j : j+n]
		}
		if p.top.hasAny(j, n) {
			p.v.mixed = true
			return nil
		}
	}
	if p.base != nil && p.base.has(j, n) {
		return p.base.data[j : j+n]
	}
	return nil
}

// all returns the layer that holds every byte of window offsets
// [span[0], span[1]), where the merge would take them from, or nil when
// neither layer holds them all by itself.
func (p pageLayers) all(span [2]int) *window {
	j, n := span[0], span[1]-span[0]
	if n <= 0 {
		return nil
	}
	if p.top != nil {
		if p.top.has(j, n) {
			return p.top
		}
		if p.top.hasAny(j, n) {
			return nil
		}
	}
	if p.base != nil && p.base.has(j, n) {
		return p.base
	}
	return nil
}

// mayBeCopy reports whether page id is one hideCopies checks: an upper
// page at 0x50 other than page 00h itself.
func mayBeCopy(id PageID) bool {
	return !id.Lower && id.addr() == AddrA0 && !(id.Page == 0 && id.Bank == 0)
}

// mergedSameAsPage00 is sameAsPage00 of top laid over page id of view.
func mergedSameAsPage00(top *window, view *Snapshot, id PageID, p00 *window) bool {
	// A byte of top that differs from page 00h is in the merge: no copy.
	// That settles almost every read without looking at base.
	for j := 0; j < PageSize; j++ {
		if top.valid[j/64]&(1<<(j%64)) != 0 && top.data[j] != p00.data[j] {
			return false
		}
	}
	w := *top
	if base := view.window(id); base != nil {
		for j := 0; j < PageSize; j++ {
			if top.valid[j/64]&(1<<(j%64)) == 0 {
				w.data[j] = base.data[j]
			}
		}
		w.valid[0] |= base.valid[0]
		w.valid[1] |= base.valid[1]
	}
	return sameAsPage00(&w, p00.data[:])
}

// storage is what a Module being refilled already holds, so that a decode
// into it writes over its floats and slices instead of allocating.
type storage struct {
	temp, vcc, laserTemp, tec, vcc2 *float64
	icc                             *float64
	lanes                           []Lane
	vdm                             []VDMValue
	lasers                          []Laser
	pm                              *CoherentPM
}

func take(m *Module) storage {
	return storage{
		temp: m.TemperatureC, vcc: m.VccV, laserTemp: m.LaserTemperatureC, tec: m.TECCurrentPct, vcc2: m.Vcc2V,
		icc: m.SupplyCurrentMA, lanes: m.Lanes[:0], vdm: m.VDM[:0], lasers: m.LaserSource[:0], pm: m.PM,
	}
}

// put stores v in *p, or in a new variable when p is nil, and returns the
// pointer: a refilled Module keeps its floats.
func put[T any](p *T, v T) *T {
	if p == nil {
		p = new(T)
	}
	*p = v
	return p
}

// putDBm is put of mw in dBm, or nil for 0 mW (see DBm).
func putDBm(p *float64, mw float64) *float64 {
	d, ok := dbm(mw)
	if !ok {
		return nil
	}
	return put(p, d)
}

// grow extends s by one element, reusing the backing array's spare element
// if there is one, and returns the element's previous content (whose
// pointers the caller may reuse) with the element zeroed.
func grow[T any](s []T) ([]T, *T, T) {
	if len(s) < cap(s) {
		s = s[:len(s)+1]
	} else {
		var zero T
		s = append(s, zero)
	}
	e := &s[len(s)-1]
	old := *e
	var zero T
	*e = zero
	return s, e, old
}
