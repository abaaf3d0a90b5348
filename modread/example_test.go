package modread_test

import (
	"context"
	"fmt"
	"time"

	"periph.io/x/conn/v3/physic"

	"github.com/ddm-agent/ddm/cmis"
	"github.com/ddm-agent/ddm/emulator"
	"github.com/ddm-agent/ddm/i2c"
	"github.com/ddm-agent/ddm/modread"
)

// A module read the way the agent reads it: probe, static pages once,
// then on every cycle a fast read and, on VDM cycles, the VDM samples
// inside the freeze, each decoded into a Module that is reused.
func ExampleReader() {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clk := emulator.NewManualClock(t0)
	mod, err := emulator.NewModule("osfp-800g-dr8", emulator.WithClock(clk),
		emulator.WithInsertion(t0.Add(-time.Hour)), emulator.WithFreezeDelay(0))
	if err != nil {
		panic(err)
	}
	bus := emulator.NewBus("i2c-1", 400*physic.KiloHertz, clk)
	mod.AttachTo(bus)
	mem := i2c.NewPager(bus, i2c.PagerOptions{}).Module(0x50)

	ctx := context.Background()
	r := modread.New(mem, modread.Options{})
	if err := r.Probe(ctx); err != nil {
		fmt.Println("empty cage:", err)
		return
	}
	if _, err := r.ReadStatic(ctx); !modread.Decoded(err) {
		fmt.Println("static read:", err)
		return
	}
	var m cmis.Module // reused from cycle to cycle
	read, err := r.ReadFast(ctx, &m)
	if !modread.Decoded(err) {
		fmt.Println("fast read:", err)
		return
	}
	fmt.Println(m.Spec, m.ModuleState, len(m.Lanes), "lanes")

	vdm := read.Clone() // the VDM read may run on a goroutine of its own
	if err := r.ReadVDM(ctx, r.Layout(), vdm, &m); !modread.Decoded(err) {
		fmt.Println("VDM read:", err)
		return
	}
	fmt.Println(len(m.VDM) > 0, "VDM values")
	// Output:
	// CMIS ModuleReady 8 lanes
	// true VDM values
}
