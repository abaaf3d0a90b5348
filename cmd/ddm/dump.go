package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ddm-agent/ddm/cmis"
	"github.com/ddm-agent/ddm/cmis/dumpfile"
	"github.com/ddm-agent/ddm/config"
	"github.com/ddm-agent/ddm/energy"
	"github.com/ddm-agent/ddm/exporter"
	"github.com/ddm-agent/ddm/i2c"
	"github.com/ddm-agent/ddm/modread"
	"github.com/ddm-agent/ddm/outlook"
	"github.com/ddm-agent/ddm/portset"
	"github.com/ddm-agent/ddm/report"
	"github.com/ddm-agent/ddm/topology"
)

// cmdDump reads modules once and prints them: text, JSON or the raw
// vectors format that `ddm decode` reads back.
func cmdDump(ctx context.Context, e env, args []string) int {
	fs := newFlags(e, "dump")
	var pf portFlags
	pf.register(fs)
	all := fs.Bool("all", false, "dump every configured port (the default when no PORT is named)")
	asJSON := fs.Bool("json", false, "print JSON, one object per module per line, with the I/O it cost under \"io\"")
	raw := fs.Bool("raw", false, "print the memory read in the text dump format (ddm decode reads it back)")
	timeout := fs.Duration("timeout", 10*time.Second, "give up on a module after this long")
	flight := fs.String("flight", "", "print the flight recorder's last windows of this PORT from the agent's state folder (no module is read)")
	stateDir := fs.String("state-dir", "", "the agent's state folder, for the forecasts of its history (default: the one ddm run chooses)")
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "usage: ddm dump [PORT...] [--all] [--json|--raw] [--emulate [PROFILE|PLATFORM.yaml]] [--config FILE]\n\n"+
			"Reads each module once: identity, monitors, lanes, thresholds, flags, VDM (inside the freeze handshake),\n"+
			"and the bus I/O it cost. Modules come from --config, one of --i2c-bus/--optoe/--netlink, or the emulator.\n\n")
		fs.PrintDefaults()
	}
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	if *flight != "" {
		return dumpFlight(e, agentStateDir(&pf, *stateDir), *flight)
	}
	if *asJSON && *raw {
		errorf(e, "dump: --json and --raw are exclusive")
		return exitUsage
	}
	ts, selected, code := openSelected(e, "dump", &pf, pf.positional(fs, args), *all)
	if ts == nil {
		return code
	}
	defer ts.Close()
	// With the agent's history, every module is read before any is
	// printed: a forecast's limits are its module's thresholds, and its
	// cohort the modules of the same part number.
	hist := dumpHistory(e, "dump", &pf, *stateDir)
	counts := dumpFlagCounts(e, &pf, *stateDir)
	return dumpTargets(ctx, e, ts, selected, dumpOptions{json: *asJSON, raw: *raw, timeout: *timeout, hist: hist, counts: counts})
}

// dumpOptions are ddm dump's output flags, and the agent's history when
// forecasts are shown.
type dumpOptions struct {
	json, raw bool
	timeout   time.Duration
	hist      *outlook.Tracker
	// counts are the agent's latched-flag counters per port.
	counts map[string][]exporter.FlagCount
}

// dumpTargets reads and prints the selected ports of ts.
func dumpTargets(ctx context.Context, e env, ts *portset.Set, selected []portset.Port, o dumpOptions) int {
	code := exitOK
	hist := o.hist
	var entries []report.Entry
	// The laser sources that light the selected engines are read first,
	// so each engine shows the state of the lasers beside its lanes.
	topo := ts.Topology()
	early := readSources(ctx, topo, ts.Ports, selected, o.timeout)
	lasers := map[string][]cmis.Laser{}
	for name, r := range early {
		if r.full != nil {
			lasers[name] = r.full.Module.LaserSource
		}
	}
	for _, t := range selected {
		full, err := readOnce(ctx, t, early, o.timeout)
		if err != nil && full == nil {
			errorf(e, "dump: port %s: %v", t.Name, err)
			code = exitError
			continue
		}
		if err != nil {
			errorf(e, "dump: port %s: %v (decoded what was read)", t.Name, err)
		}
		snap, io := full.Snapshot, full.IO
		if o.raw {
			d := &dumpfile.Dump{Comments: []string{
				fmt.Sprintf("Port %s (%s, address 0x%02x), read by ddm %s at %s", t.Name, t.Bus, t.Addr, readBuildVersion().short(), snap.Time.UTC().Format(time.RFC3339)),
				fmt.Sprintf("I/O: %d transactions, %d bytes read, %d page selects", io.Transactions, io.BytesRead, io.PageSelects),
			}, Snapshots: []*cmis.Snapshot{snap}}
			if err := dumpfile.Write(e.stdout, d); err != nil {
				errorf(e, "dump: %v", err)
				return exitError
			}
			continue
		}
		entry := report.Entry{Source: report.Source{Port: t.Name, Time: snap.Time.UTC().Format(time.RFC3339Nano)}, Module: full.Module, IO: reportIO(io),
			Energy: energy.ForModule(t.Name, full.Module)}
		if topo != nil {
			entry.Feeds = topo.Views(t.Name, lasers)
		}
		if c := o.counts[t.Name]; len(c) > 0 {
			entry.FlagCounts = c // JSON; the text follows the module's report
		}
		if hist != nil {
			hist.Observe(t.Name, snap.Time, full.Module)
			entries = append(entries, entry)
			continue
		}
		if code := printEntry(e, entry, o.json, nil); code != exitOK {
			return code
		}
		if !o.json {
			printFlagCounts(e.stdout, o.counts[t.Name])
		}
	}
	if hist != nil {
		fc := dumpForecasts(hist, time.Now())
		for _, entry := range entries {
			if code := printEntry(e, entry, o.json, fc[entry.Source.Port]); code != exitOK {
				return code
			}
			if !o.json {
				printFlagCounts(e.stdout, o.counts[entry.Source.Port])
			}
		}
	}
	return code
}

// printEntry prints one module's report, with its forecasts.
func printEntry(e env, entry report.Entry, asJSON bool, fc []forecastJSON) int {
	var err error
	if fc != nil {
		entry.Forecasts = fc
	}
	if asJSON {
		err = report.JSON(e.stdout, entry)
	} else {
		err = report.Text(e.stdout, entry)
		printDumpForecasts(e.stdout, fc)
	}
	if err != nil {
		errorf(e, "dump: %v", err)
		return exitError
	}
	return exitOK
}

// openSelected opens the ports the flags name (configuration, transport or
// emulator) and selects those named on the command line, or all. On error
// it says why and returns no ports, and the exit code.
func openSelected(e env, cmd string, pf *portFlags, names []string, all bool) (*portset.Set, []portset.Port, int) {
	var cfg *config.Config
	if pf.config != "" {
		c, err := config.Load(pf.config)
		if err != nil {
			errorf(e, "%s: %v", cmd, err)
			return nil, nil, exitUsage
		}
		cfg = c
	}
	ts, err := pf.open(cfg)
	if err != nil {
		errorf(e, "%s: %v", cmd, err)
		return nil, nil, exitUsage
	}
	selected, err := selectPorts(ts.Ports, names, all)
	if err != nil {
		var np noPortError
		if errors.As(err, &np) {
			// Right after --emulate, the name was more likely meant as a
			// profile: say why it is not one, and not a port either.
			if eerr := pf.emulateValueError(np.name); eerr != nil {
				err = fmt.Errorf("%w; nor a port of the emulated switch (ports: %v)", eerr, np.known)
			}
		}
		errorf(e, "%s: %v", cmd, err)
		ts.Close()
		return nil, nil, exitUsage
	}
	return ts, selected, exitOK
}

// sourceRead is one early read of a laser source.
type sourceRead struct {
	full *modread.Full
	err  error
}

// readSources reads the laser sources (of all ports) that light the
// selected ports, or are selected themselves.
func readSources(ctx context.Context, topo *topology.Map, all, selected []portset.Port, timeout time.Duration) map[string]sourceRead {
	out := map[string]sourceRead{}
	if topo == nil {
		return out
	}
	want := map[string]bool{}
	for _, t := range selected {
		for _, f := range topo.Of(t.Name) {
			want[f.Source] = true
		}
	}
	for _, t := range all {
		if want[t.Name] {
			rctx, cancel := context.WithTimeout(ctx, timeout)
			full, err := readModule(rctx, t)
			cancel()
			out[t.Name] = sourceRead{full, err}
		}
	}
	return out
}

// readOnce reads t, or takes its early read.
func readOnce(ctx context.Context, t portset.Port, early map[string]sourceRead, timeout time.Duration) (*modread.Full, error) {
	if r, ok := early[t.Name]; ok {
		return r.full, r.err
	}
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return readModule(rctx, t)
}

func selectPorts(all []portset.Port, names []string, wantAll bool) ([]portset.Port, error) {
	if len(names) == 0 || wantAll {
		return all, nil
	}
	var out []portset.Port
	for _, n := range names {
		found := false
		for _, t := range all {
			if t.Name == n {
				out = append(out, t)
				found = true
			}
		}
		if !found {
			var known []string
			for _, t := range all {
				known = append(known, t.Name)
			}
			if len(known) > 8 {
				known = append(known[:8], "...")
			}
			return nil, noPortError{name: n, known: known}
		}
	}
	return out, nil
}

// noPortError: no port has the name asked for.
type noPortError struct {
	name  string
	known []string // the first few names there are
}

func (e noPortError) Error() string { return fmt.Sprintf("no port %q (ports: %v)", e.name, e.known) }

// readModule reads everything a dump shows: the static pages, the fast
// monitors and, inside a freeze, the VDM samples, decoded. It returns what
// was read even when part of it failed (a refused page, a freeze timeout).
func readModule(ctx context.Context, t portset.Port) (*modread.Full, error) {
	return modread.New(t.Mem, modread.Options{NoFreeze: t.NoFreeze}).ReadAll(ctx, time.Now)
}

func reportIO(s i2c.Stats) *report.IO {
	return &report.IO{Transactions: int(s.Transactions), BytesRead: int(s.BytesRead), BytesWritten: int(s.BytesWritten),
		PageSelects: int(s.PageSelects), NACKs: int(s.NACKs), Retries: int(s.Retries), BusTimeUS: s.BusTime.Microseconds()}
}
