package emulator

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ddm-agent/ddm/cmis"
	"github.com/ddm-agent/ddm/cmis/dumpfile"
)

// within reports whether v lies inside the warning limits of th.
func within(v float64, th cmis.Thresholds) bool { return v >= th.LowWarning && v <= th.HighWarning }

// TestProfilesDecode reads every profile through a bus the way the agent
// does (the decoder's own read plans) and decodes it: checksums good, no
// warnings, the advertised shape, and every value inside its thresholds.
func TestProfilesDecode(t *testing.T) {
	tests := []struct {
		profile       string
		spec          string
		id            uint8
		checksums     int
		lanes, lasers int
		banks         int
		vdm           int // instances over all banks
		host, media   uint8
	}{
		{"qsfpdd-400g-fr4", "CMIS", 0x18, 3, 4, 0, 1, 0, 0x11, 0x1D},
		{"osfp-800g-dr8", "CMIS", 0x19, 3, 8, 0, 1, 56, 0x51, 0x56},
		{"osfp-1.6t-dr8", "CMIS", 0x19, 3, 8, 0, 1, 80, 0x83, 0x7F},
		{"osfpxd-1.6t-16", "CMIS", 0x21, 3, 16, 0, 2, 96, 0x51, 0x56},
		{"npo-3.2t", "CMIS", 0x80, 3, 32, 0, 4, 192, 0x4F, 0x1C},
		{"elsfp", "CMIS", 0x22, 3, 0, 8, 1, 0, 0, 0},
		{"qsfp28-100g-lr4", "SFF-8636", 0x11, 2, 4, 0, 1, 0, 0, 0},
		{"sfp28-25g", "SFF-8472", 0x03, 3, 1, 0, 1, 0, 0, 0},
		{"sfp-10g-lr-extcal", "SFF-8472", 0x03, 3, 1, 0, 1, 0, 0, 0},
	}
	if len(tests) != len(Profiles()) {
		t.Fatalf("%d profiles tested, %d built in", len(tests), len(Profiles()))
	}
	for _, tc := range tests {
		t.Run(tc.profile, func(t *testing.T) {
			_, b, clk := newTestModule(t, tc.profile)
			clk.Advance(10 * time.Minute) // warmed up
			r := newReader(b, 0x50)
			r.readAll(t, clk) // the first read collects what power-up latched
			clk.Advance(time.Second)
			m, err := cmis.Decode(r.readAll(t, clk))
			if err != nil {
				t.Fatal(err)
			}
			if len(m.Warnings) > 0 {
				t.Errorf("warnings: %q", m.Warnings)
			}
			ok := 0
			for _, c := range m.Checksums {
				if c.OK {
					ok++
				}
			}
			if ok != tc.checksums || len(m.Checksums) != tc.checksums {
				t.Errorf("checksums %+v, want %d good", m.Checksums, tc.checksums)
			}
			if m.Spec != tc.spec || m.IdentifierCode != tc.id {
				t.Errorf("spec %s id %02Xh, want %s %02Xh", m.Spec, m.IdentifierCode, tc.spec, tc.id)
			}
			if len(m.Lanes) != tc.lanes || len(m.LaserSource) != tc.lasers || len(m.VDM) != tc.vdm {
				t.Errorf("%d lanes, %d lasers, %d VDM instances; want %d, %d, %d", len(m.Lanes), len(m.LaserSource), len(m.VDM), tc.lanes, tc.lasers, tc.vdm)
			}
			if m.Advertisement == nil || m.Advertisement.Banks != tc.banks {
				t.Errorf("advertisement %+v, want %d banks", m.Advertisement, tc.banks)
			}
			if tc.host != 0 && (len(m.Applications) == 0 || m.Applications[0].HostInterfaceID != tc.host || m.Applications[0].MediaID != tc.media) {
				t.Errorf("applications %+v, want host %02Xh media %02Xh first", m.Applications, tc.host, tc.media)
			}
			if m.Vendor == "" || m.SerialNumber == "" || m.PartNumber == "" {
				t.Errorf("identity %q %q %q", m.Vendor, m.PartNumber, m.SerialNumber)
			}
			if m.Flags != 0 {
				t.Errorf("module flags %v on a healthy module", m.Flags)
			}
			checkRanges(t, m)
		})
	}
}

func checkRanges(t *testing.T, m *cmis.Module) {
	t.Helper()
	th := m.Thresholds
	check := func(what string, v *float64, q string) {
		if v == nil {
			t.Errorf("%s missing", what)
			return
		}
		if !within(*v, th[q]) {
			t.Errorf("%s = %v outside %+v", what, *v, th[q])
		}
	}
	check("temperature", m.TemperatureC, cmis.QTemperature)
	check("Vcc", m.VccV, cmis.QVcc)
	if m.LaserTemperatureC != nil {
		check("laser temperature", m.LaserTemperatureC, cmis.QLaserTemperature)
	}
	if m.Vcc2V != nil {
		check("Vcc2", m.Vcc2V, cmis.QVcc2)
	}
	if m.TECCurrentPct != nil {
		check("TEC current", m.TECCurrentPct, cmis.QTECCurrent)
	}
	adv := m.Advertisement
	for _, l := range m.Lanes {
		if l.DataPathState != "" && l.DataPathState != "DPActivated" {
			t.Errorf("lane %d: %s", l.Lane, l.DataPathState)
		}
		if l.Flags != 0 {
			t.Errorf("lane %d flags %v", l.Lane, l.Flags)
		}
		check("Tx power", l.TxPowerMW, cmis.QTxPower)
		check("Rx power", l.RxPowerMW, cmis.QRxPower)
		if adv.TxBiasMonitor {
			check("Tx bias", l.TxBiasMA, cmis.QTxBias)
		}
	}
	for _, v := range m.VDM {
		if v.Unit == "raw" {
			t.Errorf("VDM type %d unknown to the decoder", v.TypeID)
		}
		if v.Thresholds == nil || !within(v.Value, *v.Thresholds) || v.Flags != 0 {
			t.Errorf("VDM %s lane %d = %v (flags %v) outside %+v", v.Observable, v.Lane, v.Value, v.Flags, v.Thresholds)
		}
	}
	for _, l := range m.LaserSource {
		if l.State != "on" || l.PowerDBM == nil || *l.PowerDBM < 16 || *l.PowerDBM > 20 || *l.BiasMA < 200 || *l.BiasMA > 450 {
			t.Errorf("laser %d: %s %v dBm %v mA", l.Lane, l.State, *l.PowerDBM, *l.BiasMA)
		}
	}
}

func TestExternalCalibration(t *testing.T) {
	// The externally calibrated SFP reports A/D counts; decoded through its
	// constants they must come out at the profile's nominal values.
	_, b, clk := newTestModule(t, "sfp-10g-lr-extcal", WithSeed(3))
	clk.Advance(30 * time.Minute)
	m, _ := cmis.Decode(newReader(b, 0x50).readAll(t, clk))
	raw := rd(t, b, 0x51, 100, 6)
	if l := m.Lanes[0]; *l.TxPowerDBM < -1.7 || *l.TxPowerDBM > -0.3 || *l.RxPowerDBM < -7 || *l.RxPowerDBM > -5 ||
		*l.TxBiasMA < 30 || *l.TxBiasMA > 40 {
		t.Errorf("calibrated lane %+v (raw % x)", l, raw)
	}
	// The counts are not the units: bias 35 mA is 17500 in 2 µA, but 8750 counts.
	if counts := int(raw[0])<<8 | int(raw[1]); counts > 10000 {
		t.Errorf("bias counts %d look internally calibrated", counts)
	}
	if a0 := rd(t, b, 0x50, 92, 1)[0]; a0 != 0x58 {
		t.Errorf("A0h 92 = %02x, want 58h (DDM, external calibration, average power)", a0)
	}
}

func TestFileProfile(t *testing.T) {
	dir := t.TempDir()
	// A module's own memory, saved and served again.
	src, _, clk := newTestModule(t, "osfpxd-1.6t-16")
	clk.Advance(time.Minute)
	snap := src.Snapshot()
	path := filepath.Join(dir, "xd.txt")
	var buf bytes.Buffer
	if err := dumpfile.Write(&buf, &dumpfile.Dump{Snapshots: []*cmis.Snapshot{snap}}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	m, b, fclk := newTestModule(t, FilePrefix+path)
	wr(t, b, 0x50, 126, 1, 0x11)
	want, _ := snap.Page(cmis.Upper(1, 0x11))
	if got := rd(t, b, 0x50, 128, 128); !bytes.Equal(got[20:], want[20:]) { // past the latched flags
		t.Errorf("file module bank 1 page 11h differs")
	}
	if d, _ := cmis.Decode(newReader(b, 0x50).readAll(t, fclk)); len(d.Warnings) > 0 || len(d.Lanes) != 16 {
		t.Errorf("served dump decodes with %q, %d lanes", d.Warnings, len(d.Lanes))
	}
	if !strings.HasPrefix(m.String(), FilePrefix) {
		t.Errorf("String() = %q", m.String())
	}

	// Real vectors, served as captured: the Acacia dump's pages 22h, 23h,
	// 2Ah and 2Bh are copies of page 00h; an SFP answers at 0x51 too.
	for _, v := range []struct {
		file  string
		warn  string
		addrs int
	}{
		{"cmis_400g_qsfpdd_zrplus_acacia_DP04QSDD-E30-440A_sfppi.txt", "page 22h reads back identical to page 00h", 1},
		{"sff8472_10g_sfpp_flexoptix_P.B1696.10.DA_wobcom.txt", "", 2},
		{"sff8636_100g_qsfp28_ir4_fs_QSFP28-IR4-100G_wobcom.txt", "", 1},
	} {
		path := filepath.Join("..", "testdata", "vectors", v.file)
		m, b, clk := newTestModule(t, FilePrefix+path)
		if len(m.Addresses()) != v.addrs {
			t.Errorf("%s: addresses %v", v.file, m.Addresses())
		}
		if _, err := cmis.Decode(newReader(b, 0x50).readAll(t, clk)); err != nil {
			t.Fatal(err)
		}
		d, _ := cmis.Decode(m.Snapshot())
		if got := strings.Join(d.Warnings, "\n"); (v.warn == "") != (got == "") || !strings.Contains(got, v.warn) {
			t.Errorf("%s: warnings %q, want %q", v.file, got, v.warn)
		}
		if v.warn != "" {
			wr(t, b, 0x50, 127, 0x22)
			p00 := page(t, m, cmis.Upper(0, 0))
			if got := rd(t, b, 0x50, 127, 129); got[0] != 0x22 || !bytes.Equal(got[1:], p00) {
				t.Errorf("%s: page 22h select reads back %02Xh, bytes % x", v.file, got[0], got[1:9])
			}
		}
	}
	if _, err := NewModule(FilePrefix + filepath.Join(dir, "missing.txt")); err == nil {
		t.Error("missing dump file accepted")
	}
	if _, err := NewModule("qsfp-nonesuch"); err == nil || !strings.Contains(err.Error(), "osfp-800g-dr8") {
		t.Errorf("unknown profile: %v", err)
	}
}
