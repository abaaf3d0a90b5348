package emulator

import "math"

// The CMIS memory image, encoded from the byte maps of the crib (§2 lower
// memory, §3 pages 00h-02h, §4 pages 10h/11h, §5 VDM, §7.4 ELSFP). It is
// written from the profile, never from the decoder, so that a shared
// misreading of the spec cannot hide.

// rawLimits are thresholds as raw monitor words (HA, LA, HW, LW), signed
// where the monitor is.
type rawLimits [4]int32

// nibble compares raw value v with l: b0 high alarm, b1 low alarm, b2 high
// warning, b3 low warning (the CMIS order, crib §9).
func (l rawLimits) nibble(v int32) uint8 {
	var n uint8
	if v > l[0] {
		n |= 1
	}
	if v < l[1] {
		n |= 2
	}
	if v > l[2] {
		n |= 4
	}
	if v < l[3] {
		n |= 8
	}
	return n
}

func limitsRaw(l Limits, enc func(float64) int32) rawLimits {
	return rawLimits{enc(l.HighAlarm), enc(l.LowAlarm), enc(l.HighWarning), enc(l.LowWarning)}
}

// put writes l as four big-endian words at off.
func (l rawLimits) put(p *[pageSize]byte, off int) {
	for k, v := range l {
		put16(p, off+2*k, uint16(v))
	}
}

func encTemp(c float64) int32  { return int32(rawTemp(c)) }
func encVolt(v float64) int32  { return int32(rawVolt(v)) }
func encTEC(pct float64) int32 { return int32(rawTEC(pct)) }
func encDBm(d float64) int32   { return int32(rawPower(mW(d))) }
func encAuxFor(role string) func(float64) int32 {
	switch role {
	case AuxTECCurrent:
		return encTEC
	case AuxVcc2:
		return encVolt
	}
	return encTemp
}

// cmisP is the CMIS personality of a profile.
type cmisP struct {
	p                 *Profile
	tm                Timings
	per               int
	vdm               *vdmLayout
	temp, vcc         rawLimits
	aux               [3]rawLimits
	tx, bias, rx      rawLimits
	los               int32
	laserPwr, laserBi rawLimits
}

func newCMIS(p *Profile, tm Timings) *cmisP {
	c := &cmisP{p: p, tm: tm, per: p.lanesPerBank()}
	if len(p.VDM) > 0 {
		c.vdm = newVDMLayout(p)
	}
	c.temp, c.vcc = limitsRaw(p.Temp, encTemp), limitsRaw(p.Vcc, encVolt)
	for i, a := range p.Aux {
		c.aux[i] = limitsRaw(a.Limits, encAuxFor(a.Role))
	}
	c.tx, c.rx = limitsRaw(p.TxPower, encDBm), limitsRaw(p.RxPower, encDBm)
	c.bias = limitsRaw(p.Bias, func(ma float64) int32 { return int32(rawBias(ma, p.BiasMultiplier)) })
	c.los = encDBm(p.RxLOSDBm)
	c.laserPwr = limitsRaw(p.LaserPower, func(d float64) int32 { return int32(u16(mW(d) * 100)) })
	c.laserBi = limitsRaw(p.LaserBias, func(ma float64) int32 { return int32(u16(ma * 10)) })
	return c
}

func (c *cmisP) roles() []uint16 { return []uint16{roleA0} }
func (c *cmisP) wrap() int       { return pageSize }
func (c *cmisP) cmis() bool      { return true }

func (c *cmisP) spans() []span {
	return []span{
		{upperWin(roleA0, 0, 0x00), 128, 222},
		{upperWin(roleA0, 0, 0x01), 130, 255},
		{upperWin(roleA0, 0, 0x02), 128, 255},
	}
}

func (c *cmisP) build(serial string) *memory {
	mem := newMemory()
	c.buildLower(mem.ensure(lowerWin(roleA0)))
	c.buildPage00(mem.ensure(upperWin(roleA0, 0, 0x00)), serial)
	c.buildPage01(mem.ensure(upperWin(roleA0, 0, 0x01)))
	c.buildPage02(mem.ensure(upperWin(roleA0, 0, 0x02)))
	mem.ensure(upperWin(roleA0, 0, 0x03))
	if c.p.Lanes > 0 {
		for b := 0; b < c.p.Banks; b++ {
			c.buildLanePages(mem, uint8(b))
		}
	}
	if c.vdm != nil {
		c.vdm.build(mem, c.p.Banks)
	}
	if c.p.Lasers > 0 {
		c.buildELSFP(mem)
	}
	return mem
}

func (c *cmisP) buildLower(lo *[pageSize]byte) {
	p := c.p
	lo[0], lo[1] = p.Identifier, p.Revision
	if p.FastI2C {
		lo[2] = 0x04 // MciMaxSpeed 01b: up to 1 MHz
	}
	lo[3] = stateLowPwr<<1 | 1
	lo[39], lo[40] = p.Firmware[0], p.Firmware[1]
	lo[57] = p.FunctionType
	lo[70] = p.VendorBanks
	lo[85] = p.MediaType
	for i := 0; i < 8; i++ {
		d := lo[86+4*i : 90+4*i]
		if i >= len(p.Apps) {
			d[0] = 0xFF
			continue
		}
		a := p.Apps[i]
		d[0], d[1], d[2], d[3] = a.Host, a.Media, byte(a.HostLanes<<4|a.MediaLanes&0x0F), a.HostMask
	}
}

// powerClass is the CMIS power class (1-8) of a module drawing w watts.
func powerClass(w float64) int {
	for i, limit := range []float64{1.5, 3.5, 7, 8, 10, 12, 14} {
		if w <= limit {
			return i + 1
		}
	}
	return 8
}

func (c *cmisP) buildPage00(pg *[pageSize]byte, serial string) {
	p := c.p
	pg[idx(128)] = p.Identifier
	putASCII(pg, 129, 16, p.Vendor)
	copy(pg[idx(145):], p.VendorOUI[:])
	putASCII(pg, 148, 16, p.PartNumber)
	putASCII(pg, 164, 2, p.VendorRev)
	putASCII(pg, 166, 16, serial)
	putASCII(pg, 182, 8, p.DateCode)
	putASCII(pg, 190, 10, p.CLEI)
	pg[idx(200)] = byte(powerClass(p.MaxPowerW)-1) << 5
	pg[idx(201)] = byte(u16(p.MaxPowerW / 0.25))
	pg[idx(203)] = p.Connector
	pg[idx(212)] = p.MediaTech
}

func (c *cmisP) buildPage01(pg *[pageSize]byte) {
	p := c.p
	pg[idx(128)], pg[idx(129)] = p.InactiveFirmware[0], p.InactiveFirmware[1]
	pg[idx(130)], pg[idx(131)] = p.Hardware[0], p.Hardware[1]
	switch km := p.LengthKM; {
	case km <= 0:
	case km < 6.3:
		pg[idx(132)] = byte(math.Round(km * 10)) // multiplier 0.1 km
	default:
		pg[idx(132)] = 0x40 | byte(min(math.Round(km), 63)) // multiplier 1 km
	}
	put16(pg, 138, u16(p.WavelengthNM/0.05))
	put16(pg, 140, u16(p.WavelengthTolNM/0.005))
	var pages byte = 0x04 // page 03h
	if len(p.VDM) > 0 {
		pages |= 0x40
	}
	pages |= map[int]byte{1: 0, 2: 1, 4: 2}[p.Banks]
	pg[idx(142)] = pages
	tm := c.tm
	pg[idx(144)] = durationCode(tm.DPInit.Seconds())<<4 | durationCode(tm.DPInit.Seconds())
	var auxSel, modMon byte = 0, 0x03 // temperature, Vcc
	for i, a := range p.Aux {
		if a.Role == AuxNone {
			continue
		}
		modMon |= 0x04 << i
		if (i == 0 && a.Role == AuxTECCurrent) || (i == 1 && a.Role == AuxTECCurrent) || (i == 2 && a.Role == AuxVcc2) {
			auxSel |= 1 << i
		}
	}
	pg[idx(145)] = auxSel
	pg[idx(146)] = byte(int8(max(min(p.Temp.HighWarning, 127), -128)))
	pg[idx(147)] = byte(int8(max(min(p.Temp.LowWarning, 127), -128)))
	pg[idx(150)] = byte(u16(p.Vcc.LowAlarm / 0.02))
	pg[idx(151)] = 0x18 // Rx power and LOS are average power
	pg[idx(159)] = modMon
	if p.Lanes > 0 {
		pg[idx(155)], pg[idx(156)] = 0x02, 0x02 // Tx disable, Rx output disable
		pg[idx(157)], pg[idx(158)] = 0x07, 0x06 // TxFault, TxLOS, TxCDR LOL; RxLOS, RxCDR LOL
		laneMon := byte(0x06)                   // Tx power, Rx power
		if !p.NoBias {
			laneMon |= 0x01
		}
		laneMon |= map[int]byte{0: 0, 1: 0, 2: 1, 4: 2}[p.BiasMultiplier] << 3
		pg[idx(160)] = laneMon
	}
	pg[idx(167)] = durationCode(tm.PwrUp.Seconds())<<4 | durationCode(tm.PwrUp.Seconds())
	pg[idx(168)] = durationCode(tm.TxTurnOn.Seconds())<<4 | durationCode(tm.TxTurnOn.Seconds())
	for i, a := range p.Apps {
		pg[idx(176+i)] = a.MediaMask
	}
	for i := 0; i < 7; i++ {
		pg[idx(223+4*i)] = 0xFF
	}
}

func (c *cmisP) buildPage02(pg *[pageSize]byte) {
	p := c.p
	c.temp.put(pg, 128)
	c.vcc.put(pg, 136)
	for i := range p.Aux {
		c.aux[i].put(pg, 144+8*i)
	}
	if p.Lanes > 0 {
		c.tx.put(pg, 176)
		if !p.NoBias {
			c.bias.put(pg, 184)
		}
		c.rx.put(pg, 192)
	}
}

// dpConfig is the DPConfig byte of bank lane i: AppSel 1, the data path's
// first lane, explicit control off.
func (c *cmisP) dpConfig(i int) byte {
	size := 8
	if len(c.p.Apps) > 0 && c.p.Apps[0].HostLanes > 0 {
		size = c.p.Apps[0].HostLanes
	}
	return 1<<4 | byte((i/size)*size)<<1
}

func (c *cmisP) buildLanePages(mem *memory, bank uint8) {
	p10 := mem.ensure(upperWin(roleA0, bank, 0x10))
	p11 := mem.ensure(upperWin(roleA0, bank, 0x11))
	for i := 0; i < 8; i++ {
		p10[idx(145+i)] = c.dpConfig(i)
		p11[idx(206+i)] = c.dpConfig(i)
	}
	for i := 0; i < 4; i++ {
		p11[idx(128+i)] = dpDeactivated<<4 | dpDeactivated
		p11[idx(202+i)] = 0x11 // config status: success
	}
}

// ELSFP pages 1Ah (control, thresholds, status) and 1Bh (setpoints,
// monitors), crib §7.4, bank 0 (8 lasers).
func (c *cmisP) buildELSFP(mem *memory) {
	p := c.p
	a := mem.ensure(upperWin(roleA0, 0, 0x1A))
	b := mem.ensure(upperWin(roleA0, 0, 0x1B))
	put16(a, 128, u16(mW(p.LaserPower.HighAlarm)*100))
	put16(a, 130, u16(mW(p.LaserPower.LowAlarm)*100))
	put16(a, 132, u16(p.LaserBias.HighAlarm*10))
	put16(a, 134, u16(p.LaserBias.LowAlarm*10))
	a[idx(140)] = 0x10 | byte(p.Lasers) // APC, lane count
	c.laserBi.put(a, 141)
	c.laserPwr.put(a, 149)
	a[idx(220)] = byte(1<<p.Lasers - 1) // lanes enabled
	for i := 0; i < p.Lasers; i++ {
		a[idx(224+i)] = byte(i + 1) // laser i feeds fibre i+1
		put16(b, 128+2*i, u16(p.LaserBiasMA*10))
		put16(b, 144+2*i, u16(mW(p.LaserPowerDBm)*100))
	}
}
