package sdnotify

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"
)

type fakeAgent struct {
	mu      sync.Mutex
	started bool
	stalled []string
}

func (f *fakeAgent) Started() bool { f.mu.Lock(); defer f.mu.Unlock(); return f.started }
func (f *fakeAgent) Stalled() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.stalled
}

type recorder struct {
	mu    sync.Mutex
	times map[string][]time.Time
}

func (r *recorder) notify(state string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.times[state] = append(r.times[state], time.Now())
}

func (r *recorder) count(state string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.times[state])
}

// TestReadyAndWatchdog: READY as soon as the agent started, or after
// ReadyWithin; pings on the watchdog's half period; none while a bus is
// stalled, and again once it moves.
func TestReadyAndWatchdog(t *testing.T) {
	a := &fakeAgent{}
	r := &recorder{times: map[string][]time.Time{}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		Run(ctx, a, Options{Watchdog: 100 * time.Millisecond, Notify: r.notify, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), ReadyWithin: 300 * time.Millisecond})
		close(done)
	}()
	defer func() { cancel(); <-done }()
	time.Sleep(200 * time.Millisecond)
	if r.count("READY=1") != 0 {
		t.Fatal("READY before the agent started or ReadyWithin passed")
	}
	time.Sleep(250 * time.Millisecond)
	if r.count("READY=1") != 1 {
		t.Fatalf("READY sent %d times after ReadyWithin", r.count("READY=1"))
	}
	a.mu.Lock()
	a.stalled = []string{"i2c-3"}
	a.mu.Unlock()
	time.Sleep(100 * time.Millisecond) // a ping in flight may still land
	n := r.count("WATCHDOG=1")
	time.Sleep(300 * time.Millisecond)
	if got := r.count("WATCHDOG=1"); got != n {
		t.Errorf("%d pings while a bus was stalled", got-n)
	}
	a.mu.Lock()
	a.stalled = nil
	a.mu.Unlock()
	time.Sleep(300 * time.Millisecond)
	if got := r.count("WATCHDOG=1"); got < n+4 {
		t.Errorf("%d pings in 300 ms after the stall ended, want about 6", got-n)
	}
}
