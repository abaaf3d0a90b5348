package grafana

// The classic dashboard model (schemaVersion 42) is deprecated in the SDK
// in favour of dashboardv2, which only Grafana 12's v2 dashboard API
// reads; file provisioning of every Grafana version reads the classic one.
//lint:file-ignore SA1019 the classic dashboard JSON is what file provisioning reads

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/bargauge"
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/variants"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/heatmap"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/statetimeline"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"

	"github.com/ddm-agent/ddm/alarm"
	"github.com/ddm-agent/ddm/internal/statread"
	"github.com/ddm-agent/ddm/schema"
)

// Dashboard uids.
const (
	FleetUID  = "ddm-fleet"
	SwitchUID = "ddm-switch"
	PortUID   = "ddm-port"
	BERUID    = "ddm-ber"
	AlarmsUID = "ddm-alarms"
)

// dq is a dashboard query: one field aggregated per $__interval (or over
// the whole range), filtered by fixed tags and by dashboard variables of
// the same name as the tags, one series per groupBy tag set.
type dq struct {
	src     source
	vars    []string // tags filtered by the dashboard variables $host, $port, $lane
	agg     string   // mean, max, last
	groupBy []string
	window  bool   // per $__interval (time series) rather than one value
	alias   string // InfluxQL series name ($tag_port lane $tag_lane)
}

// iqlVars are the conditions on dashboard variables (Grafana formats a
// multi-value variable in a regex as (a|b), escaped).
func iqlVars(vars []string) []string {
	var c []string
	for _, v := range vars {
		c = append(c, iqlIdent(v)+" =~ /^$"+v+"$/")
	}
	return c
}

// fluxVars filters on dashboard variables: ${v:json} is the list of the
// selected values (all values for All).
func fluxVars(vars []string) string {
	var b strings.Builder
	for _, v := range vars {
		fmt.Fprintf(&b, "  |> filter(fn: (r) => contains(value: r[%s], set: ${%s:json}))\n", fluxString(v), v)
	}
	return b.String()
}

// withVars adds the variable conditions to an InfluxQL WHERE (before
// $timeFilter).
func (s source) iqlWhereVars(vars []string) string {
	w := s.iqlWhere()
	if len(vars) == 0 {
		return w
	}
	return strings.TrimSuffix(w, "$timeFilter") + strings.Join(iqlVars(vars), " AND ") + " AND $timeFilter"
}

func (o Options) dqText(q dq) string {
	if o.Language == Flux {
		var b strings.Builder
		b.WriteString(o.fluxFrom(q.src, q.vars...))
		if q.window {
			fmt.Fprintf(&b, "  |> aggregateWindow(every: v.windowPeriod, fn: %s, createEmpty: false)\n", q.agg)
		} else {
			fmt.Fprintf(&b, "  |> %s()\n", q.agg)
		}
		b.WriteString(fluxKeep(q.groupBy))
		return b.String()
	}
	var g []string
	if q.window {
		g = append(g, "time($__interval)")
	}
	if len(q.groupBy) > 0 {
		g = append(g, iqlGroupBy(q.groupBy))
	}
	from, where := o.iqlSource(q.src, q.src.iqlWhereVars(q.vars))
	s := fmt.Sprintf("SELECT %s(%s) FROM %s WHERE %s", q.agg, iqlIdent(q.src.field), from, where)
	if len(g) > 0 {
		s += " GROUP BY " + strings.Join(g, ", ")
	}
	if q.window {
		s += " fill(none)"
	}
	return s
}

// target wraps query text as a panel target.
func (o Options) target(ref, text, alias, format string) cog.Builder[variants.Dataquery] {
	q := InfluxQuery{RefID: ref, Datasource: o.dsRef(), Query: text}
	if o.Language == InfluxQL {
		q.RawQuery, q.ResultFormat, q.Alias = true, "time_series", alias
		if format != "" {
			q.ResultFormat = format
		}
	}
	return influxQueryBuilder{q}
}

func (o Options) dqTarget(ref string, q dq) cog.Builder[variants.Dataquery] {
	return o.target(ref, o.dqText(q), q.alias, "")
}

// countLastTrue counts, per groupBy, the series (by perSeries tags) whose
// last value of a boolean field is true: modules present, alarms firing.
func (o Options) countLastTrue(s source, vars, perSeries, groupBy []string) string {
	if o.Language == Flux {
		g := make([]string, len(groupBy))
		for i, t := range groupBy {
			g[i] = fluxString(t)
		}
		return o.fluxFrom(s, vars...) + "  |> last()\n  |> filter(fn: (r) => r._value == true)\n" +
			"  |> group(columns: [" + strings.Join(g, ", ") + "])\n  |> count()\n" + fluxKeepNoTime(groupBy)
	}
	inner := fmt.Sprintf("SELECT last(%s) AS %s FROM %s WHERE %s GROUP BY %s", iqlIdent(s.field), iqlIdent(s.field),
		o.iqlFrom(s.measurement), s.iqlWhereVars(vars), iqlGroupBy(perSeries))
	q := fmt.Sprintf("SELECT count(%s) FROM (%s) WHERE %s = true", iqlIdent(s.field), inner, iqlIdent(s.field))
	if len(groupBy) > 0 {
		q += " GROUP BY " + iqlGroupBy(groupBy)
	}
	return q
}

func fluxKeepNoTime(tags []string) string {
	cols := []string{fluxString("_value")}
	for _, t := range tags {
		cols = append(cols, fluxString(t))
	}
	return "  |> keep(columns: [" + strings.Join(cols, ", ") + "])"
}

// variables of the dashboards: host, port, lane (tag values of
// xcvr_module and xcvr_lane), each filtered by the ones before.
func (o Options) variable(name, measurement string, multi bool, parents []string) cog.Builder[dashboard.VariableModel] {
	var q string
	if o.Language == Flux {
		// Distinct values of the tag in the dashboard's time range (plain
		// Flux: v1.tagValues wants a duration on InfluxDB 1.8 and a time
		// on 2.x).
		// A field every read has, at full rate or in a window: the
		// module's reads (as for Modules present), a lane's Rx power.
		from := o.readsFrom(nil, parents)
		if measurement == schema.XcvrLane {
			from = o.fluxFrom(source{measurement: measurement, field: schema.RxPowerMW}.read(statread.Mean), parents...)
		}
		q = from + fmt.Sprintf("  |> keep(columns: [%s, \"_value\"])\n  |> group()\n  |> distinct(column: %s)\n  |> sort()", fluxString(name), fluxString(name))
	} else {
		q = fmt.Sprintf("SHOW TAG VALUES FROM %s WITH KEY = %s", o.iqlFrom(measurement), iqlIdent(name))
		if len(parents) > 0 {
			q += " WHERE " + strings.Join(iqlVars(parents), " AND ")
		}
	}
	v := dashboard.NewQueryVariableBuilder(name).
		Label(name).
		Datasource(*o.dsRef()).
		Query(dashboard.StringOrMap{String: &q}).
		Refresh(dashboard.VariableRefreshOnTimeRangeChanged).
		Sort(dashboard.VariableSortNaturalAsc).
		Multi(multi).
		IncludeAll(multi)
	if multi && o.Language == InfluxQL {
		v = v.AllValue(".*")
	}
	return v
}

// severityColor is the colour of a severity's threshold line.
func severityColor(s alarm.Severity) string {
	switch s {
	case alarm.Critical:
		return "red"
	case alarm.Major:
		return "orange"
	case alarm.Minor:
		return "yellow"
	}
	return "blue"
}

// ruleThresholds are the fixed levels of the enabled metric rules on one
// series, as threshold steps (drawn as lines): the rules' own numbers on
// the panels that plot their metric.
func ruleThresholds(rules *alarm.Rules, measurement, field, observable string) cog.Builder[dashboard.ThresholdsConfig] {
	type step struct {
		v float64
		c string
	}
	var steps []step
	seen := map[float64]bool{}
	for i := range rules.Rules {
		r := &rules.Rules[i]
		s, ok := r.Series()
		if !ok || r.Disabled || s.Measurement != measurement || s.Field != field || s.Observable != observable {
			continue
		}
		var levels []*alarm.Level
		switch {
		case r.Above != nil:
			levels = []*alarm.Level{r.Above}
		case r.Below != nil:
			levels = []*alarm.Level{r.Below}
		case r.Outside != nil:
			levels = []*alarm.Level{&r.Outside[0], &r.Outside[1]}
		}
		for _, l := range levels {
			if l.Ref == "" && !seen[l.Value] {
				seen[l.Value] = true
				steps = append(steps, step{l.Value, severityColor(r.Severity)})
			}
		}
	}
	sort.Slice(steps, func(i, j int) bool { return steps[i].v < steps[j].v })
	th := []dashboard.Threshold{{Value: nil, Color: "transparent"}}
	for _, s := range steps {
		v := s.v
		th = append(th, dashboard.Threshold{Value: &v, Color: s.c})
	}
	return dashboard.NewThresholdsConfigBuilder().Mode(dashboard.ThresholdsModeAbsolute).Steps(th)
}

// panels hands out ids and positions.
type panels struct {
	id uint32
}

func (p *panels) next() uint32 { p.id++; return p.id }

// tablePanel starts a table panel. The SDK's default footer has a null
// reducer, which Grafana's schema refuses (the reducer is a list): the
// footer is hidden with an empty one.
func tablePanel(p *panels) *table.PanelBuilder {
	return table.NewPanelBuilder().Id(p.next()).
		Footer(common.NewTableFooterOptionsBuilder().Show(false).Reducer([]string{}))
}

func gridPos(x, y, w, h uint32) dashboard.GridPos { return dashboard.GridPos{X: x, Y: y, W: w, H: h} }

func logScale() cog.Builder[common.ScaleDistributionConfig] {
	return common.NewScaleDistributionConfigBuilder().Type(common.ScaleDistributionLog).Log(10)
}

func lineThresholds() cog.Builder[common.GraphThresholdsStyleConfig] {
	return common.NewGraphThresholdsStyleConfigBuilder().Mode(common.GraphThresholdsStyleModeDashed)
}

// laneName is the display name of a per-lane series.
func (o Options) laneName(portToo bool) string {
	if portToo {
		return "${__field.labels.port} lane ${__field.labels.lane}"
	}
	return "lane ${__field.labels.lane}"
}

// series builds a time series panel of one dq.
func (o Options) series(p *panels, title, desc, unit string, pos dashboard.GridPos, q dq, display string) *timeseries.PanelBuilder {
	b := timeseries.NewPanelBuilder().Id(p.next()).Title(title).Description(desc).Datasource(*o.dsRef()).
		GridPos(pos).Unit(unit).WithTarget(o.dqTarget("A", q)).ShowPoints(common.VisibilityModeNever).LineWidth(1)
	if display != "" {
		b = b.DisplayName(display)
	}
	return b
}

// bandSeries builds a time series panel of one series of src: its mean
// per interval (A) between its minimum (B) and maximum (C), drawn as a
// band. Each query reads the field at full rate and as the window
// statistic that matches it, so an agent that runs with --reduce shows
// the same band.
func (o Options) bandSeries(p *panels, title, desc, unit string, pos dashboard.GridPos, src source, vars []string) *timeseries.PanelBuilder {
	byRef := func(ref string) dashboard.MatcherConfig {
		return dashboard.MatcherConfig{Id: "byFrameRefID", Options: ref}
	}
	name := func(n string) dashboard.DynamicConfigValue {
		return dashboard.DynamicConfigValue{Id: "displayName", Value: n}
	}
	noLine := dashboard.DynamicConfigValue{Id: "custom.lineWidth", Value: 0}
	b := o.series(p, title, desc, unit, pos, dq{src: src.read(statread.Mean), vars: vars, agg: "mean", window: true, alias: "mean"}, "").
		WithTarget(o.dqTarget("B", dq{src: src.read(statread.Min), vars: vars, agg: "min", window: true, alias: "min"})).
		WithTarget(o.dqTarget("C", dq{src: src.read(statread.Max), vars: vars, agg: "max", window: true, alias: "max"}))
	return b.WithOverride(byRef("A"), []dashboard.DynamicConfigValue{name("mean")}).
		WithOverride(byRef("B"), []dashboard.DynamicConfigValue{name("min"), noLine}).
		WithOverride(byRef("C"), []dashboard.DynamicConfigValue{name("max"), noLine,
			{Id: "custom.fillBelowTo", Value: "min"}, {Id: "custom.fillOpacity", Value: 20}})
}

func newDashboard(uid, title, desc string) *dashboard.DashboardBuilder {
	return dashboard.NewDashboardBuilder(title).Uid(uid).Description(desc).Tags([]string{"ddm", "transceivers"}).
		Editable().Refresh("1m").Time("now-6h", "now").Timezone("browser").
		Tooltip(dashboard.DashboardCursorSyncCrosshair).
		Link(dashboard.NewDashboardLinkBuilder("ddm").Type(dashboard.DashboardLinkTypeDashboards).
			Tags([]string{"ddm"}).AsDropdown(true).IncludeVars(true).KeepTime(true))
}

// dashboards builds the five ddm dashboards.
func (o Options) dashboards(rules *alarm.Rules) ([]dashboard.Dashboard, error) {
	builders := []*dashboard.DashboardBuilder{o.fleet(rules), o.switchDash(rules), o.portDash(rules), o.berDash(rules), o.alarmsDash(), o.energyDash()}
	var out []dashboard.Dashboard
	for _, b := range builders {
		d, err := b.Build()
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// The panels' sources read what they show at full rate and, from agents
// that run with --reduce, as the window statistic that shows the same:
// the maxima where a panel shows a maximum (BER, errored frames), the
// means where it shows a mean.
var (
	vdmBER    = source{measurement: schema.XcvrVDM, field: schema.Value}.with(schema.TagObservable, "pre_fec_ber").with(schema.TagSide, "media").read(statread.Max)
	vdmErrFr  = source{measurement: schema.XcvrVDM, field: schema.Value}.with(schema.TagObservable, "errored_frames").with(schema.TagSide, "media").read(statread.Max)
	vdmESNR   = source{measurement: schema.XcvrVDM, field: schema.Value}.with(schema.TagObservable, "esnr").with(schema.TagSide, "media").read(statread.Mean)
	alarmFire = source{measurement: schema.XcvrAlarm, field: schema.Firing}
)

// alarmSeries are the tags of xcvr_alarm, the identity of one alarm in the
// agent's engine: a query that wants each alarm's last state groups by all
// of them (several observables of one rule fire on one lane).
var alarmSeries = []string{schema.TagHost, schema.TagPort, schema.TagLane, schema.TagRule, schema.TagSeverity, schema.TagObservable, schema.TagSide, schema.TagLimit}

func (o Options) fleet(rules *alarm.Rules) *dashboard.DashboardBuilder {
	p := &panels{}
	d := newDashboard(FleetUID, "ddm fleet overview",
		"Every switch running ddm: modules present, alarms firing by severity, worst pre-FEC BER per switch, lanes unlike their peers of the same part and firmware.")
	d = d.WithPanel(stat.NewPanelBuilder().Id(p.next()).Title("Modules present").
		Description(modulesReadDesc + ", on every host.").
		Datasource(*o.dsRef()).GridPos(gridPos(0, 0, 6, 6)).TimeFrom(promDuration(readLookback)).
		WithTarget(o.target("A", o.modulesRead(nil, nil), "modules", "")).
		ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"})).
		GraphMode(common.BigValueGraphModeNone))
	d = d.WithPanel(stat.NewPanelBuilder().Id(p.next()).Title("Alarms firing by severity").
		Description("Alarm series (host, port, lane, rule, severity, observable, side, limit) whose last xcvr_alarm point says firing=true.").
		Datasource(*o.dsRef()).GridPos(gridPos(6, 0, 18, 6)).
		WithTarget(o.target("A", o.countLastTrue(alarmFire, nil, alarmSeries, []string{schema.TagSeverity}), "$tag_severity", "")).
		ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"})).
		GraphMode(common.BigValueGraphModeNone).
		DisplayName("${__field.labels.severity}").
		NoValue("0"))
	d = d.WithPanel(bargauge.NewPanelBuilder().Id(p.next()).Title("Worst pre-FEC BER per switch").
		Description("The highest last media-side pre-FEC BER (VDM) of any lane of each host, with the BER rules' thresholds.").
		Datasource(*o.dsRef()).GridPos(gridPos(0, 6, 12, 10)).
		WithTarget(o.target("A", o.worstPerHost(), "$tag_host", "")).
		ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"})).
		Orientation(common.VizOrientationHorizontal).
		DisplayMode(common.BarGaugeDisplayModeBasic).
		Unit("sci").
		DisplayName("${__field.labels.host}").
		Thresholds(ruleThresholds(rules, schema.XcvrVDM, schema.Value, "pre_fec_ber_media")))
	d = d.WithPanel(o.series(p, "Worst pre-FEC BER per switch over time", "Max over all lanes of each host.", "sci", gridPos(12, 6, 12, 10),
		dq{src: vdmBER, agg: "max", groupBy: []string{schema.TagHost}, window: true, alias: "$tag_host"}, "${__field.labels.host}").
		ScaleDistribution(logScale()).
		Thresholds(ruleThresholds(rules, schema.XcvrVDM, schema.Value, "pre_fec_ber_media")).
		ThresholdsStyle(lineThresholds()))
	d = d.WithPanel(bargauge.NewPanelBuilder().Id(p.next()).Title("Modules present per switch").
		Description(modulesReadDesc + ".").
		Datasource(*o.dsRef()).GridPos(gridPos(0, 16, 24, 8)).TimeFrom(promDuration(readLookback)).
		WithTarget(o.target("A", o.modulesRead(nil, []string{schema.TagHost}), "$tag_host", "")).
		ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"})).
		Orientation(common.VizOrientationHorizontal).
		DisplayName("${__field.labels.host}"))
	d = d.WithPanel(o.fleetCohortPanel(p, 24))
	return d
}

// worstPerHost is the highest last pre-FEC BER of any lane, per host.
func (o Options) worstPerHost() string {
	if o.Language == Flux {
		return o.fluxLast(vdmBER) + "  |> group(columns: [\"host\"])\n  |> max()\n" + fluxKeep([]string{schema.TagHost})
	}
	inner := o.iqlSelect("last("+iqlIdent(vdmBER.field)+`) AS "ber"`, vdmBER, "", []string{schema.TagHost, schema.TagPort, schema.TagLane}, "")
	return fmt.Sprintf(`SELECT max("ber") FROM (%s) GROUP BY "host"`, inner)
}

func (o Options) switchDash(rules *alarm.Rules) *dashboard.DashboardBuilder {
	p := &panels{}
	d := newDashboard(SwitchUID, "ddm switch", "One switch: module temperature per port, Rx power of every lane, worst pre-FEC BER per port, module identity.").
		WithVariable(o.variable(schema.TagHost, schema.XcvrModule, false, nil))
	temp := source{measurement: schema.XcvrModule, field: schema.TemperatureC}.read(statread.Mean)
	d = d.WithPanel(o.series(p, "Module temperature per port", "xcvr_module.temperature_c, with the temperature rules' thresholds.", "celsius", gridPos(0, 0, 24, 9),
		dq{src: temp, vars: []string{schema.TagHost}, agg: "mean", groupBy: []string{schema.TagPort}, window: true, alias: "$tag_port"}, "${__field.labels.port}").
		Thresholds(ruleThresholds(rules, schema.XcvrModule, schema.TemperatureC, "")).
		ThresholdsStyle(lineThresholds()))
	rx := source{measurement: schema.XcvrLane, field: schema.RxPowerDBM}.read(statread.Mean)
	d = d.WithPanel(heatmap.NewPanelBuilder().Id(p.next()).Title("Rx power per lane (dBm)").
		Description("Mean Rx power of every lane of the switch per interval, one row per port and lane: a dark or fading lane shows as a cold row.").
		Datasource(*o.dsRef()).GridPos(gridPos(0, 9, 24, 14)).
		WithTarget(o.dqTarget("A", dq{src: rx, vars: []string{schema.TagHost}, agg: "mean", groupBy: []string{schema.TagPort, schema.TagLane}, window: true, alias: "$tag_port lane $tag_lane"})).
		DisplayName(o.laneName(true)).
		WithTransformation(dashboard.DataTransformerConfig{Id: "joinByField", Options: map[string]any{"mode": "outer"}}).
		Calculate(false).
		RowsFrame(heatmap.NewRowsHeatmapOptionsBuilder().Layout(common.HeatmapCellLayoutAuto)).
		Color(heatmap.NewHeatmapColorOptionsBuilder().Mode(heatmap.HeatmapColorModeScheme).Scheme("RdYlGn").Scale(heatmap.HeatmapColorScaleLinear).Steps(64)).
		YAxis(heatmap.NewYAxisConfigBuilder().Unit("dBm")).
		Unit("dBm").
		ShowValue(common.VisibilityModeNever))
	d = d.WithPanel(o.series(p, "Worst pre-FEC BER per port", "Max media-side pre-FEC BER (VDM) over the lanes of each port.", "sci", gridPos(0, 23, 24, 9),
		dq{src: vdmBER, vars: []string{schema.TagHost}, agg: "max", groupBy: []string{schema.TagPort}, window: true, alias: "$tag_port"}, "${__field.labels.port}").
		ScaleDistribution(logScale()).
		Thresholds(ruleThresholds(rules, schema.XcvrVDM, schema.Value, "pre_fec_ber_media")).
		ThresholdsStyle(lineThresholds()))
	d = d.WithPanel(tablePanel(p).Title("Modules").
		Description("Identity from xcvr_info, written when a module is inserted (the panel looks back 30 days).").
		Datasource(*o.dsRef()).GridPos(gridPos(0, 32, 24, 10)).TimeFrom("30d").
		WithTarget(o.target("A", o.infoTable(), "", "table")))
	d = d.WithPanel(o.atRiskPanel(p, 42))
	return d
}

// infoTable lists the identity of every module of the host.
func (o Options) infoTable() string {
	fields := []string{schema.Vendor, schema.PartNumber, schema.SerialNumber, schema.FirmwareVersion, schema.Identifier, schema.MediaType}
	info := source{measurement: schema.XcvrInfo}
	if o.Language == Flux {
		var f []string
		for _, x := range fields {
			f = append(f, "r._field == "+fluxString(x))
		}
		cols := []string{fluxString(schema.TagPort)}
		for _, x := range fields {
			cols = append(cols, fluxString(x))
		}
		return fmt.Sprintf("from(bucket: %s)\n  |> range(start: v.timeRangeStart, stop: v.timeRangeStop)\n"+
			"  |> filter(fn: (r) => r._measurement == \"xcvr_info\" and (%s))\n%s  |> last()\n"+
			"  |> pivot(rowKey: [\"port\"], columnKey: [\"_field\"], valueColumn: \"_value\")\n  |> group()\n  |> keep(columns: [%s])",
			fluxString(o.Bucket), strings.Join(f, " or "), fluxVars([]string{schema.TagHost}), strings.Join(cols, ", "))
	}
	var sel []string
	for _, x := range fields {
		sel = append(sel, fmt.Sprintf("last(%s) AS %s", iqlIdent(x), iqlIdent(x)))
	}
	return fmt.Sprintf("SELECT %s FROM %s WHERE %s GROUP BY \"port\"", strings.Join(sel, ", "), o.iqlFrom(schema.XcvrInfo), info.iqlWhereVars([]string{schema.TagHost}))
}

func (o Options) portDash(rules *alarm.Rules) *dashboard.DashboardBuilder {
	p := &panels{}
	vars := []string{schema.TagHost, schema.TagPort, schema.TagLane}
	d := newDashboard(PortUID, "ddm port", "One port and its lanes: Tx and Rx power, laser bias, pre-FEC BER, with the rules' thresholds as lines; the module's own thresholds.").
		WithVariable(o.variable(schema.TagHost, schema.XcvrModule, false, nil)).
		WithVariable(o.variable(schema.TagPort, schema.XcvrModule, false, []string{schema.TagHost})).
		WithVariable(o.variable(schema.TagLane, schema.XcvrLane, true, []string{schema.TagHost, schema.TagPort}))
	type lp struct {
		title, field, unit string
		x, y               uint32
	}
	for _, l := range []lp{
		{"Tx power", schema.TxPowerDBM, "dBm", 0, 0},
		{"Rx power", schema.RxPowerDBM, "dBm", 12, 0},
		{"Laser bias", schema.TxBiasMA, "mamp", 0, 9},
	} {
		src := source{measurement: schema.XcvrLane, field: l.field}.read(statread.Mean)
		d = d.WithPanel(o.series(p, l.title+" per lane", "xcvr_lane."+l.field+" with the rules' thresholds on it.", l.unit, gridPos(l.x, l.y, 12, 9),
			dq{src: src, vars: vars, agg: "mean", groupBy: []string{schema.TagLane}, window: true, alias: "lane $tag_lane"}, o.laneName(false)).
			Thresholds(ruleThresholds(rules, schema.XcvrLane, l.field, "")).
			ThresholdsStyle(lineThresholds()))
	}
	d = d.WithPanel(o.series(p, "Pre-FEC BER per lane", "Media-side pre-FEC BER (VDM) with the BER rules' thresholds.", "sci", gridPos(12, 9, 12, 9),
		dq{src: vdmBER, vars: vars, agg: "max", groupBy: []string{schema.TagLane}, window: true, alias: "lane $tag_lane"}, o.laneName(false)).
		ScaleDistribution(logScale()).
		Thresholds(ruleThresholds(rules, schema.XcvrVDM, schema.Value, "pre_fec_ber_media")).
		ThresholdsStyle(lineThresholds()))
	temp := source{measurement: schema.XcvrModule, field: schema.TemperatureC}.read(statread.Mean)
	d = d.WithPanel(o.bandSeries(p, "Module temperature",
		"xcvr_module.temperature_c: the mean per interval in the band of the lowest and highest read (from an agent that runs with --reduce, the windows' minima and maxima: a spike a window's mean hides shows).",
		"celsius", gridPos(0, 18, 12, 8), temp, []string{schema.TagHost, schema.TagPort}).
		Thresholds(ruleThresholds(rules, schema.XcvrModule, schema.TemperatureC, "")).
		ThresholdsStyle(lineThresholds()))
	flight := source{measurement: schema.XcvrFlight, field: schema.RxPowerMW}
	d = d.WithPanel(o.series(p, "Flight recorder: Rx power before and after each link fault",
		"xcvr_flight.rx_power_mw at full rate: the minute before and the 30 s after each link fault (LOS, LOL, Tx fault) or alarm of the port, one series per lane and flight (tag flight: port/trigger@ms; a trigger while the flight is open joins it and extends it, xcvr_flight_trigger). ddm dump --flight PORT prints the last ones from the agent's state folder.",
		"mwatt", gridPos(0, 26, 12, 9),
		dq{src: flight, vars: vars, agg: "mean", groupBy: []string{schema.TagFlight, schema.TagLane}, window: true, alias: "$tag_flight lane $tag_lane"},
		"${__field.labels.flight} lane ${__field.labels.lane}"))
	flightBER := source{measurement: schema.XcvrFlight, field: schema.Value}.with(schema.TagObservable, "pre_fec_ber").with(schema.TagSide, "media")
	d = d.WithPanel(o.series(p, "Flight recorder: pre-FEC BER before and after each link fault",
		"xcvr_flight VDM readings (source vdm) of media-side pre-FEC BER at the VDM cadence in the same windows, one series per lane and flight, with the BER rules' thresholds: did the errors rise before the lane went dark?",
		"sci", gridPos(12, 26, 12, 9),
		dq{src: flightBER, vars: vars, agg: "max", groupBy: []string{schema.TagFlight, schema.TagLane}, window: true, alias: "$tag_flight lane $tag_lane"},
		"${__field.labels.flight} lane ${__field.labels.lane}").
		ScaleDistribution(logScale()).
		Thresholds(ruleThresholds(rules, schema.XcvrVDM, schema.Value, "pre_fec_ber_media")).
		ThresholdsStyle(lineThresholds()))
	d = d.WithPanel(tablePanel(p).Title("Module thresholds").
		Description("The module's own alarm and warning thresholds (xcvr_threshold, written at insertion; the panel looks back 30 days). Power is in mW.").
		Datasource(*o.dsRef()).GridPos(gridPos(12, 18, 12, 8)).TimeFrom("30d").
		WithTarget(o.target("A", o.thresholdTable(), "", "table")))
	return d
}

// thresholdTable lists the module's thresholds per quantity.
func (o Options) thresholdTable() string {
	fields := []string{schema.LowAlarmThreshold, schema.LowWarningThreshold, schema.HighWarningThreshold, schema.HighAlarmThreshold}
	if o.Language == Flux {
		var f []string
		for _, x := range fields {
			f = append(f, "r._field == "+fluxString(x))
		}
		cols := []string{fluxString(schema.TagQuantity)}
		for _, x := range fields {
			cols = append(cols, fluxString(x))
		}
		return fmt.Sprintf("from(bucket: %s)\n  |> range(start: v.timeRangeStart, stop: v.timeRangeStop)\n"+
			"  |> filter(fn: (r) => r._measurement == \"xcvr_threshold\" and (%s))\n%s  |> last()\n"+
			"  |> pivot(rowKey: [\"quantity\"], columnKey: [\"_field\"], valueColumn: \"_value\")\n  |> group()\n  |> keep(columns: [%s])",
			fluxString(o.Bucket), strings.Join(f, " or "), fluxVars([]string{schema.TagHost, schema.TagPort}), strings.Join(cols, ", "))
	}
	var sel []string
	for _, x := range fields {
		sel = append(sel, fmt.Sprintf("last(%s) AS %s", iqlIdent(x), iqlIdent(x)))
	}
	th := source{measurement: schema.XcvrThreshold}
	return fmt.Sprintf("SELECT %s FROM %s WHERE %s GROUP BY \"quantity\"", strings.Join(sel, ", "), o.iqlFrom(schema.XcvrThreshold), th.iqlWhereVars([]string{schema.TagHost, schema.TagPort}))
}

func (o Options) berDash(rules *alarm.Rules) *dashboard.DashboardBuilder {
	p := &panels{}
	vars := []string{schema.TagHost, schema.TagPort}
	d := newDashboard(BERUID, "ddm pre-FEC BER", "Pre-FEC BER of every lane over time (VDM, media side) with the rules' thresholds, errored frames and eSNR.").
		WithVariable(o.variable(schema.TagHost, schema.XcvrModule, false, nil)).
		WithVariable(o.variable(schema.TagPort, schema.XcvrModule, true, []string{schema.TagHost}))
	d = d.WithPanel(o.series(p, "Pre-FEC BER", "Max per interval of each lane's media-side pre-FEC BER; the lines are the BER rules' thresholds (KP4 FEC limit 2.4e-4).", "sci", gridPos(0, 0, 24, 12),
		dq{src: vdmBER, vars: vars, agg: "max", groupBy: []string{schema.TagPort, schema.TagLane}, window: true, alias: "$tag_port lane $tag_lane"}, o.laneName(true)).
		ScaleDistribution(logScale()).
		Thresholds(ruleThresholds(rules, schema.XcvrVDM, schema.Value, "pre_fec_ber_media")).
		ThresholdsStyle(lineThresholds()))
	d = d.WithPanel(o.series(p, "Errored frames", "Ratio of FEC codewords that could not be corrected (VDM, media side): packet loss.", "sci", gridPos(0, 12, 12, 9),
		dq{src: vdmErrFr, vars: vars, agg: "max", groupBy: []string{schema.TagPort, schema.TagLane}, window: true, alias: "$tag_port lane $tag_lane"}, o.laneName(true)).
		Thresholds(ruleThresholds(rules, schema.XcvrVDM, schema.Value, "errored_frames_media")).
		ThresholdsStyle(lineThresholds()))
	d = d.WithPanel(o.series(p, "eSNR", "Electrical SNR of the media side (VDM).", "dB", gridPos(12, 12, 12, 9),
		dq{src: vdmESNR, vars: vars, agg: "mean", groupBy: []string{schema.TagPort, schema.TagLane}, window: true, alias: "$tag_port lane $tag_lane"}, o.laneName(true)))
	return d
}

func (o Options) alarmsDash() *dashboard.DashboardBuilder {
	p := &panels{}
	d := newDashboard(AlarmsUID, "ddm active alarms", "Alarms firing now (the agent's xcvr_alarm points) and their history.").
		WithVariable(o.variable(schema.TagHost, schema.XcvrModule, true, nil))
	d = d.WithPanel(tablePanel(p).Title("Active alarms").
		Description("Alarm series whose last xcvr_alarm point says firing; the agent rewrites firing alarms every minute.").
		Datasource(*o.dsRef()).GridPos(gridPos(0, 0, 24, 12)).
		WithTarget(o.target("A", o.activeAlarms(), "", "table")))
	d = d.WithPanel(tablePanel(p).Title("Alarm state changes").
		Description("The agent's alarm transitions (xcvr_alarm points with transition=true), newest first.").
		Datasource(*o.dsRef()).GridPos(gridPos(0, 12, 24, 10)).
		WithTarget(o.target("A", o.alarmChanges(), "", "table")))
	d = d.WithPanel(statetimeline.NewPanelBuilder().Id(p.next()).Title("Alarm timeline").
		Description("firing per alarm series over time.").
		Datasource(*o.dsRef()).GridPos(gridPos(0, 22, 24, 12)).
		WithTarget(o.dqTarget("A", dq{src: alarmFire, vars: []string{schema.TagHost}, agg: "last", groupBy: alarmSeries[1:], window: true,
			alias: "$tag_port $tag_lane $tag_rule $tag_observable $tag_side $tag_limit"})).
		DisplayName("${__field.labels.port} ${__field.labels.lane} ${__field.labels.rule} ${__field.labels.observable} ${__field.labels.side} ${__field.labels.limit} (${__field.labels.severity})").
		MergeValues(true).
		ShowValue(common.VisibilityModeNever))
	return d
}

// activeAlarms lists the alarm series whose last point is firing.
func (o Options) activeAlarms() string {
	per := alarmSeries
	if o.Language == Flux {
		cols := []string{"_time"}
		cols = append(cols, per...)
		cols = append(cols, schema.Value, schema.Threshold, schema.Summary)
		q := make([]string, len(cols))
		for i, c := range cols {
			q[i] = fluxString(c)
		}
		return fmt.Sprintf("from(bucket: %s)\n  |> range(start: v.timeRangeStart, stop: v.timeRangeStop)\n"+
			"  |> filter(fn: (r) => r._measurement == \"xcvr_alarm\" and (r._field == \"firing\" or r._field == \"value\" or r._field == \"threshold\" or r._field == \"summary\"))\n"+
			"%s  |> last()\n  |> pivot(rowKey: [\"_time\"], columnKey: [\"_field\"], valueColumn: \"_value\")\n"+
			"  |> filter(fn: (r) => r.firing == true)\n  |> group()\n  |> keep(columns: [%s])",
			fluxString(o.Bucket), fluxVars([]string{schema.TagHost}), strings.Join(q, ", "))
	}
	inner := fmt.Sprintf(`SELECT last("firing") AS "firing", last("value") AS "value", last("threshold") AS "threshold", last("summary") AS "summary" FROM %s WHERE %s GROUP BY %s`,
		o.iqlFrom(schema.XcvrAlarm), alarmFire.iqlWhereVars([]string{schema.TagHost}), iqlGroupBy(per))
	return fmt.Sprintf(`SELECT "value", "threshold", "summary" FROM (%s) WHERE "firing" = true GROUP BY %s`, inner, iqlGroupBy(per))
}

// alarmChanges lists the alarm transitions, newest first.
func (o Options) alarmChanges() string {
	tags := alarmSeries
	if o.Language == Flux {
		cols := []string{"_time"}
		cols = append(cols, tags...)
		cols = append(cols, schema.State, schema.Value, schema.Threshold, schema.Summary)
		q := make([]string, len(cols))
		for i, c := range cols {
			q[i] = fluxString(c)
		}
		return fmt.Sprintf("from(bucket: %s)\n  |> range(start: v.timeRangeStart, stop: v.timeRangeStop)\n"+
			"  |> filter(fn: (r) => r._measurement == \"xcvr_alarm\" and (r._field == \"transition\" or r._field == \"state\" or r._field == \"value\" or r._field == \"threshold\" or r._field == \"summary\"))\n"+
			"%s  |> pivot(rowKey: [\"_time\"], columnKey: [\"_field\"], valueColumn: \"_value\")\n"+
			"  |> filter(fn: (r) => r.transition == true)\n  |> group()\n  |> sort(columns: [\"_time\"], desc: true)\n  |> limit(n: 500)\n  |> keep(columns: [%s])",
			fluxString(o.Bucket), fluxVars([]string{schema.TagHost}), strings.Join(q, ", "))
	}
	sel := make([]string, 0, len(tags)+4)
	for _, t := range append(slices.Clone(tags), schema.State, schema.Value, schema.Threshold, schema.Summary) {
		sel = append(sel, iqlIdent(t))
	}
	return fmt.Sprintf(`SELECT %s FROM %s WHERE "transition" = true AND %s ORDER BY time DESC LIMIT 500`,
		strings.Join(sel, ", "), o.iqlFrom(schema.XcvrAlarm), source{}.iqlWhereVars([]string{schema.TagHost}))
}
