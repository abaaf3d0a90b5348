// Package pipeline is what becomes of a module read after the agent made
// it: the agent hands each Sample to a Pipeline (its Observer), which turns
// it into points (exporter's schema), keeps the port's energy view and
// forecast history, evaluates the alarm rules on it, correlates laser
// sources with the lanes they light, writes the alarm events as points and
// to the log, and hands everything to the sinks, which queue. Nothing here
// waits for the network: Observe runs on the agent's bus workers.
//
// Beside the samples, Run keeps ddm's own telemetry (one xcvr_agent point
// per bus worker and one for the process, with the switch's energy totals,
// every SelfEvery), restates the firing alarms every RestateEvery (so a
// dashboard sees them without a long look-back), logs the wall clock's
// backward steps, saves the alarm state every SaveEvery, and runs the
// forecasts (outlook.Service). Start restores the alarm state and the
// forecast history, dropping the ports the configuration no longer has;
// Save writes the alarm state at the end.
//
// The conversions from the agent's and the alarm engine's types to the
// exporter's are here (SamplePoints, EventPoints, busIO), so that the
// exporter knows points and sinks only, and `ddm run`, the tests and the
// soak (internal/soak) share one pipeline.
package pipeline
