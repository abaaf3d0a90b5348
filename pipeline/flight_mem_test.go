package pipeline

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ddm-agent/ddm/agent"
	"github.com/ddm-agent/ddm/emulator"
	"github.com/ddm-agent/ddm/flightrec"
	"github.com/ddm-agent/ddm/i2c"
	"github.com/ddm-agent/ddm/internal/vclock"
)

// switch64YAML is the emulated 64-port switch of scripts/bench-process.sh
// (half 800G DR8, half 1.6T DR8), one port a bus.
func switch64YAML() string {
	var b strings.Builder
	b.WriteString("buses:\n")
	for i := 1; i <= 64; i++ {
		fmt.Fprintf(&b, "  - {name: i2c-%d, speed: 1MHz}\n", i)
	}
	b.WriteString("ports:\n")
	for i := 1; i <= 64; i++ {
		prof := "osfp-800g-dr8"
		if i%2 == 0 {
			prof = "osfp-1.6t-dr8"
		}
		fmt.Fprintf(&b, "  - {name: Ethernet%d, bus: i2c-%d, profile: %s}\n", i, i, prof)
	}
	return b.String()
}

// switch64Samples runs the agent on virtual time over the emulated 64-port
// switch for span (1 s fast cadence, 10 s VDM) and returns its samples.
func switch64Samples(tb testing.TB, span time.Duration) []agent.Sample {
	t0 := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	clk := vclock.New(t0)
	pl, err := emulator.ParsePlatform("switch64.yaml", []byte(switch64YAML()), emulator.WithClock(clk))
	if err != nil {
		tb.Fatal(err)
	}
	var ports []agent.Port
	for _, ps := range pl.Ports() {
		pg := i2c.NewPager(pl.Buses()[ps.Bus], i2c.PagerOptions{Wait: vclock.Skip})
		addr := uint8(ps.Address)
		ports = append(ports, agent.Port{Name: ps.Name, Bus: ps.Bus, Addr: addr, Mem: pg.Module(addr), Forget: func() { pg.Forget(addr) }})
	}
	var mu sync.Mutex
	var samples []agent.Sample
	obs := agent.ObserverFunc(func(s agent.Sample) {
		s.Module = s.Module.Clone()
		mu.Lock()
		samples = append(samples, s)
		mu.Unlock()
	})
	a, err := agent.New(ports, obs, agent.Options{Clock: clk, Interval: time.Second, VDMInterval: 10 * time.Second})
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { a.Run(ctx); close(done) }()
	clk.BlockUntil(1)
	clk.Advance(span)
	cancel()
	<-done
	return samples
}

// recorderHeld feeds the samples to a new recorder as the pipeline does
// and returns the heap it holds afterwards.
func recorderHeld(samples []agent.Sample) (*flightrec.Recorder, uint64) {
	var before, after runtime.MemStats
	// Twice: the second empties the sync.Pools' victim caches.
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&before)
	r := flightrec.New(flightrec.Options{Interval: time.Second, VDMInterval: 10 * time.Second})
	for _, s := range samples {
		switch s.Kind {
		case agent.KindFast, agent.KindStatic:
			r.Add(s.Port, FlightRecords(s)...)
		case agent.KindVDM:
			r.Add(s.Port, VDMRecords(s)...)
		}
	}
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&after)
	return r, after.HeapAlloc - min(before.HeapAlloc, after.HeapAlloc)
}

// BenchmarkFlightRecorderSwitch64: the heap the flight recorder holds for
// the emulated 64-port switch after 100 s of reads (held-bytes), and what
// feeding it allocates (B/op).
func BenchmarkFlightRecorderSwitch64(b *testing.B) {
	samples := switch64Samples(b, 100*time.Second)
	b.ResetTimer()
	var held uint64
	for i := 0; i < b.N; i++ {
		r, h := recorderHeld(samples)
		held = h
		runtime.KeepAlive(r)
	}
	b.ReportMetric(float64(held), "held-bytes")
}

// TestFlightRecorderFollowsHardware: on the emulated 64-port switch each
// port's ring is sized by its module (lanes, VDM observables) for the
// minute before a trigger at a 1 s fast and 10 s VDM cadence, 32 bytes a
// reading: 3.1 MB for the switch, against the 16.8 MB of the rings of
// 4 096 readings (64 bytes each) whatever the module that it replaced.
func TestFlightRecorderFollowsHardware(t *testing.T) {
	samples := switch64Samples(t, 12*time.Second)
	lanes, vdm := map[string]int{}, map[string]int{}
	for _, s := range samples {
		switch s.Kind {
		case agent.KindFast, agent.KindStatic:
			lanes[s.Port] = len(s.Module.Lanes)
		case agent.KindVDM:
			vdm[s.Port] = len(s.Module.VDM)
		}
	}
	r, _ := recorderHeld(samples)
	if len(lanes) != 64 || len(vdm) != 64 {
		t.Fatalf("%d ports read, %d with VDM; want 64", len(lanes), len(vdm))
	}
	total := 0
	for port, l := range lanes {
		// 61 fast reads of the module and its lanes, 61 scans of each
		// lane, 7 VDM reads.
		want := 61*(1+l) + 61*l + 7*vdm[port]
		if got := r.Capacity(port); got != want {
			t.Errorf("%s (%d lanes, %d VDM observables): ring of %d readings, want %d", port, l, vdm[port], got, want)
		}
		total += want
	}
	// The heap the recorder holds is BenchmarkFlightRecorderSwitch64's
	// figure (measured after a run of 100 s).
	if r.HeldBytes() != total*32 {
		t.Errorf("rings of %d readings hold %d bytes, want %d", total, r.HeldBytes(), total*32)
	}
	t.Logf("64 ports (%d lanes, %d VDM observables on Ethernet1): %d readings, %d bytes held", lanes["Ethernet1"], vdm["Ethernet1"], total, r.HeldBytes())
}
