package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ddm-agent/ddm/cmis"
	"github.com/ddm-agent/ddm/flightrec"
)

// TestDumpFlight: ddm dump --flight PORT prints the windows the agent
// saved in its state folder (its triggers, the minute before the opening
// one with the fast and VDM readings, times from it; of a flight that
// lists flightrec.MaxTriggers, how many more it counted), says so when
// there is none, and names a broken file and line.
func TestDumpFlight(t *testing.T) {
	dir := t.TempDir()
	t0 := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	r := flightrec.New(flightrec.Options{Journal: true})
	for s := 0; s < 105; s++ {
		r.Add("Ethernet1/12", flightrec.Record{Time: t0.Add(time.Duration(s) * time.Second), Lane: 6, TxBiasMA: 7, TxPowerMW: 1.1, RxPowerMW: 0.9,
			TemperatureC: flightrec.NaN, VccV: flightrec.NaN})
		if s%10 == 0 {
			r.Add("Ethernet1/12", flightrec.Record{Time: t0.Add(time.Duration(s)*time.Second + 300*time.Millisecond), Lane: 6, VDM: 15,
				Value: 2.5e-5, Flags: uint32(cmis.HighWarning)})
		}
		switch s {
		case 99:
			r.Trigger("Ethernet1/12", "rx_los/lane6", t0.Add(99*time.Second))
			// A lane that flaps on: 100 triggers, 64 listed.
			for k := range 100 {
				r.Trigger("Ethernet1/14", "rx_los/lane1", t0.Add(99*time.Second+time.Duration(k)*time.Millisecond))
			}
		case 104:
			r.Trigger("Ethernet1/12", "rx_cdr_lol/lane6", t0.Add(99500*time.Millisecond))
		}
	}
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
		}, 0, []string{"Flight Ethernet1/12/rx_los/lane6@", "73 readings", "after-window to +30.500s", "trigger    +0.000s rx_los/lane6 (opened)",
			"trigger    +0.500s rx_cdr_lol/lane6 (joined)", "-60.000s", "+0.000s", "0.9000", "+5.000s", "-58.700s    6  VDM pre_fec_ber_media = 2.5e-05 ratio  high_warning"}},
		{"other port", "Ethernet1/13", func() {}, 0, []string{"Ethernet1/13: no flight recorded"}},
		{"flapping port", "Ethernet1/14", func() {}, 0, []string{"trigger    +0.063s rx_los/lane1 (joined)",
			"and 36 more triggers of these causes, counted, not listed (a flight lists 64)"}},
		{"broken file", "Ethernet1/12", func() {
			if err := os.WriteFile(filepath.Join(dir, flightrec.FileName), []byte("{\"id\":\"x\",\"open\":{}}\n[{\n{}\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, 1, []string{flightrec.FileName + " line 2"}},
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
