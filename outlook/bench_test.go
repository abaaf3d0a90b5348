package outlook

import (
	"io"
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/ddm-agent/ddm/cmis"
	"github.com/ddm-agent/ddm/forecast"
)

// fullSwitch is a tracker holding 28 days of history of a 64-port switch
// of 8-lane modules (every bucket filled), as the agent has after a month.
func fullSwitch(b *testing.B) (*Tracker, time.Time) {
	tr := New()
	end := t0.Add(28 * day)
	th := map[string]cmis.Thresholds{cmis.QRxPower: {HighAlarm: 4, LowAlarm: 0.1, HighWarning: 3, LowWarning: 0.2}}
	for p := 0; p < 64; p++ {
		name := "Ethernet1/" + strconv.Itoa(p+1)
		m := &cmis.Module{PartNumber: "PN", SerialNumber: "SN" + name, Thresholds: th}
		for l := 1; l <= 8; l++ {
			m.Lanes = append(m.Lanes, cmis.Lane{Lane: l})
		}
		tr.ports[name] = &port{series: map[Key]*forecast.History{}, identity: identityOf(m), last: m}
		pt := tr.ports[name]
		for l := 0; l <= 8; l++ {
			qs := []string{cmis.QTxBias, cmis.QTxPower, cmis.QRxPower, QPreFECBER}
			if l == 0 {
				qs = []string{cmis.QTemperature, cmis.QLaserTemperature}
			}
			for _, q := range qs {
				h := tr.history(pt, Key{l, q})
				for t := t0; t.Before(end); t = t.Add(20 * time.Minute) {
					h.Add(t, 1+0.01*math.Sin(float64(t.Unix()))+float64(l)*1e-3)
				}
			}
		}
	}
	return tr, end
}

// BenchmarkUpdateFullSwitch: one forecast cycle of a month-old 64-port
// switch (the tracker is locked meanwhile).
func BenchmarkUpdateFullSwitch(b *testing.B) {
	tr, end := fullSwitch(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tr.Update("sw1", end)
	}
}

// BenchmarkSaveFullSwitch: saving that history.
func BenchmarkSaveFullSwitch(b *testing.B) {
	tr, end := fullSwitch(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var n countingWriter
		if err := tr.Save(&n, end); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(n), "bytes")
	}
}

type countingWriter int

func (c *countingWriter) Write(p []byte) (int, error) {
	*c += countingWriter(len(p))
	return len(p), nil
}

var _ io.Writer = (*countingWriter)(nil)

// BenchmarkSnapshotFullSwitch: what Observe waits for while a cycle or a
// save copies the histories.
func BenchmarkSnapshotFullSwitch(b *testing.B) {
	tr, _ := fullSwitch(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tr.snapshot(false)
	}
}
