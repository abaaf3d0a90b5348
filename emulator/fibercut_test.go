package emulator

import (
	"testing"
	"time"
)

// TestFiberCutRelatchesAtOnce: while a fibre is cut, RxLOS is set again
// at once after each read clears it, as a real module's latched flag is
// while its condition lasts, not only at the next monitor update: a host
// reading the flags every 100 ms sees them set at every read of the cut
// (before: once a second, so a lasting cut looked like a pulse a second),
// and clear again once the cut ends.
func TestFiberCutRelatchesAtOnce(t *testing.T) {
	for _, tc := range []struct {
		profile string
		banks   uint8
		all     uint32
	}{
		{"osfp-800g-dr8", 1, 0xFF},
		{"osfpxd-1.6t-16", 2, 0xFFFF},
		{"qsfp28-100g-lr4", 0, 0x0F},
	} {
		t.Run(tc.profile, func(t *testing.T) {
			ready, span := 5*time.Second, 10*time.Second
			cut := WithFaults(Fault{Kind: FaultFiberCut, Window: Window{Start: ready, Duration: span}})
			_, b, clk := newTestModule(t, tc.profile, cut, WithUpdateInterval(time.Second))
			r := newReader(b, 0x50)
			clk.Advance(ready)
			pulseFlags(t, r, tc.profile, tc.banks) // power-up latches
			clk.Advance(1500 * time.Millisecond)   // the cut is seen by an update
			set, reads := 0, 0
			for clk.Now().Before(t0.Add(ready + span - time.Second)) {
				clk.Advance(100 * time.Millisecond)
				reads++
				if got := pulseFlags(t, r, tc.profile, tc.banks); got&tc.all == tc.all {
					set++
				}
			}
			if set != reads {
				t.Errorf("RxLOS of every lane set at %d of %d reads 100 ms apart during the cut, want all", set, reads)
			}
			clk.Advance(3 * time.Second) // the cut ended, an update saw the light back
			pulseFlags(t, r, tc.profile, tc.banks)
			clk.Advance(100 * time.Millisecond)
			if got := pulseFlags(t, r, tc.profile, tc.banks); got != 0 {
				t.Errorf("RxLOS %#x after the cut ended, want clear", got)
			}
		})
	}
}
