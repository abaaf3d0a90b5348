package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ddm-agent/ddm/agent"
	"github.com/ddm-agent/ddm/alarm"
	"github.com/ddm-agent/ddm/alarm/grafana"
	"github.com/ddm-agent/ddm/config"
	"github.com/ddm-agent/ddm/emulator"
	"github.com/ddm-agent/ddm/exporter"
	"github.com/ddm-agent/ddm/i2c"
	"github.com/ddm-agent/ddm/internal/plural"
	"github.com/ddm-agent/ddm/internal/vclock"
	"github.com/ddm-agent/ddm/pipeline"
	"github.com/ddm-agent/ddm/portset"
)

const rulesUsage = `usage: ddm rules check FILE
       ddm rules print-default
       ddm rules test [FILE] --emulate SCENARIO [--duration 1h] [--step 10s]
       ddm rules export [FILE] --grafana DIR [--influxql|--flux] [--datasource UID] [--bucket B] [--folder F]

check          validate a rules file and print every problem as FILE:LINE: message (exit 2 if any)
print-default  print ddm's default rules file (the starting point for /etc/ddm/rules.yaml)
test           run the rules (FILE, or the defaults) against an emulated switch read by the agent at
               an interval of one step, on a simulated clock, and print what fires and resolves, and when:
                 T+00:12:30 FIRING major pre_fec_ber_major Ethernet1/5 lane 3 value 1.2e-4 threshold 1e-4
export         write Grafana alert rules (alerting/ddm-rules.yaml) and dashboards (dashboards/*.json)
               for the rules (FILE, or the defaults) into DIR

SCENARIO is a platform YAML file (see the emulator package: buses, ports, profiles, scenarios)
or one of the built-in scenarios:
`

// rulesBuiltinScenarios are emulated switches with one scripted problem each
// (and a healthy neighbour), as platform YAML for emulator.ParsePlatform.
var rulesBuiltinScenarios = []struct{ name, doc, yaml string }{
	{"ber-ramp", "Ethernet1/5 lane 3: pre-FEC BER ramps from ~1e-8 to 3e-4 between 2m and 22m, holds, and recovers to 1e-8 between 35m and 40m (BER warning, major, critical fire, then resolve); Ethernet1/6 healthy", `
name: ber-ramp
buses:
  - {name: i2c-1, speed: 1MHz, muxes: [{address: 0x70, channels: [i2c-10, i2c-11]}]}
ports:
  - {name: Ethernet1/5, bus: i2c-10, profile: osfp-800g-dr8}
  - {name: Ethernet1/6, bus: i2c-11, profile: osfp-800g-dr8}
scenarios:
  - {port: Ethernet1/5, kind: ber_ramp, lane: 3, start: 2m, duration: 20m, target: 3e-4}
  - {port: Ethernet1/5, kind: ber_ramp, lane: 3, start: 35m, duration: 5m, target: 1e-8}
`},
	{"rx-fade", "Ethernet1/12 lane 2: Rx power fades 12 dB/h from 5m for 45m (margin, module warning, DR limit and module alarm in turn, with the BER that follows); Ethernet1/11 healthy", `
name: rx-fade
buses:
  - {name: i2c-1, speed: 1MHz, muxes: [{address: 0x70, channels: [i2c-10, i2c-11]}]}
ports:
  - {name: Ethernet1/11, bus: i2c-10, profile: osfp-800g-dr8}
  - {name: Ethernet1/12, bus: i2c-11, profile: osfp-800g-dr8}
scenarios:
  - {port: Ethernet1/12, kind: rx_fade, lane: 2, start: 5m, duration: 45m, rate: 12}
`},
	{"temp-runaway", "Ethernet1/30: module temperature rises 3 °C/min from 5m up to 90 °C (module warning and alarm thresholds, module_temperature_high); Ethernet1/29 healthy", `
name: temp-runaway
buses:
  - {name: i2c-4, speed: 1MHz, muxes: [{address: 0x70, channels: [i2c-34, i2c-35]}]}
ports:
  - {name: Ethernet1/29, bus: i2c-34, profile: osfp-1.6t-dr8}
  - {name: Ethernet1/30, bus: i2c-35, profile: osfp-1.6t-dr8}
scenarios:
  - {port: Ethernet1/30, kind: temp_runaway, start: 5m, rate: 3, target: 90}
`},
	{"unplug", "Ethernet1/47: module pulled at 10m and re-inserted at 30m (taken as removed after 3 reads that NACK, as the agent counts; module_absent fires 5m later, resolves on re-insertion); Ethernet1/48 healthy", `
name: unplug
buses:
  - {name: i2c-6, speed: 400kHz, muxes: [{address: 0x70, channels: [i2c-54, i2c-55]}]}
ports:
  - {name: Ethernet1/47, bus: i2c-54, profile: qsfpdd-400g-fr4}
  - {name: Ethernet1/48, bus: i2c-55, profile: qsfpdd-400g-fr4}
scenarios:
  - {port: Ethernet1/47, kind: unplug, start: 10m, duration: 20m}
`},
}

// cmdRules checks, prints, tests and exports alarm rules.
func cmdRules(ctx context.Context, e env, args []string) int {
	if len(args) == 0 {
		rulesHelp(e.stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "--help", "help":
		rulesHelp(e.stderr)
		return exitOK
	case "check":
		return rulesCheck(e, args[1:])
	case "print-default":
		return rulesPrintDefault(e, args[1:])
	case "test":
		return rulesTest(ctx, e, args[1:])
	case "export":
		return rulesExport(e, args[1:])
	}
	errorf(e, "rules: unknown subcommand %q", args[0])
	rulesHelp(e.stderr)
	return exitUsage
}

func rulesHelp(w io.Writer) {
	fmt.Fprint(w, rulesUsage)
	for _, s := range rulesBuiltinScenarios {
		fmt.Fprintf(w, "  %-13s %s\n", s.name, s.doc)
	}
	fmt.Fprintf(w, "  %-13s %s\n", "default", "the emulator's 64-port AI-fabric switch with all its scenarios (ddm dump --emulate)")
	fmt.Fprintln(w, "\nRun 'ddm rules SUBCOMMAND --help' for its flags.")
}

func rulesCheck(e env, args []string) int {
	fs := newFlags(e, "rules check")
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "usage: ddm rules check FILE\n\nValidates a rules file; every problem is printed as FILE:LINE: message and the exit status is 2.\n")
	}
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return exitUsage
	}
	name := fs.Arg(0)
	b, err := readRulesFile(name)
	if err != nil {
		errorf(e, "rules check: %v", err)
		return exitUsage
	}
	if errs := alarm.Check(name, b); len(errs) > 0 {
		for _, err := range errs {
			fmt.Fprintln(e.stderr, err)
		}
		errorf(e, "rules check: %s: %s", name, plural.Count(len(errs), "problem", "problems"))
		return exitUsage
	}
	rs, err := alarm.Parse(name, b)
	if err != nil { // Check found nothing; Parse cannot fail then
		errorf(e, "rules check: %v", err)
		return exitUsage
	}
	fmt.Fprintf(e.stdout, "%s: %s, OK\n", name, plural.Count(len(rs.Rules), "rule", "rules"))
	return exitOK
}

func rulesPrintDefault(e env, args []string) int {
	fs := newFlags(e, "rules print-default")
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "usage: ddm rules print-default\n\nPrints ddm's default rules file, with the source of every number in its comments.\n")
	}
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return exitUsage
	}
	if _, err := e.stdout.Write(alarm.DefaultRules()); err != nil {
		errorf(e, "rules print-default: %v", err)
		return exitError
	}
	return exitOK
}

// readRulesArg reads FILE, or the default rules without one.
func readRulesArg(e env, cmd string, args []string) (*alarm.Rules, bool) {
	switch len(args) {
	case 0:
		rs, err := alarm.Parse("default rules", alarm.DefaultRules())
		if err != nil {
			errorf(e, "%s: %v", cmd, err)
			return nil, false
		}
		return rs, true
	case 1:
		b, err := readRulesFile(args[0])
		if err != nil {
			errorf(e, "%s: %v", cmd, err)
			return nil, false
		}
		rs, err := alarm.Parse(args[0], b)
		if err != nil {
			errorf(e, "%s: %v (ddm rules check %s lists every problem)", cmd, err, args[0])
			return nil, false
		}
		return rs, true
	}
	errorf(e, "%s: one rules file at most, got %d", cmd, len(args))
	return nil, false
}

func rulesExport(e env, args []string) int {
	fs := newFlags(e, "rules export")
	dir := fs.String("grafana", "", "write the Grafana alert rules and dashboards into this directory (required)")
	flux := fs.Bool("flux", false, "Flux queries (a data source with version: Flux)")
	influxql := fs.Bool("influxql", false, "InfluxQL queries (the default)")
	ds := fs.String("datasource", "influxdb-ddm", "uid of the InfluxDB data source in Grafana")
	bucket := fs.String("bucket", "ddm/autogen", "bucket the Flux queries read (InfluxDB 1.8: database/retention-policy)")
	folder := fs.String("folder", "Transceivers", "Grafana folder of the rules")
	interval := fs.Duration("interval", time.Minute, "evaluation interval of the rule group")
	influxURL := fs.String("influx-url", "http://127.0.0.1:8086", "InfluxDB URL as Grafana reaches it (the data source provisioning file)")
	dashPath := fs.String("dashboards-path", "/etc/grafana/provisioning/dashboards", "directory on the Grafana host the dashboard provider loads the dashboards from")
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "usage: ddm rules export [FILE] --grafana DIR [--influxql|--flux] [--datasource UID] [--bucket B] [--folder F]\n\n"+
			"Writes DIR/alerting/ddm-rules.yaml (Grafana alert rule provisioning), DIR/datasources/ddm.yaml (the InfluxDB\n"+
			"data source), DIR/dashboards/ddm.yaml (the dashboard provider), DIR/dashboards/*.json and DIR/README.md\n"+
			"for the rules of FILE (default: ddm's default rules). Rules Grafana cannot evaluate on InfluxDB alone\n"+
			"(built-in sets, the module's own thresholds, identity selectors, module absence) follow the agent's\n"+
			"xcvr_alarm points instead; README.md says which.\n\n")
		fs.PrintDefaults()
	}
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	if *dir == "" {
		errorf(e, "rules export: --grafana DIR is required")
		fs.Usage()
		return exitUsage
	}
	if *flux && *influxql {
		errorf(e, "rules export: --flux and --influxql are exclusive")
		return exitUsage
	}
	if err := config.CheckInfluxURL(*influxURL); err != nil {
		errorf(e, "rules export: --influx-url: %v", err)
		return exitUsage
	}
	rs, ok := readRulesArg(e, "rules export", fs.Args())
	if !ok {
		return exitUsage
	}
	lang := grafana.InfluxQL
	if *flux {
		lang = grafana.Flux
	}
	b, err := grafana.Export(rs, grafana.Options{Language: lang, DatasourceUID: *ds, Bucket: *bucket, Folder: *folder, Interval: *interval,
		InfluxURL: *influxURL, DashboardsPath: *dashPath})
	if err != nil {
		errorf(e, "rules export: %v", err)
		return exitUsage
	}
	if err := b.WriteDir(*dir); err != nil {
		errorf(e, "rules export: %v", err)
		return exitError
	}
	local := 0
	for _, x := range b.Exported {
		if x.Local {
			local++
		}
	}
	files, _ := b.Files()
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	fmt.Fprintf(e.stdout, "%d rules (%d evaluated by Grafana on InfluxDB, %d following the agent's xcvr_alarm), %d dashboards, %s queries on data source %s:\n",
		len(b.Exported), len(b.Exported)-local, local, len(b.Dashboards), lang, *ds)
	for _, p := range paths {
		fmt.Fprintf(e.stdout, "  %s\n", strings.TrimRight(*dir, "/")+"/"+p)
	}
	return exitOK
}

// --- ddm rules test -------------------------------------------------------

func rulesTest(ctx context.Context, e env, args []string) int {
	fs := newFlags(e, "rules test")
	scenario := fs.String("emulate", "", "the scenario: a built-in name or a platform YAML file (required)")
	duration := fs.Duration("duration", time.Hour, "how long to run the scenario (simulated time)")
	step := fs.Duration("step", 10*time.Second, "the agent's read interval, fast and VDM, and so of the rules' evaluation (simulated time)")
	fs.Usage = func() { rulesHelp(e.stderr); fmt.Fprintln(e.stderr); fs.PrintDefaults() }
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	if *scenario == "" {
		errorf(e, "rules test: --emulate SCENARIO is required")
		return exitUsage
	}
	if *step < 100*time.Millisecond || *duration < *step || *duration/(*step) > 1_000_000 {
		errorf(e, "rules test: want a step of at least 100ms and a duration of 1 to 1000000 steps (got --step %v --duration %v)", *step, *duration)
		return exitUsage
	}
	rs, ok := readRulesArg(e, "rules test", fs.Args())
	if !ok {
		return exitUsage
	}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clk := vclock.New(start)
	pl, err := rulesScenario(*scenario, clk)
	if err != nil {
		errorf(e, "rules test: %v", err)
		return exitUsage
	}
	// The ports opened as `ddm run --emulate` opens them; NACK retries take
	// no simulated time: they hold the bus, which must not wait on the
	// virtual clock (vclock.Skip).
	ts, err := portset.OnPlatform(pl, i2c.PagerOptions{Wait: vclock.Skip})
	if err != nil {
		errorf(e, "rules test: %v", err)
		return exitUsage
	}
	ports := ts.AgentPorts()
	if len(ports) == 0 {
		errorf(e, "rules test: the scenario has no ports")
		return exitUsage
	}
	obs := &rulesObserver{rs: rs, start: start, order: map[string]int{}}
	for i, p := range ports {
		obs.order[p.Name] = i
	}
	// The rules are evaluated by the daemon's own pipeline (steady times,
	// absences, read errors as ddm run treats them); its points go
	// nowhere, its alarm transitions are printed.
	obs.pipe = pipeline.New(pipeline.Options{Host: "rules-test", Rules: rs, Sink: exporter.Multi(), Alarms: obs.alarms})
	// The agent itself reads the modules, at an interval of one step (VDM
	// too), on the virtual clock: what fires is what `ddm run` at that
	// interval would fire, absences and backoff included.
	ag, err := agent.New(ports, obs, agent.Options{Interval: *step, VDMInterval: *step, Clock: clk})
	if err != nil {
		errorf(e, "rules test: %v", err)
		return exitUsage
	}
	fmt.Fprintf(e.stdout, "# %s, scenario %s (%s), %v in steps of %v\n", plural.Count(rulesEnabled(rs), "rule", "rules"), *scenario, plural.Count(len(ports), "port", "ports"), *duration, *step)
	actx, stop := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() { ag.Run(actx); close(done) }()
	defer func() { stop(); <-done }()
	clk.BlockUntil(len(ag.Buses())) // the first pass, at T+0
	obs.flush(e.stdout)
	for elapsed := time.Duration(0); elapsed < *duration; elapsed += *step {
		if err := ctx.Err(); err != nil {
			errorf(e, "rules test: %v", err)
			return exitError
		}
		clk.Advance(min(*step, *duration-elapsed))
		obs.flush(e.stdout)
	}
	fmt.Fprintf(e.stdout, "# %s: %s firing\n", rulesElapsed(start.Add(*duration), start), plural.Count(obs.firing, "alarm", "alarms"))
	return exitOK
}

// rulesObserver hands every sample to the pipeline, which evaluates the
// rules as the daemon does, and keeps the lines to print. Samples of one instant arrive from several
// goroutines (a worker per bus, a VDM read per port) in any order: flush
// prints them in the order of their time, then of the ports, so a scenario
// prints the same on every run.
type rulesObserver struct {
	pipe  *pipeline.Pipeline
	rs    *alarm.Rules
	start time.Time
	order map[string]int // port -> its place in the scenario

	mu     sync.Mutex
	lines  []rulesLine
	firing int
}

type rulesLine struct {
	t    time.Time
	port int
	text string
}

func (o *rulesObserver) Observe(s agent.Sample) {
	if s.Kind == agent.KindError {
		// A read that failed changes no alarm (the pipeline skips it):
		// the scenario shows it.
		o.mu.Lock()
		o.lines = append(o.lines, rulesLine{t: s.Time, port: o.order[s.Port],
			text: fmt.Sprintf("%s READ-ERROR %s: %v", rulesElapsed(s.Time, o.start), s.Port, s.Err)})
		o.mu.Unlock()
	}
	o.pipe.Observe(s)
}

// alarms keeps the lines of the pipeline's alarm transitions.
func (o *rulesObserver) alarms(events []alarm.Event) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, ev := range events {
		o.lines = append(o.lines, rulesLine{t: ev.Time, port: o.order[ev.Port], text: rulesEventLine(ev, o.start, o.rs)})
		if ev.State == alarm.Firing {
			o.firing++
		} else {
			o.firing--
		}
	}
}

// flush prints the lines kept, in order of time, then of port.
func (o *rulesObserver) flush(w io.Writer) {
	o.mu.Lock()
	defer o.mu.Unlock()
	sort.SliceStable(o.lines, func(i, j int) bool {
		a, b := o.lines[i], o.lines[j]
		if !a.t.Equal(b.t) {
			return a.t.Before(b.t)
		}
		return a.port < b.port
	})
	for _, l := range o.lines {
		fmt.Fprintln(w, l.text)
	}
	o.lines = o.lines[:0]
}

func rulesEnabled(rs *alarm.Rules) int {
	n := 0
	for _, r := range rs.Rules {
		if !r.Disabled {
			n++
		}
	}
	return n
}

// rulesScenario parses a built-in scenario or a platform file, on clk.
func rulesScenario(what string, clk emulator.Clock) (*emulator.Platform, error) {
	opts := []emulator.Option{emulator.WithClock(clk)}
	if what == "default" {
		return emulator.DefaultPlatform(opts...), nil
	}
	for _, s := range rulesBuiltinScenarios {
		if s.name == what {
			return emulator.ParsePlatform(s.name, []byte(s.yaml), opts...)
		}
	}
	if _, err := os.Stat(what); err != nil {
		names := make([]string, len(rulesBuiltinScenarios))
		for i, s := range rulesBuiltinScenarios {
			names[i] = s.name
		}
		return nil, fmt.Errorf("--emulate %q: not a built-in scenario (%s, default) nor a platform file: %w", what, strings.Join(names, ", "), err)
	}
	return emulator.LoadPlatform(what, opts...)
}

// rulesElapsed writes T+HH:MM:SS.
func rulesElapsed(t, start time.Time) string {
	d := t.Sub(start).Truncate(time.Second)
	return fmt.Sprintf("T+%02d:%02d:%02d", int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60)
}

// rulesEventLine writes one alarm change:
// T+00:12:30 FIRING major pre_fec_ber_major Ethernet1/5 lane 3 value 1.2e-4 threshold 1e-4
func rulesEventLine(ev alarm.Event, start time.Time, rs *alarm.Rules) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %s %s %s", rulesElapsed(ev.Time, start), strings.ToUpper(ev.State.String()), ev.Severity, ev.Rule, ev.Port)
	if ev.Lane > 0 {
		fmt.Fprintf(&b, " lane %d", ev.Lane)
	}
	// A built-in set names the series (quantity, observable, flag); a
	// metric rule's series is its metric.
	if r := rs.Lookup(ev.Rule); ev.Observable != "" && (r == nil || r.Builtin != "") {
		fmt.Fprintf(&b, " %s", ev.Observable)
	}
	if ev.Limit != "" {
		fmt.Fprintf(&b, " %s", ev.Limit)
	}
	fmt.Fprintf(&b, " value %s threshold %s", rulesValue(ev.Value), rulesValue(ev.Threshold))
	return b.String()
}

// rulesValue writes a value in at most 3 significant digits, small and
// large ones with an exponent (1.2e-4, 3e-05 as 3e-5).
func rulesValue(v float64) string {
	a := math.Abs(v)
	if v == 0 || (a >= 1e-3 && a < 1e6) {
		return strconv.FormatFloat(v, 'g', 4, 64)
	}
	s := strconv.FormatFloat(v, 'e', 2, 64) // 1.20e-04
	mant, exp, _ := strings.Cut(s, "e")
	if strings.Contains(mant, ".") {
		mant = strings.TrimRight(strings.TrimRight(mant, "0"), ".")
	}
	n, _ := strconv.Atoi(exp)
	return mant + "e" + strconv.Itoa(n)
}
