package energy

import (
	"fmt"
	"math"
	"math/bits"

	"github.com/ddm-agent/ddm/cmis"
)

// hostRateGbps is the data rate, in Gb/s, of one instance of the Ethernet
// host interfaces of SFF-8024 Table 4-5 (the names in cmis/appcodes.go).
// Fibre Channel, InfiniBand, OTN and PCIe codes are absent: their rates
// are not Ethernet data rates, and an unknown rate is said, not guessed.
var hostRateGbps = map[uint8]float64{
	0x01: 1, 0x02: 10, 0x03: 10, 0x04: 10, 0x05: 25, 0x06: 40, 0x07: 40, 0x08: 50, 0x09: 50, 0x0A: 50,
	0x0B: 100, 0x0C: 100, 0x0D: 100, 0x0E: 200, 0x0F: 200, 0x10: 400, 0x11: 400, 0x13: 10,
	0x14: 25, 0x15: 25, 0x16: 25, 0x17: 40, 0x18: 50, 0x19: 100, 0x1A: 100, 0x1B: 100,
	0x1C: 200, 0x1D: 400, 0x1E: 200, 0x1F: 400,
	0x20: 100, 0x21: 200, 0x22: 400, 0x23: 800, // LEI (linear, LPO)
	0x41: 100, 0x42: 100, 0x46: 100, 0x47: 200, 0x48: 400, 0x49: 800,
	0x4B: 100, 0x4C: 100, 0x4D: 200, 0x4E: 200, 0x4F: 400, 0x50: 400, 0x51: 800, 0x52: 800,
	0x55: 1600, 0x56: 1600, 0x57: 800, 0x58: 1600,
	0x80: 200, 0x81: 400, 0x82: 800, 0x83: 1600,
	0x90: 100, 0x91: 100, 0x92: 200, 0x93: 200, 0x94: 400, 0x95: 400, 0x96: 800, 0x97: 800,
}

// Rate is the data rate a module carries and where it comes from.
type Rate struct {
	Gbps float64 `json:"gbps"`
	// Lanes is the number of host lanes carrying it, LaneGbps the rate of
	// each (0 when the lanes run applications of different rates).
	Lanes    int     `json:"lanes"`
	LaneGbps float64 `json:"lane_gbps,omitempty"`
	// From says how the rate was found: the active application, the first
	// advertised one, or the nominal bit rate.
	From string `json:"from"`
}

// DataRate returns the data rate of m's active application: lanes × lane
// rate, the lane rate being the application's host interface rate over
// its host lane count. CMIS modules use the active control set (page 11h
// 206-213); without it, application 1 on every lane group its host lane
// mask allows. SFF-8636/8436 and SFF-8472 modules, which advertise no
// applications, use 4 or 1 lanes at the nominal signalling rate with the
// 64b/66b line code removed, rounded to a whole Gb/s. ok is false, with
// the reason in Rate.From, when no rate can be known.
func DataRate(m *cmis.Module) (r Rate, ok bool) {
	switch m.Spec {
	case "CMIS":
		return cmisRate(m)
	case "SFF-8636", "SFF-8436":
		return nominalRate(m, 4)
	case "SFF-8472":
		return nominalRate(m, 1)
	}
	return Rate{From: "unknown management interface"}, false
}

func appByAppSel(m *cmis.Module, sel uint8) *cmis.Application {
	for i := range m.Applications {
		if m.Applications[i].AppSel == int(sel) {
			return &m.Applications[i]
		}
	}
	return nil
}

func cmisRate(m *cmis.Module) (Rate, bool) {
	if m.FunctionType == "laser source" || m.IdentifierCode == cmis.IDELSFP {
		return Rate{From: "a laser source carries no data"}, false
	}
	if len(m.Applications) == 0 {
		return Rate{From: "no applications advertised"}, false
	}
	var r Rate
	lane := -1.0
	names := map[uint8]bool{}
	for _, sel := range m.ActiveAppSel {
		if sel == 0 {
			continue
		}
		app := appByAppSel(m, sel)
		if app == nil {
			return Rate{From: fmt.Sprintf("active AppSel %d is not advertised", sel)}, false
		}
		total, ok := hostRateGbps[app.HostInterfaceID]
		if !ok || app.HostLanes == 0 {
			return Rate{From: fmt.Sprintf("no data rate known for host interface %s", app.HostInterface)}, false
		}
		per := total / float64(app.HostLanes)
		r.Gbps += per
		r.Lanes++
		if lane < 0 {
			lane = per
		} else if lane != per {
			lane = 0
		}
		names[sel] = true
	}
	if r.Lanes > 0 {
		r.LaneGbps = max(lane, 0)
		r.From = fmt.Sprintf("%d active applications", len(names))
		for sel := range names {
			if len(names) == 1 {
				r.From = fmt.Sprintf("active application %d (%s)", sel, appByAppSel(m, sel).HostInterface)
			}
		}
		return r, true
	}
	// No active set read (or every lane unused): application 1, on as
	// many lane groups as its host lane mask allows, in every bank.
	app := &m.Applications[0]
	total, ok := hostRateGbps[app.HostInterfaceID]
	if !ok || app.HostLanes == 0 {
		return Rate{From: fmt.Sprintf("no data rate known for host interface %s", app.HostInterface)}, false
	}
	banks := 1
	if m.Advertisement != nil && m.Advertisement.Banks > 1 {
		banks = m.Advertisement.Banks
	}
	inst := max(bits.OnesCount8(app.HostLaneMask), 1) * banks
	return Rate{Gbps: total * float64(inst), Lanes: inst * app.HostLanes, LaneGbps: total / float64(app.HostLanes),
		From: fmt.Sprintf("application 1 (%s) on every lane group; no active control set read", app.HostInterface)}, true
}

func nominalRate(m *cmis.Module, lanes int) (Rate, bool) {
	if m.NominalBitRateMbps == nil || *m.NominalBitRateMbps <= 0 {
		return Rate{From: "no nominal bit rate"}, false
	}
	lane := math.Round(*m.NominalBitRateMbps * 64 / 66 / 1000)
	if lane <= 0 {
		return Rate{From: "nominal bit rate below 1 Gb/s"}, false
	}
	return Rate{Gbps: lane * float64(lanes), Lanes: lanes, LaneGbps: lane,
		From: fmt.Sprintf("nominal bit rate %.0f Mb/s per lane", *m.NominalBitRateMbps)}, true
}
