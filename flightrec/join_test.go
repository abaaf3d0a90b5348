package flightrec

import (
	"testing"
	"time"
)

// TestTriggersJoin: triggers on a port whose flight is open (before its
// trigger or inside its after-window) join it, each recorded once with
// its time and cause, the after-window extended to 30 s past the latest
// (at most MaxAfterFactor × After past the opening); a trigger after the
// window opens the next flight; no reading is handed out twice.
func TestTriggersJoin(t *testing.T) {
	for _, tc := range []struct {
		name     string
		triggers []float64 // seconds after the first read of the trigger phase, in arrival order
		until    int       // seconds read
		want     []int     // triggers per flight, in order
		lastEnd  float64   // the last flight's after-window end
	}{
		// One pulse latches LOS and LOL in the same scan, and the alarm
		// it causes fires at the next fast read.
		{"one pulse, three flags", []float64{0.5, 0.5, 1}, 40, []int{3}, 31},
		// The alarm evaluated on the fast read before the scan's LOS
		// arrives after it: before the flight's trigger, it joins.
		{"before the trigger", []float64{2.5, 2}, 40, []int{2}, 32.5},
		{"inside the after-window", []float64{0, 20, 45}, 80, []int{3}, 75},
		{"after the after-window", []float64{0, 31}, 70, []int{1, 1}, 61},
		// A lane that flaps every 20 s for 10 minutes: flights of at most
		// 90 s after their opening (MaxAfterFactor 3).
		{"bounded", func() []float64 {
			var s []float64
			for x := 0.0; x < 600; x += 20 {
				s = append(s, x)
			}
			return s
		}(), 700, []int{5, 5, 5, 5, 5, 5}, 500 + 90},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := New(Options{})
			feed(r, "p", -100, 0, 8)
			at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
			var flights []string
			per := map[string]int{}
			var lastUntil time.Time
			seen := map[Record]bool{}
			note := func(f *Flight) {
				for _, rec := range f.Records {
					rec.TxPowerMW = 0
					if seen[rec] {
						t.Errorf("reading %v lane %d handed out twice", rec.Time, rec.Lane)
					}
					seen[rec] = true
				}
				if len(f.Triggers) > 0 {
					if per[f.ID] == 0 {
						flights = append(flights, f.ID)
					}
					per[f.ID] += len(f.Triggers)
				}
				lastUntil = f.Until
			}
			next := 0
			for _, tr := range tc.triggers {
				for ; float64(next) <= tr; next++ {
					for _, f := range feedFlights(r, "p", next, 8) {
						note(&f)
					}
				}
				f := r.Trigger("p", "rx_los/lane6", at(tr))
				if len(f.Triggers) != 1 || !f.Triggers[0].At.Equal(at(tr)) {
					t.Errorf("trigger at %v handed out %v", tr, f.Triggers)
				}
				note(&f)
			}
			for ; next < tc.until; next++ {
				for _, f := range feedFlights(r, "p", next, 8) {
					note(&f)
				}
			}
			got := make([]int, len(flights))
			for i, id := range flights {
				got[i] = per[id]
			}
			if len(got) != len(tc.want) || func() bool {
				for i := range got {
					if got[i] != tc.want[i] {
						return true
					}
				}
				return false
			}() {
				t.Errorf("triggers per flight %v, want %v", got, tc.want)
			}
			if !lastUntil.Equal(at(tc.lastEnd)) {
				t.Errorf("last after-window ends at %v, want %v", lastUntil.Sub(t0), at(tc.lastEnd).Sub(t0))
			}
		})
	}
}

// feedFlights adds one read of second s and returns what it handed out.
func feedFlights(r *Recorder, port string, s, lanes int) []Flight {
	recs := make([]Record, lanes+1)
	for l := range recs {
		recs[l] = Record{Time: t0.Add(time.Duration(s) * time.Second), Lane: l, TxPowerMW: float32(s)}
	}
	if f := r.Add(port, recs...); f != nil {
		return []Flight{*f}
	}
	return nil
}

// TestRingFollowsModule: a port's ring holds the window before a trigger
// for its module: its lanes' fast reads and scans and its VDM
// observables at the configured cadences, resized (newest kept) when a
// module of another shape comes.
func TestRingFollowsModule(t *testing.T) {
	o := New(Options{}).Options()
	fast, vdm := readsIn(o.Before, o.Interval), readsIn(o.Before, o.VDMInterval)
	r := New(Options{})
	read := func(s, lanes, vdms int) {
		feed(r, "p", s, s+1, lanes)
		if vdms > 0 && s%10 == 0 {
			recs := make([]Record, vdms)
			for i := range recs {
				recs[i] = Record{Time: t0.Add(time.Duration(s)*time.Second + 300*time.Millisecond), Lane: 1 + i%lanes, VDM: uint8(1 + i/lanes), Value: 1e-6}
			}
			r.Add("p", recs...)
		}
	}
	for _, step := range []struct {
		name        string
		lanes, vdms int
	}{
		{"8 lanes", 8, 0},
		{"8 lanes with 24 VDM observables", 8, 24},
		{"swapped for 4 lanes, 8 VDM", 4, 8},
		{"swapped for 16 lanes, 48 VDM", 16, 48},
		{"1 lane (SFF-8472)", 1, 0},
	} {
		for s := 0; s < 200; s++ {
			read(s, step.lanes, step.vdms)
		}
		want := fast*(1+step.lanes) + fast*step.lanes + vdm*step.vdms
		if got := r.Capacity("p"); got != want {
			t.Errorf("%s: ring of %d readings, want %d", step.name, got, want)
		}
		// The ring holds the minute before (at least 60 s of every kind).
		w := r.Window("p")
		if span := w[len(w)-1].Time.Sub(w[0].Time); span < o.Before {
			t.Errorf("%s: the ring spans %v, want at least %v", step.name, span, o.Before)
		}
	}
	if got, want := r.HeldBytes(), r.Capacity("p")*32; got != want {
		t.Errorf("held %d bytes, want %d (32 a reading)", got, want)
	}
}
