package emulator

import (
	"sort"
	"testing"
	"time"

	"github.com/ddm-agent/ddm/cmis"
)

// pulseFlags reads the module's RxLOS flags of every lane (clearing them),
// the way a host's flag read does: a bit per lane, lane 1 in bit 0.
func pulseFlags(t *testing.T, r *reader, profile string, banks uint8) uint32 {
	t.Helper()
	s := cmis.NewSnapshot()
	if profile == "qsfp28-100g-lr4" {
		if err := r.read(s, cmis.Range{Page: cmis.Lower, Offset: 3, Length: 1}); err != nil {
			t.Fatal(err)
		}
		return uint32(s.Bytes(cmis.Lower, 3, 1)[0] & 0x0F)
	}
	var out uint32
	for bank := uint8(0); bank < banks; bank++ {
		id := cmis.Upper(bank, 0x11)
		if err := r.read(s, cmis.Range{Page: id, Offset: 147, Length: 1}); err != nil {
			t.Fatal(err)
		}
		out |= uint32(s.Bytes(id, 147, 1)[0]) << (8 * bank)
	}
	return out
}

// TestLOSPulsesLatchAtOnset: a pulse latches RxLOS within a millisecond of
// its onset (the monitors still update once a second), every pulse of
// every lane is seen by a host reading the flags every 100 ms, and the
// module lists each onset.
func TestLOSPulsesLatchAtOnset(t *testing.T) {
	for _, tc := range []struct {
		profile string
		banks   uint8
		lanes   []int
	}{
		{"osfp-800g-dr8", 1, []int{1, 4, 8}},
		{"osfpxd-1.6t-16", 2, []int{2, 11, 16}},
		{"qsfp28-100g-lr4", 0, []int{1, 3}},
	} {
		t.Run(tc.profile, func(t *testing.T) {
			ready, span := 5*time.Second, 3*time.Minute
			fault := WithFaults(Fault{Kind: FaultLOSPulses, Window: Window{Start: ready, Duration: span}, Lanes: tc.lanes})
			// Monitors refreshed once a second: the flags must not wait for it.
			slow := WithUpdateInterval(time.Second)
			m, b, clk := newTestModule(t, tc.profile, fault, slow)
			// A twin with the same seed, run to the end, knows every onset
			// ahead of time: the host reads 1 ms after each.
			twin, _, twinClk := newTestModule(t, tc.profile, fault, slow)
			twinClk.Advance(ready + span)
			future := twin.Onsets()
			sort.Slice(future, func(i, j int) bool { return future[i].At.Before(future[j].At) })
			r := newReader(b, 0x50)
			clk.Advance(ready)
			pulseFlags(t, r, tc.profile, tc.banks) // power-up latches
			seen := map[int]int{}
			var prev uint32
			onsetLatched, next := 0, 0
			for clk.Now().Before(t0.Add(ready + span + 3*time.Second)) {
				// A read 1 ms after each onset, to see the latch there, and
				// every 100 ms otherwise.
				step := 100 * time.Millisecond
				var at []Onset
				if next < len(future) {
					if d := future[next].At.Add(time.Millisecond).Sub(clk.Now()); d <= step {
						step = d
						for next < len(future) && (len(at) == 0 || future[next].At.Equal(at[0].At)) {
							at = append(at, future[next])
							next++
						}
					}
				}
				if step <= 0 {
					t.Fatalf("onset %v not read 1 ms after", future[next].At)
				}
				clk.Advance(step)
				got := pulseFlags(t, r, tc.profile, tc.banks)
				for _, o := range at {
					if got&(1<<(o.Lane-1)) != 0 {
						onsetLatched++
					}
				}
				for i := 0; i < 32; i++ {
					if got&(1<<i) != 0 && prev&(1<<i) == 0 {
						seen[i+1]++
					}
				}
				prev = got
			}
			onsets := m.Onsets()
			want := map[int]int{}
			for _, o := range onsets {
				if o.Down < DefaultPulseDownMin || o.Down > DefaultPulseDownMax {
					t.Errorf("pulse of %v outside 30-300 ms", o.Down)
				}
				want[o.Lane]++
			}
			if len(onsets) != len(future) {
				t.Fatalf("%d onsets, the twin had %d", len(onsets), len(future))
			}
			if len(onsets) < 100*len(tc.lanes) {
				t.Fatalf("%d onsets in 3 minutes on %d lanes, want about one every 1.2 s a lane", len(onsets), len(tc.lanes))
			}
			if onsetLatched != len(onsets) {
				t.Errorf("%d of %d pulses showed RxLOS 1 ms after onset", onsetLatched, len(onsets))
			}
			for _, lane := range tc.lanes {
				if seen[lane] != want[lane] || want[lane] == 0 {
					t.Errorf("lane %d: %d pulses seen at 100 ms reads, %d injected", lane, seen[lane], want[lane])
				}
			}
			if len(seen) != len(tc.lanes) {
				t.Errorf("LOS seen on lanes %v, injected on %v", seen, tc.lanes)
			}
		})
	}
}

func TestLOSPulsesValidate(t *testing.T) {
	for _, tc := range []struct {
		f  Fault
		ok bool
	}{
		{Fault{Kind: FaultLOSPulses, Lanes: []int{1}}, true},
		{Fault{Kind: FaultLOSPulses}, false},
		{Fault{Kind: FaultLOSPulses, Lanes: []int{0}}, false},
		{Fault{Kind: FaultLOSPulses, Lanes: []int{1}, DownMin: time.Second, DownMax: time.Millisecond}, false},
		{Fault{Kind: FaultLOSPulses, Lanes: []int{1}, Window: Window{Duration: time.Second, Every: time.Minute}}, false},
	} {
		if err := tc.f.Validate(); (err == nil) != tc.ok {
			t.Errorf("%+v: error %v, want ok %v", tc.f, err, tc.ok)
		}
	}
}
