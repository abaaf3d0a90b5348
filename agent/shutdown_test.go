package agent_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/ddm-agent/ddm/agent"
	"github.com/ddm-agent/ddm/i2c"
)

// cancelOnLOS is a module whose flag scan (SFF-8636 bytes 3-14, one read)
// ends the agent's context just after a read that found a loss of signal
// latched: the read itself succeeded, and it cleared the latch on the
// module, as a read does at the moment a SIGTERM arrives.
type cancelOnLOS struct {
	i2c.Memory
	mu     sync.Mutex
	cancel context.CancelFunc
	before func() int // the rx_los events delivered so far
	seen   int        // before() when the read ended the context; -1 until then
}

func (m *cancelOnLOS) Read(ctx context.Context, addr, bank, page uint8, off int, p []byte) error {
	err := m.Memory.Read(ctx, addr, bank, page, off, p)
	m.mu.Lock()
	defer m.mu.Unlock()
	if err == nil && m.seen < 0 && page == 0 && off == 3 && len(p) == 12 && p[0]&0x0f != 0 {
		m.seen = m.before()
		m.cancel()
	}
	return err
}

// TestAgentDeliversFlagsReadAtShutdown: a flag scan that read a latched
// loss of signal just as the agent was told to stop still delivers its
// event. The read cleared the latch on the module: dropped, the flap
// would be lost for good (it was, while the scan delivered its events
// only when the context had not ended).
func TestAgentDeliversFlagsReadAtShutdown(t *testing.T) {
	const yaml = `
buses:
  - {name: b, speed: 400kHz}
ports:
  - {name: p, bus: b, profile: qsfp28-100g-lr4}
scenarios:
  - {port: p, kind: los_pulses, lane: 2, start: 5s}
`
	_, _, vc, pl := scanRig(t, yaml, agent.Options{Interval: time.Second}, false)
	rec := &flagRecorder{recorder: recorder{samples: map[string][]agent.Sample{}}}
	losEvents := func() int {
		rec.fmu.Lock()
		defer rec.fmu.Unlock()
		n := 0
		for _, ev := range rec.events {
			if ev.Flag == "rx_los" {
				n++
			}
		}
		return n
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ports := platformPorts(pl)
	mem := &cancelOnLOS{Memory: ports[0].Mem, cancel: cancel, before: losEvents, seen: -1}
	ports[0].Mem = mem
	a, err := agent.New(ports, rec, agent.Options{Interval: time.Second, Clock: vc})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = a.Run(ctx); close(done) }()
	vc.BlockUntil(len(a.Buses()))
	for i := 0; i < 1200 && ctx.Err() == nil; i++ {
		vc.Advance(50 * time.Millisecond)
	}
	<-done
	mem.mu.Lock()
	seen := mem.seen
	mem.mu.Unlock()
	if seen < 0 {
		t.Fatal("no flag scan read a latched loss of signal in 60 s of pulses")
	}
	if got := losEvents(); got <= seen {
		t.Errorf("%d rx_los events delivered before the read that saw the latch as the agent stopped, %d after: its event was dropped", seen, got)
	}
}
