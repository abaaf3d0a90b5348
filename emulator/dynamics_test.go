package emulator

import (
	"bytes"
	"math"
	"testing"
	"time"

	"github.com/ddm-agent/ddm/cmis"
)

// decodeAt decodes the module's memory at the clock's current time.
func decodeAt(t *testing.T, m *Module) *cmis.Module {
	t.Helper()
	s := m.Snapshot()
	if s == nil {
		t.Fatal("module absent")
	}
	d, err := cmis.Decode(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// vdmOf returns observable obs of lane (1-based).
func vdmOf(t *testing.T, d *cmis.Module, obs string, lane int) float64 {
	t.Helper()
	for _, v := range d.VDM {
		if v.Observable == obs && v.Lane == lane {
			return v.Value
		}
	}
	t.Fatalf("no %s for lane %d", obs, lane)
	return 0
}

func TestBERTracksRxPower(t *testing.T) {
	// Lane 2's Rx power fades 4 dB an hour; BER must rise BERSlope decades
	// per dB lost, while lane 1 stays where it was.
	m, _, clk := newTestModule(t, "osfp-800g-dr8", WithDegradations(Degradation{Kind: RxFade, Lane: 2, Start: time.Minute, Rate: 4}))
	clk.Advance(time.Minute)
	d0 := decodeAt(t, m)
	clk.Advance(time.Hour)
	d1 := decodeAt(t, m)
	rxDrop := *d0.Lanes[1].RxPowerDBM - *d1.Lanes[1].RxPowerDBM
	if math.Abs(rxDrop-4) > 0.5 {
		t.Errorf("lane 2 Rx fell %.2f dB in an hour, want about 4", rxDrop)
	}
	p, _ := LookupProfile("osfp-800g-dr8")
	decades := math.Log10(vdmOf(t, d1, "pre_fec_ber_media", 2) / vdmOf(t, d0, "pre_fec_ber_media", 2))
	// Jitter is ±0.15 decade a sample; drift ±0.15 dB.
	if want := p.BERSlope * rxDrop; math.Abs(decades-want) > 0.45 {
		t.Errorf("lane 2 BER rose %.2f decades for %.2f dB, want %.2f", decades, rxDrop, want)
	}
	if lane1 := math.Log10(vdmOf(t, d1, "pre_fec_ber_media", 1) / vdmOf(t, d0, "pre_fec_ber_media", 1)); math.Abs(lane1) > 0.6 {
		t.Errorf("lane 1 BER moved %.2f decades without an Rx change", lane1)
	}
	if esnr0, esnr1 := vdmOf(t, d0, "esnr_media", 2), vdmOf(t, d1, "esnr_media", 2); !(esnr1 < esnr0-3) {
		t.Errorf("lane 2 eSNR %.1f -> %.1f dB, want it to fall with the BER", esnr0, esnr1)
	}
}

func TestDegradations(t *testing.T) {
	tests := []struct {
		name    string
		profile string
		d       Degradation
		after   time.Duration
		check   func(t *testing.T, before, after *cmis.Module)
	}{
		{"Tx fade 6 dB/h on lane 4", "osfp-1.6t-dr8", Degradation{Kind: TxFade, Lane: 4, Rate: 6}, 30 * time.Minute,
			func(t *testing.T, b, a *cmis.Module) {
				if drop := *b.Lanes[3].TxPowerDBM - *a.Lanes[3].TxPowerDBM; math.Abs(drop-3) > 0.3 {
					t.Errorf("lane 4 Tx fell %.2f dB, want 3", drop)
				}
				if drop := *b.Lanes[2].TxPowerDBM - *a.Lanes[2].TxPowerDBM; math.Abs(drop) > 0.3 {
					t.Errorf("lane 3 Tx moved %.2f dB", drop)
				}
				if !(*a.Lanes[3].TxBiasMA > *b.Lanes[3].TxBiasMA) {
					t.Error("bias did not rise as the laser faded")
				}
			}},
		{"BER ramp to 1e-4 over 20 min", "osfp-800g-dr8", Degradation{Kind: BERRamp, Lane: 7, Duration: 20 * time.Minute, Target: 1e-4}, 25 * time.Minute,
			func(t *testing.T, b, a *cmis.Module) {
				if got := vdmOf(t, a, "pre_fec_ber_media", 7); math.Abs(math.Log10(got/1e-4)) > 0.16 {
					t.Errorf("lane 7 BER %g after the ramp, want 1e-4", got)
				}
				if got := vdmOf(t, a, "pre_fec_ber_max_media", 7); got < 1e-4/1.5 {
					t.Errorf("lane 7 interval max %g", got)
				}
			}},
		{"temperature runaway 2 °C/min to 85 °C", "qsfpdd-400g-fr4", Degradation{Kind: TempRunaway, Rate: 2, Target: 85}, 10 * time.Minute,
			func(t *testing.T, b, a *cmis.Module) {
				if rise := *a.TemperatureC - *b.TemperatureC; math.Abs(rise-20) > 1.5 {
					t.Errorf("temperature rose %.1f °C in 10 min, want 20", rise)
				}
			}},
		{"temperature runaway stops at its target", "qsfpdd-400g-fr4", Degradation{Kind: TempRunaway, Rate: 2, Target: 85}, 3 * time.Hour,
			func(t *testing.T, b, a *cmis.Module) {
				if math.Abs(*a.TemperatureC-85) > 0.01 {
					t.Errorf("temperature %.2f °C, want held at 85", *a.TemperatureC)
				}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clk := NewManualClock(t0)
			d := tc.d
			d.Start = 20 * time.Minute
			m, err := NewModule(tc.profile, WithClock(clk), WithDegradations(d))
			if err != nil {
				t.Fatal(err)
			}
			clk.Advance(d.Start)
			before := decodeAt(t, m)
			clk.Advance(tc.after)
			tc.check(t, before, decodeAt(t, m))
		})
	}
}

func TestLoadFactor(t *testing.T) {
	m, _, clk := newTestModule(t, "osfp-800g-dr8", WithLoad(0))
	clk.Advance(30 * time.Minute)
	idle := *decodeAt(t, m).TemperatureC
	m.SetLoad(1)
	clk.Advance(90 * time.Second) // one time constant: 63 %
	mid := *decodeAt(t, m).TemperatureC
	clk.Advance(30 * time.Minute)
	busy := *decodeAt(t, m).TemperatureC
	if rise := busy - idle; math.Abs(rise-loadSpanC) > 1 {
		t.Errorf("full load raised the temperature %.1f °C, want %.0f", rise, loadSpanC)
	}
	if frac := (mid - idle) / (busy - idle); math.Abs(frac-0.63) > 0.1 {
		t.Errorf("after one time constant %.0f%% of the rise, want 63%%", frac*100)
	}
}

// TestChecksumsStayValid runs every profile through hours of dynamics,
// scenarios and hot plugs and checks every page checksum at each step.
func TestChecksumsStayValid(t *testing.T) {
	for _, name := range Profiles() {
		clk := NewManualClock(t0)
		m, err := NewModule(name, WithClock(clk),
			WithDegradations(Degradation{Kind: TempRunaway, Rate: 1}, Degradation{Kind: TxFade, Rate: 3}, Degradation{Kind: BERRamp, Duration: time.Hour, Target: 1e-3}),
			WithFaults(Fault{Kind: FaultUnplug, Window: Window{Start: 30 * time.Minute, Duration: time.Minute, Every: time.Hour}}))
		if err != nil {
			t.Fatal(err)
		}
		for step := 0; step < 12; step++ {
			clk.Advance(17 * time.Minute)
			s := m.Snapshot()
			if s == nil {
				continue // unplugged at this instant
			}
			d, _ := cmis.Decode(s)
			for _, c := range d.Checksums {
				if !c.OK {
					t.Errorf("%s at %v: %s checksum %02x, computed %02x", name, clk.Now().Sub(t0), c.Page, c.Stored, c.Computed)
				}
			}
		}
	}
}

// TestChecksumRecomputedOnChange changes checksummed pages from inside the
// emulator and checks that the checksums follow.
func TestChecksumRecomputedOnChange(t *testing.T) {
	tests := []struct {
		profile string
		w       win
		off     int
		b       []byte
	}{
		{"osfp-800g-dr8", upperWin(roleA0, 0, 0x00), 148, []byte("EMU-NEW-PART")},
		{"osfp-800g-dr8", upperWin(roleA0, 0, 0x01), 138, []byte{0x66, 0x6C}},
		{"osfp-800g-dr8", upperWin(roleA0, 0, 0x02), 128, []byte{0x50, 0x00}},
		{"qsfp28-100g-lr4", upperWin(roleA0, 0, 0x00), 196, []byte("SN-CHANGED")},
		{"qsfp28-100g-lr4", upperWin(roleA0, 0, 0x00), 148, []byte("OTHER VENDOR")},
		{"sfp28-25g", lowerWin(roleA0), 40, []byte("PN-CHANGED")},
		{"sfp28-25g", lowerWin(roleA2), 0, []byte{0x55, 0x00}},
	}
	for _, tc := range tests {
		m, _, _ := newTestModule(t, tc.profile)
		m.mu.Lock()
		m.poke(tc.w, tc.off, tc.b)
		m.mu.Unlock()
		d := decodeAt(t, m)
		if len(d.Warnings) > 0 {
			t.Errorf("%s after changing %+v: %q", tc.profile, tc.w, d.Warnings)
		}
	}
}

// TestValuesDependOnTimeNotAccess: a module read every 100 ms and one read
// only at the end serve the same monitors.
func TestValuesDependOnTimeNotAccess(t *testing.T) {
	a, ab, aclk := newTestModule(t, "npo-3.2t", WithSeed(9))
	b, bb, bclk := newTestModule(t, "npo-3.2t", WithSeed(9))
	for i := 0; i < 3000; i++ {
		aclk.Advance(100 * time.Millisecond)
		rd(t, ab, 0x50, 14, 10)
	}
	bclk.Advance(300 * time.Second)
	rd(t, bb, 0x50, 14, 10)
	sa, sb := a.Snapshot(), b.Snapshot()
	for _, id := range []cmis.PageID{cmis.Upper(0, 0x11), cmis.Upper(3, 0x11)} {
		pa, _ := sa.Page(id)
		pb, _ := sb.Page(id)
		if !bytes.Equal(pa[154-128:202-128], pb[154-128:202-128]) {
			t.Errorf("%s monitors differ", id)
		}
	}
	if x, y := sa.Bytes(cmis.Lower, 14, 12), sb.Bytes(cmis.Lower, 14, 12); !bytes.Equal(x, y) {
		t.Errorf("module monitors differ: % x vs % x", x, y)
	}
	// A different seed gives a different module.
	c, _, cclk := newTestModule(t, "npo-3.2t", WithSeed(10))
	cclk.Advance(300 * time.Second)
	if c.Serial() == a.Serial() {
		t.Error("seeds 9 and 10 give the same serial number")
	}
}

func TestLaserSourceFeedsEngine(t *testing.T) {
	clk := NewManualClock(t0)
	els, err := NewModule("elsfp", WithClock(clk),
		WithDegradations(Degradation{Kind: TxFade, Lane: 3, Start: time.Minute, Rate: 12}),
		WithFaults(Fault{Kind: FaultUnplug, Window: Window{Start: 2 * time.Hour, Duration: time.Minute}}))
	if err != nil {
		t.Fatal(err)
	}
	npo, err := NewModule("npo-3.2t", WithClock(clk), WithLaserSource(els))
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Minute)
	before := decodeAt(t, npo)
	clk.Advance(30 * time.Minute) // laser 3 down 6 dB: it feeds lanes 9-12
	after := decodeAt(t, npo)
	for lane := 1; lane <= 32; lane++ {
		drop := vdmOf(t, before, "els_input_power", lane) - vdmOf(t, after, "els_input_power", lane)
		txDrop := *before.Lanes[lane-1].TxPowerDBM - *after.Lanes[lane-1].TxPowerDBM
		want := 0.0
		if lane >= 9 && lane <= 12 {
			want = 6
		}
		if math.Abs(drop-want) > 0.3 || math.Abs(txDrop-want) > 0.3 {
			t.Errorf("lane %d: ELS input fell %.2f dB, Tx %.2f dB; want %.0f", lane, drop, txDrop, want)
		}
	}
	clk.Set(t0.Add(2*time.Hour + 30*time.Second)) // the ELSFP is out
	if got := vdmOf(t, decodeAt(t, npo), "els_input_power", 1); got > -39 {
		t.Errorf("ELS input %.1f dBm with the laser source unplugged", got)
	}
}

// TestErroredFramesCountWholeFrames: a module counts the frames its FEC
// could not correct, so the errored-frames ratio is whole frames out of an
// interval's: 0 on a healthy link (it once read the expected share, 1.7e-18
// at a BER of 1e-4, and set off the default rule "errored frames above 0"),
// now and then one frame where the expected count is a fraction, and the
// expected ratio on a failing link.
func TestErroredFramesCountWholeFrames(t *testing.T) {
	frame := 1 / (fecFramesPerS * DefaultUpdateInterval.Seconds()) // one codeword of an update interval
	cases := []struct {
		ber                float64
		minShare, maxShare float64 // share of reads with errored frames
		minRatio, maxRatio float64 // their value
	}{
		{1e-5, 0, 0, 0, 0},
		{1e-4, 0, 0, 0, 0},
		{3e-4, 0, 0.01, frame * 0.99, frame * 1.01},    // 5e-5 frames a read
		{5e-4, 0.02, 0.12, frame * 0.99, frame * 1.01}, // 0.065 frames a read
		{2e-3, 1, 1, 0.0815 * 0.97, 0.0815 * 1.03},     // 8 % of the frames
	}
	for _, c := range cases {
		m, _, clk := newTestModule(t, "osfp-800g-dr8", WithDegradations(Degradation{Kind: BERRamp, Lane: 1, Duration: time.Second, Target: c.ber}))
		clk.Advance(2 * time.Second)
		const reads = 1000
		errored := 0
		for i := 0; i < reads; i++ {
			clk.Advance(DefaultUpdateInterval)
			v := vdmOf(t, decodeAt(t, m), "errored_frames_media", 1)
			if v == 0 {
				continue
			}
			errored++
			if v < c.minRatio || v > c.maxRatio {
				t.Errorf("BER %g: errored frames ratio %g, want %g to %g", c.ber, v, c.minRatio, c.maxRatio)
				break
			}
		}
		if share := float64(errored) / reads; share < c.minShare || share > c.maxShare {
			t.Errorf("BER %g: %d of %d reads with errored frames, want a share of %g to %g", c.ber, errored, reads, c.minShare, c.maxShare)
		}
	}
}
