package flightrec

import (
	"testing"
	"time"
)

// TestClockStepBackEndsFlights (after h12attack's F2): the wall clock
// steps while a port's flight is open. A step back of an hour (NTP
// correcting a clock that ran ahead) ends the flight: it does not take
// every reading until the clock catches up with its Until, and a link
// fault ten minutes later opens a flight of its own with its minute
// before. A step back shorter than the window before keeps the flight
// open (lengthened by the step); a step forward ends it.
func TestClockStepBackEndsFlights(t *testing.T) {
	for _, tc := range []struct {
		name string
		step time.Duration
		// maxHanded bounds the readings the first flight takes after the
		// step; ownFlight: a fault 10 minutes later opens its own flight.
		maxHanded int
	}{
		{"back 1h", -time.Hour, 0},
		{"back 70s, past the window before", -70 * time.Second, 0},
		{"back 10s", -10 * time.Second, 30 + 10 + 1},
		{"forward 1h", time.Hour, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := New(Options{})
			at := time.Date(2026, 12, 7, 1, 0, 0, 0, time.UTC)
			rd := func(at time.Time) Record { return Record{Time: at, Lane: 1, TxBiasMA: 7, TxPowerMW: 1, RxPowerMW: 1} }
			for i := range 30 {
				r.Add("p", rd(at.Add(time.Duration(i)*time.Second)))
			}
			first := r.Trigger("p", "rx_los/lane1", at.Add(29*time.Second))
			stepped := at.Add(30*time.Second + tc.step)
			handed := 0
			for i := range 600 {
				if g := r.Add("p", rd(stepped.Add(time.Duration(i)*time.Second))); g != nil {
					handed += len(g.Records)
				}
			}
			if handed > tc.maxHanded {
				t.Errorf("the flight open at the step took %d readings of the next 10 minutes, want at most %d", handed, tc.maxHanded)
			}
			f := r.Trigger("p", "rx_los/lane1", stepped.Add(600*time.Second))
			if f.ID == first.ID || len(f.Records) < 60 {
				t.Errorf("a link fault 10 minutes after the step: flight %s with %d readings before it (the flight before the step: %s), want its own with the minute before",
					f.ID, len(f.Records), first.ID)
			}
		})
	}
}
