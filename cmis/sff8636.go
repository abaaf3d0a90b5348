package cmis

import "fmt"

// SFF-8636 (QSFP28, QSFP+) and its predecessor SFF-8436 (QSFP+, QSFP).
//
// Byte numbers and table numbers are those of SFF-8636 Rev 2.10a: lower
// memory is bytes 0-127 at 0x50, upper page 00h (identity) and page 03h
// (thresholds) are bytes 128-255. SFF-8436 Rev 4.8 uses the same layout for
// everything ddm reads.

// Lower memory.
const (
	qsfpRevision    = 1   // Table 6-3, revision compliance
	qsfpStatus      = 2   // Table 6-2: b2 Flat_mem, b1 IntL, b0 Data_Not_Ready
	qsfpLOS         = 3   // Table 6-4: b7-4 Tx4..Tx1 LOS, b3-0 Rx4..Rx1 LOS
	qsfpFault       = 4   // b7-4 Tx4..Tx1 adaptive EQ fault, b3-0 Tx4..Tx1 fault
	qsfpLOL         = 5   // b7-4 Tx4..Tx1 CDR LOL, b3-0 Rx4..Rx1 CDR LOL
	qsfpTempFlags   = 6   // Table 6-5: b7-4 HA, LA, HW, LW; b0 initialization complete
	qsfpVccFlags    = 7   // b7-4 HA, LA, HW, LW
	qsfpRxPowerFlag = 9   // Table 6-6: 9-10 Rx power, 11-12 Tx bias, 13-14 Tx power
	qsfpTxBiasFlag  = 11  //
	qsfpTxPowerFlag = 13  //
	qsfpTemp        = 22  // Table 6-7: S16, 1/256 °C
	qsfpVcc         = 26  // U16, 100 µV
	qsfpRxPower     = 34  // Table 6-8: U16, 0.1 µW, lanes 1-4
	qsfpTxBias      = 42  // U16, 2 µA, lanes 1-4 (no multiplier, unlike CMIS)
	qsfpTxPower     = 50  // U16, 0.1 µW, lanes 1-4
	qsfpMaxPower    = 107 // power class 8 maximum power, 0.1 W
)

// Upper page 00h (Table 6-15) and page 03h (Table 6-26).
const (
	qsfpExtID      = 129 // Table 6-16: power class, CLEI, CDR
	qsfpConnector  = 130
	qsfpBitRate    = 140 // 100 Mb/s units; FFh: see byte 222
	qsfpLenSMF     = 142 // SMF km, then OM3 (2 m), OM2 (1 m), OM1 (1 m)
	qsfpLenCopper  = 146 // cable assembly length, 1 m (copper device technology)
	qsfpDeviceTech = 147 // Table 6-19: b7-4 transmitter technology
	qsfpVendor     = 148 // 148-163
	qsfpOUI        = 165 // 165-167
	qsfpPN         = 168 // 168-183
	qsfpRev        = 184 // 184-185
	qsfpWavelength = 186 // 186-187: 0.05 nm, or copper attenuation at 2.5/5 GHz
	qsfpTolerance  = 188 // 188-189: 0.005 nm, or copper attenuation at 7/12.9 GHz
	qsfpCCBase     = 191 // over 128-190
	qsfpSN         = 196 // 196-211
	qsfpDate       = 212 // 212-219
	qsfpDiagType   = 220 // Table 6-24
	qsfpBitRateExt = 222 // 250 Mb/s units
	qsfpCCExt      = 223 // over 192-222

	qsfpThrTemp    = 128 // page 03h: HA, LA, HW, LW, 2 bytes each
	qsfpThrVcc     = 144
	qsfpThrRxPower = 176 // note: Rx power first, then bias, then Tx power;
	qsfpThrTxBias  = 184 // CMIS page 02h uses the opposite order
	qsfpThrTxPower = 192

	qsfpPage00 = 0x00
	qsfpPage03 = 0x03

	qsfpLanes = 4
)

// qsfpCaps is what a module says it monitors: page 00h byte 220 (Table 6-24)
// and lower byte 2.
type qsfpCaps struct {
	temp, vcc, txPower bool
	rxOMA              bool
	flat               bool
	dataNotReady       bool
}

// staticSFF8636 decodes the static part of a QSFP/QSFP+/QSFP28: identity
// (only from page 00h fields whose checksum matches), what it monitors,
// and the thresholds of page 03h.
func (l *Layout) staticSFF8636() {
	s, m := l.src, &l.base
	rev, revOK := s.byteAt(Lower, qsfpRevision)
	m.Spec = "SFF-8636"
	if revOK {
		m.SpecRevision = sff8636Revision(rev)
		// Table 6-3: 01h and 02h are SFF-8436 modules. Only QSFP and QSFP+
		// identifiers predate SFF-8636; a QSFP28 is SFF-8636 whatever it says.
		if rev < 0x03 && (m.IdentifierCode == IDQSFP || m.IdentifierCode == IDQSFPPlus) {
			m.Spec = "SFF-8436"
		}
	}
	base, ext := m.qsfpChecksums(s)
	m.qsfpIdentity(s, base, ext)
	caps := qsfpCapabilities(s, ext, rev, revOK)
	l.qsfp = caps
	m.Advertisement = &Advertisement{
		Banks: 1, TxBiasMultiplier: 1, Page03: !caps.flat, RxPowerIsOMA: caps.rxOMA,
		TempMonitor: caps.temp, VccMonitor: caps.vcc,
		TxBiasMonitor: true, TxPowerMonitor: caps.txPower, RxPowerMonitor: true,
	}
	if !caps.flat {
		m.qsfpThresholds(s, caps)
	}
	// Flat_mem is in lower byte 2, which every fast read reads again: the
	// advertisement and thresholds above hold only while it does not change.
	st, _ := s.byteAt(Lower, qsfpStatus)
	l.guards = append(l.guards, byteGuard{page: Lower, off: qsfpStatus, mask: 0x04, want: st & 0x04})
}

// dynamicSFF8636 decodes status, module and lane monitors and flags from
// lower memory.
func (l *Layout) dynamicSFF8636(m *Module, mem *layered, st *storage) {
	caps := l.qsfp
	if b, ok := mem.byteAt(Lower, qsfpStatus); ok {
		m.qsfpStatus(b)
		caps.dataNotReady = b&0x01 != 0
	}
	m.qsfpModuleMonitors(mem, caps, st)
	m.Lanes = qsfpLaneValues(mem, caps, st.lanes)
}

// sff8636Revision names the revision compliance byte (Table 6-3).
func sff8636Revision(b uint8) string {
	switch b {
	case 0x00:
		return "unspecified"
	case 0x01:
		return "SFF-8436 4.8 or earlier"
	case 0x02:
		// "except that this byte and Bytes 186-189 are as defined in this document"
		return "SFF-8436 4.8 or earlier, bytes 1 and 186-189 per SFF-8636"
	case 0x03:
		return "1.3 or earlier"
	case 0x04:
		return "1.4"
	case 0x05:
		return "1.5"
	case 0x06:
		return "2.0"
	case 0x07:
		return "2.5/2.6/2.7"
	case 0x08:
		return "2.8-2.11"
	}
	return fmt.Sprintf("unallocated (%02Xh)", b)
}

// qsfpStatus decodes lower byte 2 (Table 6-2).
func (m *Module) qsfpStatus(st byte) {
	m.FlatMemory = st&0x04 != 0
	// b1 is the level of the IntL pin, which is active low.
	m.Interrupt = st&0x02 == 0
	m.ModuleState = "ready"
	if st&0x01 != 0 {
		m.ModuleState = "data not ready"
	}
}

// qsfpChecksums verifies CC_BASE and CC_EXT of page 00h. A field is trusted
// only if its checksum was read and matches.
func (m *Module) qsfpChecksums(s *Snapshot) (base, ext bool) {
	p := Upper(0, qsfpPage00)
	base, baseRead := m.verifyChecksum(s, p, 128, qsfpCCBase)
	ext, extRead := m.verifyChecksum(s, p, 192, qsfpCCExt)
	if baseRead && !base {
		m.warnf("%s: CC_BASE does not match; identity from bytes 128-190 (vendor, part number, connector, wavelength, power class) not used", p)
	}
	if extRead && !ext {
		m.warnf("%s: CC_EXT does not match; serial number, date code and diagnostic monitoring type (bytes 192-222) not used", p)
	}
	return base, ext
}

// qsfpIdentity decodes the identity of page 00h: bytes 128-190 if CC_BASE
// matched, serial number and date code (192-222) if CC_EXT matched.
func (m *Module) qsfpIdentity(s *Snapshot, base, ext bool) {
	p := Upper(0, qsfpPage00)
	if b := s.Bytes(p, 128, qsfpCCBase+1-128); b != nil && base {
		at := func(off, n int) []byte { return b[off-128 : off-128+n] }
		m.Connector = connectorName(at(qsfpConnector, 1)[0])
		m.Vendor = text(at(qsfpVendor, 16))
		m.VendorOUI = oui(at(qsfpOUI, 3))
		m.PartNumber = text(at(qsfpPN, 16))
		m.Revision = text(at(qsfpRev, 2))
		m.qsfpMedia(at(qsfpDeviceTech, 1)[0], at(qsfpWavelength, 2), at(qsfpLenCopper, 1)[0])
		m.qsfpLinkLengths(at(qsfpLenSMF, 4))
		m.qsfpPowerClass(s, at(qsfpExtID, 1)[0])
		if r, ok := sff8636NominalMbps(s); ok {
			m.NominalBitRateMbps = ptr(r)
		}
		if a, ok := sff8636CopperAttenuation(s); ok {
			m.CableAttenuationDB = a
		}
		if t, ok := sff8636WavelengthTolerance(s); ok {
			m.WavelengthTolNM = ptr(t)
		}
	}
	if ext {
		m.SerialNumber = text(s.Bytes(p, qsfpSN, 16))
		m.DateCode = text(s.Bytes(p, qsfpDate, 8))
	}
}

// qsfpTransmitterTech names page 00h byte 147 bits 7-4 (Table 6-19).
func qsfpTransmitterTech(t uint8) string {
	return [16]string{
		"850 nm VCSEL", "1310 nm VCSEL", "1550 nm VCSEL", "1310 nm FP",
		"1310 nm DFB", "1550 nm DFB", "1310 nm EML", "1550 nm EML",
		"Other / Undefined", "1490 nm DFB", "Copper cable unequalized", "Copper cable passive equalized",
		"Copper cable, near and far end limiting active equalizers", "Copper cable, far end limiting active equalizers",
		"Copper cable, near end limiting active equalizers", "Copper cable, linear active equalizers",
	}[t>>4&0x0f]
}

// qsfpCopper reports whether device technology byte 147 names a copper
// cable (Table 6-19, codes 1010b-1111b). Bytes 186-189 then hold cable
// attenuation instead of wavelength (Table 6-20), and 146 the cable length.
func qsfpCopper(tech uint8) bool { return tech>>4 >= 0x0a }

func (m *Module) qsfpMedia(tech uint8, wl []byte, length uint8) {
	m.MediaTech = qsfpTransmitterTech(tech)
	if qsfpCopper(tech) {
		if length != 0 {
			m.CableLengthM = ptr(float64(length))
		}
		return
	}
	if raw := u16(wl); raw != 0 {
		m.WavelengthNM = ptr(float64(raw) * 0.05)
	}
}

// qsfpPowerClass decodes the power class from page 00h byte 129 (Table
// 6-16): bits 7-6 classes 1-4, bits 1-0 classes 5-7, bit 5 class 8 whose
// maximum power is lower byte 107 in 0.1 W.
func (m *Module) qsfpPowerClass(s *Snapshot, ext uint8) {
	class, watts := qsfpLegacyPowerClass(ext)
	if ext&0x20 != 0 {
		if w, ok := s.byteAt(Lower, qsfpMaxPower); ok && w != 0 {
			class, watts = 8, float64(w)/10
		} else {
			m.warnf("page 00h byte 129 declares power class 8 but lower byte 107 (its maximum power) is %s; using class %d", zeroOrUnread(ok), class)
		}
	}
	m.PowerClass = class
	m.MaxPowerW = ptr(watts)
}

// qsfpLegacyPowerClass decodes power classes 1-7 of byte 129.
func qsfpLegacyPowerClass(ext uint8) (class int, watts float64) {
	if hi := ext & 0x03; hi != 0 {
		return 4 + int(hi), [4]float64{0, 4.0, 4.5, 5.0}[hi]
	}
	lo := ext >> 6
	return 1 + int(lo), [4]float64{1.5, 2.0, 2.5, 3.5}[lo]
}

func zeroOrUnread(read bool) string {
	if read {
		return "0"
	}
	return "not read"
}

// qsfpCapabilities reads what the module monitors. Table 6-24 (byte 220):
// b5 temperature and b4 supply voltage monitoring implemented ("0b = not
// implemented or pre-Rev 2.8", so a module older than revision compliance
// 08h cannot advertise them and is assumed to monitor both), b3 Rx power is
// average (1) or OMA (0), b2 Tx power supported. Without a trusted byte 220
// everything is assumed monitored, as before page 00h is read.
func qsfpCapabilities(s *Snapshot, extOK bool, rev uint8, revOK bool) qsfpCaps {
	c := qsfpCaps{temp: true, vcc: true, txPower: true}
	if st, ok := s.byteAt(Lower, qsfpStatus); ok {
		c.flat = st&0x04 != 0
		c.dataNotReady = st&0x01 != 0
	}
	dt, ok := s.byteAt(Upper(0, qsfpPage00), qsfpDiagType)
	if !ok || !extOK {
		return c
	}
	pre28 := !revOK || rev < 0x08
	c.temp = pre28 || dt&0x20 != 0
	c.vcc = pre28 || dt&0x10 != 0
	c.rxOMA = dt&0x08 == 0
	c.txPower = dt&0x04 != 0
	return c
}

// qsfpModuleMonitors decodes temperature, Vcc (Table 6-7) and the module
// flags (Table 6-5).
func (m *Module) qsfpModuleMonitors(s *layered, c qsfpCaps, st *storage) {
	// Some modules (the QSFPTEK ER4 vector, Rev 2.8) clear byte 220 b5/b4
	// yet report a live temperature and Vcc. An operator wants those
	// numbers, so a value that is not 0000h/FFFFh (the "nothing here"
	// patterns) is decoded anyway, with a warning naming the byte.
	if b := s.bytes(Lower, qsfpTemp, 2); b != nil && !c.dataNotReady && (c.temp || plausibleWord(b)) {
		m.TemperatureC = put(st.temp, Temperature(s16(b)))
		if !c.temp {
			m.warnf("temperature is not advertised (page 00h byte 220 b5 = 0) but reads %04Xh; decoded", u16(b))
		}
	}
	if b := s.bytes(Lower, qsfpVcc, 2); b != nil && !c.dataNotReady && (c.vcc || plausibleWord(b)) {
		m.VccV = put(st.vcc, Voltage(u16(b)))
		if !c.vcc {
			m.warnf("supply voltage is not advertised (page 00h byte 220 b4 = 0) but reads %04Xh; decoded", u16(b))
		}
	}
	if t, ok := s.byteAt(Lower, qsfpTempFlags); ok {
		m.Flags |= qsfpNibble(t>>4, TempHighAlarm, TempLowAlarm, TempHighWarning, TempLowWarning)
		// b0 latches when initialization completes: the SFF-8636 counterpart
		// of CMIS's module state changed flag. b1 (TC readiness) has none.
		if t&0x01 != 0 {
			m.Flags |= ModuleStateChanged
		}
	}
	if v, ok := s.byteAt(Lower, qsfpVccFlags); ok {
		m.Flags |= qsfpNibble(v>>4, VccHighAlarm, VccLowAlarm, VccHighWarning, VccLowWarning)
	}
}

// plausibleWord reports whether a monitor word holds a value rather than
// the all-zeros or all-ones of an unimplemented monitor.
func plausibleWord(b []byte) bool { w := u16(b); return w != 0 && w != 0xFFFF }

// qsfpNibble maps a flag nibble, high alarm in b3 down to low warning in b0
// (Tables 6-5 and 6-6; CMIS uses the opposite order).
func qsfpNibble[F ~uint32](n uint8, ha, la, hw, lw F) F {
	var f F
	for i, v := range [4]F{lw, hw, la, ha} {
		if n&(1<<i) != 0 {
			f |= v
		}
	}
	return f
}

// qsfpLaneValues decodes the four lanes' monitors (Table 6-8) and flags,
// appending to lanes.
func qsfpLaneValues(s *layered, c qsfpCaps, lanes []Lane) []Lane {
	mon := s.bytes(Lower, qsfpRxPower, 3*2*qsfpLanes) // 34-57
	flags := s.bytes(Lower, qsfpLOS, qsfpTxPowerFlag+2-qsfpLOS)
	if mon == nil && flags == nil {
		return lanes
	}
	if c.dataNotReady {
		mon = nil // Data_Not_Ready: the monitors are not valid yet
	}
	for i := 0; i < qsfpLanes; i++ {
		var l *Lane
		var old Lane
		lanes, l, old = grow(lanes)
		l.Lane = i + 1
		if mon != nil {
			l.setQSFPMonitors(mon, i, c, &old)
		}
		if flags != nil {
			l.Flags = qsfpLaneFlags(flags, i)
		}
	}
	return lanes
}

// setQSFPMonitors sets lane i's values from lower bytes 34-57 (mon[0] is
// 34), reusing old's floats.
func (l *Lane) setQSFPMonitors(mon []byte, i int, c qsfpCaps, old *Lane) {
	word := func(off int) []byte { return mon[off-qsfpRxPower+2*i:][:2] }
	l.TxBiasMA = put(old.TxBiasMA, BiasMA(u16(word(qsfpTxBias)), 1))
	rx := PowerMW(u16(word(qsfpRxPower)))
	l.RxPowerMW, l.RxPowerDBM = put(old.RxPowerMW, rx), putDBm(old.RxPowerDBM, rx)
	if c.txPower {
		tx := PowerMW(u16(word(qsfpTxPower)))
		l.TxPowerMW, l.TxPowerDBM = put(old.TxPowerMW, tx), putDBm(old.TxPowerDBM, tx)
	}
}

// qsfpLaneFlags gathers lane i's flags from lower bytes 3-14 (b[0] is 3).
// Bytes 3-5 hold one bit a lane (Tx in the high nibble, Rx in the low);
// bytes 9-14 a nibble a lane, lane 1 in the high nibble of 9, 11 and 13.
func qsfpLaneFlags(b []byte, i int) LaneFlags {
	at := func(off int) uint8 { return b[off-qsfpLOS] }
	bit := func(off, n int, f LaneFlags) LaneFlags {
		if at(off)&(1<<n) != 0 {
			return f
		}
		return 0
	}
	f := bit(qsfpLOS, i, RxLOS) | bit(qsfpLOS, 4+i, TxLOS) |
		bit(qsfpFault, i, TxFault) | bit(qsfpFault, 4+i, TxAdaptiveEQFail) |
		bit(qsfpLOL, i, RxCDRLOL) | bit(qsfpLOL, 4+i, TxCDRLOL)
	nib := func(off int) uint8 {
		v := at(off + i/2)
		if i%2 == 0 {
			return v >> 4
		}
		return v & 0x0f
	}
	f |= qsfpNibble(nib(qsfpRxPowerFlag), RxPowerHighAlarm, RxPowerLowAlarm, RxPowerHighWarning, RxPowerLowWarning)
	f |= qsfpNibble(nib(qsfpTxBiasFlag), TxBiasHighAlarm, TxBiasLowAlarm, TxBiasHighWarning, TxBiasLowWarning)
	f |= qsfpNibble(nib(qsfpTxPowerFlag), TxPowerHighAlarm, TxPowerLowAlarm, TxPowerHighWarning, TxPowerLowWarning)
	return f
}

// qsfpThresholds decodes page 03h (Table 6-26) for the quantities the module
// monitors.
func (m *Module) qsfpThresholds(s *Snapshot, c qsfpCaps) {
	p := Upper(0, qsfpPage03)
	set := func(name string, off int, want bool, conv func([]byte) float64) {
		if b := s.Bytes(p, off, 8); b != nil && want {
			m.setThreshold(name, thresholdSet(b, conv))
		}
	}
	power := func(b []byte) float64 { return PowerMW(u16(b)) }
	set(QTemperature, qsfpThrTemp, c.temp, func(b []byte) float64 { return Temperature(s16(b)) })
	set(QVcc, qsfpThrVcc, c.vcc, func(b []byte) float64 { return Voltage(u16(b)) })
	set(QRxPower, qsfpThrRxPower, true, power)
	set(QTxBias, qsfpThrTxBias, true, func(b []byte) float64 { return BiasMA(u16(b), 1) })
	set(QTxPower, qsfpThrTxPower, c.txPower, power)
}

// sff8636NominalMbps is the nominal bit rate: byte 140 in 100 Mb/s, or, when
// that reads FFh (rates above 25.4 Gb/s), byte 222 in 250 Mb/s. Not yet a
// Module field (requested: NominalBitRateMbps).
func sff8636NominalMbps(s *Snapshot) (float64, bool) {
	p := Upper(0, qsfpPage00)
	br, ok := s.byteAt(p, qsfpBitRate)
	if !ok || br == 0 {
		return 0, false
	}
	if br != 0xff {
		return float64(br) * 100, true
	}
	ext, ok := s.byteAt(p, qsfpBitRateExt)
	return float64(ext) * 250, ok && ext != 0
}

// sff8636CopperAttenuation is a copper cable's attenuation in dB at 2.5,
// 5.0, 7.0 and 12.9 GHz (page 00h bytes 186-189, Table 6-20). Not yet a
// Module field (requested: CableAttenuationDB).
func sff8636CopperAttenuation(s *Snapshot) (map[string]float64, bool) {
	p := Upper(0, qsfpPage00)
	tech, ok := s.byteAt(p, qsfpDeviceTech)
	b := s.Bytes(p, qsfpWavelength, 4)
	if !ok || b == nil || !qsfpCopper(tech) {
		return nil, false
	}
	return map[string]float64{
		"2.5GHz": float64(b[0]), "5.0GHz": float64(b[1]),
		"7.0GHz": float64(b[2]), "12.9GHz": float64(b[3]),
	}, true
}

// sff8636WavelengthTolerance is an optical module's wavelength tolerance in
// nm: bytes 188-189 in units of 0.005 nm ("value/200 in nm").
func sff8636WavelengthTolerance(s *Snapshot) (float64, bool) {
	p := Upper(0, qsfpPage00)
	tech, ok := s.byteAt(p, qsfpDeviceTech)
	b := s.Bytes(p, qsfpTolerance, 2)
	if !ok || b == nil || qsfpCopper(tech) {
		return 0, false
	}
	return float64(u16(b)) / 200, true
}

// planSFF8636 is the read plan: lower memory, page 00h up to CC_EXT and, if
// the module is paged, the thresholds of page 03h (128-199); every fast
// cycle, lower bytes 2-57 (status, latched flags 3-14 and monitors 22-57 in
// one transaction; 15-21 are reserved or vendor bytes and cost less to read
// than a second transaction).
func planSFF8636(s *Snapshot, c Cadence) []Range {
	switch c {
	case Static:
		rs := []Range{
			{Page: Lower, Offset: 0, Length: PageSize},
			{Page: Upper(0, qsfpPage00), Offset: 128, Length: qsfpCCExt + 1 - 128},
		}
		// Flat_mem is in lower byte 2: page 03h is planned once it is known.
		if st, ok := s.byteAt(Lower, qsfpStatus); ok && st&0x04 == 0 {
			rs = append(rs, Range{Page: Upper(0, qsfpPage03), Offset: 128, Length: qsfpThrTxPower + 8 - 128})
		}
		return missing(s, rs)
	case Fast:
		return []Range{{Page: Lower, Offset: qsfpStatus, Length: qsfpTxPower + 2*qsfpLanes - qsfpStatus}}
	}
	return nil
}

// qsfpLinkLengths decodes page 00h bytes 142-145: SMF in km, OM3 in 2 m,
// OM2 and OM1 in 1 m units. Byte 146 is OM4 (2 m) or a cable's length
// (1 m) depending on the cable, which the module does not say for an
// active optical cable: it is read as a length only for copper.
func (m *Module) qsfpLinkLengths(l []byte) {
	m.setLinkLength("smf", 1000*float64(l[0]))
	m.setLinkLength("om3", 2*float64(l[1]))
	m.setLinkLength("om2", float64(l[2]))
	m.setLinkLength("om1", float64(l[3]))
}
