package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ddm-agent/ddm/flightrec"
)

// TestDumpFlight: ddm dump --flight PORT prints the windows the agent
// saved in its state folder (the minute before the trigger, readings as
// time from it), says so when there is none, and names a broken file.
func TestDumpFlight(t *testing.T) {
	dir := t.TempDir()
	t0 := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	r := flightrec.New(flightrec.Options{})
	for s := 0; s < 100; s++ {
		r.Add("Ethernet1/12", flightrec.Record{Time: t0.Add(time.Duration(s) * time.Second), Lane: 6, TxBiasMA: 7, TxPowerMW: 1.1, RxPowerMW: 0.9,
			TemperatureC: flightrec.NaN, VccV: flightrec.NaN})
	}
	r.Trigger("Ethernet1/12", "rx_los/lane6", t0.Add(99*time.Second))
	for _, tc := range []struct {
		name, port string
		file       func()
		code       int
		want       []string
	}{
		{"none yet", "Ethernet1/12", func() {}, 0, []string{"no flight recorded", flightrec.FileName}},
		{"saved", "Ethernet1/12", func() {
			if err := r.SaveFile(filepath.Join(dir, flightrec.FileName)); err != nil {
				t.Fatal(err)
			}
		}, 0, []string{"Flight Ethernet1/12/rx_los/lane6@", "61 readings", "-60.000s", "+0.000s", "0.9000"}},
		{"other port", "Ethernet1/13", func() {}, 0, []string{"Ethernet1/13: no flight recorded"}},
		{"broken file", "Ethernet1/12", func() {
			if err := os.WriteFile(filepath.Join(dir, flightrec.FileName), []byte("[{"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, 1, []string{flightrec.FileName}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.file()
			code, out, errs := runDDM(t, "", "dump", "--flight", tc.port, "--state-dir", dir)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\n%s\n%s", code, tc.code, out, errs)
			}
			for _, w := range tc.want {
				if !strings.Contains(out+errs, w) {
					t.Errorf("output lacks %q:\n%s%s", w, out, errs)
				}
			}
		})
	}
}
