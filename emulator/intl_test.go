package emulator

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"

	"github.com/ddm-agent/ddm/cmis"
	"github.com/ddm-agent/ddm/internal/vclock"
)

const intlYAML = `
buses:
  - {name: b, speed: 400kHz}
ports:
  - {name: cmis, bus: b, address: 0x50, profile: qsfpdd-400g-fr4}
  - {name: q28, bus: b, address: 0x52, profile: qsfp28-100g-lr4}
  - {name: sfp, bus: b, address: 0x54, profile: sfp28-25g}
  - {name: empty, bus: b, address: 0x56, absent: true}
scenarios:
  - {port: cmis, kind: los_pulses, lane: 2, start: 10s}
  - {port: q28, kind: los_pulses, lane: 3, start: 10s}
`

// edgeSeen is one falling edge as a host that reads on IntL saw it.
type edgeSeen struct {
	at               time.Time
	lowAtEdge        bool // the line read low when the edge came
	highAfterReading bool // and high once the host read the latched flags
}

// readLatched reads every latched flag byte of the module at addr, as a
// host does on IntL (clearing them): CMIS lower 8-11 and page 11h 134-153,
// SFF-8636 lower 3-14.
func readLatched(t *testing.T, r *reader, sff bool) {
	s := cmis.NewSnapshot()
	rgs := []cmis.Range{{Page: cmis.Lower, Offset: 8, Length: 4}, {Page: cmis.Upper(0, 0x11), Offset: 134, Length: 20}}
	if sff {
		rgs = []cmis.Range{{Page: cmis.Lower, Offset: 3, Length: 12}}
	}
	for _, rg := range rgs {
		if err := r.read(s, rg); err != nil {
			t.Error(err)
		}
	}
}

// TestIntLPin: an emulated cage's IntL on a GPIO falls at each pulse's
// onset, at that instant of a virtual clock; it reads low until a host
// reads the latched flags and high after; SFF-8636 modules drive it as
// CMIS ones do. An empty cage's line stays high, an SFP cage has none, and
// a name that is no cage's IntL is an error showing the form.
func TestIntLPin(t *testing.T) {
	clk := vclock.New(t0)
	pl, err := ParsePlatform("intl.yaml", []byte(intlYAML), WithClock(clk))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, err string }{
		{"IntL-sfp", "has no IntL"},
		{"GPIO17", `no GPIO "GPIO17" on the emulated switch (a cage's IntL is IntL- and its port's name: IntL-cmis)`},
		{"IntL-nosuch", `no GPIO "IntL-nosuch"`},
	} {
		if _, err := pl.GPIO(tc.name); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	edges := map[string][]edgeSeen{}
	var mu sync.Mutex
	for _, port := range []string{"cmis", "q28"} {
		pin, err := pl.GPIO(IntLPrefix + port)
		if err != nil {
			t.Fatal(err)
		}
		if again, _ := pl.GPIO(IntLPrefix + port); again != pin {
			t.Errorf("%s: a second GPIO lookup gave another pin", port)
		}
		if err := pin.In(gpio.PullUp, gpio.FallingEdge); err != nil {
			t.Fatal(err)
		}
		var addr uint16
		for _, ps := range pl.Ports() {
			if ps.Name == port {
				addr = ps.Address
			}
		}
		r := newReader(pl.Buses()["b"], addr)
		wg.Add(1)
		clk.Go(func() {
			defer wg.Done()
			for pin.WaitForEdgeContext(ctx) {
				e := edgeSeen{at: clk.Now(), lowAtEdge: pin.Read() == gpio.Low}
				readLatched(t, r, port == "q28")
				e.highAfterReading = pin.Read() == gpio.High
				mu.Lock()
				edges[port] = append(edges[port], e)
				mu.Unlock()
			}
		})
	}
	empty, err := pl.GPIO("IntL-empty")
	if err != nil {
		t.Fatal(err)
	}
	_ = empty.In(gpio.PullUp, gpio.FallingEdge)
	var emptyEdge bool
	wg.Add(1)
	clk.Go(func() {
		defer wg.Done()
		emptyEdge = empty.WaitForEdge(time.Minute)
	})
	clk.BlockUntil(3)
	span := 2 * time.Minute
	clk.Advance(span)
	cancel()
	wg.Wait()

	if emptyEdge || empty.Read() != gpio.High {
		t.Errorf("the empty cage's IntL: edge %v, level %v; want no edge, high", emptyEdge, empty.Read())
	}
	for _, port := range []string{"cmis", "q28"} {
		at := map[time.Time]edgeSeen{}
		for _, e := range edges[port] {
			at[e.at] = e
			if !e.lowAtEdge || !e.highAfterReading {
				t.Errorf("%s: edge at %v: low at the edge %v, high after the host read %v", port, e.at.Sub(t0), e.lowAtEdge, e.highAfterReading)
			}
		}
		onsets := pl.Module(port).Onsets()
		if len(onsets) < 50 {
			t.Fatalf("%s: %d onsets in %v", port, len(onsets), span)
		}
		missed := 0
		for _, o := range onsets {
			if _, ok := at[o.At]; !ok {
				missed++
			}
		}
		if missed > 0 {
			t.Errorf("%s: %d of %d pulse onsets without an edge at that instant (%d edges)", port, missed, len(onsets), len(edges[port]))
		}
	}
}
