package exporter

import (
	"time"

	"github.com/ddm-agent/ddm/energy"
)

// Energy measurements.
const (
	MEnergy      = "xcvr_energy"
	MEnergyTotal = "xcvr_energy_total"
)

// EnergyPoint is a module's energy view as an xcvr_energy point; nil (an
// empty cage) gives none. The strings are written even when empty, so the
// last value belongs to the module in the cage.
func EnergyPoint(src Source, e *energy.Port) []Point {
	if e == nil {
		return nil
	}
	p := src.point(MEnergy)
	p.AddFloatPtr("power_w", e.PowerW)
	p.AddString("basis", string(e.Basis))
	p.AddFloatPtr("max_power_w", e.MaxPowerW)
	if e.PowerClass > 0 {
		p.AddInt("power_class", int64(e.PowerClass))
	}
	p.AddFloatPtr("measured_power_w", e.MeasuredW)
	if e.RateKnown {
		p.AddFloat("data_rate_gbps", e.Rate.Gbps)
		p.AddInt("lanes", int64(e.Rate.Lanes))
		if e.Rate.LaneGbps > 0 {
			p.AddFloat("lane_rate_gbps", e.Rate.LaneGbps)
		}
	}
	p.AddFloatPtr("pj_per_bit", e.PJPerBit)
	p.AddFloatPtr("load_fraction", e.LoadFraction)
	p.AddBool("near_limit", e.NearLimit)
	class, verdict := "", ""
	if r := e.Reference; r != nil {
		class, verdict = r.Class, r.Verdict
	}
	p.AddString("reference_class", class)
	p.AddString("reference", verdict)
	p.AddString("part_number", e.PartNumber)
	return []Point{p}
}

// EnergyTotalPoints are the switch's energy totals at t: one
// xcvr_energy_total point without a part_number tag for the switch, and
// one per part number.
func EnergyTotalPoints(host string, t time.Time, ports []*energy.Port) []Point {
	parts := energy.ByPart(ports)
	pts := make([]Point, 0, 1+len(parts))
	pts = append(pts, totalPoint(host, "", t, energy.Total(ports)))
	for _, part := range parts {
		pts = append(pts, totalPoint(host, part.PartNumber, t, part.Switch))
	}
	return pts
}

func totalPoint(host, part string, t time.Time, s energy.Switch) Point {
	p := NewPoint(MEnergyTotal, t)
	p.AddTag("host", host)
	p.AddTag("part_number", part) // an empty value adds no tag: the switch's point
	p.AddInt("ports", int64(s.Ports))
	p.AddInt("measured_ports", int64(s.Measured))
	p.AddInt("advertised_ports", int64(s.Advertised))
	p.AddFloat("power_w", s.PowerW)
	p.AddFloat("rated_power_w", s.RatedPowerW)
	p.AddFloat("data_rate_gbps", s.RateGbps)
	p.AddFloatPtr("w_per_tbps", s.WPerTbps)
	p.AddFloatPtr("pj_per_bit", s.PJPerBit)
	p.AddInt("near_limit_ports", int64(s.NearLimit))
	p.AddInt("limit_known_ports", int64(s.LimitKnown))
	p.AddFloatPtr("near_limit_share", s.NearLimitShare)
	return p
}

// energyDocs documents xcvr_energy and xcvr_energy_total.
func energyDocs() []MeasurementDoc {
	return []MeasurementDoc{{
		Name: MEnergy,
		Doc: "A module's energy view (docs/ENERGY.md): its power, advertised or measured, the data rate of its active " +
			"application and its energy per bit against its class's reference range; with each fast and static read.",
		Tags: []TagDoc{tagHost, tagPort},
		Fields: []FieldDoc{
			{"power_w", Float, "W", "measured_power_w when there is one, else max_power_w; basis says which", "", false},
			{"basis", String, "", "measured or advertised", "", false},
			{"max_power_w", Float, "W", "advertised maximum power (CMIS 00h:201, SFF-8636 power class, SFF-8472 power level)", "", false},
			{"power_class", Int, "", "advertised power class (SFF-8472: power level)", "", false},
			{"measured_power_w", Float, "W", "Vcc × supply current, where the module reports its supply current (ELSFP); absent otherwise", "", false},
			{"data_rate_gbps", Float, "Gb/s", "data rate of the active application (lanes × lane rate); absent when unknown", "", false},
			{"lanes", Int, "", "host lanes carrying data_rate_gbps", "", false},
			{"lane_rate_gbps", Float, "Gb/s", "data rate of each lane, when every lane runs the same rate", "", false},
			{"pj_per_bit", Float, "pJ/bit", "power_w over data_rate_gbps", "", false},
			{"load_fraction", Float, "ratio", "measured_power_w over max_power_w", "", false},
			{"near_limit", Bool, "", "load_fraction is at least 0.9", "", false},
			{"reference_class", String, "", "reference class (dsp-800g, lpo-800g, dsp-1.6t, npo-cpo), empty when none", "", false},
			{"reference", String, "", "below, within or above the class's pJ/bit range; empty when there is no class", "", false},
			{"part_number", String, "", "the module's part number (as xcvr_info), for per-part views of one port", "", false},
		},
	}, {
		Name: MEnergyTotal,
		Doc: "The switch's energy totals over the modules present, every 10 s: one point without part_number for the " +
			"switch, one per part number. part_number is a tag here: totals per part number are what the fleet " +
			"dashboard groups by, and a switch carries a few part numbers (a module swap to a new part adds one series).",
		Tags: []TagDoc{tagHost, {"part_number", "the part number totalled; absent on the switch's point"}},
		Fields: []FieldDoc{
			{"ports", Int, "", "modules counted", "", false},
			{"measured_ports", Int, "", "modules whose power is measured", "", false},
			{"advertised_ports", Int, "", "modules whose power is their advertised maximum", "", false},
			{"power_w", Float, "W", "sum of the modules' power_w, laser sources included", "", false},
			{"rated_power_w", Float, "W", "sum of the power_w of the modules with a data rate", "", false},
			{"data_rate_gbps", Float, "Gb/s", "sum of the modules' data rates", "", false},
			{"w_per_tbps", Float, "W/(Tb/s)", "power_w over data_rate_gbps", "", false},
			{"pj_per_bit", Float, "pJ/bit", "rated_power_w over data_rate_gbps", "", false},
			{"near_limit_ports", Int, "", "modules whose measured power is at least 0.9 of their advertised maximum", "", false},
			{"limit_known_ports", Int, "", "modules with both a measured and an advertised power", "", false},
			{"near_limit_share", Float, "ratio", "near_limit_ports over limit_known_ports", "", false},
		},
	}}
}
