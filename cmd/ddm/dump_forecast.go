package main

import (
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/ddm-agent/ddm/config"
	"github.com/ddm-agent/ddm/internal/statedir"
	"github.com/ddm-agent/ddm/outlook"
)

// agentStateDir is the state folder `ddm run` uses with the same
// configuration or emulated switch (or stateDir when given); "" when none
// can be named.
func agentStateDir(pf *portFlags, stateDir string) string {
	if stateDir != "" {
		return stateDir
	}
	c := config.Default("command line")
	if pf.config != "" {
		if lc, err := config.Load(pf.config); err == nil {
			c = lc
		}
	}
	if pf.emulate != "" {
		c.Emulate = pf.emulate
	}
	if c.Influx.SpoolDir != "" {
		return filepath.Dir(c.Influx.SpoolDir)
	}
	if d, err := defaultStateDir(c, statedir.Process()); err == nil {
		return d
	}
	return ""
}

// dumpHistory is the agent's forecast history for ddm dump and ddm top: the file `ddm
// run` keeps in its state folder (the same folder run chooses for the same
// configuration or emulated switch, or --state-dir). Without a history
// (the agent never ran there) it is nil and dump shows no forecasts.
func dumpHistory(e env, cmd string, pf *portFlags, stateDir string) *outlook.Tracker {
	dir := agentStateDir(pf, stateDir)
	if dir == "" {
		return nil
	}
	path := filepath.Join(dir, outlook.FileName)
	tr := outlook.New()
	warns, err := tr.LoadFile(path)
	for _, w := range warns {
		errorf(e, "%s: forecast history %s: %s", cmd, path, w)
	}
	if err != nil {
		errorf(e, "%s: forecasts not shown: %v", cmd, err)
		return nil
	}
	if len(tr.Ports()) == 0 {
		return nil
	}
	return tr
}

// dumpForecasts are the forecasts of each port of the history as of at
// (each port's module read just now is in it: its thresholds are the
// limits), in the JSON form of ddm forecast.
func dumpForecasts(tr *outlook.Tracker, at time.Time) map[string][]forecastJSON {
	out := map[string][]forecastJSON{}
	for _, f := range tr.Update("", at).All {
		out[f.Port] = append(out[f.Port], toJSON(f, false))
	}
	return out
}

// printDumpForecasts writes a port's forecasts under its module's report:
// the crossings, soonest first, then the trends and cohort scores.
func printDumpForecasts(w io.Writer, fc []forecastJSON) {
	if len(fc) == 0 {
		return
	}
	fmt.Fprintln(w, "Forecasts (the agent's history)")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  LANE\tQUANTITY\tTREND/DAY\tTHRESHOLD\tDAYS\tINTERVAL\tCOHORT Z")
	for _, f := range sortedForecasts(fc) {
		lane := "-"
		if f.Lane > 0 {
			lane = strconv.Itoa(f.Lane)
		}
		thr, days, interval := "-", "-", "-"
		if f.Threshold != nil {
			thr = fmt.Sprintf("%s %g", f.ThresholdName, *f.Threshold)
		}
		if f.Days != nil {
			days = fmt.Sprintf("%.1f", *f.Days)
			interval = fmt.Sprintf("%.1f–%s", *f.DaysLow, orInf(f.DaysHigh))
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%s\n", lane, f.Quantity, optG(f.TrendPerDay), thr, days, interval, optF(f.CohortZ))
	}
	tw.Flush()
	fmt.Fprintln(w)
}

// sortedForecasts puts crossings first, soonest first, keeping the order
// of the rest (lane, quantity).
func sortedForecasts(fc []forecastJSON) []forecastJSON {
	var cross, rest []forecastJSON
	for _, f := range fc {
		if f.Days != nil {
			cross = append(cross, f)
		} else {
			rest = append(rest, f)
		}
	}
	for i := 1; i < len(cross); i++ {
		for j := i; j > 0 && *cross[j].Days < *cross[j-1].Days; j-- {
			cross[j], cross[j-1] = cross[j-1], cross[j]
		}
	}
	return append(cross, rest...)
}
