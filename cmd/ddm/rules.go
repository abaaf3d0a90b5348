package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ddm-agent/ddm/alarm"
	"github.com/ddm-agent/ddm/alarm/grafana"
	"github.com/ddm-agent/ddm/cmis"
	"github.com/ddm-agent/ddm/config"
	"github.com/ddm-agent/ddm/emulator"
	"github.com/ddm-agent/ddm/i2c"
	"github.com/ddm-agent/ddm/internal/plural"
	"github.com/ddm-agent/ddm/modread"
)

const rulesUsage = `usage: ddm rules check FILE
       ddm rules print-default
       ddm rules test [FILE] --emulate SCENARIO [--duration 1h] [--step 10s]
       ddm rules export [FILE] --grafana DIR [--influxql|--flux] [--datasource UID] [--bucket B] [--folder F]

check          validate a rules file and print every problem as FILE:LINE: message (exit 2 if any)
print-default  print ddm's default rules file (the starting point for /etc/ddm/rules.yaml)
test           run the rules (FILE, or the defaults) against an emulated switch on a simulated
               clock and print what fires and resolves, and when:
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
	step := fs.Duration("step", 10*time.Second, "read every module and evaluate the rules every step (simulated time)")
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
	clk := emulator.NewManualClock(start)
	pl, err := rulesScenario(*scenario, clk)
	if err != nil {
		errorf(e, "rules test: %v", err)
		return exitUsage
	}
	ports := emuPorts(pl, clk)
	if len(ports) == 0 {
		errorf(e, "rules test: the scenario has no ports")
		return exitUsage
	}
	eng := alarm.NewEngine(rs, alarm.Options{})
	fmt.Fprintf(e.stdout, "# %s, scenario %s (%s), %v in steps of %v\n", plural.Count(rulesEnabled(rs), "rule", "rules"), *scenario, plural.Count(len(ports), "port", "ports"), *duration, *step)
	firing := 0
	for k := time.Duration(0); k <= *duration; k += *step {
		if err := ctx.Err(); err != nil {
			errorf(e, "rules test: %v", err)
			return exitError
		}
		now := start.Add(k)
		if clk.Now().Before(now) {
			clk.Set(now)
		}
		for _, p := range ports {
			m, present, rerr := p.read(ctx)
			if rerr != nil {
				// A read that failed changes no alarm, as in the agent.
				fmt.Fprintf(e.stdout, "%s READ-ERROR %s: %v\n", rulesElapsed(now, start), p.name, rerr)
				continue
			}
			for _, ev := range eng.Evaluate(p.name, now, m, present) {
				fmt.Fprintln(e.stdout, rulesEventLine(ev, start, rs))
				if ev.State == alarm.Firing {
					firing++
				} else {
					firing--
				}
			}
		}
	}
	fmt.Fprintf(e.stdout, "# %s: %s firing\n", rulesElapsed(start.Add(*duration), start), plural.Count(firing, "alarm", "alarms"))
	return exitOK
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
func rulesScenario(what string, clk *emulator.ManualClock) (*emulator.Platform, error) {
	// The freeze handshake completes at once: the clock only moves when
	// the test moves it.
	opts := []emulator.Option{emulator.WithClock(clk), emulator.WithFreezeDelay(0)}
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

// emuPort is one emulated port read through the agent's reader
// (modread): the static pages once per insertion (again after a module
// state change), the fast monitors and, inside the VDM freeze, the VDM
// samples every step.
type emuPort struct {
	name   string
	reader *modread.Reader
	forget func()
	wait   func(context.Context, time.Duration) error
	waited time.Duration // waiting done in the current read
	cur    **emuPort     // the port its bus's pager is reading for
	clk    *emulator.ManualClock
	state  uint8
	// failures counts the reads in a row that failed, so a module that
	// NACKs every try is taken as removed when the agent would take it so.
	failures int
}

// waitBudget bounds the simulated time one read may spend waiting (NACK
// backoff, freeze polls): a module that never confirms a freeze would
// otherwise poll, and move the clock, until the handshake's real-time
// timeout.
const waitBudget = 2 * time.Second

func emuPorts(pl *emulator.Platform, clk *emulator.ManualClock) []*emuPort {
	pagers := map[string]*i2c.Pager{}
	busCur := map[string]**emuPort{}
	var out []*emuPort
	for _, p := range pl.Ports() {
		bus := pl.Buses()[p.Bus]
		if bus == nil {
			continue
		}
		ep := &emuPort{name: p.Name, clk: clk}
		// Waits (NACK backoff, freeze polls) move the simulated clock,
		// within the read's budget.
		ep.wait = func(ctx context.Context, d time.Duration) error {
			if ep.waited+d > waitBudget {
				return context.DeadlineExceeded
			}
			ep.waited += d
			clk.Advance(d)
			return ctx.Err()
		}
		if pagers[p.Bus] == nil {
			// The pager of a bus serves its ports in turn: its waits count
			// against the port being read.
			var cur **emuPort = new(*emuPort)
			pagers[p.Bus] = i2c.NewPager(bus, i2c.PagerOptions{Wait: func(ctx context.Context, d time.Duration) error {
				return (*cur).wait(ctx, d)
			}})
			busCur[p.Bus] = cur
		}
		pager, addr := pagers[p.Bus], uint8(p.Address)
		ep.reader = modread.New(pager.Module(addr), modread.Options{Wait: ep.wait})
		ep.forget, ep.cur = func() { pager.Forget(addr) }, busCur[p.Bus]
		out = append(out, ep)
	}
	return out
}

// read returns the decoded module, or present false for an empty cage,
// or an error for a module that could not be read.
func (p *emuPort) read(ctx context.Context) (*cmis.Module, bool, error) {
	*p.cur, p.waited = p, 0
	fail := func(err error) (*cmis.Module, bool, error) {
		if p.reader.Layout() != nil { // present
			err = modread.Absence(err, p.failures+1, modread.DefaultAbsentAfter)
		}
		if !errors.Is(err, i2c.ErrAbsent) {
			p.failures++
			return nil, true, err
		}
		p.reader.Forget()
		p.state, p.failures = 0, 0
		p.forget()
		return nil, false, nil
	}
	if p.reader.Layout() == nil {
		if err := p.reader.Probe(ctx); err != nil {
			return fail(err)
		}
		if _, err := p.reader.ReadStatic(ctx); !modread.Decoded(err) {
			return fail(err)
		}
	}
	// Every step reads the VDM samples too: the fast read is decoded
	// once, with them.
	m := new(cmis.Module)
	layout := p.reader.Layout()
	withVDM := len(layout.Plan(cmis.VDM)) > 0
	fastDst := m
	if withVDM {
		fastDst = nil
	}
	read, err := p.reader.ReadFast(ctx, fastDst)
	if !modread.Decoded(err) {
		return fail(err)
	}
	if withVDM {
		if err := p.reader.ReadVDM(ctx, layout, read, m); !modread.Decoded(err) {
			return fail(err)
		}
	}
	if p.state != 0 && m.ModuleStateCode != p.state {
		p.reader.Forget() // read the static pages again, as the agent does
	}
	p.state, p.failures = m.ModuleStateCode, 0
	return m, true, nil
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
