// Package alarm evaluates alarm rules on decoded modules: a rules file
// (YAML), an Engine that turns every sample into alarm state per (rule,
// port, lane, observable), and the events that state changes produce.
//
// # Rules file
//
// Parse reads a file (version 1) whose rules are built-in sets, metric
// rules, module-absence rules, or forecast and cohort rules (outlook.go:
// forecast: {quantity: rx_power, within: 14d} fires while the agent
// forecasts a crossing of the module's threshold within the window;
// cohort: {quantity: rx_power, z: 4} while a lane's robust z-score among
// its peers is beyond ±z; both evaluated by EvaluateOutlook); DefaultRules returns ddm's defaults for
// 800G/1.6T fabrics, with the source of every number in its comments:
//
//	version: 1
//	defaults: {for: 1m, clear_for: 1m, labels: {component: optics}}
//	rules:
//	  - name: module_thresholds       # the module's own page 02h limits
//	    builtin: module_thresholds
//	    severity: {alarm: critical, warning: warning}
//	  - name: pre_fec_ber_major
//	    metric: vdm.pre_fec_ber_media
//	    match: {port: "Ethernet*", part_number: "740-*"}
//	    above: 1e-4
//	    clear: 5e-5
//	    for: 5m
//	    severity: major
//	    summary: '{{.Port}} lane {{.Lane}}: pre-FEC BER {{printf "%.2e" .Value}}'
//	  - name: rx_power_margin
//	    metric: lane.rx_power_dbm
//	    below: {threshold: low_warning, offset: 1}
//	    hysteresis: 0.5
//	    severity: minor
//
// Errors are *Error values that name the file and line; Check lists every
// problem of a file, Parse returns the first.
//
// # Evaluation
//
// Engine.Evaluate is called on every sample of a port. Each series moves
// inactive → pending (the condition holds) → firing (it held for `for`) →
// resolved (the clear condition, past the hysteresis, held for
// `clear_for`), and only firing and resolved are returned as events. A
// value that wobbles around its threshold therefore fires once: pending
// restarts whenever the condition lapses, and once firing, only a value
// past the clear threshold counts. Series exist only while pending or
// firing, except those of rate, baseline and absent rules, which keep a
// small history (see history.go: per-interval medians, 30 min for a 24 h
// window, about 800 bytes a series).
//
// The hot path allocates nothing unless a state changes: rules whose
// condition is false and that have nothing pending or firing on the port
// cost a comparison per value.
//
// State survives a restart through SaveState and LoadState (versioned
// JSON); LoadState documents what restarts and what does not.
//
// # Export
//
// Every metric rule names one InfluxDB series (Rule.Series: xcvr_module,
// xcvr_lane or xcvr_vdm with its observable tag) and its condition maps to
// a query over it: above/below/outside to a threshold on last(), rate to
// the difference of two median() windows Per apart, baseline to last()
// against median() over the window, absent to no data over the duration,
// port and lane selectors to tag regexps (GlobRegexp). Rules that need
// what InfluxDB does not hold (the module's own thresholds, identity
// selectors, latched flags; Rule.Local) are exported as queries over the
// agent's xcvr_alarm points instead.
package alarm
