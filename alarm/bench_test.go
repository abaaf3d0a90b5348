package alarm

import (
	"testing"
	"time"
)

// BenchmarkEvaluate is the per-sample cost of the default rule set on an
// 8-lane 800G module with VDM (5 observables × 8 lanes, thresholds on
// each), healthy, one sample a second. Run:
//
//	go test -run '^$' -bench Evaluate -benchmem ./alarm/
func BenchmarkEvaluate(b *testing.B) {
	e := NewEngine(mustParse(b, string(DefaultRules())), Options{})
	m := osfp("740-174932", "SN1")
	now := t0
	b.ReportAllocs()
	for b.Loop() {
		now = now.Add(time.Second)
		if ev := e.Evaluate("Ethernet1", now, m, true); ev != nil {
			b.Fatalf("events %v", brief(ev))
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/sample")
}

// BenchmarkEvaluateFiring is the same with alarms firing on every lane
// (Rx power under the module's low warning, BER over 1e-5).
func BenchmarkEvaluateFiring(b *testing.B) {
	e := NewEngine(mustParse(b, string(DefaultRules())), Options{})
	m := osfp("740-174932", "SN1")
	for lane := 1; lane <= 8; lane++ {
		setRxDBM(m, lane, -7.6)
		setVDM(m, "pre_fec_ber_media", lane, 5e-5)
	}
	now := t0
	for i := 0; i < 3600; i++ {
		now = now.Add(time.Second)
		e.Evaluate("Ethernet1", now, m, true)
	}
	if len(e.Active()) == 0 {
		b.Fatal("nothing firing")
	}
	b.ReportAllocs()
	for b.Loop() {
		now = now.Add(time.Second)
		e.Evaluate("Ethernet1", now, m, true)
	}
}
