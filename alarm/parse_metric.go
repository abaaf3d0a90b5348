package alarm

import (
	"sort"
	"strings"
)

// metricConditions maps each condition key to its kind and to the checks
// that belong to it alone.
var metricConditions = map[string]struct {
	kind  condKind
	check func(p *parser, r *Rule, rn *ruleNodes)
}{
	"above":    {condAbove, (*parser).checkAbove},
	"below":    {condBelow, (*parser).checkBelow},
	"outside":  {condOutside, (*parser).checkOutside},
	"rate":     {condRate, (*parser).checkRate},
	"baseline": {condBaseline, (*parser).checkBaseline},
	"absent":   {condAbsent, (*parser).checkAbsent},
}

// metricRule validates a metric rule and its one condition.
func (p *parser) metricRule(r *Rule, rn *ruleNodes) {
	p.metricName(r, rn)
	cond, ok := p.oneCondition(r, rn)
	if !ok || !p.clearOrHysteresis(r, rn) {
		return
	}
	c := metricConditions[cond]
	r.kind = c.kind
	c.check(p, r, rn)
}

// metricName looks the metric up and rejects what only builtin sets take.
func (p *parser) metricName(r *Rule, rn *ruleNodes) {
	met, ok := lookupMetric(r.Metric)
	if !ok {
		p.errf(rn.vline("metric"), "unknown metric %q: %s", r.Metric, metricHint(r.Metric))
	}
	r.met = met
	for _, k := range []string{"only", "hysteresis_gap"} {
		if rn.has(k) {
			p.errf(rn.line(k), "%s is for builtin sets, not metric rules", k)
		}
	}
	if ok && met.kind == metModule && len(r.Match.Lanes) > 0 {
		p.errf(rn.line("match"), "bad selector: lane on module metric %s", r.Metric)
	}
}

// oneCondition returns the rule's condition key, or an error when it has
// none or several.
func (p *parser) oneCondition(r *Rule, rn *ruleNodes) (string, bool) {
	var conds []string
	for _, k := range conditionKeys {
		if rn.has(k) {
			conds = append(conds, k)
		}
	}
	// In file order, so the error points at the second one written.
	sort.SliceStable(conds, func(i, j int) bool { return rn.keys[conds[i]].Line < rn.keys[conds[j]].Line })
	switch len(conds) {
	case 1:
		return conds[0], true
	case 0:
		p.errf(r.Line, "rule %q has no condition (above, below, outside, rate, baseline or absent)", r.Name)
	default:
		p.errf(rn.line(conds[1]), "rule %q has more than one condition (%s); write one rule per condition", r.Name, strings.Join(conds, ", "))
	}
	return "", false
}

// clearOrHysteresis checks the checks common to every condition: clear
// and hysteresis exclude each other, and a level that follows the
// module's threshold takes no fixed clear. It reports whether checking
// may go on.
func (p *parser) clearOrHysteresis(r *Rule, rn *ruleNodes) bool {
	cl := rn.line("clear")
	if rn.has("clear") && rn.has("hysteresis") {
		p.errf(cl, "give clear or hysteresis, not both")
	}
	relative := false
	for _, l := range r.levels() {
		if l.Ref != "" {
			relative = true
		}
	}
	if relative && rn.has("clear") {
		p.errf(cl, "clear: the threshold follows the module's own; give hysteresis (a margin) instead")
		return false
	}
	return true
}

// singleClear returns the one clear threshold of a one-sided rule, if
// clear: was given.
func (p *parser) singleClear(r *Rule, rn *ruleNodes) (float64, bool) {
	if r.Clear == nil {
		return 0, false
	}
	if len(r.Clear) != 1 {
		p.errf(rn.line("clear"), "clear: want one threshold")
		return 0, false
	}
	return r.Clear[0], true
}

func (p *parser) checkAbove(r *Rule, rn *ruleNodes) {
	if c, ok := p.singleClear(r, rn); ok && c > r.Above.Value {
		p.errf(rn.line("clear"), "impossible hysteresis: clear %g is above the fire threshold %g; an above rule clears below its threshold", c, r.Above.Value)
	}
}

func (p *parser) checkBelow(r *Rule, rn *ruleNodes) {
	if c, ok := p.singleClear(r, rn); ok && c < r.Below.Value {
		p.errf(rn.line("clear"), "impossible hysteresis: clear %g is below the fire threshold %g; a below rule clears above its threshold", c, r.Below.Value)
	}
}

// checkOutside checks that the band is not empty and that its clear band
// (given, or left by the hysteresis) lies inside it.
func (p *parser) checkOutside(r *Rule, rn *ruleNodes) {
	if r.Outside == nil {
		return
	}
	lo, hi := r.Outside[0], r.Outside[1]
	fixed := lo.Ref == "" && hi.Ref == ""
	if fixed && lo.Value >= hi.Value {
		p.errf(rn.line("outside"), "outside: the band [%g, %g] is empty", lo.Value, hi.Value)
	}
	h := r.Hysteresis
	switch {
	case r.Clear == nil:
		if fixed && lo.Value+h > hi.Value-h {
			p.errf(rn.line("hysteresis"), "impossible hysteresis: %g on each side leaves no clear band inside [%g, %g]", h, lo.Value, hi.Value)
		}
	case len(r.Clear) != 2:
		p.errf(rn.line("clear"), "clear: want a band [low, high] inside the outside band")
	case r.Clear[0] < lo.Value || r.Clear[1] > hi.Value || r.Clear[0] > r.Clear[1]:
		p.errf(rn.line("clear"), "impossible hysteresis: clear band [%g, %g] is not inside [%g, %g]", r.Clear[0], r.Clear[1], lo.Value, hi.Value)
	}
}

// checkRate checks that a rate rule clears on the right side of its fire
// rate, and that a two-sided rate leaves a clear band.
func (p *parser) checkRate(r *Rule, rn *ruleNodes) {
	rt := r.Rate
	if rt == nil {
		return
	}
	twoSided := rt.Above != nil && rt.Below != nil
	if r.Clear != nil {
		p.checkRateClear(r, rn, twoSided)
	}
	if h := r.Hysteresis; twoSided && *rt.Below+h > *rt.Above-h {
		p.errf(rn.line("hysteresis"), "impossible hysteresis: %g leaves no clear band between rate below %g and above %g", h, *rt.Below, *rt.Above)
	}
}

func (p *parser) checkRateClear(r *Rule, rn *ruleNodes, twoSided bool) {
	cl := rn.line("clear")
	if twoSided {
		p.errf(cl, "clear: a two-sided rate takes hysteresis, not clear")
		return
	}
	c, ok := p.singleClear(r, rn)
	if !ok {
		return
	}
	if r.Rate.Above != nil && c > *r.Rate.Above {
		p.errf(cl, "impossible hysteresis: clear %g is above the fire rate %g", c, *r.Rate.Above)
	}
	if r.Rate.Below != nil && c < *r.Rate.Below {
		p.errf(cl, "impossible hysteresis: clear %g is below the fire rate %g", c, *r.Rate.Below)
	}
}

func (p *parser) checkBaseline(r *Rule, rn *ruleNodes) {
	if rn.has("clear") {
		p.errf(rn.line("clear"), "clear: a baseline rule clears relative to its baseline; give hysteresis")
	}
	h := r.Hysteresis
	if b := r.Baseline; b != nil && (b.Drop > 0 && h > b.Drop || b.Rise > 0 && h > b.Rise) {
		p.errf(rn.line("hysteresis"), "impossible hysteresis: %g is more than the drop/rise itself, so clearing needs the value past its own baseline", h)
	}
}

func (p *parser) checkAbsent(r *Rule, rn *ruleNodes) {
	for _, k := range []string{"clear", "hysteresis"} {
		if rn.has(k) {
			p.errf(rn.line(k), "%s has no meaning for absent (it clears when data returns)", k)
		}
	}
	if r.Absent <= 0 && rn.has("absent") {
		p.errf(rn.vline("absent"), "absent: want how long without data (like 5m)")
	}
}
