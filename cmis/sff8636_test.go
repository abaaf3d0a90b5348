package cmis

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
)

// Expected values are written as the source printed them ("34.432",
// "0.0158"); a decoded value matches when formatted with as many decimals.
// An empty string means the value must be absent. Truth, in order: what the
// source printed, the spec by hand, ethtool 7.0 where it is right.

// sffWant is what one real module must decode to. Shared by the SFF-8636
// and SFF-8472 vector tests.
type sffWant struct {
	file                                 string
	spec, specRev                        string
	vendor, oui, pn, rev, sn, date, conn string
	mediaTech, wavelength, cableLen      string
	powerClass                           int
	maxPower                             string
	temp, vcc                            string
	flat, rxOMA                          bool
	lanes                                []laneWant
	modFlags                             ModuleFlags
	thresholds                           map[string][4]string // HA, LA, HW, LW
	warnings                             []string             // substrings, in order
	noAdvertisement                      bool
}

type laneWant struct {
	bias, tx, rx string
	flags        LaneFlags
}

// fmtEq reports whether got, printed with want's number of decimals, is want.
func fmtEq(got *float64, want string) bool {
	if want == "" || got == nil {
		return want == "" && got == nil
	}
	dec := 0
	if i := strings.IndexByte(want, '.'); i >= 0 {
		dec = len(want) - i - 1
	}
	return fmt.Sprintf("%.*f", dec, *got) == want
}

func show(v *float64) string {
	if v == nil {
		return "absent"
	}
	return fmt.Sprint(*v)
}

func checkFloat(t *testing.T, what string, got *float64, want string) {
	t.Helper()
	if !fmtEq(got, want) {
		if want == "" {
			want = "absent"
		}
		t.Errorf("%s = %s, want %s", what, show(got), want)
	}
}

func checkSFF(t *testing.T, m *Module, w sffWant) {
	t.Helper()
	for _, c := range []struct{ what, got, want string }{
		{"spec", m.Spec, w.spec}, {"spec revision", m.SpecRevision, w.specRev},
		{"vendor", m.Vendor, w.vendor}, {"OUI", m.VendorOUI, w.oui},
		{"part number", m.PartNumber, w.pn}, {"revision", m.Revision, w.rev},
		{"serial number", m.SerialNumber, w.sn}, {"date code", m.DateCode, w.date},
		{"connector", m.Connector, w.conn}, {"media technology", m.MediaTech, w.mediaTech},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.what, c.got, c.want)
		}
	}
	checkFloat(t, "wavelength", m.WavelengthNM, w.wavelength)
	checkFloat(t, "cable length", m.CableLengthM, w.cableLen)
	checkFloat(t, "max power", m.MaxPowerW, w.maxPower)
	checkFloat(t, "temperature", m.TemperatureC, w.temp)
	checkFloat(t, "Vcc", m.VccV, w.vcc)
	if m.PowerClass != w.powerClass {
		t.Errorf("power class = %d, want %d", m.PowerClass, w.powerClass)
	}
	if m.FlatMemory != w.flat {
		t.Errorf("flat memory = %v, want %v", m.FlatMemory, w.flat)
	}
	if (m.Advertisement == nil) != w.noAdvertisement {
		t.Errorf("advertisement = %+v, want present = %v", m.Advertisement, !w.noAdvertisement)
	} else if m.Advertisement != nil && m.Advertisement.RxPowerIsOMA != w.rxOMA {
		t.Errorf("Rx power is OMA = %v, want %v", m.Advertisement.RxPowerIsOMA, w.rxOMA)
	}
	if m.Flags != w.modFlags {
		t.Errorf("module flags = [%v], want [%v]", m.Flags, w.modFlags)
	}
	checkLanes(t, m.Lanes, w.lanes)
	checkThresholds(t, m.Thresholds, w.thresholds)
	checkWarnings(t, m.Warnings, w.warnings)
	checkInvariants(t, m)
}

func checkLanes(t *testing.T, got []Lane, want []laneWant) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d lanes, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		l := got[i]
		if l.Lane != i+1 {
			t.Errorf("lane %d is numbered %d", i+1, l.Lane)
		}
		checkFloat(t, fmt.Sprintf("lane %d Tx bias", i+1), l.TxBiasMA, w.bias)
		checkFloat(t, fmt.Sprintf("lane %d Tx power", i+1), l.TxPowerMW, w.tx)
		checkFloat(t, fmt.Sprintf("lane %d Rx power", i+1), l.RxPowerMW, w.rx)
		if l.Flags != w.flags {
			t.Errorf("lane %d flags = [%v], want [%v]", i+1, l.Flags, w.flags)
		}
	}
}

func checkThresholds(t *testing.T, got map[string]Thresholds, want map[string][4]string) {
	t.Helper()
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected thresholds %s: %+v", k, got[k])
		}
	}
	for k, w := range want {
		g, ok := got[k]
		if !ok {
			t.Errorf("thresholds %s missing", k)
			continue
		}
		for i, v := range [4]float64{g.HighAlarm, g.LowAlarm, g.HighWarning, g.LowWarning} {
			checkFloat(t, fmt.Sprintf("%s %s", k, [4]string{"high alarm", "low alarm", "high warning", "low warning"}[i]), &v, w[i])
		}
	}
}

func checkWarnings(t *testing.T, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("warnings = %q, want %d matching %q", got, len(want), want)
		return
	}
	for i, w := range want {
		if !strings.Contains(got[i], w) {
			t.Errorf("warning %d = %q, want it to contain %q", i, got[i], w)
		}
	}
}

// checkInvariants holds for every decoded module: no NaN or Inf anywhere
// (encoding/json refuses them), and a dBm value exactly when mW > 0.
func checkInvariants(t *testing.T, m *Module) {
	t.Helper()
	if _, err := json.Marshal(m); err != nil {
		t.Errorf("module does not marshal: %v", err)
	}
	for _, l := range m.Lanes {
		checkDBm(t, fmt.Sprintf("lane %d Tx", l.Lane), l.TxPowerMW, l.TxPowerDBM)
		checkDBm(t, fmt.Sprintf("lane %d Rx", l.Lane), l.RxPowerMW, l.RxPowerDBM)
	}
}

func checkDBm(t *testing.T, what string, mw, dbm *float64) {
	t.Helper()
	switch {
	case mw == nil && dbm != nil:
		t.Errorf("%s: dBm %v without mW", what, *dbm)
	case mw != nil && *mw == 0 && dbm != nil:
		t.Errorf("%s: 0 mW has dBm %v; 0 mW has no dBm", what, *dbm)
	case mw != nil && *mw > 0 && (dbm == nil || math.Abs(*dbm-10*math.Log10(*mw)) > 1e-9):
		t.Errorf("%s: %v mW has dBm %s", what, *mw, show(dbm))
	}
}

func decodeVec(t *testing.T, name string) *Module {
	t.Helper()
	m, err := Decode(loadVector(t, name))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func lanes4(bias, tx, rx [4]string, flags LaneFlags) []laneWant {
	var out []laneWant
	for i := range bias {
		out = append(out, laneWant{bias[i], tx[i], rx[i], flags})
	}
	return out
}

func TestSFF8636Vectors(t *testing.T) {
	zero4 := [4]string{"0.000", "0.000", "0.000", "0.000"}
	zeroMW := [4]string{"0.0000", "0.0000", "0.0000", "0.0000"}
	none := [4]string{}
	tests := []sffWant{{
		// Source: go-ethtool unit test (vendor fields, wavelength 1302.35,
		// bias 34.432 and its thresholds 75/10/70/15, max power 3.5 W, 1310 nm
		// DFB). Everything else: ethtool, which agrees.
		file: "sff8636_100g_qsfp28_ir4_fs_QSFP28-IR4-100G_wobcom",
		spec: "SFF-8636", specRev: "2.5/2.6/2.7",
		vendor: "FS", oui: "00:02:c9", pn: "QSFP28-IR4-100G", rev: "A1", sn: "C1812155461", date: "190110",
		conn: "LC", mediaTech: "1310 nm DFB", wavelength: "1302.35", powerClass: 4, maxPower: "3.5",
		temp: "28.59", vcc: "3.3209",
		lanes: lanes4([4]string{"34.432", "33.408", "36.736", "35.456"},
			[4]string{"1.1468", "1.1665", "1.2332", "1.2189"},
			[4]string{"1.7258", "1.2744", "1.1138", "1.1990"}, 0),
		thresholds: map[string][4]string{
			QTxBias:      {"75", "10", "70", "15"},
			QTxPower:     {"2.8183", "0.1412", "2.2387", "0.1778"},
			QRxPower:     {"2.8184", "0.0355", "2.2387", "0.0562"},
			QTemperature: {"80.00", "-10.00", "75.00", "-5.00"},
			QVcc:         {"3.7000", "2.9040", "3.5952", "3.0024"},
		},
	}, {
		// Revision compliance 08h: ethtool prints "Unallocated" (its bug 8).
		// Page 00h byte 220 = 0Ch: a Rev 2.8+ module that does not set b5/b4
		// (Table 6-24) does not monitor temperature or Vcc, so neither they
		// nor their thresholds are decoded; ethtool prints temperature and
		// Vcc unconditionally (33.24 C, 3.3167 V). Power class 8 (byte 129
		// b5) with lower byte 107 = 45: 4.5 W; ethtool shows only "3.5W".
		file: "sff8636_100g_qsfp28_er4_qsfptek_QT-QSFP28-ER4_sfppi_QT14241028003",
		spec: "SFF-8636", specRev: "2.8-2.11",
		vendor: "QSFPTEK", oui: "44:7c:7f", pn: "QT-QSFP28-ER4", rev: "1A", sn: "QT14241028003", date: "241028",
		conn: "LC", mediaTech: "1310 nm DFB", wavelength: "1310.0000", powerClass: 8, maxPower: "4.5",
		// Byte 220 b5/b4 are clear, yet the words are live: decoded with a
		// warning (ethtool prints the same 33.24 °C / 3.3167 V).
		temp: "33.24", vcc: "3.3167",
		warnings: []string{"temperature is not advertised", "supply voltage is not advertised"},
		lanes: lanes4([4]string{"57.502", "55.486", "57.502", "62.482"},
			[4]string{"1.4228", "1.8148", "1.5724", "1.3166"},
			[4]string{"0.0001", "0.0001", "0.0001", "0.0001"},
			RxLOS|RxCDRLOL|RxPowerLowAlarm|RxPowerLowWarning),
		thresholds: map[string][4]string{
			QTxBias:  {"110.000", "20.000", "100.000", "30.000"},
			QTxPower: {"5.6234", "0.3548", "4.4668", "0.4466"},
			QRxPower: {"0.5623", "0.0071", "0.4467", "0.0089"},
		},
	}, {
		// The same model at revision 07h: temperature and Vcc are decoded
		// (byte 220 b5/b4 did not exist before Rev 2.8). Byte 129 b5 claims
		// power class 8 but byte 107 is 0: fall back to class 4 and warn.
		file: "sff8636_100g_qsfp28_er4_qsfptek_QT-QSFP28-ER4_sfppi_qsfp-5200-juniper",
		spec: "SFF-8636", specRev: "2.5/2.6/2.7",
		vendor: "QSFPTEK", oui: "44:7c:7f", pn: "QT-QSFP28-ER4", rev: "1A", sn: "QT14241028004", date: "241028",
		conn: "LC", mediaTech: "1310 nm DFB", wavelength: "1310.0000", powerClass: 4, maxPower: "3.5",
		temp: "35.34", vcc: "3.3323",
		lanes: lanes4([4]string{"65.576", "65.576", "70.260", "49.182"},
			[4]string{"0.8946", "0.9644", "1.0437", "1.0035"},
			[4]string{"0.0099", "0.0111", "0.0111", "0.0124"}, RxLOS|RxCDRLOL),
		thresholds: map[string][4]string{
			QTxBias:      {"110.000", "20.000", "100.000", "30.000"},
			QTxPower:     {"5.6234", "0.3548", "4.4668", "0.5623"},
			QRxPower:     {"0.5623", "0.0044", "0.4466", "0.0089"},
			QTemperature: {"75.00", "-5.00", "70.00", "0.00"},
			QVcc:         {"3.6300", "2.9700", "3.4650", "3.1350"},
		},
		warnings: []string{"power class 8 but lower byte 107"},
	}, {
		// Flat memory DAC: no page 03h, no thresholds. Byte 220 = 0: Rx power
		// is OMA and Tx power is not supported, so no Tx power (ethtool prints
		// 0.0000 mW). Attenuation is checked in TestSFF8636CopperAttenuation.
		file: "sff8636_100g_qsfp28_dac_oem_CAB-ZQP-4ZSP-P1M_sfppi",
		spec: "SFF-8636", specRev: "2.5/2.6/2.7",
		vendor: "OEM", oui: "00:00:00", pn: "CAB-ZQP/4ZSP-P1M", rev: "5", sn: "CSC240413670047", date: "240509",
		conn: "No separable connector", mediaTech: "Copper cable unequalized", cableLen: "1",
		powerClass: 1, maxPower: "1.5", temp: "25.50", vcc: "3.3812", flat: true, rxOMA: true,
		lanes: lanes4(zero4, none, zeroMW, 0),
	}, {
		// Identifier 0Dh (QSFP+) but revision 05h: SFF-8636 1.5, as ethtool
		// says. Source (go-ethtool): no wavelength, attenuation 6/8/10/16
		// (TestSFF8636CopperAttenuation). ethtool prints Tx power thresholds;
		// byte 220 b2 = 0 says Tx power is not measured, so they are left out.
		file: "sff8436_40g_qsfpp_dac_fs_Q28-PCxx_wobcom",
		spec: "SFF-8636", specRev: "1.5",
		vendor: "FS", oui: "00:02:c9", pn: "Q28-PCxx", rev: "A2", sn: "C1907253451-2", date: "190805",
		conn: "No separable connector", mediaTech: "Copper cable unequalized", cableLen: "1",
		powerClass: 1, maxPower: "1.5", temp: "27.84", vcc: "3.2203", rxOMA: true,
		lanes: lanes4(zero4, none, zeroMW, 0),
		thresholds: map[string][4]string{
			QTxBias:      {"11.000", "2.000", "10.000", "3.000"},
			QRxPower:     {"1.9968", "0.0501", "1.7782", "0.0631"},
			QTemperature: {"80.00", "-10.00", "75.00", "-5.00"},
			QVcc:         {"3.7000", "2.9040", "3.5952", "3.0024"},
		},
	}, {
		// Revision 00h on a QSFP+: SFF-8436. The dump has no page 03h.
		file: "sff8436_40g_qsfpp_dac_oem_QSFP-H40G-CU1M_sfppi",
		spec: "SFF-8436", specRev: "unspecified",
		vendor: "OEM", oui: "a8:b0:ae", pn: "QSFP-H40G-CU1M", rev: "02", sn: "CSC210101810142", date: "210114",
		conn: "No separable connector", mediaTech: "Copper cable unequalized", cableLen: "1",
		powerClass: 1, maxPower: "1.5", temp: "23.18", vcc: "3.2790", rxOMA: true,
		lanes: lanes4(zero4, none, zeroMW, 0),
	}}
	for _, w := range tests {
		t.Run(w.file, func(t *testing.T) { checkSFF(t, decodeVec(t, w.file), w) })
	}
}

func TestSFF8636CopperAttenuation(t *testing.T) {
	// ethtool 7.0 reads 186/187 again for 7.0 and 12.9 GHz (its bug 7):
	// it prints 6/8/6/8, 4/6/4/6 and 3/4/3/4 for these cables.
	tests := []struct {
		file string
		want [4]float64 // 2.5, 5.0, 7.0, 12.9 GHz
	}{
		{"sff8436_40g_qsfpp_dac_fs_Q28-PCxx_wobcom", [4]float64{6, 8, 10, 16}}, // source asserts these
		{"sff8636_100g_qsfp28_dac_oem_CAB-ZQP-4ZSP-P1M_sfppi", [4]float64{4, 6, 8, 11}},
		{"sff8436_40g_qsfpp_dac_oem_QSFP-H40G-CU1M_sfppi", [4]float64{3, 4, 0, 0}},
	}
	for _, tc := range tests {
		got, ok := sff8636CopperAttenuation(loadVector(t, tc.file))
		want := map[string]float64{"2.5GHz": tc.want[0], "5.0GHz": tc.want[1], "7.0GHz": tc.want[2], "12.9GHz": tc.want[3]}
		if !ok || fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: attenuation %v, %v; want %v", tc.file, got, ok, want)
		}
	}
	if got, ok := sff8636CopperAttenuation(loadVector(t, "sff8636_100g_qsfp28_ir4_fs_QSFP28-IR4-100G_wobcom")); ok {
		t.Errorf("optical module has copper attenuation %v", got)
	}
}

func TestSFF8636NominalRateAndTolerance(t *testing.T) {
	// Byte 140 = FFh means "see byte 222" (250 Mb/s units). ethtool 7.0
	// prints FFh x 100 = "25500Mbps" instead; the source (go-ethtool) asserts
	// 26 Gb/s for the FS IR4. Wavelength tolerance is bytes 188-189 / 200 nm
	// (SFF-8636 2.10a); ethtool uses 0.05 nm units (its bug 6) and prints
	// 10.3 nm and 78.3 nm.
	tests := []struct {
		file      string
		mbps, tol float64
		optical   bool
	}{
		{"sff8636_100g_qsfp28_ir4_fs_QSFP28-IR4-100G_wobcom", 26000, 1.03, true},
		{"sff8636_100g_qsfp28_er4_qsfptek_QT-QSFP28-ER4_sfppi_QT14241028003", 26000, 7.83, true},
		{"sff8436_40g_qsfpp_dac_fs_Q28-PCxx_wobcom", 25750, 0, false},
		{"sff8436_40g_qsfpp_dac_oem_QSFP-H40G-CU1M_sfppi", 10300, 0, false}, // byte 140 = 67h; ethtool agrees
	}
	for _, tc := range tests {
		s := loadVector(t, tc.file)
		if got, ok := sff8636NominalMbps(s); !ok || got != tc.mbps {
			t.Errorf("%s: nominal rate %v Mb/s (%v), want %v", tc.file, got, ok, tc.mbps)
		}
		tol, ok := sff8636WavelengthTolerance(s)
		if ok != tc.optical || math.Abs(tol-tc.tol) > 1e-9 {
			t.Errorf("%s: wavelength tolerance %v nm (%v), want %v (%v)", tc.file, tol, ok, tc.tol, tc.optical)
		}
	}
}

// qsfpLowerWith returns lower memory of a QSFP28 with byte off set to v.
func qsfpLowerWith(off int, v byte) *Snapshot {
	b := make([]byte, PageSize)
	b[0] = IDQSFP28
	b[off] = v
	s := NewSnapshot()
	_ = s.SetPage(Lower, b)
	return s
}

func TestSFF8636FlagBits(t *testing.T) {
	// Every bit of lower bytes 3-7 and 9-14 (Tables 6-4 to 6-6); lane 0 is
	// a module flag. Byte 6 b3-b1 (reserved, TC readiness) and byte 7 b3-b0
	// (reserved) map to nothing.
	type bitWant struct {
		off, bit, lane int
		lf             LaneFlags
		mf             ModuleFlags
	}
	tests := []bitWant{
		{3, 0, 1, RxLOS, 0}, {3, 1, 2, RxLOS, 0}, {3, 2, 3, RxLOS, 0}, {3, 3, 4, RxLOS, 0},
		{3, 4, 1, TxLOS, 0}, {3, 5, 2, TxLOS, 0}, {3, 6, 3, TxLOS, 0}, {3, 7, 4, TxLOS, 0},
		{4, 0, 1, TxFault, 0}, {4, 1, 2, TxFault, 0}, {4, 2, 3, TxFault, 0}, {4, 3, 4, TxFault, 0},
		{4, 4, 1, TxAdaptiveEQFail, 0}, {4, 5, 2, TxAdaptiveEQFail, 0}, {4, 6, 3, TxAdaptiveEQFail, 0}, {4, 7, 4, TxAdaptiveEQFail, 0},
		{5, 0, 1, RxCDRLOL, 0}, {5, 1, 2, RxCDRLOL, 0}, {5, 2, 3, RxCDRLOL, 0}, {5, 3, 4, RxCDRLOL, 0},
		{5, 4, 1, TxCDRLOL, 0}, {5, 5, 2, TxCDRLOL, 0}, {5, 6, 3, TxCDRLOL, 0}, {5, 7, 4, TxCDRLOL, 0},
		{6, 0, 0, 0, ModuleStateChanged}, {6, 1, 0, 0, 0}, {6, 2, 0, 0, 0}, {6, 3, 0, 0, 0},
		{6, 4, 0, 0, TempLowWarning}, {6, 5, 0, 0, TempHighWarning}, {6, 6, 0, 0, TempLowAlarm}, {6, 7, 0, 0, TempHighAlarm},
		{7, 0, 0, 0, 0}, {7, 1, 0, 0, 0}, {7, 2, 0, 0, 0}, {7, 3, 0, 0, 0},
		{7, 4, 0, 0, VccLowWarning}, {7, 5, 0, 0, VccHighWarning}, {7, 6, 0, 0, VccLowAlarm}, {7, 7, 0, 0, VccHighAlarm},
		{9, 7, 1, RxPowerHighAlarm, 0}, {9, 6, 1, RxPowerLowAlarm, 0}, {9, 5, 1, RxPowerHighWarning, 0}, {9, 4, 1, RxPowerLowWarning, 0},
		{9, 3, 2, RxPowerHighAlarm, 0}, {9, 2, 2, RxPowerLowAlarm, 0}, {9, 1, 2, RxPowerHighWarning, 0}, {9, 0, 2, RxPowerLowWarning, 0},
		{10, 7, 3, RxPowerHighAlarm, 0}, {10, 6, 3, RxPowerLowAlarm, 0}, {10, 5, 3, RxPowerHighWarning, 0}, {10, 4, 3, RxPowerLowWarning, 0},
		{10, 3, 4, RxPowerHighAlarm, 0}, {10, 2, 4, RxPowerLowAlarm, 0}, {10, 1, 4, RxPowerHighWarning, 0}, {10, 0, 4, RxPowerLowWarning, 0},
		{11, 7, 1, TxBiasHighAlarm, 0}, {11, 6, 1, TxBiasLowAlarm, 0}, {11, 5, 1, TxBiasHighWarning, 0}, {11, 4, 1, TxBiasLowWarning, 0},
		{11, 3, 2, TxBiasHighAlarm, 0}, {11, 2, 2, TxBiasLowAlarm, 0}, {11, 1, 2, TxBiasHighWarning, 0}, {11, 0, 2, TxBiasLowWarning, 0},
		{12, 7, 3, TxBiasHighAlarm, 0}, {12, 6, 3, TxBiasLowAlarm, 0}, {12, 5, 3, TxBiasHighWarning, 0}, {12, 4, 3, TxBiasLowWarning, 0},
		{12, 3, 4, TxBiasHighAlarm, 0}, {12, 2, 4, TxBiasLowAlarm, 0}, {12, 1, 4, TxBiasHighWarning, 0}, {12, 0, 4, TxBiasLowWarning, 0},
		{13, 7, 1, TxPowerHighAlarm, 0}, {13, 6, 1, TxPowerLowAlarm, 0}, {13, 5, 1, TxPowerHighWarning, 0}, {13, 4, 1, TxPowerLowWarning, 0},
		{13, 3, 2, TxPowerHighAlarm, 0}, {13, 2, 2, TxPowerLowAlarm, 0}, {13, 1, 2, TxPowerHighWarning, 0}, {13, 0, 2, TxPowerLowWarning, 0},
		{14, 7, 3, TxPowerHighAlarm, 0}, {14, 6, 3, TxPowerLowAlarm, 0}, {14, 5, 3, TxPowerHighWarning, 0}, {14, 4, 3, TxPowerLowWarning, 0},
		{14, 3, 4, TxPowerHighAlarm, 0}, {14, 2, 4, TxPowerLowAlarm, 0}, {14, 1, 4, TxPowerHighWarning, 0}, {14, 0, 4, TxPowerLowWarning, 0},
	}
	if len(tests) != 11*8 {
		t.Fatalf("table has %d bits", len(tests))
	}
	for _, tc := range tests {
		m, err := Decode(qsfpLowerWith(tc.off, 1<<tc.bit))
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Lanes) != 4 {
			t.Fatalf("%d lanes", len(m.Lanes))
		}
		for _, l := range m.Lanes {
			var want LaneFlags
			if l.Lane == tc.lane {
				want = tc.lf
			}
			if l.Flags != want {
				t.Errorf("byte %d bit %d: lane %d flags [%v], want [%v]", tc.off, tc.bit, l.Lane, l.Flags, want)
			}
		}
		if m.Flags != tc.mf {
			t.Errorf("byte %d bit %d: module flags [%v], want [%v]", tc.off, tc.bit, m.Flags, tc.mf)
		}
	}
}

func TestSFF8636ChecksumFailure(t *testing.T) {
	const fs = "sff8636_100g_qsfp28_ir4_fs_QSFP28-IR4-100G_wobcom"
	corrupt := func(off int) *Module {
		s := loadVector(t, fs)
		b := s.Bytes(Upper(0, 0), off, 1)
		if err := s.Set(Upper(0, 0), off, []byte{b[0] ^ 0x01}); err != nil {
			t.Fatal(err)
		}
		m, err := Decode(s)
		if err != nil {
			t.Fatal(err)
		}
		checkInvariants(t, m)
		return m
	}

	t.Run("CC_BASE", func(t *testing.T) {
		m := corrupt(150) // a vendor name byte
		if len(m.Checksums) != 2 || m.Checksums[0].OK || m.Checksums[0].Offset != 191 || !m.Checksums[1].OK {
			t.Errorf("checksums = %+v, want CC_BASE (191) failed, CC_EXT ok", m.Checksums)
		}
		checkWarnings(t, m.Warnings, []string{"checksum at byte 191", "CC_BASE does not match"})
		if m.Vendor != "" || m.PartNumber != "" || m.VendorOUI != "" || m.Connector != "" ||
			m.WavelengthNM != nil || m.PowerClass != 0 || m.MaxPowerW != nil || m.MediaTech != "" {
			t.Errorf("identity from a failed page trusted: %+v", m)
		}
		if m.SerialNumber != "C1812155461" || m.DateCode != "190110" {
			t.Errorf("serial %q, date %q: CC_EXT fields should stand", m.SerialNumber, m.DateCode)
		}
		if len(m.Lanes) != 4 || m.TemperatureC == nil {
			t.Errorf("monitors lost with the identity")
		}
	})
	t.Run("CC_EXT", func(t *testing.T) {
		m := corrupt(200) // a serial number byte
		if len(m.Checksums) != 2 || !m.Checksums[0].OK || m.Checksums[1].OK || m.Checksums[1].Offset != 223 {
			t.Errorf("checksums = %+v, want CC_BASE ok, CC_EXT (223) failed", m.Checksums)
		}
		checkWarnings(t, m.Warnings, []string{"checksum at byte 223", "CC_EXT does not match"})
		if m.SerialNumber != "" || m.DateCode != "" {
			t.Errorf("serial %q, date %q from a failed checksum", m.SerialNumber, m.DateCode)
		}
		if m.Vendor != "FS" {
			t.Errorf("vendor %q, want FS (CC_BASE is fine)", m.Vendor)
		}
	})
}

func TestSFF8636SpecRevision(t *testing.T) {
	tests := []struct {
		id, rev     uint8
		spec, specR string
	}{
		{IDQSFP, 0x00, "SFF-8436", "unspecified"},
		{IDQSFPPlus, 0x01, "SFF-8436", "SFF-8436 4.8 or earlier"},
		{IDQSFPPlus, 0x02, "SFF-8436", "SFF-8436 4.8 or earlier, bytes 1 and 186-189 per SFF-8636"},
		{IDQSFPPlus, 0x03, "SFF-8636", "1.3 or earlier"},
		{IDQSFPPlus, 0x05, "SFF-8636", "1.5"},
		{IDQSFP28, 0x00, "SFF-8636", "unspecified"},
		{IDQSFP28, 0x04, "SFF-8636", "1.4"},
		{IDQSFP28, 0x06, "SFF-8636", "2.0"},
		{IDQSFP28, 0x07, "SFF-8636", "2.5/2.6/2.7"},
		{IDQSFP28, 0x08, "SFF-8636", "2.8-2.11"}, // ethtool 7.0: "Unallocated" (its bug 8)
		{IDQSFP28, 0x09, "SFF-8636", "unallocated (09h)"},
	}
	for _, tc := range tests {
		s := qsfpLowerWith(1, tc.rev)
		_ = s.Set(Lower, 0, []byte{tc.id})
		m, err := Decode(s)
		if err != nil {
			t.Fatal(err)
		}
		if m.Spec != tc.spec || m.SpecRevision != tc.specR {
			t.Errorf("id %02Xh rev %02Xh: %s %q, want %s %q", tc.id, tc.rev, m.Spec, m.SpecRevision, tc.spec, tc.specR)
		}
	}
}

func TestSFF8636PowerClass(t *testing.T) {
	tests := []struct {
		ext, b107 uint8
		class     int
		watts     float64
		warn      bool
	}{
		{0x00, 0, 1, 1.5, false},
		{0x40, 0, 2, 2.0, false},
		{0x80, 0, 3, 2.5, false},
		{0xc0, 0, 4, 3.5, false},
		{0xc1, 0, 5, 4.0, false},
		{0xc2, 0, 6, 4.5, false},
		{0xc3, 0, 7, 5.0, false},
		{0xfc, 45, 8, 4.5, false}, // the QSFPTEK ER4
		{0xe3, 100, 8, 10.0, false},
		{0xe0, 0, 4, 3.5, true},  // class 8 claimed, byte 107 empty
		{0x1c, 0, 1, 1.5, false}, // CLEI and CDR bits do not matter
	}
	for _, tc := range tests {
		m := &Module{}
		m.qsfpPowerClass(qsfpLowerWith(qsfpMaxPower, tc.b107), tc.ext)
		if m.PowerClass != tc.class || m.MaxPowerW == nil || *m.MaxPowerW != tc.watts || (len(m.Warnings) > 0) != tc.warn {
			t.Errorf("byte 129 = %02Xh, 107 = %d: class %d, %s W, warnings %q; want %d, %v W, warn %v",
				tc.ext, tc.b107, m.PowerClass, show(m.MaxPowerW), m.Warnings, tc.class, tc.watts, tc.warn)
		}
	}
}

func TestSFF8636DataNotReady(t *testing.T) {
	s := loadVector(t, "sff8636_100g_qsfp28_ir4_fs_QSFP28-IR4-100G_wobcom")
	_ = s.Set(Lower, qsfpStatus, []byte{0x03})
	_ = s.Set(Lower, qsfpLOS, []byte{0x01})
	m, err := Decode(s)
	if err != nil {
		t.Fatal(err)
	}
	if m.ModuleState != "data not ready" || m.TemperatureC != nil || m.VccV != nil {
		t.Errorf("state %q, temperature %s, Vcc %s: monitors are not valid while Data_Not_Ready", m.ModuleState, show(m.TemperatureC), show(m.VccV))
	}
	for _, l := range m.Lanes {
		if l.TxBiasMA != nil || l.TxPowerMW != nil || l.RxPowerMW != nil {
			t.Errorf("lane %d has monitors while Data_Not_Ready: %+v", l.Lane, l)
		}
	}
	if len(m.Lanes) != 4 || m.Lanes[0].Flags != RxLOS {
		t.Errorf("flags are still valid and must be kept: %+v", m.Lanes)
	}
}

func TestSFF8636Plan(t *testing.T) {
	p00 := Range{Page: Upper(0, 0), Offset: 128, Length: 96}
	p03 := Range{Page: Upper(0, 3), Offset: 128, Length: 72}
	lower := Range{Page: Lower, Offset: 0, Length: 128}
	fast := []Range{{Page: Lower, Offset: 2, Length: 56}}

	only := func(id byte) *Snapshot {
		s := NewSnapshot()
		_ = s.Set(Lower, 0, []byte{id})
		return s
	}
	paged := qsfpLowerWith(qsfpStatus, 0x00)
	flat := qsfpLowerWith(qsfpStatus, 0x04)
	fs := loadVector(t, "sff8636_100g_qsfp28_ir4_fs_QSFP28-IR4-100G_wobcom")
	cu := loadVector(t, "sff8436_40g_qsfpp_dac_oem_QSFP-H40G-CU1M_sfppi") // paged, no page 03h in the dump

	tests := []struct {
		name string
		s    *Snapshot
		c    Cadence
		want []Range
	}{
		{"identifier only", only(IDQSFP28), Static, []Range{lower, p00}},
		{"paged lower", paged, Static, []Range{p00, p03}},
		{"flat lower", flat, Static, []Range{p00}},
		{"all read", fs, Static, nil},
		{"page 03h missing", cu, Static, []Range{p03}},
		{"fast", fs, Fast, fast},
		{"fast, identifier only", only(IDQSFP), Fast, fast},
		{"vdm", fs, VDM, nil},
	}
	for _, tc := range tests {
		got := Plan(tc.s, tc.c)
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%s: %v plan %v, want %v", tc.name, tc.c, got, tc.want)
		}
		checkRanges(t, got)
	}
	// The fast range covers status, every flag byte and every monitor.
	if r := fast[0]; r.Offset > qsfpStatus || r.End() < qsfpTxPower+8 {
		t.Errorf("fast range %v does not cover bytes 2-57", r)
	}
}

// checkRanges enforces the Range contract: 1-128 bytes inside one window.
func checkRanges(t testing.TB, rs []Range) {
	t.Helper()
	for _, r := range rs {
		base := r.Page.Base()
		if r.Length < 1 || r.Offset < base || r.End() > base+PageSize {
			t.Errorf("range %v leaves its window %d-%d", r, base, base+PageSize-1)
		}
	}
}
