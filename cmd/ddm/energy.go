package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/ddm-agent/ddm/energy"
	"github.com/ddm-agent/ddm/i2c"
)

// cmdEnergy reads every module once and prints the switch's energy view:
// per port the power (advertised or measured), data rate and energy per
// bit against the reference range of its class, then the switch totals
// and the totals per part number.
func cmdEnergy(ctx context.Context, e env, args []string) int {
	fs := newFlags(e, "energy")
	var pf portFlags
	pf.register(fs)
	asJSON := fs.Bool("json", false, "print one JSON object: ports, switch, by_part, references")
	timeout := fs.Duration("timeout", 10*time.Second, "give up on a module after this long")
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "usage: ddm energy [PORT...] [--json] [--emulate [PROFILE|PLATFORM.yaml]] [--config FILE]\n\n"+
			"Reads each module once and prints its power (advertised maximum, or measured where the module\n"+
			"reports its supply current), the data rate of its active application and its energy per bit,\n"+
			"compared with the reference range of its class (docs/ENERGY.md); then the switch's totals.\n\n")
		fs.PrintDefaults()
	}
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	ts, selected, code := openSelected(e, "energy", &pf, pf.positional(fs, args), false)
	if ts == nil {
		return code
	}
	defer ts.Close()
	var ports []*energy.Port
	for _, t := range selected {
		rctx, cancel := context.WithTimeout(ctx, *timeout)
		full, err := readModule(rctx, t)
		cancel()
		if err != nil && full == nil {
			if errors.Is(err, i2c.ErrAbsent) {
				continue // an empty cage draws nothing
			}
			errorf(e, "energy: port %s: %v", t.Name, err)
			code = exitError
			continue
		}
		if err != nil {
			errorf(e, "energy: port %s: %v (decoded what was read)", t.Name, err)
		}
		ports = append(ports, energy.ForModule(t.Name, full.Module))
	}
	var err error
	if *asJSON {
		err = json.NewEncoder(e.stdout).Encode(struct {
			Ports      []*energy.Port     `json:"ports"`
			Switch     energy.Switch      `json:"switch"`
			ByPart     []energy.Part      `json:"by_part"`
			References []energy.Reference `json:"references"`
		}{ports, energy.Total(ports), energy.ByPart(ports), energy.References()})
	} else {
		err = energyText(e.stdout, ports)
	}
	if err != nil {
		errorf(e, "energy: %v", err)
		return exitError
	}
	return code
}

// energyText prints the per-port table, the switch line and the
// per-part-number table.
func energyText(w io.Writer, ports []*energy.Port) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PORT\tPART NUMBER\tPOWER\tBASIS\tDATA RATE\tPJ/BIT\tCLASS\tREFERENCE")
	for _, p := range ports {
		ref, class := "-", "-"
		if r := p.Reference; r != nil {
			class, ref = r.Class, fmt.Sprintf("%s %.4g–%.4g", r.Verdict, r.MinPJ, r.MaxPJ)
		}
		basis := string(p.Basis)
		if p.LoadFraction != nil {
			basis += fmt.Sprintf(" (%.0f %% of max%s)", 100**p.LoadFraction, map[bool]string{true: ", near limit"}[p.NearLimit])
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", p.Port, dashIfEmpty(p.PartNumber), optUnit(p.PowerW, "%.2f W"), dashIfEmpty(basis),
			rateText(p), optUnit(p.PJPerBit, "%.2f"), class, ref)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	s := energy.Total(ports)
	fmt.Fprintf(w, "\nSwitch: %d modules, %.1f W (%d advertised maxima, %d measured), %.2f Tb/s, %s per Tb/s, %s; %d of %d modules with a measured power near their limit%s\n",
		s.Ports, s.PowerW, s.Advertised, s.Measured, s.RateGbps/1000, optUnit(s.WPerTbps, "%.2f W"), optUnit(s.PJPerBit, "%.2f pJ/bit"),
		s.NearLimit, s.LimitKnown, percent(s.NearLimitShare))
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\nPART NUMBER\tMODULES\tPOWER\tDATA RATE\tPJ/BIT")
	for _, p := range energy.ByPart(ports) {
		fmt.Fprintf(tw, "%s\t%d\t%.1f W\t%s\t%s\n", dashIfEmpty(p.PartNumber), p.Ports, p.PowerW, gbpsText(p.RateGbps), optUnit(p.PJPerBit, "%.2f"))
	}
	return tw.Flush()
}

func percent(share *float64) string {
	if share == nil {
		return ""
	}
	return fmt.Sprintf(" (%.0f %%)", 100**share)
}

func rateText(p *energy.Port) string {
	if !p.RateKnown {
		return "-"
	}
	return gbpsText(p.Rate.Gbps)
}

func gbpsText(g float64) string {
	if g == 0 {
		return "-"
	}
	return fmt.Sprintf("%g Gb/s", g)
}

func optUnit(v *float64, format string) string {
	if v == nil {
		return "-"
	}
	return fmt.Sprintf(format, *v)
}

func dashIfEmpty(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
