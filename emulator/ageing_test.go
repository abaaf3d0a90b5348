package emulator

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/ddm-agent/ddm/cmis"
)

const day = 24 * time.Hour

// TestDegradationScenariosOverDays runs each slow degradation and each
// link-ending fault on the virtual clock over simulated days and checks
// the evidence a likely-cause classifier reads: which quantity moves,
// which stays, which flags latch.
func TestDegradationScenariosOverDays(t *testing.T) {
	type reading struct{ before, after *cmis.Module }
	tests := []struct {
		name    string
		profile string
		opt     Option
		start   time.Duration // first reading
		after   time.Duration // second reading, after start
		check   func(t *testing.T, r reading)
	}{
		{"laser ageing: bias climbs to its plateau, Tx holds", "qsfpdd-400g-fr4",
			WithDegradations(Degradation{Kind: LaserAgeing, Lane: 2, Start: day, Duration: 20 * day, Rate: 0.05}),
			day, 20 * day, func(t *testing.T, r reading) {
				b, a := r.before.Lanes[1], r.after.Lanes[1]
				// 55 mA nominal, 65 mA plateau: 95 % of the 10 mA climb,
				// times the lane's spread (±5 %).
				if climb := *a.TxBiasMA - *b.TxBiasMA; climb < 8.5 || climb > 10.5 {
					t.Errorf("lane 2 bias climbed %.2f mA in 20 days, want about 9.5", climb)
				}
				if d := *a.TxPowerDBM - *b.TxPowerDBM; math.Abs(d) > 0.5 {
					t.Errorf("lane 2 Tx moved %.2f dB while the bias climbed, want it held", d)
				}
				if d := *r.after.Lanes[0].TxBiasMA - *r.before.Lanes[0].TxBiasMA; math.Abs(d) > 1 {
					t.Errorf("lane 1 bias moved %.2f mA", d)
				}
			}},
		{"laser ageing: past the climb the bias holds and Tx falls", "qsfpdd-400g-fr4",
			WithDegradations(Degradation{Kind: LaserAgeing, Lane: 2, Duration: 20 * day, Rate: 0.05}),
			21 * day, 4 * day, func(t *testing.T, r reading) {
				b, a := r.before.Lanes[1], r.after.Lanes[1]
				if d := *b.TxPowerDBM - *a.TxPowerDBM; math.Abs(d-4.8) > 0.5 {
					t.Errorf("lane 2 Tx fell %.2f dB in 4 days at 0.05 dB/h, want 4.8", d)
				}
				// The plateau: the climb's last 5 % and the Tx fade's
				// own bias response (5 % per dB).
				if !(*a.TxBiasMA > 60 && *a.TxBiasMA < 82) {
					t.Errorf("lane 2 bias %.1f mA, want on its plateau above 60 mA", *a.TxBiasMA)
				}
			}},
		{"dirty connector: one lane's Rx sinks a little every day", "osfp-800g-dr8",
			WithDegradations(Degradation{Kind: RxFade, Lane: 5, Rate: 0.3 / 24}),
			day, 10 * day, func(t *testing.T, r reading) {
				if d := *r.before.Lanes[4].RxPowerDBM - *r.after.Lanes[4].RxPowerDBM; math.Abs(d-3) > 0.5 {
					t.Errorf("lane 5 Rx fell %.2f dB in 10 days at 0.3 dB/day, want 3", d)
				}
				for _, l := range []int{0, 3, 7} {
					if d := *r.before.Lanes[l].RxPowerDBM - *r.after.Lanes[l].RxPowerDBM; math.Abs(d) > 0.5 {
						t.Errorf("lane %d Rx moved %.2f dB", l+1, d)
					}
				}
			}},
		{"pre-FEC BER grows exponentially", "osfp-800g-dr8",
			WithDegradations(Degradation{Kind: BERRamp, Lane: 3, Start: time.Hour, Duration: 14 * day, Target: 1e-3}),
			time.Hour, 7 * day, func(t *testing.T, r reading) {
				// Halfway in log from the lane's own BER to 1e-3 (each
				// reading carries ±0.15 decade of jitter).
				start := math.Log10(vdmOf(t, r.before, "pre_fec_ber_media", 3))
				want := (start - 3) / 2
				if got := math.Log10(vdmOf(t, r.after, "pre_fec_ber_media", 3)); math.Abs(got-want) > 0.25 {
					t.Errorf("lane 3 log10 BER %.2f after 7 of 14 days from %.2f, want %.2f", got, start, want)
				}
			}},
		{"fibre cut: LOS on every lane, Tx healthy", "osfp-800g-dr8",
			WithFaults(Fault{Kind: FaultFiberCut, Window: Window{Start: 2 * day}}),
			day, 2 * day, func(t *testing.T, r reading) {
				for i, l := range r.after.Lanes {
					if l.Flags&cmis.RxLOS == 0 || *l.RxPowerMW > 1e-3 {
						t.Errorf("lane %d: rx_los %v, Rx %.2g mW, want LOS and no light", i+1, l.Flags&cmis.RxLOS != 0, *l.RxPowerMW)
					}
					if d := *r.before.Lanes[i].TxPowerDBM - *l.TxPowerDBM; math.Abs(d) > 0.5 {
						t.Errorf("lane %d Tx moved %.2f dB on a fibre cut", i+1, d)
					}
				}
			}},
		{"host-side errors: host BER up, Tx CDR LOL, media clean", "osfp-1.6t-dr8",
			WithDegradations(Degradation{Kind: HostErrors, Lane: 6, Start: time.Hour, Duration: 5 * day, Target: 1e-3}),
			time.Hour, 6 * day, func(t *testing.T, r reading) {
				if got := vdmOf(t, r.after, "pre_fec_ber_host", 6); got < 5e-4 {
					t.Errorf("lane 6 host BER %.2g after the ramp, want 1e-3", got)
				}
				if r.after.Lanes[5].Flags&cmis.TxCDRLOL == 0 {
					t.Error("lane 6 tx_cdr_lol not latched with the host BER past the KP4 limit")
				}
				if r.after.Lanes[4].Flags&cmis.TxCDRLOL != 0 {
					t.Error("lane 5 tx_cdr_lol latched without host errors")
				}
				b, a := vdmOf(t, r.before, "pre_fec_ber_media", 6), vdmOf(t, r.after, "pre_fec_ber_media", 6)
				if a > 1e-5 || math.Abs(math.Log10(a/b)) > 0.6 {
					t.Errorf("lane 6 media BER %.2g -> %.2g, want the media side clean", b, a)
				}
				if r.after.Lanes[5].Flags&(cmis.RxLOS|cmis.RxCDRLOL) != 0 {
					t.Errorf("lane 6 media flags %v", r.after.Lanes[5].Flags)
				}
			}},
		{"module fault: ModuleFault with its cause, no light", "osfp-800g-dr8",
			WithFaults(Fault{Kind: FaultModule, Window: Window{Start: 3 * day, Duration: day}}),
			day, 2*day + time.Hour, func(t *testing.T, r reading) {
				if r.before.ModuleState != "ModuleReady" {
					t.Fatalf("before the fault: %s", r.before.ModuleState)
				}
				if r.after.ModuleStateCode != stateFault || r.after.ModuleFaultCause != "custom (32)" {
					t.Errorf("state %q (%d) cause %q, want ModuleFault, custom (32)", r.after.ModuleState, r.after.ModuleStateCode, r.after.ModuleFaultCause)
				}
			}},
		{"module fault ends: the module is ready again", "osfp-800g-dr8",
			WithFaults(Fault{Kind: FaultModule, Window: Window{Start: day, Duration: time.Hour}}),
			day + time.Minute, day, func(t *testing.T, r reading) {
				if r.after.ModuleState != "ModuleReady" || r.after.ModuleFaultCause != "" {
					t.Errorf("after the window: %q cause %q", r.after.ModuleState, r.after.ModuleFaultCause)
				}
			}},
		{"thermal: a slow rise over days", "osfp-800g-dr8",
			WithDegradations(Degradation{Kind: TempRunaway, Start: day, Rate: 2.0 / (24 * 60), Target: 90}),
			day, 5 * day, func(t *testing.T, r reading) {
				if rise := *r.after.TemperatureC - *r.before.TemperatureC; math.Abs(rise-10) > 1.5 {
					t.Errorf("temperature rose %.1f °C in 5 days at 2 °C/day, want 10", rise)
				}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, _, clk := newTestModule(t, tc.profile, tc.opt)
			clk.Advance(tc.start)
			var r reading
			r.before = decodeAt(t, m)
			clk.Advance(tc.after)
			r.after = decodeAt(t, m)
			tc.check(t, r)
		})
	}
}

func TestDegradationValidate(t *testing.T) {
	for _, tc := range []struct {
		d  Degradation
		ok bool
	}{
		{Degradation{Kind: LaserAgeing, Duration: day}, true},
		{Degradation{Kind: LaserAgeing}, false},
		{Degradation{Kind: LaserAgeing, Duration: day, Rate: -1}, false},
		{Degradation{Kind: HostErrors, Duration: day, Target: 1e-3}, true},
		{Degradation{Kind: HostErrors, Duration: day}, false},
	} {
		if err := tc.d.Validate(); (err == nil) != tc.ok {
			t.Errorf("%+v: error %v, want ok %v", tc.d, err, tc.ok)
		}
	}
	for _, k := range []FaultKind{FaultFiberCut, FaultModule} {
		if err := (Fault{Kind: k}).Validate(); err != nil {
			t.Errorf("%s: %v", k, err)
		}
	}
}

// The new scenario kinds are usable from a platform file, with their
// fields, and a bad one names its line.
func TestPlatformDegradationScenarios(t *testing.T) {
	clk := NewManualClock(t0)
	pl, err := ParsePlatform("p.yaml", []byte(`name: ageing
buses:
  - {name: i2c-1}
ports:
  - {name: p1, bus: i2c-1, address: 0x50, profile: qsfpdd-400g-fr4}
  - {name: p2, bus: i2c-1, address: 0x51, profile: osfp-800g-dr8}
  - {name: p3, bus: i2c-1, address: 0x52, profile: osfp-1.6t-dr8}
scenarios:
  - {port: p1, kind: laser_ageing, lane: 1, duration: 240h, rate: 0.05, target: 65}
  - {port: p2, kind: fiber_cut, start: 24h}
  - {port: p3, kind: host_errors, lane: 2, duration: 48h, target: 1e-3}
  - {port: p3, kind: module_fault, start: 96h, duration: 1h}
`), WithClock(clk), WithInsertion(t0.Add(-time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(72 * time.Hour)
	if l := decodeAt(t, pl.Module("p2")).Lanes[0]; l.Flags&cmis.RxLOS == 0 {
		t.Error("p2: no LOS after its fibre cut")
	}
	if l := decodeAt(t, pl.Module("p3")).Lanes[1]; l.Flags&cmis.TxCDRLOL == 0 {
		t.Error("p3 lane 2: no Tx CDR LOL with its host errors")
	}
	if b := *decodeAt(t, pl.Module("p1")).Lanes[0].TxBiasMA; b < 60 {
		t.Errorf("p1 lane 1 bias %.1f mA after 3 of 10 days of ageing", b)
	}
	clk.Advance(24*time.Hour + time.Minute)
	if s := decodeAt(t, pl.Module("p3")).ModuleState; s != "ModuleFault" {
		t.Errorf("p3: %s during its module fault", s)
	}
	_, err = ParsePlatform("p.yaml", []byte(`name: bad
buses:
  - {name: i2c-1}
ports:
  - {name: p1, bus: i2c-1, profile: qsfpdd-400g-fr4}
scenarios:
  - {port: p1, kind: laser_ageing, lane: 1}
`))
	if err == nil || !strings.Contains(err.Error(), "p.yaml:7") || !strings.Contains(err.Error(), "positive duration") {
		t.Errorf("laser_ageing without a duration: %v", err)
	}
}
