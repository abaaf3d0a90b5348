package agent

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/ddm-agent/ddm/cmis"
	"github.com/ddm-agent/ddm/emulator"
)

// kept is what a sample's Module said when the observer got it.
type kept struct {
	sample      Sample
	temperature float64
	rx          []float64
	vdm         []float64
}

func keep(s Sample) kept {
	k := kept{sample: s, temperature: *s.Module.TemperatureC}
	for _, l := range s.Module.Lanes {
		k.rx = append(k.rx, *l.RxPowerMW)
	}
	for _, v := range s.Module.VDM {
		k.vdm = append(k.vdm, v.Value)
	}
	return k
}

// TestSamplesKeepTheirModule: the port decodes every read into one Module
// it reuses; an observer that keeps samples (a queue, a test recorder)
// must find each one as it was delivered, fast and VDM alike, while the
// module's values move (temperature runaway, a lane fading).
func TestSamplesKeepTheirModule(t *testing.T) {
	var got []kept
	a, ps, clk := benchPort(t, "osfp-800g-dr8", 3*time.Second, ObserverFunc(func(s Sample) { got = append(got, keep(s)) }),
		emulator.WithDegradations(emulator.Degradation{Kind: emulator.TempRunaway, Rate: 6},
			emulator.Degradation{Kind: emulator.RxFade, Lane: 1, Rate: 3600}))
	ctx := context.Background()
	for range 10 {
		clk.Advance(time.Second)
		s := ps.read(ctx, a.opts, a.clock.steady())
		a.wg.Wait()
		got = append(got, keep(s))
	}
	vdm := 0
	for i, k := range got {
		now := keep(k.sample)
		if now.temperature != k.temperature || !slices.Equal(now.rx, k.rx) || !slices.Equal(now.vdm, k.vdm) {
			t.Errorf("sample %d (%v) changed after delivery: temperature %v -> %v, Rx %v -> %v", i, k.sample.Kind, k.temperature, now.temperature, k.rx, now.rx)
		}
		if k.sample.Kind == KindVDM {
			vdm++
		}
		if i > 0 && k.sample.Module == got[i-1].sample.Module {
			t.Errorf("samples %d and %d share one Module", i-1, i)
		}
	}
	if vdm < 3 || got[0].temperature == got[len(got)-1].temperature {
		t.Errorf("%d VDM samples, temperature %v to %v: the test saw nothing move", vdm, got[0].temperature, got[len(got)-1].temperature)
	}
}

// TestFlagHistoryCopies: samples share one copy of the flag history while
// nothing changes, and get a new one when a flag sets or clears; a copy
// already handed out never changes.
func TestFlagHistoryCopies(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	h := newFlagHistory()
	m := &cmis.Module{Lanes: []cmis.Lane{{Lane: 1}}}
	h.add(m, t0, nil)
	quiet := h.clone()
	h.add(m, t0.Add(time.Second), nil)
	if h.clone() != quiet {
		t.Errorf("no flag changed, yet a new copy")
	}
	m.Flags, m.Lanes[0].Flags = cmis.TempHighWarning, cmis.RxLOS
	h.add(m, t0.Add(2*time.Second), nil)
	set := h.clone()
	if set == quiet || len(quiet.Module) != 0 || len(quiet.Lanes) != 0 {
		t.Fatalf("a flag set: copy shared %v, the old copy now %+v", set == quiet, quiet)
	}
	h.add(m, t0.Add(3*time.Second), nil) // still set: its Last moves
	still := h.clone()
	if still == set || !set.Module["temperature_high_warning"].Last.Equal(t0.Add(2*time.Second)) {
		t.Errorf("a flag still set: copy shared %v, old copy's Last %v", still == set, set.Module["temperature_high_warning"].Last)
	}
	m.Flags, m.Lanes[0].Flags = 0, 0
	h.add(m, t0.Add(4*time.Second), nil)
	cleared := h.clone()
	if cleared == still || !still.Lanes[1]["rx_los"].Active || cleared.Lanes[1]["rx_los"].Active {
		t.Errorf("a flag cleared: copy shared %v, old copy active %v, new copy active %v",
			cleared == still, still.Lanes[1]["rx_los"].Active, cleared.Lanes[1]["rx_los"].Active)
	}
	h.add(m, t0.Add(5*time.Second), nil)
	if h.clone() != cleared {
		t.Errorf("nothing changed after the clear, yet a new copy")
	}
}

// TestVDMStartsAfterALateAdvertisement: a module whose page 01h reads
// back as page 00h at insertion (no trusted advertisement, so no VDM plan)
// gets its VDM read once a later static read (on the state change to
// ModuleReady) finds the advertisement.
func TestVDMStartsAfterALateAdvertisement(t *testing.T) {
	vdm := 0
	a, ps, clk := newPort(t, "osfp-800g-dr8", 10*time.Millisecond, time.Second, ObserverFunc(func(s Sample) {
		if s.Kind == KindVDM && len(s.Module.VDM) > 0 {
			vdm++
		}
	}), emulator.WithFaults(emulator.Fault{Kind: emulator.FaultRefusedPages, Pages: []uint8{0x01}, Window: emulator.Window{Duration: time.Second}}))
	if len(ps.reader.Layout().Plan(cmis.VDM)) != 0 {
		t.Fatalf("page 01h was trusted at insertion: the test needs it refused")
	}
	ctx := context.Background()
	for range 10 {
		clk.Advance(time.Second)
		ps.read(ctx, a.opts, a.clock.steady())
		a.wg.Wait()
	}
	if len(ps.reader.Layout().Plan(cmis.VDM)) == 0 {
		t.Fatalf("no VDM plan after 10 s: page 01h never read again")
	}
	if vdm == 0 {
		t.Errorf("no VDM sample in 10 s once the advertisement was read")
	}
}
