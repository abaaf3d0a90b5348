package cmis

import (
	"encoding/binary"
	"fmt"
	"math"
)

// SFF-8472 (SFP, SFP+, SFP28): serial ID at A0h (0x50, modelled as Lower and
// Upper(0, 0)) and diagnostics at A2h (0x51, A2Lower and A2Upper). Byte and
// table numbers are SFF-8472 Rev 12.4.

// A0h (Table 4-1).
const (
	sfpConnector   = 2
	sfpCableTech   = 8  // b3 active cable, b2 passive cable (Table 5-3)
	sfpBitRate     = 12 // 100 MBd; FFh: see byte 66
	sfpLenSMFkm    = 14 // SMF km; 15 SMF 100 m; 16 OM2, 17 OM1 (10 m)
	sfpLenCopper   = 18 // cable length, 1 m; OM4 (10 m) for a module that is not a cable
	sfpLenOM3      = 19 // 10 m
	sfpVendor      = 20 // 20-35
	sfpOUI         = 37 // 37-39
	sfpPN          = 40 // 40-55
	sfpRev         = 56 // 56-59
	sfpWavelength  = 60 // 60-61, nm; cable compliance for cables
	sfpCCBase      = 63 // over 0-62
	sfpBitRateExt  = 66 // 250 MBd when byte 12 is FFh
	sfpOptions     = 64 // 64-65, Table 8-3: b1 of 64 power level 2, b5 power level 3
	sfpSN          = 68 // 68-83
	sfpDate        = 84 // 84-91
	sfpDiagType    = 92 // Table 8-5
	sfpCompliance  = 94 // Table 8-8
	sfpCCExt       = 95 // over 64-94
	sfpDDM         = 0x40
	sfpInternalCal = 0x20
	sfpExternalCal = 0x10
	sfpRxAverage   = 0x08
	sfpAddrChange  = 0x04
)

// A2h (Table 9-1).
const (
	sfpThrTemp    = 0  // HA, LA, HW, LW, 2 bytes each
	sfpThrVcc     = 8  //
	sfpThrTxBias  = 16 //
	sfpThrTxPower = 24 //
	sfpThrRxPower = 32 //
	sfpThrEnd     = 40 // thresholds end here; 40-55 are optional laser and TEC thresholds
	sfpRxPwrCal   = 56 // 56-75: Rx_PWR(4) .. Rx_PWR(0), float32 big-endian
	sfpBiasCal    = 76 // slope (unsigned 8.8), offset (signed 16)
	sfpTxPwrCal   = 80
	sfpTempCal    = 84
	sfpVccCal     = 88
	sfpCCDMI      = 95 // over 0-94
	sfpTemp       = 96 // S16 1/256 °C; then Vcc, bias, Tx power, Rx power
	sfpVcc        = 98
	sfpTxBias     = 100
	sfpTxPower    = 102
	sfpRxPower    = 104
	sfpStatus     = 110 // Table 9-11: b2 Tx fault, b1 Rx LOS, b0 Data_Ready_Bar
	sfpAlarms     = 112 // 112-113
	sfpWarnings   = 116 // 116-117, same layout as 112-113
	sfpFastEnd    = 118
)

// staticSFF8472 decodes the static part of an SFP: identity from A0h
// (only fields whose checksum matches) and, if A0h byte 92 says
// diagnostics are implemented, the calibration and thresholds of A2h. A
// module without diagnostics simply has none: not a warning.
func (l *Layout) staticSFF8472() {
	s, m := l.src, &l.base
	m.Spec = "SFF-8472"
	if v, ok := s.byteAt(Lower, sfpCompliance); ok {
		m.SpecRevision = sff8472Revision(v)
	}
	m.sfpIdentity(s)
	diag, ok := s.byteAt(Lower, sfpDiagType)
	if !ok || diag&sfpDDM == 0 {
		return // no digital diagnostics: nothing at A2h to decode
	}
	l.sfpDiag = true
	if diag&sfpAddrChange != 0 {
		m.warnf("A0h byte 92 bit 2: the module needs an address change sequence before A2h can be read; ddm never writes it, so A2h may be missing or not the diagnostics")
	}
	m.Advertisement = &Advertisement{
		Banks: 1, TxBiasMultiplier: 1, RxPowerIsOMA: diag&sfpRxAverage == 0,
		TempMonitor: true, VccMonitor: true, TxBiasMonitor: true, TxPowerMonitor: true, RxPowerMonitor: true,
	}
	l.sfp = m.sfpCalibration(s, diag)
	m.sfpThresholds(s, l.sfp)
}

// dynamicSFF8472 decodes lane 1's monitors, status and flags from A2h.
func (l *Layout) dynamicSFF8472(m *Module, mem *layered, st *storage) {
	if l.sfpDiag {
		m.sfpMonitors(mem, l.sfp, st)
	}
}

// sff8472Revision names A0h byte 94 (Table 8-8).
func sff8472Revision(b uint8) string {
	revs := [...]string{"unspecified", "9.3", "9.5", "10.2", "10.4", "11.0", "11.3", "11.4", "12.3", "12.4"}
	if int(b) < len(revs) {
		return revs[b]
	}
	return fmt.Sprintf("unallocated (%02Xh)", b)
}

// sfpIdentity decodes A0h: bytes 0-62 if CC_BASE matched, serial number and
// date code (64-94) if CC_EXT matched.
func (m *Module) sfpIdentity(s *Snapshot) {
	base, baseRead := m.verifyChecksum(s, Lower, 0, sfpCCBase)
	ext, extRead := m.verifyChecksum(s, Lower, 64, sfpCCExt)
	if baseRead && !base {
		m.warnf("A0h: CC_BASE does not match; identity from bytes 0-62 (vendor, part number, connector, wavelength) not used")
	}
	if extRead && !ext {
		m.warnf("A0h: CC_EXT does not match; serial number and date code (bytes 64-94) not used")
	}
	if base {
		b := s.Bytes(Lower, 0, sfpCCBase)
		m.Connector = connectorName(b[sfpConnector])
		m.Vendor = text(b[sfpVendor : sfpVendor+16])
		m.VendorOUI = oui(b[sfpOUI : sfpOUI+3])
		m.PartNumber = text(b[sfpPN : sfpPN+16])
		m.Revision = text(b[sfpRev : sfpRev+4])
		m.sfpMedia(b)
		if r, ok := sff8472NominalMbps(s); ok {
			m.NominalBitRateMbps = ptr(r)
		}
	}
	if ext {
		m.SerialNumber = text(s.Bytes(Lower, sfpSN, 16))
		m.DateCode = text(s.Bytes(Lower, sfpDate, 8))
		m.PowerClass, m.MaxPowerW = sfpPowerLevel(s.Bytes(Lower, sfpOptions, 2), s.Bytes(Lower, sfpCompliance, 1)[0])
	}
}

// sfpPowerLevel decodes the power level declaration of A0h bytes 64-65
// (Table 8-3): level 1 (1.0 W) unless bit 1 of byte 64 declares level 2
// (1.5 W, defined from SFF-8472 Rev 10.2, compliance byte 94 >= 03h) or
// bit 5 declares level 3 (2.0 W, Rev 11.4, byte 94 >= 07h). Older
// revisions used those bits otherwise, so they are ignored there.
func sfpPowerLevel(options []byte, compliance uint8) (int, *float64) {
	level, watts := 1, 1.0
	if options[0]&0x02 != 0 && compliance >= 0x03 {
		level, watts = 2, 1.5
	}
	if options[0]&0x20 != 0 && compliance >= 0x07 {
		level, watts = 3, 2.0
	}
	return level, ptr(watts)
}

// sfpMedia decodes wavelength or cable length. For a passive or active
// cable (byte 8 b2/b3) bytes 60-61 are the cable's compliance (Table 8-1),
// not a wavelength, and byte 18 is its length.
func (m *Module) sfpMedia(b []byte) {
	if b[sfpCableTech]&0x0c != 0 {
		if b[sfpLenCopper] != 0 {
			m.CableLengthM = ptr(float64(b[sfpLenCopper]))
		}
		return
	}
	// SMF: byte 14 in km, byte 15 in 100 m (the finer one, for links up to
	// 25.4 km); multimode in 10 m units.
	if km := b[sfpLenSMFkm]; km != 0 {
		m.setLinkLength("smf", 1000*float64(km))
	} else {
		m.setLinkLength("smf", 100*float64(b[sfpLenSMFkm+1]))
	}
	m.setLinkLength("om2", 10*float64(b[sfpLenSMFkm+2]))
	m.setLinkLength("om1", 10*float64(b[sfpLenSMFkm+3]))
	m.setLinkLength("om3", 10*float64(b[sfpLenOM3]))
	// Byte 18 is OM4 in 10 m for an optical module (one with a
	// wavelength); for a BASE-T module it is the copper reach in metres.
	if wl := u16(b[sfpWavelength:]); wl != 0 {
		m.WavelengthNM = ptr(float64(wl))
		m.setLinkLength("om4", 10*float64(b[sfpLenCopper]))
	} else {
		m.setLinkLength("copper", float64(b[sfpLenCopper]))
	}
}

// sfpCal converts A2h raw values to units (§9.3 and Table 9-3). Internally
// calibrated modules report units directly; externally calibrated ones
// report A/D counts that the host converts with the constants of A2h 56-91.
type sfpCal struct {
	external bool
	// thresholds: A2h 0-39 were read and are worth decoding; checksumFailed
	// that A2h 0-94 do not match CC_DMI (the thresholds are then marked).
	thresholds, checksumFailed bool
	// rxOK is false when the Rx power coefficients are not finite.
	rxOK                 bool
	rx                   [5]float64 // Rx_PWR(0) .. Rx_PWR(4)
	bias, tx, temp, vccL sfpLinear
}

// sfpLinear is one slope (unsigned 8.8 fixed point) and offset (signed 16,
// in the result's units).
type sfpLinear struct{ slope, offset float64 }

func (l sfpLinear) apply(ad float64) float64 { return l.slope*ad + l.offset }

func readLinear(b []byte) sfpLinear {
	return sfpLinear{slope: float64(u16(b)) / 256, offset: float64(s16(b[2:]))}
}

// sfpCalibration verifies CC_DMI and reads the calibration. It returns nil
// when the values cannot be converted: external calibration whose constants
// were not read or fail their checksum.
//
// Many modules never set CC_DMI. An internally calibrated module's
// thresholds are then decoded and marked (Thresholds.ChecksumFailed); an
// externally calibrated module's constants are not used, since a wrong
// slope would make every monitor value wrong with nothing to show it.
func (m *Module) sfpCalibration(s *Snapshot, diag uint8) *sfpCal {
	dmi, dmiRead := m.verifyChecksum(s, A2Lower, 0, sfpCCDMI)
	if diag&sfpExternalCal == 0 {
		c := &sfpCal{thresholds: dmiRead, checksumFailed: dmiRead && !dmi, rxOK: true}
		if c.checksumFailed {
			if thr := s.Bytes(A2Lower, 0, sfpThrEnd); allSame(thr) {
				m.warnf("A2h: CC_DMI does not match and bytes 0-%d hold %02Xh throughout: no thresholds", sfpThrEnd-1, thr[0])
				c.thresholds = false
			} else {
				m.warnf("A2h: CC_DMI does not match; thresholds (bytes 0-%d) decoded anyway and marked checksum_failed", sfpThrEnd-1)
			}
		}
		return c
	}
	if !dmi {
		if dmiRead {
			m.warnf("A2h: CC_DMI does not match and the module is externally calibrated: calibration constants (bytes 56-91) not trusted; monitors and thresholds not decoded")
		}
		return nil
	}
	b := s.Bytes(A2Lower, sfpRxPwrCal, sfpVccCal+4-sfpRxPwrCal)
	at := func(off int) []byte { return b[off-sfpRxPwrCal:] }
	c := &sfpCal{
		external: true, thresholds: true, rxOK: true,
		bias: readLinear(at(sfpBiasCal)), tx: readLinear(at(sfpTxPwrCal)),
		temp: readLinear(at(sfpTempCal)), vccL: readLinear(at(sfpVccCal)),
	}
	for k := 0; k < 5; k++ {
		v := float64(math.Float32frombits(binary.BigEndian.Uint32(at(sfpRxPwrCal + 4*(4-k)))))
		if math.IsNaN(v) || math.IsInf(v, 0) {
			m.warnf("A2h bytes %d-%d: Rx_PWR(%d) calibration coefficient is %v; Rx power not decoded", sfpRxPwrCal+4*(4-k), sfpRxPwrCal+4*(4-k)+3, k, v)
			c.rxOK = false
		}
		c.rx[k] = v
	}
	return c
}

func (c *sfpCal) temperature(b []byte) float64 {
	if !c.external {
		return Temperature(s16(b))
	}
	return c.temp.apply(float64(s16(b))) / 256
}

func (c *sfpCal) vcc(b []byte) float64 {
	if !c.external {
		return Voltage(u16(b))
	}
	return c.vccL.apply(float64(u16(b))) / 10000
}

// biasMA and the power conversions may return a negative value from
// external calibration; the caller clamps and warns.
func (c *sfpCal) biasMA(b []byte) float64 {
	if !c.external {
		return BiasMA(u16(b), 1)
	}
	return c.bias.apply(float64(u16(b))) * 0.002
}

func (c *sfpCal) txPowerMW(b []byte) float64 {
	if !c.external {
		return PowerMW(u16(b))
	}
	return c.tx.apply(float64(u16(b))) / 10000
}

// rxPowerMW is Σ Rx_PWR(k)·AD^k in 0.1 µW, converted to mW. ok is false if
// a coefficient is NaN or infinite. Finite float32 coefficients times
// AD^k <= 65535^4 stay below 1e58, so a finite sum never overflows.
func (c *sfpCal) rxPowerMW(b []byte) (mw float64, ok bool) {
	if !c.external {
		return PowerMW(u16(b)), true
	}
	ad, p, sum := float64(u16(b)), 1.0, 0.0
	for k := 0; k < 5; k++ {
		sum += c.rx[k] * p
		p *= ad
	}
	return sum / 10000, c.rxOK
}

// nonNegative clamps a calibrated bias or power below 0 (a result the units
// cannot express: SFF-8472 defines them unsigned) to 0 and says so.
func (m *Module) nonNegative(what string, v float64) float64 {
	if v < 0 {
		m.warnf("A2h: externally calibrated %s is %.4g, below 0; reported as 0", what, v)
		return 0
	}
	return v
}

// sfpMonitors decodes A2h 96-117: monitors, status and flags of lane 1.
func (m *Module) sfpMonitors(s *layered, cal *sfpCal, st *storage) {
	status, stOK := s.byteAt(A2Lower, sfpStatus)
	notReady := stOK && status&0x01 != 0 // Data_Ready_Bar: monitors not valid yet
	if stOK {
		m.ModuleState = "ready"
		if notReady {
			m.ModuleState = "data not ready"
		}
	}
	mon := s.bytes(A2Lower, sfpTemp, sfpRxPower+2-sfpTemp)
	flags := s.bytes(A2Lower, sfpAlarms, sfpFastEnd-sfpAlarms)
	if mon == nil && flags == nil && !stOK {
		return
	}
	lanes, l, old := grow(st.lanes)
	l.Lane = 1
	if mon != nil && cal != nil && !notReady {
		m.setSFPMonitors(l, &old, mon, cal, st)
	}
	if stOK {
		l.Flags |= sfpBits(status, [8]LaneFlags{1: RxLOS, 2: TxFault})
	}
	if flags != nil {
		m.setSFPFlags(l, flags)
	}
	m.Lanes = lanes
}

// setSFPMonitors converts A2h 96-105 (mon[0] is byte 96), reusing the
// floats of old and st.
func (m *Module) setSFPMonitors(l, old *Lane, mon []byte, cal *sfpCal, st *storage) {
	at := func(off int) []byte { return mon[off-sfpTemp:][:2] }
	m.TemperatureC = put(st.temp, cal.temperature(at(sfpTemp)))
	m.VccV = put(st.vcc, cal.vcc(at(sfpVcc)))
	l.TxBiasMA = put(old.TxBiasMA, m.nonNegative("Tx bias", cal.biasMA(at(sfpTxBias))))
	tx := m.nonNegative("Tx power", cal.txPowerMW(at(sfpTxPower)))
	l.TxPowerMW, l.TxPowerDBM = put(old.TxPowerMW, tx), putDBm(old.TxPowerDBM, tx)
	if rx, ok := cal.rxPowerMW(at(sfpRxPower)); ok {
		rx = m.nonNegative("Rx power", rx)
		l.RxPowerMW, l.RxPowerDBM = put(old.RxPowerMW, rx), putDBm(old.RxPowerDBM, rx)
	}
}

// setSFPFlags maps A2h 112-113 (alarms) and 116-117 (warnings), Table 9-12:
// 112/116 b7-b4 temperature and Vcc high/low, b3-b0 bias and Tx power
// high/low; 113/117 b7-b6 Rx power high/low. f[0] is byte 112.
func (m *Module) setSFPFlags(l *Lane, f []byte) {
	m.Flags |= sfpBits(f[0], [8]ModuleFlags{4: VccLowAlarm, 5: VccHighAlarm, 6: TempLowAlarm, 7: TempHighAlarm})
	m.Flags |= sfpBits(f[4], [8]ModuleFlags{4: VccLowWarning, 5: VccHighWarning, 6: TempLowWarning, 7: TempHighWarning})
	l.Flags |= sfpBits(f[0], [8]LaneFlags{TxPowerLowAlarm, TxPowerHighAlarm, TxBiasLowAlarm, TxBiasHighAlarm})
	l.Flags |= sfpBits(f[1], [8]LaneFlags{6: RxPowerLowAlarm, 7: RxPowerHighAlarm})
	l.Flags |= sfpBits(f[4], [8]LaneFlags{TxPowerLowWarning, TxPowerHighWarning, TxBiasLowWarning, TxBiasHighWarning})
	l.Flags |= sfpBits(f[5], [8]LaneFlags{6: RxPowerLowWarning, 7: RxPowerHighWarning})
}

// sfpBits ORs the flags of the bits set in b; names[i] is bit i's flag.
func sfpBits[F ~uint32](b uint8, names [8]F) F {
	var f F
	for i, n := range names {
		if b&(1<<i) != 0 {
			f |= n
		}
	}
	return f
}

// sfpThresholds decodes A2h 0-39 with the same calibration as the monitors
// (§9.3: for external calibration the thresholds are A/D counts too).
func (m *Module) sfpThresholds(s *Snapshot, cal *sfpCal) {
	if cal == nil || !cal.thresholds {
		return
	}
	if cal.checksumFailed {
		defer m.markThresholdsChecksumFailed()
	}
	b := s.Bytes(A2Lower, 0, sfpCCDMI)
	m.setThreshold(QTemperature, thresholdSet(b[sfpThrTemp:], cal.temperature))
	m.setThreshold(QVcc, thresholdSet(b[sfpThrVcc:], cal.vcc))
	m.setThreshold(QTxBias, thresholdSet(b[sfpThrTxBias:], func(v []byte) float64 {
		return m.nonNegative("Tx bias threshold", cal.biasMA(v))
	}))
	m.setThreshold(QTxPower, thresholdSet(b[sfpThrTxPower:], func(v []byte) float64 {
		return m.nonNegative("Tx power threshold", cal.txPowerMW(v))
	}))
	if cal.rxOK {
		m.setThreshold(QRxPower, thresholdSet(b[sfpThrRxPower:], func(v []byte) float64 {
			mw, _ := cal.rxPowerMW(v)
			return m.nonNegative("Rx power threshold", mw)
		}))
	}
}

// sff8472NominalMbps is the nominal signalling rate: byte 12 in 100 MBd or,
// when that reads FFh, byte 66 in 250 MBd. Not yet a Module field
// (requested: NominalBitRateMbps).
func sff8472NominalMbps(s *Snapshot) (float64, bool) {
	br, ok := s.byteAt(Lower, sfpBitRate)
	if !ok || br == 0 {
		return 0, false
	}
	if br != 0xff {
		return float64(br) * 100, true
	}
	ext, ok := s.byteAt(Lower, sfpBitRateExt)
	return float64(ext) * 250, ok && ext != 0
}

// planSFF8472 is the read plan: A0h whole, then, if the module implements
// diagnostics, A2h 0-95 (thresholds, calibration, CC_DMI); every fast cycle
// A2h 96-117 (monitors, status, alarm and warning flags). A module that
// needs an address change sequence gets no A2h reads: that sequence is a
// write ddm does not make.
func planSFF8472(s *Snapshot, c Cadence) []Range {
	diag, ok := s.byteAt(Lower, sfpDiagType)
	a2 := ok && diag&sfpDDM != 0 && diag&sfpAddrChange == 0
	switch c {
	case Static:
		rs := []Range{
			{Page: Lower, Offset: 0, Length: PageSize},
			{Page: Upper(0, 0), Offset: PageSize, Length: PageSize},
		}
		if a2 {
			rs = append(rs, Range{Page: A2Lower, Offset: 0, Length: sfpCCDMI + 1})
		}
		return missing(s, rs)
	case Fast:
		if a2 {
			return []Range{{Page: A2Lower, Offset: sfpTemp, Length: sfpFastEnd - sfpTemp}}
		}
	}
	return nil
}
