package cmis

import (
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"
)

// These tests build module memory from the CMIS byte map (OIF-CMIS 5.3
// §8; offsets as tabled in docs/DECODING.md) rather than from our emulator,
// so a misunderstanding shared by the emulator and the decoder cannot hide.

type cmisImage struct {
	lower [128]byte
	pages map[PageID]*[128]byte
}

func newCMISImage(id byte, banks int, multBits byte) *cmisImage {
	im := &cmisImage{pages: map[PageID]*[128]byte{}}
	im.lower[0] = id
	im.lower[1] = 0x53
	im.lower[3] = ModuleStateReady << 1
	p00 := im.page(0, 0)
	p00[0] = id
	copy(p00[129-128:], "TESTVENDOR      ")
	copy(p00[148-128:], "TEST-PN-1       ")
	copy(p00[166-128:], "SN0001          ")
	p01 := im.page(0, 1)
	p01[142-128] = map[int]byte{1: 0, 2: 1, 4: 2}[banks] | 0x40 // + VDM supported
	p01[159-128] = 0x03                                         // temperature, Vcc
	p01[160-128] = 0x07 | multBits<<3                           // bias, Tx power, Rx power
	p01[151-128] = 0x10                                         // Rx power is average
	p02 := im.page(0, 2)
	put16(p02[184-128:], 5000) // Tx bias high alarm, raw
	put16(p02[176-128:], 0)    // Tx power high alarm 0 mW
	for b := 0; b < banks; b++ {
		im.page(uint8(b), 0x11)
	}
	return im
}

func (im *cmisImage) page(bank, page uint8) *[128]byte {
	id := Upper(bank, page)
	if im.pages[id] == nil {
		im.pages[id] = new([128]byte)
	}
	return im.pages[id]
}

func put16(b []byte, v uint16) { b[0], b[1] = byte(v>>8), byte(v) }

// snapshot fixes the checksums and returns the memory as a Snapshot.
func (im *cmisImage) snapshot(t testing.TB) *Snapshot {
	if p := im.pages[Upper(0, 0)]; p != nil {
		p[222-128] = sum8(p[0 : 222-128])
	}
	for _, pg := range []uint8{1, 2} {
		if p := im.pages[Upper(0, pg)]; p != nil {
			from := 128
			if pg == 1 {
				from = 130
			}
			p[127] = sum8(p[from-128 : 127])
		}
	}
	s := NewSnapshot()
	if err := s.SetPage(Lower, im.lower[:]); err != nil {
		t.Fatal(err)
	}
	for id, p := range im.pages {
		if err := s.SetPage(id, p[:]); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func mustDecode(t *testing.T, s *Snapshot) *Module {
	t.Helper()
	m, err := Decode(s)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := json.Marshal(m); err != nil {
		t.Fatalf("module does not marshal: %v", err)
	}
	return m
}

func TestMultiBankLanes(t *testing.T) {
	for _, tc := range []struct {
		id    byte
		banks int
	}{{IDOSFP, 1}, {IDOSFPXD, 2}, {IDCPO, 4}} {
		im := newCMISImage(tc.id, tc.banks, 0)
		for b := 0; b < tc.banks; b++ {
			p := im.page(uint8(b), 0x11)
			for i := 0; i < 8; i++ {
				put16(p[154-128+2*i:], uint16(1000*(b+1)+i)) // Tx power
				put16(p[170-128+2*i:], uint16(2000*(b+1)+i)) // Tx bias
				put16(p[186-128+2*i:], uint16(3000*(b+1)+i)) // Rx power
			}
			for i := 0; i < 4; i++ {
				p[i] = 0x44 // DPActivated on both nibbles
			}
			p[147-128] = 1 << uint(b) // Rx LOS on lane b+1 of the bank
		}
		m := mustDecode(t, im.snapshot(t))
		if len(m.Lanes) != 8*tc.banks {
			t.Fatalf("%d banks: %d lanes, want %d", tc.banks, len(m.Lanes), 8*tc.banks)
		}
		for _, l := range m.Lanes {
			b, i := (l.Lane-1)/8, (l.Lane-1)%8
			if *l.TxPowerMW != float64(1000*(b+1)+i)/10000 || *l.TxBiasMA != float64(2000*(b+1)+i)*0.002 ||
				*l.RxPowerMW != float64(3000*(b+1)+i)/10000 || l.DataPathState != "DPActivated" {
				t.Errorf("%d banks, lane %d: %+v", tc.banks, l.Lane, l)
			}
			if wantLOS := i == b; (l.Flags&RxLOS != 0) != wantLOS {
				t.Errorf("%d banks, lane %d: RxLOS %v, want %v", tc.banks, l.Lane, l.Flags&RxLOS != 0, wantLOS)
			}
		}
	}
}

func TestBiasMultiplier(t *testing.T) {
	for _, tc := range []struct {
		bits    byte
		mult    int
		warning bool
	}{{0, 1, false}, {1, 2, false}, {2, 4, false}, {3, 1, true}} {
		im := newCMISImage(IDQSFPDD, 1, tc.bits)
		put16(im.page(0, 0x11)[170-128:], 5000)
		m := mustDecode(t, im.snapshot(t))
		want := 5000 * 0.002 * float64(tc.mult)
		if got := *m.Lanes[0].TxBiasMA; got != want {
			t.Errorf("bits %02b: bias %v mA, want %v", tc.bits, got, want)
		}
		if got := m.Thresholds[QTxBias].HighAlarm; got != want {
			t.Errorf("bits %02b: bias threshold %v mA, want %v (multiplier applies to page 02h too)", tc.bits, got, want)
		}
		if hasWarning(m, "multiplier 11b is reserved") != tc.warning {
			t.Errorf("bits %02b: warnings %v", tc.bits, m.Warnings)
		}
	}
}

func hasWarning(m *Module, sub string) bool {
	return strings.Contains(strings.Join(m.Warnings, "\n"), sub)
}

func TestZeroPowerHasNoDBm(t *testing.T) {
	im := newCMISImage(IDQSFPDD, 1, 0)
	put16(im.page(0, 0x11)[186-128:], 1) // lane 1 Rx 0.1 µW; Tx stays 0
	m := mustDecode(t, im.snapshot(t))
	l := m.Lanes[0]
	if *l.TxPowerMW != 0 || l.TxPowerDBM != nil {
		t.Errorf("0 mW: mW %v dBm %v, want 0 and none", *l.TxPowerMW, l.TxPowerDBM)
	}
	if l.RxPowerDBM == nil || math.Abs(*l.RxPowerDBM+40) > 1e-9 {
		t.Errorf("0.1 µW: dBm %v, want -40", l.RxPowerDBM)
	}
	b, _ := json.Marshal(l)
	if strings.Contains(string(b), "tx_power_dbm") || !strings.Contains(string(b), `"tx_power_mw":0`) {
		t.Errorf("JSON %s: 0 mW must be written as 0 with no dBm", b)
	}
	if th := m.Thresholds[QTxPower]; th.HighAlarm != 0 {
		t.Errorf("threshold %v", th)
	}
}

func TestF16(t *testing.T) {
	for _, tc := range []struct {
		raw  uint16
		want float64
	}{
		{0x0000, 0},
		{0x0001, 1e-24},          // smallest step
		{0x07FF, 2047e-24},       // largest mantissa, smallest exponent
		{0x9019, 2.5e-5},         // e=18 m=25 (SONiC/FBOSS example)
		{0xC000, 0},              // exponent without mantissa is zero
		{0xC001, 1},              // e=24: 10^0
		{0xFFFF, 2047e7},         // largest value
		{20<<11 | 1000, 1000e-4}, // 0.1
		{13<<11 | 2047, 2047e-11},
	} {
		if got := F16(tc.raw); got != tc.want && math.Abs(got-tc.want) > math.Abs(tc.want)*1e-15 {
			t.Errorf("F16(%04X) = %v, want %v", tc.raw, got, tc.want)
		}
	}
	if got := F16(0x9019); got != 2.5e-5 {
		t.Errorf("F16(9019h) = %v, want exactly 2.5e-05 (nearest float64)", got)
	}
}

// TestVDMObservableScales puts every known observable in a descriptor slot
// with a chosen raw word and checks the value, unit and format.
func TestVDMObservableScales(t *testing.T) {
	type want struct {
		raw   uint16
		value float64
		unit  string
	}
	cases := map[uint8]want{
		1:   {80, 80, "%"},                       // laser age U16 1%
		2:   {0x8001, -100, "%"},                 // TEC current S16 100/32767 %
		3:   {0xFFFE, -20, "MHz"},                // frequency error S16 10 MHz
		4:   {0xFF00, -1, "C"},                   // laser temperature S16 1/256 °C
		5:   {256 * 20, 20, "dB"},                // eSNR U16 1/256 dB
		7:   {128, 0.5, "dB"},                    // LTP
		9:   {0x9019, 2.5e-5, "ratio"},           // pre-FEC BER min, F16
		15:  {0x9019, 2.5e-5, "ratio"},           // pre-FEC BER current
		23:  {0x0000, 0, "ratio"},                // errored frames current
		25:  {24<<11 | 1500, 1500, "count"},      // FERC total accumulated, F16
		33:  {7, 7, "count"},                     // SEWmax current, U16
		77:  {26000, 2.6, "V"},                   // Vcc 2.6 V, 100 µV
		83:  {48000, 12, "V"},                    // Vcc12, 250 µV
		84:  {0xFF38, -2, "dBm"},                 // ELS input power S16 0.01 dBm
		128: {65535, 100, "%"},                   // modulator bias
		134: {0xFFF6, -10, "ps/nm"},              // CD high granularity S16 1 ps/nm
		135: {100, 2000, "ps/nm"},                // CD low granularity 20 ps/nm
		139: {250, 25, "dB"},                     // OSNR 0.1 dB
		141: {0xFF9C, -100, "MHz"},               // CFO S16 1 MHz
		143: {0xFE0C, -5, "dBm"},                 // Tx power S16 0.01 dBm
		200: {1234, 1234, "raw"},                 // unknown id: kept by id
		148: {32767, 100, "%"},                   // clock recovery loop
		150: {0xFFEC, -2, "dB"},                  // SNR margin S16 0.1 dB
		152: {30, 3, "dB"},                       // Q margin
		146: {5, 5, "krad/s"},                    // SOP rate of change
		136: {150, 1.5, "ps"},                    // DGD 0.01 ps
		140: {180, 18, "dB"},                     // eSNR (C-CMIS) 0.1 dB
		142: {65535, 100, "%"},                   // EVM
		147: {200, 20, "dB"},                     // MER
		149: {9, 9, "ps^2"},                      // SOPMD low granularity
		137: {100, 1, "ps^2"},                    // SOPMD
		138: {12, 1.2, "dB"},                     // PDL
		144: {0xFF06, -2.5, "dBm"},               // Rx total power
		145: {0xFEFC, -2.6, "dBm"},               // Rx signal power
		151: {70, 7, "dB"},                       // Q factor
		11:  {0x0000, 0, "ratio"},                // pre-FEC BER max
		13:  {19<<11 | 3, 3e-5, "ratio"},         // pre-FEC BER avg
		6:   {512, 2, "dB"},                      // eSNR host
		8:   {256, 1, "dB"},                      // LTP host
		78:  {18000, 1.8, "V"},                   // Vcc 1.8
		26:  {24<<11 | 1, 1, "count"},            // FERC host
		81:  {7000, 0.7, "V"},                    // 0.7A
		17:  {22<<11 | 5, 0.05, "ratio"},         // errored frames min
		129: {0, 0, "%"},                         // modulator bias XQ
		130: {32768, 32768 * 100.0 / 65535, "%"}, // YI
		131: {1, 100.0 / 65535, "%"},             // YQ
		132: {65535, 100, "%"},                   // X phase
		133: {65535, 100, "%"},                   // Y phase
		79:  {12000, 1.2, "V"},                   // 1.2
		80:  {9000, 0.9, "V"},                    // 0.9
		82:  {7000, 0.7, "V"},                    // 0.7B
		10:  {0x9019, 2.5e-5, "ratio"},           // host
		12:  {0x9019, 2.5e-5, "ratio"},           // host
		14:  {0x9019, 2.5e-5, "ratio"},           // host
		16:  {0x9019, 2.5e-5, "ratio"},           // host
		18:  {0x9019, 2.5e-5, "ratio"},           // host
		19:  {0x9019, 2.5e-5, "ratio"},           // errored frames max media
		20:  {0x9019, 2.5e-5, "ratio"},           // host
		21:  {0x9019, 2.5e-5, "ratio"},           // errored frames avg media
		22:  {0x9019, 2.5e-5, "ratio"},           // host
		24:  {0x9019, 2.5e-5, "ratio"},           // host
		27:  {1, 1, "count"},                     // SEW
		28:  {2, 2, "count"},                     //
		29:  {3, 3, "count"},                     //
		30:  {4, 4, "count"},                     //
		31:  {5, 5, "count"},                     //
		32:  {6, 6, "count"},                     //
		34:  {8, 8, "count"},                     //
		240: {0xFFFF, 65535, "raw"},              // unknown, vendor range
		99:  {1, 1, "raw"},                       // unknown, reserved range
	}
	im := newCMISImage(IDOSFP, 1, 0)
	ids := make([]uint8, 0, len(cases))
	for id := range cases {
		ids = append(ids, id)
	}
	// One group holds 64 slots; spread the cases over groups 1-2.
	im.page(0, pageVDMCtrl)[0] = 0x01 // two groups
	for n, id := range ids {
		g, slot := n/vdmSlots, n%vdmSlots
		desc := im.page(0, pageVDMDesc+uint8(g))
		desc[2*slot] = byte(slot % 8) // threshold set 0, lane slot%8+1
		desc[2*slot+1] = id
		put16(im.page(0, pageVDMSample+uint8(g))[2*slot:], cases[id].raw)
	}
	m := mustDecode(t, im.snapshot(t))
	if len(m.VDM) != len(cases) {
		t.Fatalf("%d VDM values, want %d", len(m.VDM), len(cases))
	}
	for _, v := range m.VDM {
		w := cases[v.TypeID]
		if math.Abs(v.Value-w.value) > math.Abs(w.value)*1e-12+1e-30 || v.Unit != w.unit || v.Raw != w.raw {
			t.Errorf("type %d (%s): value %v %s raw %04X, want %v %s", v.TypeID, v.Observable, v.Value, v.Unit, v.Raw, w.value, w.unit)
		}
		if v.Lane != v.Slot%8+1 {
			t.Errorf("type %d: lane %d, want %d", v.TypeID, v.Lane, v.Slot%8+1)
		}
	}
	if o, known := LookupObservable(200); known || o.Name != "vdm_type_200" {
		t.Errorf("unknown id 200: %+v known=%v", o, known)
	}
}

// TestVDMBanksThresholdsFlags: descriptors are per bank; the lane nibble is
// the lane within the bank; the threshold set comes from the descriptor's
// high nibble; flags are nibbles (instance 2k low, 2k+1 high; b0 HA, b1 LA,
// b2 HW, b3 LW).
func TestVDMBanksThresholdsFlags(t *testing.T) {
	im := newCMISImage(IDOSFPXD, 2, 0)
	for b := uint8(0); b < 2; b++ {
		desc := im.page(b, pageVDMDesc)
		desc[0], desc[1] = 0x23, 15 // slot 0: threshold set 2, lane 4, pre-FEC BER current
		desc[2], desc[3] = 0x07, 4  // slot 1: threshold set 0, lane 8, laser temperature
		put16(im.page(b, pageVDMSample)[0:], 0x9019)
		put16(im.page(b, pageVDMSample)[2:], uint16(40+int(b))<<8)
		thr := im.page(b, pageVDMThresh)
		put16(thr[16:], 20<<11|24) // set 2 high alarm 2.4e-3
		put16(thr[18:], 0)
		put16(thr[20:], 20<<11|10)                 // high warning 1e-3
		put16(thr[0:], 70<<8)                      // set 0 high alarm 70 °C
		im.page(b, pageVDMFlags)[0] = 0x4 | 0x1<<4 // slot 0 high warning, slot 1 high alarm
	}
	im.page(0, pageVDMCtrl)[0] = 0
	m := mustDecode(t, im.snapshot(t))
	if len(m.VDM) != 4 {
		t.Fatalf("%d VDM values, want 4: %+v", len(m.VDM), m.VDM)
	}
	for _, v := range m.VDM {
		switch v.TypeID {
		case 15:
			if v.Lane != 8*v.Bank+4 || v.Value != 2.5e-5 || v.Thresholds == nil || v.Thresholds.HighAlarm != 2.4e-3 ||
				v.Thresholds.HighWarning != 1e-3 || v.Flags != HighWarning {
				t.Errorf("BER bank %d: %+v thresholds %+v", v.Bank, v, v.Thresholds)
			}
		case 4:
			if v.Lane != 8*v.Bank+8 || v.Value != float64(40+v.Bank) || v.Thresholds.HighAlarm != 70 || v.Flags != HighAlarm {
				t.Errorf("laser temperature bank %d: %+v", v.Bank, v)
			}
		}
	}
}

// TestChecksumFailures: a page 00h or 01h that fails its checksum is not
// decoded (a corrupted serial number would report a replaced module, a
// corrupted advertisement would steer the reads); page 02h's thresholds are
// decoded and marked.
func TestChecksumFailures(t *testing.T) {
	im := newCMISImage(IDQSFPDD, 1, 1)
	s := im.snapshot(t)
	// Corrupt one byte of each checksummed page after the sums were fixed.
	for _, pg := range []uint8{0, 1, 2} {
		p, _ := s.Page(Upper(0, pg))
		b := append([]byte(nil), p...)
		b[10] ^= 0xFF
		_ = s.SetPage(Upper(0, pg), b)
	}
	m := mustDecode(t, s)
	if m.Vendor != "" || !hasWarning(m, "page 00h fails its checksum") {
		t.Errorf("identity decoded from a bad page 00h: vendor %q warnings %v", m.Vendor, m.Warnings)
	}
	if m.Advertisement != nil || !hasWarning(m, "page 01h fails its checksum") {
		t.Errorf("advertisement decoded from a bad page 01h")
	}
	if len(m.Thresholds) == 0 || !hasWarning(m, "page 02h fails its checksum: thresholds decoded anyway and marked checksum_failed") {
		t.Errorf("thresholds from a bad page 02h: %v, warnings %q", m.Thresholds, m.Warnings)
	}
	for q, th := range m.Thresholds {
		if !th.ChecksumFailed {
			t.Errorf("%s: %+v not marked checksum_failed", q, th)
		}
	}
	bad := 0
	for _, c := range m.Checksums {
		if !c.OK {
			bad++
		}
	}
	if bad != 3 {
		t.Errorf("checksums %+v, want 3 failures", m.Checksums)
	}
}

// TestPage02hChecksum: thresholds from a page 02h whose checksum byte was
// never set keep their values and carry the mark; a blank page gives none;
// a page 02h that reads back as page 00h stays hidden.
func TestPage02hChecksum(t *testing.T) {
	good := mustDecode(t, newCMISImage(IDQSFPDD, 1, 1).snapshot(t))
	if len(good.Thresholds) == 0 {
		t.Fatal("the image has no thresholds")
	}
	tests := []struct {
		name    string
		page    func(p02, p00 []byte) // changes page 02h
		want    map[string]Thresholds
		warning string
	}{{
		name:    "checksum byte 00h",
		page:    func(p02, _ []byte) { p02[p02Checksum-128] = 0 },
		want:    marked(good.Thresholds),
		warning: "page 02h fails its checksum: thresholds decoded anyway and marked checksum_failed",
	}, {
		name: "blank",
		page: func(p02, _ []byte) {
			for i := range p02 {
				p02[i] = 0xFF
			}
		},
		warning: "page 02h fails its checksum and holds FFh throughout: no thresholds",
	}, {
		name:    "copy of page 00h",
		page:    func(p02, p00 []byte) { copy(p02, p00) },
		warning: "page 02h reads back identical to page 00h",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newCMISImage(IDQSFPDD, 1, 1).snapshot(t)
			p00, _ := s.Page(Upper(0, 0))
			p, _ := s.Page(Upper(0, 2))
			p02 := append([]byte(nil), p...)
			tt.page(p02, p00)
			if err := s.SetPage(Upper(0, 2), p02); err != nil {
				t.Fatal(err)
			}
			m := mustDecode(t, s)
			if !hasWarning(m, tt.warning) {
				t.Errorf("warnings %q, want %q", m.Warnings, tt.warning)
			}
			if len(m.Thresholds) != len(tt.want) {
				t.Fatalf("thresholds %v, want %v", m.Thresholds, tt.want)
			}
			for q, w := range tt.want {
				if got := m.Thresholds[q]; got != w {
					t.Errorf("%s: %+v, want %+v", q, got, w)
				}
			}
		})
	}
}

// marked returns a copy of th with every set marked checksum_failed.
func marked(th map[string]Thresholds) map[string]Thresholds {
	out := make(map[string]Thresholds, len(th))
	for q, t := range th {
		t.ChecksumFailed = true
		out[q] = t
	}
	return out
}

// TestLaneFlagMask: bit i of a flag byte is lane i+1. ethtool 7.0 masks
// with i itself, so 11h:143 = 01h shows on its lanes 2, 4, 6, 8.
func TestLaneFlagMask(t *testing.T) {
	for byteOff, flag := range map[int]LaneFlags{134: DataPathStateChanged, 135: TxFault, 136: TxLOS, 137: TxCDRLOL, 138: TxAdaptiveEQFail,
		139: TxPowerHighAlarm, 140: TxPowerLowAlarm, 141: TxPowerHighWarning, 142: TxPowerLowWarning,
		143: TxBiasHighAlarm, 144: TxBiasLowAlarm, 145: TxBiasHighWarning, 146: TxBiasLowWarning,
		147: RxLOS, 148: RxCDRLOL, 149: RxPowerHighAlarm, 150: RxPowerLowAlarm, 151: RxPowerHighWarning,
		152: RxPowerLowWarning, 153: RxOutputStatusChanged} {
		for lane := 0; lane < 8; lane++ {
			im := newCMISImage(IDOSFP, 1, 0)
			im.page(0, 0x11)[byteOff-128] = 1 << lane
			m := mustDecode(t, im.snapshot(t))
			for _, l := range m.Lanes {
				if got, want := l.Flags, LaneFlags(0); l.Lane == lane+1 {
					if got != flag {
						t.Errorf("byte %d bit %d: lane %d flags %v, want %v", byteOff, lane, l.Lane, got, flag)
					}
				} else if got != want {
					t.Errorf("byte %d bit %d: lane %d has flags %v", byteOff, lane, l.Lane, got)
				}
			}
		}
	}
}

func TestModuleFlags(t *testing.T) {
	im := newCMISImage(IDOSFP, 1, 0)
	im.lower[8] = 0x07  // state changed, module FW error, DP FW error
	im.lower[9] = 0x21  // temperature high alarm, Vcc low alarm
	im.lower[10] = 0x84 // Aux1 high warning, Aux2 low warning
	im.lower[11] = 0x12 // Aux3 low alarm, custom high alarm
	m := mustDecode(t, im.snapshot(t))
	want := ModuleStateChanged | ModuleFirmwareError | DataPathFirmwareError | TempHighAlarm | VccLowAlarm |
		Aux1HighWarning | Aux2LowWarning | Aux3LowAlarm | CustomMonHighAlarm
	if m.Flags != want {
		t.Errorf("flags %v, want %v", m.Flags, want)
	}
}

func TestModuleStateMasksReservedBits(t *testing.T) {
	im := newCMISImage(IDOSFP, 1, 0)
	im.lower[3] = 0xF0 | 5<<1 | 1 // reserved bits set, ModuleFault, IntL deasserted
	im.lower[41] = 1
	m := mustDecode(t, im.snapshot(t))
	if m.ModuleState != "ModuleFault" || m.ModuleFaultCause != "TEC runaway" || m.Interrupt {
		t.Errorf("state %q cause %q interrupt %v", m.ModuleState, m.ModuleFaultCause, m.Interrupt)
	}
}

func TestIdentifiers(t *testing.T) {
	for id, fam := range map[uint8]Family{0x18: FamilyCMIS, 0x19: FamilyCMIS, 0x1E: FamilyCMIS, 0x21: FamilyCMIS,
		0x22: FamilyCMIS, 0x80: FamilyCMIS, 0x11: FamilySFF8636, 0x0D: FamilySFF8636, 0x03: FamilySFF8472, 0x42: FamilyUnknown} {
		if FamilyOf(id) != fam {
			t.Errorf("FamilyOf(%02X) = %v, want %v", id, FamilyOf(id), fam)
		}
	}
	for id, name := range map[uint8]string{0x18: "QSFP-DD", 0x19: "OSFP", 0x21: "OSFP-XD", 0x22: "OIF-ELSFP external laser source"} {
		if IdentifierName(id) != name {
			t.Errorf("IdentifierName(%02X) = %q", id, IdentifierName(id))
		}
	}
	if !strings.Contains(IdentifierName(0x1E), "QSFP112") || !strings.Contains(IdentifierName(0x80), "optical engine") {
		t.Errorf("names for 1Eh/80h: %q %q", IdentifierName(0x1E), IdentifierName(0x80))
	}
	s := NewSnapshot()
	_ = s.SetPage(Lower, make([]byte, 128))
	m := mustDecode(t, s)
	if m.Spec != "unknown" || len(m.Warnings) == 0 {
		t.Errorf("identifier 00h: %+v", m)
	}
	if _, err := Decode(NewSnapshot()); err != ErrNoLowerMemory {
		t.Errorf("empty snapshot: %v", err)
	}
	// A reader that got nothing (an emulated module without memory, a
	// failed read) hands over a nil snapshot: an error, never a panic.
	if _, err := Decode(nil); err != ErrNoLowerMemory {
		t.Errorf("nil snapshot: %v", err)
	}
}

func TestHostAndMediaNames(t *testing.T) {
	for _, tc := range []struct {
		host      uint8
		media, mt uint8
		hostName  string
		mediaName string
	}{
		{0x0B, 0x10, mediaSMF, "CAUI-4 C2M", "100G CWDM4"},
		{0x0F, 0x17, mediaSMF, "200GAUI-4 C2M", "200GBASE-DR4"},
		{0x4F, 0x1C, mediaSMF, "400GAUI-4-S C2M", "400GBASE-DR4"},
		{0x51, 0x56, mediaSMF, "800GAUI-8 S C2M", "800GBASE-DR8"},
		{0x82, 0x77, mediaSMF, "800GAUI-4 C2M", "800GBASE-DR4"},
		{0x83, 0x7F, mediaSMF, "1.6TAUI-8 C2M", "1.6TBASE-DR8"},
		{0x11, 0x10, mediaMMF, "400GAUI-8 C2M", "400GBASE-SR8"},
		{0x58, 0x01, mediaCopper, "1.6TBASE-CR8", "Copper cable"},
		{0xEE, 0xEE, mediaSMF, "Custom (EEh)", "Custom (EEh)"},
		{0xB9, 0xB9, mediaSMF, "Unknown (B9h)", "Unknown (B9h)"},
	} {
		if h, md := HostInterfaceName(tc.host), MediaInterfaceName(tc.mt, tc.media); h != tc.hostName || md != tc.mediaName {
			t.Errorf("%02X/%02X: %q %q, want %q %q", tc.host, tc.media, h, md, tc.hostName, tc.mediaName)
		}
	}
}

func TestCopyOfPage00IsHidden(t *testing.T) {
	im := newCMISImage(IDQSFPDD, 1, 0)
	s := im.snapshot(t)
	p00, _ := s.Page(Upper(0, 0))
	_ = s.SetPage(Upper(0, 0x11), p00) // module ignored the select for 11h
	m := mustDecode(t, s)
	if len(m.Lanes) != 0 || !hasWarning(m, "page 11h reads back identical to page 00h") {
		t.Errorf("a copy of page 00h was decoded as page 11h: lanes %d warnings %v", len(m.Lanes), m.Warnings)
	}
}

// TestPartialCopyOfPage00IsHidden: the fast cadence reads page 11h bytes
// 128-201 only; a module that ignored the select returns page 00h's bytes
// there, and they must not be decoded as lanes.
func TestPartialCopyOfPage00IsHidden(t *testing.T) {
	im := newCMISImage(IDOSFP, 1, 0)
	full := im.snapshot(t)
	s := NewSnapshot()
	for _, id := range []PageID{Lower, Upper(0, 0), Upper(0, 1), Upper(0, 2)} {
		p, _ := full.Page(id)
		_ = s.SetPage(id, p)
	}
	p00, _ := full.Page(Upper(0, 0))
	_ = s.Set(Upper(0, 0x11), 128, p00[:74])
	m := mustDecode(t, s)
	if len(m.Lanes) != 0 || !hasWarning(m, "page 11h reads back identical to page 00h") {
		t.Errorf("partial copy of page 00h decoded as page 11h: %d lanes, warnings %v", len(m.Lanes), m.Warnings)
	}
}

func TestCoherentPM(t *testing.T) {
	im := newCMISImage(IDQSFPDD, 1, 0)
	p34 := im.page(0, 0x34)
	p34[7] = 100                // rxBitsPM = 1e11? no: 100 bits
	p34[8+7] = 10               // rxBitsSubIntPM = 10
	p34[16+7] = 1               // rxCorrBitsPM = 1 -> BER 0.01
	p34[24+7], p34[32+7] = 0, 2 // min 0, max 0.2
	p34[40+3] = 50              // frames
	p34[48+3] = 3               // uncorrected frames
	p35 := im.page(0, 0x35)
	p35[0], p35[1], p35[2], p35[3] = 0xFF, 0xFF, 0xFF, 0x9C // CD -100 ps/nm
	put16(p35[158-128:], 355)                               // OSNR 35.5 dB
	put16(p35[182-128:], 0xFF38)                            // Tx power -2 dBm
	m := mustDecode(t, im.snapshot(t))
	pm := m.PM
	if pm == nil || *pm.PreFECBERAvg != 0.01 || *pm.PreFECBERMax != 0.2 || *pm.PreFECBERMin != 0 || *pm.UncorrectedFrames != 3 ||
		*pm.CDAvgPsNm != -100 || math.Abs(*pm.OSNRAvgDB-35.5) > 1e-9 || *pm.TxPowerAvgDBM != -2 {
		t.Errorf("PM %+v", pm)
	}
}

func TestELSFP(t *testing.T) {
	im := newCMISImage(IDELSFP, 1, 0)
	mon := im.page(0, pageELSFPMon)
	put16(mon[184-128:], 2500)                // laser 1 bias 250 mA
	put16(mon[200-128:], 10000)               // laser 1 power 100 mW
	mon[232-128] = 200                        // 3.0 V
	im.page(0, pageELSFPCtrl)[221-128] = 0x02 // laser 1 on
	im.page(0, pageELSFPCtrl)[166-128] = 0x04 // fault bitmap: laser 3
	im.page(0, pageELSFPCtrl)[174-128] = 0x06 // warning bitmap: lasers 2, 3
	put16(mon[240-128:], 10000)               // ICC 10000 x 200 uA = 2 A
	m := mustDecode(t, im.snapshot(t))
	if m.SupplyCurrentMA == nil || *m.SupplyCurrentMA != 2000 {
		t.Errorf("supply current %v mA, want 2000", m.SupplyCurrentMA)
	}
	for i, want := range [][2]bool{{false, false}, {false, true}, {true, true}, {false, false}} {
		if l := m.LaserSource[i]; l.Fault != want[0] || l.Warning != want[1] {
			t.Errorf("laser %d fault %v warning %v, want %v", i+1, l.Fault, l.Warning, want)
		}
	}
	if len(m.LaserSource) != 8 {
		t.Fatalf("%d lasers", len(m.LaserSource))
	}
	l := m.LaserSource[0]
	if *l.BiasMA != 250 || *l.PowerMW != 100 || math.Abs(*l.PowerDBM-20) > 1e-9 || math.Abs(*l.VoltageV-3) > 1e-9 || l.State != "on" {
		t.Errorf("laser 1 %+v", l)
	}
	if m.LaserSource[1].PowerDBM != nil || m.LaserSource[1].State != "off" {
		t.Errorf("laser 2 %+v", m.LaserSource[1])
	}
}

// TestActiveAppSel: page 11h bytes 206-213 of each bank give the AppSel of
// each host lane (bits 7-4), lane 8·bank+i+1.
func TestActiveAppSel(t *testing.T) {
	im := newCMISImage(IDOSFPXD, 2, 0)
	for i := 0; i < 8; i++ {
		im.page(0, 0x11)[206-128+i] = 0x10 | byte(i/4*4)<<1 // AppSel 1, data paths from lanes 1 and 5
		im.page(1, 0x11)[206-128+i] = 0x20                  // AppSel 2
	}
	im.page(1, 0x11)[213-128] = 0x00 // lane 16 unused
	m := mustDecode(t, im.snapshot(t))
	want := []uint8{1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 0}
	if !slices.Equal(m.ActiveAppSel, want) {
		t.Errorf("active AppSel %v, want %v", m.ActiveAppSel, want)
	}
}
