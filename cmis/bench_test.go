package cmis

import "testing"

// Decode cost per module. Run: go test -run '^$' -bench Decode -benchmem ./cmis/
// Results are in docs/BENCHMARKS.md.

// withVDM adds a realistic 800G VDM layout to a module image: page 2Fh
// (one group), 8 lanes × (laser temperature, eSNR, pre-FEC BER current,
// pre-FEC BER avg, errored frames) descriptors, samples, thresholds, flags.
func withVDM(s *Snapshot, banks int) {
	types := []uint8{4, 5, 15, 13, 23}
	_ = s.Set(Upper(0, pageVDMCtrl), 128, []byte{0})
	for b := 0; b < banks; b++ {
		desc := make([]byte, 128)
		samples := make([]byte, 128)
		thr := make([]byte, 128)
		for i, ty := range types {
			for lane := 0; lane < 8; lane++ {
				slot := 8*i + lane
				desc[2*slot] = byte(i<<4 | lane)
				desc[2*slot+1] = ty
				put16(samples[2*slot:], uint16(0x9019+lane))
			}
			put16(thr[8*i:], 0xA000)
		}
		_ = s.SetPage(Upper(uint8(b), pageVDMDesc), desc)
		_ = s.SetPage(Upper(uint8(b), pageVDMSample), samples)
		_ = s.SetPage(Upper(uint8(b), pageVDMThresh), thr)
		_ = s.SetPage(Upper(uint8(b), pageVDMFlags), make([]byte, 128))
	}
}

func benchDecode(b *testing.B, s *Snapshot) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(s); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecode(b *testing.B) {
	b.Run("cmis-800g-osfp-dr8-vdm", func(b *testing.B) {
		s := loadVector(b, "cmis_800g_osfp_dr8_juniper_740-174932_xai_link_flap_port40")
		withVDM(s, 1)
		benchDecode(b, s)
	})
	b.Run("cmis-3.2t-engine-32-lanes-vdm", func(b *testing.B) {
		im := newCMISImage(IDCPO, 4, 0)
		for bank := 0; bank < 4; bank++ {
			p := im.page(uint8(bank), 0x11)
			for i := 0; i < 8; i++ {
				put16(p[154-128+2*i:], 15000)
				put16(p[170-128+2*i:], 30000)
				put16(p[186-128+2*i:], 12000)
			}
		}
		s := im.snapshot(b)
		withVDM(s, 4)
		benchDecode(b, s)
	})
	b.Run("sff8636-qsfp28-ir4", func(b *testing.B) {
		benchDecode(b, loadVector(b, "sff8636_100g_qsfp28_ir4_fs_QSFP28-IR4-100G_wobcom"))
	})
	b.Run("sff8472-sfp-lr", func(b *testing.B) {
		benchDecode(b, loadVector(b, "sff8472_10g_sfpp_lr_oem_SFP-10GB-LR_wobcom"))
	})
}
