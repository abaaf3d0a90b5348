package emulator

// CMIS behaviour at run time: which bytes a host may write, which are
// latched, which pages exist, the bytes computed when read (status and
// flag summaries), and the encoding of each update's sample.

func (c *cmisP) paged(role uint16) bool { return role == roleA0 }

// banked: pages 10h-2Eh repeat per bank; 2Fh (VDM control) is module-wide.
func (c *cmisP) banked(page uint8) bool { return page >= 0x10 && page < vdmCtrlPage }

func (c *cmisP) hasPage(bank, page uint8) bool {
	p := c.p
	switch {
	case page <= 0x03:
		return true
	case c.banked(page) && int(bank) >= p.Banks:
		return false
	case page == 0x10 || page == 0x11:
		return p.Lanes > 0
	case page == 0x1A || page == 0x1B:
		return p.Lasers > 0 && bank == 0
	}
	if c.vdm == nil {
		return false
	}
	g := uint8(len(c.vdm.sets))
	switch {
	case page >= vdmDescPage && page < vdmDescPage+g,
		page >= vdmSamplePage && page < vdmSamplePage+g,
		page >= vdmThreshPage && page < vdmThreshPage+g,
		page == vdmFlagPage, page == vdmMaskPage, page == vdmCtrlPage:
		return true
	}
	return false
}

func (c *cmisP) class(w win, off int) byteClass {
	if w.lower {
		switch {
		case off >= 8 && off <= 11:
			return classCOR
		case off == 26, off >= 31 && off <= 36, off == bankSelect, off == pageSelect:
			return classRW
		case off >= 118 && off <= 125:
			return classWO
		}
		return classRO
	}
	switch w.page {
	case 0x03, 0x10, vdmMaskPage:
		return classRW
	case 0x11:
		if off >= 134 && off <= 153 {
			return classCOR
		}
	case vdmFlagPage:
		return classCOR
	case vdmCtrlPage:
		if off == vdmFreezeReq {
			return classRW
		}
	case 0x1A:
		if off == 184 || off == 185 || (off >= 198 && off <= 205) || off == 210 || off == 211 || off == 220 || off == 248 || off == 249 {
			return classRW
		}
	case 0x1B:
		if off >= 128 && off <= 159 {
			return classRW
		}
	}
	return classRO
}

// live computes byte 3 bit 0 (InterruptDeasserted: no unmasked latched
// flag) and the per-bank flag summaries of bytes 4-7.
func (c *cmisP) live(m *Module, w win, off int) (byte, bool) {
	if !w.lower || off < 3 || off > 7 {
		return 0, false
	}
	lo := m.mem.get(w)
	if off == 3 {
		st := lo[3] & 0x0E
		if !c.interrupt(m) {
			st |= 1
		}
		return st, true
	}
	return c.summary(m, uint8(off-4)), true
}

// summary is lower byte 4+bank: b0 some flag on the bank's page 11h, b3
// some flag on its page 2Ch.
func (c *cmisP) summary(m *Module, bank uint8) byte {
	var s byte
	if p := m.mem.get(upperWin(roleA0, bank, 0x11)); p != nil && anySet(p[idx(134):idx(154)], nil) {
		s |= 0x01
	}
	if p := m.mem.get(upperWin(roleA0, bank, vdmFlagPage)); p != nil && anySet(p[:], nil) {
		s |= 0x08
	}
	return s
}

func anySet(b, mask []byte) bool {
	for i, v := range b {
		if mask != nil {
			v &^= mask[i]
		}
		if v != 0 {
			return true
		}
	}
	return false
}

// interrupt reports whether IntL is asserted: some latched flag not masked
// (lower 8-11 by 31-34, page 11h 134-153 by 10h 213-232, 2Ch by 2Dh).
func (c *cmisP) interrupt(m *Module) bool {
	lo := m.mem.get(lowerWin(roleA0))
	if anySet(lo[8:12], lo[31:35]) {
		return true
	}
	for b := 0; b < c.p.Banks; b++ {
		if f, k := m.mem.get(upperWin(roleA0, uint8(b), 0x11)), m.mem.get(upperWin(roleA0, uint8(b), 0x10)); f != nil && k != nil &&
			anySet(f[idx(134):idx(154)], k[idx(213):idx(233)]) {
			return true
		}
		if f, k := m.mem.get(upperWin(roleA0, uint8(b), vdmFlagPage)), m.mem.get(upperWin(roleA0, uint8(b), vdmMaskPage)); f != nil && k != nil &&
			anySet(f[:], k[:]) {
			return true
		}
	}
	return false
}

func (c *cmisP) apply(m *Module, s, prev *sample) {
	p := c.p
	lo := m.mem.get(lowerWin(roleA0))
	lo[3] = lo[3]&^0x0E | s.state<<1
	if prev != nil && prev.state != s.state {
		lo[8] |= 0x01 // ModuleStateChanged
	}
	lo[41] = 0 // ModuleFault cause
	if s.state == stateFault {
		lo[41] = faultCause
	}
	t, v := rawTemp(s.tempC), rawVolt(s.vccV)
	put16(lo, 14, uint16(t))
	put16(lo, 16, v)
	lo[9] |= c.temp.nibble(int32(t)) | c.vcc.nibble(int32(v))<<4
	for i, a := range p.Aux {
		if a.Role == AuxNone {
			continue
		}
		raw := encAuxFor(a.Role)(s.aux[i])
		put16(lo, 18+2*i, uint16(raw))
		n := c.aux[i].nibble(raw)
		switch i { // Aux1 lower 10 b3-0, Aux2 lower 10 b7-4, Aux3 lower 11 b3-0
		case 0:
			lo[10] |= n
		case 1:
			lo[10] |= n << 4
		case 2:
			lo[11] |= n
		}
	}
	if p.Lanes > 0 {
		for b := 0; b < p.Banks; b++ {
			c.applyBank(m, s, prev, uint8(b))
		}
	}
	if c.vdm != nil {
		c.vdm.apply(m.mem, s, p.Banks, c.per, m.fz.frozen)
	}
	if p.Lasers > 0 {
		c.applyELSFP(m, s)
	}
}

// applyBank writes a bank's page 11h: data-path states, output status,
// lane monitors and latched lane flags (crib §4.2).
func (c *cmisP) applyBank(m *Module, s, prev *sample, bank uint8) {
	p11 := m.mem.get(upperWin(roleA0, bank, 0x11))
	if p11 == nil {
		return
	}
	for i := 0; i < 4; i++ {
		p11[idx(128+i)] = s.dp<<4 | s.dp
	}
	if prev != nil && prev.dp != s.dp {
		p11[idx(134)] |= 0xFF // DPStateChanged, every host lane
	}
	var out byte
	if s.dp == dpActivated {
		out = 0xFF
	}
	p11[idx(132)], p11[idx(133)] = out, out
	for i := 0; i < c.per; i++ {
		lane := int(bank)*8 + i
		if lane >= len(s.lanes) {
			break
		}
		l := &s.lanes[lane]
		tx, rx := rawPower(l.txMW), rawPower(l.rxMW)
		var bias uint16
		if !c.p.NoBias {
			bias = rawBias(l.biasMA, c.p.BiasMultiplier)
		}
		put16(p11, 154+2*i, tx)
		put16(p11, 170+2*i, bias)
		put16(p11, 186+2*i, rx)
		if !l.active {
			continue
		}
		bit := byte(1) << i
		latch := func(first int, n uint8) {
			for k := 0; k < 4; k++ {
				if n&(1<<k) != 0 {
					p11[idx(first+k)] |= bit
				}
			}
		}
		latch(139, c.tx.nibble(int32(tx)))
		if !c.p.NoBias {
			latch(143, c.bias.nibble(int32(bias)))
		}
		latch(149, c.rx.nibble(int32(rx)))
		if l.hostBER >= kp4BER {
			p11[idx(137)] |= bit // Tx CDR LOL: the host-side signal is lost
		}
		if int32(rx) < c.los {
			p11[idx(147)] |= bit // RxLOS
			p11[idx(148)] |= bit // RxCDR LOL
		}
	}
}

// An ELSFP's supply current besides its lasers, and the efficiency of the
// converter feeding the lasers from Vcc.
const (
	elsControlMA    = 500.0
	elsConverterEff = 0.85
)

// applyELSFP writes the lasers' monitors (1Bh 184-239), states (1Ah
// 221-222) and fault and warning bitmaps (1Ah 165-181, live).
func (c *cmisP) applyELSFP(m *Module, s *sample) {
	a := m.mem.get(upperWin(roleA0, 0, 0x1A))
	b := m.mem.get(upperWin(roleA0, 0, 0x1B))
	if a == nil || b == nil {
		return
	}
	a[idx(221)], a[idx(222)] = 0, 0
	for k := 166; k <= 181; k++ {
		a[idx(k)] = 0
	}
	// Supply current: the control electronics and TECs, plus each laser's
	// electrical power (bias × laser voltage) drawn from Vcc through a
	// converter of elsConverterEff.
	icc := elsControlMA
	for i, l := range s.lasers {
		bias, pwr := u16(l.biasMA*10), u16(l.powerMW*100)
		put16(b, 184+2*i, bias)
		put16(b, 200+2*i, pwr)
		b[idx(232+i)] = byte(u16(l.voltV / 0.015))
		a[idx(221+i/4)] |= l.state << (2 * (i % 4))
		if s.vccV > 0 {
			icc += l.biasMA * l.voltV / (s.vccV * elsConverterEff)
		}
		if l.state != laserOn {
			continue
		}
		np, nb := c.laserPwr.nibble(int32(pwr)), c.laserBi.nibble(int32(bias))
		if (np|nb)&0x03 != 0 {
			a[idx(166+i/8)] |= 1 << (i % 8)
		}
		if (np|nb)&0x0C != 0 {
			a[idx(174+i/8)] |= 1 << (i % 8)
		}
	}
	a[idx(165)] = 0
	if anySet(a[idx(166):idx(174)], nil) {
		a[idx(165)] |= 0x04
	}
	if anySet(a[idx(174):idx(182)], nil) {
		a[idx(165)] |= 0x08
	}
	put16(b, 240, u16(icc/0.2))
}
