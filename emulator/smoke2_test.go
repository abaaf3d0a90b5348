package emulator

import (
	"testing"
	"time"

	"github.com/ddm-agent/ddm/cmis"
)

func TestSmokePlatform(t *testing.T) {
	clk := NewManualClock(t0)
	p, err := defaultPlatform([]Option{WithClock(clk)})
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(40 * time.Minute)
	for _, ps := range p.Ports() {
		b := p.Buses()[ps.Bus]
		r := newReader(b, ps.Address)
		s := cmis.NewSnapshot()
		func() {
			defer func() {}()
			s = r.readAll(&testing.T{}, clk)
		}()
		m, _ := cmis.Decode(s)
		if m == nil {
			t.Logf("%s: nil", ps.Name)
			continue
		}
		t.Logf("%s %s %s temp=%v warn=%q flags=%v", ps.Name, ps.Bus, m.PartNumber, ptrv(m.TemperatureC), m.Warnings, m.Flags)
	}
	for n, b := range p.Buses() {
		if b.parent == nil {
			t.Logf("%s %v", n, b.BusTime())
		}
	}
}

func ptrv(p *float64) float64 {
	if p == nil {
		return -999
	}
	return *p
}
