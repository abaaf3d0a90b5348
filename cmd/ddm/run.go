package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/pflag"
)

// Exit codes.
const (
	exitOK    = 0
	exitError = 1 // the command failed (a module could not be read, ...)
	exitUsage = 2 // bad arguments or bad input (a broken dump file)
)

// env is what a command may touch: its streams. Commands get no globals.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	// onFlags, if set, is given each flag set a command makes (shell
	// completion reads the commands' flags through it).
	onFlags func(*pflag.FlagSet)
}

type command struct {
	name, summary string
	run           func(ctx context.Context, e env, args []string) int
}

func commands() []command {
	return []command{
		{"run", "the agent: poll modules, evaluate alarms, stream to InfluxDB", cmdRun},
		{"top", "live view of the ports: margins, pre-FEC BER, temperature, flags, alarms", cmdTop},
		{"dump", "read modules once: identity, lanes, thresholds, flags, VDM, bus I/O", cmdDump},
		{"energy", "power, data rate and energy per bit of every module, against reference ranges", cmdEnergy},
		{"decode", "decode saved module dumps (ddm, ethtool -m hex, optoe, raw binaries)", cmdDecode},
		{"rules", "check, print, test (emulated) and export (Grafana) alarm rules", cmdRules},
		{"emulate", "show emulated switches; write emulated modules' memory as dumps", cmdEmulate},
		{"summary", "what arrived in InfluxDB: per-port summary and alarms", cmdSummary},
		{"forecast", "days to threshold per lane, cohort outliers, from line protocol files", cmdForecast},
		{"version", "print the module version, commit and Go version", cmdVersion},
		{"completion", "print the bash, zsh or fish completion script", cmdCompletion},
	}
}

// run is main without the process: it parses args, runs one command and
// returns the exit code, so tests can drive every command in-process.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := env{stdin: stdin, stdout: stdout, stderr: stderr}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(e.stderr)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	if args[0] == "__complete" { // the completion scripts' helper, not listed
		return cmdComplete(ctx, e, args[1:])
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, e, args[1:])
		}
	}
	fmt.Fprintf(e.stderr, "ddm: unknown command %q\n\n", args[0])
	usage(e.stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "usage: ddm COMMAND [flags]\n\ncommands:\n")
	// Names and what they do in two aligned columns; each command's
	// synopsis is in its --help.
	tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
	for _, c := range commands() {
		fmt.Fprintf(tw, "  %s\t%s\n", c.name, c.summary)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nRun 'ddm COMMAND --help' for a command's synopsis and flags.\n")
}

// newFlags returns a flag set that reports errors instead of exiting.
func newFlags(e env, c string) *pflag.FlagSet {
	fs := pflag.NewFlagSet("ddm "+c, pflag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.SortFlags = false
	if e.onFlags != nil {
		e.onFlags(fs)
	}
	return fs
}

// parseFlags parses and returns the exit code to use if parsing ended the
// command (help or error), or -1 to go on.
func parseFlags(fs *pflag.FlagSet, args []string) int {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return exitOK
		}
		fmt.Fprintf(fs.Output(), "%s: %v\n", fs.Name(), err)
		return exitUsage
	}
	return -1
}

func errorf(e env, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if !strings.HasPrefix(msg, "ddm") {
		msg = "ddm: " + msg
	}
	fmt.Fprintln(e.stderr, msg)
}
