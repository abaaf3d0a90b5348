package vclock

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Clock is a source of time that a scheduler waits on.
type Clock interface {
	// Now is the wall clock: it stamps what is recorded, and it can step
	// (backward too).
	Now() time.Time
	// Steady is the time since an origin of the clock's own, on a clock
	// that never steps: only differences of two readings mean anything.
	Steady() time.Duration
	// Sleep waits d, or until ctx is done (then it returns ctx.Err()).
	Sleep(ctx context.Context, d time.Duration) error
	// WithTimeout is context.WithTimeout on this clock. On a Virtual clock
	// the context has no Deadline (a deadline is wall time) and ends with
	// context.Canceled when d has passed.
	WithTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc)
	// Go runs f on a new goroutine. A Virtual clock counts it: time moves
	// on only while every such goroutine waits on the clock.
	Go(f func())
}

// Real is the machine's clock.
type Real struct{ start time.Time }

// NewReal returns the machine's clock; Steady counts from now.
func NewReal() *Real { return &Real{start: time.Now()} }

// Now returns time.Now().
func (*Real) Now() time.Time { return time.Now() }

// Steady is the monotonic time since NewReal.
func (r *Real) Steady() time.Duration { return time.Since(r.start) }

// Sleep waits d on a timer, or until ctx is done.
func (*Real) Sleep(ctx context.Context, d time.Duration) error { return Sleep(ctx, d) }

// Sleep waits d on the machine's clock, or until ctx is done (then it
// returns ctx.Err()).
func Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil || d <= 0 {
		return err
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// WithTimeout is context.WithTimeout.
func (*Real) WithTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, d)
}

// Go runs f on a new goroutine.
func (*Real) Go(f func()) { go f() }

// Virtual is a clock that moves only when told to. It is safe for
// concurrent use; one goroutine steps it (Advance, Step). Goroutines that
// wait on it must be started with Go: Advance waits for them to wait on
// the clock again and cannot see the others (a goroutine that Sleeps on it
// without Go hides one that runs). A goroutine started with Go must block
// on nothing but the clock for long, or end: Advance cannot tell a worker
// queued on a lock from one at work, and a lock held across a Sleep would
// stop the clock (hence Skip for the pager's backoff).
type Virtual struct {
	mu   sync.Mutex
	cond *sync.Cond // signalled when running or waiting changes

	origin time.Time     // the wall clock at steady 0
	steady time.Duration // time moved by Advance
	step   time.Duration // the wall clock's steps (Step), summed

	seq    uint64
	timers map[uint64]*timer
	// running counts the goroutines started by Go that are not waiting on
	// the clock; waiting counts the goroutines in Sleep.
	running, waiting int
	// stuckAfter bounds, in real time, how long Advance waits for the
	// goroutines to wait again before it panics with what it saw.
	stuckAfter time.Duration
}

// timer is a wait that falls due at steady time at: a sleeper, or a
// function (a timeout's cancel).
type timer struct {
	at  time.Duration
	seq uint64
	s   *sleeper
	f   func()
}

type sleeper struct {
	ctx  context.Context
	wake chan struct{}
	err  error // what Sleep returns when woken by the clock
}

// New returns a virtual clock that reads start until it is moved.
func New(start time.Time) *Virtual {
	v := &Virtual{origin: start, timers: map[uint64]*timer{}, stuckAfter: time.Minute}
	v.cond = sync.NewCond(&v.mu)
	return v
}

// Now returns the wall clock: the start, plus Advance's moves and Step's
// steps.
func (v *Virtual) Now() time.Time {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.origin.Add(v.steady + v.step)
}

// Steady returns the time Advance moved the clock since New.
func (v *Virtual) Steady() time.Duration {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.steady
}

// Step moves the wall clock by d (back when d is negative) without moving
// the steady clock or firing a wait: what NTP or `date -s` does.
func (v *Virtual) Step(d time.Duration) {
	v.mu.Lock()
	v.step += d
	v.mu.Unlock()
}

// add registers a timer at steady time at; v.mu is held.
func (v *Virtual) add(at time.Duration, s *sleeper, f func()) uint64 {
	v.seq++
	v.timers[v.seq] = &timer{at: at, seq: v.seq, s: s, f: f}
	return v.seq
}

// Sleep waits until Advance has moved the clock by d, or until ctx is
// done.
func (v *Virtual) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil || d <= 0 {
		return err
	}
	s := &sleeper{ctx: ctx, wake: make(chan struct{})}
	v.mu.Lock()
	id := v.add(v.steady+d, s, nil)
	v.running--
	v.waiting++
	v.cond.Broadcast()
	v.mu.Unlock()
	select {
	case <-s.wake:
		return s.err
	case <-ctx.Done():
		v.mu.Lock()
		defer v.mu.Unlock()
		if _, ok := v.timers[id]; !ok { // the clock woke it first
			return s.err
		}
		delete(v.timers, id)
		v.running++
		v.waiting--
		v.cond.Broadcast()
		return ctx.Err()
	}
}

// wakeLocked ends a sleeper's wait with err. The clock counts it as
// running from now on, so Advance waits for it to wait again.
func (v *Virtual) wakeLocked(id uint64, s *sleeper, err error) {
	delete(v.timers, id)
	s.err = err
	v.running++
	v.waiting--
	close(s.wake)
}

// WithTimeout returns a context that is cancelled when Advance has moved
// the clock by d (or by cancel, or with ctx).
func (v *Virtual) WithTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	cctx, cancel := context.WithCancel(ctx)
	if d <= 0 {
		cancel()
		return cctx, cancel
	}
	v.mu.Lock()
	id := v.add(v.steady+d, nil, cancel)
	v.mu.Unlock()
	return cctx, func() {
		cancel()
		v.mu.Lock()
		delete(v.timers, id)
		v.mu.Unlock()
	}
}

// Go runs f on a new goroutine that the clock counts as running until it
// waits on the clock or ends.
func (v *Virtual) Go(f func()) {
	v.mu.Lock()
	v.running++
	v.mu.Unlock()
	go func() {
		defer func() {
			v.mu.Lock()
			v.running--
			v.cond.Broadcast()
			v.mu.Unlock()
		}()
		f()
	}()
}

// Advance moves the clock by d. Each wait that falls due fires in turn, in
// order of due time (then of registration), with the clock at its due
// time; before each, and before Advance returns, every goroutine started
// with Go is waiting on the clock again or has ended. A timeout that fires
// also wakes, at once, the sleepers whose context it ended.
func (v *Virtual) Advance(d time.Duration) {
	v.mu.Lock()
	defer v.mu.Unlock()
	target := v.steady + max(d, 0)
	for {
		v.waitIdleLocked(0)
		t := v.nextLocked()
		if t == nil || t.at > target {
			break
		}
		v.steady = max(v.steady, t.at)
		if t.s != nil {
			v.wakeLocked(t.seq, t.s, nil)
			continue
		}
		delete(v.timers, t.seq)
		v.mu.Unlock()
		t.f()
		v.mu.Lock()
	}
	v.steady = target
}

// nextLocked returns the timer that falls due first, nil when none.
func (v *Virtual) nextLocked() *timer {
	var first *timer
	for _, t := range v.timers {
		if first == nil || t.at < first.at || (t.at == first.at && t.seq < first.seq) {
			first = t
		}
	}
	return first
}

// Next returns how far the clock must move for the next wait to fall due;
// false when nothing waits.
func (v *Virtual) Next() (time.Duration, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	t := v.nextLocked()
	if t == nil {
		return 0, false
	}
	return max(t.at-v.steady, 0), true
}

// BlockUntil waits until at least n goroutines wait in Sleep and every
// goroutine started with Go waits on the clock or has ended: the workers
// have started and are idle, so the next Advance sees all of them.
func (v *Virtual) BlockUntil(n int) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.waitIdleLocked(n)
}

// Waiting returns how many goroutines wait in Sleep.
func (v *Virtual) Waiting() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.waiting
}

// waitIdleLocked waits, v.mu held, until no goroutine started with Go is
// running and at least n wait. A goroutine that blocks on something other
// than the clock for stuckAfter (real time) is a bug in the code under
// test or in its use of the clock: it panics, naming the counts.
func (v *Virtual) waitIdleLocked(n int) {
	v.wakeDoneLocked()
	if v.running <= 0 && v.waiting >= n {
		return
	}
	stuck := false
	t := time.AfterFunc(v.stuckAfter, func() {
		v.mu.Lock()
		stuck = true
		v.cond.Broadcast()
		v.mu.Unlock()
	})
	defer t.Stop()
	for v.running > 0 || v.waiting < n {
		if stuck {
			panic(fmt.Sprintf("vclock: after %v, %d goroutines started with Go still run without waiting on the clock (%d wait, want %d)",
				v.stuckAfter, v.running, v.waiting, n))
		}
		v.cond.Wait()
		v.wakeDoneLocked()
	}
}

// wakeDoneLocked wakes the sleepers whose context has ended, counting them
// as running: a timeout that fired (cancelling a context ends its children
// at once) or a cancel from outside the clock that their own select has
// not seen yet. Advance then waits for them as for any other it woke.
func (v *Virtual) wakeDoneLocked() {
	for id, t := range v.timers {
		if t.s != nil && t.s.ctx.Err() != nil {
			v.wakeLocked(id, t.s, t.s.ctx.Err())
		}
	}
}

// Skip is a wait that takes no time: it returns ctx.Err() at once. On
// virtual time it stands for short waits made while holding a lock that
// other goroutines queue on (the pager's NACK backoff holds the bus): such
// a wait must not wait on a Virtual clock, whose Advance would wait for
// the goroutines queued on the lock while they wait for the clock.
func Skip(ctx context.Context, _ time.Duration) error { return ctx.Err() }
