package main

import (
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/ddm-agent/ddm/exporter"
	"github.com/ddm-agent/ddm/pipeline"
)

// dumpFlagCounts is the agent's latched-flag counters per port, from its
// state folder (pipeline.FlagCountsFile, saved with the alarm state); nil
// when the agent never ran there.
func dumpFlagCounts(e env, pf *portFlags, stateDir string) map[string][]exporter.FlagCount {
	dir := agentStateDir(pf, stateDir)
	if dir == "" {
		return nil
	}
	counts, err := pipeline.LoadFlagCounts(filepath.Join(dir, pipeline.FlagCountsFile))
	if err != nil {
		errorf(e, "dump: flag counters not shown: %v", err)
		return nil
	}
	return counts
}

// printFlagCounts writes a port's latched-flag counters as the agent
// counted them, under its module's report.
func printFlagCounts(w io.Writer, counts []exporter.FlagCount) {
	if len(counts) == 0 {
		return
	}
	fmt.Fprintln(w, "Latched flags counted by the agent (events, reads that saw it, first and last seen):")
	for _, c := range counts {
		where := "module"
		if c.Lane > 0 {
			where = fmt.Sprintf("lane %d", c.Lane)
		}
		active := ""
		if c.Active {
			active = " (set at the last read)"
		}
		fmt.Fprintf(w, "  %-8s %-24s %6d events %7d reads  %s .. %s%s\n", where, c.Flag, c.Events, c.Reads,
			c.First.UTC().Format(time.RFC3339), c.Last.UTC().Format(time.RFC3339), active)
	}
}
