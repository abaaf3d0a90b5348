package emulator

import (
	"time"
)

// CMIS VDM pages (crib §5.1), banked like the other pages 10h-2Fh except
// 2Fh (control), which is module-wide here: one freeze for all banks.
const (
	vdmDescPage   = 0x20 // 20h-23h descriptors of groups 1-4
	vdmSamplePage = 0x24 // 24h-27h samples
	vdmThreshPage = 0x28 // 28h-2Bh threshold sets
	vdmFlagPage   = 0x2C // latched flags, 32 bytes a group
	vdmMaskPage   = 0x2D
	vdmCtrlPage   = 0x2F // 128 b1-0 groups-1; 144 b7 freeze request; 145 b7/b6 done
	vdmFreezeReq  = 144
	vdmFreezeDone = 145
)

// vdmKind is a sample format.
type vdmKind uint8

const (
	vdmU16 vdmKind = iota
	vdmS16
	vdmF16
)

// vdmFormat is an observable type's format, scale (unit per LSB) and
// whether it is a statistic that a freeze holds (crib §5.4).
type vdmFormat struct {
	kind  vdmKind
	scale float64
	stat  bool
}

func vdmFormatOf(t uint8) vdmFormat {
	switch {
	case t == 1:
		return vdmFormat{vdmU16, 1, false}
	case t == 2:
		return vdmFormat{vdmS16, 100.0 / 32767, false}
	case t == 3:
		return vdmFormat{vdmS16, 10, false}
	case t == 4:
		return vdmFormat{vdmS16, 1.0 / 256, false}
	case t >= 5 && t <= 8:
		return vdmFormat{vdmU16, 1.0 / 256, false}
	case t >= 9 && t <= 24:
		// 9-14 and 17-22 are min/max/avg; 15, 16, 23, 24 current.
		return vdmFormat{vdmF16, 1, !(t == 15 || t == 16 || t == 23 || t == 24)}
	case t == 25 || t == 26:
		return vdmFormat{vdmF16, 1, true}
	case t >= 27 && t <= 32:
		return vdmFormat{vdmU16, 1, true}
	case t >= 77 && t <= 82:
		return vdmFormat{vdmU16, 1e-4, false}
	case t == 83:
		return vdmFormat{vdmU16, 2.5e-4, false}
	case t == 84:
		return vdmFormat{vdmS16, 0.01, false}
	}
	return vdmFormat{vdmU16, 1, false}
}

func (f vdmFormat) encode(v float64) uint16 {
	switch f.kind {
	case vdmF16:
		return f16(v)
	case vdmS16:
		return uint16(s16(v / f.scale))
	}
	return u16(v / f.scale)
}

func (f vdmFormat) decode(raw uint16) float64 {
	switch f.kind {
	case vdmF16:
		return f16Value(raw)
	case vdmS16:
		return float64(int16(raw)) * f.scale
	}
	return float64(raw) * f.scale
}

// vdmValue is observable t of lane l, and whether it is valid (link
// observables need an activated data path).
func vdmValue(t uint8, l *laneSample) (float64, bool) {
	st := l.stats
	avg := func(sum float64) float64 { return sum / float64(max(st.n, 1)) }
	switch t {
	case 4:
		return l.laserTempC, true
	case 84:
		return l.elsInDBm, true
	case 77, 78, 79, 80, 81, 82, 83:
		return [...]float64{2.6, 1.8, 1.2, 0.9, 0.75, 0.75, 12}[t-77], true
	}
	if !l.active {
		return 0, false
	}
	switch t {
	case 1:
		return 5, true
	case 5:
		return l.esnrDB, true
	case 6:
		return 24, true
	case 7:
		return l.ltpDB, true
	case 8:
		return 30, true
	case 9:
		return st.berMin, true
	case 11:
		return st.berMax, true
	case 13:
		return avg(st.berSum), true
	case 15:
		return l.ber, true
	case 10, 12, 14, 16:
		return l.hostBER, true
	case 17:
		return st.efrMin, true
	case 19:
		return st.efrMax, true
	case 21:
		return avg(st.efrSum), true
	case 23:
		return l.efr, true
	case 18, 20, 22, 24:
		return uncorrectableFrameRatio(l.hostBER), true
	case 25:
		return st.ferc, true
	}
	return 0, true
}

// vdmSlot is one descriptor instance (the same in every bank).
type vdmSlot struct {
	group, slot int
	typ         uint8
	lane        int // within the bank
	set         int
	f           vdmFormat
}

// vdmLayout is a profile's VDM: its slots and, per group, its threshold
// sets as raw words (HA, LA, HW, LW).
type vdmLayout struct {
	slots []vdmSlot
	sets  [][][4]uint16
}

func newVDMLayout(p *Profile) *vdmLayout {
	l := &vdmLayout{sets: make([][][4]uint16, len(p.VDM))}
	per := p.lanesPerBank()
	for g, obs := range p.VDM {
		var limits []Limits
		var fmts []vdmFormat
		for j, o := range obs {
			f := vdmFormatOf(o.Type)
			set := -1
			for s := range limits {
				if limits[s] == o.Limits && fmts[s] == f {
					set = s
				}
			}
			if set < 0 && len(limits) < 16 {
				set = len(limits)
				limits, fmts = append(limits, o.Limits), append(fmts, f)
				lim := o.Limits
				l.sets[g] = append(l.sets[g], [4]uint16{f.encode(lim.HighAlarm), f.encode(lim.LowAlarm),
					f.encode(lim.HighWarning), f.encode(lim.LowWarning)})
			}
			set = max(set, 0)
			for i := 0; i < per; i++ {
				l.slots = append(l.slots, vdmSlot{group: g, slot: j*per + i, typ: o.Type, lane: i, set: set, f: f})
			}
		}
	}
	return l
}

// build writes the VDM pages of every bank: descriptors, threshold sets,
// zero samples and flags, and the control page.
func (l *vdmLayout) build(mem *memory, banks int) {
	for b := 0; b < banks; b++ {
		for g := range l.sets {
			mem.ensure(upperWin(roleA0, uint8(b), vdmSamplePage+uint8(g)))
			thr := mem.ensure(upperWin(roleA0, uint8(b), vdmThreshPage+uint8(g)))
			for s, raw := range l.sets[g] {
				for k, v := range raw {
					put16(thr, 128+8*s+2*k, v)
				}
			}
		}
		for _, s := range l.slots {
			d := mem.ensure(upperWin(roleA0, uint8(b), vdmDescPage+uint8(s.group)))
			d[idx(128+2*s.slot)] = byte(s.set<<4 | s.lane)
			d[idx(129+2*s.slot)] = s.typ
		}
		mem.ensure(upperWin(roleA0, uint8(b), vdmFlagPage))
		mem.ensure(upperWin(roleA0, uint8(b), vdmMaskPage))
	}
	ctrl := mem.ensure(upperWin(roleA0, 0, vdmCtrlPage))
	ctrl[idx(128)] = byte(len(l.sets) - 1)
}

// apply writes the samples of every bank and latches their flags. While
// frozen the statistics keep their values.
func (l *vdmLayout) apply(mem *memory, s *sample, banks, per int, frozen bool) {
	for b := 0; b < banks; b++ {
		flags := mem.get(upperWin(roleA0, uint8(b), vdmFlagPage))
		for _, sl := range l.slots {
			lane := b*per + sl.lane
			if lane >= len(s.lanes) || (frozen && sl.f.stat) {
				continue
			}
			v, ok := vdmValue(sl.typ, &s.lanes[lane])
			raw := sl.f.encode(v)
			put16(mem.get(upperWin(roleA0, uint8(b), vdmSamplePage+uint8(sl.group))), 128+2*sl.slot, raw)
			if !ok || flags == nil || sl.set >= len(l.sets[sl.group]) {
				continue
			}
			nib := limitNibble(sl.f.decode(raw), l.sets[sl.group][sl.set], sl.f.decode)
			flags[idx(128+32*sl.group+sl.slot/2)] |= nib << (4 * (sl.slot % 2))
		}
	}
}

// limitNibble compares v with raw thresholds (HA, LA, HW, LW) and returns
// the CMIS flag nibble: b0 high alarm, b1 low alarm, b2 high warning, b3
// low warning.
func limitNibble(v float64, thr [4]uint16, dec func(uint16) float64) uint8 {
	var n uint8
	if v > dec(thr[0]) {
		n |= 1
	}
	if v < dec(thr[1]) {
		n |= 2
	}
	if v > dec(thr[2]) {
		n |= 4
	}
	if v < dec(thr[3]) {
		n |= 8
	}
	return n
}

// freezeState is the VDM freeze handshake (crib §5.2).
type freezeState struct {
	req     bool // FreezeRequest as the host last wrote it
	pending bool
	due     time.Time
	frozen  bool
}

// freezeRequest handles a host write of v to 2Fh:144: a change of bit 7
// clears both done bits and starts the delay.
func (m *Module) freezeRequest(v byte, now time.Time) {
	want := v&0x80 != 0
	if want == m.fz.req {
		return
	}
	m.fz.req = want
	if p := m.mem.get(upperWin(roleA0, 0, vdmCtrlPage)); p != nil {
		p[idx(vdmFreezeDone)] = 0
	}
	m.fz.pending, m.fz.due = true, now.Add(m.freezeDelay(now))
}

// settleFreeze completes a freeze or unfreeze that is due at t: FreezeDone
// and the statistics hold; or UnfreezeDone and a new interval starts.
func (m *Module) settleFreeze(t time.Time) {
	if !m.fz.pending || t.Before(m.fz.due) {
		return
	}
	m.fz.pending = false
	p := m.mem.get(upperWin(roleA0, 0, vdmCtrlPage))
	if p == nil {
		return
	}
	if m.fz.req {
		p[idx(vdmFreezeDone)] = 0x80
		m.fz.frozen = true
		return
	}
	p[idx(vdmFreezeDone)] = 0x40
	m.fz.frozen = false
	for i := range m.dyn.stats {
		m.dyn.stats[i] = laneStats{}
	}
}
