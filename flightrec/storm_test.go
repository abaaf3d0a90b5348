package flightrec

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestJournalBoundedInAStorm (after h12attack's F5): every lane of 8
// ports flaps every second for 15 minutes (virtual time), the journal
// saved every second as the pipeline does, with a bound of 2 MiB. The
// journal never passes its bound (plus one save's handouts); each port's
// newest flight is kept whole (every reading handed out for it); a
// flight lists at most MaxTriggers triggers and counts the others; what
// the bound dropped is counted once.
func TestJournalBoundedInAStorm(t *testing.T) {
	const bound = 2 << 20
	path := filepath.Join(t.TempDir(), FileName)
	r := New(Options{Journal: true, JournalBytes: bound})
	ports := []string{"p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8"}
	handed := map[string]int{}   // readings handed out per flight
	triggers := map[string]int{} // triggers sent per flight
	var maxSize, maxAppend int64
	droppedFlights, droppedReadings := 0, 0
	for s := -70; s < 900; s++ {
		before := int64(0)
		if st, err := os.Stat(path); err == nil {
			before = st.Size()
		}
		for _, p := range ports {
			for _, f := range feedFlights(r, p, s, 8) {
				handed[f.ID] += len(f.Records)
			}
			if s < 0 {
				continue
			}
			for l := 1; l <= 8; l++ {
				cause := fmt.Sprintf("rx_los/lane%d", l)
				if (s+l)%2 == 0 {
					cause = fmt.Sprintf("rx_cdr_lol/lane%d", l)
				}
				f := r.Trigger(p, cause, t0.Add(time.Duration(s)*time.Second+time.Duration(l)*time.Millisecond))
				handed[f.ID] += len(f.Records)
				triggers[f.ID]++
			}
		}
		if err := r.SaveFile(path); err != nil {
			t.Fatalf("second %d: %v", s, err)
		}
		fl, rd := r.TakeDropped()
		droppedFlights += fl
		droppedReadings += rd
		st, err := os.Stat(path)
		if s < 0 {
			continue // no flight yet: no journal
		}
		if err != nil {
			t.Fatal(err)
		}
		maxSize = max(maxSize, st.Size())
		if s > 0 {
			maxAppend = max(maxAppend, st.Size()-before)
		}
	}
	if maxSize > bound+maxAppend || maxAppend > 64<<10 {
		t.Errorf("the journal reached %d bytes (bound %d, a save appended at most %d)", maxSize, bound, maxAppend)
	}
	if droppedFlights == 0 || droppedReadings == 0 {
		t.Errorf("the bound dropped %d flights (%d readings), want them counted", droppedFlights, droppedReadings)
	}
	if fl, rd := r.TakeDropped(); fl != 0 || rd != 0 {
		t.Errorf("dropped counted twice: %d flights, %d readings", fl, rd)
	}
	for _, p := range ports {
		got, err := LoadPort(path, p)
		if err != nil || len(got) == 0 {
			t.Fatalf("%s: %d flights, %v", p, len(got), err)
		}
		f := got[len(got)-1]
		if f.Port != p || len(f.Records) != handed[f.ID] {
			t.Errorf("%s: newest flight %s of port %s holds %d readings, %d handed out", p, f.ID, f.Port, len(f.Records), handed[f.ID])
		}
		if len(f.Triggers) > MaxTriggers || len(f.Triggers)+f.Unrecorded != triggers[f.ID] {
			t.Errorf("%s: flight %s lists %d triggers and counts %d more; %d joined it (list at most %d)",
				p, f.ID, len(f.Triggers), f.Unrecorded, triggers[f.ID], MaxTriggers)
		}
		if d := f.Until.Sub(f.At); d > MaxAfterFactor*DefaultAfter {
			t.Errorf("%s: flight %s's after-window is %v long", p, f.ID, d)
		}
	}
}
