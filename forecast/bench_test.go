package forecast

import (
	"testing"
	"time"
)

// fullHistory is 28 days of a slowly declining lane at 1-second samples'
// bucket density (2-hour buckets), as the agent holds after a month: an
// optical power, fitted in dB and in mW (the dearest quantity to fit).
func fullHistory() *History {
	return series(ScaleOf("rx_power_mw"), 28, 10*time.Minute, 0.01, 9, func(d float64) float64 { return 0.8 - 0.01*d })
}

// BenchmarkAdd is the cost of one sample: what the agent pays per lane
// and quantity on every read.
func BenchmarkAdd(b *testing.B) {
	h := fullHistory()
	t := at(28)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		h.Add(t.Add(time.Duration(i)*time.Second), 0.52)
	}
}

// BenchmarkEvaluate is the cost of one forecast over a full 28-day
// history with two limits: what the agent pays per lane and quantity at
// each forecast (a slow cadence, minutes).
func BenchmarkEvaluate(b *testing.B) {
	h := fullHistory()
	limits := []Limit{{Name: "low_warning", Value: 0.3}, {Name: "low_alarm", Value: 0.2}, {Name: "high_alarm", Value: 3, High: true}}
	now := at(28)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		h.Evaluate(now, limits, Options{})
	}
}

// BenchmarkLaneUpdate is the cost per lane per update at the agent's
// cadences: every fast read (1 s) adds Tx bias, Tx power and Rx power,
// and every 15 minutes (900 reads) the three are forecast.
func BenchmarkLaneUpdate(b *testing.B) {
	hs := [3]*History{fullHistory(), fullHistory(), fullHistory()}
	limits := []Limit{{Name: "low_warning", Value: 0.3}, {Name: "low_alarm", Value: 0.2}}
	t := at(28)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		now := t.Add(time.Duration(i) * time.Second)
		for _, h := range hs {
			h.Add(now, 0.52)
		}
		if i%900 == 0 {
			for _, h := range hs {
				h.Evaluate(now, limits, Options{})
			}
		}
	}
}
