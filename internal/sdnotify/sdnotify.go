// Package sdnotify keeps systemd informed of the agent's state: READY=1
// once every bus worker has finished its first pass, or after ReadyWithin
// at the latest; WATCHDOG=1 every half watchdog period, on its own timer,
// while no bus worker is stalled. Neither waits for the polling interval,
// so the shipped unit's TimeoutStartSec and WatchdogSec hold for every
// interval the configuration accepts.
package sdnotify

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
)

// ReadyWithin bounds the wait for READY=1: a bus whose first pass takes
// longer (modules timing out one after the other) must not make systemd
// give up the start. The unit's TimeoutStartSec is longer (systemd's test
// checks it).
const ReadyWithin = 20 * time.Second

// Liveness is what the notifier asks the agent.
type Liveness interface {
	// Started reports whether every bus worker has finished a pass.
	Started() bool
	// Stalled lists the bus workers stuck in a pass beyond its budget.
	Stalled() []string
}

// Options configure Run. Zero values mean the defaults.
type Options struct {
	// Watchdog is the watchdog period (WATCHDOG_USEC); 0 asks the
	// environment (daemon.SdWatchdogEnabled), and none there means no
	// pings.
	Watchdog time.Duration
	// Notify sends a state to systemd; default daemon.SdNotify.
	Notify func(state string)
	// Log receives the stall and readiness lines; default slog.Default().
	Log *slog.Logger
	// ReadyWithin overrides the package constant (tests).
	ReadyWithin time.Duration
}

// Run notifies until ctx ends.
func Run(ctx context.Context, l Liveness, o Options) {
	if o.Watchdog == 0 {
		o.Watchdog, _ = daemon.SdWatchdogEnabled(false)
	}
	if o.Notify == nil {
		o.Notify = func(state string) { _, _ = daemon.SdNotify(false, state) }
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.ReadyWithin == 0 {
		o.ReadyWithin = ReadyWithin
	}
	start := time.Now()
	poll := time.NewTicker(50 * time.Millisecond) // until ready
	defer poll.Stop()
	var ping <-chan time.Time
	if o.Watchdog > 0 {
		t := time.NewTicker(o.Watchdog / 2)
		defer t.Stop()
		ping = t.C
	}
	ready := false
	var stalled string // the stalled buses last logged
	for {
		select {
		case <-ctx.Done():
			return
		case <-poll.C:
			switch {
			case l.Started():
			case time.Since(start) >= o.ReadyWithin:
				o.Log.Warn("ready before every bus finished its first pass", "after", o.ReadyWithin)
			default:
				continue
			}
			ready = true
			o.Notify(daemon.SdNotifyReady)
			poll.Stop()
		case <-ping:
			if !ready {
				// systemd does not watch a unit before READY=1; pinging
				// then is harmless, and a slow start is not a hang.
				o.Notify(daemon.SdNotifyWatchdog)
				continue
			}
			s := l.Stalled()
			if now := strings.Join(s, " "); now != stalled {
				if len(s) > 0 {
					o.Log.Error("bus worker stalled in a read past its budget; the watchdog is no longer fed and systemd will restart ddm", "buses", now)
				} else {
					o.Log.Info("bus workers moving again; the watchdog is fed", "buses", stalled)
				}
				stalled = now
			}
			if len(s) == 0 {
				o.Notify(daemon.SdNotifyWatchdog)
			}
		}
	}
}
