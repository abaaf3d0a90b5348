package modread

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ddm-agent/ddm/cmis"
	"github.com/ddm-agent/ddm/i2c"
	"github.com/ddm-agent/ddm/internal/vclock"
)

// VDM freeze handshake (CMIS 5.3 §8.20.3, timing from SONiC and the
// sonic-mgmt test plan): set FreezeRequest (2Fh:144 b7), poll FreezeDone
// (2Fh:145 b7), read the samples, clear FreezeRequest, poll UnfreezeDone
// (2Fh:145 b6). Polls back off from 1 ms to 10 ms; nothing sleeps for a
// fixed time, and each wait ends with the deadline.

// ErrFreezeTimeout: the module did not confirm a freeze or unfreeze in time.
var ErrFreezeTimeout = errors.New("VDM freeze handshake timed out")

// FreezeOptions bound the handshake.
type FreezeOptions struct {
	// Timeout for each of FreezeDone and UnfreezeDone (default DefaultFreezeTimeout).
	Timeout time.Duration
	// Wait waits between polls (nil: a timer); WithTimeout bounds each
	// half (nil: context.WithTimeout). See Options.
	Wait        func(ctx context.Context, d time.Duration) error
	WithTimeout func(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc)
	// Learned, if set, carries what the last handshake with this module
	// took, and is updated: the first poll waits that long (at most 10 ms)
	// instead of polling a module that is known to need time, which saves
	// bus transactions without a fixed sleep: the wait adapts to the module.
	Learned *FreezeTiming
}

// FreezeTiming is how long a module took to confirm a freeze and an
// unfreeze (the sum of the poll waits until the done bit was seen).
type FreezeTiming struct {
	Freeze, Unfreeze time.Duration
}

// Freeze asks the module at addr to freeze its VDM statistics and waits
// until it says they are frozen. The caller reads the VDM pages, then
// calls the returned release, which unfreezes and waits for confirmation.
// If Freeze fails it has already tried to unfreeze.
//
// Freeze gives mem the BusRules first; a Reader does that once.
func Freeze(ctx context.Context, mem i2c.Memory, addr uint8, opts FreezeOptions) (release func(context.Context) error, err error) {
	if err := bind(mem); err != nil {
		return nil, err
	}
	return freeze(ctx, mem, addr, opts)
}

func freeze(ctx context.Context, mem i2c.Memory, addr uint8, opts FreezeOptions) (release func(context.Context) error, err error) {
	if opts.Timeout == 0 {
		opts.Timeout = DefaultFreezeTimeout
	}
	if opts.Wait == nil {
		opts.Wait = vclock.Sleep
	}
	if opts.WithTimeout == nil {
		opts.WithTimeout = context.WithTimeout
	}
	if err := setFreeze(ctx, mem, addr, true); err != nil {
		return nil, err
	}
	if err := pollStatus(ctx, mem, addr, cmis.VDMFreezeDoneBit, opts, learned(opts, true)); err != nil {
		// Withdraw the request; if that fails too the module may stay
		// frozen (its statistics stop for every reader), so say so.
		if uerr := setFreeze(context.WithoutCancel(ctx), mem, addr, false); uerr != nil {
			return nil, fmt.Errorf("%s: freeze: %w; withdrawing the freeze request failed too (the module may stay frozen): %w", mem, err, uerr)
		}
		return nil, fmt.Errorf("%s: freeze: %w", mem, err)
	}
	return func(ctx context.Context) error {
		if err := setFreeze(ctx, mem, addr, false); err != nil {
			return err
		}
		if err := pollStatus(ctx, mem, addr, cmis.VDMUnfreezeDoneBit, opts, learned(opts, false)); err != nil {
			return fmt.Errorf("%s: unfreeze: %w", mem, err)
		}
		return nil
	}, nil
}

// setFreeze writes bit 7 of 2Fh:144, keeping the other bits (the Memory
// implementation does the read-modify-write and enforces that only bit 7
// changes).
//
// The Memory refuses the write if a bit other than 7 would change against
// its own read of the byte; that happens when our read was corrupted on the
// wire, so the read-modify-write is tried once more before giving up.
func setFreeze(ctx context.Context, mem i2c.Memory, addr uint8, on bool) error {
	var err error
	for try := 0; try < 2; try++ {
		cur := make([]byte, 1)
		if err = mem.Read(ctx, addr, 0, cmis.VDMControlPage, cmis.VDMFreezeRequest, cur); err != nil {
			return err
		}
		v := cur[0] &^ cmis.VDMFreezeRequestBit
		if on {
			v |= cmis.VDMFreezeRequestBit
		}
		if v == cur[0] {
			return nil
		}
		err = mem.Write(ctx, addr, 0, cmis.VDMControlPage, cmis.VDMFreezeRequest, []byte{v})
		if !errors.Is(err, i2c.ErrWriteRefused) {
			return err
		}
	}
	return err
}

func learned(opts FreezeOptions, freeze bool) *time.Duration {
	switch {
	case opts.Learned == nil:
		return nil
	case freeze:
		return &opts.Learned.Freeze
	}
	return &opts.Learned.Unfreeze
}

// pollStatus polls 2Fh:145 until bit is set. The first wait is what the
// module took last time (learned), else none; then 1 ms doubling to 10 ms.
// The timeout is kept twice: by a context from WithTimeout (the bus time
// of the polls counts), and by the sum of the waits on Wait's clock, so a
// handshake whose waits move a simulated clock times out after Timeout of
// that clock's time even when its caller gives no WithTimeout.
func pollStatus(ctx context.Context, mem i2c.Memory, addr uint8, bit byte, opts FreezeOptions, learned *time.Duration) error {
	ctx, cancel := opts.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	wait := time.Millisecond
	var waited time.Duration
	if learned != nil && *learned > 0 {
		first := min(*learned, 10*time.Millisecond)
		if err := opts.Wait(ctx, first); err != nil {
			return fmt.Errorf("%w after %v", ErrFreezeTimeout, opts.Timeout)
		}
		waited = first
	}
	st := make([]byte, 1)
	for {
		if err := mem.Read(ctx, addr, 0, cmis.VDMControlPage, cmis.VDMFreezeStatus, st); err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("%w after %v", ErrFreezeTimeout, opts.Timeout)
			}
			return err
		}
		if st[0]&bit != 0 {
			if learned != nil {
				*learned = waited
			}
			return nil
		}
		if waited >= opts.Timeout {
			return fmt.Errorf("%w after %v (status %02Xh)", ErrFreezeTimeout, opts.Timeout, st[0])
		}
		// The last wait ends at the timeout, for one last look.
		w := min(wait, opts.Timeout-waited)
		if err := opts.Wait(ctx, w); err != nil {
			return fmt.Errorf("%w after %v (status %02Xh)", ErrFreezeTimeout, opts.Timeout, st[0])
		}
		waited += w
		wait = min(2*wait, 10*time.Millisecond)
	}
}
