package agent

import (
	"context"
	"testing"
	"time"

	"github.com/ddm-agent/ddm/emulator"
	"github.com/ddm-agent/ddm/i2c"
	"github.com/ddm-agent/ddm/internal/vclock"
	"periph.io/x/conn/v3/physic"
)

// The cost of one port's cycle on the agent's side: read, decode, flag
// history, the Sample. The emulated module and the pager run in the same
// loop, so the figures include them (the decode benchmarks in cmis/ give
// the decode alone). Run:
//
//	go test -run '^$' -bench Port -benchmem ./agent/

// benchPort returns the state of one port holding an emulated module of
// profile, on a virtual clock, already read once (its static pages).
// Tests use it too.
func benchPort(b testing.TB, profile string, vdm time.Duration, obs Observer, opts ...emulator.Option) (*Agent, *portState, *vclock.Virtual) {
	b.Helper()
	return newPort(b, profile, time.Minute, vdm, obs, opts...)
}

// newPort is benchPort with the time from insertion to the first read.
func newPort(b testing.TB, profile string, warm, vdm time.Duration, obs Observer, opts ...emulator.Option) (*Agent, *portState, *vclock.Virtual) {
	b.Helper()
	clk := vclock.New(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	m, err := emulator.NewModule(profile, append([]emulator.Option{emulator.WithClock(clk)}, opts...)...)
	if err != nil {
		b.Fatal(err)
	}
	bus := emulator.NewBus("i2c-bench", physic.MegaHertz, clk)
	m.AttachTo(bus)
	// NoFreeze: the VDM handshake would wait on the clock, which only the
	// loop moves.
	port := Port{Name: "p1", Bus: "i2c-bench", Addr: 0x50, Mem: i2c.NewPager(bus, i2c.PagerOptions{}).Module(0x50), NoFreeze: true}
	a, err := New([]Port{port}, obs, Options{Clock: clk, VDMInterval: vdm, Revalidate: 1000 * time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	a.runCtx = context.Background()
	ps := a.buses[port.Bus][0]
	clk.Advance(warm)
	if s := ps.read(context.Background(), a.opts, a.clock.steady()); s.Kind != KindStatic {
		b.Fatalf("first read: %v %v", s.Kind, s.Err)
	}
	a.wg.Wait()
	return a, ps, clk
}

func BenchmarkPortFastCycle(b *testing.B) {
	for _, profile := range []string{"osfp-800g-dr8", "npo-3.2t"} {
		b.Run(profile, func(b *testing.B) {
			_, ps, clk := benchPort(b, profile, 1000*time.Hour, nil)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				clk.Advance(time.Second)
				if s := ps.read(ctx, ps.agent.opts, ps.agent.clock.steady()); s.Kind != KindFast || s.Module == nil {
					b.Fatalf("read: %v %v %+v", s.Kind, s.Err, s.Events)
				}
			}
		})
	}
}

// BenchmarkPortVDMCycle is a fast cycle that also starts a VDM read, and
// that VDM read (on its goroutine, waited for).
func BenchmarkPortVDMCycle(b *testing.B) {
	for _, profile := range []string{"osfp-800g-dr8", "npo-3.2t"} {
		b.Run(profile, func(b *testing.B) {
			vdm := 0
			a, ps, clk := benchPort(b, profile, time.Second, ObserverFunc(func(s Sample) {
				if s.Kind == KindVDM && len(s.Module.VDM) > 0 {
					vdm++
				}
			}))
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				clk.Advance(time.Second)
				ps.read(ctx, a.opts, a.clock.steady())
				a.wg.Wait()
			}
			if vdm < b.N {
				b.Fatalf("%d VDM samples with values in %d cycles", vdm, b.N)
			}
		})
	}
}
