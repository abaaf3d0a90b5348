package forecast

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"sort"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// series fills a history with one sample every step for days days from
// t0, value f(day) plus Gaussian noise of sd.
func series(scale Scale, days float64, step time.Duration, sd float64, seed uint64, f func(d float64) float64) *History {
	h := NewHistory(scale, 0, 0)
	r := rand.New(rand.NewPCG(seed, 1))
	for t := time.Duration(0); t <= time.Duration(days*24*float64(time.Hour)); t += step {
		d := t.Hours() / 24
		v := f(d) + sd*r.NormFloat64()
		if scale == Log10 {
			v = math.Pow(10, f(d)+sd*r.NormFloat64())
		}
		h.Add(t0.Add(t), v)
	}
	return h
}

func at(days float64) time.Time { return t0.Add(time.Duration(days * 24 * float64(time.Hour))) }

func TestHistoryBoundedAndOrderFree(t *testing.T) {
	h := NewHistory(Linear, time.Hour, 10*time.Hour)
	for i := 0; i < 30; i++ {
		h.Add(t0.Add(time.Duration(i)*time.Hour), float64(i))
	}
	if h.Len() != 10 || h.Buckets[0].Start != t0.Add(20*time.Hour).Unix() {
		t.Fatalf("len %d first %d: want the newest 10 buckets", h.Len(), h.Buckets[0].Start)
	}
	// Older than the bound: dropped. Inside: merged into its bucket.
	if h.Add(t0, 1) {
		t.Error("a sample older than the span was kept")
	}
	if !h.Add(t0.Add(25*time.Hour+time.Minute), 25) || h.Buckets[5].N != 2 {
		t.Errorf("out-of-order sample not merged into its bucket: %+v", h.Buckets[5])
	}
	// A gap filled later is inserted in order.
	g := NewHistory(Linear, time.Hour, 10*time.Hour)
	g.Add(t0.Add(5*time.Hour), 5)
	g.Add(t0.Add(1*time.Hour), 1)
	g.Add(t0.Add(3*time.Hour), 3)
	if err := g.Validate(); err != nil || g.Len() != 3 || g.Buckets[1].Sum != 3 {
		t.Fatalf("insert out of order: %v %+v", err, g.Buckets)
	}
	if g.Add(t0, math.NaN()) || g.Add(t0, math.Inf(1)) {
		t.Error("non-finite sample accepted")
	}
}

func TestHistoryJSONRoundTrip(t *testing.T) {
	h := series(Log10, 3, time.Minute, 0.1, 1, func(d float64) float64 { return -8 + 0.1*d })
	b, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	var g History
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	if err := g.Validate(); err != nil {
		t.Fatal(err)
	}
	r1 := h.Evaluate(at(3), nil, Options{})
	r2 := g.Evaluate(at(3), nil, Options{})
	if r1.Trend != r2.Trend {
		t.Errorf("decoded history fits differently:\n%+v\n%+v", r1.Trend, r2.Trend)
	}
	for _, bad := range []string{
		`{"scale":0,"bucket_s":0,"max_buckets":3,"buckets":[]}`,
		`{"scale":7,"bucket_s":60,"max_buckets":3,"buckets":[]}`,
		`{"scale":0,"bucket_s":60,"max_buckets":3,"buckets":[{"t":61,"n":1,"sum":1}]}`,
		`{"scale":0,"bucket_s":60,"max_buckets":3,"buckets":[{"t":120,"n":1,"sum":1},{"t":60,"n":1,"sum":1}]}`,
		`{"scale":0,"bucket_s":60,"max_buckets":1,"buckets":[{"t":60,"n":1,"sum":1},{"t":120,"n":1,"sum":1}]}`,
		`{"scale":0,"bucket_s":60,"max_buckets":3,"buckets":[{"t":60,"n":0,"sum":1}]}`,
		`{"scale":0,"bucket_s":1,"max_buckets":3,"buckets":[{"t":-9223372036854775000,"n":1,"sum":1}]}`,
		`{"scale":0,"bucket_s":60,"max_buckets":100000000,"buckets":[]}`,
	} {
		var h History
		if err := json.Unmarshal([]byte(bad), &h); err != nil {
			t.Fatal(err)
		}
		if h.Validate() == nil {
			t.Errorf("Validate accepted %s", bad)
		}
	}
}

func TestEvaluate(t *testing.T) {
	rxLow := []Limit{{Name: "low_warning", Value: 0.2}, {Name: "low_alarm", Value: 0.1}, {Name: "high_alarm", Value: 3, High: true}}
	for _, tc := range []struct {
		name     string
		h        *History
		at       float64
		limits   []Limit
		want     []string  // limit names crossed, soonest first
		wantDays []float64 // true days to each
		steps    int
	}{
		{"linear rx decline", series(Linear, 10, time.Minute, 0.01, 2, func(d float64) float64 { return 0.8 - 0.02*d }), 10, rxLow,
			[]string{"low_warning", "low_alarm"}, []float64{20, 25}, 0},
		{"stable rx", series(Linear, 20, time.Minute, 0.02, 3, func(d float64) float64 { return 0.8 }), 20, rxLow, nil, nil, 0},
		{"improving rx", series(Linear, 10, time.Minute, 0.01, 4, func(d float64) float64 { return 0.5 + 0.01*d }), 10, rxLow[:2], nil, nil, 0},
		{"step down is not a trend", series(Linear, 14, time.Minute, 0.01, 5, func(d float64) float64 {
			if d > 7 {
				return 0.5
			}
			return 0.8
		}), 14, rxLow, nil, nil, 1},
		{"step within a decline", series(Linear, 14, time.Minute, 0.01, 6, func(d float64) float64 {
			v := 0.9 - 0.02*d
			if d > 5 {
				v -= 0.2
			}
			return v
		}), 14, rxLow, []string{"low_warning", "low_alarm"}, []float64{(0.42 - 0.2) / 0.02, (0.42 - 0.1) / 0.02}, 1},
		{"BER grows a decade a week", series(Log10, 14, time.Minute, 0.05, 7, func(d float64) float64 { return -7 + d/7 }), 14,
			[]Limit{{Name: KP4LimitName, Value: KP4Limit, High: true}}, []string{KP4LimitName}, []float64{(math.Log10(KP4Limit) + 5) * 7}, 0},
		{"too short", series(Linear, 1, time.Minute, 0.01, 8, func(d float64) float64 { return 0.8 - 0.2*d }), 1, rxLow, nil, nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.h.Evaluate(at(tc.at), tc.limits, Options{})
			if len(r.Crossings) != len(tc.want) {
				t.Fatalf("crossings %+v, want %v (trend %+v)", r.Crossings, tc.want, r.Trend)
			}
			for i, c := range r.Crossings {
				if c.Limit.Name != tc.want[i] {
					t.Errorf("crossing %d: %s, want %s", i, c.Limit.Name, tc.want[i])
				}
				if e := math.Abs(c.Days-tc.wantDays[i]) / tc.wantDays[i]; e > 0.1 {
					t.Errorf("%s: %.2f days, truth %.2f (error %.0f %%)", c.Limit.Name, c.Days, tc.wantDays[i], 100*e)
				}
				if !(c.DaysLow <= tc.wantDays[i] && tc.wantDays[i] <= c.DaysHigh) {
					t.Errorf("%s: interval [%.2f, %.2f] misses the truth %.2f", c.Limit.Name, c.DaysLow, c.DaysHigh, tc.wantDays[i])
				}
			}
			if tc.h.Len() > 0 && r.Trend.OK && r.Trend.Steps != tc.steps {
				t.Errorf("steps %d, want %d", r.Trend.Steps, tc.steps)
			}
		})
	}
}

func TestCohort(t *testing.T) {
	c, ok := NewCohort([]float64{1, 1.1, 0.9, 1.0, 1.05, 0.95, 0.2})
	if !ok {
		t.Fatal("no cohort")
	}
	if z, _ := c.Z(0.2); z > -5 {
		t.Errorf("outlier z %.1f, want < -5", z)
	}
	if z, _ := c.Z(1.0); math.Abs(z) > 0.5 {
		t.Errorf("typical member z %.1f", z)
	}
	if _, ok := NewCohort([]float64{1, 2, math.NaN()}); ok {
		t.Error("cohort of 2 finite values")
	}
	flat, _ := NewCohort([]float64{3, 3, 3, 3})
	if z, ok := flat.Z(3); !ok || z != 0 {
		t.Error("member equal to a flat cohort should score 0")
	}
	if _, ok := flat.Z(4); ok {
		t.Error("infinite z reported")
	}
}

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		name string
		ev   Evidence
		want Cause
	}{
		{"module fault", Evidence{Lanes: 4, ModuleFault: true, RxLOSLanes: 4}, CauseModuleFault},
		{"fibre cut", Evidence{Lanes: 4, Lane: 2, RxLOSLanes: 4, RxLowLanes: 4, AlarmLaneRx: true}, CauseFarEndOrCut},
		{"LOS everywhere but Tx dead too", Evidence{Lanes: 4, RxLOSLanes: 4, TxLowLanes: 4}, CauseUnknown},
		{"host side", Evidence{Lanes: 8, HostLOL: true}, CauseHostSide},
		{"host errors with one lane's Rx low: the fibre", Evidence{Lanes: 8, HostVDMErrors: true, RxLowLanes: 1}, CauseDirtyFibre},
		{"thermal", Evidence{Lanes: 4, TempPerDay: 0.5, BiasPerDay: 0.2}, CauseThermal},
		{"laser ageing", Evidence{Lanes: 4, Lane: 1, BiasPerDay: 0.3, TxPowerPerDay: -0.01}, CauseLaserAgeing},
		{"bias up, Tx up: not ageing", Evidence{Lanes: 4, Lane: 1, BiasPerDay: 0.3, TxPowerPerDay: 0.01}, CauseUnknown},
		{"dirty fibre", Evidence{Lanes: 4, Lane: 3, RxLowLanes: 1, AlarmLaneRx: true}, CauseDirtyFibre},
		{"nothing", Evidence{Lanes: 4}, CauseUnknown},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := Classify(tc.ev)
			if d.Cause != tc.want {
				t.Errorf("cause %s (%v), want %s", d.Cause, d.Reasons, tc.want)
			}
			if len(d.Reasons) == 0 || d.Evidence != tc.ev {
				t.Errorf("diagnosis without its evidence: %+v", d)
			}
		})
	}
}

func TestNth(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for n := 1; n < 60; n++ {
		for _, dup := range []bool{false, true} {
			v := make([]float64, n)
			for i := range v {
				v[i] = r.NormFloat64()
				if dup {
					v[i] = float64(r.IntN(4))
				}
			}
			sorted := append([]float64(nil), v...)
			sort.Float64s(sorted)
			for k := 0; k < n; k++ {
				w := append([]float64(nil), v...)
				if got := nth(w, k); got != sorted[k] {
					t.Fatalf("n %d k %d: %v, want %v", n, k, got, sorted[k])
				}
				for i := range w {
					if (i < k && w[i] > w[k]) || (i > k && w[i] < w[k]) {
						t.Fatalf("n %d k %d: not partitioned at %d", n, k, i)
					}
				}
			}
		}
	}
}

func TestDropBefore(t *testing.T) {
	h := NewHistory(Linear, time.Hour, 0)
	for i := 0; i < 10; i++ {
		h.Add(t0.Add(time.Duration(i)*time.Hour), float64(i))
	}
	if n := h.DropBefore(t0.Add(3*time.Hour + 30*time.Minute)); n != 4 || h.Buckets[0].Start != t0.Add(4*time.Hour).Unix() {
		t.Errorf("dropped %d, first bucket %d: want 4 dropped, the bucket of the cut too", n, h.Buckets[0].Start)
	}
	if n := h.DropBefore(t0.Add(4 * time.Hour)); n != 0 {
		t.Errorf("a cut at a bucket's start dropped %d", n)
	}
}

// FuzzHistoryJSON: a history read back from a damaged state file either
// fails Validate or can be added to and evaluated without a panic.
func FuzzHistoryJSON(f *testing.F) {
	h := series(Linear, 3, 10*time.Minute, 0.01, 1, func(d float64) float64 { return 0.8 - 0.01*d })
	b, _ := json.Marshal(h)
	f.Add(b)
	f.Add([]byte(`{"scale":1,"bucket_s":86401,"max_buckets":2,"buckets":[{"t":0,"n":3,"sum":-1e308,"min":1,"max":-1}]}`))
	f.Add([]byte(`{"scale":0,"bucket_s":9223372036854775807,"max_buckets":1,"buckets":[]}`))
	f.Add([]byte(`{"scale":0,"bucket_s":1,"max_buckets":20,"buckets":[{"t":-9223372036854775000,"n":1,"sum":1},{"t":-8000000000000000000,"n":1,"sum":1},{"t":-7000000000000000000,"n":1,"sum":1},{"t":-6000000000000000000,"n":1,"sum":1},{"t":1767225600,"n":1,"sum":1},{"t":1767225700,"n":1,"sum":1},{"t":1767225800,"n":1,"sum":1},{"t":1767225900,"n":1,"sum":1},{"t":1767226000,"n":1,"sum":1},{"t":1767226100,"n":1,"sum":1},{"t":1767226200,"n":1,"sum":1}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var h History
		if json.Unmarshal(data, &h) != nil || h.Validate() != nil {
			return
		}
		h.Add(at(3), 0.5)
		h.Add(at(1), 0.7)
		h.Evaluate(at(3), []Limit{{Name: "low_warning", Value: 0.1}, {Name: "high_alarm", Value: 3, High: true}}, Options{})
		h.DropBefore(at(2))
		if _, ok := h.Current(at(3)); ok && h.Len() == 0 {
			t.Fatal("a current value from an empty history")
		}
	})
}

// TestCleanQuantizedRamp: a trend without noise, rounded as a module
// rounds its monitors, is forecast. Its rounding makes neighbouring
// buckets alike, which once widened the bounds past every pair slope to
// ±Inf and left the cleanest trend with no forecast.
func TestCleanQuantizedRamp(t *testing.T) {
	for _, q := range []float64{1e-4, 1e-3} {
		h := series(Linear, 10, 10*time.Second, 0, 1, func(d float64) float64 { return math.Round((0.8-0.003*d)/q) * q })
		r := h.Evaluate(at(10), []Limit{{Name: "low_warning", Value: 0.1}}, Options{})
		truth := (0.8 - 0.03 - 0.1) / 0.003
		if len(r.Crossings) != 1 || math.Abs(r.Crossings[0].Days-truth) > 0.01*truth {
			t.Errorf("rounded to %g: %+v, want a crossing in %.1f days (trend %+v)", q, r.Crossings, truth, r.Trend)
		}
	}
}

// An optical power that loses the same fraction each day (a dB-linear
// decline: a connector or fibre getting worse) is a decaying curve in mW.
// Fitted in mW it looked like levelling off and often got no crossing;
// fitted in dB it is a straight line, and its low-warning crossing is
// forecast within the error goal, with the trend still in mW per day.
func TestOpticalPowerDBDeclineForecast(t *testing.T) {
	for _, c := range []struct {
		name               string
		ratio, days, noise float64 // start / threshold, days to reach it, relative white noise
	}{
		{"10x in 40 days", 10, 40, 0.02},
		{"5x in 20 days", 5, 20, 0.01},
		{"8x in 60 days", 8, 60, 0.03},
		{"3x in 30 days", 3, 30, 0.02},
	} {
		t.Run(c.name, func(t *testing.T) {
			const thr = 0.1 // mW, the low warning
			v0 := c.ratio * thr
			curve := func(d float64) float64 { return v0 * math.Pow(thr/v0, d/c.days) }
			scale := ScaleOf("rx_power_mw")
			h := NewHistory(scale, 0, 0)
			r := rand.New(rand.NewPCG(uint64(c.ratio*c.days), 7))
			limits := []Limit{{Name: "low_warning", Value: thr}, {Name: "low_alarm", Value: thr / 2}}
			next := 0
			// The days the curve is 25, 50 and 75 % of the way in mW.
			var evals []float64
			for _, f := range []float64{0.25, 0.5, 0.75} {
				evals = append(evals, c.days*math.Log(1-f*(1-thr/v0))/math.Log(thr/v0))
			}
			for s := 0; ; s++ {
				d := float64(s) * 10 / (24 * 60)
				if next < len(evals) && d >= evals[next] {
					if d >= 2.5 { // the fit needs 2 days
						res := h.Evaluate(at(d), limits, Options{})
						truth := c.days - d
						if len(res.Crossings) == 0 || res.Crossings[0].Limit.Name != "low_warning" {
							t.Errorf("day %.1f (%.0f %% of the way): no low-warning crossing forecast (truth %.1f days); trend %+v", d, 100*[]float64{0.25, 0.5, 0.75}[next], truth, res.Trend)
						} else if e := math.Abs(res.Crossings[0].Days-truth) / truth; e > 0.2 {
							t.Errorf("day %.1f: crossing in %.1f days, truth %.1f: error %.0f %%", d, res.Crossings[0].Days, truth, 100*e)
						}
						want := curve(d) * math.Log(thr/v0) / c.days // mW per day now
						if got := res.Trend.UnitPerDay; math.Abs(got-want) > 0.25*math.Abs(want) {
							t.Errorf("day %.1f: trend %.4g mW/day, want about %.4g", d, got, want)
						}
					}
					next++
				}
				if next == len(evals) {
					break
				}
				h.Add(at(d), curve(d)*(1+c.noise*r.NormFloat64()))
			}
		})
	}
}

// A history saved in mW by an older ddm carries over to the dB scale with
// the same bucket values.
func TestHistoryRescaledToDB(t *testing.T) {
	h := NewHistory(Linear, 0, 0)
	for i, v := range []float64{0.5, 0.52, 0.48, 0.3, 0} {
		h.Add(t0.Add(time.Duration(i)*time.Minute), v)
	}
	h.Add(t0.Add(3*time.Hour), 0.25)
	g, err := h.Rescaled(DB)
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Validate(); err != nil {
		t.Fatal(err)
	}
	for i, b := range g.Buckets {
		want, _ := DB.ToModel(h.Buckets[i].Value())
		if math.Abs(b.Value()-want) > 1e-9 || b.N != h.Buckets[i].N || g.Scale != DB {
			t.Errorf("bucket %d: %.4f dBm (n %d), want %.4f (n %d)", i, b.Value(), b.N, want, h.Buckets[i].N)
		}
	}
	if h.Scale != Linear {
		t.Error("Rescaled changed the original")
	}
}
