package winstat

import (
	"context"
	"fmt"
	"math"
	"sort"
	"testing"
	"time"

	"github.com/ddm-agent/ddm/exporter"
	"github.com/ddm-agent/ddm/schema"
)

// read is one read of lane p/LANE at s seconds after t0; its rx_power_mw
// is s, so a window's rx minimum and maximum say which reads it holds.
type read struct {
	lane string
	s    float64
}

// reads are lane's reads from from to to (both included), a second apart.
func reads(lane string, from, to float64) []read {
	var out []read
	for s := from; s <= to; s++ {
		out = append(out, read{lane, s})
	}
	return out
}

func join(parts ...[]read) []read {
	var out []read
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// span is a window point a test expects: its lane, start, length and
// sample count (seconds).
type span struct {
	lane          string
	start, length float64
	samples       int64
}

// TestWindowStartsAndClockSteps: what a window is when ddm restarts within
// it and when the wall clock steps. Whatever happens, every read is
// written (in a window or as it is), a window point holds only reads
// within its span (start to start + window_ns), and no two window points
// of a series share a time: InfluxDB keeps one point per series and time,
// so a second one would overwrite the first's statistics.
func TestWindowStartsAndClockSteps(t *testing.T) {
	tests := []struct {
		name   string
		window time.Duration
		runs   [][]read // each a process: a Sink from New to Close
		want   []span
		raw    int // reads written as they are
		// atClose is how many window points the last Close writes
		// (the others were written before): the lanes' windows in
		// progress.
		atClose int
	}{
		{
			name:    "the first window starts at its first read, the next at the aligned start",
			window:  10 * time.Second,
			runs:    [][]read{reads("1", 3, 24)},
			want:    []span{{"1", 3, 7, 7}, {"1", 10, 10, 10}, {"1", 20, 4, 5}},
			atClose: 1,
		},
		{
			// Before: both processes' windows stamped 0, the second
			// overwrote the first's 20 reads.
			name:    "restart within a window: each process's window starts at its first read",
			window:  60 * time.Second,
			runs:    [][]read{reads("1", 2, 21), reads("1", 24, 43)},
			want:    []span{{"1", 2, 19, 20}, {"1", 24, 19, 20}},
			atClose: 1,
		},
		{
			name:    "restart in the next window",
			window:  60 * time.Second,
			runs:    [][]read{reads("1", 50, 59), reads("1", 62, 69)},
			want:    []span{{"1", 50, 9, 10}, {"1", 62, 7, 8}},
			atClose: 1,
		},
		{
			// Before: the reads of 10 to 59 went into the window of
			// 3600 (stamped an hour ahead, window_ns 3 s).
			name:   "clock an hour ahead for one read: its window ends at the step back",
			window: 10 * time.Second,
			runs:   [][]read{join(reads("1", 1, 2), reads("1", 3603, 3603), reads("1", 4, 59))},
			// Until the clock is past 3603, a window starts at its
			// first read, and a read on an aligned start (10, 20, ...)
			// is written as it is: the window of 3600 is stamped on
			// one.
			want: []span{{"1", 1, 9, 2}, {"1", 3600, 3, 1}, {"1", 4, 6, 6}, {"1", 11, 9, 9}, {"1", 21, 9, 9},
				{"1", 31, 9, 9}, {"1", 41, 9, 9}, {"1", 51, 8, 9}},
			raw:     5,
			atClose: 1,
		},
		{
			name:    "clock stepped back within the window's span: the reads stay in it",
			window:  10 * time.Second,
			runs:    [][]read{join(reads("1", 0, 5), reads("1", 3.5, 9.5))},
			want:    []span{{"1", 0, 9.5, 13}},
			atClose: 1,
		},
		{
			name:    "clock stepped back before the window's start: it ends at its latest read",
			window:  10 * time.Second,
			runs:    [][]read{join(reads("1", 10, 14), reads("1", 7, 12))},
			want:    []span{{"1", 10, 4, 5}, {"1", 7, 3, 3}, {"1", 11, 1, 2}},
			raw:     1, // 10, where the first window is stamped
			atClose: 1,
		},
		{
			// Before: the windows of 40 and 50 were stamped again
			// when the clock came back to them.
			name:   "clock stepped back 39 s: no window stamped again when it catches up",
			window: 10 * time.Second,
			runs:   [][]read{join(reads("1", 40, 59), reads("1", 20, 69))},
			want: []span{{"1", 40, 10, 10}, {"1", 50, 9, 10}, {"1", 21, 9, 9}, {"1", 31, 9, 9}, {"1", 41, 9, 9},
				{"1", 51, 9, 9}, {"1", 60, 9, 10}},
			raw:     4, // 20, 30, 40, 50
			atClose: 1,
		},
		{
			// Lane 2 is not read after 2.5: its window is sent by the
			// sweep, which follows the clock back (before: at Close).
			name:   "the sweep follows the clock back",
			window: 10 * time.Second,
			runs: [][]read{join(reads("1", 3600.5, 3600.5), reads("2", 3600.5, 3600.5), reads("1", 3601.5, 3601.5), reads("2", 3601.5, 3601.5),
				reads("1", 0.5, 0.5), reads("2", 0.5, 0.5), reads("1", 1.5, 1.5), reads("2", 1.5, 1.5), reads("2", 2.5, 2.5),
				reads("1", 2.5, 30.5))},
			want: []span{{"1", 3600.5, 1, 2}, {"2", 3600.5, 1, 2}, {"1", 0.5, 9.5, 10}, {"2", 0.5, 9.5, 3},
				{"1", 10.5, 9.5, 10}, {"1", 20.5, 9.5, 10}, {"1", 30.5, 0, 1}},
			atClose: 1,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{}
			total, beforeClose := 0, 0
			for _, run := range tc.runs {
				s, err := New(rec, tc.window)
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range run {
					s.Write(lane("p", r.lane, r.s, r.s, false))
				}
				total += len(run)
				beforeClose = countWindows(rec.points)
				if err := s.Close(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			got, raw := checkWindows(t, rec.points)
			if folded := sumSamples(got); int(folded)+raw != total {
				t.Errorf("%d reads in windows and %d as they are, want all %d", folded, raw, total)
			}
			if raw != tc.raw {
				t.Errorf("%d reads written as they are, want %d", raw, tc.raw)
			}
			if n := countWindows(rec.points) - beforeClose; n != tc.atClose {
				t.Errorf("Close wrote %d window points, want %d", n, tc.atClose)
			}
			sortSpans(got)
			want := append([]span(nil), tc.want...)
			sortSpans(want)
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("windows (lane start length samples):\n got %v\nwant %v", got, want)
			}
		})
	}
}

// checkWindows checks the window points' spans and identities and returns
// them with the count of reads written as they are.
func checkWindows(t *testing.T, points []exporter.Point) ([]span, int) {
	t.Helper()
	var out []span
	raw := 0
	stamped := map[string]bool{}
	for _, p := range points {
		ns, windowed := p.Field(schema.WindowNS)
		if !windowed {
			if hasField(p, schema.RxPowerMW) {
				raw++
			}
			continue
		}
		n, _ := p.Field(schema.WindowSamples)
		start := p.Time.Sub(t0).Seconds()
		length := time.Duration(ns.I).Seconds()
		out = append(out, span{p.Tag(schema.TagLane), start, length, n.I})
		id := fmt.Sprint(p.Tags, p.Time.UnixNano())
		if stamped[id] {
			t.Errorf("two window points of lane %s stamped %v: InfluxDB keeps the second", p.Tag(schema.TagLane), start)
		}
		stamped[id] = true
		lo, _ := p.Field(schema.RxPowerMW + schema.StatMin)
		hi, _ := p.Field(schema.RxPowerMW + schema.StatMax)
		if lo.F < start-1e-9 || hi.F > start+length+1e-9 || math.IsNaN(lo.F) {
			t.Errorf("window of lane %s from %v for %v s holds reads of %v to %v", p.Tag(schema.TagLane), start, length, lo.F, hi.F)
		}
	}
	return out, raw
}

func countWindows(points []exporter.Point) int {
	n := 0
	for _, p := range points {
		if hasField(p, schema.WindowNS) {
			n++
		}
	}
	return n
}

func sumSamples(spans []span) int64 {
	var n int64
	for _, s := range spans {
		n += s.samples
	}
	return n
}

func sortSpans(s []span) {
	sort.Slice(s, func(i, j int) bool {
		if s[i].lane != s[j].lane {
			return s[i].lane < s[j].lane
		}
		return s[i].start < s[j].start
	})
}
