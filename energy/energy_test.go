package energy_test

import (
	"context"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"periph.io/x/conn/v3/physic"

	"github.com/ddm-agent/ddm/cmis"
	"github.com/ddm-agent/ddm/cmis/dumpfile"
	"github.com/ddm-agent/ddm/emulator"
	"github.com/ddm-agent/ddm/energy"
	"github.com/ddm-agent/ddm/i2c"
	"github.com/ddm-agent/ddm/modread"
)

// want is an energy view worked out by hand from a module's bytes.
type want struct {
	watts float64
	basis energy.Basis
	gbps  float64 // 0: no data rate
	pj    float64 // 0: no energy per bit
	class string  // reference class, "" for none
	// verdict against the class's range
	verdict string
}

func check(t *testing.T, got *energy.Port, w want) {
	t.Helper()
	if got == nil || got.PowerW == nil {
		t.Fatalf("no power: %+v", got)
	}
	if math.Abs(*got.PowerW-w.watts) > 1e-9 || got.Basis != w.basis {
		t.Errorf("power %v W %s, want %v W %s", *got.PowerW, got.Basis, w.watts, w.basis)
	}
	if got.Rate.Gbps != w.gbps || got.RateKnown != (w.gbps > 0) {
		t.Errorf("data rate %v Gb/s (known %v, %s), want %v", got.Rate.Gbps, got.RateKnown, got.Rate.From, w.gbps)
	}
	switch {
	case w.pj == 0 && got.PJPerBit != nil:
		t.Errorf("energy per bit %v pJ/bit, want none", *got.PJPerBit)
	case w.pj != 0 && (got.PJPerBit == nil || math.Abs(*got.PJPerBit-w.pj) > 1e-9):
		t.Errorf("energy per bit %v, want %v pJ/bit", got.PJPerBit, w.pj)
	}
	gotClass, gotVerdict := "", ""
	if got.Reference != nil {
		gotClass, gotVerdict = got.Reference.Class, got.Reference.Verdict
	}
	if gotClass != w.class || gotVerdict != w.verdict {
		t.Errorf("reference %q %q, want %q %q", gotClass, gotVerdict, w.class, w.verdict)
	}
}

// readEmulated reads a profile's module the way ddm dump does, an hour
// after insertion (ModuleReady, data paths active, lasers on).
func readEmulated(t *testing.T, profile string) *modread.Full {
	t.Helper()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clk := emulator.NewManualClock(t0)
	mod, err := emulator.NewModule(profile, emulator.WithClock(clk), emulator.WithInsertion(t0.Add(-time.Hour)), emulator.WithFreezeDelay(0))
	if err != nil {
		t.Fatal(err)
	}
	bus := emulator.NewBus("i2c-1", 400*physic.KiloHertz, clk)
	mod.AttachTo(bus)
	full, err := modread.New(i2c.NewPager(bus, i2c.PagerOptions{}).Module(0x50), modread.Options{}).ReadAll(context.Background(), clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	return full
}

// elsfpWatts is an ELSFP's measured power from its bytes: lower 16-17 Vcc
// (U16, 100 µV) times page 1Bh 240-241 ICC (U16, 200 µA).
func elsfpWatts(t *testing.T, s *cmis.Snapshot) float64 {
	vcc, icc := s.Bytes(cmis.Lower, 16, 2), s.Bytes(cmis.Upper(0, 0x1B), 240, 2)
	if vcc == nil || icc == nil {
		t.Fatal("Vcc or ICC bytes not read")
	}
	return float64(binary.BigEndian.Uint16(vcc)) * 100e-6 * float64(binary.BigEndian.Uint16(icc)) * 200e-6
}

// TestEmulatorProfiles: every built-in profile, read through the pager,
// against figures worked out from the bytes its encoder writes.
func TestEmulatorProfiles(t *testing.T) {
	tests := map[string]want{
		// 00h:201 = 48 (x 0.25 W = 12 W); 11h:206-213 all AppSel 1 = 400GAUI-8
		// (11h), 8 host lanes: 8 x 400/8 = 400 Gb/s; 12 / 400 = 30 pJ/bit.
		"qsfpdd-400g-fr4": {watts: 12, basis: energy.Advertised, gbps: 400, pj: 30},
		// 00h:201 = 64 -> 16 W; AppSel 1 = 800GAUI-8 (51h) on 8 lanes: 800 Gb/s;
		// 16 / 800 = 20 pJ/bit, the top of the DSP 800G range.
		"osfp-800g-dr8": {watts: 16, basis: energy.Advertised, gbps: 800, pj: 20, class: "dsp-800g", verdict: energy.Within},
		// 00h:201 = 100 -> 25 W; 1.6TAUI-8 (83h) on 8 lanes: 1600; 15.625 pJ/bit.
		"osfp-1.6t-dr8": {watts: 25, basis: energy.Advertised, gbps: 1600, pj: 15.625, class: "dsp-1.6t", verdict: energy.Below},
		// 00h:201 = 132 -> 33 W; 800GAUI-8 on 2 banks x 8 lanes: 1600; 20.625.
		"osfpxd-1.6t-16": {watts: 33, basis: energy.Advertised, gbps: 1600, pj: 20.625, class: "dsp-1.6t", verdict: energy.Above},
		// 00h:201 = 120 -> 30 W; 400GAUI-4 (4Fh, 4 host lanes) on 4 banks x 8
		// lanes: 32 x 100 = 3200 Gb/s; 30 / 3200 = 9.375 pJ/bit (NPO range 3.125-11.25).
		"npo-3.2t": {watts: 30, basis: energy.Advertised, gbps: 3200, pj: 9.375, class: "npo-cpo", verdict: energy.Within},
		// measured: filled in from the bytes below; a laser source has no data rate.
		"elsfp": {basis: energy.Measured},
		// SFF-8636 129 = power class 4 (3.5 W); 4 lanes at 25780 Mb/s nominal,
		// x 64/66 = 24.998 -> 25 Gb/s: 100 Gb/s; 35 pJ/bit.
		"qsfp28-100g-lr4": {watts: 3.5, basis: energy.Advertised, gbps: 100, pj: 35},
		// SFF-8472 A0h 64 declares no higher power level: level 1, 1 W; 25780
		// Mb/s -> 25 Gb/s; 40 pJ/bit.
		"sfp28-25g": {watts: 1, basis: energy.Advertised, gbps: 25, pj: 40},
		// 10300 Mb/s -> 9.988 -> 10 Gb/s; 100 pJ/bit.
		"sfp-10g-lr-extcal": {watts: 1, basis: energy.Advertised, gbps: 10, pj: 100},
	}
	for _, name := range emulator.Profiles() {
		w, ok := tests[name]
		if !ok {
			t.Errorf("profile %s has no worked-out energy figures in this test", name)
			continue
		}
		t.Run(name, func(t *testing.T) {
			full := readEmulated(t, name)
			if w.basis == energy.Measured {
				w.watts = elsfpWatts(t, full.Snapshot)
				if w.watts < 3 || w.watts > 10 {
					t.Errorf("ELSFP measures %.2f W: outside what 8 lasers and their control draw", w.watts)
				}
			}
			got := energy.ForModule(name, full.Module)
			check(t, got, w)
			if w.basis == energy.Measured && (got.MaxPowerW == nil || got.LoadFraction == nil ||
				math.Abs(*got.LoadFraction - w.watts / *got.MaxPowerW) > 1e-9) {
				t.Errorf("load fraction %v, want measured over the advertised %v W", got.LoadFraction, got.MaxPowerW)
			}
		})
	}
}

// TestVectors: every real dump in testdata/vectors, figures from its bytes.
func TestVectors(t *testing.T) {
	tests := map[string]want{
		// 201 = 0Ah -> 2.5 W; active set AppSel 1 on lanes 1-4: CAUI-4 (0Bh,
		// 4 host lanes): 4 x 25 = 100 Gb/s; 25 pJ/bit. Active cable: no class.
		"cmis_100g_qsfp_cmis_aoc_hisense_DEF8504-2C02-MB3_sonic_cict": {watts: 2.5, basis: energy.Advertised, gbps: 100, pj: 25},
		// 201 = 20h -> 8 W; AppSel 1 CAUI-4 (0Bh, mask 11h) on all 8 lanes: 200; 40.
		"cmis_400g_qsfpdd_juniper_740-079871_cmis3_sfppi": {watts: 8, basis: energy.Advertised, gbps: 200, pj: 40},
		// 201 = 30h -> 12 W; 400GAUI-8 (11h) on 8 lanes: 400; 30.
		"cmis_400g_qsfpdd_lr4_cig_TRD5H20ENF-LF000_sfppi": {watts: 12, basis: energy.Advertised, gbps: 400, pj: 30},
		// 201 = 50h -> 20 W; 400GAUI-8: 400; 50.
		"cmis_400g_qsfpdd_zr_juniper_740-157132_sfppi_2E1CZFA750085": {watts: 20, basis: energy.Advertised, gbps: 400, pj: 50},
		"cmis_400g_qsfpdd_zr_juniper_740-157132_sfppi_2E1CZFA815020": {watts: 20, basis: energy.Advertised, gbps: 400, pj: 50},
		// 201 = 5Ch -> 23 W; 400GAUI-8: 400; 57.5.
		"cmis_400g_qsfpdd_zrplus_acacia_DP04QSDD-E30-440A_sfppi": {watts: 23, basis: energy.Advertised, gbps: 400, pj: 57.5},
		// 201 = 34h -> 13 W; AppSel 5 400GAUI-4-S (4Fh, 4 lanes) on 8 lanes: 800; 16.25. AEC: no class.
		"cmis_800g_osfp_aec_credo_CAC845301A2NC2XA_xai_link_flap_port0":  {watts: 13, basis: energy.Advertised, gbps: 800, pj: 16.25},
		"cmis_800g_osfp_aec_credo_CAC845301A2NC2XA_xai_link_flap_port21": {watts: 13, basis: energy.Advertised, gbps: 800, pj: 16.25},
		// 201 = 42h -> 16.5 W; AppSel 5 800GAUI-8 S (51h) on 8 lanes: 800; 20.625, above 20.
		"cmis_800g_osfp_dr8_juniper_740-174932_xai_link_flap_port40": {watts: 16.5, basis: energy.Advertised, gbps: 800, pj: 20.625, class: "dsp-800g", verdict: energy.Above},
		// 201 = 40h -> 16 W; AppSel 2 400GAUI-4-L (50h) on 8 lanes: 800; 20.
		"cmis_800g_qsfpdd_eoptolink_EOLD-168HG-10-1_sfppi": {watts: 16, basis: energy.Advertised, gbps: 800, pj: 20, class: "dsp-800g", verdict: energy.Within},
		// 201 = 78h -> 30 W; no application advertised: no rate.
		"cmis_qsfpdd_dac_cisco_68-103205-02_xcvr-emu": {watts: 30, basis: energy.Advertised},
		// SFF-8636 129 bits 7-6 = 00: class 1, 1.5 W; 4 x 25750 Mb/s -> 4 x 25; 15.
		"sff8436_40g_qsfpp_dac_fs_Q28-PCxx_wobcom": {watts: 1.5, basis: energy.Advertised, gbps: 100, pj: 15},
		// class 1, 1.5 W; 4 x 10300 -> 40; 37.5.
		"sff8436_40g_qsfpp_dac_oem_QSFP-H40G-CU1M_sfppi": {watts: 1.5, basis: energy.Advertised, gbps: 40, pj: 37.5},
		// SFF-8472, A0h 64 = 00h: level 1, 1 W; 10300 -> 10; 100.
		"sff8472_10g_sfpp_dwdm_ch44_fs_DW44-10G-80-4214_sfppi": {watts: 1, basis: energy.Advertised, gbps: 10, pj: 100},
		"sff8472_10g_sfpp_flexoptix_P.B1696.10.DA_wobcom":      {watts: 1, basis: energy.Advertised, gbps: 10, pj: 100},
		"sff8472_10g_sfpp_lr_arista_SFP-10GLR-31_sfppi":        {watts: 1, basis: energy.Advertised, gbps: 10, pj: 100},
		"sff8472_10g_sfpp_lr_championone_10GSFPplusE-LR_sfppi": {watts: 1, basis: energy.Advertised, gbps: 10, pj: 100},
		"sff8472_10g_sfpp_lr_oem_SFP-10GB-LR_wobcom":           {watts: 1, basis: energy.Advertised, gbps: 10, pj: 100},
		"sff8472_1g_sfp_copper_oem_GLC-T_sfppi":                {watts: 1, basis: energy.Advertised, gbps: 1, pj: 1000},
		"sff8472_25g_sfp28_dac_ubnt_sfppi":                     {watts: 1, basis: energy.Advertised, gbps: 25, pj: 40},
		"sff8472_brocade_57-1000042-02_nodom_wobcom":           {watts: 1, basis: energy.Advertised, gbps: 1, pj: 1000},
		// A0h 64 = 3Ch (bit 5), 94 = 08h: level 3, 2 W; 10300 -> 10; 200.
		"sff8472_xgspon_olt_ciena_tibit_XCVR-SGPL02_sfppi": {watts: 2, basis: energy.Advertised, gbps: 10, pj: 200},
		// SFF-8636 class 1, 1.5 W; 4 x 26000 Mb/s -> 25.2 -> 25: 100; 15.
		"sff8636_100g_qsfp28_dac_oem_CAB-ZQP-4ZSP-P1M_sfppi": {watts: 1.5, basis: energy.Advertised, gbps: 100, pj: 15},
		// 129 bit 5 and lower 107 = 2Dh: class 8, 4.5 W; 100; 45.
		"sff8636_100g_qsfp28_er4_qsfptek_QT-QSFP28-ER4_sfppi_QT14241028003": {watts: 4.5, basis: energy.Advertised, gbps: 100, pj: 45},
		// class 4, 3.5 W; 100; 35.
		"sff8636_100g_qsfp28_er4_qsfptek_QT-QSFP28-ER4_sfppi_qsfp-5200-juniper": {watts: 3.5, basis: energy.Advertised, gbps: 100, pj: 35},
		"sff8636_100g_qsfp28_ir4_fs_QSFP28-IR4-100G_wobcom":                     {watts: 3.5, basis: energy.Advertised, gbps: 100, pj: 35},
	}
	files, err := filepath.Glob("../testdata/vectors/*.txt")
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, f := range files {
		base := strings.TrimSuffix(filepath.Base(f), ".txt")
		if strings.HasSuffix(base, ".expected") || strings.HasSuffix(base, ".ethtool") || base == "README" {
			continue
		}
		w, ok := tests[base]
		if !ok {
			t.Errorf("vector %s has no worked-out energy figures in this test", base)
			continue
		}
		seen++
		t.Run(base, func(t *testing.T) {
			d, err := dumpfile.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			m, err := cmis.Decode(d.Snapshots[0])
			if err != nil {
				t.Fatal(err)
			}
			check(t, energy.ForModule(base, m), w)
		})
	}
	if seen != len(tests) {
		t.Errorf("%d vectors checked, %d worked out: a vector is missing from testdata", seen, len(tests))
	}
}

func f(v float64) *float64 { return &v }

// TestTotal: a switch's sums, W per Tb/s, pJ/bit and share near the limit.
func TestTotal(t *testing.T) {
	ports := []*energy.Port{
		{Port: "a", PartNumber: "P800", PowerW: f(16), Basis: energy.Advertised, MaxPowerW: f(16), Rate: energy.Rate{Gbps: 800}, RateKnown: true},
		{Port: "b", PartNumber: "P800", PowerW: f(16), Basis: energy.Advertised, MaxPowerW: f(16), Rate: energy.Rate{Gbps: 800}, RateKnown: true},
		{Port: "els", PartNumber: "ELS", PowerW: f(9.5), Basis: energy.Measured, MaxPowerW: f(10), LoadFraction: f(0.95), NearLimit: true},
		{Port: "els2", PartNumber: "ELS", PowerW: f(5), Basis: energy.Measured, MaxPowerW: f(10), LoadFraction: f(0.5)},
		nil, // an empty cage
	}
	s := energy.Total(ports)
	// 16 + 16 + 9.5 + 5 = 46.5 W over 1.6 Tb/s = 29.0625 W per Tb/s; the
	// rated modules alone: 32 W over 1600 Gb/s = 20 pJ/bit; 1 of 2 near.
	if s.Ports != 4 || s.Measured != 2 || s.Advertised != 2 || s.PowerW != 46.5 || s.RateGbps != 1600 ||
		*s.WPerTbps != 29.0625 || *s.PJPerBit != 20 || s.NearLimit != 1 || s.LimitKnown != 2 || *s.NearLimitShare != 0.5 {
		t.Errorf("total %+v", s)
	}
	parts := energy.ByPart(ports)
	if len(parts) != 2 || parts[0].PartNumber != "ELS" || parts[0].PowerW != 14.5 || parts[0].PJPerBit != nil ||
		parts[1].PartNumber != "P800" || parts[1].PowerW != 32 || *parts[1].PJPerBit != 20 {
		t.Errorf("by part %+v", parts)
	}
	if z := energy.Total(nil); z.Ports != 0 || z.WPerTbps != nil || z.PJPerBit != nil || z.NearLimitShare != nil {
		t.Errorf("empty total %+v", z)
	}
}

// TestReferencesDocumented: docs/ENERGY.md's table is References().
func TestReferencesDocumented(t *testing.T) {
	b, err := os.ReadFile("../docs/ENERGY.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| `([a-z0-9.-]+)` \\|[^|]*\\| ([0-9.–-]+) W[^|]*\\| ([0-9.]+)–([0-9.]+) pJ/bit \\|")
	rows := row.FindAllStringSubmatch(string(b), -1)
	refs := energy.References()
	if len(rows) != len(refs) {
		t.Fatalf("docs/ENERGY.md has %d reference rows, the code %d", len(rows), len(refs))
	}
	for i, r := range refs {
		got := rows[i]
		lo, _ := strconv.ParseFloat(got[3], 64)
		hi, _ := strconv.ParseFloat(got[4], 64)
		watts := strings.Split(got[2], "–")
		wlo, _ := strconv.ParseFloat(watts[0], 64)
		whi, _ := strconv.ParseFloat(watts[len(watts)-1], 64)
		if got[1] != r.Class || math.Abs(lo-r.MinPJ) > 0.01 || math.Abs(hi-r.MaxPJ) > 0.01 || wlo != r.MinW || whi != r.MaxW {
			t.Errorf("docs row %q, code %+v", got[0], r)
		}
	}
}
