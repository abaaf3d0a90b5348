package flightrec

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkSaveDuringFlight: the cost of one second of an after-window on
// a 64-port switch of 8-lane modules read every second: every port's read
// added, then the flights file saved (as the pipeline does every tick).
// kept: flights each port already has in the file.
func BenchmarkSaveDuringFlight(b *testing.B) {
	for _, kept := range []int{1, KeepFlights} {
		b.Run(fmt.Sprintf("kept=%d", kept), func(b *testing.B) {
			r := New(benchOptions())
			path := filepath.Join(b.TempDir(), FileName)
			ports := make([]string, 64)
			for i := range ports {
				ports[i] = fmt.Sprintf("Ethernet%d", i+1)
			}
			sec := 0
			tick := func() {
				for _, p := range ports {
					feed(r, p, sec, sec+1, 8)
				}
				sec++
				if err := r.SaveFile(path); err != nil {
					b.Fatal(err)
				}
			}
			// kept flights on every port but the first, then one open on
			// the first.
			for k := 0; k < kept; k++ {
				for range 100 {
					tick()
				}
				for _, p := range ports[1:] {
					r.Trigger(p, "rx_los/lane6", t0.Add(time.Duration(sec-1)*time.Second))
				}
			}
			for range 100 {
				tick()
			}
			r.Trigger(ports[0], "rx_los/lane6", t0.Add(time.Duration(sec-1)*time.Second))
			if err := r.SaveFile(path); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if i%25 == 24 {
					// keep the flight open: another one every 25 s
					r.Trigger(ports[0], "rx_los/lane6", t0.Add(time.Duration(sec-1)*time.Second))
				}
				tick()
			}
			b.StopTimer()
			if st, err := os.Stat(path); err == nil {
				b.ReportMetric(float64(st.Size()), "file-bytes")
			}
		})
	}
}

func benchOptions() Options { return Options{Journal: true} }
