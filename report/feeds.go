package report

import (
	"strconv"

	"github.com/ddm-agent/ddm/topology"
)

// feeds prints the optical topology around a module: each laser that
// lights it (or that it is), its state, and the engine lanes and port it
// lights.
func (p *printer) feeds(fs []topology.LaserView) {
	if len(fs) == 0 {
		return
	}
	p.printf("Laser feeds   (laser source -> engine lanes)\n  %-14s %-8s %10s  %-7s  %s\n", "laser", "state", "power mW", "flags", "lights")
	for _, f := range fs {
		state, power, flags := "not read", "-", "-"
		if f.Read {
			state, power = dash(f.State), num("%.2f", f.PowerMW)
			switch {
			case f.Fault:
				flags = "fault"
			case f.Warning:
				flags = "warning"
			}
		}
		p.printf("  %-14s %-8s %10s  %-7s  %s\n", f.Source+" laser "+strconv.Itoa(f.Laser), state, power, flags, f.Where())
	}
}
