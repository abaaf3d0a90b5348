package alarm

import (
	"strings"

	"gopkg.in/yaml.v3"
)

// forecastRule reads forecast: {quantity, within, threshold}.
func (p *parser) forecastRule(n *yaml.Node) *ForecastRule {
	f := &ForecastRule{}
	p.mapping(n, func(key string, k, v *yaml.Node) {
		switch key {
		case "quantity":
			f.Quantity = p.outlookQuantity(v, "forecast.quantity")
		case "within":
			nerr := len(p.errs)
			f.Within = p.duration(v, "forecast.within")
			if f.Within <= 0 && len(p.errs) == nerr {
				p.errf(v.Line, "forecast.within: want a positive duration (like 14d)")
			}
		case "threshold":
			f.Threshold = p.str(v, "forecast.threshold")
			if f.Threshold != "" && f.Threshold != "warning" && f.Threshold != "alarm" {
				p.errf(v.Line, "forecast.threshold %q: want warning or alarm (the class of the module's own thresholds), or leave it out for either", f.Threshold)
			}
		default:
			p.errf(k.Line, "unknown key %q in forecast (quantity, within, threshold)", key)
		}
	})
	if n.Kind == yaml.MappingNode {
		if !hasKey(n, "quantity") {
			p.errf(n.Line, "forecast: give quantity: (rx_power, tx_bias, pre_fec_ber, ...)")
		}
		if !hasKey(n, "within") {
			p.errf(n.Line, "forecast: give within: (fire when a crossing is forecast within this long, like 14d)")
		}
	}
	return f
}

// cohortRule reads cohort: {quantity, z}.
func (p *parser) cohortRule(n *yaml.Node) *CohortRule {
	c := &CohortRule{}
	p.mapping(n, func(key string, k, v *yaml.Node) {
		switch key {
		case "quantity":
			c.Quantity = p.outlookQuantity(v, "cohort.quantity")
		case "z":
			c.Z, _ = p.number(v, "cohort.z")
			if c.Z <= 0 {
				p.errf(v.Line, "cohort.z %v: want a positive robust z-score limit (like 4)", v.Value)
			}
		default:
			p.errf(k.Line, "unknown key %q in cohort (quantity, z)", key)
		}
	})
	if n.Kind == yaml.MappingNode {
		if !hasKey(n, "quantity") {
			p.errf(n.Line, "cohort: give quantity: (rx_power, tx_bias, pre_fec_ber, ...)")
		}
		if !hasKey(n, "z") {
			p.errf(n.Line, "cohort: give z: (fire when the robust z-score among peers is beyond ±z, like 4)")
		}
	}
	return c
}

// outlookQuantity reads a forecast or cohort quantity.
func (p *parser) outlookQuantity(v *yaml.Node, key string) string {
	s := p.str(v, key)
	if s == "" {
		return ""
	}
	q, ok := forecastQuantity(s)
	if !ok {
		p.errf(v.Line, "%s: unknown quantity %q (%s, pre_fec_ber or a VDM observable)", key, s,
			strings.Join(append(append(append([]string(nil), moduleQuantities...), laneQuantities...), "rx_power", "tx_power", "tx_bias", "temperature"), ", "))
		return ""
	}
	return q
}

func hasKey(n *yaml.Node, key string) bool { return valueOf(n, key) != nil }

func valueOf(n *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return resolve(n.Content[i+1])
		}
	}
	return nil
}

// outlookKindRule checks a forecast or cohort rule: the keys of metric
// conditions have no meaning in it, a lane selector only on a lane
// quantity.
func (p *parser) outlookKindRule(r *Rule, rn *ruleNodes, kind string) {
	bad := append([]string{"only", "hysteresis_gap", "clear"}, conditionKeys...)
	if kind == "forecast" {
		r.kind = condForecast
		bad = append(bad, "hysteresis")
	} else {
		r.kind = condCohort
	}
	for _, k := range bad {
		if rn.has(k) {
			p.errf(rn.line(k), "%s has no meaning in a %s rule%s", k, kind, map[bool]string{
				true: " (it clears when the crossing is no longer forecast within the window; clear_for steadies it)", false: ""}[k == "hysteresis" || k == "clear"])
		}
	}
	q := ""
	switch {
	case r.Forecast != nil:
		q = r.Forecast.Quantity
	case r.Cohort != nil:
		q = r.Cohort.Quantity
		if r.Hysteresis >= r.Cohort.Z && r.Cohort.Z > 0 {
			p.errf(rn.line("hysteresis"), "impossible hysteresis: %g is not less than z %g, so the alarm could never clear", r.Hysteresis, r.Cohort.Z)
		}
	}
	if q != "" && !laneQuantity(q) && len(r.Match.Lanes) > 0 {
		p.errf(rn.line("match"), "bad selector: lane on module quantity %s", q)
	}
}
