package grafana

import (
	"fmt"
	"strings"
	"time"

	"github.com/ddm-agent/ddm/schema"
)

// readLookback is how recently a module must have been read to count as
// present. At full rate every read writes an xcvr_module point; with
// --reduce, the present flag is written only when it changes, and a
// window point (at most 60 s long) is written when the window ends,
// stamped with its start: the newest is at most two windows old.
const readLookback = 3 * time.Minute

// modulesReadDesc says what the panels that count modules count.
const modulesReadDesc = "Cages whose module was read in the last 3 minutes: an xcvr_module point of a present module at full rate, or a window point of the reduced export (ddm run --reduce)"

// moduleReadFields are the fields that say a module was read: every
// xcvr_module point of a present module at full rate has
// module_state_code, every window point of the reduced export has
// window_samples; an empty cage's points have neither.
var moduleReadFields = []string{schema.ModuleStateCode, schema.WindowSamples}

var hostPort = []string{schema.TagHost, schema.TagPort}

// readsPerPort counts the module reads per host and port over the query's
// range, restricted by the rule's port selectors (matches) and the
// dashboard variables (vars).
func (o Options) readsPerPort(matches []*tagMatch, vars []string) string {
	if o.Language == Flux {
		var b strings.Builder
		b.WriteString(o.readsFrom(matches, vars))
		b.WriteString("  |> group(columns: [" + fluxString(schema.TagHost) + ", " + fluxString(schema.TagPort) + "])\n  |> count()\n")
		b.WriteString("  |> map(fn: (r) => ({r with _value: float(v: r._value)}))\n  |> duplicate(column: \"_stop\", as: \"_time\")\n")
		b.WriteString(fluxKeep(hostPort))
		return b.String()
	}
	cond := source{measurement: schema.XcvrModule, matches: matches}.iqlWhereVars(vars)
	subs := make([]string, len(moduleReadFields))
	for i, f := range moduleReadFields {
		subs[i] = fmt.Sprintf("(SELECT %s AS \"read\" FROM %s WHERE %s)", iqlIdent(f), o.iqlFrom(schema.XcvrModule), cond)
	}
	return fmt.Sprintf("SELECT count(\"read\") AS \"reads\" FROM %s WHERE $timeFilter GROUP BY %s", strings.Join(subs, ", "), iqlGroupBy(hostPort))
}

// readsFrom is the Flux stream of the module reads (moduleReadFields)
// over the query's range, restricted by matches and vars.
func (o Options) readsFrom(matches []*tagMatch, vars []string) string {
	f := make([]string, len(moduleReadFields))
	for i, x := range moduleReadFields {
		f[i] = "r._field == " + fluxString(x)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "from(bucket: %s)\n  |> range(start: v.timeRangeStart, stop: v.timeRangeStop)\n", fluxString(o.Bucket))
	fmt.Fprintf(&b, "  |> filter(fn: (r) => r._measurement == %s and (%s))\n", fluxString(schema.XcvrModule), strings.Join(f, " or "))
	for _, m := range matches {
		fmt.Fprintf(&b, "  |> filter(fn: (r) => %s)\n", m.flux())
	}
	b.WriteString(fluxVars(vars))
	return b.String()
}

// modulesRead counts, per groupBy, the ports whose module was read over
// the query's range.
func (o Options) modulesRead(vars, groupBy []string) string {
	if o.Language == Flux {
		g := make([]string, len(groupBy))
		for i, t := range groupBy {
			g[i] = fluxString(t)
		}
		return o.readsPerPort(nil, vars) + "\n  |> group(columns: [" + strings.Join(g, ", ") + "])\n  |> count()\n" + fluxKeepNoTime(groupBy)
	}
	q := fmt.Sprintf("SELECT count(\"reads\") FROM (%s)", o.readsPerPort(nil, vars))
	if len(groupBy) > 0 {
		q += " GROUP BY " + iqlGroupBy(groupBy)
	}
	return q
}
