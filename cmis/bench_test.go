package cmis

import (
	"runtime"
	"testing"
)

// Decode cost per module, the full decode and the fast path (a Layout made
// once, then one DecodeInto per read) side by side. Run:
//
//	go test -run '^$' -bench 'Decode|Layout' -benchmem ./cmis/
//
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

// benchModule is one module of the decode benchmarks: its whole memory,
// and the lanes and VDM values a read of it decodes to.
type benchModule struct {
	name       string
	mem        *Snapshot
	lanes, vdm int
}

func benchModules(b testing.TB) []benchModule {
	dr8 := loadVector(b, "cmis_800g_osfp_dr8_juniper_740-174932_xai_link_flap_port40")
	withVDM(dr8, 1)
	im := newCMISImage(IDCPO, 4, 0)
	for bank := 0; bank < 4; bank++ {
		p := im.page(uint8(bank), 0x11)
		for i := 0; i < 8; i++ {
			put16(p[154-128+2*i:], 15000)
			put16(p[170-128+2*i:], 30000)
			put16(p[186-128+2*i:], 12000)
		}
	}
	engine := im.snapshot(b)
	withVDM(engine, 4)
	return []benchModule{
		{"cmis-800g-osfp-dr8-vdm", dr8, 8, 40},
		{"cmis-3.2t-engine-32-lanes-vdm", engine, 32, 160},
		{"sff8636-qsfp28-ir4", loadVector(b, "sff8636_100g_qsfp28_ir4_fs_QSFP28-IR4-100G_wobcom"), 4, 0},
		{"sff8472-sfp-lr", loadVector(b, "sff8472_10g_sfpp_lr_oem_SFP-10GB-LR_wobcom"), 1, 0},
	}
}

// loop runs f in a b.Loop and reports, besides ns/op, cpu-ns/op: the CPU
// time of the thread that ran it, per call. On a shared machine ns/op
// also counts the time spent waiting for a core; cpu-ns/op does not (nor
// the garbage collector's work on other threads).
func loop(b *testing.B, f func()) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	b.ReportAllocs()
	start, ok := threadCPU()
	n := 0
	for b.Loop() {
		f()
		n++
	}
	if end, ok2 := threadCPU(); ok && ok2 && n > 0 {
		b.ReportMetric(float64(end-start)/float64(n), "cpu-ns/op")
	}
}

// BenchmarkDecode is the full decode of the module's static pages and one
// fast and VDM read, as one snapshot.
func BenchmarkDecode(b *testing.B) {
	for _, bm := range benchModules(b) {
		_, static, read := ReadByPlan(b, bm.mem, Fast, VDM)
		s := static.Clone()
		s.Merge(read)
		b.Run(bm.name, func(b *testing.B) {
			loop(b, func() {
				if _, err := Decode(s); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}

// BenchmarkFastDecode is one cycle of the fast path: the same read as
// BenchmarkDecode decoded with DecodeInto into a reused Module.
func BenchmarkFastDecode(b *testing.B) {
	for _, bm := range benchModules(b) {
		l, _, read := ReadByPlan(b, bm.mem, Fast, VDM)
		var m Module
		l.DecodeInto(&m, read)
		b.Run(bm.name, func(b *testing.B) {
			loop(b, func() { l.DecodeInto(&m, read) })
		})
	}
}

// BenchmarkNewLayout is the static decode, once per insertion or state or
// firmware change.
func BenchmarkNewLayout(b *testing.B) {
	for _, bm := range benchModules(b) {
		_, static, _ := ReadByPlan(b, bm.mem)
		b.Run(bm.name, func(b *testing.B) {
			loop(b, func() {
				if _, err := NewLayout(static); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}

// TestFastDecodeAllocatesNothing: once the destination has been filled, a
// fast-path decode of the benchmark modules allocates nothing, and decodes
// every lane and VDM value (so the zero is not that of an empty read).
func TestFastDecodeAllocatesNothing(t *testing.T) {
	for _, bm := range benchModules(t) {
		t.Run(bm.name, func(t *testing.T) {
			l, _, read := ReadByPlan(t, bm.mem, Fast, VDM)
			var m Module
			l.DecodeInto(&m, read)
			if len(m.Lanes) != bm.lanes || len(m.VDM) != bm.vdm || m.TemperatureC == nil {
				t.Fatalf("decoded %d lanes, %d VDM values, temperature %v; want %d, %d and a temperature",
					len(m.Lanes), len(m.VDM), m.TemperatureC, bm.lanes, bm.vdm)
			}
			if !l.decodeFast(&m, read) {
				t.Fatal("the read took the slow path")
			}
			if n := testing.AllocsPerRun(100, func() { l.DecodeInto(&m, read) }); n != 0 {
				t.Errorf("%v allocations per decode, want 0", n)
			}
		})
	}
}
