package alarm

import (
	"strings"
)

// builtinRule validates a built-in rule set entry.
func (p *parser) builtinRule(r *Rule, rn *ruleNodes) {
	classes, names, ok := builtinSet(r)
	if !ok {
		p.errf(rn.vline("builtin"), "unknown builtin %q (module_thresholds, vdm_thresholds, latched_flags)", r.Builtin)
		return
	}
	p.builtinKeys(r, rn)
	p.builtinOnly(r, rn, names)
	p.builtinSeverities(r, rn, classes)
}

// builtinSet sets the rule's kind from its builtin: and returns the
// severity classes of the set and which names only: may give.
func builtinSet(r *Rule) (classes []string, names func(string) bool, ok bool) {
	switch r.Builtin {
	case BuiltinModuleThresholds:
		r.kind = condModuleThresholds
		return classNames[:2], func(s string) bool { return indexOf(moduleQuantities, s) >= 0 || indexOf(laneQuantities, s) >= 0 }, true
	case BuiltinVDMThresholds:
		r.kind = condVDMThresholds
		return classNames[:2], func(s string) bool { return vdmObservables[s] || isVDMTypeName(s) }, true
	case BuiltinLatchedFlags:
		r.kind = condFlags
		return classNames, func(s string) bool { return indexOf(laneFlagNames, s) >= 0 || indexOf(moduleFlagNames, s) >= 0 }, true
	}
	return nil, nil, false
}

// builtinKeys rejects the keys of metric conditions: a built-in set's
// thresholds are the module's own.
func (p *parser) builtinKeys(r *Rule, rn *ruleNodes) {
	for _, k := range append([]string{"clear", "hysteresis"}, conditionKeys...) {
		if rn.has(k) {
			p.errf(rn.line(k), "%s has no meaning in builtin %s (its thresholds are the module's own%s)", k, r.Builtin,
				map[bool]string{true: "; use hysteresis_gap", false: ""}[k == "hysteresis" || k == "clear"])
		}
	}
	if r.Builtin == BuiltinLatchedFlags && rn.has("hysteresis_gap") {
		p.errf(rn.line("hysteresis_gap"), "hysteresis_gap has no meaning for latched_flags (use clear_for)")
	}
	if !rn.has("hysteresis_gap") {
		r.HysteresisGap = 0.5
	}
}

// builtinOnly checks each only: name against the set's names.
func (p *parser) builtinOnly(r *Rule, rn *ruleNodes, names func(string) bool) {
	for i, s := range r.Only {
		if !names(s) {
			p.errf(rn.onlyLines[i], "only: %q is not a %s name", s, map[string]string{
				BuiltinModuleThresholds: "monitored quantity (temperature_c, vcc_v, laser_temperature_c, tec_current_pct, vcc2_v, tx_bias_ma, tx_power_mw, rx_power_mw)",
				BuiltinVDMThresholds:    "VDM observable",
				BuiltinLatchedFlags:     "lane or module flag",
			}[r.Builtin])
		}
	}
}

// builtinSeverities gives each class its severity: alarm → critical,
// warning → warning, fault → major unless the file says otherwise, with
// one severity: for all classes or a mapping per class.
func (p *parser) builtinSeverities(r *Rule, rn *ruleNodes, classes []string) {
	r.Severities = map[string]Severity{"alarm": Critical, "warning": Warning}
	if r.Builtin == BuiltinLatchedFlags {
		r.Severities["fault"] = Major
	}
	if r.Severity != SeverityNone {
		for c := range r.Severities {
			r.Severities[c] = r.Severity
		}
	}
	for _, c := range sortedKeys(rn.sevMap) {
		v := rn.sevMap[c]
		if indexOf(classes, c) < 0 {
			p.errf(v.Line, "severity: unknown class %q for %s (%s)", c, r.Builtin, strings.Join(classes, ", "))
			continue
		}
		r.Severities[c] = p.severity(v)
	}
}
