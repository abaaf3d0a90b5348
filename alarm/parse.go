package alarm

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"text/template"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/ddm-agent/ddm/internal/fileerr"
	"github.com/ddm-agent/ddm/internal/tagvalue"
)

// parser walks the YAML node tree, so that every problem names its line,
// and collects every problem rather than stopping at the first.
type parser struct {
	file string
	errs []*Error
}

func (p *parser) errf(line int, format string, args ...any) {
	p.errs = append(p.errs, &Error{File: p.file, Line: line, Msg: fmt.Sprintf(format, args...)})
}

// defaults are the file-wide values a rule inherits.
type defaults struct {
	For, ClearFor       time.Duration
	Labels              map[string]string
	TrustFailedChecksum *bool
}

// MaxFileSize bounds a rules file. The built-in rules are about 10 KiB;
// YAML parsing costs many times a file's size in memory (an 8 MB file took
// over 1 GB).
const MaxFileSize = 1 << 20

func parse(name string, b []byte) (*Rules, []*Error) {
	p := &parser{file: name}
	if len(b) > MaxFileSize {
		return nil, []*Error{{File: name, Msg: fmt.Sprintf("%d bytes, more than the %d KiB a rules file may have", len(b), MaxFileSize>>10)}}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, []*Error{fileerr.FromYAML(name, b, err)}
	}
	if len(doc.Content) == 0 {
		return nil, []*Error{{File: name, Msg: "empty rules file: want version: 1 and a rules: list"}}
	}
	root := resolve(doc.Content[0])
	if root.Kind != yaml.MappingNode {
		p.errf(root.Line, "a rules file is a mapping with version, defaults and rules")
		return nil, p.errs
	}
	rs := &Rules{File: name, Version: 1}
	var d defaults
	var list *yaml.Node
	p.mapping(root, func(key string, k, v *yaml.Node) {
		switch key {
		case "version":
			if n, ok := p.number(v, key); ok && n != 1 {
				p.errf(v.Line, "version %v is not supported (this ddm reads version 1)", v.Value)
			}
		case "defaults":
			p.defaults(v, &d)
		case "rules":
			list = v
		default:
			p.errf(k.Line, "unknown key %q (version, defaults, rules)", key)
		}
	})
	if list == nil {
		p.errf(root.Line, "no rules: list")
	} else if list.Kind != yaml.SequenceNode {
		if !(list.Kind == yaml.ScalarNode && list.Tag == "!!null") {
			p.errf(list.Line, "rules must be a list")
		}
	} else {
		seen := map[string]int{}
		for _, item := range list.Content {
			r, ok := p.rule(resolve(item), &d)
			if !ok {
				continue
			}
			if l, dup := seen[r.Name]; dup && r.Name != "" {
				p.errf(r.Line, "rule %q is defined twice (first at line %d)", r.Name, l)
				continue
			}
			seen[r.Name] = r.Line
			rs.Rules = append(rs.Rules, r)
		}
	}
	if len(p.errs) > 0 {
		sortErrors(p.errs)
		return nil, p.errs
	}
	return rs, nil
}

// resolve follows aliases.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && n.Alias != nil && i < 16; i++ {
		n = n.Alias
	}
	return n
}

// mapping calls fn for each key of a mapping node, in order; a repeated
// key is an error.
func (p *parser) mapping(n *yaml.Node, fn func(key string, k, v *yaml.Node)) bool {
	n = resolve(n)
	if n.Kind != yaml.MappingNode {
		p.errf(n.Line, "want a mapping (key: value), got %s", describe(n))
		return false
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), resolve(n.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			p.errf(k.Line, "a key must be a plain name")
			continue
		}
		if seen[k.Value] {
			p.errf(k.Line, "key %q is given twice", k.Value)
			continue
		}
		seen[k.Value] = true
		fn(k.Value, k, v)
	}
	return true
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("%q", n.Value)
	}
	return "nothing"
}

func (p *parser) str(n *yaml.Node, key string) string {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		p.errf(n.Line, "%s: want a string, got %s", key, describe(n))
		return ""
	}
	return n.Value
}

func (p *parser) boolean(n *yaml.Node, key string) bool {
	if n.Kind == yaml.ScalarNode {
		switch n.Value {
		case "true", "yes", "on":
			return true
		case "false", "no", "off":
			return false
		}
	}
	p.errf(n.Line, "%s: want true or false, got %s", key, describe(n))
	return false
}

func (p *parser) number(n *yaml.Node, key string) (float64, bool) {
	if n.Kind == yaml.ScalarNode {
		v, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64)
		if err == nil && !math.IsNaN(v) && !math.IsInf(v, 0) {
			return v, true
		}
	}
	p.errf(n.Line, "%s: want a number, got %s", key, describe(n))
	return 0, false
}

// duration reads a Go duration ("90s", "10m", "24h") or whole days ("7d").
// Negative durations are errors.
func (p *parser) duration(n *yaml.Node, key string) time.Duration {
	if n.Kind == yaml.ScalarNode {
		if d, err := parseDuration(n.Value); err == nil {
			if d < 0 {
				p.errf(n.Line, "%s: %s is negative", key, n.Value)
				return 0
			}
			return d
		}
	}
	p.errf(n.Line, "%s: want a duration (like 30s, 10m, 24h, 7d), got %s", key, describe(n))
	return 0
}

func parseDuration(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseFloat(days, 64)
		if err != nil || math.IsNaN(n) || math.Abs(n) > 365*100 {
			return 0, fmt.Errorf("bad duration %q", s)
		}
		return time.Duration(n * float64(24*time.Hour)), nil
	}
	return time.ParseDuration(s)
}

// strList reads a scalar or a list of scalars; lines holds each one's line.
func (p *parser) strList(n *yaml.Node, key string) (vals []string, lines []int) {
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			break
		}
		return []string{n.Value}, []int{n.Line}
	case yaml.SequenceNode:
		for _, c := range n.Content {
			c = resolve(c)
			if c.Kind != yaml.ScalarNode {
				p.errf(c.Line, "%s: want a name, got %s", key, describe(c))
				continue
			}
			vals = append(vals, c.Value)
			lines = append(lines, c.Line)
		}
		return vals, lines
	}
	p.errf(n.Line, "%s: want a name or a list of names, got %s", key, describe(n))
	return nil, nil
}

var labelName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// reservedLabels are the tags of xcvr_alarm points and Grafana's own
// labels: a rule label may not shadow them.
var reservedLabels = map[string]bool{
	"host": true, "port": true, "lane": true, "rule": true, "severity": true,
	"observable": true, "side": true, "limit": true, "state": true, "alertname": true, "metric": true,
}

func (p *parser) labels(n *yaml.Node, into map[string]string) {
	p.mapping(n, func(key string, k, v *yaml.Node) {
		switch {
		case !labelName.MatchString(key):
			p.errf(k.Line, "label %q: a label name is letters, digits and _, not starting with a digit", key)
		case reservedLabels[key]:
			p.errf(k.Line, "label %q is set by ddm itself (host, port, lane, rule, severity, observable, side, limit, state, metric)", key)
		case len(into) >= MaxLabels:
			p.errf(k.Line, "more than %d labels", MaxLabels)
		default:
			val := p.str(v, "label "+key)
			if err := tagvalue.Check(val); err != nil {
				p.errf(v.Line, "label %s: value %v", key, err)
				return
			}
			into[key] = val
		}
	})
}

func (p *parser) defaults(n *yaml.Node, d *defaults) {
	p.mapping(n, func(key string, k, v *yaml.Node) {
		switch key {
		case "for":
			d.For = p.duration(v, key)
		case "clear_for":
			d.ClearFor = p.duration(v, key)
		case "labels":
			d.Labels = map[string]string{}
			p.labels(v, d.Labels)
		case "trust_failed_checksum":
			b := p.boolean(v, key)
			d.TrustFailedChecksum = &b
		default:
			p.errf(k.Line, "unknown key %q in defaults (for, clear_for, labels, trust_failed_checksum)", key)
		}
	})
}

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

func (p *parser) selector(n *yaml.Node, s *Selector) {
	globs := func(v *yaml.Node, key string, dst *[]string, m **matcher) {
		vals, lines := p.strList(v, key)
		for i, g := range vals {
			if _, _, err := GlobRegexp(g); err != nil {
				p.errf(lines[i], "match.%s: bad selector: %v", key, err)
				return
			}
		}
		*dst = vals
		*m, _ = compileGlobs(vals)
	}
	p.mapping(n, func(key string, k, v *yaml.Node) {
		switch key {
		case "port":
			globs(v, key, &s.Port, &s.port)
		case "identifier":
			globs(v, key, &s.Identifier, &s.ident)
		case "vendor":
			globs(v, key, &s.Vendor, &s.vendor)
		case "part_number":
			globs(v, key, &s.PartNumber, &s.pn)
		case "media_interface":
			globs(v, key, &s.MediaInterface, &s.media)
		case "lane":
			p.lanes(v, s)
		default:
			p.errf(k.Line, "unknown selector %q (port, lane, identifier, vendor, part_number, media_interface)", key)
		}
	})
}

// lanes reads 3, [1, 2], "1-4" or ["1-4", 8].
func (p *parser) lanes(n *yaml.Node, s *Selector) {
	vals, lines := p.strList(n, "match.lane")
	for i, v := range vals {
		lo, hi, isRange := strings.Cut(v, "-")
		a, err1 := strconv.Atoi(strings.TrimSpace(lo))
		b := a
		var err2 error
		if isRange {
			b, err2 = strconv.Atoi(strings.TrimSpace(hi))
		}
		if err1 != nil || err2 != nil || a < 1 || b > 64 || a > b {
			p.errf(lines[i], "match.lane: bad selector %q: lanes are 1-64, written 3 or 1-4", v)
			continue
		}
		for l := a; l <= b; l++ {
			if s.laneMask&(1<<(l-1)) == 0 {
				s.Lanes = append(s.Lanes, l)
			}
			s.laneMask |= 1 << (l - 1)
		}
	}
}

// conditionKeys are the keys that make a metric rule's condition.
var conditionKeys = []string{"above", "below", "outside", "rate", "baseline", "absent"}

// rule reads and validates one rule.
func (p *parser) rule(n *yaml.Node, d *defaults) (Rule, bool) {
	r := Rule{Line: n.Line, For: d.For, ClearFor: d.ClearFor, Labels: map[string]string{},
		TrustFailedChecksum: d.TrustFailedChecksum == nil || *d.TrustFailedChecksum}
	for k, v := range d.Labels {
		r.Labels[k] = v
	}
	keys := map[string]*yaml.Node{}   // key node by name
	values := map[string]*yaml.Node{} // value node by name
	var sevMap map[string]*yaml.Node
	var onlyLines []int
	nerr := len(p.errs)
	ok := p.mapping(n, func(key string, k, v *yaml.Node) {
		keys[key], values[key] = k, v
		switch key {
		case "name":
			r.Name = p.str(v, key)
		case "disabled":
			r.Disabled = p.boolean(v, key)
		case "builtin":
			r.Builtin = p.str(v, key)
		case "metric":
			r.Metric = p.str(v, key)
		case "module_absent":
			r.ModuleAbsent = p.duration(v, key)
		case "absent":
			r.Absent = p.duration(v, key)
		case "match":
			p.selector(v, &r.Match)
		case "above":
			l := p.level(v, key)
			r.Above = &l
		case "below":
			l := p.level(v, key)
			r.Below = &l
		case "outside":
			if v.Kind != yaml.SequenceNode || len(v.Content) != 2 {
				p.errf(v.Line, "outside: want a band [low, high]")
				return
			}
			r.Outside = &[2]Level{p.level(resolve(v.Content[0]), key), p.level(resolve(v.Content[1]), key)}
		case "rate":
			r.Rate = p.rate(v)
		case "baseline":
			r.Baseline = p.baseline(v)
		case "clear":
			if v.Kind == yaml.SequenceNode {
				for _, c := range v.Content {
					f, _ := p.number(resolve(c), key)
					r.Clear = append(r.Clear, f)
				}
			} else {
				f, _ := p.number(v, key)
				r.Clear = []float64{f}
			}
		case "hysteresis":
			r.Hysteresis, _ = p.number(v, key)
			if r.Hysteresis < 0 {
				p.errf(v.Line, "impossible hysteresis: %v is negative (it is the margin past the threshold the value must come back by)", v.Value)
			}
		case "hysteresis_gap":
			r.HysteresisGap, _ = p.number(v, key)
			if r.HysteresisGap < 0 || r.HysteresisGap > 1 {
				p.errf(v.Line, "hysteresis_gap %v: want a fraction from 0 to 1 of the gap between warning and alarm thresholds", v.Value)
			}
		case "only":
			r.Only, onlyLines = p.strList(v, key)
		case "for":
			r.For = p.duration(v, key)
		case "clear_for":
			r.ClearFor = p.duration(v, key)
		case "severity":
			if v.Kind == yaml.MappingNode {
				sevMap = map[string]*yaml.Node{}
				p.mapping(v, func(class string, kn, sv *yaml.Node) { sevMap[class] = sv })
				return
			}
			r.Severity = p.severity(v)
		case "labels":
			p.labels(v, r.Labels)
		case "summary":
			r.Summary = p.str(v, key)
		case "trust_failed_checksum":
			r.TrustFailedChecksum = p.boolean(v, key)
		default:
			p.errf(k.Line, "unknown key %q in rule", key)
		}
	})
	if !ok {
		return r, false
	}
	line := func(key string) int {
		if k := keys[key]; k != nil {
			return k.Line
		}
		return r.Line
	}
	vline := func(key string) int {
		if v := values[key]; v != nil {
			return v.Line
		}
		return r.Line
	}

	switch {
	case keys["name"] == nil:
		p.errf(r.Line, "rule without a name")
	case !ruleName.MatchString(r.Name):
		p.errf(vline("name"), "rule name %q: use letters, digits, _ and -, at most 32 (it becomes a Grafana alert uid)", r.Name)
	}
	kinds := 0
	for _, k := range []string{"builtin", "metric", "module_absent"} {
		if keys[k] != nil {
			kinds++
		}
	}
	switch {
	case kinds == 0:
		p.errf(r.Line, "rule %q needs metric:, builtin: or module_absent:", r.Name)
	case kinds > 1:
		p.errf(r.Line, "rule %q: metric, builtin and module_absent exclude each other", r.Name)
	case keys["builtin"] != nil:
		p.builtinRule(&r, keys, vline, sevMap, onlyLines)
	case keys["module_absent"] != nil:
		r.kind = condModuleAbsent
		for _, k := range append([]string{"only", "hysteresis_gap", "clear", "hysteresis"}, conditionKeys...) {
			if keys[k] != nil {
				p.errf(line(k), "%s has no meaning in a module_absent rule", k)
			}
		}
		if len(r.Match.Lanes) > 0 {
			p.errf(line("match"), "bad selector: lane has no meaning in a module_absent rule")
		}
		if r.ModuleAbsent <= 0 && len(p.errs) == nerr {
			p.errf(vline("module_absent"), "module_absent: want how long the cage must be empty (like 5m)")
		}
	default:
		p.metricRule(&r, keys, line, vline)
	}
	if k := keys["trust_failed_checksum"]; k != nil && !r.usesModuleThresholds() {
		p.errf(k.Line, "trust_failed_checksum has no meaning in rule %q: it is for builtin module_thresholds and for levels that refer to the module's thresholds (like below: {threshold: low_warning})", r.Name)
	}
	if keys["builtin"] == nil {
		if sevMap != nil {
			p.errf(vline("severity"), "severity: a class mapping is for builtin sets; give one of critical, major, minor, warning")
		} else if keys["severity"] == nil {
			p.errf(r.Line, "rule %q has no severity (critical, major, minor, warning)", r.Name)
		}
	}
	p.summary(&r, vline("summary"))
	return r, true
}

var ruleName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)

func (p *parser) severity(n *yaml.Node) Severity {
	s, ok := ParseSeverity(n.Value)
	if !ok || n.Kind != yaml.ScalarNode {
		p.errf(n.Line, "unknown severity %s (critical, major, minor, warning)", describe(n))
	}
	return s
}

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
		if r.Above == nil && r.Below == nil {
			p.errf(n.Line, "rate: give above: or below: (change per unit of time)")
		}
		if r.Above != nil && r.Below != nil && *r.Below >= *r.Above {
			p.errf(n.Line, "rate: below %g is not under above %g: the band is empty", *r.Below, *r.Above)
		}
		if r.Per <= 0 {
			p.errf(n.Line, "rate.per must be positive")
		}
		if r.Resolution == 0 && r.Per > 0 {
			r.Resolution = r.Per / 48
		}
		p.checkResolution(n.Line, "rate", r.Per, r.Resolution)
	}
	return r
}

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
	if n.Kind != yaml.MappingNode {
		return b
	}
	if b.Window <= 0 {
		p.errf(n.Line, "baseline.window must be positive (like 24h)")
	}
	if b.Drop < 0 || b.Rise < 0 {
		p.errf(n.Line, "baseline: drop and rise are distances from the baseline, not negative")
	}
	if b.Drop <= 0 && b.Rise <= 0 {
		p.errf(n.Line, "baseline: give drop: or rise: (how far from the trailing median fires)")
	}
	if b.Resolution == 0 {
		b.Resolution = b.Window / 48
	}
	if b.MinHistory == 0 {
		b.MinHistory = b.Window / 4
	}
	if b.MinHistory > b.Window {
		p.errf(n.Line, "baseline.min_history %v is longer than the window %v", b.MinHistory, b.Window)
	}
	p.checkResolution(n.Line, "baseline", b.Window, b.Resolution)
	return b
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

// builtinRule validates a built-in rule set entry.
func (p *parser) builtinRule(r *Rule, keys map[string]*yaml.Node, vline func(string) int, sevMap map[string]*yaml.Node, onlyLines []int) {
	var classes []string
	var names func(string) bool
	switch r.Builtin {
	case BuiltinModuleThresholds:
		r.kind = condModuleThresholds
		classes = classNames[:2]
		names = func(s string) bool { return indexOf(moduleQuantities, s) >= 0 || indexOf(laneQuantities, s) >= 0 }
	case BuiltinVDMThresholds:
		r.kind = condVDMThresholds
		classes = classNames[:2]
		names = func(s string) bool { return vdmObservables[s] || isVDMTypeName(s) }
	case BuiltinLatchedFlags:
		r.kind = condFlags
		classes = classNames
		names = func(s string) bool { return indexOf(laneFlagNames, s) >= 0 || indexOf(moduleFlagNames, s) >= 0 }
	default:
		p.errf(vline("builtin"), "unknown builtin %q (module_thresholds, vdm_thresholds, latched_flags)", r.Builtin)
		return
	}
	for _, k := range append([]string{"clear", "hysteresis"}, conditionKeys...) {
		if keys[k] != nil {
			p.errf(keys[k].Line, "%s has no meaning in builtin %s (its thresholds are the module's own%s)", k, r.Builtin,
				map[bool]string{true: "; use hysteresis_gap", false: ""}[k == "hysteresis" || k == "clear"])
		}
	}
	if r.Builtin == BuiltinLatchedFlags && keys["hysteresis_gap"] != nil {
		p.errf(keys["hysteresis_gap"].Line, "hysteresis_gap has no meaning for latched_flags (use clear_for)")
	}
	if keys["hysteresis_gap"] == nil {
		r.HysteresisGap = 0.5
	}
	for i, s := range r.Only {
		if !names(s) {
			p.errf(onlyLines[i], "only: %q is not a %s name", s, map[string]string{
				BuiltinModuleThresholds: "monitored quantity (temperature_c, vcc_v, laser_temperature_c, tec_current_pct, vcc2_v, tx_bias_ma, tx_power_mw, rx_power_mw)",
				BuiltinVDMThresholds:    "VDM observable",
				BuiltinLatchedFlags:     "lane or module flag",
			}[r.Builtin])
		}
	}
	// Severity per class: alarm → critical, warning → warning, fault →
	// major unless the file says otherwise.
	r.Severities = map[string]Severity{"alarm": Critical, "warning": Warning}
	if r.Builtin == BuiltinLatchedFlags {
		r.Severities["fault"] = Major
	}
	if r.Severity != SeverityNone {
		for c := range r.Severities {
			r.Severities[c] = r.Severity
		}
	}
	for _, c := range sortedKeys(sevMap) {
		v := sevMap[c]
		if indexOf(classes, c) < 0 {
			p.errf(v.Line, "severity: unknown class %q for %s (%s)", c, r.Builtin, strings.Join(classes, ", "))
			continue
		}
		r.Severities[c] = p.severity(v)
	}
}

// metricRule validates a metric rule and its one condition.
func (p *parser) metricRule(r *Rule, keys map[string]*yaml.Node, line, vline func(string) int) {
	met, ok := lookupMetric(r.Metric)
	if !ok {
		p.errf(vline("metric"), "unknown metric %q: %s", r.Metric, metricHint(r.Metric))
	}
	r.met = met
	for _, k := range []string{"only", "hysteresis_gap"} {
		if keys[k] != nil {
			p.errf(line(k), "%s is for builtin sets, not metric rules", k)
		}
	}
	if ok && met.kind == metModule && len(r.Match.Lanes) > 0 {
		p.errf(line("match"), "bad selector: lane on module metric %s", r.Metric)
	}
	var conds []string
	for _, k := range conditionKeys {
		if keys[k] != nil {
			conds = append(conds, k)
		}
	}
	// In file order, so the error points at the second one written.
	sort.SliceStable(conds, func(i, j int) bool { return keys[conds[i]].Line < keys[conds[j]].Line })
	if len(conds) != 1 {
		if len(conds) == 0 {
			p.errf(r.Line, "rule %q has no condition (above, below, outside, rate, baseline or absent)", r.Name)
		} else {
			p.errf(line(conds[1]), "rule %q has more than one condition (%s); write one rule per condition", r.Name, strings.Join(conds, ", "))
		}
		return
	}
	cl := line("clear")
	if keys["clear"] != nil && keys["hysteresis"] != nil {
		p.errf(cl, "give clear or hysteresis, not both")
	}
	relative := false
	for _, l := range r.levels() {
		if l.Ref != "" {
			relative = true
		}
	}
	if relative && keys["clear"] != nil {
		p.errf(cl, "clear: the threshold follows the module's own; give hysteresis (a margin) instead")
		return
	}
	h := r.Hysteresis
	one := func() (float64, bool) {
		if r.Clear == nil {
			return 0, false
		}
		if len(r.Clear) != 1 {
			p.errf(cl, "clear: want one threshold")
			return 0, false
		}
		return r.Clear[0], true
	}
	switch conds[0] {
	case "above":
		r.kind = condAbove
		if c, ok := one(); ok && c > r.Above.Value {
			p.errf(cl, "impossible hysteresis: clear %g is above the fire threshold %g; an above rule clears below its threshold", c, r.Above.Value)
		}
	case "below":
		r.kind = condBelow
		if c, ok := one(); ok && c < r.Below.Value {
			p.errf(cl, "impossible hysteresis: clear %g is below the fire threshold %g; a below rule clears above its threshold", c, r.Below.Value)
		}
	case "outside":
		r.kind = condOutside
		if r.Outside == nil {
			return
		}
		lo, hi := r.Outside[0], r.Outside[1]
		if lo.Ref == "" && hi.Ref == "" && lo.Value >= hi.Value {
			p.errf(line("outside"), "outside: the band [%g, %g] is empty", lo.Value, hi.Value)
		}
		if r.Clear != nil {
			switch {
			case len(r.Clear) != 2:
				p.errf(cl, "clear: want a band [low, high] inside the outside band")
			case r.Clear[0] < lo.Value || r.Clear[1] > hi.Value || r.Clear[0] > r.Clear[1]:
				p.errf(cl, "impossible hysteresis: clear band [%g, %g] is not inside [%g, %g]", r.Clear[0], r.Clear[1], lo.Value, hi.Value)
			}
		} else if lo.Ref == "" && hi.Ref == "" && lo.Value+h > hi.Value-h {
			p.errf(line("hysteresis"), "impossible hysteresis: %g on each side leaves no clear band inside [%g, %g]", h, lo.Value, hi.Value)
		}
	case "rate":
		r.kind = condRate
		if r.Rate == nil {
			return
		}
		if r.Clear != nil {
			if r.Rate.Above != nil && r.Rate.Below != nil {
				p.errf(cl, "clear: a two-sided rate takes hysteresis, not clear")
			} else if c, ok := one(); ok {
				if r.Rate.Above != nil && c > *r.Rate.Above {
					p.errf(cl, "impossible hysteresis: clear %g is above the fire rate %g", c, *r.Rate.Above)
				}
				if r.Rate.Below != nil && c < *r.Rate.Below {
					p.errf(cl, "impossible hysteresis: clear %g is below the fire rate %g", c, *r.Rate.Below)
				}
			}
		}
		if r.Rate.Above != nil && r.Rate.Below != nil && *r.Rate.Below+h > *r.Rate.Above-h {
			p.errf(line("hysteresis"), "impossible hysteresis: %g leaves no clear band between rate below %g and above %g", h, *r.Rate.Below, *r.Rate.Above)
		}
	case "baseline":
		r.kind = condBaseline
		if keys["clear"] != nil {
			p.errf(cl, "clear: a baseline rule clears relative to its baseline; give hysteresis")
		}
		if b := r.Baseline; b != nil && (b.Drop > 0 && h > b.Drop || b.Rise > 0 && h > b.Rise) {
			p.errf(line("hysteresis"), "impossible hysteresis: %g is more than the drop/rise itself, so clearing needs the value past its own baseline", h)
		}
	case "absent":
		r.kind = condAbsent
		for _, k := range []string{"clear", "hysteresis"} {
			if keys[k] != nil {
				p.errf(line(k), "%s has no meaning for absent (it clears when data returns)", k)
			}
		}
		if r.Absent <= 0 && keys["absent"] != nil {
			p.errf(vline("absent"), "absent: want how long without data (like 5m)")
		}
	}
}

// defaultSummaries are used when a rule has no summary.
var defaultSummaries = map[condKind]string{
	condModuleThresholds: `{{.Port}}{{if .Lane}} lane {{.Lane}}{{end}}: {{.Observable}} {{printf "%.4g" .Value}} beyond the module's {{.Limit}} {{printf "%.4g" .Threshold}}`,
	condVDMThresholds:    `{{.Port}} lane {{.Lane}}: {{.Observable}} {{printf "%.4g" .Value}} beyond its VDM {{.Limit}} {{printf "%.4g" .Threshold}}`,
	condFlags:            `{{.Port}}{{if .Lane}} lane {{.Lane}}{{end}}: module flag {{.Observable}} set`,
	condModuleAbsent:     `{{.Port}}: module absent`,
	condAbsent:           `{{.Port}}{{if .Lane}} lane {{.Lane}}{{end}}: no {{.Metric}} data`,
}

const defaultSummary = `{{.Port}}{{if .Lane}} lane {{.Lane}}{{end}}: {{.Metric}} {{printf "%.4g" .Value}} (threshold {{printf "%.4g" .Threshold}})`

func (p *parser) summary(r *Rule, line int) {
	text := r.Summary
	if text == "" {
		text = defaultSummaries[r.kind]
		if text == "" {
			text = defaultSummary
		}
	}
	if len(text) > MaxSummaryTemplate {
		p.errf(line, "summary is %d bytes, more than %d", len(text), MaxSummaryTemplate)
		return
	}
	t, err := template.New(r.Name).Option("missingkey=zero").Parse(text)
	if err == nil {
		err = checkSummary(t)
	}
	if err == nil {
		// Run it once on empty data: a field that does not exist fails
		// here, not at the first alarm. Bounded like every expansion.
		err = t.Execute(&limitedWriter{max: MaxSummaryBytes}, &TemplateData{Labels: map[string]string{}})
		if errors.Is(err, errSummaryTooLong) {
			err = nil // a long expansion is cut at run time, not an error
		}
	}
	if err != nil {
		p.errf(line, "bad summary template: %s", strings.TrimPrefix(err.Error(), "template: "))
		return
	}
	r.tmpl = t
}
