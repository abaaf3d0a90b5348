package grafana

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-foundation-sdk/go/alerting"

	"github.com/ddm-agent/ddm/alarm"
	"github.com/ddm-agent/ddm/exporter"
	"github.com/ddm-agent/ddm/internal/influxtest"
)

// write posts points as line protocol.
func write(t *testing.T, srv *influxtest.Server, pts []exporter.Point) {
	t.Helper()
	var b bytes.Buffer
	flush := func() {
		if b.Len() == 0 {
			return
		}
		resp, err := http.Post(srv.URL()+"/write?db="+srv.Database()+"&precision=ns", "text/plain", bytes.NewReader(b.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent {
			t.Fatalf("write: %s: %s", resp.Status, body)
		}
		b.Reset()
	}
	for i, p := range pts {
		line, err := p.LineProtocol()
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString(line)
		b.WriteByte('\n')
		if i%5000 == 4999 {
			flush()
		}
	}
	flush()
}

// startScenario starts InfluxDB and writes the scenario; it returns the
// alerts the agent's engine has firing at the end.
func startScenario(t *testing.T) (*influxtest.Server, []alertKey) {
	rules, err := scenarioRules()
	if err != nil {
		t.Fatal(err)
	}
	srv := influxtest.Start(t, influxtest.WithFlux())
	pts, active := scenario(rules)
	write(t, srv, pts)
	t.Logf("scenario: %d points", len(pts))
	return srv, active
}

// grafanaSim runs exported rules the way Grafana would.
type grafanaSim struct {
	runner  *queryRunner
	lang    Language
	queries int             // data queries run, repeats included
	texts   map[string]bool // distinct query texts
	series  int
}

func newGrafanaSim(r *queryRunner, lang Language) *grafanaSim {
	return &grafanaSim{runner: r, lang: lang, texts: map[string]bool{}}
}

// text is the query as the data source sends it for [from, to].
func (g *grafanaSim) text(q InfluxQuery, from, to time.Time, vars map[string]string) queryKey {
	if g.lang == Flux {
		return queryKey{Flux, interpolateFlux(q.Query, from, to, time.Minute, vars)}
	}
	return queryKey{InfluxQL, interpolateInfluxQL(q.Query, from, to, time.Minute, vars)}
}

// dataQuery returns the data query of an alert query and the range it
// covers when the rule is evaluated at now (false: an expression).
func dataQuery(q alerting.Query, now time.Time) (InfluxQuery, time.Time, time.Time, bool) {
	if _, isExpr := exprOf(q); isExpr {
		return InfluxQuery{}, time.Time{}, time.Time{}, false
	}
	tr := q.RelativeTimeRange
	from := now.Add(-time.Duration(*tr.From) * time.Second)
	to := now.Add(-time.Duration(*tr.To) * time.Second)
	return q.Model.(InfluxQuery), from, to, true
}

func jsonFloat(v any) float64 {
	switch x := v.(type) {
	case json.Number:
		f, err := x.Float64()
		if err != nil {
			return math.NaN()
		}
		return f
	case float64:
		return x
	case int64:
		return float64(x)
	case uint64:
		return float64(x)
	case bool:
		if x {
			return 1
		}
		return 0
	}
	return math.NaN()
}

// run runs a data query over [from, to] and returns its series as Grafana
// would frame them.
func (g *grafanaSim) run(q InfluxQuery, from, to time.Time, vars map[string]string) ([]frame, error) {
	g.queries++
	k := g.text(q, from, to, vars)
	g.texts[k.text] = true
	if g.lang == Flux {
		recs, err := g.runner.flux(k.text)
		if err != nil {
			return nil, err
		}
		byKey := map[string]*frame{}
		var order []string
		for _, r := range recs {
			l := labels{}
			for k, v := range r {
				switch k {
				case "result", "table", "_time", "_value", "_start", "_stop", "_field", "_measurement":
					continue
				}
				if s, ok := v.(string); ok {
					l[k] = s
				}
			}
			k := l.key()
			f := byKey[k]
			if f == nil {
				f = &frame{labels: l}
				byKey[k] = f
				order = append(order, k)
			}
			tm, _ := r["_time"].(time.Time)
			f.points = append(f.points, point{tm, jsonFloat(r["_value"])})
		}
		var out []frame
		for _, k := range order {
			out = append(out, *byKey[k])
		}
		return out, nil
	}
	series, err := g.runner.influxQL(k.text)
	if err != nil {
		return nil, err
	}
	var out []frame
	for _, s := range series {
		f := frame{labels: labels{}}
		for k, v := range s.Tags {
			if v != "" {
				f.labels[k] = v
			}
		}
		for _, row := range s.Values {
			if len(row) < 2 || row[1] == nil {
				continue
			}
			ns, _ := row[0].(json.Number).Int64()
			f.points = append(f.points, point{time.Unix(0, ns), jsonFloat(row[1])})
		}
		out = append(out, f)
	}
	return out, nil
}

// eval evaluates a rule at now and steps its alert states.
func (g *grafanaSim) eval(ar *alertRule, now time.Time) error {
	vars := map[string]result{}
	for _, q := range ar.rule.Data {
		id := *q.RefId
		if iq, from, to, ok := dataQuery(q, now); ok {
			frames, err := g.run(iq, from, to, nil)
			if err != nil {
				return fmt.Errorf("%s: %w", id, err)
			}
			g.series += len(frames)
			vars[id] = result{frames: frames}
			continue
		}
		e, _ := exprOf(q)
		var err error
		switch {
		case e.TypeReduce != nil:
			if e.TypeReduce.Reducer != "last" || e.TypeReduce.Settings == nil || e.TypeReduce.Settings.Mode != "dropNN" {
				return fmt.Errorf("%s: reduce %s/%v is not modelled", id, e.TypeReduce.Reducer, e.TypeReduce.Settings)
			}
			vars[id] = reduceLast(vars[e.TypeReduce.Expression])
		case e.TypeMath != nil:
			vars[id], err = evalMath(e.TypeMath.Expression, vars)
		case e.TypeThreshold != nil:
			vars[id], err = threshold(e.TypeThreshold, vars[e.TypeThreshold.Expression], ar.loaded())
		default:
			err = fmt.Errorf("expression not modelled")
		}
		if err != nil {
			return fmt.Errorf("%s: %w", id, err)
		}
	}
	ar.step(now, vars[ar.rule.Condition])
	return nil
}

func newAlertRule(t *testing.T, r Rule) *alertRule {
	ar := &alertRule{rule: r, instances: map[string]*instance{}}
	for _, d := range []struct {
		s   string
		dst *time.Duration
	}{{r.For, &ar.forDur}, {r.KeepFiringFor, &ar.keep}} {
		if d.s == "" {
			continue
		}
		v, err := time.ParseDuration(d.s)
		if err != nil {
			t.Fatalf("rule %s: %v", r.UID, err)
		}
		*d.dst = v
	}
	return ar
}

func keysOf(ks []alertKey) []string {
	var out []string
	for _, k := range ks {
		out = append(out, fmt.Sprintf("%s %s %s lane=%q %s", k.Rule, k.Host, k.Port, k.Lane, k.Severity))
	}
	sort.Strings(out)
	return out
}

// diffKeys lists what is only in a and only in b.
func diffKeys(a, b []alertKey) (onlyA, onlyB []string) {
	ka, kb := keysOf(a), keysOf(b)
	in := func(l []string, s string) bool {
		for _, x := range l {
			if x == s {
				return true
			}
		}
		return false
	}
	for _, k := range ka {
		if !in(kb, k) {
			onlyA = append(onlyA, k)
		}
	}
	for _, k := range kb {
		if !in(ka, k) {
			onlyB = append(onlyB, k)
		}
	}
	return onlyA, onlyB
}

// TestAgainstInfluxDB runs every exported rule, both languages, against
// InfluxDB filled with the scenario, with Grafana's evaluation semantics,
// and checks that exactly the expected series alert, the same ones the
// agent's own engine has firing; then every dashboard query.
func TestAgainstInfluxDB(t *testing.T) {
	srv, active := startScenario(t)

	// The scenario is right: the agent's engine fires exactly the
	// expected alerts.
	if onlyEngine, onlyExpected := diffKeys(active, expectedAlerts); len(onlyEngine)+len(onlyExpected) > 0 {
		t.Fatalf("the engine disagrees with the scenario's expectations:\nonly the engine: %s\nonly expected: %s",
			strings.Join(onlyEngine, "\n  "), strings.Join(onlyExpected, "\n  "))
	}

	rules, err := scenarioRules()
	if err != nil {
		t.Fatal(err)
	}
	// One runner for the four subtests: at most a few queries in flight
	// against the server whichever subtest makes them.
	runner := newQueryRunner(srv)
	for _, lang := range []Language{InfluxQL, Flux} {
		t.Run("dashboards/"+string(lang), func(t *testing.T) {
			t.Parallel()
			// InfluxQL names database and retention policy here, to run
			// that form too.
			b, err := Export(rules, Options{Language: lang, Bucket: srv.Bucket(), QualifyInfluxQL: true})
			if err != nil {
				t.Fatal(err)
			}
			checkDashboardQueries(t, runner, lang, b)
			if lang == Flux {
				checkFleetCohort(t, runner, b)
			}
		})
		t.Run("rules/"+string(lang), func(t *testing.T) {
			t.Parallel()
			grp := exportedRules(t, rules, Options{Language: lang, Bucket: srv.Bucket()})
			g := newGrafanaSim(runner, lang)
			interval, err := time.ParseDuration(grp.Interval)
			if err != nil {
				t.Fatal(err)
			}
			var ars []*alertRule
			for _, r := range grp.Rules {
				ars = append(ars, newAlertRule(t, r))
			}
			var evalTimes []time.Time
			for now := scEnd.Add(-80 * time.Minute); !now.After(scEnd); now = now.Add(interval) {
				evalTimes = append(evalTimes, now)
			}
			// Every query of every evaluation, run ahead and side by side;
			// the evaluations below read the answers in Grafana's order.
			var keys []queryKey
			for _, now := range evalTimes {
				for _, ar := range ars {
					for _, q := range ar.rule.Data {
						if iq, from, to, ok := dataQuery(q, now); ok {
							keys = append(keys, g.text(iq, from, to, nil))
						}
					}
				}
			}
			runner.prefetch(keys)
			for _, now := range evalTimes {
				for _, ar := range ars {
					if err := g.eval(ar, now); err != nil {
						t.Fatalf("rule %s at %s: %v", ar.rule.UID, now.Sub(scEnd), err)
					}
				}
			}
			var got []alertKey
			for _, ar := range ars {
				for _, l := range ar.firing() {
					sev := ar.rule.Labels["severity"]
					if sev == "" {
						sev = l["severity"]
					}
					got = append(got, alertKey{ar.rule.Labels["rule"], l["host"], l["port"], l["lane"], sev})
				}
			}
			onlyGrafana, onlyExpected := diffKeys(got, expectedAlerts)
			if len(onlyGrafana)+len(onlyExpected) > 0 {
				t.Errorf("%s: Grafana would alert differently:\nonly Grafana: %s\nonly expected: %s", lang,
					strings.Join(onlyGrafana, "\n  "), strings.Join(onlyExpected, "\n  "))
			}
			t.Logf("%s: %d rules, %d evaluations each, %d queries (%d distinct, each run against InfluxDB), %d series returned; %d alerts expected, %d alerting",
				lang, len(ars), len(evalTimes), g.queries, len(g.texts), g.series, len(expectedAlerts), len(got))
		})
	}
}

// exportedRules exports rules and reads the rule file back: the group
// Grafana would load, to evaluate what the file says.
func exportedRules(t *testing.T, rules *alarm.Rules, o Options) RuleGroup {
	t.Helper()
	b, err := Export(rules, o)
	if err != nil {
		t.Fatal(err)
	}
	y, err := b.RulesYAML()
	if err != nil {
		t.Fatal(err)
	}
	rf, err := ParseRuleFile(y)
	if err != nil {
		t.Fatal(err)
	}
	return rf.Groups[0]
}

// dashboardVars are the values the test gives the dashboard variables,
// formatted as Grafana formats them for each language.
var dashboardVars = map[Language]map[string]string{
	InfluxQL: {"host": "leaf01", "port": `Ethernet1\/5`, "lane": "(1|3)"},
	Flux:     {"host": `["leaf01"]`, "port": `["Ethernet1/5"]`, "lane": `["1","3"]`},
}

// dashboardQuery is one variable query or panel target of a dashboard,
// with the time range the test runs it over.
type dashboardQuery struct {
	what     string // dashboard uid and the variable or panel
	q        InfluxQuery
	from, to time.Time
}

// dashboardQueries lists every variable query and every panel target of
// b, over the last 6 hours of the scenario (or the panel's own time
// range).
func dashboardQueries(t *testing.T, b *Bundle) []dashboardQuery {
	var out []dashboardQuery
	for _, d := range b.Dashboards {
		for _, v := range d.Templating.List {
			if v.Query == nil || v.Query.String == nil {
				continue
			}
			out = append(out, dashboardQuery{fmt.Sprintf("%s: variable %s", *d.Uid, v.Name),
				InfluxQuery{Query: *v.Query.String}, scEnd.Add(-6 * time.Hour), scEnd})
		}
		for _, p := range d.Panels {
			if p.Panel == nil {
				continue
			}
			from := scEnd.Add(-6 * time.Hour)
			if p.Panel.TimeFrom != nil {
				dur, err := time.ParseDuration(strings.Replace(*p.Panel.TimeFrom, "d", "h", 1))
				if err != nil {
					t.Fatal(err)
				}
				if strings.HasSuffix(*p.Panel.TimeFrom, "d") {
					dur *= 24
				}
				from = scEnd.Add(-dur)
			}
			for _, tg := range p.Panel.Targets {
				out = append(out, dashboardQuery{fmt.Sprintf("%s: panel %q", *d.Uid, *p.Panel.Title), tg.(InfluxQuery), from, scEnd})
			}
		}
	}
	return out
}

// checkDashboardQueries runs every variable query and every panel target:
// each must run and return data.
func checkDashboardQueries(t *testing.T, runner *queryRunner, lang Language, b *Bundle) {
	g := newGrafanaSim(runner, lang)
	vars := dashboardVars[lang]
	qs := dashboardQueries(t, b)
	keys := make([]queryKey, len(qs))
	for i, dq := range qs {
		keys[i] = g.text(dq.q, dq.from, dq.to, vars)
	}
	runner.prefetch(keys)
	for _, dq := range qs {
		frames, err := g.runAny(dq.q, dq.from, dq.to, vars)
		if err != nil || frames == 0 {
			t.Errorf("%s: %d results, %v\n%s", dq.what, frames, err, dq.q.Query)
		}
	}
	t.Logf("%s: %d dashboard queries run", lang, len(qs))
}

// runAny runs a query that may return tables (SHOW, table format) and
// counts its series or records.
func (g *grafanaSim) runAny(q InfluxQuery, from, to time.Time, vars map[string]string) (int, error) {
	k := g.text(q, from, to, vars)
	if g.lang == Flux {
		recs, err := g.runner.flux(k.text)
		return len(recs), err
	}
	series, err := g.runner.influxQL(k.text)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, s := range series {
		n += len(s.Values)
	}
	return n, nil
}

// checkFleetCohort runs the fleet dashboard's cohort panel: every lane of
// both hosts (one part number, one firmware) is scored in one cohort per
// quantity, and the lanes the scenario makes stray (Rx power and Tx bias
// of leaf01 Ethernet1/12) score a larger |z| than any other lane.
func checkFleetCohort(t *testing.T, runner *queryRunner, b *Bundle) {
	var q *InfluxQuery
	for _, d := range b.Dashboards {
		for _, p := range d.Panels {
			if *d.Uid == FleetUID && p.Panel != nil && p.Panel.Title != nil && *p.Panel.Title == "Cohort outliers across the fleet" {
				iq := p.Panel.Targets[0].(InfluxQuery)
				q = &iq
			}
		}
	}
	if q == nil {
		t.Fatal("the fleet dashboard has no cohort outliers panel")
	}
	g := newGrafanaSim(runner, Flux)
	recs, err := runner.flux(g.text(*q, scEnd.Add(-6*time.Hour), scEnd, dashboardVars[Flux]).text)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		quantity, port, lane string
		sign                 float64
	}{
		{"rx_power_mw", "Ethernet1/12", "2", -1},
		{"tx_bias_ma", "Ethernet1/12", "7", 1},
	}
	for _, tc := range tests {
		hosts := map[string]bool{}
		var outlier float64
		var others []float64
		for _, r := range recs {
			if r["quantity"] != tc.quantity {
				continue
			}
			hosts[fmt.Sprint(r["host"])] = true
			if r["part_number"] != "EMU-OSFP800G-DR8" || r["firmware_version"] != "3.2" {
				t.Errorf("%s: cohort %v/%v, want EMU-OSFP800G-DR8/3.2", tc.quantity, r["part_number"], r["firmware_version"])
			}
			z := jsonFloat(r["z"])
			if r["host"] == "leaf01" && r["port"] == tc.port && r["lane"] == tc.lane {
				outlier = z
				continue
			}
			others = append(others, math.Abs(z))
		}
		if !hosts["leaf01"] || !hosts["leaf02"] || len(others) < 16 {
			t.Fatalf("%s: scored lanes of hosts %v (%d others), want every lane of leaf01 and leaf02", tc.quantity, hosts, len(others))
		}
		if outlier*tc.sign < 3.5 {
			t.Errorf("%s: leaf01 %s lane %s z = %g, want beyond %g·3.5", tc.quantity, tc.port, tc.lane, outlier, tc.sign)
		}
		for _, o := range others {
			if o >= math.Abs(outlier) {
				t.Errorf("%s: another lane has |z| %g >= the outlier's %g", tc.quantity, o, outlier)
				break
			}
		}
		t.Logf("%s: leaf01 %s lane %s z = %.2f among %d lanes of %d hosts", tc.quantity, tc.port, tc.lane, outlier, len(others)+1, len(hosts))
	}
}
