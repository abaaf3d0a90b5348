package statread

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ddm-agent/ddm/schema"
)

// Stat is the window statistic that stands for a field in reduced data.
type Stat string

// The statistics a reader may ask for (their suffixes in the schema).
const (
	Min  Stat = schema.StatMin
	Mean Stat = schema.StatMean
	Max  Stat = schema.StatMax
)

// Form is one place a reader finds a field's value.
type Form struct {
	// Field is the field as stored.
	Field string
	// Window: Field is a window statistic, stamped with its window's
	// start.
	Window bool
	// FromMW: Field is the mW statistic a dBm field is derived from
	// (schema.Reduced.Derived), and the value read is 10·log10 of it,
	// only where it is above 0.
	FromMW bool
}

// Forms lists where field of measurement is found when read as stat: the
// field itself (full rate) and, when the reduced export sends it as
// window statistics (schema.ReducedStatistics), its statistic, or that of
// the mW field a dBm field is derived from.
func Forms(measurement, field string, stat Stat) []Form {
	forms := []Form{{Field: field}}
	for _, r := range schema.ReducedStatistics() {
		if r.Measurement != measurement {
			continue
		}
		if slices.Contains(r.Statistics, field) {
			return append(forms, Form{Field: field + string(stat), Window: true})
		}
		if mw, ok := r.Derived[field]; ok {
			return append(forms, Form{Field: mw + string(stat), Window: true, FromMW: true})
		}
	}
	return forms
}

// Column is one value an InfluxQL reader selects.
type Column struct {
	Field string // as written at full rate
	Stat  Stat   // what stands for it in a window
	As    string // its name in the answer
}

// InfluxQLSources writes the sources of an InfluxQL SELECT (what follows
// FROM) that reads the columns of measurement in every form they are
// stored in: a subquery per column and form, each selecting the value as
// the column's name from from (the measurement quoted, and qualified as
// the caller wants) where cond holds (tag and time conditions, without
// WHERE). The outer query aggregates the columns by their names, groups by
// the tags it wants (the subqueries keep every tag) and repeats the time
// condition for its GROUP BY time().
func InfluxQLSources(measurement, from, cond string, cols ...Column) string {
	var subs []string
	for _, c := range cols {
		for _, f := range Forms(measurement, c.Field, c.Stat) {
			sel, where := Ident(f.Field), cond
			if f.FromMW {
				// log10(0) is -Inf, which InfluxDB cannot encode.
				sel = "10 * log10(" + Ident(f.Field) + ")"
				where = Ident(f.Field) + " > 0 AND " + cond
			}
			subs = append(subs, fmt.Sprintf("(SELECT %s AS %s FROM %s WHERE %s)", sel, Ident(c.As), from, where))
		}
	}
	return strings.Join(subs, ", ")
}

// Ident quotes an InfluxQL identifier.
func Ident(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// InfluxQLAggregates writes the sources of an InfluxQL SELECT that takes
// an aggregate of one column in every form it is stored in, per form: a
// subquery per form, each selecting agg of the form's field as the
// column's name from from where cond holds, followed by tail (its GROUP BY
// and fill), a dBm form computed from the aggregate of its mW field. The
// outer query takes the aggregate across the forms of a series (one form
// but where an agent changed mode): InfluxDB aggregates each form's rows
// as it would the field's alone, instead of handing every row to the
// outer query.
func InfluxQLAggregates(measurement, from, cond, agg, tail string, c Column) string {
	var subs []string
	for _, f := range Forms(measurement, c.Field, c.Stat) {
		if f.FromMW {
			inner := fmt.Sprintf("SELECT %s(%s) AS %s FROM %s WHERE %s > 0 AND %s %s", agg, Ident(f.Field), Ident(c.As), from, Ident(f.Field), cond, tail)
			subs = append(subs, fmt.Sprintf("(SELECT 10 * log10(%s) AS %s FROM (%s))", Ident(c.As), Ident(c.As), inner))
			continue
		}
		subs = append(subs, fmt.Sprintf("(SELECT %s(%s) AS %s FROM %s WHERE %s %s)", agg, Ident(f.Field), Ident(c.As), from, cond, tail))
	}
	return strings.Join(subs, ", ")
}
