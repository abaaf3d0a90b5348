package vclock_test

import (
	"context"
	"fmt"
	"time"

	"github.com/ddm-agent/ddm/internal/vclock"
)

// A worker ticks every 300 ms on a virtual clock; the test moves the clock
// a second and sees exactly the ticks that fell due, with no sleep.
func ExampleVirtual() {
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clk := vclock.New(start)
	ctx, cancel := context.WithCancel(context.Background())
	ticks := make(chan time.Duration, 10)
	clk.Go(func() {
		for clk.Sleep(ctx, 300*time.Millisecond) == nil {
			ticks <- clk.Now().Sub(start)
		}
	})
	clk.BlockUntil(1) // the worker waits on the clock
	clk.Advance(time.Second)
	cancel()
	for len(ticks) > 0 {
		fmt.Println(<-ticks)
	}
	// Output:
	// 300ms
	// 600ms
	// 900ms
}
