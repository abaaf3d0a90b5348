package agent_test

import (
	"sync"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"

	"github.com/ddm-agent/ddm/agent"
	"github.com/ddm-agent/ddm/i2c"
)

// fakePin is a gpio.PinIn whose edges the test fires.
type fakePin struct {
	gpio.PinIn // the rest of the interface: unused
	edges      chan struct{}
	mu         sync.Mutex
	waits      int
}

func (p *fakePin) WaitForEdge(timeout time.Duration) bool {
	p.mu.Lock()
	p.waits++
	p.mu.Unlock()
	select {
	case <-p.edges:
		return true
	case <-time.After(timeout):
		return false
	}
}

// TestAgentInterruptScan: a port whose IntL is on a GPIO is scanned on the
// pin's edge, not on the scan timer: no scan of it while pulses come and
// go (its fast reads still see them), then an edge just after an onset
// scans it at once, with virtual time standing still. Its neighbour on the
// bus keeps the timer.
func TestAgentInterruptScan(t *testing.T) {
	const yaml = `
buses:
  - {name: b, speed: 400kHz}
ports:
  - {name: intl, bus: b, profile: osfp-800g-dr8}
  - {name: timer, bus: b, address: 0x52, profile: osfp-800g-dr8}
scenarios:
  - {port: intl, kind: los_pulses, lane: 2, start: 10s}
  - {port: timer, kind: los_pulses, lane: 2, start: 10s}
`
	// The platform and its clock from scanRig; the agent again, with a pin
	// on "intl".
	_, _, vc, pl := scanRig(t, yaml, agent.Options{Interval: time.Second}, false)
	pin := &fakePin{edges: make(chan struct{})}
	ports := platformPorts(pl)
	var intlMem i2c.Memory
	for i := range ports {
		if ports[i].Name == "intl" {
			ports[i].Interrupt = pin
			intlMem = ports[i].Mem
		}
	}
	rec := &flagRecorder{recorder: recorder{samples: map[string][]agent.Sample{}}}
	a, err := agent.New(ports, rec, agent.Options{Interval: time.Second, Clock: vc})
	if err != nil {
		t.Fatal(err)
	}
	stop := start(a, vc)
	defer stop()
	vc.Advance(time.Minute)
	scans := func(port string) (n int, los bool) {
		rec.fmu.Lock()
		defer rec.fmu.Unlock()
		for _, e := range rec.events {
			if e.Port == port && e.Scan {
				n++
				los = los || (e.Flag == "rx_los" && e.Lane == 2)
			}
		}
		return n, los
	}
	if n, _ := scans("intl"); n != 0 {
		t.Fatalf("%d scan events on the port with an interrupt pin before any edge", n)
	}
	if n, _ := scans("timer"); n == 0 {
		t.Fatal("no scan events on the timer's port")
	}
	// IntL fires 1 ms after the next onset of intl's lane 2: the edge scans
	// the port at once, with virtual time standing still.
	for n := len(pl.Module("intl").Onsets()); len(pl.Module("intl").Onsets()) == n; {
		vc.Advance(time.Millisecond)
	}
	// Time stands still: no fast read or timer scan can run, so reads of
	// the port now are the edge's scan: the summaries, and page 11h of
	// bank 0, which they show latched.
	before := intlMem.Stats()
	pin.edges <- struct{}{}
	if !settle(func() bool { return intlMem.Stats().Transactions > before.Transactions }) {
		t.Fatal("the edge did not scan the port within a second")
	}
	settle(func() bool { return intlMem.Stats().BytesRead-before.BytesRead >= 11+20 })
	if got := intlMem.Stats().Sub(before).BytesRead; got != 11+20 {
		t.Errorf("the edge's scan read %d bytes, want 11 (summaries) + 20 (bank 0's lane flags)", got)
	}
}
