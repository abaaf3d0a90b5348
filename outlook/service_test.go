package outlook

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ddm-agent/ddm/alarm"
	"github.com/ddm-agent/ddm/emulator"
	"github.com/ddm-agent/ddm/exporter"
	"github.com/ddm-agent/ddm/internal/vclock"

	"github.com/ddm-agent/ddm/schema"
)

// The service as the agent runs it, on virtual time: the first cycle
// after First writes xcvr_forecast and xcvr_cohort points, fires the
// forecast rule on the degrading lane with its likely cause, and saves
// the history, which a restart loads back; every Every after that.
func TestServiceCycles(t *testing.T) {
	rules, err := alarm.Parse("r.yaml", []byte(`version: 1
rules:
  - name: ber_at_risk
    forecast: {quantity: pre_fec_ber, within: 14d, threshold: alarm}
    severity: major
`))
	if err != nil {
		t.Fatal(err)
	}
	tr := New()
	eng := alarm.NewEngine(rules, alarm.Options{Diagnose: tr.Diagnose})
	e := newEmulated(t, "osfp-800g-dr8", emulator.WithDegradations(emulator.Degradation{Kind: emulator.RxFade, Lane: 3, Rate: 0.5 / 24}))
	m := e.run(t, tr, "Ethernet1/1", 6*day, time.Hour)
	eng.Evaluate("Ethernet1/1", e.clk.Now(), m, true)

	var mu sync.Mutex
	var pts []exporter.Point
	var events []alarm.Event
	clk := vclock.New(e.clk.Now())
	path := filepath.Join(t.TempDir(), FileName)
	svc := NewService(tr, ServiceOptions{Host: "sw1", Path: path, Ports: []string{"Ethernet1/1"}, Engine: eng, Clock: clk,
		First:  10 * time.Second,
		Write:  func(p ...exporter.Point) { mu.Lock(); pts = append(pts, p...); mu.Unlock() },
		Events: func(ev []alarm.Event) { mu.Lock(); events = append(events, ev...); mu.Unlock() },
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	clk.Go(func() { svc.Run(ctx); close(done) })
	clk.BlockUntil(1)
	clk.Advance(9 * time.Second)
	mu.Lock()
	if len(pts) != 0 {
		t.Errorf("%d points before the first cycle", len(pts))
	}
	mu.Unlock()
	clk.Advance(time.Second)

	mu.Lock()
	kinds := map[string]int{}
	for _, p := range pts {
		kinds[p.Measurement]++
	}
	// A trend of each of 8 lanes × 4 quantities and 2 module ones, lane
	// 3's BER as three crossings and its fading Rx as two; the lanes of one module are a cohort
	// for the lane quantities (the module ones have one member).
	if kinds[schema.XcvrForecast] != 8*4+2+2+1 || kinds[schema.XcvrCohort] != 8*4 {
		t.Errorf("points %v", kinds)
	}
	// The VDM high alarm (2.4e-4) and the KP4 limit, both of the alarm
	// class; the Rx is not low yet, so the cause is honestly unknown,
	// with the trend as evidence.
	if len(events) != 2 || events[0].Limit != "high_alarm" || events[1].Limit != "kp4_limit" {
		t.Fatalf("events %+v", events)
	}
	if ev := events[1]; ev.Rule != "ber_at_risk" || ev.Lane != 3 || ev.Cause != "unknown" ||
		!strings.Contains(strings.Join(ev.Evidence, "; "), "lane 3 pre_fec_ber trend +0.3") {
		t.Errorf("event %+v", ev)
	}
	n := len(pts)
	mu.Unlock()

	clk.Advance(alarm.ForecastEvery)
	mu.Lock()
	if len(pts) < 2*n-1 {
		t.Errorf("%d points after the second cycle, %d after the first", len(pts), n)
	}
	mu.Unlock()
	cancel()
	<-done

	back := New()
	NewService(back, ServiceOptions{Path: path, Ports: []string{"Ethernet1/1"}})
	if got := back.Ports(); strings.Join(got, ",") != "Ethernet1/1" {
		t.Errorf("after a restart: ports %v", got)
	}
	// A port no longer configured is dropped.
	gone := New()
	NewService(gone, ServiceOptions{Path: path, Ports: []string{"Ethernet1/2"}})
	if got := gone.Ports(); len(got) != 0 {
		t.Errorf("ports %v kept without being configured", got)
	}
}
