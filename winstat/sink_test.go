package winstat

import (
	"context"
	"math"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ddm-agent/ddm/exporter"
	"github.com/ddm-agent/ddm/schema"
)

// recorder is a sink that keeps what it is given.
type recorder struct {
	mu            sync.Mutex
	points, now   []exporter.Point
	closed        bool
	discardWrites bool
}

func (r *recorder) Write(pts ...exporter.Point) {
	if r.discardWrites {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.points = append(r.points, pts...)
}

func (r *recorder) WriteNow(pts ...exporter.Point) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.now = append(r.now, pts...)
}

func (r *recorder) Close(context.Context) error { r.closed = true; return nil }

var t0 = time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)

func at(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }

// lane is an xcvr_lane point; rx < 0 leaves rx_power_mw out, NaN adds it
// as NaN (as a decoder bug would), los sets the LOS flag field.
func lane(port, lane string, ts float64, rx float64, los bool) exporter.Point {
	p := exporter.NewPoint(schema.XcvrLane, at(ts))
	p.AddTag(schema.TagHost, "h").AddTag(schema.TagPort, port).AddTag(schema.TagLane, lane)
	p.AddFloat(schema.TxBiasMA, 7)
	if math.IsNaN(rx) {
		p.Fields = append(p.Fields, exporter.Field{Key: schema.RxPowerMW, Kind: exporter.Float, F: rx})
	} else if rx >= 0 {
		p.AddFloat(schema.RxPowerMW, rx)
	}
	p.AddBool("rx_los", los)
	return p
}

func info(port, serial string, ts float64) exporter.Point {
	p := exporter.NewPoint(schema.XcvrInfo, at(ts))
	p.AddTag(schema.TagHost, "h").AddTag(schema.TagPort, port)
	p.AddString(schema.SerialNumber, serial)
	return p
}

func absent(port string, ts float64) exporter.Point {
	p := exporter.NewPoint(schema.XcvrModule, at(ts))
	p.AddTag(schema.TagHost, "h").AddTag(schema.TagPort, port)
	p.AddBool(schema.Present, false)
	return p
}

// window is what a test expects of one window point.
type window struct {
	port, lane           string
	start                float64
	length               float64
	samples              int64
	rxMin, rxMean, rxMax float64 // NaN: no rx fields
	rxMinAt, rxMaxAt     float64
}

// stateAt is a point sent for a change of the non-statistic fields.
type stateAt struct {
	port, lane string
	at         float64
	los        bool
}

func TestWindowStatistics(t *testing.T) {
	nan := math.NaN()
	steady := func(port, ln string, from, to int, rx func(int) float64) []exporter.Point {
		var pts []exporter.Point
		for i := from; i < to; i++ {
			pts = append(pts, lane(port, ln, float64(i), rx(i), false))
		}
		return pts
	}
	tests := []struct {
		name    string
		batches [][]exporter.Point
		windows []window
		states  []stateAt
		passed  int // points passed through as they are
	}{
		{
			name:    "steady lane, three windows",
			batches: [][]exporter.Point{steady("p1", "1", 0, 30, func(i int) float64 { return float64(i%10) + 1 })},
			windows: []window{
				{"p1", "1", 0, 10, 10, 1, 5.5, 10, 0, 9},
				{"p1", "1", 10, 10, 10, 1, 5.5, 10, 10, 19},
				{"p1", "1", 20, 9, 10, 1, 5.5, 10, 20, 29}, // flushed by Close, cut at the latest sample
			},
			states: []stateAt{{"p1", "1", 0, false}},
		},
		{
			name: "absent and NaN values are not samples of their field",
			batches: [][]exporter.Point{{
				lane("p1", "1", 0, -1, false), lane("p1", "1", 1, 2, false), lane("p1", "1", 2, nan, false),
				lane("p1", "1", 3, 4, false), lane("p1", "1", 12, -1, false),
			}},
			windows: []window{
				{"p1", "1", 0, 10, 4, 2, 3, 4, 1, 3},
				{"p1", "1", 10, 2, 1, nan, 0, 0, 0, 0},
			},
			states: []stateAt{{"p1", "1", 0, false}},
		},
		{
			name: "a flag keeps full resolution",
			batches: [][]exporter.Point{{
				lane("p1", "1", 0, 1, false), lane("p1", "1", 1, 1, true), lane("p1", "1", 2, 1, true),
				lane("p1", "1", 3, 1, false), lane("p1", "1", 4, 1, false),
			}},
			windows: []window{{"p1", "1", 0, 4, 5, 1, 1, 1, 0, 0}},
			states:  []stateAt{{"p1", "1", 0, false}, {"p1", "1", 1, true}, {"p1", "1", 3, false}},
		},
		{
			name: "module swap mid-window cuts the window",
			batches: [][]exporter.Point{
				{info("p1", "A", 0), lane("p1", "1", 0, 1, false)},
				{lane("p1", "1", 1, 3, false)},
				{info("p1", "B", 5), lane("p1", "1", 5, 9, false)},
				{lane("p1", "1", 6, 7, false)},
				{lane("p1", "1", 10, 7, false)},
			},
			windows: []window{
				{"p1", "1", 0, 5, 2, 1, 2, 3, 0, 1},
				{"p1", "1", 5, 5, 2, 7, 8, 9, 6, 5},
				{"p1", "1", 10, 0, 1, 7, 7, 7, 10, 10},
			},
			// The new module's fields are sent though equal to the old's.
			states: []stateAt{{"p1", "1", 0, false}, {"p1", "1", 5, false}},
			passed: 2, // the xcvr_info points
		},
		{
			name: "empty cage cuts the window and passes",
			batches: [][]exporter.Point{
				{lane("p1", "1", 0, 1, false)}, {lane("p1", "1", 1, 1, false)},
				{absent("p1", 2)},
				{lane("p1", "1", 7, 2, false)},
			},
			// The next module's window starts at its first read, not
			// at the empty cage's point, which is of the same series.
			windows: []window{{"p1", "1", 0, 2, 2, 1, 1, 1, 0, 0}, {"p1", "1", 7, 0, 1, 2, 2, 2, 7, 7}},
			states:  []stateAt{{"p1", "1", 0, false}, {"p1", "1", 7, false}},
			passed:  1,
		},
		{
			name: "lane count change: the lanes gone end with what they had",
			batches: func() [][]exporter.Point {
				var b [][]exporter.Point
				for i := 0; i < 25; i++ {
					var pts []exporter.Point
					lanes := []string{"1", "2"}
					if i >= 4 {
						lanes = lanes[:1]
					}
					for _, l := range lanes {
						pts = append(pts, lane("p1", l, float64(i), 1, false))
					}
					b = append(b, pts)
				}
				return b
			}(),
			windows: []window{
				{"p1", "1", 0, 10, 10, 1, 1, 1, 0, 0},
				{"p1", "1", 10, 10, 10, 1, 1, 1, 10, 10},
				{"p1", "1", 20, 4, 5, 1, 1, 1, 20, 20},
				{"p1", "2", 0, 10, 4, 1, 1, 1, 0, 0},
			},
			states: []stateAt{{"p1", "1", 0, false}, {"p1", "2", 0, false}},
		},
		{
			// p2's read at 16 sends p1's window (the sweep): p1's
			// read of 9.5, a stalled bus's, is late for it.
			name: "a sample late for a window already sent passes as it is",
			batches: [][]exporter.Point{
				{lane("p1", "1", 0, 1, false)}, {lane("p2", "1", 16, 2, false)}, {lane("p1", "1", 9.5, 3, false)},
			},
			windows: []window{{"p1", "1", 0, 10, 1, 1, 1, 1, 0, 0}, {"p2", "1", 16, 0, 1, 2, 2, 2, 16, 16}},
			states:  []stateAt{{"p1", "1", 0, false}, {"p2", "1", 16, false}},
			passed:  1,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{}
			s, err := New(rec, 10*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			for _, b := range tc.batches {
				s.Write(b...)
			}
			if err := s.Close(context.Background()); err != nil || !rec.closed {
				t.Fatalf("Close: %v, inner closed %v", err, rec.closed)
			}
			var gotW []exporter.Point
			var gotS []stateAt
			passed := 0
			for _, p := range rec.points {
				switch {
				case hasField(p, schema.WindowNS):
					gotW = append(gotW, p)
				case p.Measurement == schema.XcvrLane && len(p.Fields) == 1 && p.Fields[0].Key == "rx_los":
					gotS = append(gotS, stateAt{p.Tag(schema.TagPort), p.Tag(schema.TagLane), p.Time.Sub(t0).Seconds(), p.Fields[0].B})
				default:
					passed++
				}
			}
			if passed != tc.passed {
				t.Errorf("passed through %d points, want %d: %+v", passed, tc.passed, rec.points)
			}
			if len(gotS) != len(tc.states) {
				t.Fatalf("state points %+v, want %+v", gotS, tc.states)
			}
			for i := range gotS {
				if gotS[i] != tc.states[i] {
					t.Errorf("state point %d = %+v, want %+v", i, gotS[i], tc.states[i])
				}
			}
			if len(gotW) != len(tc.windows) {
				t.Fatalf("%d window points, want %d: %+v", len(gotW), len(tc.windows), gotW)
			}
			for _, w := range tc.windows {
				p := findWindow(gotW, w)
				if p == nil {
					t.Errorf("no window point for %+v in %+v", w, gotW)
					continue
				}
				checkWindow(t, p, w)
			}
		})
	}
}

func hasField(p exporter.Point, key string) bool { _, ok := p.Field(key); return ok }

func findWindow(pts []exporter.Point, w window) *exporter.Point {
	for i := range pts {
		p := &pts[i]
		if p.Tag(schema.TagPort) == w.port && p.Tag(schema.TagLane) == w.lane && p.Time.Equal(at(w.start)) {
			return p
		}
	}
	return nil
}

func checkWindow(t *testing.T, p *exporter.Point, w window) {
	t.Helper()
	num := func(key string) any {
		f, ok := p.Field(key)
		if !ok {
			return nil
		}
		return f.Value()
	}
	want := map[string]any{
		schema.WindowNS:                   int64(w.length * float64(time.Second)),
		schema.WindowSamples:              w.samples,
		schema.TxBiasMA + schema.StatMean: 7.0,
	}
	rx := schema.RxPowerMW
	// tx_bias_ma is 7 in every sample: a constant has no times.
	want[schema.TxBiasMA+schema.StatMinOffsetMS], want[schema.TxBiasMA+schema.StatMaxOffsetMS] = nil, nil
	switch {
	case math.IsNaN(w.rxMin):
		for _, suf := range []string{schema.StatMin, schema.StatMean, schema.StatMax, schema.StatMinOffsetMS, schema.StatMaxOffsetMS} {
			want[rx+suf] = nil
		}
	case w.rxMin == w.rxMax:
		want[rx+schema.StatMin], want[rx+schema.StatMean], want[rx+schema.StatMax] = w.rxMin, w.rxMean, w.rxMax
		want[rx+schema.StatMinOffsetMS], want[rx+schema.StatMaxOffsetMS] = nil, nil
	default:
		want[rx+schema.StatMin], want[rx+schema.StatMean], want[rx+schema.StatMax] = w.rxMin, w.rxMean, w.rxMax
		want[rx+schema.StatMinOffsetMS] = at(w.rxMinAt).Sub(at(w.start)).Milliseconds()
		want[rx+schema.StatMaxOffsetMS] = at(w.rxMaxAt).Sub(at(w.start)).Milliseconds()
	}
	want["rx_los"] = nil // flags are never in a window point
	for k, v := range want {
		if got := num(k); got != v {
			t.Errorf("window %s@%v: %s = %v, want %v", w.port+"/"+w.lane, w.start, k, got, v)
		}
	}
}

func TestPassThroughAndUrgent(t *testing.T) {
	rec := &recorder{}
	s, _ := New(rec, 30*time.Second)
	alarm := exporter.NewPoint(schema.XcvrAlarm, at(0))
	alarm.AddTag(schema.TagPort, "p1").AddBool(schema.Firing, true)
	flag := exporter.NewPoint(schema.XcvrFlagEvent, at(0.1))
	flag.AddTag(schema.TagPort, "p1").AddInt(schema.FlagCount, 1)
	s.Write(alarm)
	exporter.WriteNow(s, flag)
	if len(rec.points) != 1 || rec.points[0].Measurement != schema.XcvrAlarm {
		t.Errorf("written %+v, want the alarm point as it is", rec.points)
	}
	if len(rec.now) != 1 || rec.now[0].Measurement != schema.XcvrFlagEvent {
		t.Errorf("urgent lane got %+v, want the flag event", rec.now)
	}
}

func TestCheckWindow(t *testing.T) {
	for _, tc := range []struct {
		d  time.Duration
		ok bool
	}{{9 * time.Second, false}, {10 * time.Second, true}, {30 * time.Second, true}, {60 * time.Second, true}, {61 * time.Second, false}, {0, false},
		{12 * time.Second, true}, {15 * time.Second, true}, {20 * time.Second, true},
		{17 * time.Second, false}, {45 * time.Second, false}, {10*time.Second + time.Millisecond, false}} {
		if err := CheckWindow(tc.d); (err == nil) != tc.ok {
			t.Errorf("CheckWindow(%v) = %v, want ok %v", tc.d, err, tc.ok)
		}
		if _, err := New(&recorder{}, tc.d, WithVDMInterval(10*time.Second)); (err == nil) != tc.ok {
			t.Errorf("New(%v) = %v, want ok %v", tc.d, err, tc.ok)
		}
	}
}

// TestNoAllocationPerSample holds the fold to no allocation per sample
// once a series' accumulators exist (within a window, no change).
func TestNoAllocationPerSample(t *testing.T) {
	s, _ := New(&recorder{discardWrites: true}, 60*time.Second)
	pts := make([]exporter.Point, 8)
	for i := range pts {
		pts[i] = lane("p1", string(rune('1'+i)), 0, 1, false)
	}
	s.Write(pts...)
	i := 0
	allocs := testing.AllocsPerRun(50, func() {
		i++
		for j := range pts {
			pts[j].Time = at(float64(i) / 10)
		}
		s.Write(pts...)
	})
	if allocs != 0 {
		t.Errorf("%v allocations per Write of 8 samples, want 0", allocs)
	}
}

func TestSignificant(t *testing.T) {
	for _, tc := range []struct {
		in   float64
		want string
	}{
		{0.5012000000000001, "0.5012"},
		{35.00390625, "35.0039"},
		{0, "0"},
		{-40.123456789, "-40.1235"},
		{1.23456789e-10, "1.23457e-10"},
		{123456789, "1.23457e+08"},
		{7, "7"},
		{1.0 / 3, "0.333333"},
	} {
		if got := strconv.FormatFloat(significant(tc.in), 'g', -1, 64); got != tc.want {
			t.Errorf("significant(%v) prints %s, want %s", tc.in, got, tc.want)
		}
	}
}
