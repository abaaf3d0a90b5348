package winstat

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/ddm-agent/ddm/cmis"
	"github.com/ddm-agent/ddm/exporter"
	"github.com/ddm-agent/ddm/schema"
)

func TestVDMWindow(t *testing.T) {
	s := time.Second
	for _, tc := range []struct {
		window, vdm, want time.Duration
	}{
		{10 * s, 10 * s, 60 * s}, // the default VDM cadence: 6 reads need 60 s
		{30 * s, 10 * s, 60 * s},
		{60 * s, 10 * s, 60 * s},
		{25 * s, 10 * s, 60 * s},  // 75 s would hold 6 reads: capped at the longest window
		{10 * s, 1 * s, 10 * s},   // fast VDM: the window holds 10 reads already
		{20 * s, 5 * s, 40 * s},   // 30 s of reads, rounded up to whole windows
		{10 * s, 60 * s, 60 * s},  // slow VDM: one read a window at most
		{10 * s, 0, 10 * s},       // cadence unknown: the window itself
		{10 * s, 1 << 62, 60 * s}, // 6 reads would overflow a Duration
	} {
		if got := VDMWindow(tc.window, tc.vdm); got != tc.want {
			t.Errorf("VDMWindow(%v, %v) = %v, want %v", tc.window, tc.vdm, got, tc.want)
		}
	}
}

func TestFieldClasses(t *testing.T) {
	rs := rules(30*time.Second, 10*time.Second)
	for _, tc := range []struct {
		measurement, key string
		kind             exporter.Kind
		want             fieldClass
	}{
		{schema.XcvrLane, schema.TxPowerMW, exporter.Float, classStatistic},
		{schema.XcvrLane, schema.RxPowerMW, exporter.Float, classStatistic},
		{schema.XcvrLane, schema.TxBiasMA, exporter.Float, classStatistic},
		{schema.XcvrLane, schema.TxPowerDBM, exporter.Float, classDerived},
		{schema.XcvrLane, schema.RxPowerDBM, exporter.Float, classDerived},
		{schema.XcvrLane, "rx_los", exporter.Bool, classState},
		{schema.XcvrLane, schema.DataPathState, exporter.String, classState},
		{schema.XcvrLaser, schema.PowerDBM, exporter.Float, classDerived},
		{schema.XcvrLaser, schema.PowerMW, exporter.Float, classStatistic},
		{schema.XcvrVDM, schema.Value, exporter.Float, classStatistic},
		{schema.XcvrVDM, schema.HighAlarmThreshold, exporter.Float, classState},
		{schema.XcvrVDM, schema.TypeID, exporter.Int, classState},
		{schema.XcvrEnergy, schema.DataRateGbps, exporter.Float, classState},
		{schema.XcvrEnergy, schema.PJPerBit, exporter.Float, classStatistic},
		{schema.XcvrModule, schema.TemperatureC, exporter.Float, classStatistic},
		{schema.XcvrModule, schema.TemperatureC, exporter.Int, classState}, // only floats are folded
		{schema.XcvrModule, "an_unlisted_float", exporter.Float, classState},
	} {
		r := rs[tc.measurement]
		if r == nil {
			t.Fatalf("%s has no rule", tc.measurement)
		}
		if got := r.class(&exporter.Field{Key: tc.key, Kind: tc.kind}); got != tc.want {
			t.Errorf("%s %s (kind %v): class %d, want %d", tc.measurement, tc.key, tc.kind, got, tc.want)
		}
	}
	for _, m := range []string{schema.XcvrInfo, schema.XcvrAgent, schema.XcvrFlight, schema.XcvrFlagEvent} {
		if rs[m] != nil {
			t.Errorf("%s is reduced; it keeps full resolution", m)
		}
	}
	if rs[schema.XcvrVDM].window != 60*time.Second || rs[schema.XcvrLane].window != 30*time.Second {
		t.Errorf("windows: vdm %v, lane %v; want 60s and 30s", rs[schema.XcvrVDM].window, rs[schema.XcvrLane].window)
	}
}

// dbmLane is an xcvr_lane point with mW and its dBm, as the decoder writes it.
func dbmLane(ts, mw float64, los bool) exporter.Point {
	p := lane("p1", "1", ts, mw, los)
	p.AddFloat(schema.RxPowerDBM, 10) // the value does not matter: it is never sent
	return p
}

func vdm(ts, v float64) exporter.Point { return vdmOf("esnr", ts, v) }

func vdmOf(observable string, ts, v float64) exporter.Point {
	p := exporter.NewPoint(schema.XcvrVDM, at(ts))
	p.AddTag(schema.TagHost, "h").AddTag(schema.TagPort, "p1").AddTag(schema.TagLane, "1").AddTag(schema.TagObservable, observable)
	p.AddFloat(schema.Value, v).AddFloat(schema.HighAlarmThreshold, 30).AddInt(schema.TypeID, 5)
	return p
}

// TestReducedRules checks each rule of the reduced export on the points it
// writes: dBm never sent (windows, state points, late samples), times of
// min and max as ms offsets from the window's start (a cut window's too),
// none for a constant, and VDM over its longer window.
func TestReducedRules(t *testing.T) {
	tests := []struct {
		name    string
		batches [][]exporter.Point
		check   func(t *testing.T, windows, others []exporter.Point)
	}{
		{
			name: "dBm left out of windows, state points and late samples",
			// p2's read at 16 sends p1's window (the sweep): p1's read
			// of 9.5 is late for it.
			batches: [][]exporter.Point{{dbmLane(0, 1, false), dbmLane(1, 2, true)}, {info("p2", "X", 16)}, {dbmLane(9.5, 4, false)}},
			check: func(t *testing.T, windows, others []exporter.Point) {
				if len(windows) != 1 || len(others) != 3 { // 2 state points (los false, true) and the late sample
					t.Fatalf("%d windows and %d other points, want 1 and 3: %+v %+v", len(windows), len(others), windows, others)
				}
				for _, p := range append(windows, others...) {
					for _, f := range p.Fields {
						if f.Key == schema.RxPowerDBM || f.Key == schema.RxPowerDBM+schema.StatMean || f.Key == schema.RxPowerDBM+schema.StatMin {
							t.Errorf("%s sent at %v", f.Key, p.Time)
						}
					}
				}
				if f, ok := others[2].Field(schema.RxPowerMW); !ok || f.F != 4 {
					t.Errorf("the late sample lost its mW: %+v", others[2])
				}
			},
		},
		{
			name: "offsets in ms from the start, also of a window cut by a module swap",
			batches: [][]exporter.Point{
				{info("p1", "A", 0), lane("p1", "1", 0.25, 5, false)}, {lane("p1", "1", 1.5, 1, false)},
				{info("p1", "B", 3.5), lane("p1", "1", 3.5, 9, false)}, {lane("p1", "1", 7.125, 2, false)},
			},
			check: func(t *testing.T, windows, _ []exporter.Point) {
				// The first window starts at its first read (0.25).
				want := map[time.Duration][2]int64{250 * time.Millisecond: {1250, 0}, 3500 * time.Millisecond: {3625, 0}}
				if len(windows) != 2 {
					t.Fatalf("%d windows, want 2", len(windows))
				}
				for _, p := range windows {
					w, ok := want[p.Time.Sub(t0)]
					lo, _ := p.Field(schema.RxPowerMW + schema.StatMinOffsetMS)
					hi, _ := p.Field(schema.RxPowerMW + schema.StatMaxOffsetMS)
					if !ok || lo.I != w[0] || hi.I != w[1] || lo.Kind != exporter.Int {
						t.Errorf("window at %v: min at +%d ms, max at +%d ms; want %v", p.Time.Sub(t0), lo.I, hi.I, w)
					}
				}
			},
		},
		{
			name:    "a constant has min, mean and max and no times",
			batches: [][]exporter.Point{{lane("p1", "1", 0, 2, false), lane("p1", "1", 1, 2, false), lane("p1", "1", 2, 2, false)}},
			check: func(t *testing.T, windows, _ []exporter.Point) {
				if len(windows) != 1 {
					t.Fatalf("%d windows, want 1", len(windows))
				}
				p := windows[0]
				for _, suf := range []string{schema.StatMin, schema.StatMean, schema.StatMax} {
					if f, ok := p.Field(schema.RxPowerMW + suf); !ok || f.F != 2 {
						t.Errorf("%s = %v (%v), want 2", schema.RxPowerMW+suf, f.F, ok)
					}
				}
				for _, suf := range []string{schema.StatMinOffsetMS, schema.StatMaxOffsetMS} {
					if hasField(p, schema.RxPowerMW+suf) {
						t.Errorf("constant rx_power_mw has %s", suf)
					}
				}
			},
		},
		{
			name: "VDM read every 10 s: one 60 s window of 6 reads, thresholds sent once",
			batches: func() [][]exporter.Point {
				var b [][]exporter.Point
				for i := range 7 {
					b = append(b, []exporter.Point{vdm(float64(10*i), float64(20+i))})
				}
				return b
			}(),
			check: func(t *testing.T, windows, others []exporter.Point) {
				if len(windows) != 2 || len(others) != 1 {
					t.Fatalf("%d windows and %d other points, want 2 and 1 (the thresholds): %+v", len(windows), len(others), windows)
				}
				p := windows[0]
				n, _ := p.Field(schema.WindowSamples)
				ns, _ := p.Field(schema.WindowNS)
				mean, _ := p.Field(schema.Value + schema.StatMean)
				hi, _ := p.Field(schema.Value + schema.StatMaxOffsetMS)
				if !p.Time.Equal(t0) || n.I != 6 || ns.I != int64(60*time.Second) || mean.F != 22.5 || hi.I != 50000 {
					t.Errorf("VDM window at %v: %d samples over %d ns, mean %v, max at +%d ms; want 6 over 60 s from t0, mean 22.5, max at +50000",
						p.Time.Sub(t0), n.I, ns.I, mean.F, hi.I)
				}
			},
		},
		{
			name: "a module's own VDM statistic keeps its one statistic",
			batches: func() [][]exporter.Point {
				var b [][]exporter.Point
				for i := range 6 {
					v := []float64{3, 1, 4, 1, 5, 9}[i]
					b = append(b, []exporter.Point{vdmOf("pre_fec_ber_min", float64(10*i), v),
						vdmOf("pre_fec_ber_max", float64(10*i), v), vdmOf("pre_fec_ber_avg", float64(10*i), v),
						vdmOf("pre_fec_ber", float64(10*i), v), vdmOf("sew_max", float64(10*i), v)})
				}
				return b
			}(),
			check: func(t *testing.T, windows, _ []exporter.Point) {
				v := schema.Value
				want := map[string]map[string]any{
					"pre_fec_ber_min": {v + schema.StatMin: 1.0, v + schema.StatMinOffsetMS: int64(10000)},
					"pre_fec_ber_max": {v + schema.StatMax: 9.0, v + schema.StatMaxOffsetMS: int64(50000)},
					"pre_fec_ber_avg": {v + schema.StatMean: 23.0 / 6},
					"pre_fec_ber": {v + schema.StatMin: 1.0, v + schema.StatMinOffsetMS: int64(10000), v + schema.StatMean: 23.0 / 6,
						v + schema.StatMax: 9.0, v + schema.StatMaxOffsetMS: int64(50000)},
					// sew_max is a current value (its name ends in _max).
					"sew_max": {v + schema.StatMin: 1.0, v + schema.StatMinOffsetMS: int64(10000), v + schema.StatMean: 23.0 / 6,
						v + schema.StatMax: 9.0, v + schema.StatMaxOffsetMS: int64(50000)},
				}
				if len(windows) != len(want) {
					t.Fatalf("%d windows, want %d", len(windows), len(want))
				}
				for _, p := range windows {
					obs := p.Tag(schema.TagObservable)
					got := map[string]any{}
					for _, f := range p.Fields {
						if f.Key != schema.WindowNS && f.Key != schema.WindowSamples {
							got[f.Key] = f.Value()
						}
					}
					if w := want[obs]; len(got) != len(w) {
						t.Errorf("%s: %v, want %v", obs, got, w)
					} else {
						for k, x := range w {
							if g, ok := got[k]; !ok || (k == v+schema.StatMean && math.Abs(g.(float64)-x.(float64)) > 1e-5) || (k != v+schema.StatMean && g != x) {
								t.Errorf("%s: %s = %v, want %v", obs, k, g, x)
							}
						}
					}
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{}
			s, err := New(rec, 10*time.Second, WithVDMInterval(10*time.Second))
			if err != nil {
				t.Fatal(err)
			}
			for _, b := range tc.batches {
				s.Write(b...)
			}
			if err := s.Close(context.Background()); err != nil {
				t.Fatal(err)
			}
			var windows, others []exporter.Point
			for _, p := range rec.points {
				if p.Measurement == schema.XcvrInfo {
					continue
				}
				if hasField(p, schema.WindowNS) {
					windows = append(windows, p)
				} else {
					others = append(others, p)
				}
			}
			tc.check(t, windows, others)
		})
	}
}

// TestOwnStatisticNamesObservables holds schema's OwnStatistic to the VDM
// observables cmis decodes (their names without the side, as tagged).
func TestOwnStatisticNamesObservables(t *testing.T) {
	known := map[string]bool{}
	for id := 1; id < 256; id++ {
		if o, ok := cmis.LookupObservable(uint8(id)); ok {
			known[strings.TrimSuffix(strings.TrimSuffix(o.Name, "_media"), "_host")] = true
		}
	}
	n := 0
	for _, m := range schema.ReducedStatistics() {
		for obs, stat := range m.OwnStatistic {
			n++
			if m.Measurement != schema.XcvrVDM || !known[obs] {
				t.Errorf("%s observable %q is not a VDM observable cmis decodes", m.Measurement, obs)
			}
			if stat != schema.StatMin && stat != schema.StatMax && stat != schema.StatMean {
				t.Errorf("%s keeps %q: not a window statistic", obs, stat)
			}
		}
	}
	if n != 9 {
		t.Errorf("%d own statistics, want the 9 of CMIS (pre-FEC BER, errored frames, SEW max: min, max, avg)", n)
	}
}
