package flightrec

import (
	"testing"
	"time"
)

var t0 = time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)

// feed adds one reading of lanes 0..lanes per second from second from to
// second to (exclusive) and returns the flight readings Add handed out.
func feed(r *Recorder, port string, from, to, lanes int) []Record {
	var out []Record
	for s := from; s < to; s++ {
		recs := make([]Record, lanes+1)
		for l := range recs {
			recs[l] = Record{Time: t0.Add(time.Duration(s) * time.Second), Lane: l, TxPowerMW: float32(s)}
		}
		if f := r.Add(port, recs...); f != nil {
			out = append(out, f.Records...)
		}
	}
	return out
}

func TestRecorderWindows(t *testing.T) {
	for _, tc := range []struct {
		name                  string
		opts                  Options
		history               int   // seconds read before the trigger
		triggers              []int // seconds of the triggers (from the first)
		after                 int   // seconds read after the first trigger
		wantBefore, wantAfter int   // readings handed out by the triggers, by Add
		wantFlights           int
	}{
		{"defaults", Options{}, 120, []int{0}, 60, 61 * 2, 30 * 2, 1},
		{"short history", Options{}, 10, []int{0}, 60, 10 * 2, 30 * 2, 1},
		// A ring sized for reads every 10 s (7 reads of the module and its
		// lane, 7 scans of the lane) read every second keeps the newest.
		{"ring sized for a slower cadence keeps the newest", Options{Interval: 10 * time.Second}, 120, []int{0}, 60, 21, 30 * 2, 1},
		// A second trigger 10 s after the first joins its flight and
		// extends the after-window to 30 s after itself.
		{"overlap joins", Options{}, 120, []int{0, 10}, 60, 61 * 2, 40 * 2, 1},
		// A trigger after the window ended (30 s) opens a flight with the
		// readings not handed out (31 s to 45 s).
		{"after the window", Options{}, 120, []int{0, 45}, 60, 61*2 + 15*2, 30*2 + 14*2, 2},
		{"window options", Options{Before: 5 * time.Second, After: 3 * time.Second}, 120, []int{0}, 60, 6 * 2, 3 * 2, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := New(tc.opts)
			feed(r, "p", -tc.history+1, 1, 1) // up to the trigger's second
			var before, after int
			ids := map[string]bool{}
			seen := map[time.Time]map[int]bool{}
			note := func(recs []Record) {
				for _, rec := range recs {
					if seen[rec.Time] == nil {
						seen[rec.Time] = map[int]bool{}
					}
					if seen[rec.Time][rec.Lane] {
						t.Errorf("reading at %v lane %d handed out twice", rec.Time, rec.Lane)
					}
					seen[rec.Time][rec.Lane] = true
				}
			}
			next := 1
			for _, tr := range tc.triggers {
				if tr > 0 {
					recs := feed(r, "p", next, tr+1, 1)
					note(recs)
					after += len(recs)
					next = tr + 1
				}
				f := r.Trigger("p", "rx_los/lane1", t0.Add(time.Duration(tr)*time.Second))
				ids[f.ID] = true
				note(f.Records)
				before += len(f.Records)
			}
			recs := feed(r, "p", next, tc.after, 1)
			note(recs)
			after += len(recs)
			if before != tc.wantBefore || after != tc.wantAfter {
				t.Errorf("readings: %d by the triggers, %d after; want %d and %d", before, after, tc.wantBefore, tc.wantAfter)
			}
			if len(ids) != tc.wantFlights {
				t.Errorf("flight ids %v, want %d distinct", ids, tc.wantFlights)
			}
			if n := len(r.Window("p")); n > r.Capacity("p") {
				t.Errorf("ring holds %d readings, capacity %d", n, r.Capacity("p"))
			}
		})
	}
}

// TestRecorderPortsApart: a trigger on one port hands out nothing of
// another.
func TestRecorderPortsApart(t *testing.T) {
	r := New(Options{})
	feed(r, "a", 0, 10, 0)
	feed(r, "b", 0, 10, 0)
	f := r.Trigger("a", "x", t0.Add(9*time.Second))
	if len(f.Records) != 10 || f.Port != "a" {
		t.Fatalf("flight of a: %d readings of %s", len(f.Records), f.Port)
	}
	if got := feed(r, "b", 10, 20, 0); len(got) != 0 {
		t.Errorf("port b handed out %d readings for a's flight", len(got))
	}
}
