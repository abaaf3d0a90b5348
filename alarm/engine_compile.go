package alarm

import (
	"maps"

	"github.com/ddm-agent/ddm/cmis"
)

// condKind is a rule's compiled condition.
type condKind uint8

const (
	condNone condKind = iota
	condAbove
	condBelow
	condOutside
	condRate
	condBaseline
	condAbsent
	condModuleAbsent
	condModuleThresholds
	condVDMThresholds
	condFlags
	condForecast
	condCohort
)

// crule is a rule compiled for evaluation.
type crule struct {
	*Rule
	labels     map[string]string
	modQ       uint8 // module_thresholds: module quantities, bit per moduleQuantities
	laneQ      uint8 // lane quantities, bit per laneQuantities
	laneFlags  cmis.LaneFlags
	modFlags   cmis.ModuleFlags
	only       []string // vdm_thresholds observables; nil: all
	sev        [3]Severity
	persistent bool   // series keep state while inactive (history, last seen)
	relative   bool   // a level refers to the module's thresholds
	fixed      bounds // the bounds of a rule that is not relative
	metricName [2]string
}

// NewEngine compiles rules for evaluation; disabled rules are left out.
// rules must come from Parse (which compiles conditions and templates);
// nil means no rules.
func NewEngine(rules *Rules, opts Options) *Engine {
	e := &Engine{ports: map[string]*portState{}, diagnose: opts.Diagnose}
	if rules == nil {
		return e
	}
	for i := range rules.Rules {
		r := &rules.Rules[i]
		if r.Disabled || r.kind == condNone {
			continue
		}
		e.rules = append(e.rules, compile(r, opts))
	}
	return e
}

// compile makes one enabled rule ready for evaluation.
func compile(r *Rule, opts Options) *crule {
	c := &crule{Rule: r, labels: map[string]string{}}
	maps.Copy(c.labels, opts.Labels)
	maps.Copy(c.labels, r.Labels)
	c.sev = [3]Severity{r.Severity, r.Severity, r.Severity}
	for i, n := range classNames {
		if s, ok := r.Severities[n]; ok {
			c.sev[i] = s
		}
	}
	switch r.kind {
	case condModuleThresholds:
		c.compileQuantities()
		c.metricName = [2]string{"module.", "lane."}
	case condVDMThresholds:
		c.only = r.Only
		c.metricName = [2]string{"vdm.", "vdm."}
	case condFlags:
		c.compileFlags()
		c.metricName = [2]string{"module.flags", "lane.flags"}
	case condModuleAbsent:
		c.metricName = [2]string{"module.present", "module.present"}
	case condForecast:
		c.metricName = [2]string{"forecast." + r.Forecast.Quantity, "forecast." + r.Forecast.Quantity}
	case condCohort:
		c.metricName = [2]string{"cohort." + r.Cohort.Quantity, "cohort." + r.Cohort.Quantity}
	default:
		c.metricName = [2]string{r.Metric, r.Metric}
	}
	c.persistent = r.kind == condRate || r.kind == condBaseline || r.kind == condAbsent
	for _, l := range r.levels() {
		c.relative = c.relative || l.Ref != ""
	}
	if !c.relative {
		c.fixed = c.bounds(nil)
	}
	return c
}

// compileQuantities sets the bits of the monitored quantities a
// module_thresholds rule checks (all, or those of only:).
func (c *crule) compileQuantities() {
	only := func(name string) bool { return len(c.Only) == 0 || indexOf(c.Only, name) >= 0 }
	for i, q := range moduleQuantities {
		if only(q) {
			c.modQ |= 1 << i
		}
	}
	for i, q := range laneQuantities {
		if only(q) {
			c.laneQ |= 1 << i
		}
	}
}

// compileFlags sets the bits of the flags a latched_flags rule raises:
// those of only:, or without only: every flag that is not informational.
func (c *crule) compileFlags() {
	watch := func(name string) bool {
		return len(c.Only) == 0 && !informationalFlag(name) || indexOf(c.Only, name) >= 0
	}
	for i, n := range laneFlagNames {
		if watch(n) {
			c.laneFlags |= 1 << i
		}
	}
	for i, n := range moduleFlagNames {
		if watch(n) {
			c.modFlags |= 1 << i
		}
	}
}
