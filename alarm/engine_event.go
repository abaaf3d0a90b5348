package alarm

import (
	"maps"
	"time"
)

// State of an alarm series.
type State uint8

// States. A series is inactive until its condition holds, pending while it
// holds for less than the rule's for, firing after that, and resolved (an
// event only; the series is inactive again) when the clear condition has
// held for clear_for.
const (
	Inactive State = iota
	Pending
	Firing
	Resolved
)

var stateNames = [...]string{"inactive", "pending", "firing", "resolved"}

func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "unknown"
}

// MarshalText writes the name.
func (s State) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a name.
func (s *State) UnmarshalText(b []byte) error {
	for i, n := range stateNames {
		if string(b) == n {
			*s = State(i)
			return nil
		}
	}
	*s = Inactive
	return nil
}

// Event is a change of an alarm's state (firing or resolved), or, from
// Active, an alarm that is firing.
type Event struct {
	// Time of the change (for Active: when it fired).
	Time time.Time
	Rule string
	// Metric is the rule's metric, or for built-in sets the metric of the
	// series (lane.rx_power_mw, vdm.pre_fec_ber_media, lane.flags).
	Metric string
	// Observable names the series within its rule and lane: the VDM
	// observable, the monitored quantity of module_thresholds, the flag of
	// latched_flags; empty for a plain module or lane metric.
	Observable string
	// Limit is the module threshold that was crossed (high_alarm,
	// low_alarm, high_warning, low_warning) for the threshold built-ins.
	Limit    string
	Port     string
	Lane     int // 0: the module
	Severity Severity
	State    State
	// Value is the value that changed the state (a rate for rate rules,
	// seconds without data for absence rules); Threshold the limit it was
	// compared with when the alarm fired: the module's own for module
	// thresholds, baseline minus drop for baseline rules.
	Value     float64
	Threshold float64
	// Since is when the alarm fired.
	Since   time.Time
	Summary string
	Labels  map[string]string
	// Cause is the likely cause of a firing alarm and Evidence what it
	// rests on (Options.Diagnose); empty without a diagnosis and on
	// resolved events.
	Cause    string
	Evidence []string
}

// emit records a state change.
func (ev *evaluator) emit(r *crule, s *series, st State) {
	e := ev.e.event(r, ev.ps, s, st, ev.wall)
	if st == Firing && ev.e.diagnose != nil {
		d := ev.e.diagnose(e.Port, e.Lane)
		e.Cause, e.Evidence = d.Cause, d.Evidence
	}
	ev.events = append(ev.events, e)
}

func (e *Engine) event(r *crule, ps *portState, s *series, st State, t time.Time) Event {
	metric := r.metricName[0]
	if s.lane > 0 {
		metric = r.metricName[1]
	}
	if r.kind == condModuleThresholds || r.kind == condVDMThresholds {
		metric += s.obs
	}
	ev := Event{
		Time: t, Rule: r.Name, Metric: metric, Observable: s.obs, Limit: s.limit,
		Port: ps.name, Lane: s.lane, Severity: s.severity, State: st,
		Value: s.value, Threshold: s.threshold, Since: s.firedAt,
		Labels: maps.Clone(r.labels),
	}
	d := TemplateData{
		Rule: ev.Rule, Metric: ev.Metric, Observable: ev.Observable, Limit: ev.Limit, Port: ev.Port, Lane: ev.Lane,
		Value: ev.Value, Threshold: ev.Threshold, Severity: ev.Severity.String(), State: st.String(),
		Labels: ev.Labels, Since: ev.Since,
	}
	if id := ps.id; id != nil {
		d.Identifier, d.Vendor, d.PartNumber, d.Serial = id.identifier, id.vendor, id.partNumber, id.serial
	}
	if r.tmpl != nil {
		ev.Summary = expandSummary(r.tmpl, &d)
	}
	return ev
}
