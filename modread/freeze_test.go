package modread_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"periph.io/x/conn/v3/physic"

	"github.com/ddm-agent/ddm/emulator"
	"github.com/ddm-agent/ddm/i2c"
	"github.com/ddm-agent/ddm/modread"
)

// slowFreezer is a module that takes 5 s to confirm a freeze, alone on a
// bus whose clock moves with the handshake's waits.
type slowFreezer struct {
	clk *emulator.ManualClock
	mem i2c.Memory
}

func newSlowFreezer(t *testing.T) slowFreezer {
	t.Helper()
	t0 := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	clk := emulator.NewManualClock(t0)
	bus := emulator.NewBus("emu0", 400*physic.KiloHertz, clk)
	m, err := emulator.NewModule("osfp-800g-dr8", emulator.WithClock(clk), emulator.WithOrigin(t0.Add(-time.Hour)),
		emulator.WithInsertion(t0.Add(-time.Hour)), emulator.WithSeed(1),
		emulator.WithFaults(emulator.Fault{Kind: emulator.FaultSlowFreeze, Delay: 5 * time.Second}))
	if err != nil {
		t.Fatal(err)
	}
	m.AttachTo(bus)
	return slowFreezer{clk: clk, mem: i2c.NewPager(bus, i2c.PagerOptions{}).Module(0x50)}
}

func (s slowFreezer) opts() modread.FreezeOptions {
	return modread.FreezeOptions{Timeout: 50 * time.Millisecond,
		Wait: func(ctx context.Context, d time.Duration) error { s.clk.Advance(d); time.Sleep(d); return ctx.Err() }}
}

func TestFreezeTimeout(t *testing.T) {
	r := newSlowFreezer(t)
	_, err := modread.Freeze(context.Background(), r.mem, 0x50, r.opts())
	if !errors.Is(err, modread.ErrFreezeTimeout) {
		t.Fatalf("slow freeze: %v, want ErrFreezeTimeout", err)
	}
}

// writesFail lets the first n writes through, then fails every write.
type writesFail struct {
	i2c.Memory
	n   int
	err error
}

func (w *writesFail) Write(ctx context.Context, addr, bank, page uint8, off int, p []byte) error {
	if w.n == 0 {
		return w.err
	}
	w.n--
	return w.Memory.Write(ctx, addr, bank, page, off, p)
}

// TestFreezeTimeoutUnfreezeFails: when the module does not confirm the
// freeze and withdrawing the request fails as well, the error says both
// (the module may stay frozen), and is still a freeze timeout.
func TestFreezeTimeoutUnfreezeFails(t *testing.T) {
	r := newSlowFreezer(t)
	errBus := errors.New("bus stuck low")
	mem := &writesFail{Memory: r.mem, n: 1, err: errBus} // the freeze request goes through
	_, err := modread.Freeze(context.Background(), mem, 0x50, r.opts())
	if !errors.Is(err, modread.ErrFreezeTimeout) || !errors.Is(err, errBus) || !strings.Contains(err.Error(), "may stay frozen") {
		t.Fatalf("freeze timeout, then a failed unfreeze: %v", err)
	}
}
