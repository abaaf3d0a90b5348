package emulator

import (
	"encoding/binary"
	"math"
)

// SFF-8472 (SFP, SFP28), encoded from the crib's §8.2: serial ID at A0h
// (0x50, CC_BASE 63, CC_EXT 95) and diagnostics at A2h (0x51: thresholds
// 0-39, calibration 56-91, CC_DMI 95, monitors 96-105, status 110, alarm
// and warning flags 112-117, which are live, not latched). An externally
// calibrated module reports A/D counts, thresholds included, that the host
// converts with the constants below.

// External calibration constants: slopes are unsigned 8.8 fixed point,
// offsets signed 16-bit in the measurand's LSB (1/256 °C, 100 µV, 2 µA,
// 0.1 µW); Rx power is Σ Rx_PWR(k)·AD^k in 0.1 µW.
const (
	calTempSlope = 0x0100 // 1.0
	calTempOff   = -1280  // -5 °C
	calVccSlope  = 0x00FA // 0.9765625
	calVccOff    = 150    // 15 mV
	calBiasSlope = 0x0200 // 2.0
	calBiasOff   = 0
	calTxSlope   = 0x0180 // 1.5
	calTxOff     = -40    // -4 µW
	calRx0       = 2.0
	calRx1       = 0.85
	calRx2       = 1.5e-6
)

type sff8472P struct {
	p                       *Profile
	temp, vcc, tx, bias, rx rawLimits
	los                     int32
}

func newSFF8472(p *Profile) *sff8472P {
	c := &sff8472P{p: p}
	c.temp, c.vcc = limitsRaw(p.Temp, c.encTemp), limitsRaw(p.Vcc, c.encVolt)
	c.tx, c.rx = limitsRaw(p.TxPower, c.encTx), limitsRaw(p.RxPower, c.encRx)
	c.bias = limitsRaw(p.Bias, c.encBias)
	c.los = c.encRx(p.RxLOSDBm)
	return c
}

// Encoders from physical units to the words the module reports: the raw
// value itself, or for external calibration the A/D count that calibrates
// to it.

func (c *sff8472P) encTemp(t float64) int32 {
	raw := float64(rawTemp(t))
	if c.p.ExternalCal {
		return int32(s16((raw - calTempOff) / (calTempSlope / 256.0)))
	}
	return int32(s16(raw))
}

func (c *sff8472P) encVolt(v float64) int32 {
	return c.linear(float64(rawVolt(v)), calVccSlope, calVccOff)
}

func (c *sff8472P) encBias(ma float64) int32 {
	return c.linear(float64(rawBias(ma, 1)), calBiasSlope, calBiasOff)
}

func (c *sff8472P) encTx(dbm float64) int32 {
	return c.linear(float64(rawPower(mW(dbm))), calTxSlope, calTxOff)
}

func (c *sff8472P) encTxMW(mw float64) int32 {
	return c.linear(float64(rawPower(mw)), calTxSlope, calTxOff)
}

func (c *sff8472P) linear(raw float64, slope, off float64) int32 {
	if c.p.ExternalCal {
		raw = (raw - off) / (slope / 256)
	}
	return int32(u16(raw))
}

func (c *sff8472P) encRx(dbm float64) int32 { return c.encRxMW(mW(dbm)) }

func (c *sff8472P) encRxMW(mw float64) int32 {
	raw := mw * 10000
	if c.p.ExternalCal {
		// Solve calRx2·AD² + calRx1·AD + calRx0 = raw for AD ≥ 0.
		raw = (-calRx1 + math.Sqrt(calRx1*calRx1-4*calRx2*(calRx0-raw))) / (2 * calRx2)
	}
	return int32(u16(raw))
}

func (c *sff8472P) roles() []uint16        { return []uint16{roleA0, roleA2} }
func (c *sff8472P) paged(role uint16) bool { return role == roleA2 }
func (c *sff8472P) hasPage(_, page uint8) bool {
	return page == 0 // A2h paging is not advertised (A0h byte 64 bit 4 clear)
}
func (c *sff8472P) banked(uint8) bool { return false }
func (c *sff8472P) wrap() int         { return 0 }
func (c *sff8472P) cmis() bool        { return false }
func (c *sff8472P) live(*Module, win, int) (byte, bool) {
	return 0, false
}
func (c *sff8472P) spans() []span {
	return []span{{lowerWin(roleA0), 0, 63}, {lowerWin(roleA0), 64, 95}, {lowerWin(roleA2), 0, 95}}
}

func (c *sff8472P) class(w win, off int) byteClass {
	if w.addr != roleA2 {
		return classRO
	}
	switch {
	case !w.lower && off <= 247:
		return classRW // user EEPROM
	case off == 110, off == 118, off == pageSelect:
		return classRW
	case off >= 123 && off <= 126:
		return classWO
	}
	return classRO
}

func (c *sff8472P) build(serial string) *memory {
	p := c.p
	mem := newMemory()
	a0 := mem.ensure(lowerWin(roleA0))
	mem.ensure(upperWin(roleA0, 0, 0))
	a0[0], a0[1], a0[2] = p.Identifier, 0x04, p.Connector
	copy(a0[3:11], p.Compliance[:])
	a0[11] = p.Encoding
	if br := p.BitRateMbps / 100; br > 254 {
		a0[12], a0[66] = 0xFF, byte(u16(p.BitRateMbps/250))
	} else {
		a0[12] = byte(u16(br))
	}
	if p.WavelengthNM < 1000 { // multimode reach, 10 m units: OM4 (18), OM3 (19)
		a0[18], a0[19] = 10, 7
	} else {
		a0[14], a0[15] = byte(u16(p.LengthKM)), byte(u16(min(p.LengthKM*10, 255)))
	}
	putASCII(a0, 20, 16, p.Vendor)
	a0[36] = p.ExtCompliance
	copy(a0[37:40], p.VendorOUI[:])
	putASCII(a0, 40, 16, p.PartNumber)
	putASCII(a0, 56, 4, p.VendorRev)
	put16(a0, 60, u16(p.WavelengthNM))
	a0[65] = 0x1A // Tx disable, Tx fault, LOS implemented
	putASCII(a0, 68, 16, serial)
	putASCII(a0, 84, 8, p.DateCode)
	a0[92] = 0x40 | 0x08 // DDM, Rx power is average
	if p.ExternalCal {
		a0[92] |= 0x10
	} else {
		a0[92] |= 0x20
	}
	a0[93] = 0xF0 // alarm/warning flags, soft Tx disable, soft Tx fault, soft Rx LOS
	a0[94] = p.Revision

	a2 := mem.ensure(lowerWin(roleA2))
	mem.ensure(upperWin(roleA2, 0, 0))
	c.temp.put(a2, 0)
	c.vcc.put(a2, 8)
	c.bias.put(a2, 16)
	c.tx.put(a2, 24)
	c.rx.put(a2, 32)
	rx := [5]float32{0, 1, 0, 0, 0} // Rx_PWR(0..4): internal calibration reports units
	slopes := [4]uint16{0x0100, 0x0100, 0x0100, 0x0100}
	offsets := [4]int16{}
	if p.ExternalCal {
		rx = [5]float32{calRx0, calRx1, calRx2, 0, 0}
		slopes = [4]uint16{calBiasSlope, calTxSlope, calTempSlope, calVccSlope}
		offsets = [4]int16{calBiasOff, calTxOff, calTempOff, calVccOff}
	}
	for k := 0; k < 5; k++ {
		binary.BigEndian.PutUint32(a2[56+4*(4-k):], math.Float32bits(rx[k]))
	}
	for i := 0; i < 4; i++ {
		put16(a2, 76+4*i, slopes[i])
		put16(a2, 78+4*i, uint16(offsets[i]))
	}
	a2[110] = 0x01 // Data_Ready_Bar until ready
	return mem
}

func (c *sff8472P) apply(m *Module, s, _ *sample) {
	a2 := m.mem.get(lowerWin(roleA2))
	t, v := c.encTemp(s.tempC), c.encVolt(s.vccV)
	put16(a2, 96, uint16(t))
	put16(a2, 98, uint16(v))
	status := a2[110] &^ 0x07
	if s.state != stateReady {
		status |= 0x01
	}
	var alarm, warn [2]byte
	set := func(n uint8, hi, lo int, byteIdx int) {
		if n&1 != 0 {
			alarm[byteIdx] |= 1 << hi
		}
		if n&2 != 0 {
			alarm[byteIdx] |= 1 << lo
		}
		if n&4 != 0 {
			warn[byteIdx] |= 1 << hi
		}
		if n&8 != 0 {
			warn[byteIdx] |= 1 << lo
		}
	}
	set(c.temp.nibble(t), 7, 6, 0)
	set(c.vcc.nibble(v), 5, 4, 0)
	if len(s.lanes) > 0 {
		l := &s.lanes[0] // zero values while the data path is not active
		bias, tx, rx := c.encBias(l.biasMA), c.encTxMW(l.txMW), c.encRxMW(l.rxMW)
		put16(a2, 100, uint16(bias))
		put16(a2, 102, uint16(tx))
		put16(a2, 104, uint16(rx))
		if l.active {
			set(c.bias.nibble(bias), 3, 2, 0)
			set(c.tx.nibble(tx), 1, 0, 0)
			set(c.rx.nibble(rx), 7, 6, 1)
			if rx < c.los {
				status |= 0x02 // Rx LOS
			}
		}
	}
	a2[110] = status
	a2[112], a2[113], a2[116], a2[117] = alarm[0], alarm[1], warn[0], warn[1]
}
