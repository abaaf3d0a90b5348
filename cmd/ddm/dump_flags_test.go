package main

import (
	"context"

	"github.com/ddm-agent/ddm/exporter"
	"strings"
	"testing"
	"time"

	"github.com/ddm-agent/ddm/agent"
	"github.com/ddm-agent/ddm/cmis"
	"github.com/ddm-agent/ddm/pipeline"
)

// TestDumpShowsFlagCounters: the counters the agent's pipeline saved in
// its state folder (with the alarm state) appear under the port's module
// in `ddm dump`; without them nothing is shown.
func TestDumpShowsFlagCounters(t *testing.T) {
	dir := t.TempDir()
	code, out, errs := runDDM(t, "", "dump", "--emulate", "osfp-800g-dr8", "--state-dir", dir)
	if code != 0 || strings.Contains(out, "Latched flags counted") {
		t.Fatalf("without counters: exit %d\n%s\n%s", code, out, errs)
	}
	p := pipeline.New(pipeline.Options{Host: "h", Sink: discardSink{}, StateDir: dir})
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	h := &agent.FlagHistory{Lanes: map[int]map[string]*agent.FlagStat{
		2: {"rx_los": {Count: 14, Reads: 19, First: t0, Last: t0.Add(time.Minute), Active: true}}}}
	p.Observe(agent.Sample{Port: "osfp-800g-dr8", Bus: "b", Kind: agent.KindFast, Time: t0.Add(time.Minute),
		Module: &cmis.Module{Spec: "CMIS"}, Flags: h})
	p.Save()
	code, out, errs = runDDM(t, "", "dump", "--emulate", "osfp-800g-dr8", "--state-dir", dir)
	want := "lane 2   rx_los                       14 events      19 reads  2026-03-01T12:00:00Z .. 2026-03-01T12:01:00Z (set at the last read)"
	if code != 0 || !strings.Contains(out, "Latched flags counted by the agent") || !strings.Contains(out, want) {
		t.Fatalf("exit %d, want %q in\n%s\n%s", code, want, out, errs)
	}
}

// discardSink takes points and drops them.
type discardSink struct{}

func (discardSink) Write(...exporter.Point)     {}
func (discardSink) Close(context.Context) error { return nil }
