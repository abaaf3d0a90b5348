package vclock

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// TestAdvanceFiresInOrder: workers that sleep on the clock wake in order
// of due time (ties in order of their waits), each seeing the clock at its
// due time, and each instant's work is done before the next fires: the
// log is the same on every run, with no sleep in the test.
func TestAdvanceFiresInOrder(t *testing.T) {
	for run := range 20 {
		v := New(t0)
		var mu sync.Mutex
		var log []string
		ctx, cancel := context.WithCancel(context.Background())
		for _, w := range []struct {
			name  string
			every time.Duration
		}{{"a", 300 * time.Millisecond}, {"b", time.Second}, {"c", 500 * time.Millisecond}} {
			v.Go(func() {
				for v.Sleep(ctx, w.every) == nil {
					mu.Lock()
					log = append(log, fmt.Sprintf("%s@%v", w.name, v.Now().Sub(t0)))
					mu.Unlock()
				}
			})
		}
		v.BlockUntil(3)
		v.Advance(time.Second)
		want := []string{"a@300ms", "c@500ms", "a@600ms", "a@900ms", "b@1s", "c@1s"}
		if !slices.Equal(log, want) {
			t.Fatalf("run %d: %v, want %v", run, log, want)
		}
		if v.Steady() != time.Second || !v.Now().Equal(t0.Add(time.Second)) {
			t.Errorf("after Advance(1s): steady %v, now %v", v.Steady(), v.Now())
		}
		cancel()
		v.BlockUntil(0)
		if v.Waiting() != 0 {
			t.Errorf("%d still waiting after cancel", v.Waiting())
		}
	}
}

// TestWithTimeout: a timeout ends its context when the clock reaches it,
// not on the real clock, and a sleeper on a child of that context wakes at
// that instant with the context's error rather than at its own due time.
func TestWithTimeout(t *testing.T) {
	v := New(t0)
	var woke time.Duration
	var err error
	v.Go(func() {
		ctx, cancel := v.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		child, ccancel := context.WithCancel(ctx)
		defer ccancel()
		err = v.Sleep(child, time.Hour)
		woke = v.Steady()
	})
	v.BlockUntil(1)
	time.Sleep(10 * time.Millisecond) // real time does not end it
	if v.Waiting() != 1 {
		t.Fatalf("the timeout fired on the real clock")
	}
	v.Advance(3 * time.Second)
	if !errors.Is(err, context.Canceled) || woke != 2*time.Second {
		t.Errorf("woke at %v with %v, want at 2s with context.Canceled", woke, err)
	}
	if _, ok := v.Next(); ok {
		t.Errorf("a timer left after the timeout's cancel")
	}
}

// TestStepMovesTheWallClockOnly: a step of the wall clock, back or forward,
// moves Now and neither Steady nor any wait.
func TestStepMovesTheWallClockOnly(t *testing.T) {
	v := New(t0)
	done := make(chan struct{})
	v.Go(func() { v.Sleep(context.Background(), time.Minute); close(done) })
	v.BlockUntil(1)
	v.Step(-time.Hour)
	v.Step(10 * time.Minute)
	if !v.Now().Equal(t0.Add(-50*time.Minute)) || v.Steady() != 0 {
		t.Errorf("after steps: now %v, steady %v", v.Now(), v.Steady())
	}
	if d, ok := v.Next(); !ok || d != time.Minute {
		t.Errorf("next wait in %v %v, want 1m", d, ok)
	}
	v.Advance(time.Minute)
	<-done
	if !v.Now().Equal(t0.Add(-49*time.Minute)) || v.Steady() != time.Minute {
		t.Errorf("after Advance: now %v, steady %v", v.Now(), v.Steady())
	}
}

// TestSleepCancelled: a sleep ends with its context, cancelled from
// outside the clock; the clock counts the goroutine as running again.
func TestSleepCancelled(t *testing.T) {
	v := New(t0)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	v.Go(func() { errc <- v.Sleep(ctx, time.Hour) })
	v.BlockUntil(1)
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("Sleep returned %v", err)
	}
	v.BlockUntil(0)
	if v.Waiting() != 0 {
		t.Errorf("%d waiting", v.Waiting())
	}
	if err := v.Sleep(ctx, time.Second); !errors.Is(err, context.Canceled) {
		t.Errorf("Sleep on a done context: %v", err)
	}
	if err := v.Sleep(context.Background(), 0); err != nil {
		t.Errorf("Sleep(0): %v", err)
	}
}

// TestAdvanceSaysWhoIsStuck: a goroutine started with Go that blocks on
// something other than the clock makes Advance panic with the counts
// after stuckAfter, rather than hang the test.
func TestAdvanceSaysWhoIsStuck(t *testing.T) {
	v := New(t0)
	v.stuckAfter = 50 * time.Millisecond
	block := make(chan struct{})
	defer close(block)
	v.Go(func() { <-block })
	defer func() {
		r := recover()
		if s, _ := r.(string); !strings.Contains(s, "1 goroutines started with Go still run") {
			t.Errorf("recovered %v", r)
		}
	}()
	v.Advance(time.Second)
	t.Error("Advance returned")
}

// TestReal: the machine's clock waits for real and ends with the context.
func TestReal(t *testing.T) {
	r := NewReal()
	if err := r.Sleep(context.Background(), time.Millisecond); err != nil || r.Steady() < time.Millisecond {
		t.Errorf("Sleep: %v, steady %v", err, r.Steady())
	}
	ctx, cancel := r.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	if err := r.Sleep(ctx, time.Hour); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Sleep past the timeout: %v", err)
	}
	done := make(chan struct{})
	r.Go(func() { close(done) })
	<-done
}
