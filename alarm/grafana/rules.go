package grafana

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"text/template/parse"
	"time"

	"github.com/grafana/grafana-foundation-sdk/go/alerting"
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/expr"

	"github.com/ddm-agent/ddm/alarm"
	"github.com/ddm-agent/ddm/internal/statread"
	"github.com/ddm-agent/ddm/schema"
)

// ExprDatasourceUID is the pseudo data source of Grafana's server-side
// expressions (reduce, math, threshold).
const ExprDatasourceUID = "__expr__"

// Exported says how one ddm rule became a Grafana alert rule.
type Exported struct {
	Rule string // the ddm rule's name
	UID  string // the Grafana rule's uid
	// Local: the rule needs what only the agent sees, so the Grafana rule
	// follows the agent's own xcvr_alarm points instead of the metric.
	Local bool
	// How describes the query in a sentence (it is also the rule's
	// description annotation).
	How string
}

// ruleBuilder assembles one Grafana rule: data queries, then
// expressions, each with the next refId (A, B, C, ...).
type ruleBuilder struct {
	o       Options
	r       *alarm.Rule
	queries []cog.Builder[alerting.Query]
	next    int
}

func (b *ruleBuilder) refID() string {
	id := string(rune('A' + b.next))
	b.next++
	return id
}

// data adds an InfluxDB query over [now-from, now-to].
func (b *ruleBuilder) data(from, to time.Duration, text string) string {
	id := b.refID()
	q := InfluxQuery{RefID: id, Datasource: b.o.dsRef(), Query: text, IntervalMs: 1000, MaxDataPoints: 43200}
	if b.o.Language == InfluxQL {
		q.RawQuery, q.ResultFormat = true, "time_series"
	}
	b.queries = append(b.queries, alerting.NewQueryBuilder(id).
		DatasourceUid(b.o.DatasourceUID).
		RelativeTimeRange(alerting.Duration(from/time.Second), alerting.Duration(to/time.Second)).
		Model(influxQueryBuilder{q}))
	return id
}

func exprDS() common.DataSourceRef {
	t, u := ExprDatasourceUID, ExprDatasourceUID
	return common.DataSourceRef{Type: &t, Uid: &u}
}

func (b *ruleBuilder) expression(id string, e *expr.ExprBuilder) string {
	b.queries = append(b.queries, alerting.NewQueryBuilder(id).DatasourceUid(ExprDatasourceUID).Model(e))
	return id
}

// reduce adds "last value of each series, non-numbers dropped".
func (b *ruleBuilder) reduce(in string) string {
	id := b.refID()
	return b.expression(id, expr.NewExprBuilder().TypeReduce(expr.NewTypeReduceBuilder().
		RefId(id).Datasource(exprDS()).Expression(in).
		Reducer(expr.TypeReduceReducerLast).
		Settings(expr.NewExprTypeReduceSettingsBuilder().Mode(expr.ExprTypeReduceSettingsModeDropNN))))
}

// math adds a math expression.
func (b *ruleBuilder) math(expression string) string {
	id := b.refID()
	return b.expression(id, expr.NewExprBuilder().TypeMath(expr.NewTypeMathBuilder().
		RefId(id).Datasource(exprDS()).Expression(expression)))
}

// cond is a threshold evaluator: gt, lt, outside_range, within_range.
type cond struct {
	typ    string
	params []float64
}

// threshold adds the condition; unload, when set, is Grafana's recovery
// threshold (hysteresis: an alert that is pending or firing stops only
// when unload holds).
func (b *ruleBuilder) threshold(in string, fire cond, unload *cond) string {
	id := b.refID()
	c := expr.NewExprTypeThresholdConditionsBuilder().Evaluator(expr.NewExprTypeThresholdConditionsEvaluatorBuilder().
		Type(expr.ExprTypeThresholdConditionsEvaluatorType(fire.typ)).Params(fire.params))
	if unload != nil {
		c = c.UnloadEvaluator(expr.NewExprTypeThresholdConditionsUnloadEvaluatorBuilder().
			Type(expr.ExprTypeThresholdConditionsUnloadEvaluatorType(unload.typ)).Params(unload.params))
	}
	return b.expression(id, expr.NewExprBuilder().TypeThreshold(expr.NewTypeThresholdBuilder().
		RefId(id).Datasource(exprDS()).Expression(in).
		Conditions([]cog.Builder[expr.ExprTypeThresholdConditions]{c})))
}

// exportRule builds the Grafana rule of one ddm rule.
func (o Options) exportRule(file string, r *alarm.Rule) (alerting.Rule, Exported, error) {
	b := &ruleBuilder{o: o, r: r}
	ex := Exported{Rule: r.Name, UID: ruleUID(r.Name), Local: r.Local()}
	refs := &tmplRefs{rule: r.Name, metric: r.Metric}
	series, isMetric := r.Series()
	if isMetric {
		refs.obs = series.Observable
	}
	var condition string
	var err error
	forDur, keep := r.For, r.ClearFor
	labels := map[string]string{}
	for k, v := range r.Labels {
		labels[k] = v
	}
	labels[schema.TagRule] = r.Name
	switch {
	case outlookRule(r):
		labels[schema.TagSeverity] = r.Severity.String()
		condition, ex.How, err = b.outlook(refs)
	case ex.Local || !isMetric:
		condition, ex.How = b.local(refs)
		// The agent applied for and clear_for before it wrote the state.
		forDur, keep = 0, 0
	default:
		labels[schema.TagSeverity] = r.Severity.String()
		condition, ex.How, err = b.metric(series, refs)
	}
	if err != nil {
		return alerting.Rule{}, ex, fmt.Errorf("rule %s (line %d): %w", r.Name, r.Line, err)
	}

	summary := ""
	if r.Summary != "" {
		summary, _ = translateSummary(r.Summary, refs)
	}
	if summary == "" {
		summary = defaultSummary(r, refs)
	}
	desc := fmt.Sprintf("ddm rule %s (%s:%d): %s. %s", r.Name, file, r.Line, r.Condition(), ex.How)
	// The SDK models the HTTP API's rule; group, folder and org go to the
	// file's group (fileRule drops them from the rule).
	rb := alerting.NewRuleBuilder("ddm " + r.Name).
		Uid(ex.UID).
		RuleGroup(o.Group).
		FolderUID(o.Folder).
		OrgID(o.OrgID).
		Condition(condition).
		Queries(b.queries).
		For(promDuration(forDur)).
		NoDataState(alerting.RuleNoDataStateOK).
		ExecErrState(alerting.RuleExecErrStateError).
		Labels(labels).
		Annotations(map[string]string{"summary": summary, "description": desc}).
		IsPaused(r.Disabled)
	if keep > 0 {
		rb = rb.KeepFiringFor(promDuration(keep))
	}
	rule, err := rb.Build()
	if err != nil {
		return alerting.Rule{}, ex, fmt.Errorf("rule %s (line %d): %w", r.Name, r.Line, err)
	}
	return rule, ex, nil
}

// ruleUID is the Grafana uid of a ddm rule: ddm- and the name (names are
// at most 32 of [A-Za-z0-9_-], so the uid is at most 36 of Grafana's 40).
func ruleUID(name string) string { return "ddm-" + name }

func defaultSummary(r *alarm.Rule, refs *tmplRefs) string {
	what := r.Condition()
	if r.Builtin != "" {
		what = "built-in " + r.Builtin
	}
	text := "{{ $labels.port }}{{ if $labels.lane }} lane {{ $labels.lane }}{{ end }}: " + r.Name + " (" + what + ")"
	if refs.value != nil {
		refs.usesValue = true
		text += ": {{ printf \"%.4g\" " + refs.value().String() + " }}"
	}
	return text
}

// tags are the labels of a series of the measurement.
func tags(measurement string) []string {
	if measurement == schema.XcvrModule {
		return []string{schema.TagHost, schema.TagPort}
	}
	return []string{schema.TagHost, schema.TagPort, schema.TagLane}
}

// source of a metric rule: its series with the rule's port and lane
// selectors. VDM observables are stored with the side split off into its
// own tag (pre_fec_ber_media: observable=pre_fec_ber, side=media).
func (b *ruleBuilder) source(s alarm.Series) (source, error) {
	src := source{measurement: s.Measurement, field: s.Field}
	if s.Measurement == schema.XcvrVDM {
		obs, side := splitSide(s.Observable)
		src = src.with(schema.TagObservable, obs)
		if side != "" {
			src = src.with(schema.TagSide, side)
		}
	}
	pm, err := globMatch(schema.TagPort, b.r.Match.Port)
	if err != nil {
		return src, err
	}
	if pm != nil {
		src.matches = append(src.matches, pm)
	}
	if lm := laneMatch(b.r.Match.Lanes); lm != nil && s.Measurement != schema.XcvrModule {
		src.matches = append(src.matches, lm)
	}
	return src, nil
}

// splitSide is the exporter's: a VDM observable ending in _media or _host
// is stored as the observable and a side tag.
func splitSide(name string) (observable, side string) {
	for _, s := range [...]string{"media", "host"} {
		if base, ok := strings.CutSuffix(name, "_"+s); ok && base != "" {
			return base, s
		}
	}
	return name, ""
}

// lastQuery is the latest value of each series.
func (b *ruleBuilder) lastQuery(src source, t []string) string {
	if b.o.Language == Flux {
		return b.o.fluxLast(src) + fluxKeep(t)
	}
	if len(src.forms()) > 1 {
		return b.o.iqlPerForm("last", "last", src, "", t, "", src.field)
	}
	return b.o.iqlSelect("last("+iqlIdent(src.field)+")", src, "", t, "")
}

// medianQuery is the median of each series over the query's range.
func (b *ruleBuilder) medianQuery(src source, t []string) string {
	if b.o.Language == Flux {
		// exact_mean: InfluxQL's median (the default estimates).
		// The median of each form, then of the forms of a series (one
		// but where the agent changed mode).
		g := []string{fluxString("_start"), fluxString("_stop")}
		for _, x := range t {
			g = append(g, fluxString(x))
		}
		return b.o.fluxPerForm(src) + "  |> median(method: \"exact_mean\")\n" +
			"  |> group(columns: [" + strings.Join(g, ", ") + "])\n  |> median(method: \"exact_mean\")\n" +
			"  |> duplicate(column: \"_stop\", as: \"_time\")\n" + fluxKeep(t)
	}
	if len(src.forms()) > 1 {
		return b.o.iqlPerForm("median", "median", src, "", t, "", src.field)
	}
	return b.o.iqlSelect("median("+iqlIdent(src.field)+")", src, "", t, "")
}

// bucketQuery aggregates the per-resolution medians of each series over
// the query's range with agg (median: the baseline; count: how many
// resolution intervals have data).
func (b *ruleBuilder) bucketQuery(src source, t []string, res time.Duration, agg string) string {
	if b.o.Language == Flux {
		g := make([]string, len(t))
		for i, x := range t {
			g[i] = fluxString(x)
		}
		final := "median(method: \"exact_mean\")"
		if agg == "count" {
			final = "count()\n  |> toFloat()"
		}
		// window() is aligned on the epoch like the agent's intervals and
		// InfluxQL's GROUP BY time().
		// Per form and window; the group below takes the windows of every
		// form of a series.
		return b.o.fluxPerForm(src) +
			fmt.Sprintf("  |> window(every: %s)\n  |> median(method: \"exact_mean\")\n", promDuration(res)) +
			fmt.Sprintf("  |> group(columns: [%s])\n  |> %s\n", strings.Join(g, ", "), final) +
			"  |> map(fn: (r) => ({r with _time: v.timeRangeStop}))\n" + fluxKeep(t)
	}
	if len(src.forms()) > 1 {
		// The per-interval medians of every form of a series.
		return b.o.iqlPerForm("median", agg, src, promDuration(res), t, "none", "m")
	}
	inner := b.o.iqlSelect("median("+iqlIdent(src.field)+") AS \"m\"", src, promDuration(res), t, "none")
	return fmt.Sprintf("SELECT %s(\"m\") FROM (%s) GROUP BY %s", agg, inner, iqlGroupBy(t))
}

// metric builds the pipeline of a rule Grafana evaluates on the metric
// itself and returns the condition's refId and a description.
func (b *ruleBuilder) metric(s alarm.Series, refs *tmplRefs) (string, string, error) {
	r, o := b.r, b.o
	src, err := b.source(s)
	if err != nil {
		return "", "", err
	}
	t := tags(s.Measurement)
	what := fmt.Sprintf("%s.%s", s.Measurement, s.Field)
	if s.Observable != "" {
		obs, side := splitSide(s.Observable)
		what = fmt.Sprintf("%s (observable %s", what, obs)
		if side != "" {
			what += ", side " + side
		}
		what += ")"
	}
	switch {
	case r.Above != nil || r.Below != nil || r.Outside != nil:
		fire, unload, thr := b.levels()
		// With --reduce a window's extreme is tested, not its mean: the
		// maximum against an upper limit, the minimum against a lower one;
		// against a band, whichever is farther from its middle.
		var v string
		switch {
		case r.Above != nil:
			v = b.reduce(b.data(o.Lookback, 0, b.lastQuery(src.read(statread.Max), t)))
		case r.Below != nil:
			v = b.reduce(b.data(o.Lookback, 0, b.lastQuery(src.read(statread.Min), t)))
		default:
			lo := b.reduce(b.data(o.Lookback, 0, b.lastQuery(src.read(statread.Min), t)))
			hi := b.reduce(b.data(o.Lookback, 0, b.lastQuery(src.read(statread.Max), t)))
			v = b.math(farther(hi, lo, mathNum((fire.params[0]+fire.params[1])/2)))
		}
		refs.value = variable("$values", v, "Value")
		refs.threshold = number(thr)
		return b.threshold(v, fire, unload),
			fmt.Sprintf("Grafana evaluates the last value of %s per series (within %s; from agents that run with --reduce, the last window's %s) against the rule's threshold%s.",
				what, promDuration(o.Lookback), extremeNote(r.Above != nil, r.Below != nil), hysteresisNote(unload)), nil

	case r.Rate != nil:
		rt := r.Rate
		mean := src.read(statread.Mean)
		recent := b.data(rt.Resolution, 0, b.medianQuery(mean, t))
		earlier := b.data(rt.Per+rt.Resolution, rt.Per, b.medianQuery(mean, t))
		c, d := b.reduce(recent), b.reduce(earlier)
		var m string
		if rt.Percent {
			// 100·(now−then)/|then|; then = 0 gives NaN (no rate), as the
			// agent skips it: the last factor is 0/0 then and 1 otherwise.
			m = b.math(fmt.Sprintf("($%s - $%s) / abs($%s) * 100 * (abs($%s) / abs($%s))", c, d, d, d, d))
		} else {
			m = b.math(fmt.Sprintf("$%s - $%s", c, d))
		}
		refs.value = variable("$values", m, "Value")
		fire, unload, thr := b.rateLevels()
		refs.threshold = number(thr)
		return b.threshold(m, fire, unload),
			fmt.Sprintf("Grafana compares the median of %s over the last %s with its median over the same width %s earlier%s.",
				what, promDuration(rt.Resolution), promDuration(rt.Per), hysteresisNote(unload)), nil

	case r.Baseline != nil:
		bl := r.Baseline
		mean := src.read(statread.Mean)
		base := b.data(bl.Window+bl.Resolution, bl.Resolution, b.bucketQuery(mean, t, bl.Resolution, "median"))
		count := b.data(bl.Window+bl.Resolution, bl.Resolution, b.bucketQuery(mean, t, bl.Resolution, "count"))
		bv, cv := b.reduce(base), b.reduce(count)
		// The last value against the baseline: with --reduce, the last
		// window's maximum for a rise, its minimum for a drop, and for
		// both whichever is farther from the baseline.
		var lv string
		switch {
		case bl.Drop > 0 && bl.Rise > 0:
			lo := b.reduce(b.data(o.Lookback, 0, b.lastQuery(src.read(statread.Min), t)))
			hi := b.reduce(b.data(o.Lookback, 0, b.lastQuery(src.read(statread.Max), t)))
			lv = b.math(farther(hi, lo, "$"+bv))
		case bl.Drop > 0:
			lv = b.reduce(b.data(o.Lookback, 0, b.lastQuery(src.read(statread.Min), t)))
		default:
			lv = b.reduce(b.data(o.Lookback, 0, b.lastQuery(src.read(statread.Max), t)))
		}
		n := max(int64(bl.MinHistory/bl.Resolution), 1)
		// value − baseline; NaN (no verdict, like the agent) while fewer
		// than n resolution intervals of history exist.
		m := b.math(fmt.Sprintf("($%s - $%s) * ($%s >= %d) / ($%s >= %d)", lv, bv, cv, n, cv, n))
		refs.value = variable("$values", lv, "Value")
		refs.threshold = variable("$values", bv, "Value")
		fire, unload := b.baselineLevels()
		return b.threshold(m, fire, unload),
			fmt.Sprintf("Grafana compares the last value of %s with its baseline, the median of its %s medians over the %s before the last %s (needing %d of them)%s.",
				what, promDuration(bl.Resolution), promDuration(bl.Window), promDuration(bl.Resolution), n, hysteresisNote(unload)), nil

	case r.Absent > 0:
		id, how := b.absent(src.read(statread.Mean), t, what, refs)
		return id, how, nil
	}
	return "", "", fmt.Errorf("no condition Grafana can evaluate")
}

// farther is the math expression of whichever of the values hi and lo
// (refIds) is farther from center (a number or a $refId): the extreme of a
// window that a band or a two-sided baseline tests.
func farther(hi, lo, center string) string {
	dh, dl := fmt.Sprintf("abs($%s - %s)", hi, center), fmt.Sprintf("abs($%s - %s)", lo, center)
	return fmt.Sprintf("$%s * (%s >= %s) + $%s * (%s < %s)", hi, dh, dl, lo, dh, dl)
}

// mathNum writes a number for a math expression (in parentheses when
// negative).
func mathNum(v float64) string {
	s := strconv.FormatFloat(v, 'g', -1, 64)
	if v < 0 {
		return "(" + s + ")"
	}
	return s
}

// extremeNote names the window statistic a limit rule tests.
func extremeNote(above, below bool) string {
	switch {
	case above:
		return "maximum"
	case below:
		return "minimum"
	}
	return "minimum or maximum, whichever is farther from the band's middle"
}

func hysteresisNote(unload *cond) string {
	if unload == nil {
		return ""
	}
	return fmt.Sprintf("; once pending or firing it recovers only when %s %v (the rule's clear/hysteresis)", unload.typ, unload.params)
}

// levels maps above/below/outside with clear or hysteresis to a threshold
// and a recovery threshold.
func (b *ruleBuilder) levels() (fire cond, unload *cond, thr float64) {
	r := b.r
	h := r.Hysteresis
	switch {
	case r.Above != nil:
		t := r.Above.Value
		c := t - h
		if len(r.Clear) > 0 {
			c = r.Clear[0]
		}
		fire = cond{"gt", []float64{t}}
		if c != t {
			unload = &cond{"lt", []float64{c}}
		}
		return fire, unload, t
	case r.Below != nil:
		t := r.Below.Value
		c := t + h
		if len(r.Clear) > 0 {
			c = r.Clear[0]
		}
		fire = cond{"lt", []float64{t}}
		if c != t {
			unload = &cond{"gt", []float64{c}}
		}
		return fire, unload, t
	}
	lo, hi := r.Outside[0].Value, r.Outside[1].Value
	clo, chi := lo+h, hi-h
	if len(r.Clear) == 2 {
		clo, chi = r.Clear[0], r.Clear[1]
	}
	fire = cond{"outside_range", []float64{lo, hi}}
	if clo != lo || chi != hi {
		unload = &cond{"within_range", []float64{clo, chi}}
	}
	return fire, unload, hi
}

func (b *ruleBuilder) rateLevels() (fire cond, unload *cond, thr float64) {
	r := b.r
	rt, h := r.Rate, r.Hysteresis
	switch {
	case rt.Above != nil && rt.Below != nil:
		fire = cond{"outside_range", []float64{*rt.Below, *rt.Above}}
		lo, hi := *rt.Below+h, *rt.Above-h
		if len(r.Clear) > 0 {
			hi = r.Clear[0]
		}
		if lo != *rt.Below || hi != *rt.Above {
			unload = &cond{"within_range", []float64{lo, hi}}
		}
		return fire, unload, *rt.Above
	case rt.Above != nil:
		c := *rt.Above - h
		if len(r.Clear) > 0 {
			c = r.Clear[0]
		}
		fire = cond{"gt", []float64{*rt.Above}}
		if c != *rt.Above {
			unload = &cond{"lt", []float64{c}}
		}
		return fire, unload, *rt.Above
	}
	c := *rt.Below + h
	if len(r.Clear) > 0 {
		c = r.Clear[0]
	}
	fire = cond{"lt", []float64{*rt.Below}}
	if c != *rt.Below {
		unload = &cond{"gt", []float64{c}}
	}
	return fire, unload, *rt.Below
}

// baselineLevels: the condition is on value − baseline.
func (b *ruleBuilder) baselineLevels() (fire cond, unload *cond) {
	bl, h := b.r.Baseline, b.r.Hysteresis
	switch {
	case bl.Drop > 0 && bl.Rise > 0:
		fire = cond{"outside_range", []float64{-bl.Drop, bl.Rise}}
		if h > 0 {
			unload = &cond{"within_range", []float64{-bl.Drop + h, bl.Rise - h}}
		}
	case bl.Drop > 0:
		fire = cond{"lt", []float64{-bl.Drop}}
		if h > 0 {
			unload = &cond{"gt", []float64{-bl.Drop + h}}
		}
	default:
		fire = cond{"gt", []float64{bl.Rise}}
		if h > 0 {
			unload = &cond{"lt", []float64{bl.Rise - h}}
		}
	}
	return fire, unload
}

// absent: a series that had data in the window and has none for the
// rule's duration, on a module that is present (the agent does not look
// for gaps in an empty cage).
func (b *ruleBuilder) absent(src source, t []string, what string, refs *tmplRefs) (string, string) {
	r, o := b.r, b.o
	d := r.Absent
	window := d + max(time.Hour, 3*d)
	var ports []*tagMatch
	for _, m := range src.matches {
		if m.tag == schema.TagPort {
			ports = append(ports, m)
		}
	}
	// The module is there when it was read lately (readLookback): at full
	// rate or in a window of the reduced export, whose present flag is
	// written only when it changes.
	pres := o.readsPerPort(ports, nil)
	var data string
	var fire cond
	var how string
	if o.Language == Flux {
		data = o.fluxLast(src) +
			"  |> map(fn: (r) => ({r with _value: float(v: int(v: v.timeRangeStop) - int(v: r._time)) / 1000000000.0}))\n" +
			fluxKeep(t)
		fire = cond{"gt", []float64{d.Seconds()}}
		how = fmt.Sprintf("Grafana computes the seconds since the last value of %s per series (series seen in the last %s) and alerts above %g s, on modules read in the last %s.",
			what, promDuration(window), d.Seconds(), promDuration(readLookback))
	} else {
		// Samples per g-wide interval, summed over the trailing n
		// intervals: 0 when nothing arrived for at least d (at most one
		// interval later than the agent).
		g := max((d / 10).Truncate(time.Second), time.Second)
		n := int(math.Ceil(float64(d)/float64(g))) + 1
		data = o.iqlSelect(fmt.Sprintf("moving_average(count(%s), %d) * %d", iqlIdent(src.field), n, n), src, promDuration(g), t, "0")
		fire = cond{"lt", []float64{1}}
		how = fmt.Sprintf("Grafana counts the values of %s per series over the trailing %d×%s (series seen in the last %s) and alerts when there are none, on modules read in the last %s.",
			what, n, promDuration(g), promDuration(window), promDuration(readLookback))
		refs.value = number(d.Seconds())
	}
	a := b.data(window, 0, data)
	p := b.data(readLookback, 0, pres)
	av, pv := b.reduce(a), b.reduce(p)
	m := b.math(fmt.Sprintf("$%s * ($%s > 0)", av, pv))
	if refs.value == nil {
		refs.value = variable("$values", m, "Value")
	}
	refs.threshold = number(d.Seconds())
	return b.threshold(m, fire, nil), how
}

// local builds the pipeline of a rule only the agent can evaluate: the
// last state of the agent's own alarm points for the rule (xcvr_alarm,
// firing, rewritten every minute while an alarm fires), per alarm series
// of the rule (port, lane, severity, observable, side, limit).
func (b *ruleBuilder) local(refs *tmplRefs) (string, string) {
	r, o := b.r, b.o
	t := []string{schema.TagHost, schema.TagPort, schema.TagLane, schema.TagSeverity, schema.TagObservable, schema.TagSide, schema.TagLimit}
	src := source{measurement: schema.XcvrAlarm, field: schema.Firing}.with(schema.TagRule, r.Name)
	var q string
	if o.Language == Flux {
		q = o.fluxFrom(src) + "  |> last()\n" +
			"  |> map(fn: (r) => ({r with _value: if r._value then 1.0 else 0.0}))\n" + fluxKeep(t)
	} else {
		// InfluxQL cannot turn a boolean into a number: count the series
		// whose last point says firing (1, or no row).
		q = fmt.Sprintf("SELECT count(\"firing\") FROM (%s) WHERE \"firing\" = true GROUP BY %s",
			o.iqlSelect("last(\"firing\") AS \"firing\"", src, "", t, ""), iqlGroupBy(t))
	}
	a := b.data(o.AlarmLookback, 0, q)
	firing := b.reduce(a)
	id := b.threshold(firing, cond{"gt", []float64{0}}, nil)

	// The value and threshold the agent recorded, for the summary, when
	// it shows them.
	probe := &tmplRefs{value: number(0), threshold: number(0)}
	if r.Summary != "" {
		translateSummary(r.Summary, probe)
	}
	field := func(f string) func() parse.Node {
		fs := source{measurement: schema.XcvrAlarm, field: f}.with(schema.TagRule, r.Name)
		var q string
		if o.Language == Flux {
			q = o.fluxFrom(fs) + "  |> last()\n" + fluxKeep(t)
		} else {
			q = o.iqlSelect("last("+iqlIdent(f)+")", fs, "", t, "")
		}
		return variable("$values", b.reduce(b.data(o.AlarmLookback, 0, q)), "Value")
	}
	if probe.usesValue || r.Summary == "" {
		refs.value = field(schema.Value)
	}
	if probe.usesThr {
		refs.threshold = field(schema.Threshold)
	}
	return id, fmt.Sprintf("Evaluated by the ddm agent, not by Grafana: %s. This alert follows the agent's own xcvr_alarm points (firing=true for rule %s, last state within %s), so it fires and resolves when the agent's alarm does.",
		localReason(r), r.Name, promDuration(o.AlarmLookback))
}

// localReason says why a rule cannot be evaluated on its metric in
// InfluxDB.
func localReason(r *alarm.Rule) string {
	switch {
	case r.Builtin == alarm.BuiltinModuleThresholds:
		return "it compares every monitor with the module's own alarm and warning thresholds (kept per module in xcvr_threshold, a different measurement) with a hysteresis that is a fraction of each module's warning-alarm gap"
	case r.Builtin == alarm.BuiltinVDMThresholds:
		return "it compares every VDM observable with its own threshold set, two classes with their own severities and a hysteresis that is a fraction of each instance's warning-alarm gap"
	case r.Builtin == alarm.BuiltinLatchedFlags:
		return "it raises the module's latched flags, which clear on read: the agent sees every set flag, a query over last values may not"
	case r.Builtin != "":
		return "it is the built-in set " + r.Builtin
	case r.ModuleAbsent > 0:
		return "it needs to know that the cage held a module before (never-populated cages do not alarm) and for how long it has been empty"
	}
	var why []string
	for _, l := range []*alarm.Level{r.Above, r.Below} {
		if l != nil && l.Ref != "" {
			why = append(why, "its threshold is the module's own "+l.Ref+" (in xcvr_threshold, per module)")
		}
	}
	if r.Outside != nil && (r.Outside[0].Ref != "" || r.Outside[1].Ref != "") {
		why = append(why, "its band is made of the module's own thresholds (in xcvr_threshold, per module)")
	}
	m := r.Match
	if len(m.Identifier)+len(m.Vendor)+len(m.PartNumber)+len(m.MediaInterface) > 0 {
		why = append(why, "it selects modules by identity (identifier, vendor, part number or media interface, which are fields of xcvr_info, not tags of the metric)")
	}
	if len(why) == 0 {
		return "it needs data the metric's series do not carry"
	}
	return strings.Join(why, " and ")
}
