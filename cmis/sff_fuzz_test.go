package cmis

import (
	"encoding/json"
	"testing"
)

// The fuzz targets build snapshots from arbitrary bytes, windows possibly
// cut short (so the decoder meets bytes it does not hold), and check that
// Decode and Plan never panic, never put NaN or Inf in a Module, give dBm
// only for positive mW, and plan only ranges that fit their window.

func FuzzDecodeSFF8636(f *testing.F) {
	for _, name := range []string{
		"sff8636_100g_qsfp28_ir4_fs_QSFP28-IR4-100G_wobcom",
		"sff8636_100g_qsfp28_er4_qsfptek_QT-QSFP28-ER4_sfppi_QT14241028003",
		"sff8636_100g_qsfp28_er4_qsfptek_QT-QSFP28-ER4_sfppi_qsfp-5200-juniper",
		"sff8636_100g_qsfp28_dac_oem_CAB-ZQP-4ZSP-P1M_sfppi",
		"sff8436_40g_qsfpp_dac_fs_Q28-PCxx_wobcom",
		"sff8436_40g_qsfpp_dac_oem_QSFP-H40G-CU1M_sfppi",
	} {
		s := loadVector(f, name)
		f.Add(fuzzWindow(s, Lower), fuzzWindow(s, Upper(0, 0)), fuzzWindow(s, Upper(0, 3)))
	}
	f.Fuzz(func(t *testing.T, lower, p00, p03 []byte) {
		if len(lower) == 0 {
			return
		}
		ids := [...]uint8{IDQSFP, IDQSFPPlus, IDQSFP28}
		lower = append([]byte(nil), lower...)
		lower[0] = ids[int(lower[0])%len(ids)]
		s := NewSnapshot()
		fuzzSet(s, Lower, lower)
		fuzzSet(s, Upper(0, 0), p00)
		fuzzSet(s, Upper(0, 3), p03)
		fuzzCheck(t, s, "SFF-8636", "SFF-8436")
	})
}

func FuzzDecodeSFF8472(f *testing.F) {
	for _, name := range []string{
		"sff8472_10g_sfpp_lr_oem_SFP-10GB-LR_wobcom",
		"sff8472_10g_sfpp_flexoptix_P.B1696.10.DA_wobcom",
		"sff8472_10g_sfpp_dwdm_ch44_fs_DW44-10G-80-4214_sfppi",
		"sff8472_10g_sfpp_lr_arista_SFP-10GLR-31_sfppi",
		"sff8472_10g_sfpp_lr_championone_10GSFPplusE-LR_sfppi",
		"sff8472_1g_sfp_copper_oem_GLC-T_sfppi",
		"sff8472_25g_sfp28_dac_ubnt_sfppi",
		"sff8472_brocade_57-1000042-02_nodom_wobcom",
		"sff8472_xgspon_olt_ciena_tibit_XCVR-SGPL02_sfppi",
	} {
		s := loadVector(f, name)
		f.Add(fuzzWindow(s, Lower), fuzzWindow(s, A2Lower))
	}
	// An externally calibrated module, so the fuzzer starts inside the
	// calibration code.
	cal := calibrated().snapshot()
	f.Add(fuzzWindow(cal, Lower), fuzzWindow(cal, A2Lower))
	f.Fuzz(func(t *testing.T, a0, a2 []byte) {
		if len(a0) == 0 {
			return
		}
		ids := [...]uint8{IDGBIC, IDSoldered, IDSFP, 0x0B}
		a0 = append([]byte(nil), a0...)
		a0[0] = ids[int(a0[0])%len(ids)]
		s := NewSnapshot()
		fuzzSet(s, Lower, a0)
		fuzzSet(s, A2Lower, a2)
		fuzzCheck(t, s, "SFF-8472")
	})
}

// fuzzWindow returns the bytes of a window a vector holds (none if absent).
func fuzzWindow(s *Snapshot, id PageID) []byte {
	b, _ := s.Page(id)
	return append([]byte(nil), b...)
}

// fuzzSet stores up to one window of b at the start of id.
func fuzzSet(s *Snapshot, id PageID, b []byte) {
	if len(b) > PageSize {
		b = b[:PageSize]
	}
	if len(b) > 0 {
		_ = s.Set(id, id.Base(), b)
	}
}

func fuzzCheck(t *testing.T, s *Snapshot, specs ...string) {
	m, err := Decode(s)
	if err != nil {
		t.Fatal(err)
	}
	known := false
	for _, sp := range specs {
		known = known || m.Spec == sp
	}
	if !known {
		t.Fatalf("spec %q, want one of %q", m.Spec, specs)
	}
	if _, err := json.Marshal(m); err != nil {
		t.Fatalf("module does not marshal (NaN or Inf?): %v", err)
	}
	for _, l := range m.Lanes {
		checkDBm(t, "Tx", l.TxPowerMW, l.TxPowerDBM)
		checkDBm(t, "Rx", l.RxPowerMW, l.RxPowerDBM)
	}
	for _, c := range []Cadence{Static, Fast, VDM} {
		checkRanges(t, Plan(s, c))
	}
}
