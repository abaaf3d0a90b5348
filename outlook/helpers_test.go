package outlook

import (
	"context"
	"testing"
	"time"

	"periph.io/x/conn/v3/physic"

	"github.com/ddm-agent/ddm/cmis"
	"github.com/ddm-agent/ddm/emulator"
	"github.com/ddm-agent/ddm/i2c"
	"github.com/ddm-agent/ddm/modread"
)

var t0 = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

const day = 24 * time.Hour

// emulated is one emulated module read through its bus the way the agent
// reads it, on a virtual clock.
type emulated struct {
	clk *emulator.ManualClock
	r   *modread.Reader
}

func newEmulated(t *testing.T, profile string, opts ...emulator.Option) *emulated {
	t.Helper()
	clk := emulator.NewManualClock(t0)
	mod, err := emulator.NewModule(profile, append([]emulator.Option{emulator.WithClock(clk),
		emulator.WithInsertion(t0.Add(-time.Hour)), emulator.WithFreezeDelay(0),
		// Minutes between updates: reads hours apart over days cost
		// tens of updates each, not hundreds.
		emulator.WithUpdateInterval(5 * time.Minute)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	bus := emulator.NewBus("i2c-1", 400*physic.KiloHertz, clk)
	mod.AttachTo(bus)
	return &emulated{clk: clk, r: modread.New(i2c.NewPager(bus, i2c.PagerOptions{}).Module(0x50), modread.Options{})}
}

// read reads the module at the clock's time as the agent does: the
// static pages once (again after a failed read), then a fast read and the
// VDM samples, decoded into a new Module (the tracker keeps it).
func (e *emulated) read(t *testing.T) *cmis.Module {
	t.Helper()
	ctx := context.Background()
	if e.r.Layout() == nil {
		if _, err := e.r.ReadStatic(ctx); !modread.Decoded(err) {
			t.Fatalf("static read at %s: %v", e.clk.Now().Sub(t0), err)
		}
	}
	m := new(cmis.Module)
	read, err := e.r.ReadFast(ctx, m)
	if !modread.Decoded(err) {
		e.r.Forget()
		t.Fatalf("fast read at %s: %v", e.clk.Now().Sub(t0), err)
	}
	if err := e.r.ReadVDM(ctx, e.r.Layout(), read, m); !modread.Decoded(err) {
		t.Fatalf("VDM read at %s: %v", e.clk.Now().Sub(t0), err)
	}
	return m
}

// run feeds the tracker a read every step for d, from the clock's time.
func (e *emulated) run(t *testing.T, tr *Tracker, port string, d, step time.Duration) *cmis.Module {
	t.Helper()
	var m *cmis.Module
	for end := e.clk.Now().Add(d); !e.clk.Now().After(end); e.clk.Advance(step) {
		m = e.read(t)
		tr.Observe(port, e.clk.Now(), m)
	}
	return m
}
