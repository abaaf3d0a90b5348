// Package grafana exports ddm's alarm rules to Grafana: an alert rule
// provisioning file whose rules alert on the same series the agent's own
// engine would, and dashboards over ddm's InfluxDB schema (docs/SCHEMA.md),
// for an InfluxDB data source queried in InfluxQL or Flux.
//
// Everything is built from types, never from text templates: the
// grafana-foundation-sdk's dashboard, panel, alerting and expression
// builders, a typed InfluxDB query model (InfluxQuery, which the SDK
// lacks) and typed mirrors of Grafana's provisioning file (RuleFile).
// Query text is assembled from quoted identifiers, literals and
// regexps (GlobRegexp for the rules' port globs).
//
// # How rules map to queries
//
// Each rule's series is Rule.Series (xcvr_module, xcvr_lane, or xcvr_vdm
// with the observable split into its observable and side tags), narrowed
// by the rule's port globs and lanes; alerts are per host, port and lane.
//
//   - above, below, outside: the last value within Lookback, reduced
//     (last) and compared (gt, lt, outside_range); clear or hysteresis is
//     Grafana's recovery threshold (unloadEvaluator), for the pending
//     period, clear_for keepFiringFor.
//   - rate: the median over the last resolution against the median over
//     the same width per earlier, as a difference or a percentage (NaN,
//     no verdict, when the earlier median is 0).
//   - baseline: the last value minus the median of the per-resolution
//     medians over the window before the last resolution, NaN until
//     min_history of them exist.
//   - absent: per series seen in the window, no value for the duration
//     (Flux: seconds since the last value; InfluxQL: a moving count), only
//     on modules read in the last 3 minutes (readLookback).
//   - data written with ddm run --reduce: every query reads the metric at
//     full rate and as the window statistic that stands for it
//     (internal/statread), so one export serves agents in either mode:
//     above reads the windows' maxima, below their minima, outside both
//     (whichever is farther from the band's middle), baseline the maxima
//     for a rise and the minima for a drop against the median of the
//     means, rate and absent the means. A module counts as present when
//     it was read in the last 3 minutes (readLookback), as the reduced
//     export writes present only when it changes.
//   - Rule.Local rules (built-in sets, the module's own thresholds,
//     identity selectors, module_absent): the agent's own state, the last
//     xcvr_alarm point of the rule per alarm series (port, lane, severity,
//     observable, side, limit: the tags of xcvr_alarm); for and
//     clear_for are then the agent's, not repeated in Grafana.
package grafana
