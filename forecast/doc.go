// Package forecast turns a lane's telemetry history into a forecast: how
// fast a quantity is drifting, when it will reach the module's warning and
// alarm thresholds (or the KP4 limit for pre-FEC BER), with an interval,
// how far a lane stands from its peers, and, when an alarm fires, the
// likely cause. It is pure: no I/O, no clock, no logging; callers give it
// samples and the time to evaluate at.
//
// The pieces:
//
//   - History: one series (one quantity of one lane or module), summed into
//     fixed time buckets and bounded in length, so a month of 1-second
//     samples is a few hundred numbers. It is a plain struct that encodes
//     to JSON, so the agent can keep it in its state folder across restarts.
//     Adding a sample is O(1) and allocation-free.
//
//   - Evaluate: a robust trend over the history (Theil–Sen: the median of
//     the slopes between every pair of points, which ignores spikes and
//     noise), with steps detected and taken out (a re-seated connector moves
//     the level once; it is not a trend), a curvature check (an accelerating
//     decline, a bias that levels off toward a plateau), and for each limit
//     in the worsening direction the days until the fitted curve reaches it,
//     with a low/high interval from the slope's confidence bounds. A stable
//     or improving series gets no crossing.
//
//   - Scale (ScaleOf): the scale a quantity is fitted on: linear in its own
//     unit, or log10 for pre-FEC BER (trend in decades per day).
//
//   - Cohort (NewCohort, Z): a robust z-score of one value against its peers
//     (median and MAD), the lanes and modules of the same part number and
//     firmware.
//
//   - Classify: a likely cause (laser ageing, dirty or damaged fibre,
//     far-end or fibre cut, host side, module fault, thermal, unknown) from
//     an Evidence struct; the verdict carries its evidence and reasons.
//
//   - EvaluateAll: every series of a switch (or of files, for `ddm
//     forecast`) at once, with their cohort z-scores.
//
// docs/FORECAST.md explains the method, its limits and the measured
// accuracy, and how to reproduce the figures (package scenario's
// TestFigures, and the benchmarks here).
package forecast
