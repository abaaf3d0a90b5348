package exporter

import (
	"time"

	"github.com/ddm-agent/ddm/energy"
	"github.com/ddm-agent/ddm/schema"
)

// energyFields is the most fields an xcvr_energy point has.
const energyFields = 15

// EnergyPoint is a module's energy view as an xcvr_energy point; nil (an
// empty cage) gives none. The strings are written even when empty, so the
// last value belongs to the module in the cage.
func EnergyPoint(src Source, e *energy.Port) []Point {
	if e == nil {
		return nil
	}
	var a pointSlab
	p := a.point(src, schema.XcvrEnergy, 2, energyFields)
	p.AddFloatPtr(schema.PowerW, e.PowerW)
	p.AddString(schema.Basis, string(e.Basis))
	p.AddFloatPtr(schema.MaxPowerW, e.MaxPowerW)
	if e.PowerClass > 0 {
		p.AddInt(schema.PowerClass, int64(e.PowerClass))
	}
	p.AddFloatPtr(schema.MeasuredPowerW, e.MeasuredW)
	if e.RateKnown {
		p.AddFloat(schema.DataRateGbps, e.Rate.Gbps)
		p.AddInt(schema.Lanes, int64(e.Rate.Lanes))
		if e.Rate.LaneGbps > 0 {
			p.AddFloat(schema.LaneRateGbps, e.Rate.LaneGbps)
		}
	}
	p.AddFloatPtr(schema.PJPerBit, e.PJPerBit)
	p.AddFloatPtr(schema.LoadFraction, e.LoadFraction)
	p.AddBool(schema.NearLimit, e.NearLimit)
	class, verdict := "", ""
	if r := e.Reference; r != nil {
		class, verdict = r.Class, r.Verdict
	}
	p.AddString(schema.ReferenceClass, class)
	p.AddString(schema.Reference, verdict)
	p.AddString(schema.PartNumber, e.PartNumber)
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
	p := NewPoint(schema.XcvrEnergyTotal, t)
	p.AddTag(schema.TagHost, host)
	p.AddTag(schema.PartNumber, part) // an empty value adds no tag: the switch's point
	p.AddInt(schema.Ports, int64(s.Ports))
	p.AddInt(schema.MeasuredPorts, int64(s.Measured))
	p.AddInt(schema.AdvertisedPorts, int64(s.Advertised))
	p.AddFloat(schema.PowerW, s.PowerW)
	p.AddFloat(schema.RatedPowerW, s.RatedPowerW)
	p.AddFloat(schema.DataRateGbps, s.RateGbps)
	p.AddFloatPtr(schema.WPerTbps, s.WPerTbps)
	p.AddFloatPtr(schema.PJPerBit, s.PJPerBit)
	p.AddInt(schema.NearLimitPorts, int64(s.NearLimit))
	p.AddInt(schema.LimitKnownPorts, int64(s.LimitKnown))
	p.AddFloatPtr(schema.NearLimitShare, s.NearLimitShare)
	return p
}

// energyDocs documents xcvr_energy and xcvr_energy_total.
func energyDocs() []MeasurementDoc {
	return []MeasurementDoc{{
		Name: schema.XcvrEnergy,
		Doc: "A module's energy view (docs/ENERGY.md): its power, advertised or measured, the data rate of its active " +
			"application and its energy per bit against its class's reference range; with each fast and static read.",
		Tags: []TagDoc{tagHost, tagPort},
		Fields: []FieldDoc{
			{schema.PowerW, Float, "W", "measured_power_w when there is one, else max_power_w; basis says which", "", false},
			{schema.Basis, String, "", "measured or advertised", "", false},
			{schema.MaxPowerW, Float, "W", "advertised maximum power (CMIS 00h:201, SFF-8636 power class, SFF-8472 power level)", "", false},
			{schema.PowerClass, Int, "", "advertised power class (SFF-8472: power level)", "", false},
			{schema.MeasuredPowerW, Float, "W", "Vcc × supply current, where the module reports its supply current (ELSFP); absent otherwise", "", false},
			{schema.DataRateGbps, Float, "Gb/s", "data rate of the active application (lanes × lane rate); absent when unknown", "", false},
			{schema.Lanes, Int, "", "host lanes carrying data_rate_gbps", "", false},
			{schema.LaneRateGbps, Float, "Gb/s", "data rate of each lane, when every lane runs the same rate", "", false},
			{schema.PJPerBit, Float, "pJ/bit", "power_w over data_rate_gbps", "", false},
			{schema.LoadFraction, Float, "ratio", "measured_power_w over max_power_w", "", false},
			{schema.NearLimit, Bool, "", "load_fraction is at least 0.9", "", false},
			{schema.ReferenceClass, String, "", "reference class (dsp-800g, lpo-800g, dsp-1.6t, npo-cpo), empty when none", "", false},
			{schema.Reference, String, "", "below, within or above the class's pJ/bit range; empty when there is no class", "", false},
			{schema.PartNumber, String, "", "the module's part number (as xcvr_info), for per-part views of one port", "", false},
		},
	}, {
		Name: schema.XcvrEnergyTotal,
		Doc: "The switch's energy totals over the modules present, every 10 s: one point without part_number for the " +
			"switch, one per part number. part_number is a tag here: totals per part number are what the fleet " +
			"dashboard groups by, and a switch carries a few part numbers (a module swap to a new part adds one series).",
		Tags: []TagDoc{tagHost, {schema.PartNumber, "the part number totalled; absent on the switch's point"}},
		Fields: []FieldDoc{
			{schema.Ports, Int, "", "modules counted", "", false},
			{schema.MeasuredPorts, Int, "", "modules whose power is measured", "", false},
			{schema.AdvertisedPorts, Int, "", "modules whose power is their advertised maximum", "", false},
			{schema.PowerW, Float, "W", "sum of the modules' power_w, laser sources included", "", false},
			{schema.RatedPowerW, Float, "W", "sum of the power_w of the modules with a data rate", "", false},
			{schema.DataRateGbps, Float, "Gb/s", "sum of the modules' data rates", "", false},
			{schema.WPerTbps, Float, "W/(Tb/s)", "power_w over data_rate_gbps", "", false},
			{schema.PJPerBit, Float, "pJ/bit", "rated_power_w over data_rate_gbps", "", false},
			{schema.NearLimitPorts, Int, "", "modules whose measured power is at least 0.9 of their advertised maximum", "", false},
			{schema.LimitKnownPorts, Int, "", "modules with both a measured and an advertised power", "", false},
			{schema.NearLimitShare, Float, "ratio", "near_limit_ports over limit_known_ports", "", false},
		},
	}}
}
