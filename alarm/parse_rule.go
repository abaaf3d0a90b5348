package alarm

import (
	"regexp"

	"gopkg.in/yaml.v3"
)

// conditionKeys are the keys that make a metric rule's condition.
var conditionKeys = []string{"above", "below", "outside", "rate", "baseline", "absent"}

// ruleNodes remembers where each key of a rule was written, so that the
// checks made after every key is read can still name the line.
type ruleNodes struct {
	ruleLine  int                   // the rule's own line
	keys      map[string]*yaml.Node // key node by name
	values    map[string]*yaml.Node // value node by name
	sevMap    map[string]*yaml.Node // severity per class, when given as a mapping
	onlyLines []int                 // line of each only: entry
}

func (rn *ruleNodes) has(key string) bool { return rn.keys[key] != nil }

// line is the line of key, or the rule's when the key is absent.
func (rn *ruleNodes) line(key string) int {
	if k := rn.keys[key]; k != nil {
		return k.Line
	}
	return rn.ruleLine
}

// vline is the line of key's value, or the rule's when the key is absent.
func (rn *ruleNodes) vline(key string) int {
	if v := rn.values[key]; v != nil {
		return v.Line
	}
	return rn.ruleLine
}

// readRuleKey reads the value of one rule key into the rule.
type readRuleKey func(p *parser, r *Rule, rn *ruleNodes, v *yaml.Node)

// ruleKeys holds a reader for every key a rule may have; what the keys
// mean together is checked once all are read (ruleKind and after).
var ruleKeys = map[string]readRuleKey{
	"name":           func(p *parser, r *Rule, _ *ruleNodes, v *yaml.Node) { r.Name = p.str(v, "name") },
	"disabled":       func(p *parser, r *Rule, _ *ruleNodes, v *yaml.Node) { r.Disabled = p.boolean(v, "disabled") },
	"builtin":        func(p *parser, r *Rule, _ *ruleNodes, v *yaml.Node) { r.Builtin = p.str(v, "builtin") },
	"metric":         func(p *parser, r *Rule, _ *ruleNodes, v *yaml.Node) { r.Metric = p.str(v, "metric") },
	"module_absent":  func(p *parser, r *Rule, _ *ruleNodes, v *yaml.Node) { r.ModuleAbsent = p.duration(v, "module_absent") },
	"forecast":       func(p *parser, r *Rule, _ *ruleNodes, v *yaml.Node) { r.Forecast = p.forecastRule(v) },
	"cohort":         func(p *parser, r *Rule, _ *ruleNodes, v *yaml.Node) { r.Cohort = p.cohortRule(v) },
	"absent":         func(p *parser, r *Rule, _ *ruleNodes, v *yaml.Node) { r.Absent = p.duration(v, "absent") },
	"match":          func(p *parser, r *Rule, _ *ruleNodes, v *yaml.Node) { p.selector(v, &r.Match) },
	"above":          func(p *parser, r *Rule, _ *ruleNodes, v *yaml.Node) { l := p.level(v, "above"); r.Above = &l },
	"below":          func(p *parser, r *Rule, _ *ruleNodes, v *yaml.Node) { l := p.level(v, "below"); r.Below = &l },
	"outside":        (*parser).ruleOutside,
	"rate":           func(p *parser, r *Rule, _ *ruleNodes, v *yaml.Node) { r.Rate = p.rate(v) },
	"baseline":       func(p *parser, r *Rule, _ *ruleNodes, v *yaml.Node) { r.Baseline = p.baseline(v) },
	"clear":          (*parser).ruleClear,
	"hysteresis":     (*parser).ruleHysteresis,
	"hysteresis_gap": (*parser).ruleHysteresisGap,
	"only":           func(p *parser, r *Rule, rn *ruleNodes, v *yaml.Node) { r.Only, rn.onlyLines = p.strList(v, "only") },
	"for":            func(p *parser, r *Rule, _ *ruleNodes, v *yaml.Node) { r.For = p.duration(v, "for") },
	"clear_for":      func(p *parser, r *Rule, _ *ruleNodes, v *yaml.Node) { r.ClearFor = p.duration(v, "clear_for") },
	"severity":       (*parser).ruleSeverityKey,
	"labels":         func(p *parser, r *Rule, _ *ruleNodes, v *yaml.Node) { p.labels(v, r.Labels) },
	"summary":        func(p *parser, r *Rule, _ *ruleNodes, v *yaml.Node) { r.Summary = p.str(v, "summary") },
	"trust_failed_checksum": func(p *parser, r *Rule, _ *ruleNodes, v *yaml.Node) {
		r.TrustFailedChecksum = p.boolean(v, "trust_failed_checksum")
	},
}

// rule reads and validates one rule.
func (p *parser) rule(n *yaml.Node, d *defaults) (Rule, bool) {
	r := Rule{Line: n.Line, For: d.For, ClearFor: d.ClearFor, Labels: map[string]string{},
		TrustFailedChecksum: d.TrustFailedChecksum == nil || *d.TrustFailedChecksum}
	for k, v := range d.Labels {
		r.Labels[k] = v
	}
	rn := &ruleNodes{ruleLine: n.Line, keys: map[string]*yaml.Node{}, values: map[string]*yaml.Node{}}
	nerr := len(p.errs)
	ok := p.mapping(n, func(key string, k, v *yaml.Node) {
		rn.keys[key], rn.values[key] = k, v
		read, known := ruleKeys[key]
		if !known {
			p.errf(k.Line, "unknown key %q in rule", key)
			return
		}
		read(p, &r, rn, v)
	})
	if !ok {
		return r, false
	}
	p.ruleName(&r, rn)
	p.ruleKind(&r, rn, nerr)
	p.ruleTrust(&r, rn)
	p.ruleSeverity(&r, rn)
	p.summary(&r, rn.vline("summary"))
	return r, true
}

func (p *parser) ruleOutside(r *Rule, _ *ruleNodes, v *yaml.Node) {
	if v.Kind != yaml.SequenceNode || len(v.Content) != 2 {
		p.errf(v.Line, "outside: want a band [low, high]")
		return
	}
	r.Outside = &[2]Level{p.level(resolve(v.Content[0]), "outside"), p.level(resolve(v.Content[1]), "outside")}
}

// ruleClear reads clear: one threshold, or a band [low, high].
func (p *parser) ruleClear(r *Rule, _ *ruleNodes, v *yaml.Node) {
	if v.Kind != yaml.SequenceNode {
		f, _ := p.number(v, "clear")
		r.Clear = []float64{f}
		return
	}
	for _, c := range v.Content {
		f, _ := p.number(resolve(c), "clear")
		r.Clear = append(r.Clear, f)
	}
}

func (p *parser) ruleHysteresis(r *Rule, _ *ruleNodes, v *yaml.Node) {
	r.Hysteresis, _ = p.number(v, "hysteresis")
	if r.Hysteresis < 0 {
		p.errf(v.Line, "impossible hysteresis: %v is negative (it is the margin past the threshold the value must come back by)", v.Value)
	}
}

func (p *parser) ruleHysteresisGap(r *Rule, _ *ruleNodes, v *yaml.Node) {
	r.HysteresisGap, _ = p.number(v, "hysteresis_gap")
	if r.HysteresisGap < 0 || r.HysteresisGap > 1 {
		p.errf(v.Line, "hysteresis_gap %v: want a fraction from 0 to 1 of the gap between warning and alarm thresholds", v.Value)
	}
}

// ruleSeverityKey reads severity: one severity, or (for builtin sets) a
// mapping of class to severity that builtinSeverities checks.
func (p *parser) ruleSeverityKey(r *Rule, rn *ruleNodes, v *yaml.Node) {
	if v.Kind == yaml.MappingNode {
		rn.sevMap = map[string]*yaml.Node{}
		p.mapping(v, func(class string, kn, sv *yaml.Node) { rn.sevMap[class] = sv })
		return
	}
	r.Severity = p.severity(v)
}

var ruleName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)

func (p *parser) ruleName(r *Rule, rn *ruleNodes) {
	switch {
	case !rn.has("name"):
		p.errf(r.Line, "rule without a name")
	case !ruleName.MatchString(r.Name):
		p.errf(rn.vline("name"), "rule name %q: use letters, digits, _ and -, at most 32 (it becomes a Grafana alert uid)", r.Name)
	}
}

// ruleKind checks that the rule is exactly one of builtin, metric,
// module_absent, forecast and cohort, then checks it as that kind. nerr is
// the error count before the rule was read.
func (p *parser) ruleKind(r *Rule, rn *ruleNodes, nerr int) {
	kinds := 0
	for _, k := range []string{"builtin", "metric", "module_absent", "forecast", "cohort"} {
		if rn.has(k) {
			kinds++
		}
	}
	switch {
	case kinds == 0:
		p.errf(r.Line, "rule %q needs metric:, builtin:, module_absent:, forecast: or cohort:", r.Name)
	case kinds > 1:
		p.errf(r.Line, "rule %q: metric, builtin, module_absent, forecast and cohort exclude each other", r.Name)
	case rn.has("builtin"):
		p.builtinRule(r, rn)
	case rn.has("module_absent"):
		p.moduleAbsentRule(r, rn, nerr)
	case rn.has("forecast"):
		p.outlookKindRule(r, rn, "forecast")
	case rn.has("cohort"):
		p.outlookKindRule(r, rn, "cohort")
	default:
		p.metricRule(r, rn)
	}
}

func (p *parser) moduleAbsentRule(r *Rule, rn *ruleNodes, nerr int) {
	r.kind = condModuleAbsent
	for _, k := range append([]string{"only", "hysteresis_gap", "clear", "hysteresis"}, conditionKeys...) {
		if rn.has(k) {
			p.errf(rn.line(k), "%s has no meaning in a module_absent rule", k)
		}
	}
	if len(r.Match.Lanes) > 0 {
		p.errf(rn.line("match"), "bad selector: lane has no meaning in a module_absent rule")
	}
	// Only when the rule has no error yet, so that a module_absent: that
	// failed to read is not reported twice.
	if r.ModuleAbsent <= 0 && len(p.errs) == nerr {
		p.errf(rn.vline("module_absent"), "module_absent: want how long the cage must be empty (like 5m)")
	}
}

func (p *parser) ruleTrust(r *Rule, rn *ruleNodes) {
	if k := rn.keys["trust_failed_checksum"]; k != nil && !r.usesModuleThresholds() {
		p.errf(k.Line, "trust_failed_checksum has no meaning in rule %q: it is for builtin module_thresholds and for levels that refer to the module's thresholds (like below: {threshold: low_warning})", r.Name)
	}
}

// ruleSeverity checks that a metric, module_absent, forecast or cohort rule has one
// severity; builtin sets have theirs per class (builtinSeverities).
func (p *parser) ruleSeverity(r *Rule, rn *ruleNodes) {
	if rn.has("builtin") {
		return
	}
	if rn.sevMap != nil {
		p.errf(rn.vline("severity"), "severity: a class mapping is for builtin sets; give one of critical, major, minor, warning")
	} else if !rn.has("severity") {
		p.errf(r.Line, "rule %q has no severity (critical, major, minor, warning)", r.Name)
	}
}

func (p *parser) severity(n *yaml.Node) Severity {
	s, ok := ParseSeverity(n.Value)
	if !ok || n.Kind != yaml.ScalarNode {
		p.errf(n.Line, "unknown severity %s (critical, major, minor, warning)", describe(n))
	}
	return s
}
