package alarm

import (
	_ "embed"
	"fmt"
	"sort"
	"strings"
	"text/template"
	"time"

	"github.com/ddm-agent/ddm/cmis"
	"github.com/ddm-agent/ddm/internal/fileerr"
	"github.com/ddm-agent/ddm/schema"
)

//go:embed testdata/default-rules.yaml
var defaultRules []byte

// DefaultRules returns the example rules file: ddm's defaults for 800G/1.6T
// fabrics, with comments that say where each number comes from.
func DefaultRules() []byte { return append([]byte(nil), defaultRules...) }

// Rules is a parsed and validated rules file.
type Rules struct {
	// File is the name the rules were parsed under (for messages).
	File    string
	Version int
	Rules   []Rule
}

// Builtin rule sets.
const (
	// BuiltinModuleThresholds compares every monitor with the module's own
	// alarm and warning thresholds (CMIS page 02h, SFF-8636 page 03h,
	// SFF-8472 A2h).
	BuiltinModuleThresholds = "module_thresholds"
	// BuiltinVDMThresholds compares every VDM observable with its threshold
	// set (CMIS pages 28h–2Bh).
	BuiltinVDMThresholds = "vdm_thresholds"
	// BuiltinLatchedFlags raises the module's own latched lane and module
	// flags (rx_los, tx_fault, temperature_high_alarm, ...).
	BuiltinLatchedFlags = "latched_flags"
)

// Rule is one entry of the rules list, as written. Exactly one of Builtin,
// Metric (with one condition), ModuleAbsent, Forecast or Cohort is set.
type Rule struct {
	Name string
	// Line is where the rule starts in the file.
	Line     int
	Disabled bool

	// Builtin names a built-in rule set (module_thresholds,
	// vdm_thresholds, latched_flags).
	Builtin string
	// Only restricts a built-in set to these quantities (module_thresholds:
	// temperature_c, rx_power_mw, ...), observables (vdm_thresholds) or
	// flag names (latched_flags).
	Only []string
	// Severities maps a built-in set's classes (alarm, warning, fault) to
	// severities.
	Severities map[string]Severity
	// HysteresisGap is, for module_thresholds and vdm_thresholds, the
	// clear margin as a fraction of the gap between the warning and the
	// alarm threshold on the same side (0.5: a high alarm at 76 °C with its
	// warning at 73 °C clears below 74.5 °C, the warning below 71.5 °C).
	HysteresisGap float64
	// TrustFailedChecksum says whether the rule uses module thresholds
	// decoded from a page whose checksum failed (cmis.Thresholds
	// ChecksumFailed): true by default, since many modules never set that
	// checksum (the decoder warns); false leaves such a module's thresholds
	// alone. It applies to module_thresholds and to levels that refer to
	// the module's thresholds.
	TrustFailedChecksum bool

	// Metric is "module.<field>", "lane.<field>" or "vdm.<observable>",
	// named like the Module's JSON fields and the InfluxDB schema.
	Metric string
	Match  Selector

	// Conditions: exactly one for a metric rule.
	Above    *Level
	Below    *Level
	Outside  *[2]Level
	Rate     *Rate
	Baseline *Baseline
	// Absent fires when a series seen before has had no value for this long
	// while its module is present.
	Absent time.Duration
	// ModuleAbsent fires when a port that has held a module has been empty
	// for this long.
	ModuleAbsent time.Duration
	// Forecast fires when the agent forecasts that a quantity reaches one
	// of the module's thresholds within a window; Cohort when a quantity's
	// robust z-score among its peers is beyond a limit (outlook.go).
	Forecast *ForecastRule
	Cohort   *CohortRule

	// Clear is an explicit clear threshold (one value; two for outside).
	Clear []float64
	// Hysteresis is the clear margin: the value must come back past the
	// fire threshold by this much before the alarm clears.
	Hysteresis float64

	// For is how long the condition must hold before the alarm fires;
	// ClearFor how long the clear condition must hold before it resolves.
	For      time.Duration
	ClearFor time.Duration
	Severity Severity
	Labels   map[string]string
	// Summary is a text/template over TemplateData.
	Summary string

	kind condKind
	met  metricDef
	tmpl *template.Template
}

// Level is a threshold: a number, or one of the module's own thresholds
// (high_alarm, low_alarm, high_warning, low_warning) plus an offset, in the
// metric's unit (dB for a dBm metric).
type Level struct {
	Value  float64
	Ref    string
	Offset float64
}

func (l Level) String() string {
	if l.Ref == "" {
		return fmt.Sprint(l.Value)
	}
	if l.Offset == 0 {
		return "module " + l.Ref
	}
	return fmt.Sprintf("module %s%+g", l.Ref, l.Offset)
}

// Rate is a rate-of-change condition: the change of the metric over Per,
// in the metric's unit (or percent of the earlier value), estimated from
// per-interval medians Per apart.
type Rate struct {
	Above, Below *float64
	Per          time.Duration
	Percent      bool
	// Resolution is the width of the per-interval medians (default Per/48).
	Resolution time.Duration
}

// Baseline compares the value with the median of its own trailing Window.
type Baseline struct {
	Window time.Duration
	// Drop fires when the value is this far below the baseline; Rise when
	// it is this far above. Either may be zero (not checked).
	Drop, Rise float64
	// Resolution is the width of the per-interval medians the baseline is
	// the median of (default Window/48: 30 min for 24 h).
	Resolution time.Duration
	// MinHistory is how much history the baseline needs before the rule
	// can fire (default Window/4).
	MinHistory time.Duration
}

// Selector restricts a rule to ports, lanes and module types. Every field
// is a list of exact names or globs (*, ?, [a-z], \ escapes), any of which
// may match; an empty field matches everything.
type Selector struct {
	Port           []string
	Lanes          []int
	Identifier     []string
	Vendor         []string
	PartNumber     []string
	MediaInterface []string

	port, ident, vendor, pn, media *matcher
	laneMask                       uint64
}

// Severity of an alarm.
type Severity uint8

// Severities, least to most severe.
const (
	SeverityNone Severity = iota
	Warning
	Minor
	Major
	Critical
)

var severityNames = [...]string{"", "warning", "minor", "major", "critical"}

func (s Severity) String() string {
	if int(s) < len(severityNames) {
		return severityNames[s]
	}
	return fmt.Sprintf("severity(%d)", uint8(s))
}

// ParseSeverity reads a severity name.
func ParseSeverity(s string) (Severity, bool) {
	for i, n := range severityNames[1:] {
		if s == n {
			return Severity(i + 1), true
		}
	}
	return SeverityNone, false
}

// MarshalText writes the name.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a name.
func (s *Severity) UnmarshalText(b []byte) error {
	v, ok := ParseSeverity(string(b))
	if !ok && len(b) > 0 {
		return fmt.Errorf("unknown severity %q", b)
	}
	*s = v
	return nil
}

// Error is a problem in a rules file, at a line.
type Error = fileerr.Error

// Parse reads and validates a rules file; name is used in errors. The
// error, if any, is the first *Error by line; Check lists them all.
func Parse(name string, b []byte) (*Rules, error) {
	rs, errs := parse(name, b)
	if len(errs) > 0 {
		return nil, errs[0]
	}
	return rs, nil
}

// Check validates a rules file and returns every problem, ordered by line.
func Check(name string, b []byte) []*Error {
	_, errs := parse(name, b)
	return errs
}

// Lookup returns the rule with this name.
func (rs *Rules) Lookup(name string) *Rule {
	for i := range rs.Rules {
		if rs.Rules[i].Name == name {
			return &rs.Rules[i]
		}
	}
	return nil
}

// Series is where a rule's data lives in the InfluxDB schema, for export:
// the measurement, the field, and for VDM the observable tag value.
type Series struct {
	Measurement string // xcvr_module, xcvr_lane, xcvr_vdm
	Field       string // temperature_c, rx_power_dbm; "value" for xcvr_vdm
	Observable  string // xcvr_vdm only
}

// Series returns where the rule's metric is stored. ok is false for rules
// that have no one metric (built-in sets, module absence): their state is
// exported as xcvr_alarm points by the agent.
func (r *Rule) Series() (s Series, ok bool) {
	switch r.met.kind {
	case metModule:
		return Series{Measurement: schema.XcvrModule, Field: r.met.field}, true
	case metLane:
		return Series{Measurement: schema.XcvrLane, Field: r.met.field}, true
	case metVDM:
		return Series{Measurement: schema.XcvrVDM, Field: schema.Value, Observable: r.met.field}, true
	}
	return Series{}, false
}

// Local reports whether the rule's condition needs data that is not in the
// InfluxDB measurements of its metric: the module's own thresholds,
// identity selectors (vendor, part number, identifier and media interface
// live in xcvr_info), latched flags, the presence of a module that was
// there before. An exporter renders such a rule as a
// query over xcvr_alarm, the agent's own evaluation, rather than over the
// raw metric.
func (r *Rule) Local() bool {
	if r.Builtin != "" || r.kind == condModuleAbsent {
		return true
	}
	for _, l := range r.levels() {
		if l.Ref != "" {
			return true
		}
	}
	m := r.Match
	return len(m.Identifier)+len(m.Vendor)+len(m.PartNumber)+len(m.MediaInterface) > 0
}

func (r *Rule) levels() []Level {
	switch {
	case r.Above != nil:
		return []Level{*r.Above}
	case r.Below != nil:
		return []Level{*r.Below}
	case r.Outside != nil:
		return r.Outside[:]
	}
	return nil
}

// usesModuleThresholds reports whether the rule compares values with the
// module's own thresholds (CMIS page 02h, SFF-8636 page 03h, SFF-8472 A2h),
// which is where TrustFailedChecksum applies; VDM threshold sets carry no
// checksum.
func (r *Rule) usesModuleThresholds() bool {
	if r.Builtin == BuiltinModuleThresholds {
		return true
	}
	if r.Metric == "" || r.met.kind == metVDM {
		return false
	}
	for _, l := range r.levels() {
		if l.Ref != "" {
			return true
		}
	}
	return false
}

// trusts reports whether the rule uses the threshold set t.
func (r *Rule) trusts(t cmis.Thresholds) bool { return r.TrustFailedChecksum || !t.ChecksumFailed }

// Condition describes the rule's condition in words, for listings.
func (r *Rule) Condition() string {
	switch r.kind {
	case condAbove:
		return "above " + r.Above.String()
	case condBelow:
		return "below " + r.Below.String()
	case condOutside:
		return fmt.Sprintf("outside [%v, %v]", r.Outside[0], r.Outside[1])
	case condRate:
		var parts []string
		unit := ""
		if r.Rate.Percent {
			unit = "%"
		}
		if r.Rate.Above != nil {
			parts = append(parts, fmt.Sprintf("above %g%s", *r.Rate.Above, unit))
		}
		if r.Rate.Below != nil {
			parts = append(parts, fmt.Sprintf("below %g%s", *r.Rate.Below, unit))
		}
		return "change " + strings.Join(parts, " or ") + " per " + fmtDuration(r.Rate.Per)
	case condBaseline:
		var parts []string
		if r.Baseline.Drop > 0 {
			parts = append(parts, fmt.Sprintf("%g below", r.Baseline.Drop))
		}
		if r.Baseline.Rise > 0 {
			parts = append(parts, fmt.Sprintf("%g above", r.Baseline.Rise))
		}
		return strings.Join(parts, " or ") + " its " + fmtDuration(r.Baseline.Window) + " median"
	case condAbsent:
		return "no data for " + fmtDuration(r.Absent)
	case condModuleAbsent:
		return "module absent for " + fmtDuration(r.ModuleAbsent)
	case condForecast:
		th := "threshold"
		if r.Forecast.Threshold != "" {
			th = r.Forecast.Threshold + " threshold"
		}
		return fmt.Sprintf("%s forecast to reach its %s within %s", r.Forecast.Quantity, th, fmtDuration(r.Forecast.Within))
	case condCohort:
		return fmt.Sprintf("%s robust z-score among its peers beyond ±%g", r.Cohort.Quantity, r.Cohort.Z)
	}
	return r.Builtin
}

// fmtDuration writes 24h rather than 24h0m0s.
func fmtDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// TemplateData is what a summary template sees.
type TemplateData struct {
	Rule       string
	Metric     string
	Observable string
	Limit      string
	Port       string
	Lane       int
	Value      float64
	Threshold  float64
	Severity   string
	State      string
	Labels     map[string]string
	Identifier string
	Vendor     string
	PartNumber string
	Serial     string
	Since      time.Time
}

// sortErrors orders errors by line, keeping the order of equal lines.
func sortErrors(errs []*Error) {
	sort.SliceStable(errs, func(i, j int) bool { return errs[i].Line < errs[j].Line })
}
