package emulator

// SFF-8636 (QSFP28), encoded from the crib's §8.1: lower memory with
// latched flags 3-14 and monitors 22-57, upper page 00h (identity, CC_BASE
// at 191 and CC_EXT at 223) and page 03h (thresholds, Rx power first).

// sffNibble turns a CMIS-order flag nibble (b0 HA, b1 LA, b2 HW, b3 LW)
// into the SFF order (b3 HA, b2 LA, b1 HW, b0 LW).
func sffNibble(n uint8) uint8 {
	return (n&1)<<3 | (n&2)<<1 | (n&4)>>1 | (n&8)>>3
}

type sff8636P struct {
	p                       *Profile
	temp, vcc, tx, bias, rx rawLimits
	los                     int32
}

func newSFF8636(p *Profile) *sff8636P {
	return &sff8636P{p: p,
		temp: limitsRaw(p.Temp, encTemp), vcc: limitsRaw(p.Vcc, encVolt),
		tx: limitsRaw(p.TxPower, encDBm), rx: limitsRaw(p.RxPower, encDBm),
		bias: limitsRaw(p.Bias, func(ma float64) int32 { return int32(rawBias(ma, 1)) }),
		los:  encDBm(p.RxLOSDBm),
	}
}

func (c *sff8636P) roles() []uint16            { return []uint16{roleA0} }
func (c *sff8636P) paged(role uint16) bool     { return role == roleA0 }
func (c *sff8636P) hasPage(_, page uint8) bool { return page == 0x00 || page == 0x03 }
func (c *sff8636P) banked(uint8) bool          { return false }
func (c *sff8636P) wrap() int                  { return pageSize }
func (c *sff8636P) cmis() bool                 { return false }
func (c *sff8636P) spans() []span {
	return []span{{upperWin(roleA0, 0, 0), 128, 191}, {upperWin(roleA0, 0, 0), 192, 223}}
}

func (c *sff8636P) class(w win, off int) byteClass {
	if w.lower {
		switch {
		case off >= 3 && off <= 14:
			return classCOR
		case off >= 86 && off <= 106, off == pageSelect:
			return classRW // controls and masks
		case off >= 119 && off <= 126:
			return classWO // password change and entry
		}
		return classRO
	}
	if w.page == 0x03 && off >= 242 && off <= 251 {
		return classRW // channel masks
	}
	return classRO
}

// live computes byte 2 bit 1, the IntL pin (1: not asserted).
func (c *sff8636P) live(m *Module, w win, off int) (byte, bool) {
	if !w.lower || off != 2 {
		return 0, false
	}
	v := m.mem.get(w)[2] &^ 0x02
	if !c.interrupt(m) {
		v |= 0x02
	}
	return v, true
}

// interrupt reports whether IntL is asserted: some latched flag not masked
// (lower 3-7 by 100-104, 9-14 by page 03h 242-247).
func (c *sff8636P) interrupt(m *Module) bool {
	lo := m.mem.get(lowerWin(roleA0))
	p3 := m.mem.get(upperWin(roleA0, 0, 0x03))
	return anySet(lo[3:8], lo[100:105]) || (p3 != nil && anySet(lo[9:15], p3[idx(242):idx(248)]))
}

func (c *sff8636P) build(serial string) *memory {
	p := c.p
	mem := newMemory()
	lo := mem.ensure(lowerWin(roleA0))
	lo[0], lo[1], lo[2] = p.Identifier, p.Revision, 0x03 // paged, IntL deasserted, data not ready
	u := mem.ensure(upperWin(roleA0, 0, 0x00))
	u[idx(128)] = p.Identifier
	u[idx(129)] = qsfpPowerClass(p.MaxPowerW) | 0x0C // Tx and Rx CDR present
	u[idx(130)] = p.Connector
	copy(u[idx(131):idx(139)], p.Compliance[:])
	u[idx(139)] = p.Encoding
	br := p.BitRateMbps / 100
	if br > 254 {
		u[idx(140)] = 0xFF
		u[idx(222)] = byte(u16(p.BitRateMbps / 250))
	} else {
		u[idx(140)] = byte(u16(br))
	}
	u[idx(142)] = byte(u16(p.LengthKM))
	u[idx(147)] = p.MediaTech
	putASCII(u, 148, 16, p.Vendor)
	copy(u[idx(165):], p.VendorOUI[:])
	putASCII(u, 168, 16, p.PartNumber)
	putASCII(u, 184, 2, p.VendorRev)
	put16(u, 186, u16(p.WavelengthNM/0.05))
	put16(u, 188, u16(p.WavelengthTolNM/0.005))
	u[idx(190)] = byte(u16(p.Temp.HighWarning))
	u[idx(192)] = p.ExtCompliance
	u[idx(195)] = 0x0F // Tx disable, Tx fault, squelch, Tx LOS implemented
	putASCII(u, 196, 16, serial)
	putASCII(u, 212, 8, p.DateCode)
	u[idx(220)] = 0x3C // temperature, Vcc, average Rx power, Tx power monitored
	u[idx(221)] = 0x10 // initialization complete flag implemented
	t := mem.ensure(upperWin(roleA0, 0, 0x03))
	c.temp.put(t, 128)
	c.vcc.put(t, 144)
	c.rx.put(t, 176)
	c.bias.put(t, 184)
	c.tx.put(t, 192)
	return mem
}

// qsfpPowerClass is page 00h byte 129 bits 7-6 and 1-0 for w watts.
func qsfpPowerClass(w float64) byte {
	switch {
	case w <= 1.5:
		return 0x00
	case w <= 2.0:
		return 0x40
	case w <= 2.5:
		return 0x80
	case w <= 3.5:
		return 0xC0
	case w <= 4.0:
		return 0xC1
	case w <= 4.5:
		return 0xC2
	}
	return 0xC3
}

func (c *sff8636P) apply(m *Module, s, prev *sample) {
	lo := m.mem.get(lowerWin(roleA0))
	lo[2] &^= 0x01
	if s.state != stateReady {
		lo[2] |= 0x01 // Data_Not_Ready
	} else if prev != nil && prev.state != stateReady {
		lo[6] |= 0x01 // initialization complete
	}
	t, v := rawTemp(s.tempC), rawVolt(s.vccV)
	put16(lo, 22, uint16(t))
	put16(lo, 26, v)
	lo[6] |= sffNibble(c.temp.nibble(int32(t))) << 4
	lo[7] |= sffNibble(c.vcc.nibble(int32(v))) << 4
	for i := 0; i < min(len(s.lanes), 4); i++ {
		l := &s.lanes[i]
		rx, bias, tx := rawPower(l.rxMW), rawBias(l.biasMA, 1), rawPower(l.txMW)
		put16(lo, 34+2*i, rx)
		put16(lo, 42+2*i, bias)
		put16(lo, 50+2*i, tx)
		if !l.active {
			continue
		}
		shift := 4 * (1 - i%2) // lane 1 in the high nibble
		lo[9+i/2] |= sffNibble(c.rx.nibble(int32(rx))) << shift
		lo[11+i/2] |= sffNibble(c.bias.nibble(int32(bias))) << shift
		lo[13+i/2] |= sffNibble(c.tx.nibble(int32(tx))) << shift
		if int32(rx) < c.los {
			lo[3] |= 1 << i // Rx LOS
			lo[5] |= 1 << i // Rx CDR LOL
		}
	}
}
