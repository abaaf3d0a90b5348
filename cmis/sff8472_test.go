package cmis

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"testing"
)

func TestSFF8472Vectors(t *testing.T) {
	tests := []sffWant{{
		// Source (go-ethtool): temperature 34.54, Vcc 3.29, bias 35.994,
		// Rx power 0 (so no dBm; ethtool prints "-inf dBm"), Rx thresholds
		// HW 1.0, LA 0.0158, LW 0.0316. The rest: ethtool. A2h 110 b1 (Rx
		// LOS) is set; ethtool does not print it.
		file:       "sff8472_10g_sfpp_lr_oem_SFP-10GB-LR_wobcom",
		powerClass: 1, maxPower: "1", // A0h 64 declares no higher power level
		spec: "SFF-8472", specRev: "10.2",
		vendor: "OEM", oui: "00:17:6a", pn: "SFP-10GB-LR", rev: "B4", sn: "YAOY1060", date: "150703",
		conn: "LC", wavelength: "1310", temp: "34.54", vcc: "3.29",
		lanes: []laneWant{{"35.994", "0.5171", "0.0", RxLOS | RxPowerLowAlarm | RxPowerLowWarning}},
		thresholds: map[string][4]string{
			QRxPower:     {"2.0000", "0.0158", "1.0", "0.0316"},
			QTxBias:      {"100.000", "2.000", "80.000", "4.000"},
			QTxPower:     {"1.3464", "0.1267", "1.1220", "0.1584"},
			QTemperature: {"90.00", "-10.00", "85.00", "-5.00"},
			QVcc:         {"3.6300", "2.9700", "3.4600", "3.1300"},
		},
	}, {
		// Source (go-ethtool): vendor fields, date, wavelength 1330, Tx power
		// high alarm 1.7783 mW. It asserts OUI "20:00:00", which is bytes
		// 35-37 (a go-ethtool offset bug); SFF-8472 Table 4-1 puts the OUI
		// at 37-39 = 00:02:c9, as ethtool prints.
		file:       "sff8472_10g_sfpp_flexoptix_P.B1696.10.DA_wobcom",
		powerClass: 1, maxPower: "1", // A0h 64 declares no higher power level
		spec: "SFF-8472", specRev: "10.2",
		vendor: "FLEXOPTIX", oui: "00:02:c9", pn: "P.B1696.10.DA", rev: "A", sn: "F79B5KH", date: "191218",
		conn: "LC", wavelength: "1330", temp: "25.54", vcc: "3.2545",
		lanes: []laneWant{{"27.872", "0.6361", "0.5518", 0}},
		thresholds: map[string][4]string{
			QTxPower:     {"1.7783", "0.1995", "1.4125", "0.2512"},
			QTxBias:      {"90.000", "2.000", "80.000", "3.000"},
			QRxPower:     {"1.2589", "0.0251", "1.1220", "0.0316"},
			QTemperature: {"90.00", "-25.00", "85.00", "-20.00"},
			QVcc:         {"3.6000", "3.0000", "3.5000", "3.0500"},
		},
	}, {
		// Source (Junos): FS, DW44-10G-80-4214 rev A, SN, 1542 nm, SFF-8472
		// v10.2, date 200914. Monitors and thresholds: ethtool.
		file:       "sff8472_10g_sfpp_dwdm_ch44_fs_DW44-10G-80-4214_sfppi",
		powerClass: 1, maxPower: "1", // A0h 64 declares no higher power level
		spec: "SFF-8472", specRev: "10.2",
		vendor: "FS", oui: "00:90:65", pn: "DW44-10G-80-4214", rev: "A", sn: "G2006599998", date: "200914",
		conn: "LC", wavelength: "1542", temp: "45.92", vcc: "3.2620",
		lanes: []laneWant{{"65.996", "1.7172", "0.0532", 0}},
		thresholds: map[string][4]string{
			QTxBias:      {"100.000", "15.000", "90.000", "20.000"},
			QTxPower:     {"3.9811", "0.7943", "3.1623", "1.0000"},
			QRxPower:     {"0.1995", "0.0040", "0.1585", "0.0050"},
			QTemperature: {"80.00", "-5.00", "75.00", "0.00"},
			QVcc:         {"3.6000", "3.0000", "3.5000", "3.1000"},
		},
	}, {
		// Source (Junos): Arista Networks SFP-10GLR-31 rev 0002, v10.4, 1310 nm.
		file:       "sff8472_10g_sfpp_lr_arista_SFP-10GLR-31_sfppi",
		powerClass: 1, maxPower: "1", // A0h 64 declares no higher power level
		spec: "SFF-8472", specRev: "10.4",
		vendor: "Arista Networks", oui: "00:1c:73", pn: "SFP-10GLR-31", rev: "0002", sn: "F2032002143", date: "200811",
		conn: "LC", wavelength: "1310", temp: "39.37", vcc: "3.2756",
		lanes: []laneWant{{"32.750", "0.4427", "0.3397", 0}},
		thresholds: map[string][4]string{
			QTxBias:      {"110.000", "5.000", "100.000", "15.000"},
			QTxPower:     {"1.7783", "0.0955", "1.1220", "0.1513"},
			QRxPower:     {"1.7783", "0.0229", "1.1220", "0.0363"},
			QTemperature: {"80.00", "-10.00", "70.00", "0.00"},
			QVcc:         {"3.6300", "2.9700", "3.4700", "3.1400"},
		},
	}, {
		// Laser off: bias 0, Rx 0 mW (no dBm), low alarms and warnings set
		// (A2h 112/116 = 05h, 113/117 = 40h), as ethtool prints them.
		file:       "sff8472_10g_sfpp_lr_championone_10GSFPplusE-LR_sfppi",
		powerClass: 1, maxPower: "1", // A0h 64 declares no higher power level
		spec: "SFF-8472", specRev: "9.5",
		vendor: "CHAMPION ONE", oui: "00:00:00", pn: "10GSFP+E-LR", rev: "A", sn: "ATF0G5M", date: "150409",
		conn: "LC", wavelength: "1310", temp: "34.88", vcc: "3.3016",
		lanes: []laneWant{{"0.000", "0.0266", "0.0000",
			TxBiasLowAlarm | TxBiasLowWarning | TxPowerLowAlarm | TxPowerLowWarning | RxPowerLowAlarm | RxPowerLowWarning}},
		thresholds: map[string][4]string{
			QTxBias:      {"85.000", "15.000", "80.000", "20.000"},
			QTxPower:     {"1.5849", "0.1585", "1.2589", "0.1995"},
			QRxPower:     {"1.7783", "0.0100", "1.5849", "0.0158"},
			QTemperature: {"78.00", "-13.00", "73.00", "-8.00"},
			QVcc:         {"3.7000", "2.9000", "3.6000", "3.0000"},
		},
	}, {
		// Date code bytes 90-91 are NUL: ethtool prints "200528__".
		file: "sff8472_xgspon_olt_ciena_tibit_XCVR-SGPL02_sfppi",
		// A0h 64 = 3Ch (bit 5: power level 3), 94 = 08h (Rev 12.3 >= 11.4): 2.0 W.
		powerClass: 3, maxPower: "2",
		spec: "SFF-8472", specRev: "12.3",
		vendor: "CIENA-BIT", oui: "2a:ea:15", pn: "XCVR-SGPL02", rev: "002", sn: "OLT-E8B47070354A", date: "200528",
		conn: "SC", wavelength: "1577", temp: "35.00", vcc: "0.0000",
		lanes: []laneWant{{"0.000", "0.0000", "0.0000", 0}},
		thresholds: map[string][4]string{
			QTxBias:      {"120.000", "60.000", "115.000", "65.000"},
			QTxPower:     {"6.3095", "1.9952", "5.0118", "2.5118"},
			QRxPower:     {"0.2511", "0.0012", "0.1995", "0.0015"},
			QTemperature: {"80.00", "-25.00", "75.00", "-20.00"},
			QVcc:         {"3.5300", "3.0700", "3.4600", "3.1400"},
		},
	}, {
		// Source (go-ethtool): no monitoring (A0h 92 b6 = 0), wavelength 0.
		// Nothing from A2h, and no warning about it.
		file:       "sff8472_brocade_57-1000042-02_nodom_wobcom",
		powerClass: 1, maxPower: "1", // A0h 64 declares no higher power level
		spec: "SFF-8472", specRev: "unspecified",
		vendor: "BROCADE", oui: "00:05:1e", pn: "57-1000042-02", sn: "F78TVUM", date: "181121",
		noAdvertisement: true,
	}, {
		// Source (Junos): GLC-T, rev B, "no DDM, no wavelength". A2h was read
		// (all zero) but A0h 92 = 0, so it is not decoded.
		file:       "sff8472_1g_sfp_copper_oem_GLC-T_sfppi",
		powerClass: 1, maxPower: "1", // A0h 64 declares no higher power level
		spec: "SFF-8472", specRev: "unspecified",
		vendor: "OEM", oui: "00:0b:40", pn: "GLC-T", rev: "B", sn: "M0312A887", date: "130823",
		noAdvertisement: true,
	}, {
		// Passive cable (A0h 8 b2): bytes 60-61 are cable compliance (01h,
		// SFF-8431 appendix E, as ethtool says), not a wavelength; the
		// source (Junos) prints "Wavelength 256 nm" from them. Length 1 m.
		file:       "sff8472_25g_sfp28_dac_ubnt_sfppi",
		powerClass: 1, maxPower: "1", // A0h 64 declares no higher power level
		spec: "SFF-8472", specRev: "unspecified",
		vendor: "Ubiquiti Inc.", oui: "24:5a:4c", pn: "DAC-SFP28-1M", rev: "A1", sn: "AH22091000096", date: "221013",
		conn: "No separable connector", cableLen: "1",
		noAdvertisement: true,
	}}
	for _, w := range tests {
		t.Run(w.file, func(t *testing.T) { checkSFF(t, decodeVec(t, w.file), w) })
	}
}

func TestSFF8472ZeroRxPowerHasNoDBm(t *testing.T) {
	m := decodeVec(t, "sff8472_10g_sfpp_lr_oem_SFP-10GB-LR_wobcom")
	l := m.Lanes[0]
	if l.RxPowerMW == nil || *l.RxPowerMW != 0 || l.RxPowerDBM != nil {
		t.Errorf("Rx power %s mW, %s dBm; want 0 mW and no dBm", show(l.RxPowerMW), show(l.RxPowerDBM))
	}
	if l.TxPowerDBM == nil || !fmtEq(l.TxPowerDBM, "-2.86") {
		t.Errorf("Tx power dBm %s, want -2.86", show(l.TxPowerDBM))
	}
}

func TestSFF8472NominalRate(t *testing.T) {
	tests := []struct {
		file string
		mbps float64
	}{
		{"sff8472_10g_sfpp_flexoptix_P.B1696.10.DA_wobcom", 10300}, // source: 10.3 Gb/s
		{"sff8472_25g_sfp28_dac_ubnt_sfppi", 25750},                // byte 12 = FFh, byte 66 = 67h; ethtool agrees
		{"sff8472_1g_sfp_copper_oem_GLC-T_sfppi", 1300},
	}
	for _, tc := range tests {
		if got, ok := sff8472NominalMbps(loadVector(t, tc.file)); !ok || got != tc.mbps {
			t.Errorf("%s: %v Mb/s (%v), want %v", tc.file, got, ok, tc.mbps)
		}
	}
}

// sfpModule is a synthetic SFF-8472 module, built from the spec.
type sfpModule struct {
	a0, a2 [PageSize]byte
}

func newSFP(diag uint8) *sfpModule {
	m := &sfpModule{}
	m.a0[0] = IDSFP
	m.a0[sfpDiagType] = diag
	m.a0[sfpCompliance] = 0x08
	return m
}

func (m *sfpModule) u16(off int, v uint16) { binary.BigEndian.PutUint16(m.a2[off:], v) }
func (m *sfpModule) f32(off int, v float32) {
	binary.BigEndian.PutUint32(m.a2[off:], math.Float32bits(v))
}

// coeffs sets Rx_PWR(0) .. Rx_PWR(4) (stored from Rx_PWR(4) at 56).
func (m *sfpModule) coeffs(c [5]float32) {
	for k, v := range c {
		m.f32(sfpRxPwrCal+4*(4-k), v)
	}
}

// thresholds sets the four raw A/D thresholds at off.
func (m *sfpModule) thresholds(off int, ha, la, hw, lw uint16) {
	for i, v := range [4]uint16{ha, la, hw, lw} {
		m.u16(off+2*i, v)
	}
}

// snapshot fills in the three checksums, as a module would.
func (m *sfpModule) snapshot() *Snapshot {
	m.a0[sfpCCBase] = sum8(m.a0[:sfpCCBase])
	m.a0[sfpCCExt] = sum8(m.a0[64:sfpCCExt])
	m.a2[sfpCCDMI] = sum8(m.a2[:sfpCCDMI])
	s := NewSnapshot()
	_ = s.SetPage(Lower, m.a0[:])
	_ = s.SetPage(A2Lower, m.a2[:])
	return s
}

// calibrated is an externally calibrated module (A0h 92 = 58h: DDM,
// external calibration, average Rx power) with constants worked by hand:
//
//	T   = 1.5·AD - 256 (1/256 C):  AD 1000h -> 23 C; AD F000h -> -25 C
//	V   = 1.0·AD + 100 (100 uV):   AD 32000 -> 3.21 V
//	I   = 2.0·AD - 1000 (2 uA):    AD 10000 -> 38 mA
//	TxP = 0.5·AD + 50 (0.1 uW):    AD 10000 -> 0.505 mW
//	RxP = 2^-40·AD^4 + 2^-29·AD^3 + 3·2^-20·AD^2 + 0.5·AD + 10 (0.1 uW):
//	      AD 1024 -> 1 + 2 + 3 + 512 + 10 = 528 -> 0.0528 mW
//
// ethtool's Rx formula (its bug 9: AD·(c1 + c2 + c3), no powers, c4
// dropped) would give 0.0522 mW here.
func calibrated() *sfpModule {
	m := newSFP(sfpDDM | sfpExternalCal | sfpRxAverage)
	m.coeffs([5]float32{10, 0.5, 3.0 / (1 << 20), 1.0 / (1 << 29), 1.0 / (1 << 40)})
	for _, c := range []struct {
		off           int
		slope, offset uint16
	}{
		{sfpTempCal, 0x0180, 0xff00}, // 1.5, -256
		{sfpVccCal, 0x0100, 100},     // 1.0, +100
		{sfpBiasCal, 0x0200, 0xfc18}, // 2.0, -1000
		{sfpTxPwrCal, 0x0080, 50},    // 0.5, +50
	} {
		m.u16(c.off, c.slope)
		m.u16(c.off+2, c.offset)
	}
	m.u16(sfpTemp, 0x1000)
	m.u16(sfpVcc, 32000)
	m.u16(sfpTxBias, 10000)
	m.u16(sfpTxPower, 10000)
	m.u16(sfpRxPower, 1024)
	m.thresholds(sfpThrTemp, 0x3000, 0xf000, 0x2c00, 0xf800)
	m.thresholds(sfpThrVcc, 36000, 29000, 35000, 30000)
	m.thresholds(sfpThrTxBias, 30000, 1000, 25000, 2000)
	m.thresholds(sfpThrTxPower, 40000, 2000, 30000, 3000)
	m.thresholds(sfpThrRxPower, 2048, 0, 1024, 512)
	return m
}

func TestSFF8472ExternalCalibration(t *testing.T) {
	base := sffWant{
		spec: "SFF-8472", specRev: "12.3", oui: "00:00:00", powerClass: 1, maxPower: "1",
		temp: "23.000", vcc: "3.2100",
		lanes: []laneWant{{"38.000", "0.5050", "0.0528", 0}},
		thresholds: map[string][4]string{
			QTemperature: {"71.000", "-25.000", "65.000", "-13.000"},
			QVcc:         {"3.6100", "2.9100", "3.5100", "3.0100"},
			QTxBias:      {"118.000", "2.000", "98.000", "6.000"},
			QTxPower:     {"2.0050", "0.1050", "1.5050", "0.1550"},
			// 2048: 16 + 16 + 12 + 1024 + 10; 512: 1/16 + 1/4 + 3/4 + 256 + 10.
			QRxPower: {"0.1078", "0.0010", "0.0528", "0.02670625"},
		},
	}
	with := func(f func(w *sffWant)) sffWant {
		w := base
		w.thresholds = map[string][4]string{}
		for k, v := range base.thresholds {
			w.thresholds[k] = v
		}
		w.lanes = append([]laneWant(nil), base.lanes...)
		f(&w)
		return w
	}
	tests := []struct {
		name string
		mod  func(m *sfpModule)
		want sffWant
	}{
		{"slopes, offsets, Rx polynomial", func(*sfpModule) {}, base},
		{"negative temperature A/D", func(m *sfpModule) { m.u16(sfpTemp, 0xf000) },
			with(func(w *sffWant) { w.temp = "-25.000" })},
		{"negative offsets below zero are clamped", func(m *sfpModule) {
			m.u16(sfpTxBias, 100)        // 200 - 1000
			m.u16(sfpTxPwrCal+2, 0xfe0c) // offset -500
			m.u16(sfpTxPower, 100)       // 50 - 500
			m.f32(sfpRxPwrCal+16, -100)  // Rx_PWR(0) = -100
			m.u16(sfpRxPower, 0)         // -100
		}, with(func(w *sffWant) {
			w.lanes[0] = laneWant{"0.000", "0.0000", "0.0000", 0}
			// 0.5·AD - 500: 19500, 500, 14500, 1000.
			w.thresholds[QTxPower] = [4]string{"1.9500", "0.0500", "1.4500", "0.1000"}
			// The Rx sums above, less 110: 968, -100 (clamped), 418, 157.0625.
			w.thresholds[QRxPower] = [4]string{"0.0968", "0.0000", "0.0418", "0.01570625"}
			// The static decode (thresholds) warns before the per-read one.
			w.warnings = []string{"Rx power threshold is -0.01", "Tx bias is -1.6", "Tx power is -0.045", "Rx power is -0.01"}
		})},
		{"NaN Rx coefficient", func(m *sfpModule) { m.f32(sfpRxPwrCal+8, float32(math.NaN())) },
			with(func(w *sffWant) {
				w.lanes[0].rx = ""
				delete(w.thresholds, QRxPower)
				w.warnings = []string{"Rx_PWR(2) calibration coefficient is NaN"}
			})},
		{"infinite Rx coefficient", func(m *sfpModule) { m.f32(sfpRxPwrCal, float32(math.Inf(-1))) },
			with(func(w *sffWant) {
				w.lanes[0].rx = ""
				delete(w.thresholds, QRxPower)
				w.warnings = []string{"Rx_PWR(4) calibration coefficient is -Inf"}
			})},
		{"internal calibration ignores the constants", func(m *sfpModule) {
			m.a0[sfpDiagType] = sfpDDM | sfpInternalCal | sfpRxAverage
			m.f32(sfpRxPwrCal, float32(math.NaN()))
		}, with(func(w *sffWant) {
			w.temp, w.vcc = "16.000", "3.2000"
			w.lanes[0] = laneWant{"20.000", "1.0000", "0.1024", 0}
			w.thresholds = map[string][4]string{
				QTemperature: {"48.000", "-16.000", "44.000", "-8.000"},
				QVcc:         {"3.6000", "2.9000", "3.5000", "3.0000"},
				QTxBias:      {"60.000", "2.000", "50.000", "4.000"},
				QTxPower:     {"4.0000", "0.2000", "3.0000", "0.3000"},
				QRxPower:     {"0.2048", "0.0000", "0.1024", "0.0512"},
			}
		})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := calibrated()
			tc.mod(m)
			got, err := Decode(m.snapshot())
			if err != nil {
				t.Fatal(err)
			}
			checkSFF(t, got, tc.want)
		})
	}
}

func TestSFF8472FlagBits(t *testing.T) {
	// A2h 110 (Table 9-11) and 112-117 (Table 9-12), bit by bit.
	type bitWant struct {
		off, bit int
		lf       LaneFlags
		mf       ModuleFlags
	}
	tests := []bitWant{
		{110, 1, RxLOS, 0}, {110, 2, TxFault, 0},
		{112, 7, 0, TempHighAlarm}, {112, 6, 0, TempLowAlarm}, {112, 5, 0, VccHighAlarm}, {112, 4, 0, VccLowAlarm},
		{112, 3, TxBiasHighAlarm, 0}, {112, 2, TxBiasLowAlarm, 0}, {112, 1, TxPowerHighAlarm, 0}, {112, 0, TxPowerLowAlarm, 0},
		{113, 7, RxPowerHighAlarm, 0}, {113, 6, RxPowerLowAlarm, 0},
		{116, 7, 0, TempHighWarning}, {116, 6, 0, TempLowWarning}, {116, 5, 0, VccHighWarning}, {116, 4, 0, VccLowWarning},
		{116, 3, TxBiasHighWarning, 0}, {116, 2, TxBiasLowWarning, 0}, {116, 1, TxPowerHighWarning, 0}, {116, 0, TxPowerLowWarning, 0},
		{117, 7, RxPowerHighWarning, 0}, {117, 6, RxPowerLowWarning, 0},
		// Optional laser temperature and TEC current flags: no monitor, no flag.
		{113, 5, 0, 0}, {113, 2, 0, 0}, {117, 4, 0, 0}, {117, 3, 0, 0},
		{110, 7, 0, 0}, // Tx disable state is a control, not a flag
	}
	for _, tc := range tests {
		m := newSFP(sfpDDM | sfpInternalCal)
		m.a2[tc.off] = 1 << tc.bit
		got, err := Decode(m.snapshot())
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Lanes) != 1 || got.Lanes[0].Flags != tc.lf || got.Flags != tc.mf {
			t.Errorf("A2h %d bit %d: lanes %+v, module flags [%v]; want lane [%v], module [%v]",
				tc.off, tc.bit, got.Lanes, got.Flags, tc.lf, tc.mf)
		}
	}
}

func TestSFF8472DataNotReady(t *testing.T) {
	m := calibrated()
	m.a2[sfpStatus] = 0x01 | 0x02 // Data_Ready_Bar, Rx LOS
	got, err := Decode(m.snapshot())
	if err != nil {
		t.Fatal(err)
	}
	if got.ModuleState != "data not ready" || got.TemperatureC != nil || len(got.Lanes) != 1 ||
		got.Lanes[0].TxBiasMA != nil || got.Lanes[0].Flags != RxLOS {
		t.Errorf("state %q, temperature %s, lanes %+v: want no monitors, flags kept", got.ModuleState, show(got.TemperatureC), got.Lanes)
	}
}

func TestSFF8472ChecksumFailure(t *testing.T) {
	flip := func(s *Snapshot, id PageID, off int) *Module {
		b := s.Bytes(id, off, 1)
		_ = s.Set(id, off, []byte{b[0] ^ 0x20})
		m, err := Decode(s)
		if err != nil {
			t.Fatal(err)
		}
		checkInvariants(t, m)
		return m
	}
	const oem = "sff8472_10g_sfpp_lr_oem_SFP-10GB-LR_wobcom"

	t.Run("CC_BASE", func(t *testing.T) {
		m := flip(loadVector(t, oem), Lower, sfpVendor+1)
		checkWarnings(t, m.Warnings, []string{"lower: checksum at byte 63", "A0h: CC_BASE does not match"})
		if m.Vendor != "" || m.PartNumber != "" || m.VendorOUI != "" || m.WavelengthNM != nil || m.Connector != "" {
			t.Errorf("identity from a failed checksum: %+v", m)
		}
		if m.SerialNumber != "YAOY1060" || m.TemperatureC == nil || m.Thresholds == nil {
			t.Errorf("serial %q, temperature %s: CC_EXT and A2h are fine", m.SerialNumber, show(m.TemperatureC))
		}
	})
	t.Run("CC_EXT", func(t *testing.T) {
		m := flip(loadVector(t, oem), Lower, sfpSN)
		checkWarnings(t, m.Warnings, []string{"lower: checksum at byte 95", "A0h: CC_EXT does not match"})
		if m.SerialNumber != "" || m.DateCode != "" || m.Vendor != "OEM" {
			t.Errorf("serial %q, date %q, vendor %q", m.SerialNumber, m.DateCode, m.Vendor)
		}
	})
	t.Run("CC_DMI internal", func(t *testing.T) {
		m := flip(loadVector(t, oem), A2Lower, sfpThrTemp)
		checkWarnings(t, m.Warnings, []string{"a2 lower: checksum at byte 95", "A2h: CC_DMI does not match; thresholds (bytes 0-39) decoded anyway and marked checksum_failed"})
		if len(m.Thresholds) != 5 {
			t.Errorf("thresholds %v: want all five, marked", m.Thresholds)
		}
		for q, th := range m.Thresholds {
			if !th.ChecksumFailed {
				t.Errorf("%s thresholds %+v not marked checksum_failed", q, th)
			}
		}
		if !fmtEq(m.TemperatureC, "34.54") {
			t.Errorf("temperature %s: internally calibrated monitors do not depend on A2h 0-94", show(m.TemperatureC))
		}
	})
	t.Run("CC_DMI external", func(t *testing.T) {
		s := calibrated().snapshot()
		m := flip(s, A2Lower, sfpTempCal)
		checkWarnings(t, m.Warnings, []string{"checksum at byte 95", "CC_DMI does not match and the module is externally calibrated: calibration constants (bytes 56-91) not trusted; monitors and thresholds not decoded"})
		if m.TemperatureC != nil || m.Thresholds != nil || len(m.Lanes) != 1 || m.Lanes[0].TxBiasMA != nil {
			t.Errorf("calibrated with untrusted constants: %+v", m)
		}
	})
}

// TestSFF8472UnsetCCDMI: the real FLEXOPTIX P.B1696.10.DA with its A2h
// checksum byte (95) at 00h, as on modules whose vendor never sets CC_DMI:
// the thresholds are still decoded, with the values of the intact dump,
// each marked checksum_failed, with a warning; a blank A2h (all FFh, all
// 00h is a valid sum) gives none.
func TestSFF8472UnsetCCDMI(t *testing.T) {
	const flexoptix = "sff8472_10g_sfpp_flexoptix_P.B1696.10.DA_wobcom"
	intact := decodeVec(t, flexoptix)
	if len(intact.Thresholds) != 5 {
		t.Fatalf("intact dump: thresholds %v", intact.Thresholds)
	}
	for q, th := range intact.Thresholds {
		if th.ChecksumFailed {
			t.Errorf("intact dump: %s marked checksum_failed", q)
		}
	}
	tests := []struct {
		name     string
		a2       func(b []byte) // changes A2h bytes 0-95
		want     map[string]Thresholds
		warnings []string
	}{{
		name:     "checksum byte 00h",
		a2:       func(b []byte) { b[sfpCCDMI] = 0x00 },
		want:     marked(intact.Thresholds),
		warnings: []string{"a2 lower: checksum at byte 95 is 00h, bytes 0-94 sum to 70h", "thresholds (bytes 0-39) decoded anyway and marked checksum_failed"},
	}, {
		name: "blank",
		a2: func(b []byte) {
			for i := range b {
				b[i] = 0xFF
			}
		},
		warnings: []string{"a2 lower: checksum at byte 95", "bytes 0-39 hold FFh throughout: no thresholds"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := loadVector(t, flexoptix)
			b := append([]byte(nil), s.Bytes(A2Lower, 0, sfpCCDMI+1)...)
			tt.a2(b)
			if err := s.Set(A2Lower, 0, b); err != nil {
				t.Fatal(err)
			}
			m, err := Decode(s)
			if err != nil {
				t.Fatal(err)
			}
			checkInvariants(t, m)
			checkWarnings(t, m.Warnings, tt.warnings)
			if len(m.Thresholds) != len(tt.want) {
				t.Fatalf("thresholds %v, want %v", m.Thresholds, tt.want)
			}
			for q, w := range tt.want {
				if got := m.Thresholds[q]; got != w {
					t.Errorf("%s: %+v, want %+v", q, got, w)
				}
			}
			if m.Vendor != "FLEXOPTIX" || m.TemperatureC == nil || *m.TemperatureC != *intact.TemperatureC {
				t.Errorf("vendor %q, temperature %s: A0h and the monitors do not depend on CC_DMI", m.Vendor, show(m.TemperatureC))
			}
		})
	}
}

func TestSFF8472AddressChange(t *testing.T) {
	m := newSFP(sfpDDM | sfpInternalCal | sfpAddrChange)
	s := m.snapshot()
	got, err := Decode(s)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Warnings) != 1 || !strings.Contains(got.Warnings[0], "address change") {
		t.Errorf("warnings %q, want one about the address change", got.Warnings)
	}
	if p := Plan(s, Fast); p != nil {
		t.Errorf("fast plan %v: ddm cannot reach A2h without the address change write", p)
	}
}

func TestSFF8472Plan(t *testing.T) {
	a0 := []Range{{Page: Lower, Offset: 0, Length: 128}, {Page: Upper(0, 0), Offset: 128, Length: 128}}
	a2 := Range{Page: A2Lower, Offset: 0, Length: 96}
	fast := []Range{{Page: A2Lower, Offset: 96, Length: 22}}

	idOnly := NewSnapshot()
	_ = idOnly.Set(Lower, 0, []byte{IDSFP})
	a0Only := func(diag uint8) *Snapshot {
		s := NewSnapshot()
		m := newSFP(diag)
		_ = s.SetPage(Lower, m.a0[:])
		_ = s.SetPage(Upper(0, 0), make([]byte, PageSize))
		return s
	}
	oem := loadVector(t, "sff8472_10g_sfpp_lr_oem_SFP-10GB-LR_wobcom")
	brocade := loadVector(t, "sff8472_brocade_57-1000042-02_nodom_wobcom")

	tests := []struct {
		name string
		s    *Snapshot
		c    Cadence
		want []Range
	}{
		{"identifier only", idOnly, Static, a0},
		{"A0h read, DDM", a0Only(sfpDDM), Static, []Range{a2}},
		{"A0h read, no DDM", a0Only(0), Static, nil},
		{"A0h read, address change", a0Only(sfpDDM | sfpAddrChange), Static, nil},
		{"all read", oem, Static, nil},
		{"fast", oem, Fast, fast},
		{"fast, identifier only", idOnly, Fast, nil},
		{"fast, no DDM", brocade, Fast, nil},
		{"vdm", oem, VDM, nil},
	}
	for _, tc := range tests {
		got := Plan(tc.s, tc.c)
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%s: %v plan %v, want %v", tc.name, tc.c, got, tc.want)
		}
		checkRanges(t, got)
	}
}

func TestSFF8472PowerLevel(t *testing.T) {
	tests := []struct {
		name       string
		byte64     uint8
		compliance uint8
		level      int
		watts      float64
	}{
		{"none declared", 0x00, 0x08, 1, 1.0},
		{"level 2", 0x02, 0x03, 2, 1.5},
		{"level 2 before Rev 10.2 is not a declaration", 0x02, 0x02, 1, 1.0},
		{"level 3", 0x20, 0x07, 3, 2.0},
		{"level 3 and 2 bits: 3", 0x22, 0x08, 3, 2.0},
		{"level 3 before Rev 11.4 falls back to level 2", 0x22, 0x05, 2, 1.5},
		{"paging bit alone", 0x10, 0x08, 1, 1.0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			level, w := sfpPowerLevel([]byte{tc.byte64, 0}, tc.compliance)
			if level != tc.level || w == nil || *w != tc.watts {
				t.Errorf("sfpPowerLevel(%02Xh, %02Xh) = %d, %v W; want %d, %v W", tc.byte64, tc.compliance, level, w, tc.level, tc.watts)
			}
		})
	}
}
