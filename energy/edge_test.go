package energy_test

import (
	"strings"
	"testing"

	"github.com/ddm-agent/ddm/cmis"
	"github.com/ddm-agent/ddm/energy"
)

// TestForModuleEdges: what a module does not say is not made up.
func TestForModuleEdges(t *testing.T) {
	app := func(sel int, host uint8, lanes int, mask uint8) cmis.Application {
		return cmis.Application{AppSel: sel, HostInterfaceID: host, HostInterface: cmis.HostInterfaceName(host), HostLanes: lanes, HostLaneMask: mask}
	}
	smf := "Single-mode fibre (SMF)"
	tests := []struct {
		name  string
		m     cmis.Module
		power float64 // 0: none
		gbps  float64 // 0: unknown
		from  string  // in Rate.From
	}{
		{"max power byte 0 advertises nothing", cmis.Module{Spec: "CMIS", MaxPowerW: f(0), Applications: []cmis.Application{app(1, 0x51, 8, 1)}},
			0, 800, "no active control set"},
		{"unknown host interface", cmis.Module{Spec: "CMIS", MaxPowerW: f(16), Applications: []cmis.Application{app(1, 0x2A, 1, 0xFF)}},
			16, 0, "no data rate known for host interface 128GFC"},
		{"active AppSel not advertised", cmis.Module{Spec: "CMIS", MaxPowerW: f(16), Applications: []cmis.Application{app(1, 0x51, 8, 1)},
			ActiveAppSel: []uint8{3, 3, 3, 3, 3, 3, 3, 3}}, 16, 0, "active AppSel 3 is not advertised"},
		{"two applications: 1 x 400G (4 lanes) + 4 x 100G", cmis.Module{Spec: "CMIS", MediaType: smf, MaxPowerW: f(16),
			Applications: []cmis.Application{app(1, 0x4F, 4, 0x11), app(2, 0x4B, 1, 0xFF)}, ActiveAppSel: []uint8{1, 1, 1, 1, 2, 2, 2, 2}},
			16, 800, "2 active applications"},
		{"unused lanes carry nothing", cmis.Module{Spec: "CMIS", MaxPowerW: f(8), Applications: []cmis.Application{app(1, 0x4F, 4, 0x11)},
			ActiveAppSel: []uint8{1, 1, 1, 1, 0, 0, 0, 0}}, 8, 400, "active application 1"},
		{"ELSFP without a Vcc monitor: advertised", cmis.Module{Spec: "CMIS", IdentifierCode: cmis.IDELSFP, MaxPowerW: f(10), SupplyCurrentMA: f(2000)},
			10, 0, "laser source"},
		{"SFF without a nominal rate", cmis.Module{Spec: "SFF-8472", MaxPowerW: f(1)}, 1, 0, "no nominal bit rate"},
		{"unknown spec", cmis.Module{Spec: "?"}, 0, 0, "unknown management interface"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := energy.ForModule("p", &tc.m)
			if (p.PowerW == nil) != (tc.power == 0) || (p.PowerW != nil && *p.PowerW != tc.power) {
				t.Errorf("power %v, want %v", p.PowerW, tc.power)
			}
			if p.RateKnown != (tc.gbps > 0) || p.Rate.Gbps != tc.gbps || !strings.Contains(p.Rate.From, tc.from) {
				t.Errorf("rate %+v (known %v), want %v Gb/s from %q", p.Rate, p.RateKnown, tc.gbps, tc.from)
			}
			if (p.PJPerBit != nil) != (tc.power > 0 && tc.gbps > 0) {
				t.Errorf("pJ/bit %v with power %v and rate %v", p.PJPerBit, tc.power, tc.gbps)
			}
		})
	}
	if energy.ForModule("empty", nil) != nil {
		t.Error("an empty cage has an energy view")
	}
}
