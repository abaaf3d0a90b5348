package grafana

//lint:file-ignore SA1019 the classic dashboard JSON is what file provisioning reads

import (
	"fmt"

	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/stat"

	"github.com/ddm-agent/ddm/schema"
)

// EnergyUID is the uid of the energy dashboard.
const EnergyUID = "ddm-energy"

// energyTotal is the measurement of the agents' switch and part-number
// energy totals (exporter.MEnergyTotal).
const energyTotal = schema.XcvrEnergyTotal

// energyDash is the fleet's energy: total power, energy per bit and
// power per switch, and the totals by part number (docs/ENERGY.md).
func (o Options) energyDash() *dashboard.DashboardBuilder {
	p := &panels{}
	d := newDashboard(EnergyUID, "ddm energy",
		"Power and energy per bit of every switch's optics (xcvr_energy_total): fleet totals, per switch, and by part number. "+
			"Power is each module's advertised maximum unless the module measures it (docs/ENERGY.md).")
	d = d.WithPanel(stat.NewPanelBuilder().Id(p.next()).Title("Fleet power").
		Description("Sum over hosts of the last switch total (power_w): every module's power, laser sources included.").
		Datasource(*o.dsRef()).GridPos(gridPos(0, 0, 8, 6)).Unit("watt").
		WithTarget(o.target("A", o.fleetPower(), "W", "")).
		ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"})).
		GraphMode(common.BigValueGraphModeNone))
	d = d.WithPanel(stat.NewPanelBuilder().Id(p.next()).Title("Fleet energy per bit").
		Description("Sum over hosts of the power of the modules that carry data (rated_power_w) over the sum of their data rates, in pJ/bit.").
		Datasource(*o.dsRef()).GridPos(gridPos(8, 0, 8, 6)).Unit("none").Decimals(2).
		WithTarget(o.target("A", o.fleetPJPerBit(), "pJ/bit", "")).
		ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"})).
		GraphMode(common.BigValueGraphModeNone))
	d = d.WithPanel(o.series(p, "Power per switch", "Each host's switch total (xcvr_energy_total.power_w).", "watt", gridPos(0, 6, 24, 9),
		dq{src: energySwitch(schema.PowerW), agg: "mean", groupBy: []string{schema.TagHost}, window: true, alias: "$tag_host"}, "${__field.labels.host}"))
	d = d.WithPanel(tablePanel(p).Title("By part number").
		Description("Per part number over the fleet: modules, power, data rate and energy per bit (the last per-part total of each host, summed).").
		Datasource(*o.dsRef()).GridPos(gridPos(0, 15, 24, 10)).
		WithTarget(o.target("A", o.energyByPart(), "", "table")))
	return d
}

// energySwitch is a field of the switch totals: the points without a
// part_number tag. InfluxQL compares an absent tag with ”; Flux tests the
// column's existence (fluxFrom adds that filter for this source).
func energySwitch(field string) source {
	return source{measurement: energyTotal, field: field}.with(schema.PartNumber, "")
}

// fluxEnergy is from |> range |> filter of xcvr_energy_total's fields, the
// switch totals (parts false) or the per-part ones.
func (o Options) fluxEnergy(parts bool, fields ...string) string {
	cond := ""
	for i, f := range fields {
		if i > 0 {
			cond += " or "
		}
		cond += "r._field == " + fluxString(f)
	}
	has := "not exists r.part_number"
	if parts {
		has = "exists r.part_number"
	}
	return fmt.Sprintf("from(bucket: %s)\n  |> range(start: v.timeRangeStart, stop: v.timeRangeStop)\n"+
		"  |> filter(fn: (r) => r._measurement == %s and (%s))\n  |> filter(fn: (r) => %s)\n",
		fluxString(o.Bucket), fluxString(energyTotal), cond, has)
}

// fleetPower sums the last switch power of every host.
func (o Options) fleetPower() string {
	if o.Language == Flux {
		return o.fluxEnergy(false, schema.PowerW) + "  |> last()\n  |> group()\n  |> sum()\n  |> keep(columns: [\"_value\"])"
	}
	inner := o.iqlSelect(`last("power_w") AS "w"`, energySwitch(schema.PowerW), "", []string{schema.TagHost}, "")
	return fmt.Sprintf(`SELECT sum("w") FROM (%s)`, inner)
}

// fleetPJPerBit is the fleet's rated power over its data rate.
func (o Options) fleetPJPerBit() string {
	if o.Language == Flux {
		return o.fluxEnergy(false, schema.RatedPowerW, schema.DataRateGbps) + "  |> last()\n  |> group()\n" +
			"  |> reduce(identity: {w: 0.0, g: 0.0}, fn: (r, accumulator) => ({\n" +
			"      w: if r._field == \"rated_power_w\" then accumulator.w + r._value else accumulator.w,\n" +
			"      g: if r._field == \"data_rate_gbps\" then accumulator.g + r._value else accumulator.g}))\n" +
			"  |> map(fn: (r) => ({_value: if r.g > 0.0 then r.w / r.g * 1000.0 else 0.0}))"
	}
	inner := o.iqlSelect(`last("rated_power_w") AS "w", last("data_rate_gbps") AS "g"`, energySwitch(schema.RatedPowerW), "", []string{schema.TagHost}, "")
	return fmt.Sprintf(`SELECT sum("w") / sum("g") * 1000 FROM (%s)`, inner)
}

// energyByPart totals the last per-part totals of every host by part
// number.
func (o Options) energyByPart() string {
	if o.Language == Flux {
		return o.fluxEnergy(true, schema.PowerW, schema.Ports, schema.RatedPowerW, schema.DataRateGbps) + "  |> last()\n" +
			"  |> pivot(rowKey: [\"_time\"], columnKey: [\"_field\"], valueColumn: \"_value\")\n" +
			"  |> group(columns: [\"part_number\"])\n" +
			"  |> reduce(identity: {modules: 0, power_w: 0.0, rw: 0.0, data_rate_gbps: 0.0}, fn: (r, accumulator) => ({\n" +
			"      modules: accumulator.modules + r.ports, power_w: accumulator.power_w + r.power_w,\n" +
			"      rw: accumulator.rw + r.rated_power_w, data_rate_gbps: accumulator.data_rate_gbps + r.data_rate_gbps}))\n" +
			"  |> map(fn: (r) => ({part_number: r.part_number, modules: r.modules, power_w: r.power_w, data_rate_gbps: r.data_rate_gbps,\n" +
			"      pj_per_bit: if r.data_rate_gbps > 0.0 then r.rw / r.data_rate_gbps * 1000.0 else 0.0}))\n" +
			"  |> group()"
	}
	parts := source{measurement: energyTotal}
	inner := fmt.Sprintf(`SELECT last("power_w") AS "w", last("ports") AS "n", last("rated_power_w") AS "rw", last("data_rate_gbps") AS "g" FROM %s WHERE "part_number" != '' AND $timeFilter GROUP BY "host", "part_number"`,
		o.iqlFrom(parts.measurement))
	return fmt.Sprintf(`SELECT sum("n") AS "modules", sum("w") AS "power_w", sum("g") AS "data_rate_gbps", sum("rw") / sum("g") * 1000 AS "pj_per_bit" FROM (%s) GROUP BY "part_number"`, inner)
}
