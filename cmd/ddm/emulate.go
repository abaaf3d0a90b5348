package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"periph.io/x/conn/v3/physic"

	"github.com/ddm-agent/ddm/cmis"
	"github.com/ddm-agent/ddm/cmis/dumpfile"
	"github.com/ddm-agent/ddm/emulator"
	"github.com/ddm-agent/ddm/internal/plural"
	"github.com/ddm-agent/ddm/portset"
)

// cmdEmulate shows the emulator's profiles and platforms and writes the
// memory of emulated modules, at a chosen point of their scenarios, as dump
// files (which `ddm decode` reads and `--emulate file:PATH` serves again).
// The agent and `ddm dump` use the emulator through --emulate.
func cmdEmulate(_ context.Context, e env, args []string) int {
	fs := newFlags(e, "emulate")
	list := fs.Bool("list", false, "list the built-in profiles")
	at := fs.Duration("at", 0, "scenario time at which to take the memory (with --out)")
	out := fs.String("out", "", "write each port's memory at --at to DIR/<port>.txt")
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "usage: ddm emulate [--list] [PROFILE|PLATFORM.yaml|default] [--out DIR [--at 5m]]\n\n"+
			"Without --out, prints the platform: its ports, buses, profiles and scenarios. Every other command\n"+
			"takes --emulate to run on the emulator (ddm run --emulate, ddm dump --emulate=osfp-800g-dr8).\n\n")
		fs.PrintDefaults()
	}
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	if *list {
		tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "profile\tdescription")
		for _, name := range emulator.Profiles() {
			p, _ := emulator.LookupProfile(name)
			fmt.Fprintf(tw, "%s\t%s\n", name, p.Description)
		}
		fmt.Fprintf(tw, "file:PATH\tany dump in ddm's text format\n")
		tw.Flush()
		return exitOK
	}
	what := "default"
	if fs.NArg() > 1 {
		fs.Usage()
		return exitUsage
	}
	if fs.NArg() == 1 {
		what = fs.Arg(0)
	}
	// A manual clock: the memory is taken at exactly --at into the scenarios.
	origin := time.Now().Truncate(time.Second)
	clk := emulator.NewManualClock(origin)
	opts := []emulator.Option{emulator.WithClock(clk), emulator.WithOrigin(origin), emulator.WithInsertion(origin.Add(-time.Hour))}
	pl, err := portset.Platform(what, 400*physic.KiloHertz, opts)
	if err != nil {
		errorf(e, "emulate: %v", err)
		return exitUsage
	}
	if *out == "" {
		printPlatform(e, pl)
		return exitOK
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		errorf(e, "emulate: %v", err)
		return exitError
	}
	// Step the clock up to --at so the dynamics integrate as they would live.
	for step := time.Second; clk.Now().Sub(origin) < *at; {
		clk.Advance(min(step, *at-clk.Now().Sub(origin)))
		for _, p := range pl.Ports() {
			if m := pl.Module(p.Name); m != nil {
				m.Snapshot()
			}
		}
	}
	n := 0
	for _, p := range pl.Ports() {
		m := pl.Module(p.Name)
		var s *cmis.Snapshot
		if m != nil {
			s = m.Snapshot()
		}
		if s == nil {
			fmt.Fprintf(e.stderr, "emulate: port %s is empty at %v\n", p.Name, *at)
			continue
		}
		file := filepath.Join(*out, strings.NewReplacer("/", "_", " ", "_").Replace(p.Name)+".txt")
		f, err := os.Create(file)
		if err != nil {
			errorf(e, "emulate: %v", err)
			return exitError
		}
		d := &dumpfile.Dump{Comments: []string{
			fmt.Sprintf("Emulated module: port %s of platform %s, profile %s, at scenario time %v.", p.Name, pl.Name(), p.Profile, *at),
			"Written by ddm emulate; not a real module.",
		}, Snapshots: []*cmis.Snapshot{s}}
		err = dumpfile.Write(f, d)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			errorf(e, "emulate: %s: %v", file, err)
			return exitError
		}
		n++
	}
	fmt.Fprintf(e.stdout, "wrote %s to %s (scenario time %v)\n", plural.Count(n, "module dump", "module dumps"), *out, *at)
	return exitOK
}

func printPlatform(e env, pl *emulator.Platform) {
	fmt.Fprintf(e.stdout, "platform %s: %s on %s\n\n", pl.Name(), plural.Count(len(pl.Ports()), "port", "ports"), plural.Count(len(pl.Buses()), "bus", "buses"))
	tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "port\tbus\troot\taddress\tprofile")
	for _, p := range pl.Ports() {
		prof := p.Profile
		if p.Absent {
			prof = "(empty)"
		}
		root := "-"
		if b := pl.Buses()[p.Bus]; b != nil {
			root = b.Root().String()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t0x%02x\t%s\n", p.Name, p.Bus, root, p.Address, prof)
	}
	tw.Flush()
	if sc := pl.Scenarios(); len(sc) > 0 {
		fmt.Fprintf(e.stdout, "\nscenarios\n")
		for _, s := range sc {
			fmt.Fprintf(e.stdout, "  %-14s %-14s lane %d  start %v  duration %v  every %v  rate %g  target %g\n",
				s.Port, s.Kind, s.Lane, s.Start, s.Duration, s.Every, s.Rate, s.Target)
		}
	}
}
