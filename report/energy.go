package report

import (
	"fmt"
	"math"

	"github.com/ddm-agent/ddm/energy"
)

// energy prints a module's energy view on one line: its power and where
// the figure comes from, its data rate, its energy per bit and how that
// compares with its class.
func (p *printer) energy(e *energy.Port) {
	if e == nil {
		return
	}
	power := "no power advertised"
	if e.PowerW != nil {
		power = fmt.Sprintf("%.2f W %s", *e.PowerW, e.Basis)
	}
	var limit string
	switch {
	case e.LoadFraction != nil:
		limit = fmt.Sprintf(" (%s; %.0f %% of the advertised %.2f W%s)", e.MeasuredFrom, 100**e.LoadFraction, *e.MaxPowerW, nearLimit(e.NearLimit))
	case e.MaxPowerW != nil && e.PowerClass > 0:
		limit = fmt.Sprintf(" (power class %d maximum)", e.PowerClass)
	}
	rate := "no data rate: " + e.Rate.From
	if e.RateKnown {
		rate = fmt.Sprintf("%g Gb/s (%d lanes × %g Gb/s, %s)", e.Rate.Gbps, e.Rate.Lanes, e.Rate.LaneGbps, e.Rate.From)
		if e.Rate.LaneGbps == 0 {
			rate = fmt.Sprintf("%g Gb/s (%d lanes, %s)", e.Rate.Gbps, e.Rate.Lanes, e.Rate.From)
		}
	}
	p.line("Energy", "%s%s", power, limit)
	p.line("", "%s", rate)
	if e.PJPerBit != nil {
		ref := "no reference class"
		if r := e.Reference; r != nil {
			ref = fmt.Sprintf("%s: %s its %.4g–%.4g pJ/bit", r.Class, r.Verdict, r.MinPJ, r.MaxPJ)
		}
		p.line("", "%.2f pJ/bit (%s)", *e.PJPerBit, ref)
	}
}

func nearLimit(near bool) string {
	if near {
		return ", near its limit"
	}
	return ""
}

// roundedEnergy is e with its computed figures rounded to what their
// inputs carry: mW for watts, 0.001 pJ/bit.
func roundedEnergy(e *energy.Port) *energy.Port {
	c := *e
	r := func(v *float64) *float64 {
		if v == nil {
			return nil
		}
		x := math.Round(*v*1000) / 1000 // dividing by a power of ten leaves no binary residue
		return &x
	}
	c.MeasuredW, c.PJPerBit, c.LoadFraction = r(e.MeasuredW), r(e.PJPerBit), r(e.LoadFraction)
	if e.Basis == energy.Measured {
		c.PowerW = c.MeasuredW
	}
	return &c
}
