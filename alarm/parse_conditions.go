package alarm

import (
	"time"

	"gopkg.in/yaml.v3"
)

// level reads a threshold: a number or {threshold: low_warning, offset: 1}.
func (p *parser) level(n *yaml.Node, key string) Level {
	if n.Kind == yaml.ScalarNode {
		v, _ := p.number(n, key)
		return Level{Value: v}
	}
	var l Level
	found := false
	p.mapping(n, func(k string, kn, v *yaml.Node) {
		switch k {
		case "threshold":
			l.Ref = p.str(v, key+".threshold")
			found = true
			if l.Ref != "" && indexOf(thresholdNames, l.Ref) < 0 {
				p.errf(v.Line, "%s: unknown module threshold %q (high_alarm, low_alarm, high_warning, low_warning)", key, l.Ref)
			}
		case "offset":
			l.Offset, _ = p.number(v, key+".offset")
		default:
			p.errf(kn.Line, "unknown key %q in %s (threshold, offset)", k, key)
		}
	})
	if n.Kind == yaml.MappingNode && !found {
		p.errf(n.Line, "%s: a mapping threshold needs threshold: (the module's own high_alarm, low_alarm, high_warning or low_warning)", key)
	}
	return l
}

// rate reads rate: {above, below, per, percent, resolution}.
func (p *parser) rate(n *yaml.Node) *Rate {
	r := &Rate{Per: time.Hour}
	p.mapping(n, func(key string, k, v *yaml.Node) {
		switch key {
		case "above":
			f, _ := p.number(v, "rate.above")
			r.Above = &f
		case "below":
			f, _ := p.number(v, "rate.below")
			r.Below = &f
		case "per":
			r.Per = p.duration(v, "rate.per")
		case "percent":
			r.Percent = p.boolean(v, "rate.percent")
		case "resolution":
			r.Resolution = p.duration(v, "rate.resolution")
		default:
			p.errf(k.Line, "unknown key %q in rate (above, below, per, percent, resolution)", key)
		}
	})
	if n.Kind == yaml.MappingNode {
		p.rateLimits(n.Line, r)
	}
	return r
}

// rateLimits checks a rate's band and window, and defaults its resolution.
func (p *parser) rateLimits(line int, r *Rate) {
	if r.Above == nil && r.Below == nil {
		p.errf(line, "rate: give above: or below: (change per unit of time)")
	}
	if r.Above != nil && r.Below != nil && *r.Below >= *r.Above {
		p.errf(line, "rate: below %g is not under above %g: the band is empty", *r.Below, *r.Above)
	}
	if r.Per <= 0 {
		p.errf(line, "rate.per must be positive")
	}
	if r.Resolution == 0 && r.Per > 0 {
		r.Resolution = r.Per / 48
	}
	p.checkResolution(line, "rate", r.Per, r.Resolution)
}

// baseline reads baseline: {window, drop, rise, resolution, min_history}.
func (p *parser) baseline(n *yaml.Node) *Baseline {
	b := &Baseline{}
	p.mapping(n, func(key string, k, v *yaml.Node) {
		switch key {
		case "window":
			b.Window = p.duration(v, "baseline.window")
		case "drop":
			b.Drop, _ = p.number(v, "baseline.drop")
		case "rise":
			b.Rise, _ = p.number(v, "baseline.rise")
		case "resolution":
			b.Resolution = p.duration(v, "baseline.resolution")
		case "min_history":
			b.MinHistory = p.duration(v, "baseline.min_history")
		default:
			p.errf(k.Line, "unknown key %q in baseline (window, drop, rise, resolution, min_history)", key)
		}
	})
	if n.Kind == yaml.MappingNode {
		p.baselineLimits(n.Line, b)
	}
	return b
}

// baselineLimits checks a baseline's window and distances, and defaults
// its resolution and minimum history.
func (p *parser) baselineLimits(line int, b *Baseline) {
	if b.Window <= 0 {
		p.errf(line, "baseline.window must be positive (like 24h)")
	}
	if b.Drop < 0 || b.Rise < 0 {
		p.errf(line, "baseline: drop and rise are distances from the baseline, not negative")
	}
	if b.Drop <= 0 && b.Rise <= 0 {
		p.errf(line, "baseline: give drop: or rise: (how far from the trailing median fires)")
	}
	if b.Resolution == 0 {
		b.Resolution = b.Window / 48
	}
	if b.MinHistory == 0 {
		b.MinHistory = b.Window / 4
	}
	if b.MinHistory > b.Window {
		p.errf(line, "baseline.min_history %v is longer than the window %v", b.MinHistory, b.Window)
	}
	p.checkResolution(line, "baseline", b.Window, b.Resolution)
}

// maxBuckets bounds the per-series history ring.
const maxBuckets = 1440

func (p *parser) checkResolution(line int, key string, window, res time.Duration) {
	if window <= 0 {
		return
	}
	switch {
	case res < time.Second:
		p.errf(line, "%s.resolution %v: the per-interval medians must be at least 1s wide", key, res)
	case res > window/2:
		p.errf(line, "%s.resolution %v: at most half of %v, so there are at least two intervals", key, res, window)
	case window/res > maxBuckets:
		p.errf(line, "%s.resolution %v: %v holds more than %d intervals; use a coarser resolution", key, res, window, maxBuckets)
	}
}
