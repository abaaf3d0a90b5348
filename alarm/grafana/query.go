package grafana

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ddm-agent/ddm/alarm"
	"github.com/ddm-agent/ddm/internal/statread"
	"github.com/ddm-agent/ddm/schema"
)

// Text of InfluxQL and Flux queries. Everything a query names (tags,
// values, regexps) goes through the quoting functions below; the rule
// file is operator input.

// iqlIdent quotes an InfluxQL identifier.
func iqlIdent(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// iqlString quotes an InfluxQL string literal.
func iqlString(s string) string {
	return `'` + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + `'`
}

// regexLiteral writes /re/ for InfluxQL and Flux: a / inside is escaped
// (both lexers turn \/ back into /, which RE2 also reads as /).
func regexLiteral(re string) string {
	return "/" + strings.ReplaceAll(re, "/", `\/`) + "/"
}

// fluxString quotes a Flux string literal (${ would start an
// interpolation).
func fluxString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "${", `\${`, "\n", `\n`, "\r", `\r`, "\t", `\t`).Replace(s) + `"`
}

// fluxNum writes a float literal Flux reads as a float (1.0, 1e-05).
func fluxNum(v float64) string {
	s := strconv.FormatFloat(v, 'g', -1, 64)
	if !strings.ContainsAny(s, ".eEn") { // n: NaN, Inf (never written)
		s += ".0"
	}
	return s
}

// tagMatch is a restriction of one tag: exact values or an anchored
// regexp, any of which may match.
type tagMatch struct {
	tag    string
	values []string
	regex  string // anchored; set when a glob has wildcards
}

// globMatch turns a selector's globs into a tagMatch (nil: no
// restriction).
func globMatch(tag string, globs []string) (*tagMatch, error) {
	if len(globs) == 0 {
		return nil, nil
	}
	m := &tagMatch{tag: tag}
	var res []string
	wild := false
	for _, g := range globs {
		re, literal, err := alarm.GlobRegexp(g)
		if err != nil {
			return nil, err
		}
		res = append(res, re)
		if literal {
			m.values = append(m.values, unescapeGlob(g))
		} else {
			wild = true
		}
	}
	if wild {
		m.values = nil
		m.regex = "^(?:" + strings.Join(res, "|") + ")$"
	}
	return m, nil
}

// laneMatch restricts the lane tag to the selector's lanes.
func laneMatch(lanes []int) *tagMatch {
	if len(lanes) == 0 {
		return nil
	}
	m := &tagMatch{tag: schema.TagLane}
	for _, l := range lanes {
		m.values = append(m.values, strconv.Itoa(l))
	}
	return m
}

// unescapeGlob drops the escaping backslashes of a literal glob.
func unescapeGlob(g string) string {
	var b strings.Builder
	for i := 0; i < len(g); i++ {
		if g[i] == '\\' && i+1 < len(g) {
			i++
		}
		b.WriteByte(g[i])
	}
	return b.String()
}

func (m *tagMatch) influxQL() string {
	if m.regex != "" {
		return iqlIdent(m.tag) + " =~ " + regexLiteral(m.regex)
	}
	parts := make([]string, len(m.values))
	for i, v := range m.values {
		parts[i] = iqlIdent(m.tag) + " = " + iqlString(v)
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return "(" + strings.Join(parts, " OR ") + ")"
}

func (m *tagMatch) flux() string {
	col := "r[" + fluxString(m.tag) + "]"
	if m.regex != "" {
		return col + " =~ " + regexLiteral(m.regex)
	}
	parts := make([]string, len(m.values))
	for i, v := range m.values {
		parts[i] = col + " == " + fluxString(v)
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return "(" + strings.Join(parts, " or ") + ")"
}

// source is where a query reads: a measurement, a field, fixed tag
// values and the rule's selectors.
type source struct {
	measurement string
	field       string
	// stat, when set, is the window statistic that stands for field in
	// data written with --reduce: the query then reads the field in every
	// form it is stored in (statread.Forms: at full rate and as that
	// statistic), so one query serves agents in either mode.
	stat    statread.Stat
	eq      [][2]string // tag = value
	matches []*tagMatch
}

// read is s reading its field at full rate and, with --reduce, as stat.
func (s source) read(stat statread.Stat) source {
	s.stat = stat
	return s
}

// forms are the fields s reads.
func (s source) forms() []statread.Form {
	if s.stat == "" {
		return []statread.Form{{Field: s.field}}
	}
	return statread.Forms(s.measurement, s.field, s.stat)
}

// iqlSource is the FROM and WHERE of an InfluxQL query over s whose
// conditions are cond (ending in $timeFilter): the measurement, or one
// subquery per form of the field, each selecting it under the field's own
// name with cond, so the outer query aggregates the field by its name.
func (o Options) iqlSource(s source, cond string) (from, where string) {
	if len(s.forms()) < 2 {
		return o.iqlFrom(s.measurement), cond
	}
	return statread.InfluxQLSources(s.measurement, o.iqlFrom(s.measurement), cond,
		statread.Column{Field: s.field, Stat: s.stat, As: s.field}), "$timeFilter"
}

func (s source) with(tag, value string) source {
	s.eq = append(append([][2]string(nil), s.eq...), [2]string{tag, value})
	return s
}

// iqlFrom is the FROM clause: the measurement, qualified with the
// database and retention policy when asked.
func (o Options) iqlFrom(measurement string) string {
	if !o.QualifyInfluxQL {
		return iqlIdent(measurement)
	}
	db, rp := o.bucketParts()
	if rp == "" {
		return iqlIdent(db) + ".." + iqlIdent(measurement)
	}
	return iqlIdent(db) + "." + iqlIdent(rp) + "." + iqlIdent(measurement)
}

// iqlWhere is the WHERE clause of s with $timeFilter.
func (s source) iqlWhere() string {
	var c []string
	for _, kv := range s.eq {
		c = append(c, iqlIdent(kv[0])+" = "+iqlString(kv[1]))
	}
	for _, m := range s.matches {
		c = append(c, m.influxQL())
	}
	c = append(c, "$timeFilter")
	return strings.Join(c, " AND ")
}

func iqlGroupBy(tags []string) string {
	q := make([]string, len(tags))
	for i, t := range tags {
		q[i] = iqlIdent(t)
	}
	return strings.Join(q, ", ")
}

// iqlSelect writes SELECT <sel> FROM s WHERE ... GROUP BY [time(g),] tags [fill].
func (o Options) iqlSelect(sel string, s source, groupTime string, tags []string, fill string) string {
	var b strings.Builder
	from, where := o.iqlSource(s, s.iqlWhere())
	fmt.Fprintf(&b, "SELECT %s FROM %s WHERE %s", sel, from, where)
	var g []string
	if groupTime != "" {
		g = append(g, "time("+groupTime+")")
	}
	if len(tags) > 0 {
		g = append(g, iqlGroupBy(tags))
	}
	if len(g) > 0 {
		b.WriteString(" GROUP BY " + strings.Join(g, ", "))
	}
	if fill != "" {
		b.WriteString(" fill(" + fill + ")")
	}
	return b.String()
}

// iqlPerForm writes SELECT outer(as) over the aggregate agg of s's field
// taken per form (statread.InfluxQLAggregates: AS as, GROUP BY
// [time(groupTime),] tags [fill]), grouped by tags: the aggregate of the
// forms' aggregates, so InfluxDB aggregates each form as it would the
// field alone instead of handing every row to the outer query.
func (o Options) iqlPerForm(agg, outer string, s source, groupTime string, tags []string, fill, as string) string {
	var g []string
	if groupTime != "" {
		g = append(g, "time("+groupTime+")")
	}
	g = append(g, iqlGroupBy(tags))
	tail := "GROUP BY " + strings.Join(g, ", ")
	if fill != "" {
		tail += " fill(" + fill + ")"
	}
	from := statread.InfluxQLAggregates(s.measurement, o.iqlFrom(s.measurement), s.iqlWhere(), agg, tail,
		statread.Column{Field: s.field, Stat: s.stat, As: as})
	return fmt.Sprintf("SELECT %s(%s) FROM %s GROUP BY %s", outer, iqlIdent(as), from, iqlGroupBy(tags))
}

// fluxFrom writes from |> range |> filter for s, each filter on its own
// line, then the dashboard variables vars. When s reads several forms of
// its field, their values are merged into one table per series, in time
// order (a dBm value computed from its mW statistic where that is above
// 0).
func (o Options) fluxFrom(s source, vars ...string) string {
	b := o.fluxForms(s, vars)
	if len(s.forms()) > 1 {
		fluxMergeForms(b)
	}
	return b.String()
}

// fluxLast is fluxFrom reduced to the last value of each series: the last
// of each form first, so the merge sorts a row per form, not the range.
func (o Options) fluxLast(s source) string {
	b := o.fluxForms(s, nil)
	b.WriteString("  |> last()\n")
	if len(s.forms()) > 1 {
		fluxMergeForms(b)
		b.WriteString("  |> last()\n")
	}
	return b.String()
}

// fluxForms is from |> range |> filter for each form of s's field and the
// dashboard variables vars, each form in its own tables. A dBm form
// computed from mW (only where that is above 0: a 0 mW read has no dBm)
// is a stream of its own, unioned with the others, so the computation
// runs on the reduced rows only.
func (o Options) fluxForms(s source, vars []string) *strings.Builder {
	var b strings.Builder
	forms := s.forms()
	var plain []string
	var mw []statread.Form
	for _, f := range forms {
		if f.FromMW {
			mw = append(mw, f)
		} else {
			plain = append(plain, f.Field)
		}
	}
	if len(mw) == 0 {
		b.WriteString(o.fluxStream(s, vars, plain...))
		return &b
	}
	b.WriteString("import \"math\"\n")
	streams := []string{o.fluxStream(s, vars, plain...)}
	for _, f := range mw {
		streams = append(streams, o.fluxStream(s, vars, f.Field)+
			"  |> filter(fn: (r) => r._value > 0.0)\n"+
			"  |> map(fn: (r) => ({r with _value: 10.0 * math.log10(x: r._value)}))\n")
	}
	b.WriteString("union(tables: [\n" + strings.Join(streams, ",\n") + "])\n")
	return &b
}

// fluxStream is from |> range |> filter of fields of s's measurement with
// its tag restrictions and the dashboard variables vars.
func (o Options) fluxStream(s source, vars []string, fields ...string) string {
	var b strings.Builder
	f := make([]string, len(fields))
	for i, x := range fields {
		f[i] = "r._field == " + fluxString(x)
	}
	fmt.Fprintf(&b, "from(bucket: %s)\n", fluxString(o.Bucket))
	b.WriteString("  |> range(start: v.timeRangeStart, stop: v.timeRangeStop)\n")
	if len(f) > 1 {
		fmt.Fprintf(&b, "  |> filter(fn: (r) => r._measurement == %s and (%s))\n", fluxString(s.measurement), strings.Join(f, " or "))
	} else {
		fmt.Fprintf(&b, "  |> filter(fn: (r) => r._measurement == %s and %s)\n", fluxString(s.measurement), f[0])
	}
	if len(s.eq) > 0 {
		var c []string
		for _, kv := range s.eq {
			if kv[1] == "" {
				// An absent tag: InfluxQL's = '' matches it, Flux has no
				// column to compare.
				c = append(c, "not exists r["+fluxString(kv[0])+"]")
				continue
			}
			c = append(c, "r["+fluxString(kv[0])+"] == "+fluxString(kv[1]))
		}
		fmt.Fprintf(&b, "  |> filter(fn: (r) => %s)\n", strings.Join(c, " and "))
	}
	for _, m := range s.matches {
		fmt.Fprintf(&b, "  |> filter(fn: (r) => %s)\n", m.flux())
	}
	b.WriteString(fluxVars(vars))
	return b.String()
}

// fluxPerForm is fluxFrom with each form of the field still in its own
// tables (dBm computed): for an aggregate taken per table, then across
// the forms of a series by grouping on its tags, which is far cheaper
// than merging and sorting the raw rows. Exact but in the window where an
// agent changed mode, which has both forms.
func (o Options) fluxPerForm(s source) string {
	return o.fluxForms(s, nil).String()
}

// fluxMergeForms merges the forms of a field into one table per series,
// in time order (last() takes a table's last row).
func fluxMergeForms(b *strings.Builder) {
	b.WriteString("  |> group(columns: [\"_field\", \"_time\", \"_value\"], mode: \"except\")\n  |> sort(columns: [\"_time\"])\n")
}

// fluxKeep keeps the time, the value and the label columns: everything
// else would reach Grafana as extra fields or labels.
func fluxKeep(tags []string) string {
	cols := []string{fluxString("_time"), fluxString("_value")}
	for _, t := range tags {
		cols = append(cols, fluxString(t))
	}
	return "  |> keep(columns: [" + strings.Join(cols, ", ") + "])"
}
