package grafana

// The "links at risk" panel is a panel of the classic dashboard model,
// deprecated in the SDK (see dashboards.go).
//lint:file-ignore SA1019 the classic dashboard JSON is what file provisioning reads

import (
	"fmt"
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"

	"github.com/ddm-agent/ddm/alarm"
	"github.com/ddm-agent/ddm/internal/statread"
	"github.com/ddm-agent/ddm/schema"
)

// Forecast and cohort rules are evaluated by Grafana on the agent's own
// forecasts: the xcvr_forecast points (one per port, lane, quantity and
// threshold with a crossing forecast, every alarm.ForecastEvery) and the
// xcvr_cohort points (robust z-score per port, lane and quantity).
var (
	forecastDays = source{measurement: schema.XcvrForecast, field: schema.DaysToThreshold}
	cohortZ      = source{measurement: schema.XcvrCohort, field: schema.Z}
	// forecastSeries are the tags of an xcvr_forecast series.
	forecastSeries = []string{schema.TagHost, schema.TagPort, schema.TagLane, schema.TagQuantity, schema.TagLimit}
	cohortSeries   = []string{schema.TagHost, schema.TagPort, schema.TagLane, schema.TagQuantity}
)

// forecastLookback is how far back the queries over forecasts look: three
// forecast cycles, so one late or lost cycle does not clear an alert,
// and a crossing no longer forecast clears within it.
const forecastLookback = 3 * alarm.ForecastEvery

// outlook builds the pipeline of a forecast or cohort rule.
func (b *ruleBuilder) outlook(refs *tmplRefs) (string, string, error) {
	r := b.r
	src, t, what := forecastDays, forecastSeries, "xcvr_forecast.days_to_threshold"
	q := ""
	if r.Forecast != nil {
		q = r.Forecast.Quantity
	} else {
		src, t, what = cohortZ, cohortSeries, "xcvr_cohort.z"
		q = r.Cohort.Quantity
	}
	src = src.with(schema.TagQuantity, q)
	if f := r.Forecast; f != nil && f.Threshold != "" {
		re := "^(?:high|low)_" + f.Threshold + "$"
		if f.Threshold == "alarm" {
			re = "^(?:(?:high|low)_alarm|" + alarm.KP4LimitName + ")$"
		}
		src.matches = append(src.matches, &tagMatch{tag: schema.TagLimit, regex: re})
	}
	pm, err := globMatch(schema.TagPort, r.Match.Port)
	if err != nil {
		return "", "", err
	}
	if pm != nil {
		src.matches = append(src.matches, pm)
	}
	if lm := laneMatch(r.Match.Lanes); lm != nil {
		src.matches = append(src.matches, lm)
	}
	a := b.data(forecastLookback, 0, b.lastQuery(src, t))
	v := b.reduce(a)
	refs.value = variable("$values", v, "Value")
	if f := r.Forecast; f != nil {
		days := f.Within.Hours() / 24
		refs.threshold = number(days)
		return b.threshold(v, cond{"lt", []float64{days}}, nil),
			fmt.Sprintf("Grafana reads the agent's latest forecast of %s per series (%s with quantity %s, within %s) and alerts when the crossing is forecast in less than %g days; the agent writes a crossing only while one is forecast, so the alert clears when it is no longer.",
				q, what, q, promDuration(forecastLookback), days), nil
	}
	z, h := r.Cohort.Z, r.Hysteresis
	var unload *cond
	if h > 0 {
		unload = &cond{"within_range", []float64{-(z - h), z - h}}
	}
	refs.threshold = number(z)
	return b.threshold(v, cond{"outside_range", []float64{-z, z}}, unload),
		fmt.Sprintf("Grafana reads the agent's latest cohort score of %s per series (%s with quantity %s, within %s) and alerts when it is beyond ±%g%s.",
			q, what, q, promDuration(forecastLookback), z, hysteresisNote(unload)), nil
}

// atRiskPanel is the "links at risk" table: every lane (and module) of
// the host with a threshold crossing forecast, soonest first.
func (o Options) atRiskPanel(p *panels, y uint32) cog.Builder[dashboard.Panel] {
	asc := false
	return tablePanel(p).Title("Links at risk").
		Description(fmt.Sprintf("Lanes and modules whose trend the agent forecasts to reach one of the module's own thresholds (or the KP4 limit for pre-FEC BER), soonest first: days to the threshold with its interval, and the trend per day (decades per day for BER). From the agent's xcvr_forecast points of the last %s.", promDuration(forecastLookback))).
		Datasource(*o.dsRef()).GridPos(gridPos(0, y, 24, 10)).TimeFrom(promDuration(forecastLookback)).
		SortBy([]cog.Builder[common.TableSortByFieldState]{common.NewTableSortByFieldStateBuilder().DisplayName("days").Desc(asc)}).
		WithTarget(o.target("A", o.atRiskQuery(), "", "table"))
}

// atRiskQuery lists the latest forecast of every series of the host.
func (o Options) atRiskQuery() string {
	fields := [][2]string{{schema.DaysToThreshold, "days"}, {schema.DaysLow, "days_low"}, {schema.DaysHigh, "days_high"}, {schema.TrendPerDay, "trend_per_day"}, {schema.Threshold, "threshold"}}
	per := forecastSeries[1:]
	if o.Language == Flux {
		var f []string
		cols := []string{fluxString("_time")}
		for _, t := range per {
			cols = append(cols, fluxString(t))
		}
		for _, x := range fields {
			f = append(f, "r._field == "+fluxString(x[0]))
			cols = append(cols, fluxString(x[0]))
		}
		return fmt.Sprintf("from(bucket: %s)\n  |> range(start: v.timeRangeStart, stop: v.timeRangeStop)\n"+
			"  |> filter(fn: (r) => r._measurement == \"xcvr_forecast\" and (%s))\n%s  |> last()\n"+
			"  |> pivot(rowKey: [\"_time\"], columnKey: [\"_field\"], valueColumn: \"_value\")\n"+
			"  |> group()\n  |> rename(columns: {days_to_threshold: \"days\"})\n  |> sort(columns: [\"days\"])\n  |> keep(columns: [%s])",
			fluxString(o.Bucket), strings.Join(f, " or "), fluxVars([]string{schema.TagHost}),
			strings.ReplaceAll(strings.Join(cols, ", "), `"days_to_threshold"`, `"days"`))
	}
	var sel []string
	for _, x := range fields {
		sel = append(sel, fmt.Sprintf("last(%s) AS %s", iqlIdent(x[0]), iqlIdent(x[1])))
	}
	return fmt.Sprintf("SELECT %s FROM %s WHERE %s GROUP BY %s", strings.Join(sel, ", "), o.iqlFrom(schema.XcvrForecast),
		forecastDays.iqlWhereVars([]string{schema.TagHost}), iqlGroupBy(per))
}

// outlookRule reports whether Grafana evaluates r on the agent's
// forecasts (a forecast or cohort rule without identity selectors).
func outlookRule(r *alarm.Rule) bool { return (r.Forecast != nil || r.Cohort != nil) && !r.Local() }

// fleetCohortFields are the lane quantities the fleet cohort panel scores.
var fleetCohortFields = []string{schema.RxPowerMW, schema.TxPowerMW, schema.TxBiasMA}

// fleetCohortMinPeers is the smallest cohort the fleet panel scores, as
// the agent's own cohorts: fewer lanes make a median and MAD of noise.
const fleetCohortMinPeers = 4

// fleetCohortPanel is the fleet's cohort table: every lane's latest
// quantity scored against the lanes of every host with modules of the
// same part number and firmware.
func (o Options) fleetCohortPanel(p *panels, y uint32) cog.Builder[dashboard.Panel] {
	desc := fmt.Sprintf("Each lane's latest %s compared with its peers across every host: the lanes of modules of the same part number and firmware (xcvr_info, looked back 30 days), at least %d. Robust z = (x - median) / (1.4826 × MAD) per cohort over the time range's latest values; largest |z| first. A cohort whose lanes all read the same (MAD 0) gives no score.",
		strings.Join(fleetCohortFields, ", "), fleetCohortMinPeers)
	if o.Language != Flux {
		desc = "InfluxQL cannot join xcvr_lane with xcvr_info (part number and firmware are fields there, not tags), so the fleet-wide cohort needs a Flux data source. With InfluxQL this table shows each agent's own cohort score per lane instead (xcvr_cohort: peers on the same switch only), largest |z| first."
	}
	return tablePanel(p).Title("Cohort outliers across the fleet").Description(desc).
		Datasource(*o.dsRef()).GridPos(gridPos(0, y, 24, 10)).
		SortBy([]cog.Builder[common.TableSortByFieldState]{common.NewTableSortByFieldStateBuilder().DisplayName("abs_z").Desc(true)}).
		WithTarget(o.target("A", o.fleetCohortQuery(), "", "table"))
}

// fleetCohortQuery scores every lane against its fleet cohort (Flux), or
// lists the agents' per-switch scores (InfluxQL, which has no join).
func (o Options) fleetCohortQuery() string {
	if o.Language != Flux {
		return fmt.Sprintf(`SELECT last(%s) AS "z", abs(last(%s)) AS "abs_z" FROM %s WHERE %s AND $timeFilter GROUP BY %s`,
			iqlIdent(schema.Z), iqlIdent(schema.Z), o.iqlFrom(schema.XcvrCohort), iqlIdent(schema.TagLane)+" != ''", iqlGroupBy(cohortSeries))
	}
	// Each quantity at full rate or, from agents that run with --reduce,
	// as its window mean, renamed to the quantity.
	var f, rename []string
	for _, x := range fleetCohortFields {
		for _, form := range statread.Forms(schema.XcvrLane, x, statread.Mean) {
			f = append(f, "r._field == "+fluxString(form.Field))
			if form.Field != x {
				rename = append(rename, fmt.Sprintf("if r._field == %s then %s else ", fluxString(form.Field), fluxString(x)))
			}
		}
	}
	pn, fw := fluxString(schema.PartNumber), fluxString(schema.FirmwareVersion)
	cohort := fmt.Sprintf("[%s, %s, \"_field\"]", pn, fw)
	var b strings.Builder
	b.WriteString("import \"experimental\"\n")
	// The identity is written at insertion, often before the time range.
	fmt.Fprintf(&b, "info = () => from(bucket: %s)\n  |> range(start: experimental.subDuration(d: 30d, from: v.timeRangeStart), stop: v.timeRangeStop)\n"+
		"  |> filter(fn: (r) => r._measurement == %s and (r._field == %s or r._field == %s))\n  |> last()\n"+
		"  |> pivot(rowKey: [\"_time\"], columnKey: [\"_field\"], valueColumn: \"_value\")\n  |> group()\n"+
		"  |> keep(columns: [\"host\", \"port\", %s, %s])\n",
		fluxString(o.Bucket), fluxString(schema.XcvrInfo), pn, fw, pn, fw)
	// The latest of each form, then the latest per lane and quantity (an
	// agent may have changed mode within the range).
	fmt.Fprintf(&b, "lanes = () => from(bucket: %s)\n  |> range(start: v.timeRangeStart, stop: v.timeRangeStop)\n"+
		"  |> filter(fn: (r) => r._measurement == %s and (%s))\n  |> last()\n  |> group()\n"+
		"  |> map(fn: (r) => ({r with _field: %sr._field}))\n"+
		"  |> group(columns: [\"host\", \"port\", \"lane\", \"_field\"])\n  |> sort(columns: [\"_time\"])\n  |> last()\n  |> group()\n"+
		"  |> keep(columns: [\"host\", \"port\", \"lane\", \"_field\", \"_value\"])\n",
		fluxString(o.Bucket), fluxString(schema.XcvrLane), strings.Join(f, " or "), strings.Join(rename, ""))
	fmt.Fprintf(&b, "peers = () => join(tables: {l: lanes(), i: info()}, on: [\"host\", \"port\"])\n  |> group(columns: %s)\n", cohort)
	// Median and count per cohort, then the median of the absolute
	// deviations (exact: the default t-digest estimate is not a median).
	// Each stream is a function called where it is used: Flux 0.65
	// (InfluxDB 1.8) panics planning a stream read by two joins.
	fmt.Fprintf(&b, "med = () => peers()\n  |> quantile(q: 0.5, method: \"exact_mean\")\n  |> rename(columns: {_value: \"median\"})\n")
	fmt.Fprintf(&b, "n = () => peers()\n  |> count()\n  |> rename(columns: {_value: \"peers\"})\n")
	fmt.Fprintf(&b, "dev = () => join(tables: {p: peers(), m: med()}, on: %s)\n"+
		"  |> map(fn: (r) => ({r with dev: if r._value > r.median then r._value - r.median else r.median - r._value}))\n", cohort)
	fmt.Fprintf(&b, "mad = () => dev()\n  |> quantile(q: 0.5, column: \"dev\", method: \"exact_mean\")\n  |> rename(columns: {dev: \"mad\"})\n")
	fmt.Fprintf(&b, "stats = () => join(tables: {m: mad(), n: n()}, on: %s)\n", cohort)
	fmt.Fprintf(&b, "join(tables: {d: dev(), s: stats()}, on: %s)\n"+
		"  |> filter(fn: (r) => r.peers >= %d and r.mad > 0.0)\n"+
		"  |> map(fn: (r) => ({r with z: (r._value - r.median) / (1.4826 * r.mad)}))\n"+
		"  |> map(fn: (r) => ({r with abs_z: if r.z < 0.0 then -r.z else r.z}))\n"+
		"  |> group()\n  |> sort(columns: [\"abs_z\"], desc: true)\n"+
		"  |> rename(columns: {_field: \"quantity\", _value: \"value\"})\n"+
		"  |> keep(columns: [\"host\", \"port\", \"lane\", \"quantity\", %s, %s, \"value\", \"median\", \"mad\", \"peers\", \"z\", \"abs_z\"])",
		cohort, fleetCohortMinPeers, pn, fw)
	return b.String()
}
