package modread_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ddm-agent/ddm/modread"
)

// TestFreezeTimeoutOnTheWaitsClock: the handshake's timeout is kept on the
// clock its waits run on. Waits that only move a virtual clock (no real
// time passes) end the handshake once they sum to the timeout, with the
// virtual clock at exactly the timeout: it used to poll until the
// machine's clock reached the timeout, moving the virtual clock by
// whatever number of polls fitted in it.
func TestFreezeTimeoutOnTheWaitsClock(t *testing.T) {
	r := newSlowFreezer(t)
	const timeout = 50 * time.Millisecond
	start := r.clk.Now()
	_, err := modread.Freeze(context.Background(), r.mem, 0x50, modread.FreezeOptions{Timeout: timeout,
		Wait: func(ctx context.Context, d time.Duration) error { r.clk.Advance(d); return ctx.Err() }})
	if !errors.Is(err, modread.ErrFreezeTimeout) {
		t.Fatalf("slow freeze: %v, want ErrFreezeTimeout", err)
	}
	if moved := r.clk.Now().Sub(start); moved != timeout {
		t.Errorf("the waits moved the clock by %v, want the %v timeout", moved, timeout)
	}
}
