package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"sort"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/ddm-agent/ddm/forecast"
	"github.com/ddm-agent/ddm/internal/plural"
)

// cmdForecast reads ddm's line protocol (ddm run --output lp, or an
// export of ddm's measurements from InfluxDB) and prints, per lane and
// quantity, the trend and when it reaches the module's thresholds (the
// KP4 limit for pre-FEC BER), and the robust z-score among the modules of
// the same part number and firmware. docs/FORECAST.md has the method.
func cmdForecast(_ context.Context, e env, args []string) int {
	fs := newFlags(e, "forecast")
	asJSON := fs.Bool("json", false, "print JSON, one object per forecast, one per line")
	atFlag := fs.String("at", "", "evaluate as of this time inside the files (RFC 3339, 2026-01-02T15:04, 2026-01-02, or Unix seconds;\ndefault: the last sample)")
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "usage: ddm forecast [--json] [--at TIME] FILE...\n\n"+
			"Forecasts from ddm's line protocol (ddm run --output lp, or an InfluxDB export of xcvr_lane, xcvr_module,\n"+
			"xcvr_vdm, xcvr_threshold and xcvr_info; any order, any spacing, gaps allowed; timestamps in ns): per lane\n"+
			"and quantity the trend per day (pre-FEC BER in decades per day), the days until it reaches the module's\n"+
			"thresholds (KP4 limit 2.4e-4 for pre-FEC BER) with an interval, and the robust z-score among the\n"+
			"modules of the same part number and firmware. A trend needs 2 days of samples. The table lists the\n"+
			"crossings, soonest first, and the cohort outliers (|z| >= 3); --json lists every series. FILE '-' reads\n"+
			"standard input.\n\n")
		fs.PrintDefaults()
	}
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return exitUsage
	}
	var at time.Time
	if *atFlag != "" {
		var err error
		if at, err = parseAt(*atFlag); err != nil {
			errorf(e, "forecast: --at: %v", err)
			return exitUsage
		}
	}
	r := newLPReader(at)
	for _, name := range fs.Args() {
		if err := readLPFile(r, name, e); err != nil {
			errorf(e, "forecast: %v", err)
			return exitUsage
		}
	}
	if len(r.series) == 0 {
		if at.IsZero() {
			errorf(e, "forecast: no samples of xcvr_lane, xcvr_module or xcvr_vdm in %v", fs.Args())
		} else {
			errorf(e, "forecast: no samples at or before --at %s in %v", at.Format(time.RFC3339), fs.Args())
		}
		return exitUsage
	}
	if at.IsZero() {
		at = r.last
	} else if at.After(r.last) {
		errorf(e, "forecast: --at %s is after the last sample (%s)", at.Format(time.RFC3339), r.last.Format(time.RFC3339))
		return exitUsage
	}
	fc := forecastAll(r, at)
	if *asJSON {
		return printForecastJSON(e, fc, len(r.hosts) > 1)
	}
	printForecastTable(e, fc, r, at)
	return exitOK
}

// forecastAll evaluates every series read, as of at.
func forecastAll(r *lpReader, at time.Time) []forecast.Forecast {
	return forecast.EvaluateAll(r.build(at), at, forecast.Options{})
}

func readLPFile(r *lpReader, name string, e env) error {
	if name == "-" {
		return r.read("<stdin>", e.stdin)
	}
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	return r.read(name, f)
}

// parseAt reads --at.
func parseAt(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 {
		return time.Unix(n, 0).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("%q is not a time (RFC 3339 such as 2026-01-02T15:04:05Z, 2026-01-02, or Unix seconds)", s)
}

// forecastJSON is one line of --json: the fields docs/FORECAST.md names.
// Absent: lane for a module-level series; threshold_name and threshold
// for a series without thresholds; trend_per_day for a history too short
// for a trend; days_* when no crossing is forecast (days_high also when
// the slow end of the interval does not reach the threshold within a
// year); cohort_z without a cohort; host unless the files hold several.
type forecastJSON struct {
	Host          string   `json:"host,omitempty"`
	Port          string   `json:"port"`
	Lane          int      `json:"lane,omitempty"`
	Quantity      string   `json:"quantity"`
	ThresholdName string   `json:"threshold_name,omitempty"`
	Threshold     *float64 `json:"threshold,omitempty"`
	TrendPerDay   *float64 `json:"trend_per_day,omitempty"`
	Days          *float64 `json:"days_to_threshold,omitempty"`
	DaysLow       *float64 `json:"days_low,omitempty"`
	DaysHigh      *float64 `json:"days_high,omitempty"`
	CohortZ       *float64 `json:"cohort_z,omitempty"`
}

// finite returns a pointer to v rounded to 4 significant digits (the
// fit is not better), or nil for NaN and ±Inf.
func finite(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 4, 64), 64)
	return &r
}

func toJSON(f forecast.Forecast, withHost bool) forecastJSON {
	j := forecastJSON{Port: f.Port, Lane: f.Lane, Quantity: f.Quantity}
	if withHost {
		j.Host = f.Host
	}
	if f.Limit != nil {
		j.ThresholdName = f.Limit.Name
		j.Threshold = finite(f.Limit.Value)
	}
	if f.Trend.OK {
		j.TrendPerDay = finite(f.Trend.UnitPerDay)
	}
	if c := f.Crossing; c != nil {
		j.Days, j.DaysLow, j.DaysHigh = finite(c.Days), finite(c.DaysLow), finite(c.DaysHigh)
	}
	if f.HasCohortZ {
		j.CohortZ = finite(f.CohortZ)
	}
	return j
}

func printForecastJSON(e env, fc []forecast.Forecast, withHost bool) int {
	enc := json.NewEncoder(e.stdout)
	for _, f := range fc {
		if err := enc.Encode(toJSON(f, withHost)); err != nil {
			errorf(e, "forecast: %v", err)
			return exitError
		}
	}
	return exitOK
}

// outlierZ: a cohort z-score this far from 0 is listed in the table.
const outlierZ = 3

func printForecastTable(e env, fc []forecast.Forecast, r *lpReader, at time.Time) {
	var rows []forecast.Forecast
	fitted := false
	for _, f := range fc {
		fitted = fitted || f.Trend.OK
		if f.Crossing != nil || (f.HasCohortZ && math.Abs(f.CohortZ) >= outlierZ) {
			rows = append(rows, f)
		}
	}
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i].Crossing, rows[j].Crossing
		switch {
		case a != nil && b != nil:
			return a.Days < b.Days
		case a != nil || b != nil:
			return a != nil
		}
		return math.Abs(rows[i].CohortZ) > math.Abs(rows[j].CohortZ)
	})
	fmt.Fprintf(e.stdout, "forecast at %s from %s of samples (%s)\n\n", at.Format(time.RFC3339), r.last.Sub(r.first).Round(time.Second), plural.Count(len(r.series), "series", "series"))
	if len(rows) == 0 {
		fmt.Fprintln(e.stdout, "no crossing forecast and no cohort outlier")
	} else {
		tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "PORT\tLANE\tQUANTITY\tTHRESHOLD\tDAYS\tINTERVAL\tTREND/DAY\tCOHORT Z")
		for _, f := range rows {
			j := toJSON(f, false)
			lane := "-"
			if f.Lane > 0 {
				lane = strconv.Itoa(f.Lane)
			}
			port := f.Port
			if len(r.hosts) > 1 {
				port = f.Host + ":" + f.Port
			}
			thr := "-"
			if j.Threshold != nil {
				thr = fmt.Sprintf("%s %g", j.ThresholdName, *j.Threshold)
			}
			days, interval := "-", "-"
			if j.Days != nil {
				days = fmt.Sprintf("%.1f", *j.Days)
				interval = fmt.Sprintf("%.1f–%s", *j.DaysLow, orInf(j.DaysHigh))
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", port, lane, f.Quantity, thr, days, interval, optG(j.TrendPerDay), optF(j.CohortZ))
		}
		tw.Flush()
	}
	if !fitted {
		fmt.Fprintf(e.stdout, "\nno trend: the samples span %s, a trend needs 2 days\n", r.last.Sub(r.first).Round(time.Second))
	}
}

func orInf(v *float64) string {
	if v == nil {
		return "∞"
	}
	return fmt.Sprintf("%.1f", *v)
}

func optG(v *float64) string {
	if v == nil {
		return "-"
	}
	return fmt.Sprintf("%+.3g", *v)
}

func optF(v *float64) string {
	if v == nil {
		return "-"
	}
	return fmt.Sprintf("%+.1f", *v)
}
