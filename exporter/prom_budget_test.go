package exporter

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ddm-agent/ddm/cmis"
	"github.com/ddm-agent/ddm/emulator"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ddm-agent/ddm/schema"
)

// promSwitch feeds a PromSink with what a scrape of `ddm run --emulate`
// holds: every point of every module of the default 64-port switch (fast,
// VDM and static), one firing alarm, the agent's bus and sink points. It
// returns the sink and each port's profile.
func promSwitch(t *testing.T) (*PromSink, map[string]string) {
	t.Helper()
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	clk := emulator.NewManualClock(start)
	pl := emulator.DefaultPlatform(emulator.WithClock(clk), emulator.WithInsertion(start.Add(-time.Hour)))
	clk.Advance(30 * time.Second) // past the scenarios' start: a BER ramp, a fading laser, a hot module
	s := NewPrometheusSink(PromOptions{Now: func() time.Time { return start }})
	profiles := map[string]string{}
	for _, ps := range pl.Ports() {
		m := pl.Module(ps.Name)
		if m == nil {
			continue
		}
		snap := m.Snapshot()
		if snap == nil {
			continue
		}
		mod, err := cmis.Decode(snap)
		if err != nil {
			t.Fatalf("%s: %v", ps.Name, err)
		}
		profiles[ps.Name] = ps.Profile
		s.Write(AllPoints(Source{Host: "leaf01", Port: ps.Name, Time: start}, mod)...)
	}
	a := exampleAlarm()
	a.Port = "Ethernet1/5"
	s.Write(AlarmPoint(a))
	for bus := 1; bus <= 8; bus++ {
		s.Write(BusPoint("leaf01", fmt.Sprintf("i2c-%d", bus), start, exampleBusStats()))
	}
	s.Write(SinkPoint("leaf01", start, exampleSinkStats()))
	return s, profiles
}

// promSeriesLines returns the series lines of an exposition (no comments).
func promSeriesLines(body string) []string {
	var out []string
	for _, l := range strings.Split(body, "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

// promPortBudget is the most series one module of a profile may expose
// (docs/SCHEMA.md, "Prometheus"): the observables a user graphs, not
// every field ddm writes to InfluxDB.
var promPortBudget = map[string]int{
	"osfp-800g-dr8":      140,
	"osfp-1.6t-dr8":      170,
	"qsfpdd-400g-fr4":    80,
	"osfpxd-1.6t-16":     230,
	"npo-3.2t":           380,
	"elsfp":              60,
	"qsfp28-100g-lr4":    70,
	"sfp28-25g":          40,
	"sfp-10g-lr-extcal":  40,
	"(agent and alarms)": 150,
}

// promSwitchBudget is the most series the default switch may expose.
const promSwitchBudget = 8500

// TestPromSeriesBudget counts the series the emulated default switch
// exposes, per port against its profile's budget and in total.
func TestPromSeriesBudget(t *testing.T) {
	s, profiles := promSwitch(t)
	lines := promSeriesLines(scrape(t, s.Handler()))
	perPort := map[string]int{}
	perFamily := map[string]int{}
	for _, l := range lines {
		name := l[:strings.IndexAny(l, "{ ")]
		perFamily[name]++
		port := "(agent and alarms)"
		if i := strings.Index(l, `port="`); i >= 0 && !strings.HasPrefix(name, "xcvr_alarm") {
			port = l[i+6:]
			port = port[:strings.IndexByte(port, '"')]
		}
		perPort[port]++
		if strings.Contains(l, `host="`) {
			t.Errorf("host label (Prometheus has instance): %s", l)
		}
		if strings.Contains(l, "type_id") {
			t.Errorf("constant type_id exposed: %s", l)
		}
	}
	for port, n := range perPort {
		profile := profiles[port]
		if profile == "" {
			profile = port
		}
		budget, ok := promPortBudget[profile]
		if !ok {
			t.Errorf("%s: profile %q has no budget", port, profile)
			continue
		}
		if n > budget {
			t.Errorf("%s (%s): %d series, budget %d", port, profile, n, budget)
		}
	}
	if len(lines) > promSwitchBudget {
		t.Errorf("%d series, budget %d", len(lines), promSwitchBudget)
	}
	if len(profiles) < 60 {
		t.Errorf("only %d modules decoded", len(profiles))
	}
	if t.Failed() || testing.Verbose() {
		names := make([]string, 0, len(perFamily))
		for n := range perFamily {
			names = append(names, n)
		}
		sort.Slice(names, func(i, j int) bool { return perFamily[names[i]] > perFamily[names[j]] })
		for _, n := range names {
			t.Logf("%6d %s", perFamily[n], n)
		}
		t.Logf("%d series in all", len(lines))
	}
}

// TestPromtoolCheckMetrics runs `promtool check metrics` (Prometheus's own
// linter of names, units, counters and help) on a scrape of the emulated
// switch. CI installs promtool (.ci/run); there a missing promtool fails.
func TestPromtoolCheckMetrics(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("promtool not installed: .ci/run installs the prometheus package")
		}
		t.Skip("promtool not installed (apt-get install prometheus)")
	}
	s, _ := promSwitch(t)
	body := scrape(t, s.Handler())
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(body)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out.String())
	}
}

const (
	promGenBegin = "<!-- BEGIN GENERATED by `go test ./exporter -run TestPromDoc -update`; do not edit -->"
	promGenEnd   = "<!-- END GENERATED PROMETHEUS -->"
)

// generatePromDoc renders the metric families of docs/SCHEMA.md,
// "Prometheus", from the same tables the sink uses.
func generatePromDoc() string {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	w("%s\n\n| metric | type | labels | from |\n|---|---|---|---|\n", promGenBegin)
	row := func(m promMetric, labels []string, from string) {
		kind := "gauge"
		if m.kind == prometheus.CounterValue {
			kind = "counter"
		}
		w("| `%s` | %s | %s | %s |\n", m.name, kind, strings.Join(labels, ", "), from)
	}
	labelsOf := func(measurement string, tags []TagDoc) []string {
		var out []string
		for _, tg := range tags {
			if !promDropsLabel(measurement, tg.Name) {
				out = append(out, "`"+tg.Name+"`")
			}
		}
		return out
	}
	for _, md := range Schema() {
		switch md.Name {
		case schema.XcvrInfo:
			w("| `%s` | gauge (1) | `port` and every string field of `xcvr_info` | identity |\n", schema.XcvrInfo)
		case schema.XcvrVDM:
			for id := 0; id < 256; id++ {
				o, known := cmis.LookupObservable(uint8(id))
				m, ok := promVDM(uint8(id))
				if !known || !ok {
					continue
				}
				labels := []string{"`port`", "`lane`"}
				if _, side := splitSide(o.Name); side != "" {
					labels = append(labels, "`side`")
				}
				row(m, labels, fmt.Sprintf("`xcvr_vdm` type %d (%s)", id, o.Unit))
			}
			continue
		case schema.XcvrThreshold:
			for _, q := range [...]string{cmis.QTemperature, cmis.QVcc, cmis.QVcc2, cmis.QLaserTemperature, cmis.QTECCurrent,
				cmis.QTxBias, cmis.QTxPower, cmis.QRxPower} {
				for _, f := range md.Fields {
					m, ok := promThreshold(q, f.Name)
					if !ok {
						continue // not exposed (checksum_failed)
					}
					row(m, []string{"`port`"}, fmt.Sprintf("`%s` of quantity `%s`", f.Name, q))
				}
			}
			continue
		}
		for _, f := range md.Fields {
			if m, ok := promIndex[md.Name][f.Name]; ok {
				row(m, labelsOf(md.Name, md.Tags), fmt.Sprintf("`%s.%s`", md.Name, f.Name))
			}
		}
	}
	w("\n%s\n", promGenEnd)
	return b.String()
}

// TestPromDoc: the family table in docs/SCHEMA.md is what the sink
// exposes; -update rewrites it.
func TestPromDoc(t *testing.T) {
	checkGenerated(t, promGenBegin, promGenEnd, generatePromDoc())
}
