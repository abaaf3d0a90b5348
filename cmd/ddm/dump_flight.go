package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/ddm-agent/ddm/cmis"
	"github.com/ddm-agent/ddm/flightrec"
)

// dumpFlight prints the flight recorder's last windows of port, as the
// running agent saved them in its state folder.
func dumpFlight(e env, stateDir, port string) int {
	if stateDir == "" {
		errorf(e, "dump --flight: no state folder (give --state-dir)")
		return exitUsage
	}
	path := filepath.Join(stateDir, flightrec.FileName)
	flights, err := flightrec.LoadPort(path, port) // streams the journal: holds this port's flights only
	if errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(e.stdout, "%s: no flight recorded (%s does not exist: no link fault or alarm has fired since the agent started)\n", port, path)
		return exitOK
	}
	if err != nil {
		errorf(e, "dump --flight: %v", err)
		return exitError
	}
	n := 0
	for _, f := range flights {
		if f.Port != port {
			continue
		}
		n++
		printFlight(e.stdout, f)
	}
	if n == 0 {
		fmt.Fprintf(e.stdout, "%s: no flight recorded in %s\n", port, path)
	}
	return exitOK
}

// printFlight prints one flight: its triggers, then a line per reading,
// times from the opening trigger.
func printFlight(w io.Writer, f flightrec.Flight) {
	fmt.Fprintf(w, "Flight %s: %s at %s, %d readings, after-window to %+.3fs\n", f.ID, f.Trigger, f.At.Format("2006-01-02T15:04:05.000Z07:00"),
		len(f.Records), f.Until.Sub(f.At).Seconds())
	for _, tr := range f.Triggers {
		how := "joined"
		if tr.Opened {
			how = "opened"
		}
		fmt.Fprintf(w, "  trigger %+9.3fs %s (%s)\n", tr.At.Sub(f.At).Seconds(), tr.Cause, how)
	}
	if f.Unrecorded > 0 {
		fmt.Fprintf(w, "  and %d more triggers of these causes, counted, not listed (a flight lists %d)\n", f.Unrecorded, flightrec.MaxTriggers)
	}
	fmt.Fprintf(w, "  %10s %4s %9s %9s %9s %7s %6s  %s\n", "t-trigger", "lane", "bias mA", "tx mW", "rx mW", "temp C", "vcc V", "flags")
	for _, r := range f.Records {
		if r.VDM != 0 {
			obs, _ := cmis.LookupObservable(r.VDM)
			fmt.Fprintf(w, "  %+9.3fs %4d  VDM %s = %s %s  %s\n", r.Time.Sub(f.At).Seconds(), r.Lane, obs.Name, vdmNum(r.Value), obs.Unit,
				strings.Join(cmis.LimitFlags(r.Flags).Names(), ","))
			continue
		}
		lane, flags := fmt.Sprint(r.Lane), cmis.LaneFlags(r.Flags).String()
		if r.Lane == 0 {
			lane, flags = "mod", cmis.ModuleFlags(r.Flags).String()
		}
		if r.Scan {
			flags += " (scan)"
		}
		fmt.Fprintf(w, "  %+9.3fs %4s %9s %9s %9s %7s %6s  %s\n", r.Time.Sub(f.At).Seconds(), lane, num(r.TxBiasMA, 2), num(r.TxPowerMW, 4),
			num(r.RxPowerMW, 4), num(r.TemperatureC, 1), num(r.VccV, 3), flags)
	}
}

// vdmNum prints a VDM value: a BER of 1e-7 and a temperature of 45.5
// alike, with 4 significant digits (an F16 sample's precision).
func vdmNum(v float32) string {
	if math.IsNaN(float64(v)) {
		return "-"
	}
	return strconv.FormatFloat(float64(v), 'g', 4, 32)
}

func num(v float32, prec int) string {
	if math.IsNaN(float64(v)) {
		return "-"
	}
	return fmt.Sprintf("%.*f", prec, v)
}
