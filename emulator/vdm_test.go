package emulator

import (
	"math"
	"testing"
	"time"

	"github.com/ddm-agent/ddm/cmis"
)

func TestFreezeTiming(t *testing.T) {
	tests := []struct {
		name  string
		opts  []Option
		delay time.Duration
	}{
		{"default 5 ms", nil, DefaultFreezeDelay},
		{"configured 40 ms", []Option{WithFreezeDelay(40 * time.Millisecond)}, 40 * time.Millisecond},
		{"slow freeze fault", []Option{WithFaults(Fault{Kind: FaultSlowFreeze})}, DefaultSlowFreeze},
		{"slow freeze 300 ms", []Option{WithFaults(Fault{Kind: FaultSlowFreeze, Delay: 300 * time.Millisecond})}, 300 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, b, clk := newTestModule(t, "osfp-800g-dr8", tc.opts...)
			clk.Advance(5 * time.Second)
			wr(t, b, 0x50, 127, 0x2F)
			for _, step := range []struct {
				v    byte
				done byte
			}{{0x80, 0x80}, {0x00, 0x40}} {
				start := clk.Now()
				wr(t, b, 0x50, 144, step.v)
				if got := rd(t, b, 0x50, 145, 1)[0]; got != 0 {
					t.Errorf("write %02x: 145 = %02x right after the request, want 0", step.v, got)
				}
				clk.Set(start.Add(tc.delay - time.Nanosecond))
				if got := rd(t, b, 0x50, 145, 1)[0]; got != 0 {
					t.Errorf("write %02x: 145 = %02x before the delay, want 0", step.v, got)
				}
				clk.Set(start.Add(tc.delay))
				if got := rd(t, b, 0x50, 145, 1)[0]; got != step.done {
					t.Errorf("write %02x: 145 = %02x after %v, want %02x", step.v, got, tc.delay, step.done)
				}
				if got := rd(t, b, 0x50, 144, 1)[0]; got != step.v {
					t.Errorf("144 reads %02x, want %02x", got, step.v)
				}
			}
		})
	}
}

// vdmWord reads one VDM sample slot of bank 0 group 1 through the bus.
func vdmWord(t *testing.T, b *Bus, slot int) uint16 {
	t.Helper()
	wr(t, b, 0x50, 127, 0x24)
	w := rd(t, b, 0x50, byte(128+2*slot), 2)
	return uint16(w[0])<<8 | uint16(w[1])
}

func TestFrozenStatistics(t *testing.T) {
	// Lane 1's BER climbs steadily: every statistic moves unless frozen.
	_, b, clk := newTestModule(t, "osfp-800g-dr8",
		WithDegradations(Degradation{Kind: BERRamp, Lane: 1, Start: 10 * time.Second, Duration: 10 * time.Minute, Target: 1e-2}))
	// dr8VDM slots: laser temp 0-7, eSNR 8-15, BER current 16-23, min 24-31,
	// max 32-39, avg 40-47, errored frames 48-55; lane 1 is the first of each.
	const cur, minS, maxS, avgS = 16, 24, 32, 40
	clk.Advance(5 * time.Minute)
	wr(t, b, 0x50, 127, 0x2F)
	wr(t, b, 0x50, 144, 0x80)
	clk.Advance(DefaultFreezeDelay)
	wr(t, b, 0x50, 127, 0x2F)
	if got := rd(t, b, 0x50, 145, 1)[0]; got != 0x80 {
		t.Fatalf("FreezeDone not set: %02x", got)
	}
	frozen := map[int]uint16{minS: vdmWord(t, b, minS), maxS: vdmWord(t, b, maxS), avgS: vdmWord(t, b, avgS)}
	curBefore := vdmWord(t, b, cur)
	clk.Advance(2 * time.Minute)
	for slot, w := range frozen {
		if got := vdmWord(t, b, slot); got != w {
			t.Errorf("slot %d changed while frozen: %04x -> %04x", slot, w, got)
		}
	}
	if got := vdmWord(t, b, cur); got == curBefore {
		t.Errorf("current BER did not move while frozen (%04x)", got)
	}
	if f16Value(frozen[maxS]) < f16Value(frozen[avgS]) || f16Value(frozen[avgS]) < f16Value(frozen[minS]) {
		t.Errorf("min %g avg %g max %g out of order", f16Value(frozen[minS]), f16Value(frozen[avgS]), f16Value(frozen[maxS]))
	}
	// Unfreeze: a new interval starts, so the minimum jumps up to where the
	// ramp is now.
	wr(t, b, 0x50, 127, 0x2F)
	wr(t, b, 0x50, 144, 0x00)
	clk.Advance(DefaultFreezeDelay)
	wr(t, b, 0x50, 127, 0x2F)
	if got := rd(t, b, 0x50, 145, 1)[0]; got != 0x40 {
		t.Fatalf("UnfreezeDone not set: %02x", got)
	}
	clk.Advance(time.Second)
	newMin := f16Value(vdmWord(t, b, minS))
	if !(newMin > f16Value(frozen[maxS])) {
		t.Errorf("after unfreeze, interval minimum %g is not above the last interval's maximum %g", newMin, f16Value(frozen[maxS]))
	}
}

func TestF16(t *testing.T) {
	// Crib §5.3: 0x9019 is e = 18, m = 25: 2.5e-5.
	if got := f16Value(0x9019); math.Abs(got-2.5e-5) > 1e-18 {
		t.Errorf("f16Value(0x9019) = %g", got)
	}
	for _, v := range []float64{1e-12, 3.3e-9, 2.4e-4, 1e-5, 0.5, 1, 1234, 1e9, 2e10} {
		raw := f16(v)
		if got := cmis.F16(raw); math.Abs(got-v)/v > 5e-4 {
			t.Errorf("f16(%g) = %04x decodes to %g", v, raw, got)
		}
	}
	if f16(0) != 0 || f16(-1) != 0 || f16(math.NaN()) != 0 || f16(1e30) != 0xFFFF {
		t.Error("f16 edge cases")
	}
}

// TestVDMTypesFollowCrib checks the type ids, formats and scales of every
// observable a profile uses against the crib's §5.4 table.
func TestVDMTypesFollowCrib(t *testing.T) {
	crib := map[uint8]struct {
		kind  vdmKind
		scale float64
		stat  bool
	}{
		4:  {vdmS16, 1.0 / 256, false}, // laser temperature
		5:  {vdmU16, 1.0 / 256, false}, // eSNR media
		7:  {vdmU16, 1.0 / 256, false}, // LTP media
		9:  {vdmF16, 1, true},          // pre-FEC BER min media
		11: {vdmF16, 1, true},          // max
		13: {vdmF16, 1, true},          // avg
		15: {vdmF16, 1, false},         // current
		16: {vdmF16, 1, false},         // current, host
		23: {vdmF16, 1, false},         // errored frames current media
		25: {vdmF16, 1, true},          // FERC total accumulated media
		84: {vdmS16, 0.01, false},      // ELS input power
	}
	for _, name := range Profiles() {
		p, _ := LookupProfile(name)
		for _, g := range p.VDM {
			for _, o := range g {
				want, ok := crib[o.Type]
				if !ok {
					t.Errorf("%s: VDM type %d not in the checked table", name, o.Type)
					continue
				}
				f := vdmFormatOf(o.Type)
				if f.kind != want.kind || math.Abs(f.scale-want.scale) > 1e-12 || f.stat != want.stat {
					t.Errorf("%s: VDM type %d format %+v, crib says %+v", name, o.Type, f, want)
				}
			}
		}
	}
}
