package main

import (
	"encoding/json"
	"math"
	"os/exec"
	"strings"
	"testing"

	"github.com/ddm-agent/ddm/energy"
)

// TestEnergyEmulated: `ddm energy --json --emulate` on the default switch
// (the real binary): the engine's and the laser source's figures, and
// switch totals that are the sums of the ports shown.
func TestEnergyEmulated(t *testing.T) {
	out, err := exec.Command(ddmBinary(t), "energy", "--json", "--emulate").Output()
	if err != nil {
		t.Fatalf("ddm energy: %v", err)
	}
	var got struct {
		Ports  []*energy.Port `json:"ports"`
		Switch energy.Switch  `json:"switch"`
		ByPart []energy.Part  `json:"by_part"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	byPort := map[string]*energy.Port{}
	var watts, gbps float64
	for _, p := range got.Ports {
		byPort[p.Port] = p
		watts += *p.PowerW
		gbps += p.Rate.Gbps
	}
	// 64 cages, all filled at start.
	if len(got.Ports) != 64 || got.Switch.Ports != 64 {
		t.Errorf("%d ports, switch counts %d", len(got.Ports), got.Switch.Ports)
	}
	npo := byPort["npo1"]
	if npo == nil || *npo.PowerW != 30 || npo.Basis != energy.Advertised || npo.Rate.Gbps != 3200 || *npo.PJPerBit != 9.375 ||
		npo.Reference == nil || npo.Reference.Class != "npo-cpo" || npo.Reference.Verdict != energy.Within {
		t.Errorf("npo1 %+v", npo)
	}
	els := byPort["els1"]
	if els == nil || els.Basis != energy.Measured || els.PJPerBit != nil || els.LoadFraction == nil || els.MaxPowerW == nil || *els.MaxPowerW != 10 {
		t.Errorf("els1 %+v", els)
	}
	s := got.Switch
	if math.Abs(s.PowerW-watts) > 1e-9 || s.RateGbps != gbps || s.Measured != 1 || s.Advertised != 63 ||
		math.Abs(*s.WPerTbps-watts/(gbps/1000)) > 1e-9 || s.LimitKnown != 1 {
		t.Errorf("switch %+v, ports sum to %v W, %v Gb/s", s, watts, gbps)
	}
	if len(got.ByPart) != 9 {
		t.Errorf("%d part numbers, want the 9 profiles'", len(got.ByPart))
	}
}

// TestEnergyText: the text table names each port, its basis, and the
// switch line; a port that is not there is a usage error.
func TestEnergyText(t *testing.T) {
	code, out, errs := runDDM(t, "", "energy", "--emulate", "npo1", "els1", "Ethernet1/1")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"npo1  ", "3200 Gb/s", "9.38", "npo-cpo", "within 3.125–11.25", "els1", "measured (", "% of max",
		"Switch: 3 modules", "EMU-OSFP800G-DR8", "dsp-800g"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if code, _, errs := runDDM(t, "", "energy", "--emulate", "nosuchport"); code != exitUsage || !strings.Contains(errs, `nor a port of the emulated switch`) {
		t.Errorf("unknown port: exit %d, %s", code, errs)
	}
}
